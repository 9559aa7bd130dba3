"""The organisation's own path to production, step by step, for people new to it.

The steps come from the pipeline's own stage list, then sign-off (with the roles the
organisation's policy requires per risk tier), the canary and production. Each step says what
happens, why it matters, who is involved, how long it takes here (measured from the registry),
what can go wrong and how it is caught. Text read from the registry is always escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from backend.domain import PathExample, PathHistory, StageTiming
from backend.governance.policy import RISK_TIERS, floor_settings
from backend.pipeline.runner import STAGES
from backend.registry.stages import MANUAL_STAGE
from backend.reports._path_history import CANARY_STEP
from portal.policy_view import setting_in_words
from portal.signoff_wording import role_list
from portal.wording import (
    escape_markdown,
    failure_sentence,
    format_duration,
    format_when,
    glossary_link,
    stage_explanation,
)

__all__ = ["PRODUCTION_STEP", "StepGuide", "STEP_GUIDES", "path_steps", "timed_steps", "path_chart", "render"]

PRODUCTION_STEP = "production"


@dataclass(frozen=True)
class StepGuide:
    """What a newcomer needs to know about one step of the path."""

    title: str
    kind: str  # "Automatic checks" | "People decide" | "Live traffic"
    what: str
    why: str
    who: str
    wrong: str


STEP_GUIDES: dict[str, StepGuide] = {
    "build": StepGuide(
        "Build", "Automatic checks",
        "The pipeline trains the model from the team's spec file and data, and stores it with its lineage: the "
        "data's fingerprint, the settings, the code's commit and a SHA-256 of every file.",
        "Whatever happens later can be traced back to exactly this model and this data; nothing is rebuilt by hand.",
        "The data scientist writes the spec and starts the pipeline (from CI or the browser); the rest is automatic.",
        "Bad or missing data, a spec with a mistake, training that runs out of time or memory. The build stops with "
        "a message that names the problem, and nothing stored before is lost."),
    "smoke_checks": StepGuide(
        "Smoke checks", "Automatic checks",
        "The stored model is loaded in a fresh process, exactly as production would load it, and asked for "
        "predictions on a sample.",
        "A model that works on the data scientist's laptop but not from storage is caught before anyone reviews it.",
        "Automatic; the data scientist fixes what fails.",
        "A file that does not load, a tampered file (its fingerprint no longer matches), predictions that are "
        "missing or out of range. Each check is recorded with its message."),
    "reports": StepGuide(
        "Reports", "Automatic checks",
        "A fairness report compares how the model treats groups of people (with intervals and group sizes), and an "
        "explainability report shows what drives its scores.",
        "Reviewers judge the model on evidence, not on trust; unfair treatment is found before customers meet it.",
        "Automatic; the reviewers read the reports at sign-off.",
        "A group treated differently beyond the policy's limits: the check fails and a reviewer must acknowledge it "
        "in writing to approve. A group too small to judge is named as such, not hidden."),
    "test_validation": StepGuide(
        "Test environment", "Automatic checks",
        "In the test environment, the model is measured on data it never saw, against the policy's gates and "
        "against the champion now in production; speed, size and memory are measured through the serving path.",
        "A challenger that is worse than the champion, or too slow to serve, never reaches a reviewer's desk.",
        "Automatic; the gates come from the organisation's policy floor and the model's spec.",
        "A failed gate (say, accuracy below the minimum): the version stops here with a reason a person can read."),
    MANUAL_STAGE: StepGuide(
        "Sign-off", "People decide",
        "Reviewers in the roles the policy requires open the sign-off packet (the evidence, the reports, the "
        "comparison with production) and approve, approve with conditions, or reject.",
        "People accountable for the business, the risk and the law decide, on the exact evidence they saw.",
        "Reviewers by role (see the table below); never the version's own author.",
        "Evidence changed after a decision (a changed file voids the sign-off), an approval that expires, an open "
        "condition: each blocks live traffic until resolved."),
    CANARY_STEP: StepGuide(
        "Canary", "Live traffic",
        "A small share of live traffic goes to the new version while the champion serves the rest; a judge compares "
        "the two on real requests.",
        "Real traffic finds what test data cannot, while only a few decisions are at stake.",
        "The data scientist or ML engineer starts it and promotes or rolls it back; the judge gives the verdict.",
        "More errors, slower answers or different scores than the champion: the judge fails the canary and it is "
        "rolled back, sending all traffic to the champion at once."),
    PRODUCTION_STEP: StepGuide(
        "Production", "Live traffic",
        "The production alias swaps to the new version in one step; the previous champion stays ready as the "
        "rollback target. Monitoring then watches it period by period.",
        "The organisation gets the better model, with a way back that takes seconds.",
        "The data scientist or ML engineer promotes it, after a passing canary verdict or an administrator's "
        "written override; monitoring alerts the owners.",
        "The world changes: inputs drift, accuracy slips, a group is treated differently. Monitoring compares "
        "production with what the reviewers signed off and raises alerts."),
}

_KIND_COLORS = {"Automatic checks": "#4292c6", "People decide": "#fdae6b", "Live traffic": "#238b45"}


def path_steps() -> list[str]:
    """The organisation's path, in order: the pipeline's own stages, sign-off, canary, production."""
    return [name for name, *_ in STAGES] + [MANUAL_STAGE, CANARY_STEP, PRODUCTION_STEP]


def timed_steps() -> tuple[str, ...]:
    """The steps whose duration the registry records (production is an instant swap)."""
    return tuple(step for step in path_steps() if step != PRODUCTION_STEP)


def _guide(step: str) -> StepGuide:
    # A stage added to the pipeline later still shows, with the pipeline's own explanation.
    return STEP_GUIDES.get(step) or StepGuide(step.replace("_", " ").capitalize(), "Automatic checks",
                                              stage_explanation(step) or "A step of the pipeline.", "", "", "")


def how_long(step: str, timing: StageTiming | None) -> str:
    """How long ``step`` takes here, in words: a median and how many runs it rests on."""
    if step == PRODUCTION_STEP:
        return "The swap itself takes effect within seconds; every gateway follows it."
    if timing is None or not timing.runs:
        return "No runs yet: this registry has no finished run of this step to measure."
    runs = f"{timing.runs} finished run{'s' if timing.runs != 1 else ''}"
    what = {MANUAL_STAGE: "from the request to the last decision", CANARY_STEP: "from start to promotion or "
            "rollback"}.get(step, "per run")
    return f"Typically {format_duration(timing.median_seconds)} {what} (the median of the last {runs} here)."


def path_chart(history: PathHistory) -> alt.LayerChart:
    """The path as a horizontal sequence of steps, coloured by who acts, with the typical duration above."""
    rows = []
    for i, step in enumerate(path_steps()):
        timing = history.timings.get(step)
        took = ("instant" if step == PRODUCTION_STEP else
                format_duration(timing.median_seconds) if timing and timing.runs else "no runs yet")
        rows.append({"order": i, "step": _guide(step).title, "who": _guide(step).kind, "took": took})
    frame = pd.DataFrame(rows)
    x = alt.X("order:Q", axis=None, scale=alt.Scale(domain=[-0.5, len(rows) - 0.5]))
    base = alt.Chart(frame).encode(x=x)
    line = alt.Chart(pd.DataFrame({"order": [0], "end": [len(rows) - 1]})).mark_rule(strokeWidth=3, color="#bdbdbd") \
        .encode(x=x, x2="end:Q")
    dots = base.mark_circle(size=700, opacity=1).encode(
        color=alt.Color("who:N", title="Who acts", scale=alt.Scale(domain=list(_KIND_COLORS),
                                                                   range=list(_KIND_COLORS.values())),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("who:N", title="Who acts"),
                 alt.Tooltip("took:N", title="Typical duration here")])
    names = base.mark_text(dy=28, fontSize=13, fontWeight="bold").encode(text="step:N")
    took = base.mark_text(dy=-26, fontSize=11, color="#525252").encode(text="took:N")
    return alt.layer(line, dots, names, took).properties(height=150).configure_view(stroke=None)


def _signoff_roles(policy: dict[str, Any]) -> pd.DataFrame:
    tiers = policy.get("signoff_roles_by_tier") or {}
    return pd.DataFrame([{"Risk tier": tier.capitalize(), "Who must approve": role_list(tiers.get(tier) or [])}
                         for tier in RISK_TIERS])


def _floor_table(policy: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame([{"Rule": setting_in_words(setting), "Organisation's floor": str(value)}
                         for setting, value in floor_settings(policy).items()])


def _step(step: str, history: PathHistory, policy: dict[str, Any], number: int) -> None:
    guide = _guide(step)
    with st.expander(f"{number}. {guide.title} — {guide.kind.lower()}", expanded=False):
        st.markdown(f"**What happens.** {guide.what}")
        if guide.why:
            st.markdown(f"**Why it matters.** {guide.why}")
        if guide.who:
            st.markdown(f"**Who is involved.** {guide.who}")
        st.markdown(f"**How long it takes here.** {how_long(step, history.timings.get(step))}")
        if guide.wrong:
            st.markdown(f"**What can go wrong, and how it is caught.** {guide.wrong}")
        if step == MANUAL_STAGE:
            st.caption(f"Who must {glossary_link('Sign-off', 'sign off')}, by {glossary_link('Risk tier', 'risk tier')}"
                       f" (the organisation's policy in force; a model's spec may add roles, never remove them). An "
                       f"approval lasts {policy.get('expires_days', '—')} days.")
            st.dataframe(_signoff_roles(policy), hide_index=True, width="stretch")
        if step == "test_validation":
            st.caption(f"The organisation's {glossary_link('Policy floor', 'policy floor')}: a model's spec may "
                       f"tighten each {glossary_link('Gate', 'gate')}, never loosen it without an administrator's "
                       "written exception.")
            st.dataframe(_floor_table(policy), hide_index=True, width="stretch")


def _examples(title: str, examples: tuple[PathExample, ...], none_yet: str, describe) -> None:
    st.markdown(f"**{title}**")
    if not examples:
        st.caption(none_yet)
        return
    st.markdown("\n".join(
        f"- {escape_markdown(example.model)}, version {example.version} ({format_when(example.when)}): "
        f"{escape_markdown(describe(example))}" for example in examples))


def render(history: PathHistory, policy: dict[str, Any]) -> None:
    """The whole explanation: the path, each step, then benefits, work and risks with real examples."""
    st.subheader("The path, as this organisation runs it")
    st.altair_chart(path_chart(history), width="stretch")
    st.caption("Reading: a model version moves from left to right. Blue steps are automatic checks, orange is "
               "where people decide, green is where real traffic is involved. Above each step: how long it "
               "typically takes here.")
    st.markdown(
        f"Every {glossary_link('Model version', 'model version')} walks the same path. The "
        f"{glossary_link('Pipeline', 'pipeline')} checks it automatically, ending in the "
        f"{glossary_link('Test environment', 'test environment')}; then people "
        f"{glossary_link('Sign-off', 'sign it off')}; then a {glossary_link('Canary', 'canary')} tries it on a "
        f"little live traffic before it becomes the {glossary_link('Champion', 'champion')} in "
        f"{glossary_link('Production', 'production')}. Open a step to see what happens there.")
    for number, step in enumerate(path_steps(), start=1):
        _step(step, history, policy, number)

    st.subheader("Benefits")
    st.markdown(
        "- **Fewer bad surprises.** A model that is inaccurate, unfair, too slow or broken is stopped by a "
        f"{glossary_link('Gate', 'gate')} or a reviewer, not discovered by customers.\n"
        "- **Decisions you can defend.** Every approval is tied to the evidence the reviewer saw, and the "
        f"{glossary_link('Audit log', 'audit log')} records who did what and when.\n"
        f"- **A way back.** A {glossary_link('Rollback', 'rollback')} returns all traffic to the previous model in "
        "seconds.\n"
        f"- **Models that stay good.** {glossary_link('Monitoring', 'Monitoring')} notices "
        f"{glossary_link('Drift', 'drift')} and slipping accuracy before they do harm.")

    st.subheader("The work involved")
    st.markdown(
        "- **Data scientists** write a short spec file (data, target, gates, sensitive features) and run one "
        "command from CI, or start a run from the browser; they fix what a gate stops.\n"
        f"- **Reviewers** read the sign-off packet and decide; a failed fairness check needs a written "
        f"{glossary_link('Acknowledgement', 'acknowledgement')} to approve.\n"
        "- **ML engineers** start, watch and promote the canary, and keep the "
        f"{glossary_link('Prediction log', 'prediction log')} and monitoring running.\n"
        f"- **Administrators** keep the {glossary_link('Policy', 'policy')} and the accounts up to date.")

    st.subheader("The risks, and real examples from this registry")
    st.markdown(
        "- **A model can be wrong in ways tests do not show.** That is why a canary comes before full production, "
        "and why monitoring keeps watching afterwards.\n"
        "- **A model can treat groups differently.** The fairness report finds it; approving anyway needs a "
        "written, named acknowledgement.\n"
        "- **The path takes time.** Each step below the line is a delay, and also a point where a problem is "
        "cheaper to fix than in production.")
    _examples("Versions a gate stopped", history.stopped,
              "Not yet: no version in this registry has been stopped by a gate.",
              lambda e: failure_sentence(e.text))
    _examples("Fairness fails acknowledged at sign-off", history.acknowledged,
              "Not yet: no reviewer here has approved a version with a failed fairness check.",
              lambda e: f"approved with the written acknowledgement “{e.text}”")
    _examples("Canaries rolled back", history.rolled_back,
              "Not yet: no canary in this registry has been rolled back.",
              lambda e: f"rolled back: {e.text}" if e.text else "rolled back, with no reason recorded")
