"""Replay the audit log and compare what it says with the registry's tables.

The log is the record of every change; the tables are what Greenlight acts on. Someone who
can write the database but not sign entries (the key lives outside it) can still edit a
table directly: ``UPDATE versions SET state = 'approved'``. Replaying the log rebuilds each
version's state, the aliases, the sign-offs and the conditions, and ``first_mismatch`` names
the first place where a table disagrees.

The replay is a table of handlers keyed by action (:data:`HANDLERS`); actions it does not
know are ignored. A new audited change is one handler (``@handles("alias.cleared")``) and,
for a new kind of state, one comparison in :data:`CHECKS`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.tables import AliasRow, ConditionRow, ModelRow, SignOffRow, VersionRow

__all__ = ["Replay", "LoggedEntry", "HANDLERS", "CHECKS", "handles"]


@dataclass(frozen=True)
class LoggedEntry:
    seq: int
    actor: str
    action: str
    model: str | None
    version: int | None
    detail: dict[str, Any]


@dataclass
class LoggedCondition:
    text: str
    created_by: str
    closed: bool = False


@dataclass
class LoggedVersion:
    state: str | None = None
    #: (round, username, role, decision) of every decision recorded
    signoffs: Counter = field(default_factory=Counter)
    conditions: dict[int, LoggedCondition] = field(default_factory=dict)
    #: conditions recorded before decisions named their condition ids (older logs)
    unnumbered: list[LoggedCondition] = field(default_factory=list)


VersionKey = tuple[str, int]


class Replay:
    """What the log says the registry holds, built one entry at a time."""

    def __init__(self) -> None:
        self.versions: dict[VersionKey, LoggedVersion] = {}
        self.aliases: dict[str, dict[str, int]] = {}
        #: the first entry that contradicts what came before it in the log
        self.problem: str | None = None

    def apply(self, seq: int, actor: str, action: str, model: str | None, version: int | None, detail: str) -> None:
        """Feed one entry, in log order; unknown actions change nothing."""
        handler = HANDLERS.get(action)
        if handler is not None:
            handler(self, LoggedEntry(seq, actor, action, model, version, json.loads(detail)))

    def version(self, entry: LoggedEntry) -> LoggedVersion:
        key = (entry.model, entry.version)
        logged = self.versions.get(key)
        if logged is None:
            logged = self.versions[key] = LoggedVersion()
        return logged

    def contradiction(self, entry: LoggedEntry, text: str) -> None:
        if self.problem is None:
            self.problem = f"{_name(entry.model, entry.version)}: entry {entry.seq} {text}"

    def first_mismatch(self, session: Session) -> str | None:
        """The first disagreement, in the log itself or between the log and the tables."""
        if self.problem is not None:
            return self.problem
        for check in CHECKS:
            problem = check(self, session)
            if problem is not None:
                return problem
        return None


def _name(model: str | None, number: int | None) -> str:
    return f"{model} version {number}"


# -- handlers: one per audited action that changes state -----------------------------------------

Handler = Callable[[Replay, LoggedEntry], None]
#: action → how it changes what the log says the registry holds
HANDLERS: dict[str, Handler] = {}


def handles(action: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[action] = handler
        return handler
    return register


@handles("version.registered")
def _registered(replay: Replay, entry: LoggedEntry) -> None:
    replay.version(entry).state = "registered"


@handles("version.state")
def _state(replay: Replay, entry: LoggedEntry) -> None:
    logged = replay.version(entry)
    before = entry.detail.get("from")
    if logged.state != before:
        # The entry was written from the table as it then was: a different "from" means the
        # table had been changed without an entry before this one.
        replay.contradiction(entry, f"moved it from '{before}' but the log had it at '{logged.state}': its state "
                                    "was changed outside Greenlight before that")
    logged.state = entry.detail.get("to")


@handles("alias.moved")
def _alias_moved(replay: Replay, entry: LoggedEntry) -> None:
    alias = entry.detail.get("alias")
    aliases = replay.aliases.setdefault(entry.model, {})
    before = entry.detail.get("from_version")
    if aliases.get(alias) != before:
        replay.contradiction(entry, f"moved '{alias}' from version {before} but the log had it at version "
                                    f"{aliases.get(alias)}: the alias was moved outside Greenlight before that")
    aliases[alias] = entry.version


@handles("alias.cleared")
def _alias_cleared(replay: Replay, entry: LoggedEntry) -> None:
    replay.aliases.setdefault(entry.model, {}).pop(entry.detail.get("alias"), None)


@handles("signoff.decided")
def _signoff(replay: Replay, entry: LoggedEntry) -> None:
    logged = replay.version(entry)
    d = entry.detail
    logged.signoffs[(d.get("round"), entry.actor, d.get("role"), d.get("decision"))] += 1
    texts = d.get("conditions") or []
    ids = d.get("condition_ids")
    if ids is None:
        logged.unnumbered.extend(LoggedCondition(text, entry.actor) for text in texts)
    else:
        for condition_id, text in zip(ids, texts, strict=False):
            logged.conditions[condition_id] = LoggedCondition(text, entry.actor)


@handles("condition.closed")
def _condition_closed(replay: Replay, entry: LoggedEntry) -> None:
    logged = replay.version(entry)
    condition_id = entry.detail.get("condition")
    condition = logged.conditions.get(condition_id)
    if condition is None:
        # An older decision did not name its conditions' ids: this entry does, by text.
        text = entry.detail.get("text")
        condition = next((c for c in logged.unnumbered if c.text == text), None)
        if condition is None:
            replay.contradiction(entry, f"closed condition {condition_id}, which the log never opened")
            return
        logged.unnumbered.remove(condition)
        logged.conditions[condition_id] = condition
    condition.closed = True


# -- comparisons with the tables -----------------------------------------------------------------

Check = Callable[[Replay, Session], "str | None"]


def _check_versions(replay: Replay, session: Session) -> str | None:
    rows = session.execute(select(ModelRow.name, VersionRow.number, VersionRow.state)
                           .join(ModelRow, ModelRow.id == VersionRow.model_id)).all()
    in_table = {(name, number): state for name, number, state in rows}
    for key in sorted(set(in_table) | set(replay.versions)):
        logged = replay.versions.get(key)
        if key not in in_table:
            if logged.state is not None:
                return f"{_name(*key)}: the log registered it but the table does not have it"
            continue
        if logged is None or logged.state is None:
            return f"{_name(*key)}: the table has it (state '{in_table[key]}') but the log never registered it"
        if in_table[key] != logged.state:
            return f"{_name(*key)}: the table says '{in_table[key]}' but the log says '{logged.state}'"
    return None


def _check_aliases(replay: Replay, session: Session) -> str | None:
    rows = session.execute(select(ModelRow.name, AliasRow.alias, VersionRow.number)
                           .join(ModelRow, ModelRow.id == AliasRow.model_id)
                           .join(VersionRow, VersionRow.id == AliasRow.version_id)).all()
    in_table: dict[str, dict[str, int]] = {}
    for model, alias, number in rows:
        in_table.setdefault(model, {})[alias] = number
    for model in sorted(set(in_table) | set(replay.aliases)):
        table, logged = in_table.get(model, {}), replay.aliases.get(model, {})
        for alias in sorted(set(table) | set(logged)):
            if alias not in logged:
                return f"{model}: the table points '{alias}' at version {table[alias]} but the log never moved it there"
            if alias not in table:
                return f"{model}: the log points '{alias}' at version {logged[alias]} but the table has no such alias"
            if table[alias] != logged[alias]:
                return (f"{model}: the table points '{alias}' at version {table[alias]} but the log says "
                        f"version {logged[alias]}")
    return None


def _signoff_text(key: tuple) -> str:
    round_, username, role, decision = key
    return f"a sign-off by {username} as {role} ({decision}, round {round_})"


def _check_signoffs(replay: Replay, session: Session) -> str | None:
    rows = session.execute(select(ModelRow.name, VersionRow.number, SignOffRow.round, SignOffRow.username,
                                  SignOffRow.role, SignOffRow.decision)
                           .join(VersionRow, VersionRow.id == SignOffRow.version_id)
                           .join(ModelRow, ModelRow.id == VersionRow.model_id)).all()
    in_table: dict[VersionKey, Counter] = {}
    for model, number, *decision in rows:
        in_table.setdefault((model, number), Counter())[tuple(decision)] += 1
    for key in sorted(set(in_table) | set(replay.versions)):
        table = in_table.get(key, Counter())
        logged = replay.versions[key].signoffs if key in replay.versions else Counter()
        missing, extra = logged - table, table - logged
        if missing:
            return f"{_name(*key)}: the log records {_signoff_text(min(missing))} that the table does not have"
        if extra:
            return f"{_name(*key)}: the table has {_signoff_text(min(extra))} that the log never recorded"
    return None


def _check_conditions(replay: Replay, session: Session) -> str | None:
    rows = session.execute(select(ModelRow.name, VersionRow.number, ConditionRow.id, ConditionRow.text,
                                  ConditionRow.created_by, ConditionRow.closed_at)
                           .join(VersionRow, VersionRow.id == ConditionRow.version_id)
                           .join(ModelRow, ModelRow.id == VersionRow.model_id)
                           .order_by(ConditionRow.id)).all()
    in_table: dict[VersionKey, list] = {}
    for model, number, *condition in rows:
        in_table.setdefault((model, number), []).append(condition)
    for key in sorted(set(in_table) | set(replay.versions)):
        logged = replay.versions.get(key, LoggedVersion())
        numbered, unnumbered = dict(logged.conditions), list(logged.unnumbered)
        for condition_id, text, created_by, closed_at in in_table.get(key, []):
            seen = numbered.pop(condition_id, None)
            if seen is None:
                seen = next((c for c in unnumbered if (c.text, c.created_by) == (text, created_by)), None)
                if seen is None:
                    return f"{_name(*key)}: the table has condition {condition_id} ('{text}') that the log never recorded"
                unnumbered.remove(seen)
            if seen.text != text:
                return f"{_name(*key)}: condition {condition_id} reads '{text}' in the table but '{seen.text}' in the log"
            if seen.closed != (closed_at is not None):
                table_says, log_says = ("closed", "open") if closed_at is not None else ("open", "closed")
                return f"{_name(*key)}: condition {condition_id} is {table_says} in the table but {log_says} in the log"
        if numbered:
            condition_id = min(numbered)
            return (f"{_name(*key)}: the log records condition {condition_id} ('{numbered[condition_id].text}') "
                    "that the table does not have")
        if unnumbered:
            return f"{_name(*key)}: the log records a condition ('{unnumbered[0].text}') that the table does not have"
    return None


#: Each comparison returns the first mismatch it finds, or None; they run in this order.
CHECKS: list[Check] = [_check_versions, _check_aliases, _check_signoffs, _check_conditions]
