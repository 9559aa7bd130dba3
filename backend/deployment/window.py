"""What the canary and production served over a window, read from the prediction log.

Only the columns the judge needs are read, and only from the days the window covers, with the
time and slot filters pushed down into the Parquet scan. Outcomes are joined by request id from
the feedback files written since the window opened (an outcome arrives after its prediction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from backend.deployment.judge import SideSample
from backend.registry.prediction_log import FEEDBACK_SCHEMA, PREDICTION_COLUMNS, PredictionLog

__all__ = ["read_sides", "empty_side"]

_COLUMNS = ["request_id", "version", "slot", "ts", "latency_ms", "simulated", "score", "decision", "error"]
_SCHEMA = pa.schema([(name, PREDICTION_COLUMNS[name]) for name in _COLUMNS])
_TS = pa.timestamp("us", tz="UTC")


def empty_side(slot: str, version: int | None) -> SideSample:
    nothing = np.empty(0)
    return SideSample(slot=slot, version=version, latency_ms=nothing, error=np.empty(0, dtype=bool), score=nothing,
                      positive=np.empty(0, dtype=bool), outcome_correct=np.empty(0, dtype=bool))


def _predictions(log: PredictionLog, model: str, start: datetime, end: datetime) -> pd.DataFrame:
    paths = log.files("predictions", model, start=start.date(), end=end.date())
    if not paths:
        return _SCHEMA.empty_table().to_pandas()
    dataset = ds.dataset(paths, schema=_SCHEMA, format="parquet", filesystem=log.fs)
    wanted = ((pc.field("ts") >= pa.scalar(start, type=_TS)) & (pc.field("ts") <= pa.scalar(end, type=_TS))
              & pc.field("slot").isin(["canary", "production"]))
    return dataset.to_table(columns=_COLUMNS, filter=wanted).to_pandas()


def _outcomes(log: PredictionLog, model: str, start: datetime) -> pd.DataFrame:
    paths = log.files("feedback", model, start=start.date())
    if not paths:
        return pd.DataFrame({"request_id": pd.Series(dtype=object), "outcome": pd.Series(dtype=object)})
    table = ds.dataset(paths, schema=FEEDBACK_SCHEMA, format="parquet", filesystem=log.fs).to_table(
        columns=["request_id", "ts", "outcome"])
    frame = table.to_pandas().sort_values("ts")
    # A corrected outcome sent again replaces the first one.
    return frame.drop_duplicates("request_id", keep="last")[["request_id", "outcome"]]


def _side(frame: pd.DataFrame, slot: str, version: int | None, *, task: str, positive_label: Any) -> SideSample:
    if version is None or frame.empty:
        return empty_side(slot, version)
    rows = frame[(frame["slot"] == slot) & (frame["version"] == version)]
    if rows.empty:
        return empty_side(slot, version)
    failed = rows["error"].notna().to_numpy()
    scored = rows[~failed]
    positive = None
    if task == "classification":
        positive = (scored["decision"].astype(str) == str(positive_label)).to_numpy()
    known = scored[scored["outcome"].notna()]
    correct = None
    if task == "regression":
        truth = pd.to_numeric(known["outcome"], errors="coerce")
        known, truth = known[truth.notna()], truth[truth.notna()]
        outcome = truth.to_numpy(dtype=float)
    else:
        outcome = (known["outcome"].astype(str) == str(positive_label)).to_numpy(dtype=float)
        correct = (known["decision"].astype(str) == known["outcome"].astype(str)).to_numpy()
    return SideSample(
        slot=slot, version=version, latency_ms=rows["latency_ms"].fillna(0.0).to_numpy(dtype=float), error=failed,
        score=scored["score"].to_numpy(dtype=float), positive=positive, outcome=outcome,
        outcome_score=known["score"].to_numpy(dtype=float), outcome_correct=correct,
        simulated=int(rows["simulated"].fillna(False).astype(bool).sum()))


def read_sides(log: PredictionLog, model: str, *, start: datetime, end: datetime, canary_version: int | None,
               production_version: int | None, task: str = "classification",
               positive_label: Any = None) -> tuple[SideSample, SideSample]:
    """The canary's and production's predictions of ``model`` between ``start`` and ``end``.

    Parameters
    ----------
    log : PredictionLog
        Where the gateways write.
    canary_version, production_version : int or None
        Only rows served by these versions count on each side (a row served by an earlier
        production version, before a promotion, does not).
    task, positive_label
        How a logged decision and an outcome are read (the version's input schema).
    """
    frame = _predictions(log, model, start, end)
    if not frame.empty:
        frame = frame.merge(_outcomes(log, model, start), on="request_id", how="left")
    else:
        frame["outcome"] = pd.Series(dtype=object)
    return (_side(frame, "canary", canary_version, task=task, positive_label=positive_label),
            _side(frame, "production", production_version, task=task, positive_label=positive_label))
