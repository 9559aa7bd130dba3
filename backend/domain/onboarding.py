"""The walkthrough for new teams: each step and what the registry shows of it, the spec a form
builds, and a pipeline run started from the browser."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "OnboardingStep",
    "TeamProgress",
    "SpecDraft",
    "BrowserRunStatus",
]


@dataclass(frozen=True)
class OnboardingStep:
    """One step of the walkthrough. ``done`` comes from the registry, never from a tick box;
    ``evidence`` says in words what the registry shows (or what is still missing)."""

    key: str  # roles | spec | pipeline | reports | signoff | canary | monitoring
    number: int
    title: str
    done: bool
    evidence: str
    #: the model and version the evidence points at, when there is one
    model: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class TeamProgress:
    """A team's progress through the walkthrough. A team is the ``owner`` its models' specs name."""

    team: str
    models: tuple[str, ...]
    steps: tuple[OnboardingStep, ...]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def next_step(self) -> OnboardingStep | None:
        """The first step not done yet (None when every step is)."""
        return next((step for step in self.steps if not step.done), None)


@dataclass(frozen=True)
class SpecDraft:
    """A ``greenlight.toml`` written from a form's answers, and what the spec validator says of it.

    ``problems`` maps a form field (``"model.name"``, ``"data.target"``, ``"gates"``, ...) to the
    validator's sentences about it; empty when the spec is valid and ready to download.
    """

    toml: str
    problems: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class BrowserRunStatus:
    """A pipeline run started from the portal, as its watcher sees it.

    ``state`` is ``running``, ``passed`` (every automated stage passed; sign-off is requested),
    ``failed`` (a stage stopped it: ``failed_stage`` and ``reason`` say why) or ``refused``
    (nothing was registered: ``reason`` says why).
    """

    id: str
    username: str
    model: str
    state: str
    started_at: datetime
    finished_at: datetime | None
    messages: tuple[str, ...]
    version: int | None = None
    failed_stage: str | None = None
    reason: str | None = None

    @property
    def finished(self) -> bool:
        return self.state != "running"
