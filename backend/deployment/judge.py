"""The canary judge: does the canary serve as well as production, over the same window?

In the way of Netflix's Kayenta (its Mann–Whitney classifier): each metric is compared with a
one-sided Mann–Whitney U test, and a difference counts only when it is both significant and
larger than the metric's tolerance, so that a million requests do not fail a canary for a
difference nobody would notice. Error rate and latency are *critical*: their failure rolls the
canary back by itself. The shift between the two score distributions and, once outcomes
arrive, the quality difference (with a 95% interval) are judged too.

The verdict is **pass**, **fail** or **wait** ("keep waiting"):

* a pass needs the policy's ``canary.min_requests`` on both sides, so small numbers never
  pass a canary;
* a critical failure is called as soon as the evidence is overwhelming (``EARLY_ALPHA``),
  even before ``min_requests``: an error spike on the first hundred requests is clear, and
  waiting would only serve more people a broken model. The stricter level before
  ``min_requests`` pays for looking at the data again and again as it arrives.

Everything here is pure: numbers in, a :class:`Judgement` out. Reading the log and storing
the verdict are the deployment service's work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import ks_2samp

from backend.deployment.stats import Z95, auc, auc_se, capped, greater_p, newcombe, psi
from backend.domain import CanaryCheck, SlotMetrics

__all__ = ["SideSample", "Judgement", "JudgeSettings", "DEFAULT_SETTINGS", "judge", "slot_metrics", "psi"]


@dataclass(frozen=True)
class JudgeSettings:
    """The judge's significance levels and tolerances (the organisation's; the spec sets only
    ``canary.min_requests``)."""

    alpha: float = 0.01  # significance once both sides have min_requests
    early_alpha: float = 0.001  # before that: only an overwhelming failure counts
    early_min: int = 20  # below this on either side, nothing at all is said
    error_rate_tolerance: float = 0.01  # the canary may err at most one percentage point more often
    latency_tolerance: float = 0.5  # ... and be at most half as slow again (median) ...
    latency_floor_ms: float = 2.0  # ... or 2 ms, whichever is larger
    shift_fail_psi: float = 0.25  # a major shift of the score distribution (the usual PSI rule)
    shift_note_psi: float = 0.10  # a moderate one: said, not failed
    quality_min_outcomes: int = 50  # outcomes on each side before quality is judged
    quality_min_class: int = 5  # each class at least this often on each side, for an AUC
    quality_tolerance: float = 0.02  # AUC or accuracy: clearly worse by more than two points fails
    regression_tolerance: float = 0.10  # mean absolute error: clearly worse by more than 10% fails
    test_sample_cap: int = 50_000  # per side, for the rank tests (a seeded sample beyond that)


DEFAULT_SETTINGS = JudgeSettings()


@dataclass(frozen=True)
class SideSample:
    """What one slot served over the window, as arrays (one entry per logged prediction).

    ``score`` and ``positive`` cover the predictions that did not fail; ``outcome``,
    ``outcome_score`` and ``outcome_correct`` the ones whose true outcome arrived
    (``outcome`` is 0/1 for classification, the value for regression).
    """

    slot: str
    version: int | None
    latency_ms: np.ndarray
    error: np.ndarray
    score: np.ndarray
    positive: np.ndarray | None = None
    outcome: np.ndarray = field(default_factory=lambda: np.empty(0))
    outcome_score: np.ndarray = field(default_factory=lambda: np.empty(0))
    outcome_correct: np.ndarray | None = None
    simulated: int = 0

    @property
    def requests(self) -> int:
        return int(len(self.error))

    @property
    def errors(self) -> int:
        return int(np.count_nonzero(self.error))


@dataclass(frozen=True)
class Judgement:
    verdict: str  # pass | fail | wait
    headline: str
    reasons: tuple[str, ...]
    checks: tuple[CanaryCheck, ...]
    critical_failure: bool


# -- formatting ----------------------------------------------------------------------------------

def _pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def _n(value: int) -> str:
    return f"{value:,}"


def _plural(count: int, word: str) -> str:
    return f"{_n(count)} {word}{'' if count == 1 else 's'}"


# -- statistics ----------------------------------------------------------------------------------

def _p(value: float) -> str:
    return "p < 0.0001" if value < 1e-4 else f"p = {value:.2g}"


# -- the checks ----------------------------------------------------------------------------------

def _errors(canary: SideSample, production: SideSample, alpha: float, enough: bool,
            settings: JudgeSettings) -> CanaryCheck:
    rate_c, rate_p = canary.errors / canary.requests, production.errors / production.requests
    p = greater_p(canary.error.astype(float), production.error.astype(float))
    excess = rate_c - rate_p
    numbers = (f"{_pct(rate_c)} of the canary's predictions failed ({_n(canary.errors)} of {_n(canary.requests)}), "
               f"against {_pct(rate_p)} in production ({_n(production.errors)} of {_n(production.requests)})")
    details = {"excess": excess, "tolerance": settings.error_rate_tolerance, "alpha": alpha}
    if p < alpha and excess > settings.error_rate_tolerance:
        status, summary = "fail", (f"Errors: {numbers}. That is more than the {_pct(settings.error_rate_tolerance, 0)} "
                                   f"allowed, and too large a gap to be chance ({_p(p)}).")
    elif not enough:
        status, summary = "wait", f"Errors so far: {numbers}; no sign of a problem yet."
    else:
        status, summary = "pass", (f"Errors: {numbers}; the canary fails no more often than production allows "
                                   f"(at most {_pct(settings.error_rate_tolerance, 0)} more).")
    return CanaryCheck(name="errors", label="Error rate", status=status, critical=True, summary=summary,
                       canary=rate_c, production=rate_p, p_value=p, details=details)


def _latency(canary: SideSample, production: SideSample, alpha: float, enough: bool, expected_extra_ms: float,
             settings: JudgeSettings) -> CanaryCheck:
    lat_c = capped(canary.latency_ms.astype(float), settings.test_sample_cap, 1)
    lat_p = capped(production.latency_ms.astype(float), settings.test_sample_cap, 2)
    med_c, med_p = float(np.median(lat_c)), float(np.median(lat_p))
    # Test validation measured how much slower this version is on its own; the reviewers signed
    # off on that. The judge looks for slowness beyond it: a serving problem, not the model's known cost.
    extra = max(0.0, expected_extra_ms)
    p = greater_p(lat_c - extra, lat_p)
    allowance = max(settings.latency_floor_ms, settings.latency_tolerance * med_p)
    beyond = med_c - extra - med_p
    numbers = (f"the canary answers in {_ms(med_c)} (median; 95th percentile {_ms(float(np.quantile(lat_c, 0.95)))}), "
               f"production in {_ms(med_p)} (95th percentile {_ms(float(np.quantile(lat_p, 0.95)))})")
    expected = (f"; test validation had measured this version {_ms(extra)} slower per row, which the reviewers "
                "accepted" if extra > 0 else "")
    details = {"expected_extra_ms": extra, "allowance_ms": allowance, "beyond_ms": beyond, "alpha": alpha}
    if p < alpha and beyond > allowance:
        status, summary = "fail", (f"Speed: {numbers}{expected}. It is {_ms(beyond)} slower than that, more than the "
                                   f"{_ms(allowance)} allowed, and too large a gap to be chance ({_p(p)}).")
    elif not enough:
        status, summary = "wait", f"Speed so far: {numbers}{expected}; no sign of a problem yet."
    else:
        status, summary = "pass", f"Speed: {numbers}{expected}; the canary is not slower than allowed."
    return CanaryCheck(name="latency", label="Latency (median)", status=status, critical=True, summary=summary,
                       canary=med_c, production=med_p, p_value=p, details=details)


def _classification_measures(canary: SideSample, production: SideSample,
                             settings: JudgeSettings) -> list[tuple[str, float, float, float, float, float, str]]:
    """(metric, canary, production, difference, low, high, sentence) for the ROC AUC (how well
    the scores separate the outcomes) and the accuracy of the decisions, where each can be had."""
    n_c, n_p = len(canary.outcome), len(production.outcome)
    measures = []
    classes_ok = all(min(int(s.outcome.sum()), int(len(s.outcome) - s.outcome.sum())) >= settings.quality_min_class
                     for s in (canary, production))
    if classes_ok:
        auc_c, auc_p = auc(canary.outcome, canary.outcome_score), auc(production.outcome, production.outcome_score)
        se = math.hypot(auc_se(auc_c, int(canary.outcome.sum()), int(n_c - canary.outcome.sum())),
                        auc_se(auc_p, int(production.outcome.sum()), int(n_p - production.outcome.sum())))
        diff = auc_c - auc_p
        low, high = diff - Z95 * se, diff + Z95 * se
        measures.append(("roc_auc", auc_c, auc_p, diff, low, high,
                         f"its scores separate the outcomes with a ROC AUC of {auc_c:.3f} against production's "
                         f"{auc_p:.3f} (difference {diff:+.3f}, 95% interval {low:+.3f} to {high:+.3f})"))
    if canary.outcome_correct is not None and production.outcome_correct is not None:
        right_c, right_p = int(canary.outcome_correct.sum()), int(production.outcome_correct.sum())
        diff, low, high = newcombe(right_c, n_c, right_p, n_p)
        measures.append(("accuracy", right_c / n_c, right_p / n_p, diff, low, high,
                         f"its decisions were right {_pct(right_c / n_c)} of the time against production's "
                         f"{_pct(right_p / n_p)} (difference {diff * 100:+.1f} points, 95% interval "
                         f"{low * 100:+.1f} to {high * 100:+.1f})"))
    return measures


def _quality(canary: SideSample, production: SideSample, task: str, enough: bool,
             settings: JudgeSettings) -> CanaryCheck:
    n_c, n_p = len(canary.outcome), len(production.outcome)
    label = "Quality on the outcomes that arrived"
    need = settings.quality_min_outcomes
    if not enough or n_c < need or n_p < need:
        return CanaryCheck(name="quality", label=label, status="not_judged", critical=False,
                           summary=(f"Quality: {_n(n_c)} of the canary's and {_n(n_p)} of production's predictions "
                                    f"have their true outcome so far; quality is judged from {need} on each side, "
                                    "once the canary has served enough requests. It is not needed for a verdict."),
                           details={"outcomes_canary": n_c, "outcomes_production": n_p})
    if task == "regression":
        err_c = np.abs(canary.outcome_score - canary.outcome)
        err_p = np.abs(production.outcome_score - production.outcome)
        mae_c, mae_p = float(err_c.mean()), float(err_p.mean())
        diff = mae_c - mae_p
        se = math.sqrt(err_c.var(ddof=1) / n_c + err_p.var(ddof=1) / n_p) if n_c > 1 and n_p > 1 else 0.0
        low, high = diff - Z95 * se, diff + Z95 * se
        worse = [f"average error {mae_c:.3g} against {mae_p:.3g}"] if (
            low > 0 and diff > settings.regression_tolerance * mae_p) else []
        better = high < 0
        text = (f"its average error is {mae_c:.3g} against production's {mae_p:.3g} (difference {diff:+.3g}, 95% "
                f"interval {low:+.3g} to {high:+.3g})")
        details = {"metric": "mae", "difference": diff, "low": low, "high": high}
        c_value, p_value = mae_c, mae_p
    else:
        measures = _classification_measures(canary, production, settings)
        if not measures:
            return CanaryCheck(name="quality", label=label, status="not_judged", critical=False,
                               summary="Quality: the outcomes that arrived cannot be compared with the decisions.")
        # Clearly worse: the whole interval below zero, and by more than the tolerance.
        worse = [m[0] for m in measures if m[5] < 0 and m[3] < -settings.quality_tolerance]
        better = all(m[4] > 0 for m in measures)
        text = "; ".join(m[6] for m in measures)
        details = {m[0]: {"canary": m[1], "production": m[2], "difference": m[3], "low": m[4], "high": m[5]}
                   for m in measures}
        c_value, p_value = measures[0][1], measures[0][2]
    details.update(outcomes_canary=n_c, outcomes_production=n_p)
    if worse:
        status, verdict = "fail", "The canary is clearly worse, by more than the tolerance."
    else:
        status, verdict = "pass", "The canary is better." if better else "The canary is not clearly worse."
    return CanaryCheck(name="quality", label=label, status=status, critical=False,
                       summary=f"Quality, on {_n(n_c)} and {_n(n_p)} outcomes: {text}. {verdict}",
                       canary=c_value, production=p_value, details=details)


def _shift(canary: SideSample, production: SideSample, enough: bool, quality: CanaryCheck,
           settings: JudgeSettings) -> CanaryCheck:
    label = "Shift of the scores"
    if len(canary.score) == 0 or len(production.score) == 0:
        return CanaryCheck(name="score_shift", label=label, status="wait" if not enough else "not_judged",
                           critical=False, summary="Scores: one side has no scored predictions to compare yet.")
    index = psi(production.score, canary.score)
    ks = ks_2samp(capped(canary.score, settings.test_sample_cap, 3), capped(production.score,
                                                                             settings.test_sample_cap, 4))
    means = f"average score {canary.score.mean():.3f} against {production.score.mean():.3f}"
    details = {"psi": index, "ks_statistic": float(ks.statistic)}
    if not enough:
        return CanaryCheck(name="score_shift", label=label, status="wait", critical=False, canary=index,
                           summary=f"Scores so far: {means} (stability index {index:.2f}); judged once both sides "
                                   "have served enough requests.", p_value=float(ks.pvalue), details=details)
    if index >= settings.shift_fail_psi:
        if quality.status == "pass":
            status, text = "pass", (f"the canary's scores differ a lot from production's ({means}; stability index "
                                    f"{index:.2f}, where {settings.shift_fail_psi:.2f} or more is a major shift), but "
                                    "on the outcomes that arrived it decides at least as well")
        else:
            evidence = ("the outcomes show it decides worse" if quality.status == "fail" else
                        "no outcomes yet show that it decides as well")
            status, text = "fail", (f"the canary's scores differ a lot from production's ({means}; stability index "
                                    f"{index:.2f}, where {settings.shift_fail_psi:.2f} or more is a major shift): its "
                                    f"decisions would change for many people, and {evidence}")
    elif index >= settings.shift_note_psi:
        status, text = "pass", (f"the canary's scores moved moderately ({means}; stability index {index:.2f}); "
                                "worth watching, not a failure")
    else:
        status, text = "pass", f"the two score the same traffic alike ({means}; stability index {index:.2f})"
    return CanaryCheck(name="score_shift", label=label, status=status, critical=False,
                       summary=f"Scores: {text}.", canary=index, p_value=float(ks.pvalue), details=details)


_FAILED_IN_WORDS = {"score_shift": "its scores shift a lot", "quality": "it decides worse on the outcomes that arrived",
                    "errors": "it fails requests more often", "latency": "it is slower"}


# -- the verdict ---------------------------------------------------------------------------------

def judge(canary: SideSample, production: SideSample, *, min_requests: int, task: str = "classification",
          expected_extra_latency_ms: float = 0.0, settings: JudgeSettings = DEFAULT_SETTINGS) -> Judgement:
    """Compare the canary with production over one window.

    Parameters
    ----------
    canary, production : SideSample
        What each served, from the prediction log.
    min_requests : int
        The version's frozen ``canary.min_requests``: each side's predictions before a pass.
    task : str
        ``classification`` or ``regression``: how quality is measured.
    expected_extra_latency_ms : float
        How much slower test validation measured the canary's version than production's
        (median, one row); the judge allows for it.

    Returns
    -------
    Judgement
        ``pass``, ``fail`` or ``wait``; every reason in plain words; ``critical_failure`` when
        error rate or latency failed (the service then rolls the canary back).
    """
    names = f"the canary (version {canary.version})", f"production (version {production.version})"
    n_c, n_p = canary.requests, production.requests
    if n_c < settings.early_min or n_p < settings.early_min:
        short = [f"{name} has served {_plural(n, 'prediction')}" for name, n in zip(names, (n_c, n_p), strict=True)]
        headline = (f"Keep waiting: {' and '.join(short)} since the canary started; the policy asks for "
                    f"{_n(min_requests)} on each side before a verdict.")
        return Judgement("wait", headline, (headline,), (), False)
    enough = n_c >= min_requests and n_p >= min_requests
    alpha = settings.alpha if enough else settings.early_alpha
    quality = _quality(canary, production, task, enough, settings)
    checks = (_errors(canary, production, alpha, enough, settings),
              _latency(canary, production, alpha, enough, expected_extra_latency_ms, settings),
              _shift(canary, production, enough, quality, settings), quality)
    critical = [c for c in checks if c.critical and c.status == "fail"]
    failed = [c for c in checks if c.status == "fail"]
    served = f"over {_plural(n_c, 'prediction')} by the canary and {_n(n_p)} by production"
    if critical:
        verdict = "fail"
        headline = (f"Fail: {names[0]} " + " and ".join(
            "fails requests far more often" if c.name == "errors" else "is much slower" for c in critical)
            + f" than {names[1]}, {served}.")
    elif failed:
        verdict = "fail"
        headline = (f"Fail: {names[0]} does not match {names[1]} {served}: " + " and ".join(
            _FAILED_IN_WORDS[c.name] for c in failed) + ". A person decides: roll it back, or an admin promotes it "
            "with a written reason.")
    elif not enough:
        verdict = "wait"
        lagging = [f"{name} has served {_n(n)} of the {_n(min_requests)} predictions the policy asks for"
                   for name, n in zip(names, (n_c, n_p), strict=True) if n < min_requests]
        headline = f"Keep waiting: {'; '.join(lagging)} before a verdict. Nothing so far points to a problem."
    else:
        verdict = "pass"
        headline = f"Pass: {names[0]} serves as well as {names[1]}, {served}."
    ordered = sorted(checks, key=lambda c: {"fail": 0, "wait": 1, "pass": 2}.get(c.status, 3))
    return Judgement(verdict, headline, tuple(c.summary for c in ordered), checks, bool(critical))


def slot_metrics(side: SideSample, task: str = "classification") -> SlotMetrics:
    """The live figures of one slot, for the side-by-side table."""
    n = side.requests
    latency = side.latency_ms.astype(float)
    quality_metric = quality = None
    outcomes = len(side.outcome)
    if outcomes:
        if task == "regression":
            quality_metric, quality = "mae", float(np.abs(side.outcome_score - side.outcome).mean())
        elif 0 < side.outcome.sum() < outcomes:
            quality_metric, quality = "roc_auc", auc(side.outcome, side.outcome_score)
        elif side.outcome_correct is not None:
            quality_metric, quality = "accuracy", float(side.outcome_correct.mean())
    return SlotMetrics(
        slot=side.slot, version=side.version, requests=n, simulated=side.simulated, errors=side.errors,
        error_rate=side.errors / n if n else None,
        latency_p50_ms=float(np.median(latency)) if n else None,
        latency_p95_ms=float(np.quantile(latency, 0.95)) if n else None,
        mean_score=float(side.score.mean()) if len(side.score) else None,
        positive_rate=float(side.positive.mean()) if side.positive is not None and len(side.positive) else None,
        outcomes=outcomes, quality_metric=quality_metric, quality=quality)
