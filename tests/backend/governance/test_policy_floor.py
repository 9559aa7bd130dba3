"""The organisation's policy is a floor: a spec adds reviewers and tightens, never loosens
without an admin's written exception, whichever door registers the version."""

from __future__ import annotations

import pytest

from backend.cli import main
from backend.domain import ModelInfo
from backend.errors import InvalidData, InvalidSpec, PermissionDenied
from backend.governance.accounts import operator
from backend.governance.policy import merge_policy
from backend.governance.signoff_rules import required_roles
from tests.factories import admin, credit_spec_dir, person, write_spec


def _info(name="loan-model", tier="high"):
    return ModelInfo(name=name, title="Loans", description="", owner="credit", risk_tier=tier, task="classification")


def test_a_spec_adds_reviewers_but_never_removes_the_organisations(app):
    dana = person(app, "dana")
    version = app.registry.register_version(_info(), author=dana, declared_policy={"signoff": {"roles": ["model_risk"]}})
    assert version.policy["signoff"]["roles"] == ["business_owner", "risk", "compliance", "model_risk"]


def test_the_python_api_cannot_register_a_looser_policy(app):
    dana = person(app, "dana")
    with pytest.raises(InvalidSpec) as caught:
        app.registry.register_version(_info(), author=dana, declared_policy={
            "gates": {"max": {"demographic_parity_difference": 0.3}, "not_worse_than_production": False},
            "signoff": {"expires_days": 3650}})
    message = caught.value.message
    assert caught.value.code == "below_policy_floor" and caught.value.exit_code == 2
    assert "[gates].max.demographic_parity_difference = 0.3 is below the organisation's floor of 0.1" in message
    assert "[gates].not_worse_than_production = false is below the organisation's floor of true" in message
    assert "[signoff].expires_days = 3650 is below the organisation's floor of 180" in message
    assert "greenlight policy exception grant loan-model" in message
    assert app.registry.list_models() == [], "nothing is registered when the policy is refused"


def test_tightening_needs_no_exception(app):
    version = app.registry.register_version(_info(), author=person(app, "dana"), declared_policy={
        "gates": {"min": {"demographic_parity_ratio": 0.9, "roc_auc": 0.8}, "max": {"model_size_mb": 10.0},
                  "min_group_size": 20, "fairness_blocks": True},
        "signoff": {"expires_days": 30}, "canary": {"min_requests": 2000}})
    assert version.policy["fairness"]["min"]["demographic_parity_ratio"] == 0.9
    assert version.policy["fairness"]["blocks"] is True and version.policy["signoff"]["expires_days"] == 30
    assert version.policy["exceptions"] == []


def test_an_exception_allows_exactly_what_it_says_and_the_version_keeps_it(app):
    dana, ada = person(app, "dana"), admin(app)
    granted = app.policy_exceptions.grant("loan-model", "gates.max.model_size_mb", "800", actor=ada,
                                          reason="The gradient boosted model is large by design; memory is ample.")
    assert granted.value == 800.0
    version = app.registry.register_version(_info(), author=dana, declared_policy={
        "gates": {"max": {"model_size_mb": 700.0}}})
    assert version.policy["gates"]["max"]["model_size_mb"] == 700.0
    [used] = version.policy["exceptions"]
    assert (used["id"], used["setting"], used["granted_by"]) == (granted.id, "gates.max.model_size_mb", "ada")
    with pytest.raises(InvalidSpec, match="model_size_mb = 900.0 is below the organisation's floor"):
        app.registry.create_version("loan-model", author=dana, declared_policy={"gates": {"max": {"model_size_mb": 900.0}}})
    app.policy_exceptions.revoke(granted.id, reason="the model was slimmed down", actor=ada)
    with pytest.raises(InvalidSpec):
        app.registry.create_version("loan-model", author=dana, declared_policy={"gates": {"max": {"model_size_mb": 700.0}}})
    assert app.registry.get_version("loan-model", 1).policy["exceptions"][0]["id"] == granted.id, "frozen on version 1"
    actions = [e.action for e in app.registry.audit_log(action_prefix="policy.exception")]
    assert actions == ["policy.exception.revoked", "policy.exception.granted"]


