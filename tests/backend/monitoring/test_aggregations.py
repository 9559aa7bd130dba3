"""Small days of the log are counted together in one query, with the same figures as day by day."""

from __future__ import annotations

from backend.monitoring import DuckDBEngine
from backend.monitoring.aggregations import ROWS_PER_QUERY, _day_chunks, input_aggregates
from backend.monitoring.job import ensure_reference, plan_for
from backend.monitoring.store import MonitoringStore
from backend.registry.prediction_log import PredictionLog
from tests.backend.monitoring.conftest import IMPORTANCE, SCHEMA, day, population
from tests.serving_factories import log_predictions, monitored_version


def test_days_counted_together_give_the_figures_of_days_counted_alone(sqlite_app):
    app = sqlite_app
    X, y, s = population(2000, 0)
    version = monitored_version(app, "watched", reference=X, y=y, scores=s, schema=SCHEMA, importance=IMPORTANCE)
    other = monitored_version(app, "watched", reference=X, y=y, scores=s, schema=SCHEMA, importance=IMPORTANCE)
    log = PredictionLog(str(app.settings.artifacts_dir))
    for d in range(4):
        # Messy days: shifted incomes, missing ones, a region never seen, and a second version's rows.
        Xp, _yp, sp = population(60 + 40 * d, 10 + d, income_shift=0.3 * d, missing_income=0.1)
        Xp.loc[Xp.index[:3], "region"] = "unheard-of"
        log_predictions(log, "watched", version, Xp, sp, day(d), schema=SCHEMA)
        if d % 2:
            log_predictions(log, "watched", other, Xp.head(15), sp[:15], day(d), schema=SCHEMA, prefix=f"other-{d}")
    by_day = {day(d): log.files("predictions", "watched", start=day(d), end=day(d)) for d in range(4)}
    plan = plan_for(ensure_reference(app, MonitoringStore(app.db), "watched", version)[1])
    engine = DuckDBEngine()
    try:
        alone = input_aggregates(engine, by_day, plan)
        together = input_aggregates(engine, by_day, plan, rows={d: 100 for d in by_day})
    finally:
        engine.close()
    assert together == alone
    assert sum(alone[day(3)]["features"]["income"].values()) == 180
    assert alone[day(2)]["features"]["region"][str(-2)] == 3  # the unseen region, counted as "other"


def test_days_are_grouped_up_to_the_row_limit_and_a_big_or_unknown_day_alone():
    days = [day(d) for d in range(5)]
    rows = {day(0): 10, day(1): ROWS_PER_QUERY - 20, day(2): 30, day(3): ROWS_PER_QUERY + 1}
    assert _day_chunks(days, rows) == [[day(0), day(1)], [day(2)], [day(3)], [day(4)]]
    assert _day_chunks(days, None) == [[d] for d in days]
