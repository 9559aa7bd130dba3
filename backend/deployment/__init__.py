"""Deployment: the serving slots (test, canary, production), the scoring gateway, the canary
judge, and the service that starts, judges, promotes and rolls back canaries."""

from backend.deployment.deployments import Deployments
from backend.deployment.judge import DEFAULT_SETTINGS, JudgeSettings, SideSample, judge

__all__ = ["Deployments", "JudgeSettings", "DEFAULT_SETTINGS", "SideSample", "judge"]
