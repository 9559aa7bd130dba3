"""`greenlight audit pack MODEL VERSION -o FILE`: the audit pack from the command line."""

from __future__ import annotations

import io
import zipfile

from backend.cli import main
from tests.factories import add_user, validated_version

PASSWORD = "correct horse battery"


def _call(capsys, monkeypatch, *args, stdin: str = PASSWORD + "\n"):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_compliance_reviewer_writes_the_pack_and_a_viewer_is_refused(app, cli_env, capsys, monkeypatch, tmp_path):
    number = validated_version(app, "loan")
    add_user(app, "cora", "compliance")
    add_user(app, "vic", "viewer")
    target = tmp_path / "pack.zip"
    code, out, err = _call(capsys, monkeypatch, "audit", "pack", "loan", str(number), "-o", str(target), "--as", "cora")
    assert code == 0 and err == ""
    assert out.startswith(f"Wrote {target} (") and "Annex IV headings Greenlight cannot fill: 7, 8;" in out
    assert "index.html" in zipfile.ZipFile(target).namelist()

    refused = tmp_path / "refused.zip"
    code, out, err = _call(capsys, monkeypatch, "audit", "pack", "loan", str(number), "-o", str(refused), "--as", "vic")
    assert code == 8 and out == "" and not refused.exists()
    assert err.startswith("error: vic may not export an audit pack: that needs the 'admin' role or a reviewer role")
    assert [e.action for e in app.registry.audit_log(action_prefix="audit_pack.")] == ["audit_pack.refused",
                                                                                      "audit_pack.exported"]


def test_a_missing_version_exits_3(app, cli_env, capsys, monkeypatch, tmp_path):
    validated_version(app, "loan")
    add_user(app, "cora", "compliance")
    code, _, err = _call(capsys, monkeypatch, "audit", "pack", "loan", "9", "-o", str(tmp_path / "x.zip"), "--as", "cora")
    assert code == 3 and err.startswith("error: ")
