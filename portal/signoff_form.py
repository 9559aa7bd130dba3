"""The interactive parts of the sign-off packet: the decision form and closing conditions.

The form appears only when the backend would accept a decision from this person; the backend
checks again anyway. A decision is sent with the evidence hashes the page showed (bound when
the button was drawn, so a file replaced in between is caught as a conflict, never signed
unseen). Submitting runs in the button's callback; the page then runs again and shows the new
state, with the outcome as a message above the form.
"""

from __future__ import annotations

import streamlit as st

from backend.domain import Condition, SignOffStatus, User
from backend.errors import GreenlightError, PermissionDenied
from backend.governance.permissions import can, require
from backend.registry.states import State
from portal import data, signoff_data
from portal.errors import show_error
from portal.signoff_wording import (
    DECISION_CHOICES,
    decision_label,
    person,
    role_explanation,
    role_label,
    role_list,
)
from portal.wording import escape_markdown, format_when, state_label

__all__ = ["who_may_decide", "decision_panel", "conditions_panel"]

_FLASH = "signoff_flash"
_EVIDENCE_HINT = "The packet now shows the new evidence: review it again before you decide."


def who_may_decide(user: User, status: SignOffStatus) -> tuple[str | None, list[str]]:
    """``(None, roles the user may sign in)``, or ``(why not, [])`` in one sentence."""
    if status.state != State.AWAITING_SIGNOFF:
        return (f"This version is {state_label(status.state).lower()}, not awaiting sign-off: there is nothing "
                "to decide.", [])
    if user.username == status.author:
        return ("You built this version, so you cannot sign it off: someone else must review it (the four-eyes "
                "rule).", [])
    mine = [s for s in status.signoffs if s.username == user.username and s.valid]
    if mine:
        return (f"You already decided on this version: {decision_label(mine[0].decision).lower()} as "
                f"{role_label(mine[0].role).lower()} on {format_when(mine[0].created_at)}. A decision cannot "
                "be changed.", [])
    held = [r for r in status.required_roles if user.has_role(r)]
    if not held:
        return (f"You can read this packet but not decide on it: it needs sign-off by "
                f"{role_list(status.required_roles)}, and you hold none of those roles (yours: "
                f"{role_list(user.roles)}).", [])
    allowed = [r for r in held if can(user, "signoff", role=r, author=status.author,
                                      required_roles=status.required_roles)]
    if not allowed:
        try:
            require(user, "signoff", role=held[0], author=status.author, required_roles=status.required_roles)
        except PermissionDenied as exc:
            return exc.message, []
    # The roles still missing first: that is what the reviewer came for.
    return None, sorted(allowed, key=lambda r: r not in status.missing_roles)


def _show_flash(target: tuple[str, int], topic: str) -> None:
    flash = st.session_state.get(_FLASH)
    if not flash or flash["target"] != target or flash["topic"] != topic:
        return
    st.session_state.pop(_FLASH)
    if flash.get("error") is not None:
        show_error(flash["error"], hint=flash.get("hint"))
    else:
        st.success(flash["text"], icon=":material/check_circle:")


def _outcome(decision: str, after: SignOffStatus, conditions: int) -> str:
    if decision == "reject":
        return (f"Your rejection is recorded. Version {after.version} is now rejected: it will not be deployed, "
                "and the team has been given your reason.")
    text = "Your approval with conditions is recorded." if decision == "conditions" else "Your approval is recorded."
    if after.state == State.APPROVED:
        text += (f" Every required role has approved: version {after.version} is now approved, and the team can "
                 "start a canary.")
    elif after.state == State.AWAITING_SIGNOFF:
        text += f" Still waiting for {role_list(after.missing_roles)}."
    if conditions:
        text += (f" Your {conditions} condition{'s stay' if conditions > 1 else ' stays'} open until someone "
                 "closes it, and blocks full deployment until then.")
    return text


def _acknowledgements(prefix: str, failed: list[dict[str, str]], decision: str | None) -> dict[str, str]:
    if decision not in ("approve", "conditions"):
        return {}
    return {check["key"]: st.session_state.get(f"{prefix}ack_{i}", "") or "" for i, check in enumerate(failed)}


