"""sksoft: learning from soft labels, the scikit-learn way.

Soft labels are probability vectors as targets (for example the share of
annotators who chose each class). sksoft trains classifiers on them, measures
calibration (above all on the hard, ambiguous samples) and records training
dynamics (dataset cartography).
"""

from .classifier import SoftLabelClassifier
from .expansion import ExpansionClassifier
from .losses import SoftTargetCrossEntropyLoss
from .model_selection import SoftStratifiedKFold
from .targets import (
    check_probabilities,
    check_soft_targets,
    counts_to_proba,
    hard_labels,
    hard_sample_mask,
    one_hot,
    target_entropy,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "__version__",
    "ExpansionClassifier",
    "SoftLabelClassifier",
    "SoftStratifiedKFold",
    "SoftTargetCrossEntropyLoss",
    "check_probabilities",
    "check_soft_targets",
    "counts_to_proba",
    "hard_labels",
    "hard_sample_mask",
    "one_hot",
    "target_entropy",
]
