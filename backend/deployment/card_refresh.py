"""Rewrite versions' stored model cards after a change they should show: a deployment (how the
version was deployed, any admin override with its reason) or a sign-off decision.

The card is not evidence a sign-off is bound to, so rewriting it voids nothing; each rewrite
is an audited artifact replacement that keeps the old SHA-256. A card that cannot be rewritten
never undoes the change: the failure is recorded instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.reports import refresh_model_card

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["refresh_model_cards"]


def refresh_model_cards(app: App, model: str, versions: list[int], actor: str, why: str) -> None:
    """Re-render and replace the model card of each of ``versions`` that has one."""
    for number in versions:
        try:
            refresh_model_card(app, model, number, actor=actor, reason=f"deployment record updated: {why}")
        except Exception as exc:  # the change stands; the audit log says what went wrong
            app.registry.record(actor=actor, action="model_card.failed", model=model, version=number,
                                detail={"error": f"{type(exc).__name__}: {exc}", "after": why})
