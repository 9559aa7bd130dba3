"""A pipeline run started from the portal, on a sample the team uploads.

It goes through :func:`backend.pipeline.runner.run_pipeline`, the service ``greenlight pipeline
run`` calls, as the signed-in account, so every rule holds as from CI: only a data scientist may
run it (checked here before a file is written, and again when the version is registered), the
account becomes the version's author, and the refusal or the run is in the audit log.

The run works in a thread of the portal's process, so the page that started it stays free and
watches it. The registry records each stage as it runs, for every replica and reader; this
module keeps only what the person watching needs besides (the progress lines, and a refusal
that registered nothing). The uploaded files stay in a folder of their own under
``GREENLIGHT_HOME/onboarding/<account>/``: the stored model records that folder.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
import threading
import traceback
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from backend.domain import BrowserRunStatus, User
from backend.errors import Conflict, GreenlightError, InvalidData, NotFound
from backend.governance.permissions import require
from backend.pipeline.runner import run_pipeline
from backend.pipeline.spec import check_data_paths, parse_spec

if TYPE_CHECKING:
    from backend.app import App

__all__ = ["UploadedFile", "BrowserRuns", "start_browser_run", "browser_run_status", "latest_browser_run", "wait_for_browser_run",
           "STARTER_MODULE", "STARTER_FACTORIES"]

#: The built-in factories' module, as it is written beside an uploaded spec.
STARTER_MODULE = "greenlight_starter"
#: The built-in factory a browser run uses, by task.
STARTER_FACTORIES = {"classification": f"{STARTER_MODULE}:build_classifier",
                     "regression": f"{STARTER_MODULE}:build_regressor"}
_STARTER_SOURCE = Path(__file__).with_name("starter_model.py")
#: Recorded as the version's git commit: an upload has none.
_NO_COMMIT = "none: uploaded in the portal"
_KEPT_MESSAGES = 200
_REGISTERED = re.compile(r"^\S+ version (\d+) registered$")
_DATA_KINDS = {".csv": "a CSV file", ".csv.gz": "a gzip-compressed CSV file", ".parquet": "a Parquet file",
               ".pq": "a Parquet file"}


@dataclass(frozen=True)
class UploadedFile:
    """A file as the browser sent it: its name on the person's computer, and its bytes."""

    name: str
    data: bytes


@dataclass
class _Job:
    status: BrowserRunStatus
    lock: threading.Lock = field(default_factory=threading.Lock)
    finished: threading.Event = field(default_factory=threading.Event)

    def say(self, stage: str, message: str) -> None:
        """The runner's progress line; its first ("<model> version <n> registered") names the version."""
        with self.lock:
            lines = (*self.status.messages, f"{stage}: {message}")[-_KEPT_MESSAGES:]
            registered = _REGISTERED.match(message) if stage == "pipeline" and self.status.version is None else None
            version = int(registered.group(1)) if registered else self.status.version
            self.status = replace(self.status, messages=lines, version=version)

    def end(self, **changes) -> None:
        with self.lock:
            self.status = replace(self.status, finished_at=datetime.now(UTC), **changes)
        self.finished.set()


class BrowserRuns:
    """The runs this process started from the portal (held by the :class:`~backend.app.App`).

    Only the newest runs are kept: the registry holds every run's stages for good.
    """

    KEPT = 100

    def __init__(self) -> None:
        self.jobs: dict[str, _Job] = {}
        self.lock = threading.Lock()

    def add(self, job: _Job) -> None:
        """Keep ``job``, unless this account already has a run going (:class:`Conflict`)."""
        with self.lock:
            running = [j for j in self.jobs.values() if j.status.username == job.status.username and not j.status.finished]
            if running:
                raise Conflict(f"Your run of {running[0].status.model} is still going; wait until it ends before "
                               "starting another.", code="run_in_progress")
            self.jobs[job.status.id] = job
            for old in sorted(self.jobs, key=lambda k: self.jobs[k].status.started_at)[:-self.KEPT]:
                if self.jobs[old].status.finished:
                    del self.jobs[old]

    def get(self, run_id: str) -> _Job | None:
        with self.lock:
            return self.jobs.get(run_id)

    def of(self, username: str) -> list[_Job]:
        with self.lock:
            return [j for j in self.jobs.values() if j.status.username == username]


