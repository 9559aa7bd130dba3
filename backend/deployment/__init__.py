"""Deployment: the guarded decision whether a version may take live traffic, the serving
slots (test, canary, production), the scoring gateway and the canary judge."""
