"""The audit key lives outside the database; the home, the key and the SQLite file are private."""

from __future__ import annotations

import stat
from contextlib import closing

import pytest

from backend.app import App
from backend.config import Settings
from backend.errors import InvalidData, PermissionDenied
from backend.governance.audit_key import key_path, load_audit_key
from tests.factories import audit_entry

ENV_KEY = "an audit key of more than thirty-two characters"


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _settings(tmp_path, **overrides) -> Settings:
    home = tmp_path / "home"
    return Settings(home=home, db_url=f"sqlite:///{home / 'greenlight.db'}", artifacts_dir=tmp_path / "artifacts",
                    **overrides)


def test_a_new_home_key_and_database_are_private(tmp_path):
    settings = _settings(tmp_path)
    with closing(App.open(settings)) as app:
        audit_entry(app, "alpha")
    assert _mode(settings.home) == 0o700
    assert _mode(key_path(settings)) == 0o600
    assert _mode(settings.home / "greenlight.db") == 0o600
    assert len(key_path(settings).read_text().strip()) == 64


def test_the_key_file_is_created_once_and_then_reused(tmp_path):
    settings = _settings(tmp_path)
    first = load_audit_key(settings)
    assert load_audit_key(settings) == first
    with closing(App.open(settings)) as app:
        audit_entry(app, "alpha")
    with closing(App.open(settings)) as app:
        assert app.registry.verify_audit().intact


def test_a_key_file_others_can_read_is_refused_not_fixed(tmp_path):
    """Refused: the key may already have been copied, so quietly tightening it would hide that
    the log is no longer protected; the person running Greenlight decides (and chmods)."""
    settings = _settings(tmp_path)
    load_audit_key(settings)
    key_path(settings).chmod(0o644)
    with pytest.raises(PermissionDenied) as caught:
        App.open(settings)
    assert caught.value.code == "audit_key_exposed"
    assert str(key_path(settings)) in caught.value.message and "0644" in caught.value.message
    assert f"chmod 600 {key_path(settings)}" in caught.value.message
    assert _mode(key_path(settings)) == 0o644  # left as it was found


def test_the_key_from_the_environment_writes_no_file(tmp_path):
    settings = Settings.from_env({"GREENLIGHT_HOME": str(tmp_path / "home"), "GREENLIGHT_AUDIT_KEY": ENV_KEY})
    assert settings.audit_key == ENV_KEY and ENV_KEY not in repr(settings)
    with closing(App.open(settings)) as app:
        audit_entry(app, "alpha")
        assert app.registry.verify_audit().intact
    assert not key_path(settings).exists()


def test_a_short_key_in_the_environment_is_refused(tmp_path):
    with pytest.raises(InvalidData) as caught:
        App.open(_settings(tmp_path, audit_key="short"))
    assert caught.value.code == "audit_key_weak" and "at least 32" in caught.value.message


def test_an_empty_key_file_is_refused(tmp_path):
    settings = _settings(tmp_path)
    settings.home.mkdir(mode=0o700)
    key_path(settings).write_text("")
    key_path(settings).chmod(0o600)
    with pytest.raises(InvalidData, match="needs at least 32"):
        load_audit_key(settings)


def test_entries_signed_with_another_key_do_not_check_out(tmp_path):
    with closing(App.open(_settings(tmp_path, audit_key=ENV_KEY))) as app:
        audit_entry(app, "alpha")
    with closing(App.open(_settings(tmp_path, audit_key=ENV_KEY.upper()))) as app:
        report = app.registry.verify_audit()
    assert not report.intact and report.first_bad_seq == 1
    assert "signed with another audit key than this one" in report.problem
