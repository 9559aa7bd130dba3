"""The ``greenlight`` command: what CI runners, scripts and administrators use."""

from backend.cli import access_commands, governance_commands, registry_commands, serving_commands  # noqa: F401  (they register commands)
from backend.cli.base import cli, main

__all__ = ["cli", "main"]
