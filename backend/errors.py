"""The backend's exceptions: a small hierarchy with stable codes.

The portal maps them to one readable message each; the CLI maps them to exit codes.
Messages are written for a person: they name the thing that is wrong and, where it helps,
what to do about it.
"""

from __future__ import annotations

__all__ = [
    "GreenlightError",
    "NotFound",
    "InvalidSpec",
    "InvalidData",
    "ArtifactIntegrityError",
    "InvalidTransition",
    "StageFailed",
    "Conflict",
    "PermissionDenied",
    "DatabaseError",
    "Interrupted",
]


class GreenlightError(Exception):
    """Base class; ``code`` is stable and safe to match on, ``exit_code`` is the CLI's."""

    code = "error"
    exit_code = 1

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class NotFound(GreenlightError):
    code = "not_found"
    exit_code = 3


class InvalidSpec(GreenlightError):
    code = "invalid_spec"
    exit_code = 2


class InvalidData(GreenlightError):
    code = "invalid_data"
    exit_code = 4


class ArtifactIntegrityError(GreenlightError):
    code = "artifact_tampered"
    exit_code = 5


class InvalidTransition(GreenlightError):
    code = "invalid_transition"
    exit_code = 6


class StageFailed(GreenlightError):
    code = "stage_failed"
    exit_code = 1


class Conflict(GreenlightError):
    code = "conflict"
    exit_code = 7


class PermissionDenied(GreenlightError):
    code = "permission_denied"
    exit_code = 8


class DatabaseError(GreenlightError):
    code = "database_error"
    exit_code = 9


class Interrupted(BaseException):  # noqa: N818  (like KeyboardInterrupt, a signal rather than an error)
    """The process was told to stop (SIGTERM, as a CI timeout does) while it worked.

    A ``BaseException`` so that no ``except Exception`` swallows it; whoever was writing records
    where it stopped before the process exits (exit code 143).
    """

    exit_code = 143

    def __init__(self, signal_name: str):
        super().__init__(signal_name)
        self.signal_name = signal_name
