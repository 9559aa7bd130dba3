"""What the demo's reviewers write when they approve a version despite a failed fairness check.

An approval of such a version must acknowledge each failed check in writing (see
:meth:`backend.governance.signoff.SignOffs.decide`); the demo's reviewers give one reason per
model, applied to every check that failed on the version they approve.
"""

from __future__ import annotations

from backend.app import App

__all__ = ["demo_acknowledgements", "DEMO_REASONS"]

DEMO_REASONS = {
    "credit-risk": "Reviewed: the gap follows the repayment records of this small sample; the model supports, and "
                   "does not replace, the credit officer's decision, and its outcomes by group are reviewed quarterly.",
    "income-propensity": "Reviewed: a marketing offer, not a credit decision; the gap mirrors the incomes recorded "
                         "in the census data, and the offer rate by group is reported to the marketing board monthly.",
}


def demo_acknowledgements(app: App, model: str, number: int, decision: str) -> dict[str, str]:
    """For an approval, the demo reviewer's written reason for each failed fairness check."""
    if decision == "reject":
        return {}
    return {check["key"]: DEMO_REASONS[model] for check in app.signoffs.failed_checks(model, number)}
