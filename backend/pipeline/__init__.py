"""The CI/CD pipeline: the spec and its data, build → smoke checks → reports → test
validation, then manual validation by people.

``run_pipeline`` and the stage list load scikit-learn, so they are imported on first use:
reading a spec (``backend.pipeline.spec``) stays cheap for the portal and the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["run_pipeline", "STAGES", "STAGE_EXPLANATIONS"]

if TYPE_CHECKING:
    from backend.pipeline.runner import STAGE_EXPLANATIONS, STAGES, run_pipeline


def __getattr__(name: str) -> Any:
    if name in __all__:
        from backend.pipeline import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'backend.pipeline' has no attribute {name!r}")