def test_only_an_admin_grants_exceptions_and_only_in_writing(app):
    dana = person(app, "dana")
    with pytest.raises(PermissionDenied, match="manage policy"):
        app.policy_exceptions.grant("loan-model", "gates.fairness_blocks", "false", actor=dana,
                                    reason="A reason that is long enough to count.")
    with pytest.raises(InvalidData, match="written reason"):
        app.policy_exceptions.grant("loan-model", "gates.fairness_blocks", "false", actor=admin(app), reason="ok")
    with pytest.raises(InvalidData, match="not a policy setting"):
        app.policy_exceptions.grant("loan-model", "signoff.roles", "viewer", actor=admin(app),
                                    reason="A reason that is long enough to count.")


def test_lowering_the_risk_tier_needs_an_exception(app):
    dana = person(app, "dana")
    app.registry.register_version(_info(tier="high"), author=dana)
    with pytest.raises(InvalidSpec, match="lower than the 'high' tier recorded"):
        app.registry.register_version(_info(tier="low"), author=dana)
    assert app.registry.get_model("loan-model").risk_tier == "high"
    app.policy_exceptions.grant("loan-model", "model.risk_tier", "medium", actor=admin(app),
                                reason="Now used only to rank marketing leads; no credit decision.")
    with pytest.raises(InvalidSpec):
        app.registry.register_version(_info(tier="low"), author=dana)
    version = app.registry.register_version(_info(tier="medium"), author=dana)
    assert app.registry.get_model("loan-model").risk_tier == "medium"
    assert version.policy["signoff"]["roles"] == ["business_owner", "risk"]
    assert version.policy["exceptions"][0]["setting"] == "model.risk_tier"


def test_approval_follows_the_policy_frozen_at_registration(app):
    from backend.db.tables import VersionRow

    number = app.registry.register_version(_info(), author=person(app, "dana")).number
    app.org_policy.update({"signoff_roles_by_tier": {"low": ["business_owner"], "medium": ["business_owner"],
                                                      "high": ["business_owner"]}, "expires_days": 180},
                          actor=operator())
    with app.db.read() as session:
        row = session.query(VersionRow).filter_by(number=number).one()
        assert required_roles(row) == ("business_owner", "risk", "compliance")


def test_the_organisation_cannot_name_builtin_roles_as_reviewers(app):
    with pytest.raises(InvalidData, match="'viewer' is not a reviewer role"):
        app.org_policy.update({"signoff_roles_by_tier": {"low": ["viewer"], "medium": ["risk"], "high": ["risk"]},
                               "expires_days": 180}, actor=operator())


def test_merge_is_pure_and_previewable():
    preview = merge_policy({"gates": {"max": {"equalized_odds_difference": 0.5}}}, risk_tier="low", enforce_floor=False)
    assert preview["fairness"]["max"]["equalized_odds_difference"] == 0.5
    with pytest.raises(InvalidSpec):
        merge_policy({"gates": {"max": {"equalized_odds_difference": 0.5}}}, risk_tier="low")


# -- the command line ----------------------------------------------------------------------------

def test_cli_refuses_a_viewer_reviewer_spec_with_exit_2(app, ci_token, tmp_path, capsys):
    spec = credit_spec_dir(tmp_path)
    spec.write_text(spec.read_text().replace('roles = ["business_owner", "risk", "compliance"]', 'roles = ["viewer"]'))
    assert main(["pipeline", "run", str(spec)]) == 2
    assert "'viewer' is not a reviewer role" in capsys.readouterr().err
    refused = app.registry.audit_log(action_prefix="pipeline.refused")
    assert refused and refused[0].actor == "dana"


def test_cli_refuses_a_loosened_gate_until_an_admin_grants_it(app, ci_token, tmp_path, capsys, monkeypatch):
    spec = write_spec(tmp_path, name="hand-made", gates="[gates]\nmax = { demographic_parity_difference = 0.2 }")
    assert main(["pipeline", "run", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The spec goes below the organisation's policy on 1 setting")
    admin(app)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("correct horse battery\n"))
    assert main(["policy", "exception", "grant", "hand-made", "gates.max.demographic_parity_difference", "0.2",
                 "--as", "ada", "--reason", "Pilot on a small, balanced population; reviewed monthly."]) == 0
    assert "Exception 1: hand-made may set gates.max.demographic_parity_difference = 0.2" in capsys.readouterr().out
    assert main(["policy", "exception", "list"]) == 0
    assert "hand-made" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("correct horse battery\n"))
    assert main(["policy", "exception", "grant", "hand-made", "gates.min_group_size", "50", "--as", "dana",
                 "--reason", "I would like to judge fewer groups please."]) == 8
