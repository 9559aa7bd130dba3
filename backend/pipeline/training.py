"""Fitting the team's estimator in a child process, under the organisation's time and memory limits.

The parent writes the typed training frame to a temporary Arrow file and starts
``backend.pipeline.worker``; the child caps its own memory (``RLIMIT_DATA`` on Linux, the address
space elsewhere), imports the factory from the spec's folder, fits within the time limit, saves
the model with skops and writes it to a file the parent stores. A fit that overruns is stopped
with everything it started; each refusal names the limit and how an admin raises it. A crash or
a runaway fit never takes the pipeline (or the portal's machine) down with it.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from backend.errors import StageFailed
from backend.governance.limits import Limits, how_to_raise
from backend.pipeline.data import read_training_frame, write_training_frame
from backend.pipeline.factory import build_estimator, describe_estimator, json_params
from backend.pipeline.fresh_process import run_in_fresh_process
from backend.registry.model_io import dump_estimator, importable_from

__all__ = ["FittedModel", "fit_in_fresh_process", "fit"]

#: Seconds the child may take, beyond the fit itself, to start, read the frame and save the model.
STARTUP_ALLOWANCE_S = 120


@dataclass
class FittedModel:
    """What the child hands back: the saved model and what is known about the fit."""

    model_bytes: bytes
    trusted_types: list[str]
    description: str
    params: dict[str, Any]
    fit_seconds: float
    warnings: list[str]
    peak_memory_mb: float


def _time_refusal(limits: Limits) -> str:
    return (f"Training was stopped after {limits.max_train_seconds:,} s, the longest a fit may take. "
            + how_to_raise("max_train_seconds", limits.max_train_seconds))


def _memory_refusal(limits: Limits) -> str:
    return (f"Training needed more memory than the {limits.max_train_memory_mb:,} MB it may use. "
            + how_to_raise("max_train_memory_mb", limits.max_train_memory_mb))


def fit_in_fresh_process(*, factory: str, folder: Path, task: str, X: pd.DataFrame, y: np.ndarray,
                         limits: Limits) -> FittedModel:
    """Fit ``factory``'s estimator on ``X``, ``y`` in a child process within ``limits``.

    Raises :class:`StageFailed` naming the problem: the factory, the fit, or the limit it passed
    (code ``time_limit`` or ``memory_limit``).
    """
    with tempfile.TemporaryDirectory(prefix="greenlight-fit-") as scratch:
        data_path, model_path = Path(scratch) / "train.arrow", Path(scratch) / "model.skops"
        write_training_frame(X, y, data_path)
        result = run_in_fresh_process(
            {"task_kind": "fit", "factory": factory, "folder": str(folder), "task": task,
             "data_path": str(data_path), "model_path": str(model_path), "limits": limits.as_dict()},
            what="Training", timeout=limits.max_train_seconds + STARTUP_ALLOWANCE_S,
            timeout_message=_time_refusal(limits),
            crash_hint=f"If it ran out of memory: {_memory_refusal(limits)}")
        model_bytes = model_path.read_bytes()
    return FittedModel(model_bytes=model_bytes, trusted_types=result["trusted_types"],
                       description=result["description"], params=result["params"],
                       fit_seconds=result["fit_seconds"], warnings=result["warnings"],
                       peak_memory_mb=result["peak_memory_mb"])


# -- in the child -------------------------------------------------------------------------------

class _OutOfTime(BaseException):
    """Raised by the timer; a BaseException, so an estimator's ``except Exception`` cannot swallow it."""


@contextmanager
def _time_limit(seconds: int):
    def ring(_signum, _frame):
        raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _cap_resources(limits: Limits) -> None:
    """Cap this process's memory, and its CPU time as a backstop should the parent be gone."""
    # RLIMIT_DATA counts the memory a process writes to (heap and private mappings), close to
    # what it really uses; the address space also counts libraries and thread stacks merely reserved.
    which = resource.RLIMIT_DATA if sys.platform.startswith("linux") else resource.RLIMIT_AS
    cap = limits.max_train_memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(which)
    resource.setrlimit(which, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
    cpu = (limits.max_train_seconds + STARTUP_ALLOWANCE_S) * (os.cpu_count() or 1)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))


def fit(job: dict[str, Any]) -> dict[str, Any]:
    """The worker's ``fit`` job: build, fit within the limits, save; the model goes to ``model_path``."""
    limits = Limits(**job["limits"])
    folder = Path(job["folder"])
    _cap_resources(limits)
    try:
        X, y = read_training_frame(Path(job["data_path"]))
        with importable_from(folder):
            estimator = build_estimator(job["factory"], folder, task=job["task"])
            started = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    with _time_limit(limits.max_train_seconds):
                        estimator.fit(X, y)
                except _OutOfTime:
                    raise StageFailed(_time_refusal(limits), code="time_limit") from None
                except MemoryError:
                    raise
                except Exception as exc:
                    raise StageFailed(f"Training failed: {type(exc).__name__}: {exc}") from exc
            fit_seconds = time.perf_counter() - started
            del X, y
            model_bytes, trusted = dump_estimator(estimator)
    except MemoryError:
        raise StageFailed(_memory_refusal(limits), code="memory_limit") from None
    Path(job["model_path"]).write_bytes(model_bytes)
    messages = sorted({str(w.message).splitlines()[0] for w in caught if issubclass(w.category, UserWarning)})
    return {
        "trusted_types": trusted,
        "description": describe_estimator(estimator),
        "params": json_params(estimator),
        "fit_seconds": fit_seconds,
        "warnings": messages,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
