"""Greenlight's built-in estimator factories, for a team's first run from the browser.

A run started in the portal copies this file beside the uploaded spec as
``greenlight_starter.py`` and uses ``greenlight_starter:build_classifier`` (or
``build_regressor``), so the model holds only scikit-learn's own classes and loads anywhere.
Both fill in missing values first: a sample straight from a team's warehouse often has some.
"""

from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def _prepare() -> ColumnTransformer:
    categories = Pipeline([
        ("fill", SimpleImputer(strategy="constant", fill_value="missing")),
        ("one_hot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
    ])
    numbers = Pipeline([
        ("fill", SimpleImputer(strategy="median")),
        ("scale", StandardScaler()),
    ])
    return ColumnTransformer([
        ("category", categories, make_column_selector(dtype_include=object)),
        ("number", numbers, make_column_selector(dtype_include="number")),
    ])


def build_classifier():
    """A logistic regression behind one-hot encoding and scaling: a well-understood baseline."""
    return Pipeline([("prepare", _prepare()), ("model", LogisticRegression(max_iter=2000))])


def build_regressor():
    """A linear regression behind the same preparation."""
    return Pipeline([("prepare", _prepare()), ("model", LinearRegression())])
