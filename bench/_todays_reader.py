"""Today's reader, frozen for ``reader_bench.py``: the pandas reader Greenlight used before the
pyarrow one (``backend/pipeline/data.py`` and the typing half of ``backend/registry/schema.py``
at commit 40ace1d), kept verbatim apart from imports so the bench measures it beside the new one.
It is not used by Greenlight itself.
"""

# ruff: noqa
from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from backend.errors import InvalidData
from backend.pipeline.spec import DataSpec

def as_category(column: pd.Series) -> pd.Series:
    values = column.astype(object)
    return values.where(column.isna(), values.map(lambda v: str(v).strip())).astype(object)


def check_numeric(column: pd.Series, name: str, label: str) -> pd.Series:
    """Numbers as float64, or an error naming the first text value and its line."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    converted = pd.to_numeric(column, errors="coerce")
    bad = converted.isna() & column.notna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidData(
            f"Column '{name}' in the {label} holds text where numbers are expected: "
            f"{column.iloc[position]!r} on line {position + 2} ({int(bad.sum())} such value"
            f"{'s' if bad.sum() > 1 else ''})."
        )
    return converted.astype("float64")


def apply_schema(frame: pd.DataFrame, schema: dict[str, str], label: str) -> pd.DataFrame:
    """Columns of ``schema`` in order, typed as recorded; missing columns are an error."""
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise InvalidData(f"The {label} lacks column{'s' if len(missing) > 1 else ''} the model needs: "
                          + ", ".join(repr(c) for c in missing))
    out = {}
    for name, kind in schema.items():
        out[name] = check_numeric(frame[name], name, label) if kind == "number" else as_category(frame[name])
    return pd.DataFrame(out, index=frame.index)

NA_VALUES = ["?", "", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"]
# A text column whose values are at least this share numbers is a numeric column with typos.
NUMERIC_SHARE = 0.9


@dataclass
class Dataset:
    """One split: features, the 0/1 (or numeric) target, and the sensitive columns."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    sensitive: pd.DataFrame
    sha256: str
    raw: pd.DataFrame  # the file as read, for a model with another schema (the champion)


@dataclass
class TrainingData:
    train: Dataset
    test: Dataset
    schema: dict[str, str]
    positive_label: str | None
    fingerprint: str
    warnings: list[str] = field(default_factory=list)


def _display(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)


