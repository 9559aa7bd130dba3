"""The read-only half of the deployment service: where a model's deployment stands, its canaries
and verdicts, the timeline, a version's deployment record and the KServe export. Each read is
one session; nothing here changes anything."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from backend.db import Database
from backend.db.tables import CanaryRow, CanaryVerdictRow
from backend.db.types import utcnow
from backend.deployment import canary_store as store
from backend.deployment.judge import slot_metrics
from backend.deployment.kserve import inference_service
from backend.deployment.record import concerns, sentences
from backend.deployment.timeline import serving_periods
from backend.deployment.window import read_sides
from backend.domain import AuditEntry, CanaryRun, CanaryVerdict, DeploymentStatus, ServingPeriod
from backend.errors import NotFound
from backend.governance import audit
from backend.registry import Registry
from backend.registry.artifacts import ArtifactStore
from backend.registry.prediction_log import PredictionLog

__all__ = ["DeploymentReads", "LIVE_WINDOW_WITHOUT_CANARY"]

#: With no canary running, the live figures cover production's last day.
LIVE_WINDOW_WITHOUT_CANARY = timedelta(days=1)


class DeploymentReads:
    """What :class:`~backend.deployment.deployments.Deployments` shows; see there for the parameters."""

    db: Database
    registry: Registry
    artifacts: ArtifactStore
    log: PredictionLog

    def status(self, model: str, *, live: bool = True) -> DeploymentStatus:
        """Where ``model``'s deployment stands; ``live`` adds both sides' figures from the log."""
        serving = self.registry.serving_state(model)
        with self.db.read() as session:
            model_row = store.model_row(session, model)
            row = store.latest_canary(session, model_row)
            canary = store.canary_run(session, row, model) if row else None
            last = store.latest_verdict(session, row) if row else None
            verdict = store.verdict_of(session, last, model) if last else None
            positive = None
            if serving.production is not None:
                positive = (store.version_row(session, model_row, serving.production).input_schema or {}).get(
                    "positive_label")
            task = model_row.task
        if not live:
            return DeploymentStatus(model=model, task=task, serving=serving, canary=canary, verdict=verdict)
        now = utcnow()
        start = canary.started_at if canary is not None and canary.running else now - LIVE_WINDOW_WITHOUT_CANARY
        sides = read_sides(self.log, model, start=start, end=now, canary_version=serving.canary,
                           production_version=serving.production, task=task, positive_label=positive)
        figures = tuple(slot_metrics(side, task) for side in sides if side.version is not None)
        return DeploymentStatus(model=model, task=task, serving=serving, canary=canary, verdict=verdict,
                                live=figures, window_start=start)

    def canaries(self, model: str, *, version: int | None = None) -> list[CanaryRun]:
        """Every canary of ``model`` (or of one version), oldest first."""
        with self.db.read() as session:
            model_row = store.model_row(session, model)
            version_id = store.version_row(session, model_row, version).id if version is not None else None
            return [store.canary_run(session, r, model) for r in store.canaries_of(session, model_row,
                                                                                  version_id=version_id)]

    def verdicts(self, model: str, canary_id: int, *, limit: int = 50) -> list[CanaryVerdict]:
        """The judge's verdicts on one canary, newest first."""
        with self.db.read() as session:
            model_row = store.model_row(session, model)
            canary = session.get(CanaryRow, canary_id)
            if canary is None or canary.model_id != model_row.id:
                raise NotFound(f"{model} has no canary {canary_id}.")
            rows = session.execute(select(CanaryVerdictRow).where(CanaryVerdictRow.canary_id == canary_id)
                                   .order_by(CanaryVerdictRow.id.desc()).limit(limit)).scalars()
            return [store.verdict_of(session, r, model) for r in rows]

    def timeline(self, model: str, *, limit: int = 2000) -> list[ServingPeriod]:
        """What served ``model``'s production and canary slots when, and why it changed."""
        with self.db.read() as session:
            store.model_row(session, model)
            entries = audit.list_entries(session=session, model=model, action_prefix="alias.", limit=limit)
        return serving_periods(model, entries)

    def record(self, model: str, version: int) -> list[AuditEntry]:
        """The ``deployment.*`` audit entries about ``version`` (its canaries, promotion, any
        override, rollback, its replacement), oldest first."""
        with self.db.read() as session:
            store.model_row(session, model)
            entries = audit.list_entries(session=session, model=model, action_prefix="deployment.", limit=5000)
        return sorted((e for e in entries if concerns(e, version)), key=lambda e: e.seq)

    def record_sentences(self, model: str, version: int) -> list[str]:
        """:meth:`record` in plain sentences (the model card's deployment section)."""
        return sentences(self.record(model, version), version)

    def kserve_manifest(self, model: str, *, name: str | None = None, namespace: str | None = None,
                        storage_uri: str | None = None, runtime: str | None = None) -> dict[str, Any]:
        """A KServe ``InferenceService`` for what serves ``model`` now (see :mod:`backend.deployment.kserve`)."""
        serving = self.registry.serving_state(model)
        numbers = [n for n in (serving.production, serving.canary) if n is not None]
        refs = {n: self.registry.get_artifact(model, n, "model") for n in numbers}
        return inference_service(self.registry.get_model(model), serving, refs,
                                 {n: str(self.artifacts.path_of(ref)) for n, ref in refs.items()},
                                 name=name, namespace=namespace, storage_uri=storage_uri, runtime=runtime)
