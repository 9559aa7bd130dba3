"""The aggregations monitoring runs over the prediction log, written once as SQL for every engine.

Everything monitoring judges is computed from *additive* daily counts and sums per version:
rows per bin of each input (bins cut at the reference's quantiles, or the reference's
categories), the score's histogram, and, for the predictions whose outcome has arrived, counts
and sums per score bin and outcome, plus the cells (sensitive groups × outcome × decision) the
fairness checks need. Additive means a week or a month is the sum of its days, a day computed
once is never read again, and memory depends on the number of bins, not on the log's size.

The SQL uses only what DuckDB and Spark SQL share; identifiers are quoted by the engine, and
lookup values (categories, the positive label) come from small registered tables, never from
text spliced into the query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from backend.monitoring.engines import Engine
from backend.registry.prediction_log import input_column

__all__ = ["AggregationPlan", "SCORE_BINS", "OTHER", "MISSING", "ROWS_PER_QUERY", "input_aggregates",
           "outcome_aggregates", "versions_by_day"]

#: Uniform bins of a classifier's score: fine enough that confusion counts at any threshold on a
#: 0.001 grid, and ROC AUC from the binned curve, differ from the exact figures by less than 0.001.
SCORE_BINS = 1000
#: Bin keys of the rows an input has no value for, and of categories the reference never saw.
MISSING, OTHER = -1, -2
_SLOTS = "slot IN ('production', 'canary')"
#: Days with fewer logged rows than this together are counted in one query, in memory.
ROWS_PER_QUERY = 100_000
_EPS = "CAST(1e-15 AS DOUBLE)"


@dataclass(frozen=True)
class AggregationPlan:
    """What to count for one version: its inputs' bins and how to read its score and outcomes."""

    version: int
    task: str
    numeric: dict[str, list[float]]  # feature → inner bin edges (reference quantiles)
    categories: dict[str, list[str]]  # feature → the reference's categories, in code order
    score_edges: list[float]  # the score's inner quantile edges, for score drift
    threshold: float
    positive_label: str | None
    sensitive: list[str]  # sensitive features that are model inputs (so in the log)

    @property
    def features(self) -> list[str]:
        return [*self.numeric, *self.categories]


def _num(value: float) -> str:
    return f"CAST({float(value)!r} AS DOUBLE)"


def _bins(expr: str, edges: Sequence[float]) -> str:
    """Bin index of ``expr``: the number of edges at or below it (like ``searchsorted(side='right')``),
    as a binary search of nested CASEs, so each row costs a handful of comparisons."""

    def search(low: int, high: int) -> str:
        if low == high:
            return str(low)
        middle = (low + high + 1) // 2
        return f"CASE WHEN {expr} < {_num(edges[middle - 1])} THEN {search(low, middle - 1)} ELSE {search(middle, high)} END"

    return f"CASE WHEN {expr} IS NULL THEN {MISSING} ELSE {search(0, len(edges))} END"


def _part(index: int, key: str, source: str, where: str, sums: tuple[str, str, str] = ("0", "0", "0"), *,
          day: str = "0") -> str:
    s1, s2, s3 = (f"CAST({s} AS DOUBLE)" for s in sums)
    return (f"SELECT {index} AS part, day, key, COUNT(*) AS n, SUM(s1) AS s1, SUM(s2) AS s2, SUM(s3) AS s3 FROM "
            f"(SELECT {day} AS day, CAST({key} AS BIGINT) AS key, {s1} AS s1, {s2} AS s2, {s3} AS s3 "
            f"FROM {source} WHERE {where}) t GROUP BY day, key")


def _day_of(alias: str) -> str:
    return f"CAST({alias}.ts AS DATE)"


def _entropy(score: str) -> str:
    p = f"LEAST(GREATEST({score}, {_EPS}), 1 - {_EPS})"
    return f"-({p} * LN({p}) + (1 - {p}) * LN(1 - {p}))"


def _score_bin(score: str) -> str:
    return f"LEAST(GREATEST(CAST(FLOOR({score} * {SCORE_BINS}) AS BIGINT), 0), {SCORE_BINS - 1})"


def versions_by_day(engine: Engine, files: dict[date, Sequence[str]]) -> list[dict[str, Any]]:
    """Per day and version: rows, errors, simulated rows and total latency."""
    sql = ("SELECT p.version AS version, COUNT(*) AS n, "
           "CAST(SUM(CASE WHEN p.error IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS errors, "
           "CAST(SUM(CASE WHEN p.simulated THEN 1 ELSE 0 END) AS BIGINT) AS simulated, "
           "CAST(SUM(p.latency_ms) AS DOUBLE) AS latency_sum "
           f"FROM predictions p WHERE {_SLOTS} GROUP BY p.version")
    # One query per day: the log's files are partitioned by day already, and working the day out
    # of each row's timestamp would cost more than the counting itself.
    return [{"day": day, **row} for day, paths in sorted(files.items())
            for row in engine.query(sql, files={"predictions": paths}).to_pylist()]


