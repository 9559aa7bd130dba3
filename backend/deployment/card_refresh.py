"""Rewrite a version's stored model card after a deployment change, so that the card shows how
the version was deployed (and any admin override, with its reason).

The card is not evidence a sign-off is bound to, so rewriting it voids nothing; each rewrite
is an audited artifact replacement that keeps the old SHA-256. A card that cannot be rewritten
never undoes the deployment: the failure is recorded instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.reports import build_model_card

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["refresh_model_cards", "CARD_FORMATS"]

#: Artifact kind → format, as the reports stage stores the card.
CARD_FORMATS = {"model_card_md": "markdown", "model_card_html": "html"}


def refresh_model_cards(app: App, model: str, versions: list[int], actor: str, why: str) -> None:
    """Re-render and replace the model card of each of ``versions`` that has one."""
    for number in versions:
        try:
            refs = {r.kind: r for r in app.registry.list_artifacts(model, number)}
            if not any(kind in refs for kind in CARD_FORMATS):
                continue  # no card was ever written (the pipeline stopped before a model existed)
            markdown, page = build_model_card(app, model, number)
            for kind, text in (("model_card_md", markdown), ("model_card_html", page)):
                blob = app.artifacts.put_bytes(text.encode("utf-8"))
                fields = {"kind": kind, "uri": blob.uri, "sha256": blob.sha256, "size_bytes": blob.size_bytes,
                          "meta": {"format": CARD_FORMATS[kind]}, "actor": actor}
                if kind in refs:
                    app.registry.replace_artifact(model, number, **fields, reason=f"deployment record updated: {why}")
                else:
                    app.registry.add_artifact(model, number, **fields)
        except Exception as exc:  # the deployment stands; the audit log says what went wrong
            app.registry.record(actor=actor, action="model_card.failed", model=model, version=number,
                                detail={"error": f"{type(exc).__name__}: {exc}", "after": why})
