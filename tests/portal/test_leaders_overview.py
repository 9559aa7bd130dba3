"""The leaders' figures at the top of the portfolio, each with a sentence that explains it."""

from __future__ import annotations

import pytest

from backend.demo import DEMO_ACCOUNTS
from backend.reports import leaders_overview
from portal.leaders_view import format_span
from tests.factories import approve_all, put_in_production, validated_version
from tests.portal.helpers import open_page, visible_text
from tests.portal.test_user_text import assert_text_only

LABELS = ["Healthy in production", "Waiting for sign-off", "Median lead time"]


def _figures(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_spans_read_in_minutes_hours_or_days():
    assert [format_span(s) for s in (None, 20, 600, 7200, 3 * 86400)] == ["—", "1 min", "10 min", "2.0 hours",
                                                                          "3.0 days"]


def test_figures_and_their_sentences_on_a_constructed_registry(registry_env):
    app = registry_env
    live = validated_version(app, "live-model")
    approve_all(app, "live-model", live)
    put_in_production(app, "live-model", live)
    waiting = validated_version(app, "waiting-model")
    app.signoffs.request("waiting-model", waiting, actor="pipeline")
    at = open_page()
    figures = _figures(at)
    quarter = leaders_overview(app).quarter
    assert figures["Healthy in production"] == "0 of 1"
    assert figures["Waiting for sign-off"] == "1"
    assert figures[f"Deployments in {quarter}"] == "1"
    assert figures["Median lead time"].endswith("min")
    text = assert_text_only(at)
    assert "Models with a version serving all live traffic: 1 not monitored" in text
    assert "The longest wait: waiting-model version 1, 1 min." in text
    assert "over the 1 version that got there." in text


def test_an_empty_portfolio_says_what_is_missing(registry_env):
    app = registry_env
    validated_version(app, "only-model")
    text = visible_text(open_page())
    assert "No model serves production traffic yet." in text
    assert "No version waits for reviewers now." in text
    assert "No version has reached production yet, so there is no lead time to measure." in text


@pytest.mark.parametrize("user", [a.username for a in DEMO_ACCOUNTS])
def test_every_role_sees_the_leaders_figures(demo_settings, demo_app, user):
    at = open_page(user=user)
    figures = _figures(at)
    expected = leaders_overview(demo_app)
    assert figures["Waiting for sign-off"] == str(expected.waiting_for_signoff)
    assert figures[f"Deployments in {expected.quarter}"] == str(expected.deployments_this_quarter)
    assert all(label in figures for label in LABELS)


def test_a_figure_that_did_not_move_says_so_without_an_arrow():
    from portal.leaders_view import SAME, _delta

    assert _delta(0, 0, "count") == SAME == "same as last quarter"
    assert _delta(4, 3, "count") == "+1 vs last quarter"
    assert _delta(0.25, 0.5, "share") == "-25 points vs last quarter"
    assert _delta(None, 3, "count") is None
