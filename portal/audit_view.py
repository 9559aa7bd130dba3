"""The audit log as a table a person can read, and as a CSV that keeps every field exactly."""

from __future__ import annotations

import csv
import io

import pandas as pd

from backend.domain import AuditEntry, ChainReport
from backend.governance.audit import canonical_json
from portal.signoff_wording import action_label, audit_detail
from portal.wording import escape_markdown, format_when

__all__ = ["CSV_COLUMNS", "LIMITS", "audit_table", "audit_csv", "filter_by_actor", "chain_check_message"]

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


def chain_check_message(report: ChainReport) -> tuple[bool, str]:
    """(whether the check passed, what to tell the reader) for the result of ``verify_audit``."""
    if report.intact:
        parts = [f"The chain is intact: all {report.entries:,} entries check out, each one linked to the one before "
                 "and signed with Greenlight's key."]
        if report.unsigned:
            parts.append(f"The first {report.unsigned:,} were written before entries were signed: their links are "
                         "checked, their signatures cannot be.")
        parts.append("The log matches the latest checkpoint of it kept outside the database." if report.checkpoint
                     else "No checkpoint of the log has been kept outside the database yet.")
        parts.append(f"The states, aliases, sign-offs and conditions of the {report.versions:,} "
                     f"version{'' if report.versions == 1 else 's'} in the registry agree with it.")
        return True, " ".join(parts)
    where = {"chain": f"The chain is broken at entry {report.first_bad_seq}",
             "checkpoint": "The log does not match the checkpoint of it kept outside the database",
             "replay": "The registry no longer agrees with the log"}.get(report.kind, "The audit log is broken")
    # The problem quotes stored text (model names, condition texts): shown as text, never as markup.
    return False, (f"{where}: {escape_markdown(report.problem or '')}. Tell the Greenlight administrators: the log or the registry was "
                   "changed outside Greenlight.")