def _day_chunks(days: Sequence[date], rows: dict[date, int] | None) -> list[list[date]]:
    """Consecutive days grouped so that each group holds at most :data:`ROWS_PER_QUERY` rows
    (a bigger day, or one whose size is unknown, is a group of its own)."""
    chunks: list[list[date]] = []
    count = 0
    for day in sorted(days):
        n = (rows or {}).get(day, ROWS_PER_QUERY)
        if not chunks or count + n > ROWS_PER_QUERY:
            chunks.append([])
            count = 0
        chunks[-1].append(day)
        count += n
    return chunks


def input_aggregates(engine: Engine, files: dict[date, Sequence[str]], plan: AggregationPlan, *,
                     rows: dict[date, int] | None = None) -> dict[date, dict[str, Any]]:
    """Per day: each input's bin counts, the score's drift bins and its fine histogram.

    ``rows`` (the rows in each day's files, when known) lets small days share one query: a query
    of the files reads every file once per input, a cost that dominates days of a few hundred
    rows, so small days are read once into memory (at most :data:`ROWS_PER_QUERY` rows) and
    counted there, per UTC day of the timestamp (a day's files hold that day's rows: the log
    writes them so). A big day streams from its files alone, as before, in bounded memory.
    """
    q = engine.quote
    where = f"p.version = {int(plan.version)} AND {_SLOTS}"

    def sql_for(day: str) -> str:
        parts, names = [], []
        for feature, edges in plan.numeric.items():
            parts.append(_part(len(names), _bins(f"p.{q(input_column(feature))}", edges), "predictions p", where,
                               day=day))
            names.append(("feature", feature))
        for feature in plan.categories:
            column = f"p.{q(input_column(feature))}"
            key = f"CASE WHEN {column} IS NULL THEN {MISSING} WHEN c.code IS NULL THEN {OTHER} ELSE c.code END"
            source = f"predictions p LEFT JOIN categories c ON c.part = {len(names)} AND c.value = {column}"
            parts.append(_part(len(names), key, source, where, day=day))
            names.append(("feature", feature))
        scored = f"{where} AND p.score IS NOT NULL"
        parts.append(_part(len(names), _bins("p.score", plan.score_edges), "predictions p", scored, day=day))
        names.append(("score_bins", None))
        if plan.task == "classification":
            parts.append(_part(len(names), _score_bin("p.score"), "predictions p", scored,
                               ("p.score", "p.score * p.score", _entropy("p.score")), day=day))
            names.append(("score_hist", None))
        return " UNION ALL ".join(parts), names

    one_day, names = sql_for("0")
    several_days, _ = sql_for("p.day")
    # Small days are read once into memory (the columns counted, at most ROWS_PER_QUERY rows),
    # then counted there: a query of the files themselves would read every file once per input.
    wanted = ", ".join(["p.version AS version", "p.slot AS slot", "p.score AS score",
                        f"CAST({_day_of('p')} AS STRING) AS day",
                        *(f"p.{q(input_column(f))} AS {q(input_column(f))}" for f in plan.features)])
    categories = _categories_table(plan, len(plan.numeric))
    days: dict[date, dict[str, Any]] = {}
    for chunk in _day_chunks(list(files), rows):
        paths = [path for day in chunk for path in files[day]]
        if len(chunk) == 1:
            found = engine.query(one_day, files={"predictions": paths}, tables={"categories": categories})
        else:
            read = engine.query(f"SELECT {wanted} FROM predictions p WHERE {where}", files={"predictions": paths})
            found = engine.query(several_days, files={}, tables={"predictions": read, "categories": categories})
        for row in found.to_pylist():
            when = chunk[0] if len(chunk) == 1 else date.fromisoformat(str(row["day"])[:10])
            day = days.setdefault(when, {"features": {}, "score_bins": {}, "score_hist": {}})
            kind, feature = names[row["part"]]
            key = str(row["key"])
            if kind == "feature":
                day["features"].setdefault(feature, {})[key] = int(row["n"])
            elif kind == "score_bins":
                day["score_bins"][key] = int(row["n"])
            else:
                day["score_hist"][key] = [int(row["n"]), float(row["s1"]), float(row["s2"]), float(row["s3"])]
    for when in files:  # a day with no row of this version still has (empty) figures
        days.setdefault(when, {"features": {}, "score_bins": {}, "score_hist": {}})
    return days


def _categories_table(plan: AggregationPlan, offset: int) -> pa.Table:
    parts, values, codes = [], [], []
    for i, (_feature, categories) in enumerate(plan.categories.items()):
        for code, value in enumerate(categories):
            parts.append(offset + i)
            values.append(value)
            codes.append(code)
    return pa.table({"part": pa.array(parts, pa.int64()), "value": pa.array(values, pa.string()),
                     "code": pa.array(codes, pa.int64())})


