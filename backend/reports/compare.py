"""Champion and challenger: two versions of a model side by side, and whether to promote.

Everything here is read from what the pipeline stored — each version's test-set scores, its
fairness and explainability reports, its test-validation evidence — and, with a canary running,
from the deployment service's live figures. The only computing is the paired bootstrap on the
two stored score columns (the same function and seed the pipeline uses), and only when both
versions scored the same test rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from backend.domain import DeploymentStatus
from backend.errors import InvalidData, NotFound
from backend.metrics import METRICS, PRIMARY_METRIC
from backend.pipeline.evaluation import compare, compute_metrics, paired_bootstrap
from backend.registry.stages import STAGE_ORDER
from backend.registry.states import State
from backend.reports._store import VersionReports, load_reports, load_test_scores

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["VersionComparison", "MetricDifference", "FairnessPair", "DriverChange", "ComputePair",
           "Recommendation", "compare_versions", "with_live", "default_pair", "RECOMMENDATION_RULE", "SLOWER_RATIO"]

BOOTSTRAP_RESAMPLES = 1000  # as in test validation, so the same pair gives the same interval
#: A challenger this many times slower (latency p95) than the champion is not recommended.
SLOWER_RATIO = 2.0
TOP_DRIVERS = 5
COMPUTE_FIGURES = ("latency_p50_ms", "latency_p95_ms", "throughput_rows_per_s", "model_size_mb", "peak_memory_mb")
RECOMMENDATION_RULE = (
    "Greenlight recommends promoting the challenger only when it was not stopped, rejected or rolled back, was "
    "tested on the same rows as the champion, is "
    "not worse on the primary metric (a 95% interval of the difference that lies entirely on the worse side counts "
    f"as worse), adds no failed fairness check, is less than {SLOWER_RATIO:g} times as slow (latency p95), and, "
    "with a canary running, its canary has not failed.")


@dataclass(frozen=True)
class MetricDifference:
    """One metric of both versions; ``difference``, ``low`` and ``high`` (challenger − champion,
    95% interval) only when both scored the same rows."""

    name: str
    label: str
    explanation: str
    higher_is_better: bool
    champion: float | None
    challenger: float | None
    difference: float | None = None
    low: float | None = None
    high: float | None = None
    verdict: str | None = None  # better | worse | no clear difference


@dataclass(frozen=True)
class FairnessPair:
    """One fairness check (a metric on a sensitive feature) in both versions' reports."""

    feature: str
    metric: str
    label: str
    champion_verdict: str | None
    champion_value: float | None
    challenger_verdict: str | None
    challenger_value: float | None

    @property
    def new_fail(self) -> bool:
        return self.challenger_verdict == "fail" and self.champion_verdict != "fail"


@dataclass(frozen=True)
class DriverChange:
    """An input among the top drivers of either version: its share of the model's attention."""

    feature: str
    champion_rank: int | None
    champion_share: float | None
    challenger_rank: int | None
    challenger_share: float | None


@dataclass(frozen=True)
class ComputePair:
    name: str
    label: str
    explanation: str
    champion: float | None
    challenger: float | None

    @property
    def ratio(self) -> float | None:
        if self.champion is None or self.challenger is None or self.champion <= 0:
            return None
        return self.challenger / self.champion


@dataclass(frozen=True)
class Recommendation:
    promote: bool
    headline: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class VersionComparison:
    """Version ``champion`` (kept) against version ``challenger`` (the candidate to promote)."""

    model: str
    task: str
    champion: int
    challenger: int
    champion_role: str  # "production", "older" ...
    same_rows: bool
    rows: int | None  # the shared test rows, when ``same_rows``
    rows_note: str  # why they are (or are not) compared row by row, in plain words
    primary_metric: str
    metrics: tuple[MetricDifference, ...]
    fairness: tuple[FairnessPair, ...]
    drivers: tuple[DriverChange, ...]
    compute: tuple[ComputePair, ...]
    recommendation: Recommendation
    live: DeploymentStatus | None = None  # the running canary's live figures, when it is one of the two
    missing: tuple[str, ...] = field(default_factory=tuple)  # what a version lacks (no reports yet, ...)


