"""sksoft: learning from soft labels, the scikit-learn way.

Soft labels are probability vectors as targets (for example the share of
annotators who chose each class). sksoft trains classifiers on them, measures
calibration (above all on the hard, ambiguous samples) and records training
dynamics (dataset cartography).
"""

from .calibration import TemperatureScalingClassifier
from .cartography import CartographyTransformer, DataMapDisplay
from .evaluation import EvaluationResult, evaluate_predictions
from .expansion import ExpansionClassifier
from .metrics import (
    ReliabilityDisplay,
    expected_calibration_error,
    hard_sample_calibration_error,
    js_divergence,
    kl_divergence,
    max_calibration_error,
    soft_brier_score_loss,
    soft_log_loss,
)
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
from .text import (
    SentenceEmbeddingTransformer,
    SentencePairTransformer,
    pair_features,
)

__version__ = "0.2.0.dev0"

# torch-backed names load on first access, so that numpy-only parts (e.g.
# ``import sksoft.metrics``) never import torch (PEP 562).
_LAZY = {
    "SoftLabelClassifier": "classifier",
    "SoftTargetCrossEntropyLoss": "losses",
    "TrainingDynamics": "callbacks",
    "run_audit": "audit",
}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "ARM_NAMES",
    "CartographyTransformer",
    "DataMapDisplay",
    "EvaluationResult",
    "ExpansionClassifier",
    "ReliabilityDisplay",
    "SentenceEmbeddingTransformer",
    "SentencePairTransformer",
    "SoftLabelClassifier",
    "SoftStratifiedKFold",
    "SoftTargetCrossEntropyLoss",
    "TemperatureScalingClassifier",
    "TrainingDynamics",
    "align_mode",
    "annotations_to_counts",
    "apply_temperature",
    "check_probabilities",
    "check_soft_targets",
    "counts_to_proba",
    "evaluate_predictions",
    "expected_calibration_error",
    "hard_sample_calibration_error",
    "js_divergence",
    "kl_divergence",
    "max_calibration_error",
    "soft_brier_score_loss",
    "soft_log_loss",
    "hard_labels",
    "hard_sample_mask",
    "make_supervision_arms",
    "mode_one_hot",
    "mode_shift_mask",
    "one_hot",
    "pair_features",
    "run_audit",
    "simulate_multinomial_panel",
    "simulate_noisy_observer_panel",
    "smooth_labels",
    "teacher_soft_labels",
    "target_entropy",
]
