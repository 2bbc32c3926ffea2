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
from .sources import (
    ARM_NAMES,
    align_mode,
    annotations_to_counts,
    apply_temperature,
    make_supervision_arms,
    mode_one_hot,
    mode_shift_mask,
    simulate_multinomial_panel,
    simulate_noisy_observer_panel,
    smooth_labels,
    teacher_soft_labels,
)
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
    "ARM_NAMES",
    "ExpansionClassifier",
    "SoftLabelClassifier",
    "SoftStratifiedKFold",
    "SoftTargetCrossEntropyLoss",
    "align_mode",
    "annotations_to_counts",
    "apply_temperature",
    "check_probabilities",
    "check_soft_targets",
    "counts_to_proba",
    "hard_labels",
    "hard_sample_mask",
    "make_supervision_arms",
    "mode_one_hot",
    "mode_shift_mask",
    "one_hot",
    "simulate_multinomial_panel",
    "simulate_noisy_observer_panel",
    "smooth_labels",
    "teacher_soft_labels",
    "target_entropy",
]
