"""Loading the data scientist's estimator factory (``module:function`` beside the spec).

The factory's module is imported under its own name (``model`` for ``model:build``) with the
spec's folder first on the import path, so classes it defines, or imports from modules beside
it, are recorded under names that resolve wherever the model is loaded later (see
:func:`backend.registry.model_io.importable_from`).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from backend.errors import StageFailed
from backend.registry.model_io import importable_from

__all__ = ["build_estimator", "factory_path", "describe_estimator", "json_params"]


def factory_path(factory: str, folder: Path) -> Path:
    """The factory's module file, or :class:`StageFailed` naming where it was looked for."""
    module_name = factory.split(":", 1)[0]
    base = folder / module_name.replace(".", "/")
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    raise StageFailed(f"The estimator factory '{factory}' could not be found: there is no {base.name}.py "
                      f"beside the spec (looked for {base.with_suffix('.py')}).")


def build_estimator(factory: str, folder: Path, *, task: str) -> Any:
    """Import the factory's module from ``folder``, call it, and check what it returns.

    The module stays importable from ``folder`` only inside :func:`importable_from`; call this
    within it when the estimator is fitted and saved in the same breath.
    """
    module_name, function_name = factory.split(":", 1)
    path = factory_path(factory, folder)
    with importable_from(folder):
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            raise StageFailed(f"Importing {path.name} for the estimator factory failed: "
                              f"{type(exc).__name__}: {exc}") from exc
        found = getattr(module, "__file__", None)
        if not found or os.path.realpath(found) != os.path.realpath(path):
            raise StageFailed(f"The estimator factory's module '{module_name}' is taken by another module of that "
                              f"name ({found or 'built in'}); rename {path.name} beside the spec.")
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
