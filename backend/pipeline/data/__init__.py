"""A spec's training and test data: read within the organisation's limits, typed once.

Files are read with pyarrow, streamed, and refused while they are read when they pass a limit
(bytes once decompressed, rows, columns). Columns are typed once against the schema: numbers
(float64), categories (Python strings, NaN for missing) and dates (days since 1970-01-01, as
numbers); anything else is refused naming the column. The same schema is recorded with the
version and applied again when the model serves, so training and serving see identical types.
"""

from backend.pipeline.data._columns import (
    NUMERIC_SHARE,
    column_kind,
    infer_schema,
    plain_frame,
    typed_frame,
)
from backend.pipeline.data._handoff import read_training_frame, write_training_frame
from backend.pipeline.data._load import Dataset, TrainingData, load_training_data
from backend.pipeline.data._read import NA_VALUES, DataFile, read_table
from backend.registry.schema import apply_schema

__all__ = [
    "Dataset",
    "TrainingData",
    "DataFile",
    "load_training_data",
    "read_table",
    "infer_schema",
    "column_kind",
    "typed_frame",
    "plain_frame",
    "apply_schema",
    "write_training_frame",
    "read_training_frame",
    "NA_VALUES",
    "NUMERIC_SHARE",
]
