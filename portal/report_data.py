"""Cached, read-only access to a version's stored reports, test scores and model card.

Reports are written once by the pipeline and stored under their SHA-256, so every cache key
here includes the fingerprints of the artifacts it reads: a version that gets new reports
gets new keys, and the long cache can never show stale evidence. The list of artifacts
itself comes from :mod:`portal.data` (a few seconds' cache). Only plain dicts and data
frames are cached; the backend's dataclasses are rebuilt from them on the way out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import pandas as pd
import streamlit as st

from backend import reports as backend_reports
from backend.reports import ModelCardFile, VersionReports
from portal import data
from portal.data import SettingsKey, app_for, settings_key

__all__ = [
    "REPORT_KINDS",
    "has_reports",
    "versions_with_reports",
    "load_reports",
    "load_test_scores",
    "threshold_whatif",
    "load_model_card",
]

#: Stored reports do not change (a new report is a new artifact with a new SHA-256), so they
#: can be kept far longer than registry queries.
REPORT_CACHE_SECONDS = 600
#: The artifact kinds this page reads; their SHA-256s key the caches.
REPORT_KINDS = ("fairness_report", "explainability_report", "test_scores", "model_card_md", "model_card_html")

Fingerprint = tuple[tuple[str, str], ...]


def _fingerprint(name: str, number: int, kinds: Iterable[str] = REPORT_KINDS) -> Fingerprint:
    wanted = set(kinds)
    return tuple(sorted((ref.kind, ref.sha256) for ref in data.list_artifacts(name, number) if ref.kind in wanted))


def has_reports(name: str, number: int) -> bool:
    """Whether the pipeline stored a fairness or an explainability report for the version."""
    kinds = {kind for kind, _ in _fingerprint(name, number)}
    return bool(kinds & {"fairness_report", "explainability_report"})


def versions_with_reports(name: str, numbers: Iterable[int]) -> set[int]:
    """Those of ``numbers`` that have reports (one cached artifact query each)."""
    return {number for number in numbers if has_reports(name, number)}


@st.cache_data(ttl=REPORT_CACHE_SECONDS, max_entries=64, show_spinner=False)
def _load_reports(key: SettingsKey, name: str, number: int, fingerprint: Fingerprint) -> dict:
    return dataclasses.asdict(backend_reports.load_reports(app_for(key), name, number))


def load_reports(name: str, number: int) -> VersionReports:
    """The version's stored reports (``fairness`` / ``explainability`` None when not written).

    Raises :class:`~backend.errors.NotFound` for an unknown model or version and
    :class:`~backend.errors.ArtifactIntegrityError` for a report changed after it was stored.
    """
    fingerprint = _fingerprint(name, number)
    return VersionReports(**_load_reports(settings_key(), name, number, fingerprint))


@st.cache_data(ttl=REPORT_CACHE_SECONDS, max_entries=16, show_spinner=False)
def _load_test_scores(key: SettingsKey, name: str, number: int, fingerprint: Fingerprint) -> pd.DataFrame:
    return backend_reports.load_test_scores(app_for(key), name, number)


def load_test_scores(name: str, number: int) -> pd.DataFrame:
    """The test-set scores the pipeline stored (``y_true``, ``score``, ``group:<feature>`` ...)."""
    return _load_test_scores(settings_key(), name, number, _fingerprint(name, number, ("test_scores",)))


@st.cache_data(ttl=REPORT_CACHE_SECONDS, max_entries=64, show_spinner=False)
def _threshold_whatif(key: SettingsKey, name: str, number: int, fingerprint: Fingerprint,
                      feature: str | None) -> pd.DataFrame:
    scores = _load_test_scores(key, name, number, fingerprint)
    return backend_reports.threshold_whatif(scores, sensitive=feature)


def threshold_whatif(name: str, number: int, feature: str | None) -> pd.DataFrame:
    """Rates per group of ``feature`` at every threshold of the what-if grid, from the stored scores.

    Raises :class:`~backend.errors.InvalidData` for a regression model or an unknown feature.
    """
    return _threshold_whatif(settings_key(), name, number, _fingerprint(name, number, ("test_scores",)), feature)


@st.cache_data(ttl=REPORT_CACHE_SECONDS, max_entries=32, show_spinner=False)
def _load_model_card(key: SettingsKey, name: str, number: int, fmt: str, fingerprint: Fingerprint) -> dict:
    return dataclasses.asdict(backend_reports.load_model_card(app_for(key), name, number, fmt))


def load_model_card(name: str, number: int, fmt: str) -> ModelCardFile:
    """The stored model card as ``"html"`` or ``"markdown"``; NotFound when there is none."""
    kind = {"html": "model_card_html", "markdown": "model_card_md"}.get(fmt, fmt)
    return ModelCardFile(**_load_model_card(settings_key(), name, number, fmt, _fingerprint(name, number, (kind,))))
