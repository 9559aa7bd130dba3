"""Plain domain objects: what services return. Database rows never leave the backend.

One module per area; everything is importable from ``backend.domain``.
"""

from backend.domain.deployment import (
    CanaryCheck,
    CanaryRun,
    CanaryVerdict,
    DeploymentStatus,
    LiveTrafficVerdict,
    ModelStanding,
    ServingPeriod,
    ServingState,
    SlotMetrics,
    VersionStanding,
)
from backend.domain.governance import (
    ApiToken,
    Condition,
    InboxItem,
    PolicyException,
    RoleStatus,
    SignOff,
    SignOffStatus,
    User,
)
from backend.domain.monitoring import ModelHealth, MonitoringAlert, MonitoringPeriod, MonitoringRun
from backend.domain.onboarding import BrowserRunStatus, OnboardingStep, SpecDraft, TeamProgress
from backend.domain.overview import (
    LeadersOverview,
    PathExample,
    PathHistory,
    QuarterFigures,
    StageTiming,
)
from backend.domain.readiness import AuditPack, ReadinessItem, ReadinessScore, ReadinessSection
from backend.domain.registry import (
    ArtifactRef,
    AuditEntry,
    ChainReport,
    Model,
    ModelInfo,
    ModelSummary,
    PipelineResult,
    StageRun,
    Version,
    VersionPage,
)

__all__ = [
    "Model",
    "ModelSummary",
    "Version",
    "VersionPage",
    "StageRun",
    "ArtifactRef",
    "AuditEntry",
    "ModelInfo",
    "ChainReport",
    "PipelineResult",
    "User",
    "SignOff",
    "Condition",
    "RoleStatus",
    "SignOffStatus",
    "InboxItem",
    "ApiToken",
    "PolicyException",
    "LiveTrafficVerdict",
    "ServingState",
    "VersionStanding",
    "ModelStanding",
    "CanaryRun",
    "CanaryCheck",
    "CanaryVerdict",
    "SlotMetrics",
    "DeploymentStatus",
    "ServingPeriod",
    "MonitoringPeriod",
    "MonitoringAlert",
    "MonitoringRun",
    "ModelHealth",
    "StageTiming",
    "PathExample",
    "PathHistory",
    "LeadersOverview",
    "QuarterFigures",
    "ReadinessItem",
    "ReadinessSection",
    "ReadinessScore",
    "AuditPack",
    "OnboardingStep",
    "TeamProgress",
    "SpecDraft",
    "BrowserRunStatus",
]
