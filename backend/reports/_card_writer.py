"""Writing a version's model card, in both formats, as artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from backend.domain import ArtifactRef
from backend.reports._model_card import (
    deployment_section,
    model_card_sections,
    render_html,
    render_markdown,
)
from backend.reports._store import CARD_KINDS, load_reports, store_bytes

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["write_model_card", "WrittenModelCard", "build_model_card"]


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
        fairness=reports.fairness, explainability=reports.explainability)
    sections.insert(-1, deployment_section(app.deployments.record_sentences(model, version)))
    return render_markdown(title, sections, generated=generated), render_html(title, sections, generated=generated)


def write_model_card(app: App, model: str, version: int, *, actor: str) -> WrittenModelCard:
    """Render the model card of ``model`` version ``version`` and store both formats.

    Returns the two artifact references, whose SHA-256 the portal shows beside the download.
    """
    markdown, page = build_model_card(app, model, version)
    md_ref = store_bytes(app, model, version, kind=CARD_KINDS["markdown"], data=markdown.encode("utf-8"),
                         meta={"format": "markdown"}, actor=actor)
    html_ref = store_bytes(app, model, version, kind=CARD_KINDS["html"], data=page.encode("utf-8"),
                           meta={"format": "html"}, actor=actor)
    return WrittenModelCard(markdown=md_ref, html=html_ref)
