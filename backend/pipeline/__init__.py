"""The CI/CD pipeline: build → smoke checks → reports → test validation (later: sign-off, canary)."""

from backend.pipeline.runner import STAGE_EXPLANATIONS, STAGES, PipelineResult, run_pipeline

__all__ = ["run_pipeline", "PipelineResult", "STAGES", "STAGE_EXPLANATIONS"]
