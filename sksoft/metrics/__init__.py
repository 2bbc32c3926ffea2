"""Numpy-only metrics for soft labels and calibration (no torch import).

Calibration errors against hard or soft (human) labels, restricted to the hard
samples if wanted, soft-target losses and divergences, human-model uncertainty
alignment, scorers for sklearn's model selection tools, and a reliability
diagram.
"""

from ._calibration import (
    expected_calibration_error,
    hard_sample_calibration_error,
    max_calibration_error,
)
from ._lewidi import (
    annotator_error_rate,
    average_manhattan_distance,
    multilabel_manhattan_distance,
    normalized_absolute_distance,
    ordinal_wasserstein_distance,
)
from ._plot import ReliabilityDisplay
from ._scorer import get_scorer, get_scorer_names
from ._smooth import smooth_calibration_error
from ._soft import (
    distribution_calibration_error,
    entropy_calibration_error,
    js_divergence,
    kl_divergence,
    ranking_calibration_score,
    soft_brier_score_loss,
    soft_log_loss,
    top1_agreement_score,
    uncertainty_alignment,
)

__all__ = [
    "ReliabilityDisplay",
    "annotator_error_rate",
    "average_manhattan_distance",
    "distribution_calibration_error",
    "entropy_calibration_error",
    "expected_calibration_error",
    "get_scorer",
    "get_scorer_names",
    "hard_sample_calibration_error",
    "js_divergence",
    "kl_divergence",
    "max_calibration_error",
    "multilabel_manhattan_distance",
    "normalized_absolute_distance",
    "ordinal_wasserstein_distance",
    "ranking_calibration_score",
    "smooth_calibration_error",
    "soft_brier_score_loss",
    "soft_log_loss",
    "top1_agreement_score",
    "uncertainty_alignment",
]