def default_pair(app: App, model: str) -> tuple[int, int]:
    """(champion, challenger): production against the newest version; with nothing in production
    (or production being the newest), the two newest versions.

    Raises :class:`~backend.errors.InvalidData` when the model has fewer than two versions.
    """
    newest = [v.number for v in app.registry.list_versions(model, limit=2).versions]
    if len(newest) < 2:
        raise InvalidData(f"'{model}' has {len(newest)} version{'s' if len(newest) != 1 else ''}; a comparison "
                          "needs two.")
    production = app.registry.serving_state(model).production
    if production is not None and production != newest[0]:
        return production, newest[0]
    return newest[1], newest[0]


def _evidence(app: App, model: str, number: int, stage: str) -> dict[str, Any]:
    runs = [r for r in app.registry.list_stage_runs(model, number) if r.stage == stage and r.status == "passed"]
    return dict(runs[-1].evidence) if runs else {}


def _scores(app: App, model: str, number: int):
    try:
        return load_test_scores(app, model, number)
    except NotFound:
        return None


def _reports(app: App, model: str, number: int) -> VersionReports:
    try:
        return load_reports(app, model, number)
    except ValueError:  # a report that is not JSON reads as missing; a changed one still raises
        return VersionReports(model, number, None, None, None, None, {}, False)


def _test_data_identity(app: App, model: str, number: int) -> str | None:
    """The test file's SHA-256 from the build evidence, else the version's data fingerprint."""
    test = (_evidence(app, model, number, "build").get("data") or {}).get("test") or {}
    return test.get("sha256") or app.registry.get_version(model, number).data_fingerprint


def _rows_check(app: App, model: str, a: int, b: int, sa, sb) -> tuple[bool, str]:
    if sa is None or sb is None:
        lacking = " and ".join(f"version {n}" for n, s in ((a, sa), (b, sb)) if s is None)
        return False, (f"{lacking.capitalize()} has no stored test-set scores (its reports stage did not run), so the "
                       "two cannot be compared row by row.")
    ida, idb = _test_data_identity(app, model, a), _test_data_identity(app, model, b)
    if ida is None or idb is None or ida != idb:
        return False, (f"Versions {a} and {b} were tested on different data (their test data fingerprints differ), "
                       "so their scores cannot be paired row by row: each version's own figures are shown, with no "
                       "interval on the difference. Test both on the same data to compare them fairly.")
    if len(sa) != len(sb) or not np.array_equal(sa["y_true"].to_numpy(), sb["y_true"].to_numpy()):
        return False, (f"Versions {a} and {b} name the same test data but their stored test rows differ "
                       f"({len(sa):,} against {len(sb):,} rows, or different outcomes), so they are not compared row "
                       "by row; each version's own figures are shown, with no interval on the difference.")
    return True, (f"Both versions scored the same {len(sa):,} test rows, so each difference comes with a 95% interval "
                  "from re-drawing those rows at random (a paired bootstrap).")


def _metrics(task: str, same: bool, sa, sb, ev_a: dict, ev_b: dict) -> tuple[MetricDifference, ...]:
    names = [n for n, m in METRICS.items() if m.kind == "ml" and task in m.tasks]
    own_a = compute_metrics(task, sa["y_true"].to_numpy(), sa["score"].to_numpy()) if sa is not None else \
        (ev_a.get("metrics") or {})
    own_b = compute_metrics(task, sb["y_true"].to_numpy(), sb["score"].to_numpy()) if sb is not None else \
        (ev_b.get("metrics") or {})
    intervals = paired_bootstrap(task, sa["y_true"].to_numpy(), sb["score"].to_numpy(), sa["score"].to_numpy(),
                                 resamples=BOOTSTRAP_RESAMPLES) if same else {}
    out = []
    for name in names:
        info = METRICS[name]
        extra: dict[str, Any] = {}
        if name in intervals:
            i = intervals[name]
            extra = {"difference": i["difference"], "low": i["low"], "high": i["high"],
                     "verdict": compare(i, higher_is_better=info.higher_is_better)}
        out.append(MetricDifference(name=name, label=info.label, explanation=info.explanation,
                                    higher_is_better=info.higher_is_better, champion=own_a.get(name),
                                    challenger=own_b.get(name), **extra))
    return tuple(out)


