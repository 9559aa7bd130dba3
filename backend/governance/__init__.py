"""Governance: accounts, permissions, the organisation's policy, sign-off and its rules, and
the audit log.

The modules stand on two floors. The pure rules (``permissions``, ``policy``, ``limits``,
``signoff_rules``) and the ``audit`` log sit just above the database, so the registry can
enforce them on every write. The services that decide (``accounts``, ``org_policy``,
``signoff``) sit above the registry. This package imports nothing by itself, so the registry
can use the lower floor without loading the upper one.
"""
