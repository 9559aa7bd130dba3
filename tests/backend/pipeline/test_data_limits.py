"""Oversized and hostile data files are refused while they are read, before they are in memory,
with a message that names the limit and how an admin raises it."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from backend.errors import InvalidData
from backend.governance.limits import Limits
from backend.pipeline.data import load_training_data, read_table
from backend.pipeline.spec import load_spec
from tests.factories import synthetic_classification, write_spec


def _refused(path, limits: Limits, label: str = "training data") -> InvalidData:
    with pytest.raises(InvalidData) as caught:
        read_table(path, label, limits)
    assert caught.value.code == "limit_exceeded"
    return caught.value


def write_gzip_bomb(path, *, expands_to_mb: int) -> int:
    """A CSV that gzip shrinks about a thousandfold: one small gzip member repeated (a valid
    multi-member gzip file). Returns the size on disk."""
    line = b"1,2,3,4,5,6,7,yes\n"
    block = gzip.compress(line * (1_000_000 // len(line)), compresslevel=9)
    with open(path, "wb") as out:
        out.write(gzip.compress(b"a,b,c,d,e,f,g,label\n"))
        for _ in range(expands_to_mb):
            out.write(block)
    return path.stat().st_size


def test_gzip_bomb_is_refused_while_read_without_filling_memory(tmp_path):
    bomb = tmp_path / "train.csv.gz"
    on_disk = write_gzip_bomb(bomb, expands_to_mb=600)
    assert on_disk < 4_000_000  # a few MB that expand to 600 MB
    # In a fresh process, so its peak memory is the reading's alone.
    script = textwrap.dedent(f"""
        import json, resource
        from pathlib import Path
        from backend.errors import InvalidData
        from backend.governance.limits import Limits
        from backend.pipeline.data import read_table
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            read_table(Path({str(bomb)!r}), "training data", Limits(max_data_mb=20))
            outcome = {{"message": None}}
        except InvalidData as exc:
            outcome = {{"message": exc.message, "code": exc.code}}
        outcome["growth_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        print(json.dumps(outcome))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["code"] == "limit_exceeded"
    message = outcome["message"]
    assert "train.csv.gz is larger than 20 MB once decompressed; reading stopped there" in message
    assert "limits.max_data_mb = 20" in message and "`greenlight policy set --max-data-mb N`" in message
    # Reading the whole 600 MB would need far more than this; stopping at 20 MB needs far less.
    assert outcome["growth_mb"] < 200, outcome


def test_a_raised_size_limit_lets_the_same_file_through(tmp_path):
    path = tmp_path / "train.csv.gz"
    write_gzip_bomb(path, expands_to_mb=3)
    _refused(path, Limits(max_data_mb=2))
    assert read_table(path, "training data", Limits(max_data_mb=4)).table.num_rows > 100_000


def test_too_many_rows_in_a_csv(tmp_path):
    path = tmp_path / "train.csv"
    synthetic_classification(1_000).to_csv(path, index=False)
    error = _refused(path, Limits(max_rows=100))
    assert "has more than 100 rows; reading stopped there" in error.message
    assert "limits.max_rows = 100" in error.message and "--max-rows N" in error.message
    assert read_table(path, "training data", Limits(max_rows=1_000)).table.num_rows == 1_000


def test_too_many_rows_in_parquet_is_refused_from_its_footer(tmp_path):
    path = tmp_path / "train.parquet"
    synthetic_classification(1_000).to_parquet(path)
    error = _refused(path, Limits(max_rows=999))
    assert "has 1,000 rows, more than 999" in error.message and "limits.max_rows" in error.message


def test_parquet_larger_than_the_limit_is_refused_from_its_footer(tmp_path):
    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({"x": np.random.default_rng(0).random(3_000_000)}), path)
    error = _refused(path, Limits(max_data_mb=10))
    assert "holds 25 MB once decompressed, more than 10 MB" in error.message and "--max-data-mb N" in error.message


def test_parquet_that_expands_past_what_its_footer_says_is_stopped_while_read(tmp_path):
    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({"x": np.zeros(3_000_000)}), path, compression="zstd")
    assert path.stat().st_size < 100_000  # 24 MB of zeros; the footer counts the encoded size only
    error = _refused(path, Limits(max_data_mb=10))
    assert "is larger than 10 MB once decompressed; reading stopped there" in error.message


def test_ten_thousand_columns_are_refused_from_the_header(tmp_path):
    path = tmp_path / "train.csv"
    header = ",".join(f"c{i}" for i in range(10_000))
    path.write_text(header + "\n" + "\n".join(",".join(["1"] * 10_000) for _ in range(3)) + "\n")
    error = _refused(path, Limits())
    assert "has 10,000 columns, more than 1,000" in error.message
    assert "limits.max_columns = 1,000" in error.message and "`greenlight policy set --max-columns N`" in error.message
    # An admin who raises the limit gets the file read.
    assert read_table(path, "training data", Limits(max_columns=10_000)).table.num_columns == 10_000


def test_an_endless_header_line_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "train.csv.gz"
    with gzip.open(path, "wb") as out:
        for _ in range(64):
            out.write(b"x" * 1_000_000)  # 64 MB and no line end
    error = _refused(path, Limits(max_columns=100))
    assert "has a header line too long to be read" in error.message and "limits.max_columns" in error.message


def test_load_training_data_applies_the_limits_to_both_files(tmp_path):
    folder = tmp_path / "model"
    spec = load_spec(write_spec(folder))
    synthetic_classification(300).to_csv(folder / "train.csv", index=False)
    synthetic_classification(2_000).to_csv(folder / "test.csv", index=False)
    with pytest.raises(InvalidData, match="The test data file .*test.csv has more than 1,000 rows"):
        load_training_data(spec.data, task="classification", folder=folder, limits=Limits(max_rows=1_000))


def test_columns_left_out_with_drop_are_not_read_from_the_training_file(tmp_path):
    folder = tmp_path / "model"
    spec_path = write_spec(folder, train="train.parquet", test="test.parquet")
    spec_path.write_text(spec_path.read_text().replace("sensitive_features", 'drop = ["blob"]\nsensitive_features'))
    for name, rows in (("train", 200), ("test", 80)):
        frame = synthetic_classification(rows)
        frame["blob"] = [b"\x00\x01"] * rows  # bytes would be refused as a feature
        frame.to_parquet(folder / f"{name}.parquet")
    data = load_training_data(load_spec(spec_path).data, task="classification", folder=folder)
    assert "blob" not in data.schema and list(data.train.X.columns) == ["income", "tenure", "region"]
    assert "blob" in data.test.raw.columns  # kept for a production version that may use it
    assert isinstance(data.test.raw, pd.DataFrame) and data.train.raw is None
