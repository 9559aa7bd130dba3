"""The ``greenlight`` command: what CI runners, scripts and administrators use."""

from backend.cli import (  # noqa: F401  (they register commands)
    access_commands,
    artifact_commands,
    deployment_commands,
    governance_commands,
    monitor_commands,
    registry_commands,
    serving_commands,
)
from backend.cli.base import cli, main

__all__ = ["cli", "main"]
