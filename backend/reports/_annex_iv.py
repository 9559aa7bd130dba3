"""What one version's audit pack says, under the headings of the EU AI Act's Annex IV.

Annex IV of Regulation (EU) 2024/1689 lists what the technical documentation of a high-risk AI
system must contain (Article 11(1)). Its nine headings are quoted below; under each, the pack puts
what Greenlight recorded about the version, and says plainly what Greenlight cannot supply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["ANNEX_IV_HEADINGS", "NOT_GREENLIGHTS", "PackSection", "Block", "pack_sections"]

#: heading number → the heading as Annex IV words it (its lettered points left out)
ANNEX_IV_HEADINGS = {
    1: "A general description of the AI system",
    2: "A detailed description of the elements of the AI system and of the process for its development",
    3: "Detailed information about the monitoring, functioning and control of the AI system",
    4: "A description of the appropriateness of the performance metrics for the specific AI system",
    5: "A detailed description of the risk management system in accordance with Article 9",
    6: "A description of relevant changes made by the provider to the system through its lifecycle",
    7: "A list of the harmonised standards applied in full or in part the references of which have been published "
       "in the Official Journal of the European Union; where no such harmonised standards have been applied, a "
       "detailed description of the solutions adopted to meet the requirements set out in Chapter III, Section 2, "
       "including a list of other relevant standards and technical specifications applied",
    8: "A copy of the EU declaration of conformity referred to in Article 47",
    9: "A detailed description of the system in place to evaluate the AI system performance in the post-market "
       "phase in accordance with Article 72, including the post-market monitoring plan referred to in Article 72(3)",
}

#: headings only the provider can fill: which standards apply, and the declaration of conformity
NOT_GREENLIGHTS = frozenset({7, 8})


@dataclass(frozen=True)
class Block:
    """One item under a heading: a sentence, or a table (a list of rows with the same keys)."""

    label: str
    text: str | None = None
    rows: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class PackSection:
    number: int
    title: str
    blocks: tuple[Block, ...]
    not_filled: str  # what Greenlight cannot supply under this heading, in plain words
    files: tuple[str, ...] = field(default=())  # files of the pack that belong here

    @property
    def filled(self) -> bool:
        """Whether Greenlight can put anything under this heading at all (7 and 8 it cannot)."""
        return self.number not in NOT_GREENLIGHTS


def _when(value: Any) -> str | None:
    return value.isoformat(timespec="seconds") if hasattr(value, "isoformat") else value


def _latest(runs, stage: str):
    found = [r for r in runs if r.stage == stage]
    return found[-1] if found else None


def pack_sections(app: App, model: str, number: int) -> tuple[PackSection, ...]:
    """The nine Annex IV sections for ``model`` version ``number``, from the registry."""
    from backend.errors import NotFound
    from backend.monitoring.store import MonitoringStore  # monitoring imports this package

    info = app.registry.get_model(model)
    version = app.registry.get_version(model, number)
    runs = app.registry.list_stage_runs(model, number)
    refs = app.registry.list_artifacts(model, number)
    history = app.registry.list_versions(model, limit=500).versions
    try:
        signoff = app.signoffs.status(model, number)
    except NotFound:
        signoff = None
    exceptions = app.policy_exceptions.list(model, include_inactive=True)
    canaries = app.deployments.canaries(model, version=number)
    verdicts = [v for c in canaries for v in reversed(app.deployments.verdicts(model, c.id))]
    periods = [p for p in app.deployments.timeline(model) if p.version == number]
    record = app.deployments.record_sentences(model, number)
    monitoring = MonitoringStore(app.db)
    alerts = [a for a in monitoring.alerts(model=model, limit=5000) if a.version == number]
    monitored = monitoring.periods(model, "day", version=number)
    build, validation, reports = _latest(runs, "build"), _latest(runs, "test_validation"), _latest(runs, "reports")
    model_ref = next((r for r in refs if r.kind == "model"), None)
    fairness = (reports.evidence.get("fairness") or {}) if reports else {}

    general = [
        Block("Intended purpose", f"{info.title}: {info.description}" if info.description else info.title),
        Block("Provider's team and risk tier", f"Owner: {info.owner}; risk tier: {info.risk_tier}; task: {info.task}."),
        Block("This version and the ones before it", rows=tuple(
            {"version": v.number, "state": v.state, "registered": _when(v.created_at), "author": v.author}
            for v in history)),
        Block("How it is served", "Through Greenlight's scoring gateway (HTTP API, POST /v1/models/{name}/predict), "
              "as production, canary or test slot; a KServe InferenceService can be exported."),
    ]
    if model_ref is not None:
        general.append(Block("Software versions", rows=({
            "estimator": version.estimator, "format": model_ref.meta.get("format"),
            "scikit-learn": model_ref.meta.get("sklearn_version"), "model SHA-256": model_ref.sha256},)))

    development = []
    development.append(Block("Lineage", rows=({
        "git commit": version.git_commit, "spec SHA-256": version.spec_hash, "estimator factory": version.factory,
        "data fingerprint": version.data_fingerprint, "author": version.author},)))
    if version.params:
        development.append(Block("Estimator settings", rows=tuple({"setting": k, "value": str(v)}
                                                                  for k, v in sorted(version.params.items()))))
    if build is not None and build.evidence.get("data"):
        data = build.evidence["data"]
        development.append(Block("Training and test data", rows=tuple(
            {"set": name, "file": (data.get(name) or {}).get("file"), "rows": (data.get(name) or {}).get("rows"),
             "SHA-256": (data.get(name) or {}).get("sha256")} for name in ("train", "test"))))
    development.append(Block("Validation and testing procedure", rows=tuple(
        {"stage": r.stage, "status": r.status, "started": _when(r.started_at), "finished": _when(r.finished_at),
         "messages": " ".join(r.messages)} for r in runs)))
    development.append(Block("Stored files and their SHA-256", rows=tuple(
        {"file": r.kind, "SHA-256": r.sha256, "bytes": r.size_bytes} for r in refs)))

    functioning = []
    if version.input_schema.get("columns"):
        functioning.append(Block("Input data specification", rows=tuple(
            {"input": k, "type": v} for k, v in version.input_schema["columns"].items())))
    if version.metrics:
        functioning.append(Block("Measured performance (test set)", rows=tuple(
            {"metric": k, "value": v} for k, v in sorted(version.metrics.items()) if isinstance(v, int | float))))
    if fairness.get("checks"):
        functioning.append(Block("Accuracy for groups of people: fairness checks", rows=tuple(
            {"feature": c.get("feature"), "check": c.get("metric"), "verdict": c.get("verdict"),
             "value": c.get("value"), "threshold": c.get("threshold")} for c in fairness["checks"])))
    if fairness.get("sensitive_inputs"):
        functioning.append(Block("Sensitive inputs and close proxies the model uses",
                                 text=str(fairness["sensitive_inputs"])))
    if signoff is not None:
        functioning.append(Block("Human oversight: sign-offs, bound to the evidence hashes shown", rows=tuple(
            {"reviewer": s.username, "role": s.role, "decision": s.decision, "when": _when(s.created_at),
             "comment": s.comment, "valid": s.valid, "void reason": s.void_reason,
             "evidence": "; ".join(f"{k}={v}" for k, v in sorted(s.evidence.items())),
             "acknowledgements": "; ".join(f"{k}: {v}" for k, v in sorted(s.acknowledgements.items()))}
            for s in signoff.signoffs)))
        if signoff.conditions:
            functioning.append(Block("Conditions set at sign-off", rows=tuple(
                {"condition": c.text, "role": c.role, "set by": c.created_by, "closed by": c.closed_by,
                 "close note": c.close_note} for c in signoff.conditions)))

    metrics_fit = []
    gates = (validation.evidence.get("gates") or []) if validation else []
    if gates:
        metrics_fit.append(Block("The policy's gates and their verdicts", rows=tuple(
            {k: (str(v) if isinstance(v, dict | list) else v) for k, v in g.items()} for g in gates)))
    if version.policy.get("fairness"):
        metrics_fit.append(Block("Fairness thresholds in force", text=str(version.policy["fairness"])))

    risk = [Block("Risk tier", f"{info.risk_tier}; the sign-off roles it requires: "
                               f"{', '.join(signoff.required_roles) if signoff else 'none recorded'}.")]
    acknowledged = [s for s in (signoff.signoffs if signoff else []) if s.acknowledgements]
    if acknowledged:
        risk.append(Block("Failed fairness checks accepted in writing", rows=tuple(
            {"reviewer": s.username, "role": s.role, "check": k, "acknowledgement": v}
            for s in acknowledged for k, v in sorted(s.acknowledgements.items()))))
    used = version.policy.get("exceptions") or []
    if exceptions or used:
        risk.append(Block("Policy exceptions (an admin's written permission to go below the floor)", rows=tuple(
            {"id": e.id, "setting": e.setting, "value": str(e.value), "reason": e.reason, "granted by": e.granted_by,
             "granted": _when(e.created_at), "revoked": _when(e.revoked_at),
             "used by this version": any(u.get("id") == e.id for u in used)} for e in exceptions)))
    overrides = [c for c in canaries if c.override_reason]
    if overrides or any("override" in s.lower() for s in record):
        risk.append(Block("Deployment overrides", rows=tuple(
            {"canary": c.id, "by": c.ended_by, "reason": c.override_reason} for c in overrides)
            or ({"record": s} for s in record if "override" in s.lower())))

    changes = []
    states = [e for e in app.registry.history(model, limit=5000)
              if e.version == number and e.action == "version.state"]
    if states:
        changes.append(Block("This version's path through the state machine", rows=tuple(
            {"when": _when(e.at), "from": e.detail.get("from"), "to": e.detail.get("to"), "by": e.actor,
             "reason": e.detail.get("reason")} for e in sorted(states, key=lambda e: e.seq))))
    if record:
        changes.append(Block("Deployment record", rows=tuple({"event": s} for s in record)))
    if canaries:
        changes.append(Block("Canaries", rows=tuple(
            {"canary": c.id, "against production version": c.champion, "traffic %": c.traffic_percent,
             "started": _when(c.started_at), "started by": c.started_by, "ended": _when(c.ended_at),
             "outcome": c.outcome, "reason": c.end_reason, "rolled back by the judge": c.automatic}
            for c in canaries)))
    if verdicts:
        changes.append(Block("Canary verdicts", rows=tuple(
            {"canary": v.canary_id, "verdict": v.verdict, "judged": _when(v.judged_at), "headline": v.headline,
             "reasons": " ".join(v.reasons), "rolled back": v.rolled_back} for v in verdicts)))
    if periods:
        changes.append(Block("What served when", rows=tuple(
            {"slot": p.slot, "from": _when(p.start), "until": _when(p.end), "why": p.start_reason,
             "ended because": p.end_reason} for p in periods)))

    post_market = []
    if monitored:
        post_market.append(Block("Monitoring periods judged", text=f"{len(monitored)} day(s) judged by the "
                                 "monitoring job: input drift, live performance against the signed-off band, "
                                 "fairness and scoring errors."))
    if alerts:
        post_market.append(Block("Monitoring alerts", rows=tuple(
            {"period": f"{a.start} to {a.end}", "kind": a.kind, "severity": a.severity, "what happened": a.sentence}
            for a in alerts)))

    cannot = {
        1: "The provider's legal name, the hardware the system runs on, how it is placed on the market, product "
           "illustrations and the instructions for use for deployers are not held by Greenlight.",
        2: "Design rationale beyond the model card, data labelling and cleaning procedures, the assessment of human "
           "oversight measures, pre-determined changes and cybersecurity measures are the team's to write.",
        3: "Foreseeable unintended outcomes and the risks to health, safety and fundamental rights are the team's "
           "to describe; Greenlight shows the measured figures and the reviewers' decisions.",
        4: "Why these metrics and thresholds suit this use is the team's and the reviewers' judgement; Greenlight "
           "lists what was gated and the organisation's policy.",
        5: "The risk management system of Article 9 is the organisation's; Greenlight holds only the risk decisions "
           "recorded here.",
        6: "Changes made outside Greenlight (to the data sources or the surrounding product) are not recorded.",
        7: "Greenlight cannot fill this heading: which standards apply is a legal and compliance decision.",
        8: "Greenlight cannot fill this heading: the EU declaration of conformity is drawn up and signed by the "
           "provider.",
        9: "The post-market monitoring plan of Article 72(3) is the provider's document; Greenlight supplies the "
           "monitoring it runs and what it found.",
    }
    files = {1: ("files/model_card.html", "files/model_card.md"),
             3: ("files/fairness_report.json", "files/explainability_report.json")}
    contents = {1: general, 2: development, 3: functioning, 4: metrics_fit, 5: risk, 6: changes, 7: [], 8: [],
                9: post_market}
    return tuple(PackSection(number=n, title=ANNEX_IV_HEADINGS[n], blocks=tuple(contents[n]), not_filled=cannot[n],
                             files=files.get(n, ())) for n in ANNEX_IV_HEADINGS)
