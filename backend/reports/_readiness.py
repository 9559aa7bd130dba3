"""A model's production-readiness score: the ML Test Score rubric judged from registry evidence.

Each of the rubric's 28 tests (see :mod:`backend.reports._rubric`) is judged for one model from
what Greenlight has recorded about it — the version's lineage and input schema, its stage runs,
its reports, its canaries and rollbacks, and the monitoring job's periods and alerts — never from
what Greenlight could do in principle. A test Greenlight runs by itself, and has run for this
model, earns a point; a test done by people and recorded, or only partly automated, half a
point; the rest nothing, each with what the team can do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.domain import (
    CanaryRun,
    MonitoringPeriod,
    ReadinessItem,
    ReadinessScore,
    ReadinessSection,
    ServingState,
    StageRun,
    Version,
)
from backend.reports._rubric import AUTOMATED_POINTS, MANUAL_POINTS, SECTIONS, TESTS, score_reading

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["readiness_score", "judge_readiness", "ReadinessEvidence", "STATUS_POINTS"]

STATUS_POINTS = {"covered": AUTOMATED_POINTS, "partly": MANUAL_POINTS, "not_yet": 0.0, "outside": 0.0}


@dataclass(frozen=True)
class ReadinessEvidence:
    """What the registry holds about one model, read once; the judging is pure."""

    model: str
    version: Version | None
    runs: dict[str, StageRun]  # the latest run of each stage of ``version``
    artifacts: frozenset[str]  # the kinds of file stored for ``version``
    serving: ServingState
    canaries: tuple[CanaryRun, ...]
    monitored: tuple[MonitoringPeriod, ...]  # the monitoring job's daily periods, any version
    alerts: int


def _passed(evidence: ReadinessEvidence, stage: str) -> StageRun | None:
    run = evidence.runs.get(stage)
    return run if run is not None and run.status == "passed" else None


def _item(key: tuple[str, int], status: str, evidence: str, gap: str | None = None) -> ReadinessItem:
    name, asks = TESTS[key]
    return ReadinessItem(section=key[0], number=key[1], name=name, asks=asks, status=status,
                         points=STATUS_POINTS[status], evidence=evidence, gap=None if status == "covered" else gap)


def _data_tests(ev: ReadinessEvidence) -> list[ReadinessItem]:
    version = ev.version
    columns = (version.input_schema or {}).get("columns") if version else None
    reports = _passed(ev, "reports")
    fairness = (reports.evidence.get("fairness") or {}) if reports else {}
    explained = "explainability_report" in ev.artifacts
    return [
        _item(("data", 1), "covered" if columns else "not_yet",
              f"The build recorded an input schema of {len(columns)} columns; the scoring gateway checks every "
              "request against it and monitoring compares live inputs with the test rows." if columns else
              "No input schema is recorded for this version yet.",
              "Run the pipeline: its build stage records the schema of every input."),
        _item(("data", 2), "partly" if explained else "not_yet",
              "The explainability report shows how much each input drives the scores (SHAP importance), so an input "
              "that adds nothing stands out; no run checks what the model loses without each input." if explained else
              "No explainability report is stored for this version.",
              "Retrain without each low-importance input (a version per input, or an ablation in the factory) and "
              "drop the ones the model does not miss."),
        _item(("data", 3), "outside",
              "Greenlight measures the whole model's size, memory and latency, not what each input costs.",
              "List each input's cost (where it comes from, who maintains it, how late it arrives) beside its "
              "importance in the explainability report, and review the list when the model is retrained."),
        _item(("data", 4), "partly" if reports and "sensitive_inputs" in fairness else "not_yet",
              "The reports stage names every sensitive feature, and every close proxy of one, that the model takes "
              "as input; the reviewers weigh it at sign-off." if reports and "sensitive_inputs" in fairness else
              "No fairness report has named the sensitive inputs of this version yet.",
              "Write down the inputs your organisation rules out and declare them as sensitive features in the spec, "
              "so each run names them if the model uses them; drop them with [data].drop."),
        _item(("data", 5), "outside",
              "Greenlight keeps data files inside the spec's folder and stores test rows in the artifact store, but it "
              "does not know what personal data the inputs hold or who may read it.",
              "Have the data protection officer review the data sources and the artifact store's access rights, "
              "and keep that review with the model."),
        _item(("data", 6), "outside",
              "Greenlight measures the lead time of whole versions, not of adding one input.",
              "Track how long a new input takes from request to production (your issue tracker knows) and shorten "
              "the slowest step."),
        _item(("data", 7), "partly" if _served_equals_trained(ev) else "not_yet",
              "The same typing of inputs is applied in training and in serving, and the test environment checked "
              "that the gateway's scores equal the pipeline's; the team's own feature code has no unit tests "
              "Greenlight can see." if _served_equals_trained(ev) else
              "The test environment has not compared served and trained scores for this version.",
              "Unit-test the code that prepares inputs (your transformers and the factory) in your own CI before "
              "`greenlight pipeline run`."),
    ]


def _served_equals_trained(ev: ReadinessEvidence) -> bool:
    run = _passed(ev, "test_validation")
    return bool(run and (run.evidence.get("test_environment") or {}).get("scores_checked_rows"))


def _model_tests(ev: ReadinessEvidence) -> list[ReadinessItem]:
    version = ev.version
    reports = _passed(ev, "reports")
    fairness = (reports.evidence.get("fairness") or {}) if reports else {}
    checks = fairness.get("checks") or []
    features = sorted({c.get("feature") for c in checks if c.get("feature")})
    realised = [p for p in ev.monitored if ((p.result.get("performance") or {}).get("realised"))]
    return [
        _item(("model", 1), "partly" if version and version.git_commit else "not_yet",
              f"The version records its git commit ({version.git_commit[:12]}) and the spec's SHA-256, so its "
              "definition is checked in; whether it was reviewed is not recorded." if version and version.git_commit
              else "No git commit is recorded for this version.",
              "Run the pipeline from CI with `--commit \"$(git rev-parse HEAD)\"` on a branch that needs an approved "
              "merge request."),
        _item(("model", 2), "partly" if realised else "not_yet",
              f"Monitoring measured live quality from real outcomes in {len(realised)} period(s), beside the figures "
              "the reviewers signed off; the business results the model serves are not measured here." if realised
              else "No live quality has been measured from real outcomes yet.",
              "Feed outcomes back to the gateway (/feedback) so monitoring measures live quality, and compare it with "
              "the business figure the model is meant to move."),
        _item(("model", 3), "outside",
              "The estimator's settings are recorded, but Greenlight does not search them.",
              "Tune the settings in the factory (a cross-validated search, say) and keep the search's results with "
              "the spec."),
        _item(("model", 4), "partly" if len(realised) >= 2 else "not_yet",
              f"Live quality over {len(realised)} periods shows how the model ages in production; no experiment "
              "measured it before release." if len(realised) >= 2 else
              "Fewer than two monitored periods with real outcomes: how quality decays with age is not known yet.",
              "Keep monitoring with outcomes; before release, score the model on data from later months than it was "
              "trained on to see how fast it decays."),
        _item(("model", 5), "outside",
              "Test validation compares each version with production and the previous approved version, which need not "
              "be simpler.",
              "Register a simple baseline (a logistic regression or a shallow tree) and approve it first: every later "
              "version is then compared with it on the same rows."),
        _item(("model", 6), "covered" if features else "not_yet",
              f"The fairness report measures accuracy, true- and false-positive rates per group of "
              f"{', '.join(features)}, each with its interval, on every run." if features else
              "No groups are analysed for this version: the spec declares no sensitive features, or no report ran.",
              "Declare the slices that matter in [data].sensitive_features (other slices, such as regions, too)."),
        _item(("model", 7), "covered" if checks else "not_yet",
              f"{len(checks)} fairness checks (demographic parity and equalized odds) judged against the policy, "
              "every run; a failed check needs a written acknowledgement at sign-off." if checks else
              "No fairness check has been judged for this version.",
              "Declare the sensitive features in the spec so the reports stage checks them."),
    ]


def _infrastructure_tests(ev: ReadinessEvidence) -> list[ReadinessItem]:
    version = ev.version
    lineage = version is not None and all((version.data_fingerprint, version.spec_hash, version.git_commit))
    smoke, validation = _passed(ev, "smoke_checks"), _passed(ev, "test_validation")
    gates = (validation.evidence.get("gates") or []) if validation else []
    canaried = [c for c in ev.canaries if version is not None and c.version == version.number]
    any_canary = bool(ev.canaries)
    rolled_back = [c for c in ev.canaries if c.outcome == "rolled_back"]
    target = ev.serving.previous is not None or ev.serving.canary is not None
    return [
        _item(("infrastructure", 1), "partly" if lineage else "not_yet",
              "The data fingerprint, the spec's SHA-256 and the git commit are recorded, so the run can be repeated; "
              "no second training has checked that it gives the same model." if lineage else
              "The version's lineage is incomplete (data fingerprint, spec hash or git commit missing).",
              "Run the pipeline with --commit, then run it again on the same commit and compare the two versions' "
              "metrics on the Compare page."),
        _item(("infrastructure", 2), "outside",
              "The spec is validated on every run, but the team's model code is tested, if at all, outside Greenlight.",
              "Add unit tests for the factory (it builds, fits a tiny sample, predicts) to your CI."),
        _item(("infrastructure", 3), "covered" if smoke and validation else "not_yet",
              "The pipeline ran end to end: the stored model was loaded in a fresh process and scored, then served "
              "from the test environment's gateway." if smoke and validation else
              "This version has not passed the smoke checks and test validation.",
              "Run the whole pipeline: `greenlight pipeline run SPEC`."),
        _item(("infrastructure", 4), "covered" if validation and gates else "not_yet",
              f"{len(gates)} gates judged before any live traffic, then the reviewers' sign-off; the guard refuses live "
              "traffic to a version that is not approved." if validation and gates else
              "No gate has been judged for this version yet.",
              "Run the pipeline to test validation; add gates in [gates] for what matters to you."),
        _item(("infrastructure", 5), "partly" if "explainability_report" in ev.artifacts else "not_yet",
              "The explainability report walks six single cases from the base rate to the score, input by input; "
              "it does not step through the computation itself." if "explainability_report" in ev.artifacts else
              "No explainability report is stored for this version.",
              "Keep a notebook that loads the stored model (`greenlight artifact get`) and scores one row step by "
              "step through its pipeline."),
        _item(("infrastructure", 6), "covered" if canaried else ("partly" if any_canary else "not_yet"),
              f"Version {version.number if version else '?'} served a canary, judged against production by the "
              "canary judge." if canaried else
              ("Other versions of this model went through a canary; this one did not." if any_canary else
               "No version of this model has gone through a canary."),
              "Start a canary (`greenlight canary start MODEL N`) and promote only on a passing verdict."),
        _item(("infrastructure", 7), "covered" if target or rolled_back else "not_yet",
              (f"A rollback sends all traffic back to production at once; {len(rolled_back)} canary(ies) of this "
               "model were rolled back" if rolled_back else
               "A rollback target is kept: one command sends all traffic back to the previous version") +
              (", and the previous version is kept as the rollback target." if ev.serving.previous else ".")
              if target or rolled_back else "Nothing to roll back to: no earlier version served this model.",
              "Promote new versions through a canary: the version it replaces stays as the rollback target."),
    ]


def _monitoring_tests(ev: ReadinessEvidence) -> list[ReadinessItem]:
    serving = ev.serving.production is not None or ev.serving.canary is not None
    drift = [p for p in ev.monitored if p.result.get("drift")]
    realised = [p for p in ev.monitored if (p.result.get("performance") or {}).get("realised")]
    judged = [p for p in ev.monitored if (p.result.get("performance") or {}).get("kind")]
    smoke = _passed(ev, "smoke_checks")
    validation = _passed(ev, "test_validation")
    compute = (validation.evidence.get("compute") or {}) if validation else {}
    version = ev.version
    expires = ((version.policy or {}).get("signoff") or {}).get("expires_days") if version else None
    return [
        _item(("monitoring", 1), "outside",
              "Greenlight does not watch the data sources or libraries the model depends on.",
              "Subscribe the team to the owners' change notices of each data source and pin library versions in CI."),
        _item(("monitoring", 2), "covered" if drift else ("partly" if serving else "not_yet"),
              f"Every request is checked against the input schema, and monitoring judged input drift against the "
              f"test rows in {len(drift)} period(s)." if drift else
              ("Every request is checked against the input schema, but the monitoring job has not judged drift yet."
               if serving else "The model does not serve live traffic yet."),
              "Schedule `greenlight monitor run` (or `greenlight monitor schedule`)."),
        _item(("monitoring", 3), "covered" if _served_equals_trained(ev) else "not_yet",
              "The test environment checked that the gateway's scores equal the pipeline's on the same rows (to "
              "1e-9); a difference fails the stage." if _served_equals_trained(ev) else
              "The test environment has not compared served and trained scores for this version.",
              "Run the pipeline through test validation."),
        _item(("monitoring", 4), "partly" if expires else "not_yet",
              f"An approval lapses after {expires} days and the reviewers must look again; monitoring recommends "
              "retraining on degradation. No alert fires on the model's age alone." if expires else
              "No approval lifetime applies to this version yet.",
              "Plan a retraining date from the model's decay (see monitoring) and set [signoff].expires_days to it."),
        _item(("monitoring", 5), "covered" if smoke and ev.monitored else ("partly" if smoke else "not_yet"),
              ("The smoke checks found no missing values and scores within [0, 1], deterministically" +
               (f"; monitoring counted scoring errors in {len(ev.monitored)} period(s)." if ev.monitored else
                "; live scoring errors are not monitored yet.")) if smoke else
              "The smoke checks have not passed for this version.",
              "Schedule the monitoring job: it alerts when more than 5% of live requests fail."),
        _item(("monitoring", 6), "partly" if compute else "not_yet",
              "Every version's fit time, memory, latency and throughput are measured and compared across versions, "
              "and the canary judge fails a slower canary; no alert watches them drift in production." if compute
              else "No computational measures are recorded for this version.",
              "Scrape the gateway's /metrics with Prometheus and alert on latency and memory."),
        _item(("monitoring", 7), "covered" if realised or judged else ("not_yet"),
              f"Monitoring judged live quality against the signed-off band in {len(judged)} period(s) "
              f"({len(realised)} from real outcomes), with {ev.alerts} alert(s) raised." if judged else
              "Live prediction quality has not been judged yet.",
              "Feed outcomes back to the gateway and schedule the monitoring job."),
    ]


def judge_readiness(evidence: ReadinessEvidence) -> ReadinessScore:
    """The 28 tests judged from ``evidence``; the score is the minimum of the four section sums."""
    judged = {"data": _data_tests(evidence), "model": _model_tests(evidence),
              "infrastructure": _infrastructure_tests(evidence), "monitoring": _monitoring_tests(evidence)}
    sections = tuple(ReadinessSection(key=key, title=SECTIONS[key], items=tuple(judged[key])) for key in SECTIONS)
    score = min(s.points for s in sections)
    return ReadinessScore(model=evidence.model, version=evidence.version.number if evidence.version else None,
                          sections=sections, reading=score_reading(score))


def gather_evidence(app: App, model: str) -> ReadinessEvidence:
    """Read what :func:`judge_readiness` needs about ``model``: production's version, else the newest."""
    from backend.monitoring.store import MonitoringStore  # monitoring imports this package

    summary = app.registry.get_model(model)
    serving = app.registry.serving_state(model)
    number = serving.production or summary.latest_version
    version = app.registry.get_version(model, number) if number is not None else None
    runs: dict[str, StageRun] = {}
    kinds: frozenset[str] = frozenset()
    if version is not None:
        for run in app.registry.list_stage_runs(model, number):
            runs[run.stage] = run  # oldest first: the latest run of a stage wins
        kinds = frozenset(ref.kind for ref in app.registry.list_artifacts(model, number))
    monitoring = MonitoringStore(app.db)
    return ReadinessEvidence(model=model, version=version, runs=runs, artifacts=kinds, serving=serving,
                             canaries=tuple(app.deployments.canaries(model)),
                             monitored=tuple(monitoring.periods(model, "day")),
                             alerts=len(monitoring.alerts(model=model)))


def readiness_score(app: App, model: str) -> ReadinessScore:
    """``model``'s production-readiness score, following the ML Test Score rubric.

    Parameters
    ----------
    app : App
    model : str

    Returns
    -------
    ReadinessScore
        The rubric's 28 tests in four sections, each judged from what the registry shows for this
        model (covered: one point; partly: half a point; not yet or outside Greenlight: none, with
        what the team can do); the score is the smallest section sum, as the paper defines it.
    """
    return judge_readiness(gather_evidence(app, model))


