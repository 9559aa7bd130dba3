"""Shared data for the report tests: the Adult census data and a quick model fitted on it."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from backend.pipeline.data import load_training_data
from backend.pipeline.spec import load_spec
from tests.factories import EXAMPLES


@pytest.fixture(scope="session")
def adult():
    """Adult's training and test data, typed as the pipeline types them."""
    spec = load_spec(EXAMPLES / "income-propensity" / "greenlight.toml")
    return load_training_data(spec.data, task="classification", folder=spec.folder)


def _example_factory(name: str):
    path = EXAMPLES / "income-propensity" / "model.py"
    spec = importlib.util.spec_from_file_location("income_propensity_model_for_tests", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


@pytest.fixture(scope="session")
def adult_logistic(adult):
    """The example's logistic regression fitted on Adult, with its test-set scores."""
    estimator = _example_factory("build_logistic")()
    estimator.fit(adult.train.X, adult.train.y)
    return estimator, estimator.predict_proba(adult.test.X)[:, 1]


@pytest.fixture(scope="session")
def adult_boosting(adult):
    """The example's histogram gradient boosting (``model:build``), fitted on a third of Adult."""
    estimator = _example_factory("build")()
    rows = np.random.default_rng(0).choice(len(adult.train.X), 10_000, replace=False)
    estimator.fit(adult.train.X.iloc[rows], adult.train.y[rows])
    return estimator, estimator.predict_proba(adult.test.X)[:, 1]