def start_browser_run(app: App, *, actor: User, spec_toml: str, train: UploadedFile, test: UploadedFile) -> BrowserRunStatus:
    """Check the request, store the upload and start the pipeline on it in the background.

    Parameters
    ----------
    app : App
    actor : User
        The signed-in account; it needs the ``data_scientist`` role and becomes the author.
    spec_toml : str
        The spec (``greenlight.toml``) as text; its ``[data].train`` and ``[data].test`` say where
        the uploaded files go, inside the run's own folder.
    train, test : UploadedFile
        The training and test data: CSV (gzip allowed) or Parquet, as the spec's file names say.

    Returns
    -------
    BrowserRunStatus
        The run, ``running``; follow it with :func:`browser_run_status`.

    Raises
    ------
    PermissionDenied, InvalidSpec, InvalidData
        Before anything is written or registered; each refusal is in the audit log.
    Conflict
        When this account already has a run going from the portal.
    """
    try:
        require(actor, "run_pipeline")
        spec_bytes = spec_toml.encode("utf-8")
        folder = _new_folder(app, actor)
        spec = parse_spec(spec_bytes, folder / "greenlight.toml")
        check_data_paths(spec, ())  # the upload is written where the spec says: inside its folder, nowhere else
        for key, upload, target in (("train", train, spec.data.train), ("test", test, spec.data.test)):
            _check_upload(key, upload, target, folder)
    except GreenlightError as exc:
        app.registry.record(actor=actor.username, action="pipeline.refused",
                            detail={"spec": "uploaded in the portal", "reason": exc.message, "code": exc.code})
        raise
    run_id = secrets.token_hex(8)
    job = _Job(BrowserRunStatus(id=run_id, username=actor.username, model=spec.model.name, state="running",
                                started_at=datetime.now(UTC), finished_at=None, messages=()))
    app.browser_runs.add(job)
    spec_path = _store_upload(folder, spec_bytes, spec, train, test)
    factory = STARTER_FACTORIES[spec.model.task]
    app.registry.record(actor=actor.username, action="pipeline.started_in_portal", model=spec.model.name, detail={
        "run": run_id, "folder": str(folder), "factory": factory, "spec_sha256": spec.sha256,
        "train": _described(train), "test": _described(test)})
    thread = threading.Thread(target=_run, args=(app, job, actor, spec_path, factory), name=f"greenlight-run-{run_id}",
                              daemon=True)
    thread.start()
    return job.status


def browser_run_status(app: App, run_id: str) -> BrowserRunStatus:
    """The run's progress now; :class:`NotFound` for a run this portal process did not start."""
    job = app.browser_runs.get(run_id)
    if job is None:
        raise NotFound("This run was started by another portal process, or before the portal restarted; its "
                       "version's stages are on the model's page.")
    with job.lock:
        return job.status


def latest_browser_run(app: App, username: str) -> BrowserRunStatus | None:
    """The newest run ``username`` started from this portal process, if any."""
    return max((j.status for j in app.browser_runs.of(username)), key=lambda s: s.started_at, default=None)


def wait_for_browser_run(app: App, run_id: str, timeout: float) -> BrowserRunStatus:
    """The run's status once it has ended, or as it stands after ``timeout`` seconds."""
    job = app.browser_runs.get(run_id)
    if job is not None:
        job.finished.wait(timeout)
    return browser_run_status(app, run_id)


def _run(app: App, job: _Job, actor: User, spec_path: Path, factory: str) -> None:
    try:
        result = run_pipeline(app, spec_path, actor=actor, commit=_NO_COMMIT, factory=factory, progress=job.say)
    except GreenlightError as exc:  # refused before anything was registered, or the registry refused a step
        job.say("pipeline", f"refused: {exc.message}")
        job.end(state="refused", reason=exc.message)
    except Exception as exc:  # a bug or an environment problem; the stage (if any) was recorded failed
        job.say("pipeline", f"unexpected error: {type(exc).__name__}: {exc}")
        job.end(state="failed", reason=f"Unexpected error: {type(exc).__name__}: {exc}")
        app.registry.record(actor=actor.username, action="pipeline.portal_run_failed",
                            detail={"run": job.status.id, "error": traceback.format_exc()[-2000:]})
    else:
        job.end(state="passed" if result.passed else "failed", version=result.version,
                failed_stage=result.failed_stage, reason=result.reason)


def _new_folder(app: App, actor: User) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return app.settings.home / "onboarding" / _safe(actor.username) / f"{stamp}-{secrets.token_hex(3)}"


def _safe(name: str) -> str:
    """An account name as a folder name (account names are plain, but never trust a path part)."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return cleaned or "account"


def _suffix(name: str) -> str | None:
    lowered = name.lower()
    return next((s for s in sorted(_DATA_KINDS, key=len, reverse=True) if lowered.endswith(s)), None)


def _check_upload(key: str, upload: UploadedFile, target: Path, folder: Path) -> None:
    label = "training" if key == "train" else "test"
    if not upload.data:
        raise InvalidData(f"The {label} data file {upload.name} is empty.", code="empty_upload")
    sent, expected = _suffix(upload.name), _suffix(target.name)
    if sent is None:
        raise InvalidData(f"The {label} data file {upload.name} is not a CSV (.csv, .csv.gz) or Parquet (.parquet) "
                          "file.", code="bad_upload")
    if _DATA_KINDS[sent] != _DATA_KINDS[expected]:
        written = target.relative_to(folder)
        raise InvalidData(f"The {label} data file {upload.name} is {_DATA_KINDS[sent]}, but the spec's [data].{key} "
                          f"names {written}, {_DATA_KINDS[expected]}: upload {_DATA_KINDS[expected]} or change "
                          f"[data].{key}.", code="bad_upload")


def _store_upload(folder: Path, spec_bytes: bytes, spec, train: UploadedFile, test: UploadedFile) -> Path:
    folder.mkdir(mode=0o700, parents=True)
    spec_path = folder / "greenlight.toml"
    spec_path.write_bytes(spec_bytes)
    for upload, target in ((train, spec.data.train), (test, spec.data.test)):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(upload.data)
    shutil.copyfile(_STARTER_SOURCE, folder / f"{STARTER_MODULE}.py")
    return spec_path


def _described(upload: UploadedFile) -> dict[str, object]:
    return {"name": upload.name, "bytes": len(upload.data), "sha256": hashlib.sha256(upload.data).hexdigest()}
