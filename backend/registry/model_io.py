"""Saving and loading estimators with skops, never pickle.

``skops`` reports some ordinary scikit-learn types as untrusted. The exact list is recorded
at save time inside the evidence the SHA-256 protects, and exactly that list is trusted when
loading; a file that needs any other type is refused.

A team's own classes (a transformer in ``model.py``, or in a module beside it) are recorded
under their module's own name, such as ``model.ClipOutliers``. Wherever the model is loaded
(training, smoke checks, performance measurement, serving), :func:`importable_from` puts the
spec's folder first on the import path for the duration, so that name resolves in any process,
without ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import skops.io as sio

from backend.errors import ArtifactIntegrityError

__all__ = ["dump_estimator", "load_estimator", "importable_from"]

# Which modules came from which spec folder. Two folders may both hold a ``model.py``; when one
# is needed, the other's modules of the same names leave ``sys.modules`` (objects already
# loaded keep their classes). Modules from anywhere else are never touched.
_MODULE_FOLDERS: dict[str, str] = {}
_IMPORT_LOCK = threading.RLock()


def _provides(folder: str, name: str) -> bool:
    """Whether ``folder`` holds the top-level module or package of ``name``."""
    top = os.path.join(folder, name.split(".", 1)[0])
    return os.path.isfile(top + ".py") or os.path.isdir(top)


@contextmanager
def importable_from(folder: str | Path | None) -> Iterator[None]:
    """Make the modules in ``folder`` (a spec's folder) importable under their own names.

    Modules imported from it stay in ``sys.modules`` afterwards, until another spec folder
    needs the same names.
    """
    if folder is None:
        yield
        return
    folder = str(Path(folder).resolve())
    with _IMPORT_LOCK:
        for name, source in list(_MODULE_FOLDERS.items()):
            if source != folder and _provides(folder, name):
                sys.modules.pop(name, None)
                del _MODULE_FOLDERS[name]
        sys.path.insert(0, folder)
        importlib.invalidate_caches()  # the folder may have changed since it was last on the path
        try:
            yield
        finally:
            if folder in sys.path:
                sys.path.remove(folder)
            prefix = folder + os.sep
            for name, module in list(sys.modules.items()):
                file = getattr(module, "__file__", None)
                if isinstance(file, str) and file.startswith(prefix):
                    _MODULE_FOLDERS[name] = folder


def dump_estimator(estimator: Any) -> tuple[bytes, list[str]]:
    """Serialise ``estimator``; return the bytes and the types they need trusted."""
    data = sio.dumps(estimator, compression=8)
    return data, sorted(sio.get_untrusted_types(data=data))


def load_estimator(data: bytes, trusted_types: list[str], *, name: str, code_folder: str | None = None) -> Any:
    """Load bytes already checked against their SHA-256, trusting only ``trusted_types``.

    ``code_folder`` is the spec's folder recorded at build time: the team's own classes are
    imported from there.
    """
    needed = set(sio.get_untrusted_types(data=data))
    unexpected = sorted(needed - set(trusted_types))
    if unexpected:
        raise ArtifactIntegrityError(
            f"Refusing to load {name}: it needs types that were not recorded when it was stored: "
            + ", ".join(unexpected)
        )
    try:
        with importable_from(code_folder):
            return sio.loads(data, trusted=sorted(needed))
    except ModuleNotFoundError as exc:
        where = f" from {code_folder}, the spec's folder it was built from," if code_folder else ""
        raise ArtifactIntegrityError(
            f"{name} could not be loaded: it needs the module '{exc.name}'{where} and that module cannot be "
            "imported there."
        ) from exc
    except Exception as exc:  # skops raises many types for a file it cannot read
        raise ArtifactIntegrityError(f"{name} could not be loaded: {type(exc).__name__}: {exc}") from exc