def _labelled(plan: AggregationPlan, engine: Engine, columns: str) -> str:
    """The predictions of the plan's version joined with their latest outcome (``y``)."""
    if plan.task == "classification":
        y = "CASE WHEN TRIM(fb.outcome) = labels.positive THEN 1 ELSE 0 END"
        join = "CROSS JOIN labels"
    else:
        y = "TRY_CAST(fb.outcome AS DOUBLE)"
        join = ""
    # The newest outcome of a request wins (a correction replaces the first report); the outcome
    # text breaks ties so that every engine picks the same one.
    return (f"SELECT {_day_of('p')} AS day, p.score AS score, {y} AS y{columns} FROM predictions p "
            "JOIN (SELECT request_id, outcome FROM (SELECT request_id, outcome, ROW_NUMBER() OVER "
            "(PARTITION BY request_id ORDER BY ts DESC, outcome DESC) AS rn FROM feedback WHERE outcome IS NOT NULL) r "
            f"WHERE rn = 1) fb ON fb.request_id = p.request_id {join} "
            f"WHERE p.version = {int(plan.version)} AND {_SLOTS} AND p.score IS NOT NULL")


def outcome_aggregates(engine: Engine, files: Sequence[str], feedback: Sequence[str],
                       plan: AggregationPlan) -> dict[date, dict[str, Any]]:
    """Per day: counts and sums per score bin and outcome, and the fairness cells.

    Classification: per (bin, outcome) the rows, Σ score, Σ score², Σ log loss and Σ entropy of
    the score. Regression: Σ error², Σ |error|, Σ error⁴, Σ y and Σ y².
    """
    q = engine.quote
    views = {"predictions": files, "feedback": feedback}
    tables = {"labels": pa.table({"positive": pa.array([str(plan.positive_label or "")], pa.string())})}
    days: dict[date, dict[str, Any]] = {}
    if plan.task == "classification":
        p = f"LEAST(GREATEST(score, {_EPS}), 1 - {_EPS})"
        loss = f"CASE WHEN y = 1 THEN -LN({p}) ELSE -LN(1 - {p}) END"
        sql = (f"SELECT day, key, y, COUNT(*) AS n, SUM(score) AS s1, SUM(score * score) AS s2, SUM(loss) AS s3, "
               f"SUM(h) AS s4 FROM (SELECT day, y, score, {_score_bin('score')} AS key, {loss} AS loss, "
               f"{_entropy('score')} AS h FROM ({_labelled(plan, engine, '')}) l) t GROUP BY day, key, y")
        for row in engine.query(sql, files=views, tables=tables).to_pylist():
            day = days.setdefault(row["day"], {"labelled": {}, "fairness": None})
            day["labelled"][f"{row['key']}|{row['y']}"] = [int(row["n"]), float(row["s1"]), float(row["s2"]),
                                                           float(row["s3"]), float(row["s4"])]
        if plan.sensitive:
            columns = "".join(f", p.{q(input_column(f))} AS s{i}" for i, f in enumerate(plan.sensitive))
            keys = ", ".join(f"s{i}" for i in range(len(plan.sensitive)))
            decision = f"CASE WHEN score >= {_num(plan.threshold)} THEN 1 ELSE 0 END"
            sql = (f"SELECT day, {keys}, y, decision, COUNT(*) AS n FROM (SELECT day, {keys}, y, {decision} AS decision "
                   f"FROM ({_labelled(plan, engine, columns)}) l) t GROUP BY day, {keys}, y, decision")
            for row in engine.query(sql, files=views, tables=tables).to_pylist():
                day = days.setdefault(row["day"], {"labelled": {}, "fairness": None})
                cells = day["fairness"] or {"columns": list(plan.sensitive), "rows": []}
                cells["rows"].append([*(row[f"s{i}"] for i in range(len(plan.sensitive))), int(row["y"]),
                                      int(row["decision"]), int(row["n"])])
                day["fairness"] = cells
    else:
        sql = ("SELECT day, COUNT(*) AS n, SUM(e * e) AS s1, SUM(ABS(e)) AS s2, SUM(e * e * e * e) AS s3, SUM(y) AS s4, "
               f"SUM(y * y) AS s5 FROM (SELECT day, y, score - y AS e FROM ({_labelled(plan, engine, '')}) l "
               "WHERE y IS NOT NULL) t GROUP BY day")
        for row in engine.query(sql, files=views, tables=tables).to_pylist():
            days[row["day"]] = {"labelled": {"errors": [int(row["n"]), *(float(row[f"s{i}"]) for i in range(1, 6))]},
                                "fairness": None}
    for day in days.values():
        if day.get("fairness"):
            day["fairness"]["rows"].sort(key=lambda r: tuple((v is None, str(v)) for v in r))
    return days
