"""Every column type is handled on purpose: dates become numbers, and numbers stored as text,
lists, bytes and other shapes are refused naming the column; training and serving type alike."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from backend.errors import InvalidData
from backend.pipeline.data import load_training_data
from backend.pipeline.spec import load_spec
from backend.registry.schema import apply_schema
from tests.factories import synthetic_classification, write_spec


def _parquet_spec(tmp_path, extra: dict[str, pa.Array], *, train_rows: int = 120, test_rows: int = 60):
    """A spec over Parquet files: the synthetic loan data plus ``extra`` columns (each given
    for train_rows + test_rows rows, the training rows first)."""
    folder = tmp_path / "model"
    path = write_spec(folder, train="train.parquet", test="test.parquet")
    for name, start, rows, seed in (("train", 0, train_rows, 0), ("test", train_rows, test_rows, 1)):
        table = pa.Table.from_pandas(synthetic_classification(rows, seed=seed), preserve_index=False)
        for column, values in extra.items():
            table = table.append_column(column, values.slice(start, rows))
        pq.write_table(table, folder / f"{name}.parquet")
    return load_spec(path)


def _csv_spec(tmp_path, train_text: str, test_text: str | None = None):
    folder = tmp_path / "model"
    path = write_spec(folder)
    (folder / "train.csv").write_text(train_text)
    (folder / "test.csv").write_text(test_text if test_text is not None else train_text)
    return load_spec(path)


def _load(spec):
    return load_training_data(spec.data, task=spec.model.task, folder=spec.folder)


def _refusal(spec) -> str:
    with pytest.raises(InvalidData) as caught:
        _load(spec)
    return caught.value.message


def _loans_csv(rows: int, seed: int = 0, **columns) -> str:
    frame = synthetic_classification(rows, seed=seed)
    for name, values in columns.items():
        if name in frame.columns:
            frame[name] = values
        else:
            frame.insert(0, name, values)
    return frame.to_csv(index=False)


# -- dates become numbers -------------------------------------------------------------------------

def test_parquet_dates_and_timestamps_become_days_since_1970(tmp_path):
    n = 180
    opened = [dt.date(2024, 1, 1) + dt.timedelta(days=i % 90) for i in range(n)]
    stamps = [dt.datetime(2024, 1, 1, 12) + dt.timedelta(days=i % 30) for i in range(n)]
    zoned = pa.array([pd.Timestamp("2024-01-01 12:00", tz="Europe/Paris")] * n, type=pa.timestamp("ms", tz="Europe/Paris"))
    opened_array = pa.array(opened, type=pa.date32())
    spec = _parquet_spec(tmp_path, {"opened": opened_array, "seen": pa.array(stamps, type=pa.timestamp("us")),
                                    "zoned": zoned})
    data = _load(spec)
    assert data.schema == {"income": "number", "tenure": "number", "region": "category", "opened": "date",
                           "seen": "date", "zoned": "date"}
    X = data.train.X
    assert X["opened"].dtype == "float64" and X["opened"].iloc[0] == 19723.0  # 2024-01-01
    assert X["seen"].iloc[0] == 19723.5  # noon
    assert X["zoned"].iloc[0] == pytest.approx(19723 + 11 / 24)  # noon in Paris is 11:00 UTC
    # Serving types a date the same way, from ISO text or from datetimes.
    request = pd.DataFrame({"income": [50.0], "tenure": [3], "region": ["north"], "opened": ["2024-01-01"],
                            "seen": [pd.Timestamp("2024-01-01 12:00")], "zoned": ["2024-01-01T12:00:00+01:00"]})
    served = apply_schema(request, data.schema, "request")
    assert served[["opened", "seen", "zoned"]].iloc[0].tolist() == pytest.approx([19723.0, 19723.5, 19723 + 11 / 24])
    # The stored sample and the test frame are typed already; typing them again changes nothing.
    pd.testing.assert_frame_equal(apply_schema(data.test.X, data.schema, "sample"), data.test.X)


def test_csv_iso_dates_become_numbers_and_a_bad_date_is_named(tmp_path):
    dates = [f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(200)]
    spec = _csv_spec(tmp_path, _loans_csv(200, opened=dates))
    data = _load(spec)
    assert data.schema["opened"] == "date" and data.train.X["opened"].iloc[0] == 19358.0  # 2023-01-01
    with pytest.raises(InvalidData, match="Column 'opened' in the request holds text where dates are expected: "
                                          "'next week' on line 2"):
        apply_schema(pd.DataFrame({"income": [1], "tenure": [1], "region": ["x"], "opened": ["next week"]}),
                     data.schema, "request")


def test_training_and_serving_type_the_same_file_identically(tmp_path):
    n = 300
    rng = np.random.default_rng(3)
    frame = synthetic_classification(n)
    frame["opened"] = [f"2022-0{1 + i % 9}-1{i % 10}" for i in range(n)]
    frame["flag"] = rng.random(n) < 0.5
    frame.loc[::7, "income"] = np.nan
    frame.loc[::11, "region"] = None
    spec = _csv_spec(tmp_path, frame.to_csv(index=False))
    data = _load(spec)
    # The serving path, on the file as pandas reads it.
    served = apply_schema(pd.read_csv(spec.data.train, keep_default_na=True), data.schema, "request")
    pd.testing.assert_frame_equal(data.train.X, served, check_dtype=True)


# -- numbers stored as text, and text among numbers ------------------------------------------------

def test_numbers_stored_as_text_in_parquet_are_refused_naming_column_and_example(tmp_path):
    amounts = pa.array([f"{12.5 + i:.2f}" for i in range(180)])
    message = _refusal(_parquet_spec(tmp_path, {"amount": amounts}))
    assert "Column 'amount' in the training data holds numbers stored as text, for example '12.50' in row 1" in message
    assert "store them as numbers" in message


def test_text_among_numbers_far_down_a_large_csv_names_value_and_line(tmp_path):
    rows = 60_000  # several of pyarrow's blocks: the value sits beyond the block its type was guessed from
    income = [str(round(30 + i % 50 + 0.5, 1)) for i in range(rows)]
    income[55_000] = "forty"
    spec = _csv_spec(tmp_path, _loans_csv(rows, income=income), _loans_csv(50, seed=1))
    message = _refusal(spec)
    assert message == ("Column 'income' in the training data holds text where numbers are expected: "
                       "'forty' on line 55002 (1 such value).")


def test_whole_numbers_that_turn_decimal_or_start_empty_are_numbers(tmp_path):
    rows = 60_000
    counts = [str(i % 7) for i in range(rows)]
    counts[-1] = "2.5"  # a whole-number column gets a decimal only at the end
    late = [""] * rows
    late[-10:] = ["1"] * 10  # empty in the first block, numbers later
    spaced = [f" {i % 5} " if i % 3 else " ? " for i in range(rows)]  # spaces and a spaced missing marker
    spec = _csv_spec(tmp_path, _loans_csv(rows, counts=counts, late=late, spaced=spaced), _loans_csv(50, seed=1,
                     counts=["1"] * 50, late=["2"] * 50, spaced=["3"] * 50))
    data = _load(spec)
    assert {c: data.schema[c] for c in ("counts", "late", "spaced")} == {c: "number" for c in ("counts", "late", "spaced")}
    X = data.train.X
    assert X["counts"].iloc[-1] == 2.5 and X["late"].isna().sum() == rows - 10 and X["spaced"].isna().sum() == rows // 3


def test_mostly_text_stays_a_category(tmp_path):
    codes = [f"A{i % 9}" for i in range(200)]
    codes[:5] = ["1", "2", "3", "4", "5"]
    data = _load(_csv_spec(tmp_path, _loans_csv(200, code=codes)))
    assert data.schema["code"] == "category" and data.train.X["code"].iloc[0] == "1"


# -- shapes that are refused -------------------------------------------------------------------------

REFUSED = {
    "lists": (pa.array([[1, 2]] * 180, type=pa.list_(pa.int64())), "holds lists (list<"),
    "bytes": (pa.array([b"\x00\x01"] * 180, type=pa.binary()), "holds bytes (binary)"),
    "struct": (pa.array([{"a": 1}] * 180), "holds structured values"),
    "time": (pa.array([dt.time(9, 30)] * 180, type=pa.time64("us")), "holds times of day (time64[us])"),
    "duration": (pa.array([dt.timedelta(seconds=5)] * 180, type=pa.duration("s")), "holds durations (duration[s])"),
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_shapes_that_cannot_be_features_are_refused_naming_the_column(kind, tmp_path):
    values, expected = REFUSED[kind]
    message = _refusal(_parquet_spec(tmp_path, {"odd": values}))
    assert message.startswith("Column 'odd' in the training data (")
    assert expected in message


def test_a_target_of_lists_is_refused_naming_it(tmp_path):
    folder = tmp_path / "model"
    spec = load_spec(write_spec(folder, train="train.parquet", test="test.parquet", target="outcome"))
    for name in ("train", "test"):
        frame = synthetic_classification(50).drop(columns=["label"])
        table = pa.Table.from_pandas(frame, preserve_index=False).append_column("outcome", pa.array([[1]] * 50))
        pq.write_table(table, folder / f"{name}.parquet")
    assert "Column 'outcome' in the training data" in _refusal(spec) and "holds lists" in _refusal(spec)


def test_text_that_is_not_utf8_is_named(tmp_path):
    spec = _csv_spec(tmp_path, "")
    spec.data.train.write_bytes(b"income,tenure,region,label\n1,2,caf\xe9,yes\n3,4,north,no\n")
    assert "not UTF-8 text" in _refusal(spec)


# -- types that are fine as they are --------------------------------------------------------------------

def test_categoricals_booleans_and_decimals_from_parquet(tmp_path):
    n = 180
    segment = pa.array(["gold", "silver", None] * (n // 3)).dictionary_encode()
    member = pa.array([True, False] * (n // 2))
    balance = pa.array([pd.Series([1.25]).astype(str)[0]] * n).cast(pa.decimal128(10, 2))
    empty, empty_text = pa.nulls(n), pa.nulls(n, type=pa.string())
    data = _load(_parquet_spec(tmp_path, {"segment": segment, "member": member, "balance": balance, "empty": empty,
                                          "empty_text": empty_text}))
    assert {c: data.schema[c] for c in ("segment", "member", "balance", "empty", "empty_text")} == {
        "segment": "category", "member": "number", "balance": "number", "empty": "number", "empty_text": "number"}
    X = data.train.X
    assert X["segment"].dtype == object and X["segment"].iloc[0] == "gold" and np.isnan(X["segment"].iloc[2])
    assert X["member"].tolist()[:2] == [1.0, 0.0] and X["balance"].iloc[0] == 1.25 and X["empty"].isna().all()
