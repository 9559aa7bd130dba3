"""The production-readiness score (the ML Test Score rubric) and the audit pack."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ReadinessItem",
    "ReadinessSection",
    "ReadinessScore",
    "AuditPack",
]


@dataclass(frozen=True)
class ReadinessItem:
    """One of the rubric's 28 tests, judged for one model from what the registry shows.

    ``status`` is ``covered`` (Greenlight runs the test automatically and the registry shows it
    ran for this model: one point), ``partly`` (done by people and recorded, or only part of the
    test is automated: half a point), ``not_yet`` (Greenlight can do it, but there is no evidence
    for this model yet) or ``outside`` (Greenlight cannot do it); the last two score nothing.
    ``evidence`` says what the registry shows, ``gap`` what the team can do about what is missing.
    """

    section: str  # data | model | infrastructure | monitoring
    number: int
    name: str
    asks: str
    status: str
    points: float
    evidence: str
    gap: str | None = None


@dataclass(frozen=True)
class ReadinessSection:
    """One of the rubric's four sections, with the sum of its tests' points."""

    key: str
    title: str
    items: tuple[ReadinessItem, ...]

    @property
    def points(self) -> float:
        return sum(item.points for item in self.items)


@dataclass(frozen=True)
class ReadinessScore:
    """A model's ML Test Score: the smallest of its four section sums, with what it means."""

    model: str
    version: int | None  # the version judged: production's, else the newest
    sections: tuple[ReadinessSection, ...]
    reading: str  # the paper's interpretation of the final score

    @property
    def score(self) -> float:
        return min(section.points for section in self.sections)

    @property
    def weakest(self) -> ReadinessSection:
        return min(self.sections, key=lambda s: s.points)


@dataclass(frozen=True)
class AuditPack:
    """One version's audit pack as one downloadable file (a zip), and what it holds."""

    model: str
    version: int
    filename: str
    content: bytes
    sha256: str
    #: Annex IV heading number → whether Greenlight could put anything under it
    filled: dict[int, bool] = field(default_factory=dict)
