"""What the stages of one pipeline run share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backend.domain import ArtifactRef
from backend.pipeline.data import TrainingData
from backend.pipeline.spec import ModelSpec

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["RunContext", "StageOutcome", "Progress"]

#: progress(stage, message): a line for the person watching the run.
Progress = Callable[[str, str], None]


@dataclass
class StageOutcome:
    passed: bool
    messages: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None  # why it failed, in one readable sentence


@dataclass
class RunContext:
    app: App
    spec: ModelSpec
    version: int
    actor: str
    progress: Progress
    factory: str
    data: TrainingData | None = None
    model_ref: ArtifactRef | None = None
    sample_ref: ArtifactRef | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.model.name

    def say(self, stage: str, message: str) -> None:
        self.progress(stage, message)
