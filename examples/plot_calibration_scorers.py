"""
=====================================================================
Tuning for calibration on the hard samples, with soft-label scorers
=====================================================================

Human annotators disagree on ambiguous inputs, and that is where a classifier's
probabilities matter most. This example

1. tunes a classifier trained on **soft targets** (annotator vote shares) with
   :class:`~sklearn.model_selection.GridSearchCV`, scoring it with the sksoft
   scorers (expected calibration error against the human soft labels, the same
   error on the hard samples only, soft log loss, ...);
2. tunes a plain :class:`~sklearn.linear_model.LogisticRegression` fitted on
   **hard labels**, with the soft labels **routed** to the hard-sample scorer as
   metadata, so that hardness can still be measured;
3. draws a reliability diagram of all samples and of the hard samples side by
   side.

The data are sklearn's 8x8 digits, some of them blended into ambiguous images and
labelled by six simulated annotators
(:func:`sksoft.datasets.make_ambiguous_digits`).
"""

# %%
# Data: gold labels and human soft labels
# ---------------------------------------
# ``target`` is the gold label; ``soft_target`` holds the annotators' vote
# shares. The hard samples are the 20% with the highest vote entropy
# (:func:`sksoft.targets.hard_sample_mask`).
import os
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksoft.datasets import make_ambiguous_digits
from sksoft.expansion import ExpansionClassifier
from sksoft.metrics import (
    ReliabilityDisplay,
    expected_calibration_error,
    get_scorer,
    get_scorer_names,
    hard_sample_calibration_error,
)
from sksoft.targets import hard_sample_mask

digits = make_ambiguous_digits(n_samples=1200, random_state=0)
X, y, soft = digits.data, digits.target, digits.soft_target
X_train, X_test, y_train, y_test, soft_train, soft_test = train_test_split(
    X, y, soft, test_size=0.3, random_state=0
)
print(
    f"{len(y_train)} training and {len(y_test)} test images, "
    f"{hard_sample_mask(soft_test).sum()} hard test images"
)
print("sksoft scorers:", ", ".join(get_scorer_names()))

# %%
# Grid search on soft targets
# ---------------------------
# :class:`~sksoft.expansion.ExpansionClassifier` lets any sklearn classifier
# learn from probability-vector targets (here at the end of a pipeline). ``y``
# is the soft matrix, so the scorers measure calibration against the human soft
# labels (a bin's accuracy is the mean human probability of the predicted
# class), and the hard-sample scorer finds the hard samples in ``y`` itself.
# We refit on the soft log loss.
scoring = {
    name: get_scorer(name)
    for name in [
        "neg_soft_log_loss",
        "neg_expected_calibration_error",
        "neg_hard_sample_calibration_error",
        "neg_js_divergence",
        "ranking_calibration_score",
    ]
}
soft_search = GridSearchCV(
    make_pipeline(StandardScaler(), ExpansionClassifier(LogisticRegression())),
    {"expansionclassifier__estimator__C": [0.01, 0.1, 1.0]},
    scoring=scoring,
    refit="neg_soft_log_loss",
    cv=KFold(4, shuffle=True, random_state=0),
    n_jobs=2,
    error_score="raise",
)
soft_search.fit(X_train, soft_train)
columns = [f"mean_test_{name}" for name in scoring]
table = pd.DataFrame(soft_search.cv_results_)[["params", *columns]]
table.columns = ["params", *scoring]
print(table.to_string(index=False, float_format="%.4f"))

# %%
# Routed soft targets for a model fitted on hard labels
# -----------------------------------------------------
# A classifier trained on gold labels sees only ``y``. To still score it on
# the hard samples, enable sklearn's metadata routing, ask the hard-sample
# scorer for ``soft_target`` and pass the soft labels to ``fit``: each test
# fold receives its own rows. Without the routed soft labels the scorer raises
# instead of returning a number computed without hardness.
with sklearn.config_context(enable_metadata_routing=True):
    routed_scoring = {
        "hard_ece": get_scorer("neg_hard_sample_calibration_error").set_score_request(
            soft_target=True
        ),
        "easy_ece": get_scorer("neg_easy_sample_calibration_error").set_score_request(
            soft_target=True
        ),
        "ece": get_scorer("neg_expected_calibration_error"),
    }
    hard_search = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression()),
        {"logisticregression__C": [0.01, 0.1, 1.0]},
        scoring=routed_scoring,
        refit="hard_ece",
        cv=KFold(4, shuffle=True, random_state=0),
        n_jobs=2,
        error_score="raise",
    )
    hard_search.fit(X_train, y_train, soft_target=soft_train)
columns = [f"mean_test_{name}" for name in routed_scoring]
table = pd.DataFrame(hard_search.cv_results_)[["params", *columns]]
table.columns = ["params", *routed_scoring]
print(table.to_string(index=False, float_format="%.4f"))

# %%
# Test-set comparison
# -------------------
# Calibration of both tuned models against the gold labels and against the
# human soft labels, on all test images and on the hard ones.
rows = []
for name, model in [("soft targets", soft_search), ("hard labels", hard_search)]:
    proba = model.predict_proba(X_test)
    rows.append(
        {
            "trained on": name,
            "ECE vs gold": expected_calibration_error(y_test, proba),
            "ECE vs human": expected_calibration_error(soft_test, proba),
            "hard ECE vs gold": hard_sample_calibration_error(
                y_test, proba, soft_target=soft_test
            ),
            "hard ECE vs human": hard_sample_calibration_error(soft_test, proba),
        }
    )
print(pd.DataFrame(rows).to_string(index=False, float_format="%.4f"))

# %%
# Reliability diagram
# -------------------
# Bars are the per-bin accuracy against the human soft labels, hatched bars
# the gap to the bin's mean confidence, the grey step line the number of
# samples per bin. The right panel restricts the same diagram to the hard
# samples, where the miscalibration hidden by the easy majority shows.
display = ReliabilityDisplay.from_estimator(
    soft_search.best_estimator_,
    X_test,
    soft_test,
    name="soft-target logistic regression",
    reference="simulated human soft labels",
)
out = Path(os.environ.get("SKSOFT_EXAMPLE_OUTPUT", ".")) / "reliability_diagram.png"
display.figure_.tight_layout()
display.figure_.savefig(out, dpi=110)
print(f"saved {out}")
plt.show()
