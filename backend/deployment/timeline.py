"""A model's deployment timeline: which version served production and the canary, when, and why
each changed, rebuilt from the audit log's alias moves (the log is the record; nothing else is
kept for it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from backend.domain import AuditEntry, ServingPeriod

__all__ = ["serving_periods", "TIMELINE_SLOTS"]

TIMELINE_SLOTS = ("production", "canary")
_NO_REASON = "no reason was recorded"


def serving_periods(model: str, entries: Iterable[AuditEntry]) -> list[ServingPeriod]:
    """Periods of service from ``alias.moved`` and ``alias.cleared`` entries (any order), oldest first.

    A move of a slot ends the period of the version it replaces, with the move's reason; a
    cleared slot ends its period with the reason given for clearing it.
    """
    ordered = sorted((e for e in entries if e.action in ("alias.moved", "alias.cleared")
                      and e.detail.get("alias") in TIMELINE_SLOTS and e.version is not None), key=lambda e: e.seq)
    done: list[ServingPeriod] = []
    serving: dict[str, ServingPeriod] = {}
    for entry in ordered:
        slot, reason = entry.detail["alias"], entry.detail.get("reason") or _NO_REASON
        current = serving.pop(slot, None)
        if current is not None:
            done.append(replace(current, end=entry.at, end_reason=reason))
        if entry.action == "alias.moved":
            serving[slot] = ServingPeriod(model=model, slot=slot, version=entry.version, start=entry.at, end=None,
                                          started_by=entry.actor, start_reason=reason,
                                          traffic_percent=entry.detail.get("traffic_percent"))
    return sorted([*done, *serving.values()], key=lambda p: (p.start, p.slot))
