"""The ``greenlight`` command group and what its commands share.

Every failure prints one readable line on standard error, naming a log file under the home with
the details (the command, the error and its traceback), and exits with the error's code (see
:mod:`backend.errors`); ``--json`` prints machine-readable output on standard output.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from backend.app import App
from backend.config import Settings
from backend.domain import User
from backend.errors import DatabaseError, GreenlightError, Interrupted, PermissionDenied

__all__ = ["cli", "main", "open_app", "print_json", "jsonable", "version_json", "read_password", "signed_in",
           "clean_text"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Greenlight: take machine-learning models to production safely.

    Settings come from GREENLIGHT_HOME, GREENLIGHT_DB_URL and GREENLIGHT_ARTIFACTS.
    """


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {k: jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def print_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), indent=2, default=str))


def version_json(version: Any) -> dict[str, Any]:
    return {"version": version.number, **jsonable(version)}


def open_app(*, ensure_schema: bool = True) -> App:
    """The app for this command; its connections close when the command ends."""
    app = App.open(Settings.from_env(), ensure_schema=ensure_schema)
    click.get_current_context().call_on_close(app.close)
    if ensure_schema:
        # A stage whose process died is recognised by the next command that meets the registry.
        app.registry.recover_stranded()
    return app


# Terminal escape sequences whole (CSI such as colours and cursor moves, OSC such as hyperlinks and
# window titles, and the other ESC forms), then any control character left, C0 and C1, and the
# bidirectional overrides that reorder what a reader sees.
_ESCAPE_SEQUENCES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
                               r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                               r"|\x1b[ -/]*[0-~]?")
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any) -> str:
    """Stored text, safe to print on a terminal: what it says, never what it does.

    Titles, names, reasons and messages come from people and files. Printed raw, a carriage
    return could overwrite the line before it, and an escape sequence could recolour the
    terminal or hide a link behind other words (OSC 8). Escape sequences are removed whole,
    every other control character becomes a space (a line break too: one value, one line),
    and so are the bidirectional overrides.
    """
    return _CONTROL_CHARACTERS.sub(" ", _ESCAPE_SEQUENCES.sub("", str(value)))


def read_password(*, confirm: bool, prompt: str = "Password") -> str:
    """From standard input when it is not a terminal (scripts), else prompted, hidden."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def signed_in(app: App, username: str | None, *, purpose: str) -> User:
    """The account a command acts as: ``--as USER`` with the password on standard input (or
    prompted), else the API token in ``GREENLIGHT_TOKEN``; refused (exit 8) without either."""
    if username:
        return app.accounts.authenticate(username, read_password(confirm=False, prompt=f"Password for {username}"))
    token = os.environ.get("GREENLIGHT_TOKEN", "").strip()
    if token:
        return app.tokens.authenticate(token)
    raise PermissionDenied(f"{purpose} is made by a signed-in account: set GREENLIGHT_TOKEN to an API token "
                           "(an admin creates one with `greenlight tokens create USER`), or pass --as USER and give "
                           "the password on standard input.", code="not_authenticated")


def _log_folder() -> Path:
    try:
        home = Settings.from_env().home
    except Exception:  # the settings themselves are broken: the log still goes somewhere
        return Path(tempfile.gettempdir())
    return home / "logs"


def write_error_log(exc: BaseException, argv: list[str], exit_code: int) -> Path | None:
    """Write what went wrong to a new file under the home's ``logs/`` folder; return its path.

    Falls back to the system's temporary folder when the home cannot be written; returns None
    only when no file can be written at all.
    """
    now = datetime.now(UTC)
    text = "\n".join([
        f"greenlight {' '.join(argv)}",
        f"failed at {now.isoformat()} with exit code {exit_code}",
        f"python {platform.python_version()} on {platform.platform()}, process {os.getpid()}",
        "",
        "".join(traceback.format_exception(exc)),
    ])
    name = f"greenlight-{now:%Y%m%d-%H%M%S}-{os.getpid()}.log"
    for folder in (_log_folder(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text)
            return path
        except OSError:
            continue
    return None


def _fail(exc: BaseException, message: str, exit_code: int, argv: list[str]) -> int:
    """One ``error:`` line naming the log with the details; the exit code."""
    log = write_error_log(exc, argv, exit_code)
    details = f" (details: {log})" if log else ""
    click.echo(f"error: {' '.join(message.split())}{details}", err=True)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(args=args, prog_name="greenlight", standalone_mode=False)
    except GreenlightError as exc:
        return _fail(exc, exc.message, exc.exit_code, args)
    except SQLAlchemyError as exc:
        return _fail(exc, f"Database error: {exc}", DatabaseError.exit_code, args)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except Interrupted as exc:
        click.echo(f"error: stopped by {exc.signal_name}; the run was recorded as failed (interrupted).", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:  # a bug or an environment problem: one line here, the rest in the log
        return _fail(exc, f"unexpected {type(exc).__name__}: {exc}", 1, args)
    return 0

