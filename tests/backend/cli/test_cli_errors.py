"""Every failed command ends with one `error:` line and its exit code; the details go to a log
file under the home, named in that line."""

from __future__ import annotations

import re
from pathlib import Path

from backend.cli import main


def _fail(capsys, *args) -> tuple[int, str, Path]:
    code = main(list(args))
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    found = re.search(r"\(details: (.+\.log)\)$", lines[0])
    assert found, lines[0]
    return code, lines[0], Path(found.group(1))


def test_db_upgrade_against_an_unreachable_database(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("GREENLIGHT_HOME", str(home))
    monkeypatch.setenv("GREENLIGHT_DB_URL", "postgresql+psycopg://greenlight@127.0.0.1:1/greenlight")
    code, line, log = _fail(capsys, "db", "upgrade")
    assert code == 9
    assert "The database at postgresql+psycopg://greenlight@127.0.0.1:1/greenlight could not be reached" in line
    assert log.parent == home / "logs" and log.is_file()
    details = log.read_text()
    assert details.startswith("greenlight db upgrade\n") and "Traceback" in details and "OperationalError" in details


def test_every_other_command_against_an_unreachable_database(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GREENLIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GREENLIGHT_DB_URL", "postgresql+psycopg://greenlight@127.0.0.1:1/greenlight")
    for command in (["models", "list"], ["users", "list"], ["policy", "show"], ["audit", "verify"]):
        code, line, log = _fail(capsys, *command)
        assert code == 9 and "could not be reached" in line and log.is_file()


def test_a_database_folder_that_cannot_be_created(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GREENLIGHT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GREENLIGHT_DB_URL", f"sqlite:///{blocker}/greenlight.db")
    code, line, _ = _fail(capsys, "db", "upgrade")
    assert code == 9 and "could not be created" in line


def test_an_unexpected_error_is_one_line_too(cli_env, monkeypatch, capsys):
    import backend.cli.registry_commands as commands

    def broken(**_kwargs):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(commands, "open_app", broken)
    code, line, log = _fail(capsys, "models", "list")
    assert code == 1 and line.startswith("error: unexpected RuntimeError: disk on fire second line (details: ")
    assert "RuntimeError: disk on fire" in log.read_text() and log.parent == cli_env.home / "logs"


def test_a_coded_error_names_its_log_too(cli_env, capsys):
    code, line, log = _fail(capsys, "version", "ghost", "1")
    assert code == 3 and "There is no model named 'ghost'" in line
    assert "NotFound" in log.read_text()
