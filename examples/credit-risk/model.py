"""Estimator factories for the credit-risk model (see income-propensity/model.py for the contract)."""

from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

categories = make_column_selector(dtype_include=object)
numbers = make_column_selector(dtype_include="number")


def _one_hot(scale_numbers: bool) -> ColumnTransformer:
    return ColumnTransformer([
        ("category", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categories),
        ("number", StandardScaler() if scale_numbers else "passthrough", numbers),
    ])


def build():
    """Logistic regression: the lender's well-understood baseline."""
    return Pipeline([
        ("prepare", _one_hot(scale_numbers=True)),
        ("model", LogisticRegression(max_iter=2000, C=0.3)),
    ])


def build_forest():
    """A random forest of 300 trees, each seeing a third of the features at every split."""
    return Pipeline([
        ("prepare", _one_hot(scale_numbers=False)),
        ("model", RandomForestClassifier(n_estimators=300, min_samples_leaf=5, max_features=0.3,
                                         random_state=0, n_jobs=1)),
    ])


def build_shallow_tree():
    """A two-level decision tree: easy to read, but too coarse to rank applicants well."""
    return Pipeline([
        ("prepare", _one_hot(scale_numbers=False)),
        ("model", DecisionTreeClassifier(max_depth=2, random_state=0)),
    ])
