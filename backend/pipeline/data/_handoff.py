"""Handing the typed training frame to the training process, through one Arrow IPC file.

The estimator is fitted in a child process under the organisation's time and memory limits. The
frame goes to it as an uncompressed Arrow file: numbers as float64 columns written straight from
their arrays, categories as dictionary columns (each distinct string once). The child gets back
exactly the frame the parent typed, with the same dtypes and values, without reading the data
files again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from backend.pipeline.data._columns import frame_of

__all__ = ["write_training_frame", "read_training_frame"]

_TARGET = "__greenlight_target__"


def _arrow(values: np.ndarray) -> pa.Array:
    if values.dtype != object:
        return pa.array(np.asarray(values, dtype=np.float64))
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array([str(v) for v in distinct], type=pa.string()))


def write_training_frame(X: pd.DataFrame, y: np.ndarray, path: Path) -> int:
    """Write ``X`` and ``y`` to ``path``; return the file's size in bytes."""
    arrays = [_arrow(X[name].to_numpy()) for name in X.columns] + [pa.array(np.asarray(y))]
    table = pa.table(arrays, names=[str(c) for c in X.columns] + [_TARGET])
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return Path(path).stat().st_size


def _column(column: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_dictionary(column.type):
        array = column.combine_chunks()
        lookup = np.empty(len(array.dictionary) + 1, dtype=object)
        lookup[:-1] = array.dictionary.to_pylist()
        lookup[-1] = np.nan
        return lookup[pc.fill_null(array.indices, -1).to_numpy()]
    # A copy, so the estimator gets ordinary writable arrays rather than views of the mapped file.
    return np.array(column.to_numpy(), copy=True)


def read_training_frame(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The frame and target written by :func:`write_training_frame`."""
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    names = [n for n in table.column_names if n != _TARGET]
    X = frame_of({name: _column(table.column(name)) for name in names})
    y = np.array(table.column(_TARGET).to_numpy(), copy=True)
    return X, y
