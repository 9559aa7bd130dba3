"""The prediction log: every prediction and every outcome fed back, as Parquet files in the
artifact store, partitioned by model and day.

Not rows in the transactional database: monitoring reads millions of predictions in seconds
from columnar files (DuckDB or pyarrow on one machine, Spark at any scale), and gateways on
several machines append to one store without contending for the database.

Layout under the store's root (Hive-style partitions, which DuckDB, pyarrow and Spark all read)::

    prediction-log/predictions/model=<name>/date=<YYYY-MM-DD>/part-<UTC time>-<uuid>.parquet
    prediction-log/feedback/model=<name>/date=<YYYY-MM-DD>/part-<UTC time>-<uuid>.parquet

Files are written whole and never changed (a batch is one file), so a reader never sees half a
file and a re-run of a reader over the same files gives the same answer. The ``model`` and
``date`` columns live in the path only.

A prediction row holds the fixed columns of :data:`PREDICTION_COLUMNS` plus one column per model
input, named ``input:<feature>`` and typed by the version's input schema (``float64`` for
numbers, ``string`` for categories; missing values are nulls). A feedback row holds
:data:`FEEDBACK_COLUMNS`.
"""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["PREDICTION_COLUMNS", "FEEDBACK_COLUMNS", "INPUT_PREFIX", "SLOTS", "PredictionLog", "LogFile",
           "input_column", "prediction_schema", "FEEDBACK_SCHEMA"]

INPUT_PREFIX = "input:"
#: Where a prediction was served: the test environment, the canary, or production.
SLOTS = ("test", "canary", "production")

#: The fixed columns of every prediction row, in order.
PREDICTION_COLUMNS: dict[str, pa.DataType] = {
    "request_id": pa.string(),      # unique per row; feedback refers to it
    "version": pa.int32(),          # the model version that served it
    "slot": pa.string(),            # test | canary | production
    "ts": pa.timestamp("us", tz="UTC"),
    "latency_ms": pa.float64(),     # time spent in the gateway for the request this row came in
    "routing_key": pa.string(),     # the client's key (or the request id): decides the slot
    "client": pa.string(),          # the client application's name, when it used a token
    "simulated": pa.bool_(),        # sent by `greenlight simulate`, not by a real client
    "score": pa.float64(),          # probability of the positive outcome, or the predicted value
    "decision": pa.string(),        # the outcome decided at the version's threshold, as text
    "error": pa.string(),           # why the model could not score this row (score and decision null)
}

#: The columns of every feedback row (a true outcome, arrived later).
FEEDBACK_COLUMNS: dict[str, pa.DataType] = {
    "request_id": pa.string(),
    "ts": pa.timestamp("us", tz="UTC"),   # when the outcome arrived
    "outcome": pa.string(),               # the true outcome as text (a label, or a number for regression)
    "simulated": pa.bool_(),
}
FEEDBACK_SCHEMA = pa.schema(list(FEEDBACK_COLUMNS.items()))


def input_column(feature: str) -> str:
    return f"{INPUT_PREFIX}{feature}"


def prediction_schema(input_types: dict[str, str]) -> pa.Schema:
    """The schema of a prediction file for a version whose inputs are ``{feature: "number" | "category"}``."""
    inputs = [(input_column(f), pa.float64() if kind == "number" else pa.string()) for f, kind in input_types.items()]
    return pa.schema([*PREDICTION_COLUMNS.items(), *inputs])


@dataclass(frozen=True)
class LogFile:
    path: str  # within the log's filesystem
    model: str
    day: date
    kind: str  # predictions | feedback
    rows: int


