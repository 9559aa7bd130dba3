"""A pipeline run is made by a signed-in data scientist: a token in GREENLIGHT_TOKEN or --as USER."""

from __future__ import annotations

import io

import pytest

from backend.cli import main
from backend.errors import PermissionDenied
from backend.governance.accounts import operator
from tests.factories import credit_spec_dir, person


def _call(capsys, *args, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_without_a_token_or_an_account_a_run_is_refused_with_exit_8(app, cli_env, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GREENLIGHT_TOKEN", raising=False)
    code, _, err = _call(capsys, "pipeline", "run", str(credit_spec_dir(tmp_path)))
    assert code == 8
    assert "set GREENLIGHT_TOKEN to an API token" in err and "--as USER" in err
    assert app.registry.list_models() == []


def test_author_is_the_account_not_free_text(app, cli_env, capsys):
    code, _, err = _call(capsys, "pipeline", "run", "x.toml", "--author", "someone-else")
    assert code == 2 and "No such option '--author'" in err


def test_tokens_create_prints_only_the_token(app, cli_env, capsys):
    person(app, "dana")
    code, out, err = _call(capsys, "tokens", "create", "dana", "--expires-days", "7")
    assert code == 0 and err == ""
    assert out.count("\n") == 1 and out.startswith("glt_")
    assert app.tokens.authenticate(out.strip()).username == "dana"
    code, out, _ = _call(capsys, "tokens", "list")
    assert code == 0 and "dana" in out and "glt_" in out
    code, out, _ = _call(capsys, "tokens", "revoke", "1")
    assert code == 0 and "revoked" in out
    code, out, _ = _call(capsys, "tokens", "list", "--all", "--json")
    assert '"revoked_at": "20' in out


@pytest.mark.parametrize("roles", [("risk",), ("viewer",), ("admin",)])
def test_only_a_data_scientist_runs_the_pipeline(app, cli_env, tmp_path, capsys, monkeypatch, roles):
    person(app, "someone", *roles)
    code, _, err = _call(capsys, "pipeline", "run", str(credit_spec_dir(tmp_path)), "--as", "someone",
                         stdin="correct horse battery\n", monkeypatch=monkeypatch)
    assert code == 8 and "may not run pipeline" in err


def test_as_user_with_the_password_on_stdin_makes_them_the_author(app, cli_env, tmp_path, capsys, monkeypatch):
    person(app, "dana")
    spec = str(credit_spec_dir(tmp_path))
    code, _, err = _call(capsys, "pipeline", "run", spec, "--as", "dana",
                         stdin="wrong password\n", monkeypatch=monkeypatch)
    assert code == 8 and "Wrong user name or password" in err
    code, out, _ = _call(capsys, "pipeline", "run", spec, "--as", "dana",
                         stdin="correct horse battery\n", monkeypatch=monkeypatch)
    assert code == 0, out
    version = app.registry.get_version("credit-risk", 1)
    assert version.author == "dana"
    # Four-eyes holds on the account, whatever the machine's user is called.
    app.accounts.set_roles("dana", ["data_scientist", "risk"], actor=operator())
    status = app.signoffs.status("credit-risk", 1)
    with pytest.raises(PermissionDenied, match="author of this version"):
        app.signoffs.decide("credit-risk", 1, reviewer=app.accounts.get_user("dana"), role="risk",
                            decision="approve", comment="", evidence=status.evidence)