def read_table(path: Path, label: str) -> pd.DataFrame:
    """Read a CSV (optionally gzip) or Parquet file; every failure names the file."""
    if not path.exists():
        raise InvalidData(f"The {label} file {label_path(path)} does not exist.")
    if not path.is_file():
        raise InvalidData(f"The {label} file {label_path(path)} is not a file.")
    if path.stat().st_size == 0:
        raise InvalidData(f"The {label} file {label_path(path)} is empty.")
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, skipinitialspace=True, na_values=NA_VALUES, keep_default_na=True,
                                low_memory=False, compression="infer")
    except pd.errors.EmptyDataError:
        raise InvalidData(f"The {label} file {label_path(path)} is empty: it has no header and no rows.") from None
    except pd.errors.ParserError as exc:
        raise InvalidData(f"The {label} file {label_path(path)} is not a well-formed CSV file: {exc}".strip()) from None
    except UnicodeDecodeError:
        raise InvalidData(f"The {label} file {label_path(path)} is not UTF-8 text.") from None
    except (gzip.BadGzipFile, zlib.error, EOFError, OSError) as exc:
        raise InvalidData(f"The {label} file {label_path(path)} could not be read: {exc}.") from None
    except Exception as exc:  # pyarrow raises its own types for a bad Parquet file
        raise InvalidData(f"The {label} file {label_path(path)} could not be read: {type(exc).__name__}: {exc}") from None
    if frame.empty:
        raise InvalidData(f"The {label} file {label_path(path)} has a header but no rows.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def label_path(path: Path) -> str:
    return path.name if len(str(path)) > 120 else str(path)


def infer_schema(frame: pd.DataFrame, label: str) -> dict[str, str]:
    """'number' or 'category' per column; a mostly-numeric text column is an error."""
    schema = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            schema[name] = "number"
            continue
        present = column.dropna()
        numeric = pd.to_numeric(present, errors="coerce").notna()
        if len(present) and numeric.mean() >= NUMERIC_SHARE:
            check_numeric(column, name, label)  # raises, naming the first text value
        schema[name] = "category"
    return schema


def _target(frame: pd.DataFrame, spec: DataSpec, label: str, path: Path) -> pd.Series:
    if spec.target not in frame.columns:
        shown = ", ".join(list(frame.columns)[:15]) + (" …" if len(frame.columns) > 15 else "")
        raise InvalidData(f"The {label} file {label_path(path)} has no column '{spec.target}' "
                          f"(the [data].target); its columns are: {shown}.")
    target = frame[spec.target]
    if target.isna().any():
        raise InvalidData(f"The target column '{spec.target}' in the {label} has {int(target.isna().sum())} "
                          "missing values; every row needs a known outcome.")
    return target


def _binary_target(train: pd.Series, test: pd.Series, spec: DataSpec) -> tuple[np.ndarray, np.ndarray, str]:
    train_text, test_text = train.astype(str).str.strip(), test.astype(str).str.strip()
    classes = sorted(train_text.unique())
    if len(classes) < 2:
        raise InvalidData(f"The target column '{spec.target}' has only one value ({classes[0]!r}) in the training "
                          "data; a classifier needs examples of at least two outcomes.")
    if len(classes) > 2:
        shown = ", ".join(repr(c) for c in classes[:8])
        raise InvalidData(f"The target column '{spec.target}' has {len(classes)} different values ({shown}); "
                          "Greenlight handles two-outcome (binary) classification.")
    if spec.positive_label is not None:
        positive = str(spec.positive_label)
        if positive not in classes:
            raise InvalidData(f"[data].positive_label {spec.positive_label!r} is not a value of '{spec.target}' "
                              f"(its values are {classes[0]!r} and {classes[1]!r}).")
    elif set(classes) in ({"0", "1"}, {"False", "True"}, {"false", "true"}):
        positive = classes[1]
    else:
        raise InvalidData(f"Set [data].positive_label to the outcome the model should predict: "
                          f"{classes[0]!r} or {classes[1]!r}.")
    unseen = sorted(set(test_text.unique()) - set(classes))
    if unseen:
        raise InvalidData(f"The test data's target '{spec.target}' has values the training data does not: "
                          + ", ".join(repr(v) for v in unseen[:5]))
    if test_text.nunique() < 2:
        raise InvalidData(f"The test data's target '{spec.target}' has only one value ({test_text.iloc[0]!r}); "
                          "measuring a classifier needs both outcomes in the test data.")
    return (train_text == positive).to_numpy(np.int64), (test_text == positive).to_numpy(np.int64), positive


def _numeric_target(series: pd.Series, spec: DataSpec, label: str) -> np.ndarray:
    return check_numeric(series, spec.target, label).to_numpy()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_training_data(spec: DataSpec, *, task: str, folder: Path) -> TrainingData:
    """Read, check and type both splits of a spec; raise :class:`InvalidData` naming the problem."""
    warnings: list[str] = []
    train_raw = read_table(spec.train, "training data")
    test_raw = read_table(spec.test, "test data")
    train_target = _target(train_raw, spec, "training data", spec.train)
    test_target = _target(test_raw, spec, "test data", spec.test)
    if task == "classification":
        y_train, y_test, positive = _binary_target(train_target, test_target, spec)
    else:
        y_train = _numeric_target(train_target, spec, "training data")
        y_test = _numeric_target(test_target, spec, "test data")
        positive = None

    absent = [c for c in spec.drop if c not in train_raw.columns]
    if absent:
        warnings.append("[data].drop names column(s) the training data does not have: " + ", ".join(absent))
    features = train_raw.drop(columns=[spec.target, *[c for c in spec.drop if c in train_raw.columns]])
    if features.shape[1] == 0:
        raise InvalidData("The training data has no feature columns left once the target and [data].drop are removed.")
    schema = infer_schema(features, "training data")
    X_train = apply_schema(features, schema, "training data")
    X_test = apply_schema(test_raw, schema, "test data")

    missing_sensitive = [c for c in spec.sensitive_features if c not in train_raw.columns or c not in test_raw.columns]
    if missing_sensitive:
        warnings.append("Sensitive feature(s) not found in the data: " + ", ".join(missing_sensitive))
    present = [c for c in spec.sensitive_features if c not in missing_sensitive]

    def sensitive(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({c: frame[c] for c in present}, index=frame.index)

    train_sha, test_sha = _file_digest(spec.train), _file_digest(spec.test)
    fingerprint = "sha256:" + hashlib.sha256(f"{train_sha}:{test_sha}".encode()).hexdigest()
    return TrainingData(
        train=Dataset(_display(spec.train, folder), X_train, y_train, sensitive(train_raw), train_sha, train_raw),
        test=Dataset(_display(spec.test, folder), X_test, y_test, sensitive(test_raw), test_sha, test_raw),
        schema=schema,
        positive_label=positive,
        fingerprint=fingerprint,
        warnings=warnings,
    )
