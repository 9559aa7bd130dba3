"""The ML Test Score rubric: its 28 tests in four sections and its scoring rule.

Breck, E., Cai, S., Nielsen, E., Salib, M. & Sculley, D. (2017). *The ML Test Score: A Rubric for
ML Production Readiness and Technical Debt Reduction.* Proceedings of IEEE Big Data 2017.

The test names are the paper's own; ``asks`` is a short paraphrase of what each test asks for,
not a quotation. Scoring, as the paper defines it: half a point for a test run by hand with its
results documented and shared, a full point for a test that runs automatically and repeatedly;
each section's points are summed, and the final score is the *minimum* of the four sums, so a
system must attend to all four sections to raise it.
"""

from __future__ import annotations

__all__ = ["SECTIONS", "TESTS", "MANUAL_POINTS", "AUTOMATED_POINTS", "score_reading", "CITATION"]

CITATION = ("Breck, Cai, Nielsen, Salib & Sculley (2017), \"The ML Test Score: A Rubric for ML Production "
            "Readiness and Technical Debt Reduction\", IEEE Big Data")

MANUAL_POINTS = 0.5
AUTOMATED_POINTS = 1.0

#: section key → its title in the paper
SECTIONS = {
    "data": "Tests for features and data",
    "model": "Tests for model development",
    "infrastructure": "Tests for ML infrastructure",
    "monitoring": "Monitoring tests for ML",
}

#: (section, number) → (the paper's name of the test, what it asks in a sentence: paraphrased)
TESTS: dict[tuple[str, int], tuple[str, str]] = {
    ("data", 1): ("Feature expectations are captured in a schema",
                  "Write down what each input should look like (type, range, categories) and check data against it."),
    ("data", 2): ("All features are beneficial",
                  "Each input should earn its place: check what the model loses without it."),
    ("data", 3): ("No feature's cost is too much",
                  "Weigh what each input costs (latency, memory, upstream dependencies, maintenance) "
                  "against what it adds."),
    ("data", 4): ("Features adhere to meta-level requirements",
                  "Inputs ruled out by the organisation (for example a protected attribute, or data not "
                  "allowed for this use) must not reach the model."),
    ("data", 5): ("The data pipeline has appropriate privacy controls",
                  "Personal data is protected, access-controlled and handled lawfully all along the data pipeline."),
    ("data", 6): ("New features can be added quickly",
                  "Measure how long it takes to take a new input from idea to the production model."),
    ("data", 7): ("All input feature code is tested",
                  "The code that turns raw data into the model's inputs is tested, in training and in serving."),
    ("model", 1): ("Every model specification undergoes a code review and is checked in to a repository",
                   "The model's definition is versioned and reviewed like any other code."),
    ("model", 2): ("Offline proxy metrics correlate with actual online impact metrics",
                   "Check that what is measured before release (ROC AUC, say) moves with what matters live "
                   "(outcomes, business results)."),
    ("model", 3): ("All hyperparameters have been tuned",
                   "Every tunable setting has been searched, not left at a default by chance."),
    ("model", 4): ("The impact of model staleness is known",
                   "Know how fast the model's quality decays as it ages, so retraining is planned."),
    ("model", 5): ("A simpler model is not better",
                   "Compare with a simple baseline: complexity must pay for itself."),
    ("model", 6): ("Model quality is sufficient on all important data slices",
                   "Quality is measured for the groups that matter, not only on average."),
    ("model", 7): ("The model has been tested for considerations of inclusion",
                   "Check the model for unfair differences between groups of people."),
    ("infrastructure", 1): ("Training is reproducible",
                            "Training twice from the same code and data gives the same model (or close)."),
    ("infrastructure", 2): ("Model specification code is unit tested",
                            "The code that defines the model has unit tests."),
    ("infrastructure", 3): ("The full ML pipeline is integration tested",
                            "The whole path, from data to a served model, is exercised end to end."),
    ("infrastructure", 4): ("Model quality is validated before attempting to serve it",
                            "A model must pass quality checks before any live traffic reaches it."),
    ("infrastructure", 5): ("The model allows debugging by observing the step-by-step computation of training "
                            "or inference on a single example",
                            "One can follow how the model reached a single prediction."),
    ("infrastructure", 6): ("Models are tested via a canary process before they enter production serving "
                            "environments",
                            "A new model first serves a small share of live traffic and is compared with production."),
    ("infrastructure", 7): ("Models can be quickly and safely rolled back to a previous serving version",
                            "If a new model misbehaves, the previous one can take over at once."),
    ("monitoring", 1): ("Dependency changes result in notification",
                        "The team hears when a data source or library the model depends on changes."),
    ("monitoring", 2): ("Data invariants hold in training and serving inputs",
                        "Live inputs are checked against the schema and against the training data's distribution."),
    ("monitoring", 3): ("Training and serving features compute the same values",
                        "The model sees the same inputs, and gives the same scores, in training and in serving."),
    ("monitoring", 4): ("Models are not too stale",
                        "The model in production is watched for age and retrained before it goes out of date."),
    ("monitoring", 5): ("The model is numerically stable",
                        "Watch for invalid outputs (missing values, out-of-range scores, errors) in serving."),
    ("monitoring", 6): ("The model has not experienced a dramatic or slow-leak regression in training speed, "
                        "serving latency, throughput, or RAM usage",
                        "Track the model's computational cost from version to version and over time."),
    ("monitoring", 7): ("The model has not experienced a regression in prediction quality on served data",
                        "Measure live prediction quality against what was signed off, and alert when it falls."),
}

# The paper's reading of the final score (its interpretation table), in its own bands.
_READINGS = (
    (0.0, "More of a research project than a productionized system."),
    (1.0, "Not totally untested, but it is worth considering the possibility of serious holes in reliability."),
    (2.0, "There's been a first pass at basic productionization, but additional investment may be needed."),
    (3.0, "Reasonably tested, but it's possible that more of those tests and procedures may be automated."),
    (5.0, "Strong levels of automated testing and monitoring, appropriate for mission-critical systems."),
)
_TOP_READING = "Exceptional levels of automated testing and monitoring."


def score_reading(score: float) -> str:
    """The paper's reading of a final ML Test Score (0, up to 1, up to 2, up to 3, up to 5, above 5)."""
    for bound, reading in _READINGS:
        if score <= bound:
            return reading
    return _TOP_READING