def _checks(report: dict | None) -> dict[tuple[str, str], dict]:
    return {(f.get("feature", ""), c.get("metric", "")): c for f in (report or {}).get("features", [])
            for c in f.get("checks", [])}


def _fairness(fa: dict | None, fb: dict | None) -> tuple[FairnessPair, ...]:
    ca, cb = _checks(fa), _checks(fb)
    out = []
    for key in list(cb) + [k for k in ca if k not in cb]:
        a, b = ca.get(key, {}), cb.get(key, {})
        label = b.get("label") or a.get("label") or (METRICS[key[1]].label if key[1] in METRICS else key[1])
        out.append(FairnessPair(feature=key[0], metric=key[1], label=label, champion_verdict=a.get("verdict"),
                                champion_value=a.get("value"), challenger_verdict=b.get("verdict"),
                                challenger_value=b.get("value")))
    return tuple(out)


def _drivers(ea: dict | None, eb: dict | None) -> tuple[DriverChange, ...]:
    ga = {d["feature"]: (i + 1, d.get("share")) for i, d in enumerate((ea or {}).get("global", []))}
    gb = {d["feature"]: (i + 1, d.get("share")) for i, d in enumerate((eb or {}).get("global", []))}
    top = [f for f, (rank, _) in gb.items() if rank <= TOP_DRIVERS]
    top += [f for f, (rank, _) in ga.items() if rank <= TOP_DRIVERS and f not in top]
    return tuple(DriverChange(feature=f, champion_rank=ga.get(f, (None, None))[0], champion_share=ga.get(f, (None, None))[1],
                              challenger_rank=gb.get(f, (None, None))[0], challenger_share=gb.get(f, (None, None))[1])
                 for f in top)


def _compute(ev_a: dict, ev_b: dict) -> tuple[ComputePair, ...]:
    ca, cb = ev_a.get("compute") or {}, ev_b.get("compute") or {}
    return tuple(ComputePair(name=n, label=METRICS[n].label, explanation=METRICS[n].explanation,
                             champion=ca.get(n), challenger=cb.get(n))
                 for n in COMPUTE_FIGURES if ca.get(n) is not None or cb.get(n) is not None)


def _live(app: App, model: str, a: int, b: int) -> DeploymentStatus | None:
    serving = app.registry.serving_state(model)
    if serving.canary is None or serving.canary not in (a, b):
        return None
    status = app.deployments.status(model)
    return status if status.canary is not None and status.canary.running else None


#: Why a challenger in one of these states cannot replace the champion, in plain words.
_STOPPED = {State.FAILED: "stopped in the pipeline", State.REJECTED: "was rejected at sign-off",
            State.ROLLED_BACK: "was rolled back from its canary"}


def _recommend(c: VersionComparison, challenger_state: str, stop_reason: str | None) -> Recommendation:
    a, b = c.champion, c.challenger
    against, good = [], []
    if challenger_state in _STOPPED:
        stage, sep, rest = (stop_reason or "").partition(": ")
        if sep and stage in STAGE_ORDER:  # "test_validation: Failed ..." names the stage for engineers
            stop_reason = f"at the {stage.replace('_', ' ')} stage, {rest[:1].lower()}{rest[1:]}"
        against.append(f"Version {b} {_STOPPED[challenger_state]}" + (f": {stop_reason}" if stop_reason else "."))
    primary = next((m for m in c.metrics if m.name == c.primary_metric), None)
    if not c.same_rows:
        against.append("The two versions were not tested on the same rows, so there is no like-for-like measure of "
                       "whether the challenger is better. " + c.rows_note)
    elif primary is not None and primary.verdict == "worse":
        against.append(f"Version {b} is worse than version {a} on {primary.label}, the primary metric: the difference "
                       f"is {primary.difference:+.3f} and its whole 95% interval ({primary.low:+.3f} to "
                       f"{primary.high:+.3f}) lies on the worse side.")
    elif primary is not None and primary.verdict == "better":
        good.append(f"Version {b} is better on {primary.label} (difference {primary.difference:+.3f}, 95% interval "
                    f"{primary.low:+.3f} to {primary.high:+.3f}).")
    elif primary is not None:
        good.append(f"On {primary.label} the two are level within chance (difference {primary.difference:+.3f}, 95% "
                    f"interval {primary.low:+.3f} to {primary.high:+.3f}).")
    for pair in c.fairness:
        if pair.new_fail:
            against.append(f"A new fairness fail: {pair.label} for {pair.feature} fails in version {b} but not in "
                           f"version {a}.")
    latency = next((x for x in c.compute if x.name == "latency_p95_ms"), None)
    if latency is not None and latency.ratio is not None and latency.ratio >= SLOWER_RATIO:
        against.append(f"Much slower: version {b} takes {latency.challenger:,.1f} ms at the 95th percentile against "
                       f"{latency.champion:,.1f} ms ({latency.ratio:.1f} times as long).")
    verdict = c.live.verdict if c.live is not None else None
    if verdict is not None and verdict.version == b and verdict.verdict == "fail":
        against.append(f"Its canary failed on live traffic: {verdict.headline}")
    if against:
        return Recommendation(False, f"Do not promote version {b}", tuple(against))
    if not any(p.challenger_verdict == "fail" for p in c.fairness):
        good.append("It adds no fairness fail.")
    return Recommendation(True, f"Promote version {b}", tuple(good))


