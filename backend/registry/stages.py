"""The pipeline's stages by name, in order, with what each means to a business reader.

Kept apart from the pipeline's code so that reading them costs nothing (the portal and the
sign-off service need the words, not scikit-learn).
"""

from __future__ import annotations

__all__ = ["STAGE_ORDER", "STAGE_EXPLANATIONS", "MANUAL_STAGE", "STAGE_STATUSES"]

MANUAL_STAGE = "manual_validation"

STAGE_ORDER = ("build", "smoke_checks", "reports", "test_validation", MANUAL_STAGE)

STAGE_EXPLANATIONS = {
    "build": "Trains the model on the training data and stores it, with its lineage, in long-term storage.",
    "smoke_checks": "Loads the stored model in a fresh process, as production would, and checks its predictions.",
    "reports": "Checks whether the model treats groups of people differently, and explains what drives its "
               "scores, overall and for typical cases.",
    "test_validation": "Measures accuracy on data the model never saw, compares it with production, and "
                       "measures speed, size and memory through the serving path.",
    MANUAL_STAGE: "People in the roles the policy names review the evidence and approve, approve with "
                  "conditions, or reject.",
}

#: A stage run's status: running (automated, under way), waiting (for people), passed, failed.
STAGE_STATUSES = ("running", "waiting", "passed", "failed")
