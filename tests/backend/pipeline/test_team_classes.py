"""A team's own classes, in model.py or in a module beside it, load wherever the model loads:
training, the smoke checks and the performance measurement in fresh processes, in-process
scoring, and a serving process started anywhere without PYTHONPATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from backend.governance.limits import Limits
from backend.pipeline import run_pipeline
from backend.pipeline.data import load_training_data
from backend.pipeline.spec import load_spec
from backend.pipeline.training import fit_in_fresh_process
from backend.registry.model_io import load_estimator
from tests.factories import person, synthetic_classification, write_spec

CLIP = textwrap.dedent("""\
    import numpy as np
    from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin


    class ClipOutliers(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
        \"\"\"Clips each number to the training data's {quantile} quantile, then adds {shift}.\"\"\"

        def __init__(self, quantile=0.95):
            self.quantile = quantile

        def fit(self, X, y=None):
            self.high_ = np.nanquantile(np.asarray(X, dtype=float), self.quantile, axis=0)
            self.n_features_in_ = self.high_.shape[0]
            return self

        def transform(self, X):
            return np.minimum(np.asarray(X, dtype=float), self.high_) + {shift}
    """)

FACTORY = textwrap.dedent("""\
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    {import_line}


    def build():
        return Pipeline([
            ("prepare", ColumnTransformer([
                ("category", OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=object)),
                ("number", make_pipeline(SimpleImputer(), ClipOutliers()), make_column_selector(dtype_include="number")),
            ])),
            ("model", LogisticRegression(max_iter=1000)),
        ])
    """)


def _team_spec(tmp_path, *, where: str, name: str = "churn-model", shift: float = 0.0):
    folder = tmp_path / name
    spec = write_spec(folder, name=name, gates="[gates]\nmin = { roc_auc = 0.55 }\nmax = { latency_p95_ms = 5000.0 }")
    synthetic_classification(400).to_csv(folder / "train.csv", index=False)
    synthetic_classification(150, seed=3).to_csv(folder / "test.csv", index=False)
    clip = CLIP.format(quantile="{quantile}", shift=shift)
    if where == "model.py":
        (folder / "model.py").write_text(FACTORY.format(import_line="") + "\n\n" + clip)
    else:
        (folder / "features.py").write_text(clip)
        (folder / "model.py").write_text(FACTORY.format(import_line="from features import ClipOutliers"))
    return spec


SERVE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from backend.registry.artifacts import ArtifactStore
    from backend.registry.loaded_model import load_model
    from backend.pipeline.fresh_process import ref_payload
    from backend.pipeline.worker import _ref
    job = json.loads(sys.argv[1])
    model = load_model(ArtifactStore(Path(job["store"])), _ref(job["ref"]), schema=job["schema"], task="classification")
    print(json.dumps(model.predict_records([{"income": 52.0, "tenure": 4, "region": "north"}])))
""")


@pytest.mark.parametrize("where", ["model.py", "features.py"])
def test_a_team_class_loads_in_every_stage_and_in_a_serving_process(where, sqlite_app, tmp_path):
    spec = _team_spec(tmp_path, where=where)
    result = run_pipeline(sqlite_app, spec, actor=person(sqlite_app, "kim"))
    # Build fits in a fresh process, the smoke checks and the performance measurement load the
    # stored model in fresh ones, and the reports and validation score it in this process.
    assert [(s.stage, s.status) for s in result.stages[:4]] == [
        ("build", "passed"), ("smoke_checks", "passed"), ("reports", "passed"), ("test_validation", "passed")
    ], result.reason

    ref = sqlite_app.registry.get_artifact("churn-model", 1, "model")
    module = "model" if where == "model.py" else "features"
    assert f"{module}.ClipOutliers" in ref.meta["trusted_types"]  # recorded under its own, stable name
    assert ref.meta["code_folder"] == str(spec.parent)

    # A serving process started elsewhere, with no PYTHONPATH pointing at the spec's folder.
    version = sqlite_app.registry.get_version("churn-model", 1)
    from backend.pipeline.fresh_process import ref_payload

    job = {"store": str(sqlite_app.artifacts.root), "ref": ref_payload(ref), "schema": version.input_schema["columns"]}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", SERVE, json.dumps(job)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    [prediction] = json.loads(done.stdout.strip().splitlines()[-1])
    assert 0.0 <= prediction["score"] <= 1.0


def test_two_teams_with_a_model_py_each_load_side_by_side(tmp_path):
    # Same module name, same class name, different behaviour: each model keeps its own.
    models = {}
    for name, shift in (("team-one", 0.0), ("team-two", 1000.0)):
        spec = load_spec(_team_spec(tmp_path, where="model.py", name=name, shift=shift))
        data = load_training_data(spec.data, task="classification", folder=spec.folder)
        models[name] = (fit_in_fresh_process(factory="model:build", folder=spec.folder, task="classification",
                                             X=data.train.X, y=data.train.y, limits=Limits()), str(spec.folder))

    def transformed(name):
        fitted, folder = models[name]
        estimator = load_estimator(fitted.model_bytes, fitted.trusted_types, name=name, code_folder=folder)
        clip = estimator.named_steps["prepare"].named_transformers_["number"][-1]
        return type(clip).__module__, float(clip.transform([[0.0, 0.0]])[0][0])

    assert transformed("team-one") == ("model", 0.0)
    assert transformed("team-two") == ("model", 1000.0)
    assert transformed("team-one") == ("model", 0.0)  # and back again in the same process
