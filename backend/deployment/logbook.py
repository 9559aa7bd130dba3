"""Writes the prediction log in batches, off the request path.

A request only appends its rows to an in-memory batch; a background thread writes the batch
as Parquet (through :class:`backend.registry.prediction_log.PredictionLog`) every
``flush_seconds``, or sooner when ``flush_rows`` rows wait. Stopping the writer (a graceful
shutdown) writes what is left. A batch that cannot be written (the object store is down) is
kept and tried again, so a row is written once, not lost and not twice.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Any

from backend.registry.prediction_log import PredictionLog

__all__ = ["LogWriter"]

log = logging.getLogger("greenlight.gateway")

#: Rows kept while the store cannot be written; past this the oldest are dropped (and counted).
MAX_PENDING_ROWS = 2_000_000


class LogWriter:
    """Batches prediction and feedback rows and writes them in a background thread.

    Parameters
    ----------
    log : PredictionLog
    flush_seconds : float
        The longest a row waits before its batch is written.
    flush_rows : int
        Write as soon as this many rows wait.
    """

    def __init__(self, log: PredictionLog, *, flush_seconds: float = 1.0, flush_rows: int = 10_000):
        self.log = log
        self.flush_seconds = flush_seconds
        self.flush_rows = flush_rows
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        # (kind, model, input types) -> rows; input types as a tuple so a schema change starts a new file
        self._pending: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[dict[str, Any]]] = defaultdict(list)
        self._count = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = {"predictions": 0, "feedback": 0}
        self.failures = 0
        self.dropped = 0

    @property
    def pending(self) -> int:
        return self._count

    def add_predictions(self, model: str, input_types: dict[str, str], rows: list[dict[str, Any]]) -> None:
        self._add(("predictions", model, tuple(input_types.items())), rows)

    def add_feedback(self, model: str, rows: list[dict[str, Any]]) -> None:
        self._add(("feedback", model, ()), rows)

    def _add(self, key, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            self._pending[key].extend(rows)
            self._count += len(rows)
            full = self._count >= self.flush_rows
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Write everything waiting now; returns the rows written."""
        with self._flush_lock:
            with self._lock:
                batches, self._pending = self._pending, defaultdict(list)
                self._count = 0
            done = 0
            for (kind, model, types), rows in batches.items():
                for day_rows in _by_day(rows):
                    try:
                        if kind == "predictions":
                            self.log.write_predictions(model, day_rows, dict(types))
                        else:
                            self.log.write_feedback(model, day_rows)
                    except Exception as exc:  # noqa: BLE001  (keep the rows; try again next time)
                        self.failures += 1
                        log.warning("could not write %d %s rows of %s: %s", len(day_rows), kind, model, exc)
                        self._requeue((kind, model, types), day_rows)
                        continue
                    self.written[kind] += len(day_rows)
                    done += len(day_rows)
            return done

    def _requeue(self, key, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            self._pending[key][:0] = rows
            self._count += len(rows)
            over = self._count - MAX_PENDING_ROWS
            if over > 0:
                del self._pending[key][:over]
                self._count -= over
                self.dropped += over

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="greenlight-prediction-log", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if self._count:
                self.flush()

    def stop(self) -> None:
        """Stop the thread and write what is left (a graceful shutdown)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()


def _by_day(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by their UTC day, so each write is one file (one retry unit)."""
    days: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        days.setdefault(row["ts"].date(), []).append(row)
    return list(days.values())
