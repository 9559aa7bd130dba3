"""Loading the data scientist's estimator factory (``module:function`` beside the spec)."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from backend.errors import StageFailed

__all__ = ["build_estimator", "describe_estimator", "json_params"]


@contextmanager
def _on_path(folder: Path) -> Iterator[None]:
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        with suppress(ValueError):
            sys.path.remove(str(folder))


def build_estimator(factory: str, folder: Path, *, task: str) -> Any:
    """Import the factory's module from ``folder``, call it, and check what it returns."""
    module_name, function_name = factory.split(":", 1)
    path = folder / (module_name.replace(".", "/") + ".py")
    if not path.is_file():
        raise StageFailed(f"The estimator factory '{factory}' could not be found: there is no {path.name} "
                          f"beside the spec (looked for {path}).")
    unique = "greenlight_factory_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    with _on_path(folder):
        try:
            spec = importlib.util.spec_from_file_location(unique, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except Exception as exc:
            raise StageFailed(f"Importing {path.name} for the estimator factory failed: "
                              f"{type(exc).__name__}: {exc}") from exc
        function = getattr(module, function_name, None)
        if not callable(function):
            raise StageFailed(f"{path.name} has no function '{function_name}' (the [estimator].factory).")
        try:
            estimator = function()
        except Exception as exc:
            raise StageFailed(f"The estimator factory '{factory}' raised {type(exc).__name__}: {exc}") from exc
    if not hasattr(estimator, "fit"):
        raise StageFailed(f"The estimator factory '{factory}' returned {type(estimator).__name__}, "
                          "which has no fit method; it must return an unfitted scikit-learn estimator.")
    needed = "predict_proba" if task == "classification" else "predict"
    if not hasattr(estimator, needed):
        raise StageFailed(f"The estimator factory '{factory}' returned {type(estimator).__name__}, which has no "
                          f"{needed} method, needed for a {task} model.")
    return estimator


def describe_estimator(estimator: Any) -> str:
    """'Pipeline(ColumnTransformer → LogisticRegression)' or the class name."""
    steps = getattr(estimator, "steps", None)
    if steps:
        return f"{type(estimator).__name__}({' → '.join(type(step).__name__ for _, step in steps)})"
    return type(estimator).__name__


def json_params(estimator: Any) -> dict[str, Any]:
    """The estimator's settings that are plain values, for the lineage record."""
    params = {}
    for key, value in sorted(estimator.get_params(deep=True).items()):
        if value is None or isinstance(value, bool | int | float | str):
            params[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, bool | int | float | str) for v in value):
            params[key] = list(value)
    return params