def with_live(app: App, comparison: VersionComparison) -> VersionComparison:
    """``comparison`` with the running canary's live figures and verdict (when the canary is one of
    the two versions), and its recommendation made again with them.

    Kept apart from :func:`compare_versions` so that a caller may keep the stored part for long and
    read the live part afresh.
    """
    live = _live(app, comparison.model, comparison.champion, comparison.challenger)
    challenger = app.registry.get_version(comparison.model, comparison.challenger)
    updated = replace(comparison, live=live)
    return replace(updated, recommendation=_recommend(updated, challenger.state, challenger.failure_reason))


def compare_versions(app: App, model: str, champion: int, challenger: int, *,
                     live: bool = True) -> VersionComparison:
    """Version ``challenger`` against version ``champion`` of ``model``, from what was stored.

    Parameters
    ----------
    app : App
    model : str
    champion, challenger : int
        The version kept (say, production) and the candidate to promote.
    live : bool
        Also read the running canary's live figures (see :func:`with_live`).

    Returns
    -------
    VersionComparison
        Metrics with paired 95% intervals on the differences when both scored the same test rows
        (otherwise each version's own figures and why), the fairness checks of both, the top
        drivers, latency and size, the recommendation with its reasons, and the live canary
        figures when a canary of either version is running.

    Raises
    ------
    NotFound
        The model or a version does not exist.
    InvalidData
        The two numbers are the same version.
    """
    if champion == challenger:
        raise InvalidData(f"Choose two different versions to compare (both are version {champion}).")
    task = app.registry.get_model(model).task
    for number in (champion, challenger):
        app.registry.get_version(model, number)  # NotFound with a readable message
    sa, sb = _scores(app, model, champion), _scores(app, model, challenger)
    same, rows_note = _rows_check(app, model, champion, challenger, sa, sb)
    ev_a, ev_b = (_evidence(app, model, n, "test_validation") for n in (champion, challenger))
    metrics = _metrics(task, same, sa, sb, ev_a, ev_b)
    ra, rb = _reports(app, model, champion), _reports(app, model, challenger)
    fairness = _fairness(ra.fairness, rb.fairness)
    compute = _compute(ev_a, ev_b)
    missing = tuple(f"Version {n} has no {what}." for n, r, ev in ((champion, ra, ev_a), (challenger, rb, ev_b))
                    for what, present in (("fairness report", r.fairness is not None),
                                          ("explainability report", r.explainability is not None),
                                          ("test-validation figures", bool(ev)))
                    if not present)
    production = app.registry.serving_state(model).production
    stored = VersionComparison(
        model=model, task=task, champion=champion, challenger=challenger,
        champion_role="production" if production == champion else "",
        same_rows=same, rows=len(sa) if same else None, rows_note=rows_note, primary_metric=PRIMARY_METRIC[task],
        metrics=metrics, fairness=fairness, drivers=_drivers(ra.explainability, rb.explainability), compute=compute,
        recommendation=Recommendation(False, "", ()), missing=missing)
    if live:
        return with_live(app, stored)
    version = app.registry.get_version(model, challenger)
    return replace(stored, recommendation=_recommend(stored, version.state, version.failure_reason))