def _submit(model: str, number: int, evidence: dict[str, str], user: User, prefix: str,
            roles: list[str], failed: list[dict[str, str]]) -> None:
    state = st.session_state
    state.pop(f"{prefix}confirming", None)
    role = state.get(f"{prefix}role", roles[0]) if len(roles) > 1 else roles[0]
    decision = state.get(f"{prefix}decision")
    comment = state.get(f"{prefix}comment", "") or ""
    conditions = (state.get(f"{prefix}conditions", "") or "").splitlines() if decision == "conditions" else []
    acknowledgements = _acknowledgements(prefix, failed, decision)
    flash = {"target": (model, number), "topic": "decision"}
    try:
        after = data.get_app().signoffs.decide(model, number, reviewer=user, role=role, decision=decision or "",
                                               comment=comment, evidence=evidence, conditions=conditions,
                                               acknowledgements=acknowledgements)
    except Exception as exc:  # shown by the one error helper on the next run
        flash["error"] = exc
        if isinstance(exc, GreenlightError) and exc.code == "evidence_changed":
            flash["hint"] = _EVIDENCE_HINT
    else:
        flash["text"] = _outcome(decision, after, len([c for c in conditions if c.strip()]))
        for field in ("comment", "conditions", "decision", *(f"ack_{i}" for i in range(len(failed)))):
            state.pop(f"{prefix}{field}", None)
    state[_FLASH] = flash
    data.refresh()


def decision_panel(user: User, status: SignOffStatus) -> None:
    st.subheader("Your decision")
    target = (status.model, status.version)
    _show_flash(target, "decision")
    reason, roles = who_may_decide(user, status)
    if reason is not None:
        st.info(escape_markdown(reason), icon=":material/lock:")
        return
    prefix = f"decide_{status.model}_{status.version}_"
    with st.container(border=True):
        if len(roles) > 1:
            st.radio("Sign as", roles, key=f"{prefix}role", horizontal=True,
                     format_func=lambda r: role_label(r) + ("" if r in status.missing_roles else " (already approved)"))
        else:
            st.markdown(f"You sign as **{role_label(roles[0]).lower()}**: {role_explanation(roles[0])}")
        decision = st.radio("Decision", list(DECISION_CHOICES), format_func=DECISION_CHOICES.get,
                            index=None, horizontal=True, key=f"{prefix}decision")
        if decision == "conditions":
            st.text_area("Conditions — one per line", key=f"{prefix}conditions",
                         placeholder="Report the offer rate by group every month to the marketing board.",
                         help="Each line becomes an open item. It blocks full deployment until someone holding "
                              "your role, or an administrator, closes it and says how it was met.")
        failed = signoff_data.failed_checks(status.model, status.version, status.evidence)
        if decision in ("approve", "conditions") and failed:
            _acknowledgement_fields(prefix, failed)
        st.text_area("Your reason for rejecting (required)" if decision == "reject" else "Comment (optional)",
                     key=f"{prefix}comment",
                     help="Kept with your decision in the sign-off record and the audit log.")
        st.caption("Your decision is bound to the SHA-256 fingerprints listed above. It is final: a decision "
                   "cannot be changed afterwards.")
        asked = st.session_state.get(f"{prefix}confirming") or {}
        confirming = decision is not None and asked.get("decision") == decision
        if not confirming:
            # The evidence is bound here, when the reviewer asks to record: a file replaced before the
            # confirmation is caught as a conflict, never signed unseen.
            st.button("Record my decision…", type="primary", disabled=decision is None, key=f"{prefix}submit",
                      on_click=_ask_confirmation, args=(prefix, decision, dict(status.evidence)))
            if decision is None:
                st.caption("Choose a decision to continue.")
            return
        _confirmation(user, status, prefix, roles, decision, failed)


def _acknowledgement_fields(prefix: str, failed: list[dict[str, str]]) -> None:
    st.markdown(f"**The fairness report fails {len(failed)} check{'s' if len(failed) > 1 else ''}.** To approve, "
                "acknowledge each one in writing: why the model may go ahead despite it. Your words are stored with "
                "your decision and shown in this packet and in the model card.")
    for i, check in enumerate(failed):
        st.text_area(f"Acknowledgement (required): {check['label']} for {check['feature']}", key=f"{prefix}ack_{i}",
                     help=check["reason"], placeholder="Why is this acceptable, and what will be done about it?")
        st.caption(escape_markdown(check["reason"]))


