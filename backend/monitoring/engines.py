"""The engines that run monitoring's aggregations over the prediction log's Parquet files.

Both run the *same* SQL text (built in :mod:`backend.monitoring.aggregations`): DuckDB on one
machine, streaming the files with a memory limit, and Spark (an optional extra) where the log
outgrows one machine. Only identifier quoting differs between the two dialects, so the SQL
builder asks the engine for it. Small lookup tables (the reference's categories, the positive
label) are registered as views rather than written into the SQL, so no value from a log or a
spec is ever spliced into a query.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

import pyarrow as pa

from backend.errors import InvalidData

__all__ = ["Engine", "DuckDBEngine", "SparkEngine", "open_engine", "ENGINES", "DUCKDB_MEMORY_LIMIT", "is_local",
           "file_urls"]

ENGINES = ("duckdb", "spark")
#: DuckDB spills to disk beyond this, so a month of a busy model's log never needs more memory.
DUCKDB_MEMORY_LIMIT = "512MB"


def is_local(filesystem) -> bool:
    protocol = getattr(filesystem, "protocol", "file")
    return "file" in ((protocol,) if isinstance(protocol, str) else tuple(protocol))


def file_urls(filesystem, paths: Sequence[str]) -> list[str]:
    """The log's paths as URLs an engine opens: plain paths on a local disk, ``proto://path`` elsewhere."""
    if is_local(filesystem):
        return list(paths)
    protocol = filesystem.protocol if isinstance(filesystem.protocol, str) else filesystem.protocol[0]
    return [p if "://" in p else f"{protocol}://{p.lstrip('/')}" for p in paths]


class Engine(Protocol):
    name: str

    def quote(self, identifier: str) -> str:
        """``identifier`` quoted for this dialect (column names such as ``input:income``)."""

    def query(self, sql: str, *, files: dict[str, Sequence[str]], tables: dict[str, pa.Table] | None = None) -> pa.Table:
        """Run ``sql`` with a view per entry of ``files`` (Parquet paths) and of ``tables``."""

    def close(self) -> None: ...


class DuckDBEngine:
    """DuckDB over local Parquet files (or any fsspec filesystem), with bounded memory."""

    name = "duckdb"

    def __init__(self, *, memory_limit: str = DUCKDB_MEMORY_LIMIT, threads: int | None = None, filesystem=None):
        import duckdb

        self._con = duckdb.connect(config={"memory_limit": memory_limit, "threads": threads or min(os.cpu_count() or 1, 2),
                                           "preserve_insertion_order": False})
        self._con.execute("SET TimeZone = 'UTC'")
        if filesystem is not None and not is_local(filesystem):
            # The log on S3 (or any fsspec filesystem): DuckDB reads it through the same fsspec object.
            self._con.register_filesystem(filesystem)

    def quote(self, identifier: str) -> str:
        return '"' + identifier.replace('"', '""') + '"'

    def query(self, sql: str, *, files: dict[str, Sequence[str]], tables: dict[str, pa.Table] | None = None) -> pa.Table:
        registered = []
        try:
            for name, paths in files.items():
                if not paths:
                    raise InvalidData(f"No Parquet files to read for '{name}'.")
                self._con.read_parquet(list(paths), union_by_name=True).create_view(name, replace=True)
            for name, table in (tables or {}).items():
                self._con.register(name, table)
                registered.append(name)
            relation = self._con.sql(sql)
            # DuckDB 2 renamed the relation's arrow() (1.x) to to_arrow_table().
            fetch = getattr(relation, "to_arrow_table", None) or relation.arrow
            return fetch()
        finally:
            for name in registered:
                self._con.unregister(name)

    def close(self) -> None:
        self._con.close()


class SparkEngine:
    """The same aggregations on Spark (``pip install 'greenlight-portal[spark]'``, Java 17)."""

    name = "spark"

    def __init__(self, session: Any | None = None, *, master: str | None = None):
        try:
            from pyspark.sql import SparkSession
        except ImportError:  # the optional extra is not installed
            raise InvalidData("The Spark engine needs the optional extra: pip install 'greenlight-portal[spark]' "
                              "(and Java 17).") from None
        self._owned = session is None
        self._spark = session or (SparkSession.builder.master(master or "local[2]")
                                  .appName("greenlight-monitoring")
                                  .config("spark.sql.session.timeZone", "UTC")
                                  .config("spark.ui.enabled", "false")
                                  .config("spark.sql.shuffle.partitions", "4")
                                  .getOrCreate())
        self._spark.conf.set("spark.sql.session.timeZone", "UTC")

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def query(self, sql: str, *, files: dict[str, Sequence[str]], tables: dict[str, pa.Table] | None = None) -> pa.Table:
        for name, paths in files.items():
            if not paths:
                raise InvalidData(f"No Parquet files to read for '{name}'.")
            self._spark.read.option("mergeSchema", "true").parquet(*paths).createOrReplaceTempView(name)
        for name, table in (tables or {}).items():
            # From rows, not from pandas: a missing number stays NULL instead of becoming NaN.
            rows = [tuple(r.values()) for r in table.to_pylist()]
            self._spark.createDataFrame(rows, schema=_spark_schema(table.schema)).createOrReplaceTempView(name)
        frame = self._spark.sql(sql).toPandas()
        return pa.Table.from_pandas(frame, preserve_index=False)

    def close(self) -> None:
        if self._owned:
            self._spark.stop()


def _spark_type(kind: pa.DataType) -> str:
    # By family, not by exact type: the same column reads as string or large_string, int32 or
    # int64, depending on the writer and the pyarrow and pandas versions.
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "STRING"
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind):
        return "DOUBLE"
    if pa.types.is_date(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP"
    raise InvalidData(f"A column of type {kind} cannot be handed to Spark.")


def _spark_schema(schema: pa.Schema) -> str:
    return ", ".join(f"`{field.name}` {_spark_type(field.type)}" for field in schema)


def open_engine(name: str = "duckdb", **options: Any) -> Engine:
    """The engine called ``name`` (``duckdb`` or ``spark``)."""
    if name == "duckdb":
        return DuckDBEngine(**options)
    if name == "spark":
        return SparkEngine(**options)
    raise InvalidData(f"Unknown monitoring engine '{name}': use one of {', '.join(ENGINES)}.")
