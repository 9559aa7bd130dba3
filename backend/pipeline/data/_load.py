"""Loading a spec's training and test data, with errors that name the file, column and line."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from backend.errors import InvalidData
from backend.governance.limits import Limits
from backend.pipeline.data._columns import column_kind, infer_schema, plain_frame, typed_frame
from backend.pipeline.data._read import DataFile, label_path, read_table
from backend.pipeline.spec import DataSpec
from backend.registry.schema import CATEGORY, NUMBER, check_numeric

__all__ = ["Dataset", "TrainingData", "load_training_data"]


@dataclass
class Dataset:
    """One split: features, the 0/1 (or numeric) target, and the sensitive columns.

    ``raw`` is the test file as read (every column, text cleaned, nothing typed), for scoring
    with a model of another schema (the production version); the training split does not keep
    it, to spare memory.
    """

    name: str
    X: pd.DataFrame
    y: np.ndarray
    sensitive: pd.DataFrame
    sha256: str
    raw: pd.DataFrame | None = None


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


def _target(data: DataFile, spec: DataSpec) -> pd.Series:
    if spec.target not in data.table.column_names:
        # Stage messages are read by every viewer: name the closest column, never the file's header.
        close = difflib.get_close_matches(spec.target, data.table.column_names, n=1, cutoff=0.75)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise InvalidData(f"The {data.label} file {label_path(data.path)} has no column '{spec.target}' "
                          f"(the [data].target) among its {data.table.num_columns} columns.{hint}")
    # Lists, bytes and the like are refused here, naming the column, as for a feature.
    if column_kind(data.table.column(spec.target), spec.target, data) not in (NUMBER, CATEGORY):
        raise InvalidData(f"The target column '{spec.target}' in the {data.label} holds dates; the target must be "
                          "an outcome (two values for classification, a number for regression).")
    target = plain_frame(data, [spec.target])[spec.target]
    if target.isna().any():
        raise InvalidData(f"The target column '{spec.target}' in the {data.label} has {int(target.isna().sum())} "
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


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_training_data(spec: DataSpec, *, task: str, folder: Path, limits: Limits | None = None) -> TrainingData:
    """Read, check and type both splits of a spec; raise :class:`InvalidData` naming the problem.

    Parameters
    ----------
    spec : DataSpec
        The spec's ``[data]`` section.
    task : str
        ``classification`` or ``regression``.
    folder : Path
        The spec's folder, for the file names shown.
    limits : Limits, optional
        The organisation's limits on bytes, rows and columns, checked while each file is read
        (the defaults when omitted).
    """
    warnings: list[str] = []
    keep = {spec.target, *spec.sensitive_features}
    # Dropped columns are never read from the training file; the test file is read whole, since
    # the production version may need a column this spec drops.
    train = read_table(spec.train, "training data", limits, skip={c for c in spec.drop if c not in keep})
    test = read_table(spec.test, "test data", limits)
    train_target, test_target = _target(train, spec), _target(test, spec)
    if task == "classification":
        y_train, y_test, positive = _binary_target(train_target, test_target, spec)
    else:
        y_train = check_numeric(train_target, spec.target, "training data").to_numpy()
        y_test = check_numeric(test_target, spec.target, "test data").to_numpy()
        positive = None
    del train_target, test_target

    columns = train.table.column_names
    absent = [c for c in spec.drop if c not in columns]
    if absent:
        warnings.append("[data].drop names column(s) the training data does not have: " + ", ".join(absent))
    features = [c for c in columns if c != spec.target and c not in spec.drop]
    if not features:
        raise InvalidData("The training data has no feature columns left once the target and [data].drop are removed.")
    schema = infer_schema(train, features)

    missing_sensitive = [c for c in spec.sensitive_features if c not in columns or c not in test.table.column_names]
    if missing_sensitive:
        warnings.append("Sensitive feature(s) not found in the data: " + ", ".join(missing_sensitive))
    present = [c for c in spec.sensitive_features if c not in missing_sensitive]

    train_sensitive = plain_frame(train, present)
    X_train = typed_frame(train, schema, consume=True)
    del train
    raw_test = plain_frame(test)
    X_test = typed_frame(test, schema, consume=True)
    del test

    train_sha, test_sha = _file_digest(spec.train), _file_digest(spec.test)
    fingerprint = "sha256:" + hashlib.sha256(f"{train_sha}:{test_sha}".encode()).hexdigest()
    return TrainingData(
        train=Dataset(_display(spec.train, folder), X_train, y_train, train_sensitive, train_sha),
        test=Dataset(_display(spec.test, folder), X_test, y_test, raw_test[present], test_sha, raw_test),
        schema=schema,
        positive_label=positive,
        fingerprint=fingerprint,
        warnings=warnings,
    )
