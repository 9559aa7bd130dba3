"""Reading one data file into an Arrow table, streamed, within the organisation's limits.

A CSV (optionally gzip) is read a block at a time by pyarrow; the decompressed bytes and the
rows are counted as they arrive, so a file that expands past a limit is refused while it is
read, never after it is in memory. A Parquet file's footer gives its rows, columns and
uncompressed size before any data is read; the batches are counted too, in case the footer
lies. Every refusal names the file, the limit, and how an admin raises it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from backend.errors import InvalidData
from backend.governance.limits import Limits, how_to_raise

__all__ = ["DataFile", "read_table", "NA_VALUES", "label_path"]

#: Cells that mean "missing" in a CSV file (after surrounding spaces are removed).
NA_VALUES = ["?", "", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]
_MIN_BLOCK = 1 << 20
_MAX_BLOCK = 64 << 20
_PARQUET_BATCH_ROWS = 64 * 1024
_RETYPED_COLUMNS_MAX = 20
_COLUMN_IN_ERROR = re.compile(r"In CSV column #(\d+)")


@dataclass
class DataFile:
    """A data file as read: its Arrow table and how to name places in it.

    ``text`` is true for CSV, where every value was text and line numbers mean something.
    """

    table: pa.Table
    label: str
    path: Path
    text: bool

    @property
    def shown(self) -> str:
        return label_path(self.path)

    def place(self, row: int) -> str:
        """Where row ``row`` (0-based) is in the file, for a message."""
        return f"on line {row + 2}" if self.text else f"in row {row + 1}"


class _TooLarge(Exception):
    """Raised from inside the byte stream, through pyarrow, when the byte limit is passed."""


class _CountingReader(io.RawIOBase):
    """A decompressed byte stream that counts what it hands out and stops past ``limit``."""

    def __init__(self, raw, limit: int):
        super().__init__()
        self._raw = raw
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self.count += n or 0
        if self.count > self.limit:
            raise _TooLarge(self.count)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def label_path(path: Path) -> str:
    return path.name if len(str(path)) > 120 else str(path)


def _open(path: Path, limit: int) -> _CountingReader:
    raw = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")  # noqa: SIM115
    return _CountingReader(raw, limit)


def _refuse(path: Path, label: str, problem: str, key: str, limits: Limits) -> InvalidData:
    return InvalidData(f"The {label} file {label_path(path)} {problem}. {how_to_raise(key, getattr(limits, key))}",
                       code="limit_exceeded")


def _too_many_bytes(path: Path, label: str, limits: Limits) -> InvalidData:
    return _refuse(path, label, f"is larger than {limits.max_data_mb:,} MB once decompressed; reading stopped there",
                   "max_data_mb", limits)


def _too_many_rows(path: Path, label: str, limits: Limits) -> InvalidData:
    return _refuse(path, label, f"has more than {limits.max_rows:,} rows; reading stopped there", "max_rows", limits)


def _too_many_columns(path: Path, label: str, count: int | None, limits: Limits) -> InvalidData:
    counted = f"has {count:,} columns" if count is not None else "has a header line too long to be read"
    return _refuse(path, label, f"{counted}, more than {limits.max_columns:,}", "max_columns", limits)


def _unreadable(path: Path, label: str, exc: BaseException, *, text: bool) -> InvalidData:
    if isinstance(exc, UnicodeDecodeError):
        return InvalidData(f"The {label} file {label_path(path)} is not UTF-8 text.")
    detail = str(exc).strip().rstrip(".")
    if text and "straddling" in detail:
        return InvalidData(f"The {label} file {label_path(path)} is not a well-formed CSV file: a row is longer "
                           "than the reader's block, usually a quote that is never closed.")
    if text and isinstance(exc, csv.Error | pa.ArrowInvalid):
        return InvalidData(f"The {label} file {label_path(path)} is not a well-formed CSV file: {detail}.")
    if not text and isinstance(exc, pa.ArrowInvalid):
        return InvalidData(f"The {label} file {label_path(path)} is not a readable Parquet file: {detail}.")
    return InvalidData(f"The {label} file {label_path(path)} could not be read: {type(exc).__name__}: {detail}.")


def _header(path: Path, label: str, limits: Limits) -> tuple[list[str], int]:
    """The column names (spaces stripped) and the header's length in bytes, read on their own.

    The header is read with a cap of its own, so a file of one endless line or of more columns
    than the limit is refused before pyarrow sees it.
    """
    cap = min(limits.max_data_bytes, max(_MIN_BLOCK, 256 * limits.max_columns))
    with _open(path, cap) as stream:
        text = io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8", newline="")
        try:
            row = next(csv.reader(text))
        except StopIteration:
            raise InvalidData(f"The {label} file {label_path(path)} is empty: it has no header and no rows.") from None
        except _TooLarge:
            if cap >= limits.max_data_bytes:
                raise _too_many_bytes(path, label, limits) from None
            raise _too_many_columns(path, label, None, limits) from None
        except (csv.Error, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
            raise _unreadable(path, label, exc, text=True) from None
        length = stream.count
    if len(row) > limits.max_columns:
        raise _too_many_columns(path, label, len(row), limits)
    names = [name.strip() or f"Unnamed: {i}" for i, name in enumerate(row)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidData(f"The {label} file {label_path(path)} has more than one column named "
                          + ", ".join(repr(n) for n in repeated[:5]) + "; each column needs its own name.")
    return names, length


def _csv_reader(path: Path, names: list[str], wanted: list[str], types: dict[str, pa.DataType], block: int,
                limits: Limits) -> tuple[_CountingReader, pa_csv.CSVStreamingReader]:
    stream = _open(path, limits.max_data_bytes)
    try:
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1, block_size=block),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(include_columns=wanted, column_types=types, null_values=NA_VALUES,
                                                  strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except BaseException:
        stream.close()
        raise
    return stream, reader


def _first_block_types(schema: pa.Schema) -> dict[str, pa.DataType]:
    """Types that hold for the whole file, from those pyarrow guessed on its first block.

    Whole numbers are read as floats (a later 2.5 must not fail the read); a column empty in the
    first block is read as text, typed once the whole column is known.
    """
    types = {}
    for field in schema:
        if pa.types.is_integer(field.type):
            types[field.name] = pa.float64()
        elif pa.types.is_null(field.type):
            types[field.name] = pa.string()
    return types


def _read_csv(path: Path, label: str, limits: Limits, skip: set[str]) -> pa.Table:
    names, header_bytes = _header(path, label, limits)
    wanted = [n for n in names if n not in skip]
    block = min(_MAX_BLOCK, max(_MIN_BLOCK, 16 * header_bytes))
    stream, reader = _csv_reader(path, names, wanted, {}, block, limits)
    with stream:
        types = _first_block_types(reader.schema)
    for _ in range(_RETYPED_COLUMNS_MAX):
        stream, reader = _csv_reader(path, names, wanted, types, block, limits)
        with stream:
            try:
                batches, rows = [], 0
                for batch in reader:
                    rows += batch.num_rows
                    if rows > limits.max_rows:
                        raise _too_many_rows(path, label, limits)
                    batches.append(batch)
                return pa.Table.from_batches(batches, schema=reader.schema)
            except pa.ArrowInvalid as exc:
                # A value that does not fit the type guessed from the first block: read that
                # column as text and let the typing rules decide (and name the value).
                found = _COLUMN_IN_ERROR.search(str(exc))
                column = names[int(found.group(1))] if found and int(found.group(1)) < len(names) else None
                if column is None or types.get(column) == pa.string():
                    raise
                types[column] = pa.string()
    raise InvalidData(f"The {label} file {label_path(path)} has too many columns whose values change type "
                      "part-way through the file.")


def _read_parquet(path: Path, label: str, limits: Limits, skip: set[str]) -> pa.Table:
    with pq.ParquetFile(path) as parquet:
        meta, schema = parquet.metadata, parquet.schema_arrow
        if len(schema.names) > limits.max_columns:
            raise _too_many_columns(path, label, len(schema.names), limits)
        if meta.num_rows > limits.max_rows:
            raise _refuse(path, label, f"has {meta.num_rows:,} rows, more than {limits.max_rows:,}", "max_rows", limits)
        expanded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if expanded > limits.max_data_bytes:
            raise _refuse(path, label, f"holds {expanded / 1e6:,.0f} MB once decompressed, more than "
                          f"{limits.max_data_mb:,} MB", "max_data_mb", limits)
        wanted = [n for n in schema.names if n not in skip]
        batches, rows, size = [], 0, 0
        # The footer's sizes are of the encoded data and could lie: count what actually arrives.
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, columns=wanted, use_threads=False):
            rows += batch.num_rows
            size += batch.nbytes
            if rows > limits.max_rows:
                raise _too_many_rows(path, label, limits)
            if size > limits.max_data_bytes:
                raise _too_many_bytes(path, label, limits)
            batches.append(batch)
    if batches:
        return pa.Table.from_batches(batches)
    return pa.schema([schema.field(n) for n in wanted], metadata=schema.metadata).empty_table()


def read_table(path: Path, label: str, limits: Limits | None = None, *, skip: set[str] | frozenset[str] = frozenset()
               ) -> DataFile:
    """Read a CSV (optionally gzip) or Parquet file, within ``limits``; every failure names the file.

    Parameters
    ----------
    path : Path
        The file; ``.parquet`` / ``.pq`` is Parquet, anything else CSV (gzip when it ends in ``.gz``).
    label : str
        What the file is, for messages ("training data").
    limits : Limits, optional
        The organisation's limits (defaults when omitted).
    skip : set of str
        Columns not to read at all (the spec's ``[data].drop``).
    """
    limits = limits or Limits()
    if not path.exists():
        raise InvalidData(f"The {label} file {label_path(path)} does not exist.")
    if not path.is_file():
        raise InvalidData(f"The {label} file {label_path(path)} is not a file.")
    if path.stat().st_size == 0:
        raise InvalidData(f"The {label} file {label_path(path)} is empty.")
    text = not path.name.lower().endswith((".parquet", ".pq"))
    try:
        table = _read_csv(path, label, limits, set(skip)) if text else _read_parquet(path, label, limits, set(skip))
    except InvalidData:
        raise
    except _TooLarge:
        raise _too_many_bytes(path, label, limits) from None
    except (pa.ArrowException, csv.Error, UnicodeDecodeError, gzip.BadGzipFile, zlib.error, EOFError, OSError) as exc:
        raise _unreadable(path, label, exc, text=text) from None
    if table.num_rows == 0:
        raise InvalidData(f"The {label} file {label_path(path)} has a header but no rows.")
    return DataFile(table=table, label=label, path=path, text=text)
