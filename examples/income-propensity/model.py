"""Estimator factories for the income-propensity model.

Greenlight calls the function named in greenlight.toml's ``[estimator].factory`` with no
arguments and fits what it returns on the training data: a pandas DataFrame whose text
columns hold categories and whose other columns hold numbers.
"""

from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

categories = make_column_selector(dtype_include=object)
numbers = make_column_selector(dtype_include="number")


def _one_hot(scale_numbers: bool) -> ColumnTransformer:
    return ColumnTransformer([
        ("category", OneHotEncoder(handle_unknown="ignore", min_frequency=20, sparse_output=False), categories),
        ("number", StandardScaler() if scale_numbers else "passthrough", numbers),
    ])


def build():
    """Histogram gradient boosting: the strongest of the three on this data."""
    return Pipeline([
        ("prepare", _one_hot(scale_numbers=False)),
        ("model", HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=0)),
    ])


def build_logistic():
    """Logistic regression: simple, fast and easy to explain."""
    return Pipeline([
        ("prepare", _one_hot(scale_numbers=True)),
        ("model", LogisticRegression(max_iter=2000, C=1.0)),
    ])


def build_forest():
    """A random forest."""
    return Pipeline([
        ("prepare", _one_hot(scale_numbers=False)),
        ("model", RandomForestClassifier(n_estimators=100, min_samples_leaf=5, random_state=0, n_jobs=1)),
    ])
