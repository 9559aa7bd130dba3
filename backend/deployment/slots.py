"""What each model's slots serve, read from the database every few seconds.

Every gateway process keeps its own copy of the slots (production, canary with its share,
test) and re-reads them from the database every ``refresh_seconds``, so several gateways on
several machines follow a promotion within seconds, without a restart. A version that enters
a slot is loaded (and its SHA-256 checked) *before* the slot switches to it, so no request
ever waits for a load or meets a half-switched table; requests already running finish on the
version they started with. Loaded versions are cached by (model, version, SHA-256) and dropped
when no slot serves them any more.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from backend.deployment.served import ServedVersion, load_served_version
from backend.domain import ServingState
from backend.errors import Conflict, GreenlightError, NotFound

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["ModelSlots", "ServingTable", "SlotUnavailable"]

log = logging.getLogger("greenlight.gateway")

_SLOTS = ("production", "canary", "test")


class SlotUnavailable(GreenlightError):
    """A slot points at a version this gateway could not load (answered with 503)."""

    code = "slot_unavailable"


@dataclass(frozen=True)
class ModelSlots:
    """One model's slots, as one immutable snapshot (a switch replaces it whole)."""

    model: str
    task: str
    state: ServingState
    served: dict[str, ServedVersion] = field(default_factory=dict)   # slot -> version loaded
    problems: dict[str, str] = field(default_factory=dict)            # slot -> why it could not be loaded

    def version_in(self, slot: str) -> ServedVersion:
        """The loaded version serving ``slot``; Conflict (409) when the slot is empty."""
        if slot in self.served:
            return self.served[slot]
        if slot in self.problems:
            raise SlotUnavailable(self.problems[slot])
        if slot == "test":
            raise Conflict(f"Nothing is deployed to the test environment for {self.model}: test validation puts a "
                           "version there.", code="nothing_in_test")
        raise Conflict(f"{self.model} has no version in production yet, so the gateway cannot score it; a version "
                       "goes to production after its sign-off, through a canary.", code="nothing_in_production")


class ServingTable:
    """Every model's slots, kept fresh from the database.

    Parameters
    ----------
    app : App
        Its registry is read; its artifact store holds the models.
    refresh_seconds : float
        How often the slots are re-read.
    """

    def __init__(self, app: App, *, refresh_seconds: float = 2.0):
        self.app = app
        self.refresh_seconds = refresh_seconds
        self._models: dict[str, ModelSlots] = {}
        self._cache: dict[tuple[str, int, str], ServedVersion] = {}
        self._refs: dict[tuple[str, int], str] = {}  # (model, version) -> model SHA-256 last read
        self._refreshed_at: float | None = None
        self._refresh_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refresh_failures = 0
        self.last_error: str | None = None

    # -- reading ---------------------------------------------------------------------------

    def slots(self, model: str) -> ModelSlots:
        """The model's current slots; NotFound (404) for a model the registry does not have."""
        found = self._models.get(model)
        if found is None:
            raise NotFound(f"There is no model named '{model}'.")
        return found

    def models(self) -> dict[str, ModelSlots]:
        return dict(self._models)

    @property
    def age_seconds(self) -> float | None:
        """Seconds since the slots were last read from the database."""
        return None if self._refreshed_at is None else time.monotonic() - self._refreshed_at

    def loaded_versions(self) -> list[ServedVersion]:
        return list(self._cache.values())

    # -- refreshing ------------------------------------------------------------------------

    def refresh(self, *, recheck_artifacts: bool = False) -> None:
        """Re-read every model's slots; load what enters a slot, then switch (one model at a time)."""
        with self._refresh_lock:
            registry = self.app.registry
            models = {m.name: m.task for m in registry.list_models()}
            states = registry.serving_states()
            fresh: dict[str, ModelSlots] = {}
            wanted: set[tuple[str, int, str]] = set()
            for name, task in models.items():
                state = states.get(name) or ServingState(model=name, production=None, canary=None, canary_percent=0.0,
                                                         previous=None, test=None)
                current = self._models.get(name)
                if current is not None and current.state == state and not current.problems and not recheck_artifacts:
                    fresh[name] = current
                    wanted |= {(name, v.version, v.sha256) for v in current.served.values()}
                    continue
                served, problems = {}, {}
                for slot in _SLOTS:
                    number = getattr(state, slot)
                    if number is None:
                        continue
                    try:
                        version = self._load(name, number, task, recheck=recheck_artifacts or current is None
                                             or current.state != state)
                    except GreenlightError as exc:
                        problems[slot] = f"{name} version {number} ({slot}) could not be loaded: {exc.message}"
                        log.warning(problems[slot])
                        continue
                    served[slot] = version
                    wanted.add((name, number, version.sha256))
                fresh[name] = ModelSlots(model=name, task=task, state=state, served=served, problems=problems)
            self._models = fresh  # the switch: one assignment, seen whole by every request
            for key in [k for k in self._cache if k not in wanted]:
                del self._cache[key]
            for key in [k for k in self._refs if k not in {(m, v) for m, v, _ in wanted}]:
                del self._refs[key]
            self._refreshed_at = time.monotonic()

    def _load(self, model: str, number: int, task: str, *, recheck: bool) -> ServedVersion:
        sha = self._refs.get((model, number))
        if sha is None or recheck:
            sha = self.app.registry.get_artifact(model, number, "model").sha256
            self._refs[(model, number)] = sha
        key = (model, number, sha)
        if key not in self._cache:
            self._cache[key] = load_served_version(self.app.registry, self.app.artifacts, model, number, task=task)
        return self._cache[key]

    def start(self) -> None:
        """Read the slots once (raising if the database cannot be read), then keep them fresh."""
        self.refresh(recheck_artifacts=True)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="greenlight-slots", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        rounds = 0
        while not self._stop.wait(self.refresh_seconds):
            rounds += 1
            try:
                # Now and then re-read each served version's SHA-256 too, in case its file was replaced.
                self.refresh(recheck_artifacts=rounds % 30 == 0)
                self.last_error = None
            except Exception as exc:  # noqa: BLE001  (keep serving the last known slots)
                self.refresh_failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("could not re-read the serving slots: %s", self.last_error)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
