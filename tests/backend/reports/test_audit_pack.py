"""The audit pack: one zip per version, laid out under the EU AI Act's Annex IV headings."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import date

import pytest

from backend.errors import PermissionDenied
from backend.monitoring.store import MonitoringStore
from backend.reports import ANNEX_IV_HEADINGS, build_audit_pack
from tests.factories import (
    HOSTILE_TEXT,
    add_user,
    admin,
    approve_all,
    fairness_fail_report,
    person,
    put_in_production,
    validated_version,
)


def _packed_version(app) -> int:
    """Version 2 of "loan": a fairness fail acknowledged in hostile words at sign-off, a policy
    exception with a hostile reason, a canary rolled back, and a monitoring alert."""
    first = validated_version(app, "loan")
    approve_all(app, "loan", first)
    put_in_production(app, "loan", first)
    number = validated_version(app, "loan", fairness=fairness_fail_report(failed=1, passed=1))
    status = app.signoffs.request("loan", number, actor="pipeline")
    for username, role in (("bea", "business_owner"), ("rick", "risk")):
        reviewer = person(app, username, role)
        acknowledgements = {c["key"]: f"Accepted: {HOSTILE_TEXT}" for c in app.signoffs.failed_checks("loan", number)}
        status = app.signoffs.decide("loan", number, reviewer=reviewer, role=role, decision="approve",
                                     comment=f"Fine {HOSTILE_TEXT}", evidence=status.evidence,
                                     acknowledgements=acknowledgements)
    app.policy_exceptions.grant("loan", "gates.max.model_size_mb", 800, reason=f"Large by design {HOSTILE_TEXT}",
                                actor=admin(app))
    app.deployments.start_canary("loan", number, 10, actor=person(app, "dana"))
    app.deployments.rollback("loan", actor=person(app, "dana"), reason="Complaints from the call centre.")
    MonitoringStore(app.db).raise_alerts("loan", number, period="day", start=date(2026, 1, 5), end=date(2026, 1, 5),
                                         alerts=[{"kind": "drift", "severity": "warning",
                                                  "sentence": "Input income drifted (PSI 0.3)."}], actor="monitor")
    return number


def _open(pack) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_pack_holds_each_item_under_its_annex_iv_heading(app):
    number = _packed_version(app)
    pack = build_audit_pack(app, "loan", number, user=person(app, "cora", "compliance"))
    files = _open(pack)
    assert pack.filename == "audit-pack-loan-v2.zip"
    assert pack.sha256 == hashlib.sha256(pack.content).hexdigest()
    assert {"index.html", "pack.json", "SHA256SUMS", "files/fairness_report.json"} <= set(files)
    for line in files["SHA256SUMS"].decode().splitlines():
        sha, name = line.split("  ")
        assert hashlib.sha256(files[name]).hexdigest() == sha
    # The stored report goes in byte for byte: its hash is the one the sign-offs are bound to.
    signed = app.signoffs.status("loan", number).signoffs[0].evidence
    assert hashlib.sha256(files["files/fairness_report.json"]).hexdigest() in signed.values()

    sections = {s["number"]: s for s in json.loads(files["pack.json"])["sections"]}
    assert [sections[n]["heading"] for n in range(1, 10)] == [ANNEX_IV_HEADINGS[n] for n in range(1, 10)]
    assert sections[8]["heading"] == "A copy of the EU declaration of conformity referred to in Article 47"
    labels = {n: {i["label"]: i for i in s["items"]} for n, s in sections.items()}
    signoffs = labels[3]["Human oversight: sign-offs, bound to the evidence hashes shown"]["rows"]
    assert {r["reviewer"] for r in signoffs} == {"bea", "rick"}
    assert all("Accepted: " in r["acknowledgements"] for r in signoffs)
    acknowledged = labels[5]["Failed fairness checks accepted in writing"]["rows"]
    assert acknowledged[0]["check"].startswith("sex:")
    exception = labels[5]["Policy exceptions (an admin's written permission to go below the floor)"]["rows"][0]
    assert exception["setting"] == "gates.max.model_size_mb" and exception["granted by"] == "ada"
    canary = labels[6]["Canaries"]["rows"][0]
    assert canary["outcome"] == "rolled_back" and canary["reason"] == "Complaints from the call centre."
    path = labels[6]["This version's path through the state machine"]["rows"]
    assert [r["to"] for r in path][-2:] == ["canary", "rolled_back"]
    alert = labels[9]["Monitoring alerts"]["rows"][0]
    assert alert["severity"] == "warning" and alert["what happened"] == "Input income drifted (PSI 0.3)."
    # Headings 7 and 8 are the provider's alone, and the pack says so.
    assert not sections[7]["filled_by_greenlight"] and not sections[8]["filled_by_greenlight"]
    assert sections[8]["not_filled"].startswith("Greenlight cannot fill this heading")
    assert {n for n, filled in pack.filled.items() if not filled} == {7, 8}
    page = files["index.html"].decode()
    assert "Headings Greenlight cannot fill at all: 7, 8." in page
    assert page.index("<h2>5. ") < page.index("Failed fairness checks accepted in writing") < page.index("<h2>6. ")


def test_hostile_text_stays_text_in_the_page(app):
    number = _packed_version(app)
    page = _open(build_audit_pack(app, "loan", number, user=admin(app)))["index.html"].decode()
    assert "Large by design" in page and "Fine [phish](https://evil.example/login)" in page
    assert "<b>b</b>" not in page and "&lt;b&gt;b&lt;/b&gt;" in page
    assert not re.search(r"<a\b", page)  # no link of any kind, and no script
    assert "<script" not in page


def test_viewers_and_data_scientists_are_refused_and_the_refusal_is_audited(app):
    number = validated_version(app, "loan")
    add_user(app, "vic", "viewer")
    for username in ("vic", "dana"):
        with pytest.raises(PermissionDenied) as refused:
            build_audit_pack(app, "loan", number, user=app.accounts.get_user(username))
        assert "needs the 'admin' role or a reviewer role" in refused.value.message
    refusals = app.registry.audit_log(action_prefix="audit_pack.")
    assert [(e.actor, e.action) for e in refusals] == [("dana", "audit_pack.refused"), ("vic", "audit_pack.refused")]


def test_an_export_is_audited_with_the_files_hash(app):
    number = validated_version(app, "loan")
    pack = build_audit_pack(app, "loan", number, user=person(app, "rick", "risk"))
    entry = app.registry.audit_log(action_prefix="audit_pack.")[0]
    assert (entry.actor, entry.action, entry.model, entry.version) == ("rick", "audit_pack.exported", "loan", number)
    assert entry.detail["sha256"] == pack.sha256
    assert app.registry.verify_audit().intact
