"""Bad data gets an error that names the file, the column and, where it can, the line."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from backend.errors import InvalidData
from backend.pipeline.data import load_training_data
from backend.pipeline.spec import load_spec
from tests.factories import synthetic_classification, write_spec


def _spec(tmp_path, train_df: pd.DataFrame | None = None, test_df: pd.DataFrame | None = None, **kwargs):
    folder = tmp_path / "model"
    path = write_spec(folder, **kwargs)
    if train_df is not None:
        train_df.to_csv(folder / kwargs.get("train", "train.csv"), index=False)
    if test_df is not None:
        test_df.to_csv(folder / kwargs.get("test", "test.csv"), index=False)
    return load_spec(path)


def _load(spec):
    return load_training_data(spec.data, task=spec.model.task, folder=spec.folder)


def _fails(spec) -> InvalidData:
    with pytest.raises(InvalidData) as caught:
        _load(spec)
    assert caught.value.code == "invalid_data"
    return caught.value


def test_good_data_is_typed_and_fingerprinted(tmp_path):
    data = _load(_spec(tmp_path, synthetic_classification(300), synthetic_classification(100, seed=1)))
    assert data.schema == {"income": "number", "tenure": "number", "region": "category"}
    assert data.train.X["income"].dtype == "float64"
    assert data.train.X["region"].dtype == object
    assert set(data.train.y) == {0, 1}
    assert data.positive_label == "yes"
    assert data.fingerprint.startswith("sha256:")


def test_data_file_that_does_not_exist(tmp_path):
    error = _fails(_spec(tmp_path, None, synthetic_classification(50)))
    assert "training data file" in error.message and "train.csv does not exist" in error.message


def test_empty_file(tmp_path):
    spec = _spec(tmp_path, synthetic_classification(100), synthetic_classification(50))
    spec.data.train.write_text("")
    assert "train.csv is empty" in _fails(spec).message


def test_header_without_rows(tmp_path):
    spec = _spec(tmp_path, synthetic_classification(100), synthetic_classification(50))
    spec.data.test.write_text("income,tenure,region,label\n")
    assert "has a header but no rows" in _fails(spec).message


def test_csv_without_the_target_column(tmp_path):
    train = synthetic_classification(100).rename(columns={"label": "Label"})
    message = _fails(_spec(tmp_path, train, synthetic_classification(50))).message
    assert "has no column 'label'" in message and "among its 4 columns" in message and "Did you mean 'Label'?" in message
    # Every viewer reads stage messages: the file's header is not listed in them.
    assert "income" not in message and "region" not in message


def test_a_missing_target_with_nothing_close_names_no_column_of_the_file(tmp_path):
    train = synthetic_classification(100).rename(columns={"label": "salary_band_secret"})
    message = _fails(_spec(tmp_path / "far", train, synthetic_classification(50))).message
    assert "has no column 'label'" in message and "Did you mean" not in message
    assert not any(name in message for name in ("salary_band_secret", "income", "tenure", "region"))


def test_target_with_one_class(tmp_path):
    train = synthetic_classification(100).assign(label="yes")
    message = _fails(_spec(tmp_path, train, synthetic_classification(50))).message
    assert "only one value ('yes')" in message


def test_text_in_a_numeric_column_names_column_value_and_line(tmp_path):
    train = synthetic_classification(100)
    train["income"] = train["income"].astype(object)
    train.loc[6, "income"] = "forty"
    message = _fails(_spec(tmp_path, train, synthetic_classification(50))).message
    assert "Column 'income'" in message and "'forty' on line 8" in message


def test_text_in_a_numeric_column_of_the_test_data(tmp_path):
    test = synthetic_classification(50)
    test["tenure"] = test["tenure"].astype(object)
    test.loc[0, "tenure"] = "ten years"
    message = _fails(_spec(tmp_path, synthetic_classification(100), test)).message
    assert "in the test data" in message and "'ten years' on line 2" in message


def test_test_data_missing_a_feature(tmp_path):
    test = synthetic_classification(50).drop(columns=["region"])
    assert "lacks column the model needs: 'region'" in _fails(_spec(tmp_path, synthetic_classification(100), test)).message


def test_positive_label_that_is_not_a_value(tmp_path):
    message = _fails(_spec(tmp_path, synthetic_classification(100), synthetic_classification(50),
                           positive_label='"maybe"')).message
    assert "'maybe' is not a value of 'label'" in message


def test_more_than_two_classes(tmp_path):
    train = synthetic_classification(90)
    train.loc[:29, "label"] = "unknown"
    assert "3 different values" in _fails(_spec(tmp_path, train, synthetic_classification(50))).message


def test_test_labels_unknown_to_training(tmp_path):
    test = synthetic_classification(50)
    test.loc[0, "label"] = "yes."
    assert "values the training data does not: 'yes.'" in _fails(
        _spec(tmp_path, synthetic_classification(100), test)).message


def test_malformed_csv(tmp_path):
    spec = _spec(tmp_path, synthetic_classification(100), synthetic_classification(50))
    spec.data.train.write_text('income,tenure,region,label\n1,2,"north,yes\n3,4,south,no\n')
    assert "not a well-formed CSV file" in _fails(spec).message


def test_corrupt_gzip(tmp_path):
    spec = _spec(tmp_path, None, synthetic_classification(50), train="train.csv.gz")
    spec.data.train.write_bytes(gzip.compress(b"income,label\n1,yes\n")[:-8])
    assert "training data file" in _fails(spec).message


def test_missing_target_values(tmp_path):
    train = synthetic_classification(100)
    train.loc[[3, 4], "label"] = None
    assert "has 2 missing values" in _fails(_spec(tmp_path, train, synthetic_classification(50))).message


def test_parquet_and_gzip_csv_are_read(tmp_path):
    folder = tmp_path / "model"
    path = write_spec(folder, train="train.parquet", test="test.csv.gz")
    synthetic_classification(100).to_parquet(folder / "train.parquet")
    synthetic_classification(50).to_csv(folder / "test.csv.gz", index=False)
    data = _load(load_spec(path))
    assert len(data.train.X) == 100 and len(data.test.X) == 50


def test_missing_sensitive_feature_is_a_warning_not_an_error(tmp_path):
    data = _load(_spec(tmp_path, synthetic_classification(100), synthetic_classification(50),
                       sensitive='["region", "gender"]'))
    assert list(data.test.sensitive.columns) == ["region"]
    assert any("gender" in w for w in data.warnings)
