"""What those allowed to deploy can do on the Deployments page: start a canary, run the judge,
promote, roll back, and (admins) a first deployment or a promotion on a written override.

Each action sits behind a confirmation box and runs in its button's callback; the page then
runs again and shows the outcome above the panel. The backend checks everything again (the
permission, the live-traffic guard, the verdict): hiding a button here is a courtesy.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from backend.domain import DeploymentStatus, User
from backend.governance.permissions import can
from portal import data as portal_data
from portal.deployments import data
from portal.errors import show_error
from portal.wording import escape_markdown

__all__ = ["panel"]

_FLASH = "deployments_flash"


def _flash(name: str) -> None:
    flash = st.session_state.get(_FLASH)
    if not flash or flash["model"] != name:
        return
    st.session_state.pop(_FLASH)
    if flash.get("error") is not None:
        show_error(flash["error"])
    else:
        st.success(flash["text"], icon=":material/check_circle:")


def _run(name: str, action: Callable[[], str], clear: tuple[str, ...] = ()) -> None:
    """Call the backend; keep its outcome (or error) for the next run to show."""
    flash: dict = {"model": name}
    try:
        flash["text"] = action()
    except Exception as exc:  # shown by the one error helper on the next run
        flash["error"] = exc
    else:
        for key in clear:
            st.session_state.pop(key, None)
    st.session_state[_FLASH] = flash
    portal_data.refresh()


def _start(name: str, user: User, prefix: str) -> None:
    state = st.session_state
    number, share = state.get(f"{prefix}version"), state.get(f"{prefix}traffic")

    def act() -> str:
        run = portal_data.get_app().deployments.start_canary(name, number, share, actor=user)
        return (f"Version {run.version} now takes {run.traffic_percent:g}% of live traffic beside production version "
                f"{run.champion}. The judge passes it after {run.min_requests:,} predictions on each side.")

    _run(name, act, clear=(f"{prefix}confirm_start",))


def _judge(name: str, user: User) -> None:
    def act() -> str:
        verdict = portal_data.get_app().deployments.judge(name, actor=user)
        return f"The judge has looked at the canary: {verdict.headline}"

    _run(name, act)


def _promote(name: str, user: User, prefix: str, version: int | None = None) -> None:
    reason = st.session_state.get(f"{prefix}override") or None

    def act() -> str:
        app = portal_data.get_app()
        app.deployments.promote(name, actor=user, override_reason=reason, version=version)
        serving = app.registry.serving_state(name)
        kept = f" Version {serving.previous} is kept as the rollback target." if serving.previous else ""
        return f"Version {serving.production} now serves all live traffic.{kept}"

    _run(name, act, clear=(f"{prefix}override", f"{prefix}confirm_promote", f"{prefix}confirm_first"))


def _rollback(name: str, user: User, prefix: str) -> None:
    reason = st.session_state.get(f"{prefix}rollback_reason") or ""

    def act() -> str:
        run = portal_data.get_app().deployments.rollback(name, actor=user, reason=reason)
        return f"Version {run.version} is rolled back: all live traffic goes to production version {run.champion}."

    _run(name, act, clear=(f"{prefix}rollback_reason", f"{prefix}confirm_rollback"))


def _start_form(name: str, user: User, prefix: str) -> None:
    st.markdown("**Start a canary**")
    approved = {v.number: v for v in data.approved_versions(name)}
    if not approved:
        st.caption("No approved version is waiting for a canary. A version becomes approved once every required "
                   "reviewer has signed it off.")
        return
    number = st.selectbox("Version to try out", list(approved), key=f"{prefix}version",
                          format_func=lambda n: f"Version {n} — {approved[n].estimator or 'model'} by "
                                                f"{approved[n].author}")
    policy_share = float(((approved[number].policy or {}).get("canary") or {}).get("traffic_percent", 10))
    share = st.slider("Share of live traffic (%)", min_value=1.0, max_value=50.0, value=policy_share, step=1.0,
                      key=f"{prefix}traffic", help="The version's policy suggests this share; at most 50%.")
    clearance = data.clearance(name, number)
    if not clearance.allowed:
        st.warning("The deployment guard would refuse this version now: "
                   + "; ".join(escape_markdown(r) for r in clearance.reasons) + ".", icon=":material/lock:")
    confirmed = st.checkbox(f"Yes, send {share:g}% of live traffic to version {number}.", key=f"{prefix}confirm_start")
    st.button("Start the canary", type="primary", disabled=not confirmed, key=f"{prefix}start", on_click=_start,
              args=(name, user, prefix))


def _first_deployment_form(name: str, user: User, prefix: str) -> None:
    st.markdown("**First deployment**")
    st.caption("A canary is judged against production, and this model has nothing in production yet. Its first "
               "version goes there without a canary, on an administrator's written reason, which the audit log, "
               "the sign-off packet and the model card keep.")
    if not can(user, "override_deployment"):
        st.info("Only an administrator can make a first deployment.", icon=":material/lock:")
        return
    approved = [v.number for v in data.approved_versions(name)]
    if not approved:
        st.caption("No version of this model is approved yet.")
        return
    number = st.selectbox("Version to send to production", approved, key=f"{prefix}first_version",
                          format_func=lambda n: f"Version {n}")
    st.text_area("Your written reason (required)", key=f"{prefix}override",
                 placeholder="First deployment: there is no production model to run a canary against.")
    confirmed = st.checkbox(f"Yes, send all live traffic to version {number}.", key=f"{prefix}confirm_first")
    st.button("Send to production", type="primary", disabled=not confirmed, key=f"{prefix}first",
              on_click=_promote, args=(name, user, prefix, number))


def _running_form(name: str, user: User, status: DeploymentStatus, prefix: str) -> None:
    canary, production = status.canary, status.serving.production
    st.markdown("**Judge the canary**")
    st.caption("The judge reads the prediction log now and stores its verdict. If errors or slowness are clearly "
               "worse than production's, it rolls the canary back by itself.")
    st.button("Run the judge now", key=f"{prefix}judge", on_click=_judge, args=(name, user),
              icon=":material/gavel:")

    st.markdown("**Promote**")
    verdict = status.verdict if status.verdict is not None and status.verdict.canary_id == canary.id else None
    passed = verdict is not None and verdict.verdict == "pass"
    if passed:
        st.caption(f"The judge passed version {canary.version}. Promotion makes it the production version for all "
                   f"live traffic at once; version {production} is kept as the rollback target.")
    elif can(user, "override_deployment"):
        st.caption("The judge has not passed this canary. As an administrator you may promote it anyway, with a "
                   "written reason that the audit log, the sign-off packet and the model card keep.")
        st.text_area("Your written reason (required without a pass)", key=f"{prefix}override")
    else:
        st.info("Promotion waits for a pass from the judge (or an administrator's written override).",
                icon=":material/hourglass_top:")
    if passed or can(user, "override_deployment"):
        confirmed = st.checkbox(f"Yes, make version {canary.version} the production version for all live traffic.",
                                key=f"{prefix}confirm_promote")
        st.button("Promote to production" if passed else "Promote without a pass", type="primary",
                  disabled=not confirmed, key=f"{prefix}promote", on_click=_promote, args=(name, user, prefix))

    st.markdown("**Roll back**")
    st.text_area("Why roll it back? (required)", key=f"{prefix}rollback_reason")
    confirmed = st.checkbox(f"Yes, send all live traffic back to version {production} now.",
                            key=f"{prefix}confirm_rollback")
    st.button("Roll back the canary", disabled=not confirmed, key=f"{prefix}rollback", on_click=_rollback,
              args=(name, user, prefix))


def panel(user: User, status: DeploymentStatus) -> None:
    """The actions ``user`` may take on ``status.model`` now."""
    st.subheader("Deploy")
    name = status.model
    _flash(name)
    if not can(user, "deploy"):
        st.info("Only data scientists and administrators can start, promote or roll back a canary; you can follow "
                "it here.", icon=":material/visibility:")
        return
    prefix = f"deploy_{name}_"
    with st.container(border=True):
        if status.serving.production is None:
            _first_deployment_form(name, user, prefix)
        elif status.canary is not None and status.canary.running:
            _running_form(name, user, status, prefix)
        else:
            _start_form(name, user, prefix)
