"""The README documents every setting and every command (a new one fails here until it is)."""

from __future__ import annotations

from pathlib import Path

import click

from backend.cli import cli
from backend.config import ENVIRONMENT_VARIABLES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "greenlight"):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


def test_every_environment_variable_is_documented():
    missing = [name for name in ENVIRONMENT_VARIABLES if name not in README]
    assert not missing, f"README.md does not document {missing}"


def test_every_cli_command_is_documented():
    commands = list(_commands(cli))
    assert len(commands) >= 7
    missing = [c for c in commands if f"`{c}" not in README]
    assert not missing, f"README.md does not document {missing}"


def test_readme_shows_the_two_commands():
    assert "make run" in README and "make test" in README
    assert "CC BY 4.0" in README