class PredictionLog:
    """Writes and lists the log's Parquet files on any fsspec filesystem (a folder, S3, ...).

    Parameters
    ----------
    root : str
        The artifact store's root: a folder path or URL such as ``s3://bucket/prefix``.
    storage_options : dict, optional
        Passed to fsspec (for example an S3 endpoint).
    """

    def __init__(self, root: str, **storage_options: Any):
        self.fs, base = fsspec.core.url_to_fs(str(root), **storage_options)
        self.base = posixpath.join(base.rstrip("/"), "prediction-log")

    def folder(self, kind: str, model: str | None = None, day: date | None = None) -> str:
        parts = [self.base, kind]
        if model is not None:
            parts.append(f"model={model}")
            if day is not None:
                parts.append(f"date={day.isoformat()}")
        return posixpath.join(*parts)

    def _write(self, kind: str, model: str, table: pa.Table, *, ts_column: str = "ts") -> list[LogFile]:
        """One file per day the rows fall on, each written whole under a unique name."""
        if table.num_rows == 0:
            return []
        days = [t.date() for t in table.column(ts_column).to_pylist()]
        written = []
        for day in sorted(set(days)):
            mask = pa.array([d == day for d in days])
            part = table.filter(mask)
            folder = self.folder(kind, model, day)
            self.fs.makedirs(folder, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            path = posixpath.join(folder, f"part-{stamp}-{uuid.uuid4().hex[:12]}.parquet")
            tmp = posixpath.join(folder, f".incoming-{uuid.uuid4().hex}")
            with self.fs.open(tmp, "wb") as handle:
                pq.write_table(part, handle, compression="zstd")
            self.fs.mv(tmp, path)  # readers only ever list finished files
            written.append(LogFile(path=path, model=model, day=day, kind=kind, rows=part.num_rows))
        return written

    def write_predictions(self, model: str, rows: Sequence[dict[str, Any]], input_types: dict[str, str]) -> list[LogFile]:
        """Append one batch of predictions of ``model`` (dicts with the fixed columns and ``input:`` ones)."""
        schema = prediction_schema(input_types)
        return self._write("predictions", model, pa.Table.from_pylist(list(rows), schema=schema))

    def write_feedback(self, model: str, rows: Sequence[dict[str, Any]]) -> list[LogFile]:
        """Append one batch of outcomes for ``model``'s predictions."""
        return self._write("feedback", model, pa.Table.from_pylist(list(rows), schema=FEEDBACK_SCHEMA))

    def files(self, kind: str, model: str, *, start: date | None = None, end: date | None = None) -> list[str]:
        """The finished files of ``model`` whose day is within [start, end], oldest day first."""
        folder = self.folder(kind, model)
        if not self.fs.exists(folder):
            return []
        found = []
        for day_folder in sorted(self.fs.ls(folder, detail=False)):
            name = posixpath.basename(day_folder.rstrip("/"))
            if not name.startswith("date="):
                continue
            day = date.fromisoformat(name.removeprefix("date="))
            if (start and day < start) or (end and day > end):
                continue
            found += sorted(p for p in self.fs.ls(day_folder, detail=False)
                            if posixpath.basename(p).startswith("part-") and p.endswith(".parquet"))
        return found

    def models(self, kind: str = "predictions") -> list[str]:
        folder = self.folder(kind)
        if not self.fs.exists(folder):
            return []
        return sorted(posixpath.basename(p.rstrip("/")).removeprefix("model=") for p in self.fs.ls(folder, detail=False)
                      if posixpath.basename(p.rstrip("/")).startswith("model="))

    def read(self, kind: str, model: str, *, start: date | None = None, end: date | None = None,
             columns: Iterable[str] | None = None) -> pa.Table:
        """Everything logged for ``model`` in the days asked (small windows; monitoring streams instead)."""
        paths = self.files(kind, model, start=start, end=end)
        if not paths:
            schema = FEEDBACK_SCHEMA if kind == "feedback" else pa.schema(list(PREDICTION_COLUMNS.items()))
            return schema.empty_table()
        tables = [pq.read_table(p, filesystem=self.fs, columns=list(columns) if columns else None) for p in paths]
        return pa.concat_tables(tables, promote_options="default")
