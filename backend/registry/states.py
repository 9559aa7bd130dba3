"""The path to production: every model version walks this state machine.

The registry refuses any transition not listed here, whoever asks.
"""

from __future__ import annotations

from enum import StrEnum

from backend.errors import InvalidTransition

__all__ = ["State", "ALIASES", "check_transition", "TERMINAL_STATES", "STATE_EXPLANATIONS"]


class State(StrEnum):
    REGISTERED = "registered"
    BUILT = "built"
    CHECKED = "checked"
    REPORTED = "reported"
    VALIDATED = "validated"
    AWAITING_SIGNOFF = "awaiting_signoff"
    APPROVED = "approved"
    CANARY = "canary"
    PRODUCTION = "production"
    RETIRED = "retired"
    FAILED = "failed"
    REJECTED = "rejected"
    ROLLED_BACK = "rolled_back"


#: Deployment slots a version can be pointed at. ``test`` is the test environment (no live
#: traffic); ``canary`` takes a share of live traffic; ``previous`` is the rollback target.
ALIASES = ("production", "canary", "previous", "test")

_FORWARD = {
    State.REGISTERED: {State.BUILT},
    State.BUILT: {State.CHECKED},
    State.CHECKED: {State.REPORTED},
    State.REPORTED: {State.VALIDATED},
    State.VALIDATED: {State.AWAITING_SIGNOFF},
    State.AWAITING_SIGNOFF: {State.APPROVED, State.REJECTED},
    State.APPROVED: {State.CANARY, State.PRODUCTION, State.AWAITING_SIGNOFF},
    State.CANARY: {State.PRODUCTION, State.ROLLED_BACK},
    State.PRODUCTION: {State.RETIRED, State.ROLLED_BACK},
}
# Any state before production can fail; the pipeline records why.
_CAN_FAIL = {
    State.REGISTERED,
    State.BUILT,
    State.CHECKED,
    State.REPORTED,
    State.VALIDATED,
    State.AWAITING_SIGNOFF,
    State.APPROVED,
    State.CANARY,
}

TERMINAL_STATES = frozenset({State.RETIRED, State.FAILED, State.REJECTED, State.ROLLED_BACK})

#: One plain sentence per state, for business readers.
STATE_EXPLANATIONS = {
    State.REGISTERED: "The pipeline has started on this version.",
    State.BUILT: "The model is trained and its files are in long-term storage.",
    State.CHECKED: "The stored model loads and makes sensible predictions.",
    State.REPORTED: "Fairness and explainability reports are written.",
    State.VALIDATED: "Accuracy and speed were measured in the test environment and met the policy.",
    State.AWAITING_SIGNOFF: "Waiting for the required people to review and sign off.",
    State.APPROVED: "Signed off by every required reviewer; ready for a canary.",
    State.CANARY: "Serving a small share of live traffic next to the production model.",
    State.PRODUCTION: "Serving all live traffic.",
    State.RETIRED: "Replaced by a newer version; kept for the record and for rollback.",
    State.FAILED: "Stopped by the pipeline; the failed stage says why.",
    State.REJECTED: "A reviewer rejected it; the sign-off record says why.",
    State.ROLLED_BACK: "Taken out of service after a problem; the previous version came back.",
}


def check_transition(current: str, target: str) -> None:
    """Raise :class:`InvalidTransition` unless ``current → target`` is allowed."""
    cur, tgt = State(current), State(target)
    allowed = _FORWARD.get(cur, set()) | ({State.FAILED} if cur in _CAN_FAIL else set())
    if tgt not in allowed:
        raise InvalidTransition(
            f"A version in state '{cur}' cannot move to '{tgt}'"
            + (f"; from '{cur}' it can go to: {', '.join(sorted(allowed))}." if allowed else "; it is final.")
        )
