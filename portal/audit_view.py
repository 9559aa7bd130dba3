"""The audit log as a table a person can read, and as a CSV that keeps every field exactly."""

from __future__ import annotations

import csv
import io

import pandas as pd

from backend.domain import AuditEntry
from backend.governance.audit import canonical_json
from portal.signoff_wording import action_label, audit_detail
from portal.wording import format_when

__all__ = ["CSV_COLUMNS", "LIMITS", "audit_table", "audit_csv", "filter_by_actor"]

#: The CSV's columns: the stored record, field for field (``detail`` as canonical JSON).
CSV_COLUMNS = ["seq", "at", "actor", "action", "model", "version", "detail", "hash"]
#: How many of the newest entries the page can show.
LIMITS = (100, 500, 2000, 10000)


def filter_by_actor(entries: list[AuditEntry], text: str) -> list[AuditEntry]:
    needle = text.strip().lower()
    return [e for e in entries if needle in e.actor.lower()] if needle else list(entries)


def audit_table(entries: list[AuditEntry]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"#": e.seq, "When": format_when(e.at), "Who": e.actor, "What": action_label(e.action),
          "Model": e.model or "", "Version": f"v{e.version}" if e.version is not None else "",
          "Details": audit_detail(e.action, e.detail)} for e in entries],
        columns=["#", "When", "Who", "What", "Model", "Version", "Details"])


def audit_csv(entries: list[AuditEntry]) -> bytes:
    """UTF-8 CSV with a header row; one row per entry, newest first, as stored."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for e in entries:
        writer.writerow([e.seq, e.at.isoformat(), e.actor, e.action, e.model or "",
                         "" if e.version is None else e.version, canonical_json(e.detail), e.hash])
    return out.getvalue().encode("utf-8")