def _ask_confirmation(prefix: str, decision: str | None, evidence: dict[str, str]) -> None:
    st.session_state[f"{prefix}confirming"] = {"decision": decision, "evidence": evidence}


def _go_back(prefix: str) -> None:
    st.session_state.pop(f"{prefix}confirming", None)


def _confirmation(user: User, status: SignOffStatus, prefix: str, roles: list[str], decision: str,
                  failed: list[dict[str, str]]) -> None:
    """The last step before a final decision: what will be recorded, and a second click to record it."""
    role = st.session_state.get(f"{prefix}role", roles[0]) if len(roles) > 1 else roles[0]
    acknowledged = _acknowledgements(prefix, failed, decision)
    lines = [f"You are about to **{decision_label(decision).lower()}** version {status.version} of "
             f"{escape_markdown(status.title)} as **{role_label(role).lower()}**. This cannot be undone."]
    if acknowledged:
        lines.append(f"With your written acknowledgement of {len(acknowledged)} failed fairness check"
                     f"{'s' if len(acknowledged) > 1 else ''}.")
    st.warning("\n\n".join(lines), icon=":material/gavel:")
    confirm, back = st.columns(2)
    evidence = (st.session_state.get(f"{prefix}confirming") or {}).get("evidence") or dict(status.evidence)
    confirm.button("Confirm and record my decision", type="primary", key=f"{prefix}confirm", on_click=_submit,
                   args=(status.model, status.version, evidence, user, prefix, roles, failed))
    back.button("Go back", key=f"{prefix}back", on_click=_go_back, args=(prefix,))


def _setter_role(condition: Condition, status: SignOffStatus) -> str | None:
    """The role of the sign-off that set ``condition`` (the backend lets that role close it)."""
    setters = [s for s in status.signoffs if s.username == condition.created_by and s.decision == "conditions"
               and s.created_at <= condition.created_at]
    return setters[-1].role if setters else None


def _may_close(user: User, condition: Condition, status: SignOffStatus) -> bool:
    role = _setter_role(condition, status)
    return (condition.is_open and user.username != status.author
            and (user.has_role("admin") or (role is not None and user.has_role(role))))


def _close(condition_id: int, model: str, number: int, user: User, key: str) -> None:
    flash = {"target": (model, number), "topic": "conditions"}
    try:
        data.get_app().signoffs.close_condition(condition_id, user=user, note=st.session_state.get(key, "") or "")
    except Exception as exc:  # shown by the one error helper on the next run
        flash["error"] = exc
    else:
        flash["text"] = "The condition is closed, with your note on how it was met."
        st.session_state.pop(key, None)
    st.session_state[_FLASH] = flash
    data.refresh()


def conditions_panel(user: User, status: SignOffStatus, names: dict[str, str]) -> None:
    st.subheader("Conditions")
    _show_flash((status.model, status.version), "conditions")
    if not status.conditions:
        st.caption("No approval of this version came with conditions.")
        return
    open_count = len(status.open_conditions)
    st.caption(f"{open_count} of {len(status.conditions)} open. A condition is an open item attached to an approval: "
               "it blocks full deployment until someone holding the role that set it, or an administrator, closes "
               "it and says how it was met.")
    for condition in status.conditions:
        with st.container(border=True):
            badge = ":orange-badge[Open]" if condition.is_open else ":green-badge[Closed]"
            st.markdown(f"{badge} set by {escape_markdown(person(condition.created_by, names))} on "
                        f"{format_when(condition.created_at)}")
            st.text(condition.text)
            if not condition.is_open:
                st.markdown(f"Closed by {escape_markdown(person(condition.closed_by or '', names))} on "
                            f"{format_when(condition.closed_at)}. How it was met:")
                st.text(condition.close_note or "")
            elif _may_close(user, condition, status):
                key = f"close_note_{condition.id}"
                st.text_area("How was it met? (required to close it)", key=key)
                st.button("Close this condition", key=f"close_{condition.id}", on_click=_close,
                          args=(condition.id, status.model, status.version, user, key))
