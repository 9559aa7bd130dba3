"""Writing a version's model card, in both formats, as artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from backend.domain import ArtifactRef
from backend.reports._card_render import render_html, render_markdown
from backend.reports._model_card import deployment_section, model_card_sections
from backend.reports._store import CARD_KINDS, load_reports, store_bytes

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["write_model_card", "WrittenModelCard", "build_model_card", "refresh_model_card"]


@dataclass(frozen=True)
class WrittenModelCard:
    markdown: ArtifactRef
    html: ArtifactRef


def build_model_card(app: App, model: str, version: int, *, generated: datetime | None = None) -> tuple[str, str]:
    """The model card of a version as (Markdown, HTML) text, from what the registry holds."""
    generated = generated or datetime.now(UTC)
    reports = load_reports(app, model, version)
    title, sections = model_card_sections(
        model=app.registry.get_model(model), version=app.registry.get_version(model, version),
        stages=app.registry.list_stage_runs(model, version), artifacts=app.registry.list_artifacts(model, version),
        fairness=reports.fairness, explainability=reports.explainability,
        signoffs=app.signoffs.status(model, version))
    sections.insert(-1, deployment_section(app.deployments.record_sentences(model, version)))
    return render_markdown(title, sections, generated=generated), render_html(title, sections, generated=generated)


def write_model_card(app: App, model: str, version: int, *, actor: str,
                     reason: str = "the model card records a sign-off decision") -> WrittenModelCard:
    """Render the model card of ``model`` version ``version`` and store both formats.

    Returns the two artifact references, whose SHA-256 the portal shows beside the download.
    """
    markdown, page = build_model_card(app, model, version)
    existing = {ref.kind for ref in app.registry.list_artifacts(model, version)}
    refs = {}
    for fmt, text in (("markdown", markdown), ("html", page)):
        kind = CARD_KINDS[fmt]
        if kind in existing:  # a decision since: the card now says so (the card is not signed evidence)
            blob = app.artifacts.put_bytes(text.encode("utf-8"))
            refs[fmt] = app.registry.replace_artifact(model, version, kind=kind, uri=blob.uri, sha256=blob.sha256,
                                                      size_bytes=blob.size_bytes, meta={"format": fmt}, actor=actor,
                                                      reason=reason)
        else:
            refs[fmt] = store_bytes(app, model, version, kind=kind, data=text.encode("utf-8"), meta={"format": fmt},
                                    actor=actor)
    return WrittenModelCard(markdown=refs["markdown"], html=refs["html"])


def refresh_model_card(app: App, model: str, version: int, *, actor: str,
                       reason: str = "the model card records a sign-off decision") -> WrittenModelCard | None:
    """Rewrite a version's model card after a change it shows (a sign-off decision, a deployment);
    ``reason`` goes to the audit log. None when the version has no card to refresh."""
    if not any(ref.kind == CARD_KINDS["html"] for ref in app.registry.list_artifacts(model, version)):
        return None
    return write_model_card(app, model, version, actor=actor, reason=reason)
