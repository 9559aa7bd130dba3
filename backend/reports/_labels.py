"""Display names for features, their values and the outcome, from the spec's ``[labels]``.

Data keeps its raw names (``marital_status``, ``Married-civ-spouse``, ``>50K``); people read
the display names, with the raw name at hand. Without a ``[labels]`` section the raw names are
shown, and the outcome is named by its column and value ("income = >50K"), never by a bare
value such as "yes".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Labels", "INTERSECTION_SEPARATOR", "MISSING_GROUP"]

INTERSECTION_SEPARATOR = " · "
MISSING_GROUP = "(missing)"
FEATURE_SEPARATOR = " × "


@dataclass(frozen=True)
class Labels:
    """Display names; every method falls back to the raw name.

    Parameters
    ----------
    outcome : str, optional
        What the positive outcome is called ("earns over 50K").
    subjects : str
        What one row is, in the plural ("people", "applicants").
    features : dict
        Raw feature name → display name.
    values : dict
        Raw feature name → {raw value → display value}.
    target, positive_label : str, optional
        The outcome column and its positive value, to name the outcome when ``outcome`` is not set.
    """

    outcome: str | None = None
    subjects: str = "people"
    features: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    target: str | None = None
    positive_label: str | None = None

    @classmethod
    def from_dict(cls, doc: dict[str, Any] | None, *, target: str | None = None,
                  positive_label: str | None = None) -> Labels:
        """From a report's stored ``labels`` (or a spec's ``[labels]``)."""
        doc = doc or {}
        return cls(outcome=doc.get("outcome"), subjects=doc.get("subjects") or "people",
                   features={str(k): str(v) for k, v in (doc.get("features") or {}).items()},
                   values={str(f): {str(k): str(v) for k, v in (m or {}).items()}
                           for f, m in (doc.get("values") or {}).items()},
                   target=doc.get("target", target), positive_label=doc.get("positive_label", positive_label))

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "subjects": self.subjects, "features": dict(self.features),
                "values": {k: dict(v) for k, v in self.values.items()}, "target": self.target,
                "positive_label": self.positive_label}

    def feature(self, name: str) -> str:
        """``"marital_status"`` → ``"marital status"`` (as the spec names it); intersections part by part."""
        if FEATURE_SEPARATOR in name and name not in self.features:
            return FEATURE_SEPARATOR.join(self.feature(part) for part in name.split(FEATURE_SEPARATOR))
        return self.features.get(name, name)

    def value(self, feature: str, value: Any) -> str:
        """A value's display name within ``feature``."""
        text = str(value)
        return self.values.get(feature, {}).get(text, text)

    def group(self, feature: str, group: str) -> str:
        """A group's display name: its value's, or each part's for an intersection ("Female · Black")."""
        parts = feature.split(FEATURE_SEPARATOR)
        pieces = group.split(INTERSECTION_SEPARATOR)
        if len(parts) > 1 and len(pieces) == len(parts):
            return INTERSECTION_SEPARATOR.join(self.value(p, v) for p, v in zip(parts, pieces, strict=True))
        return self.value(feature, group)

    def who(self, feature: str, group: str, *, banded: bool = False) -> str:
        """The people of a group in words: ``"people with race = Black"``, ``"people with age 25–34"``."""
        parts = feature.split(FEATURE_SEPARATOR)
        pieces = group.split(INTERSECTION_SEPARATOR)
        if len(parts) == 1 or len(pieces) != len(parts):
            parts, pieces = [feature], [group]
        said = []
        for part, piece in zip(parts, pieces, strict=True):
            if piece == MISSING_GROUP:
                said.append(f"no recorded {self.feature(part)}")
            elif banded and len(parts) == 1:
                said.append(f"{self.feature(part)} {self.value(part, piece)}")
            else:
                said.append(f"{self.feature(part)} = {self.value(part, piece)}")
        return f"{self.subjects} with " + " and ".join(said)

    def outcome_name(self) -> str:
        """The positive outcome in words: the spec's label, else "income = >50K", else "the positive outcome"."""
        if self.outcome:
            return self.outcome
        if self.target and self.positive_label is not None:
            return f"{self.target} = {self.positive_label}"
        if self.positive_label is not None:
            return str(self.positive_label)
        return "the positive outcome"

    def quoted_outcome(self) -> str:
        return f"'{self.outcome_name()}'"
