"""Where soft labels come from: annotations, synthetic soft labels and mode control.

This package builds the soft targets a study compares, one private module per
concept (the public names all live here):

- **from annotations** (``_annotations.py``): :func:`annotations_to_counts`
  turns a long table of ``(item, annotator, label)`` rows into a vote-count
  matrix;
- **synthetic soft labels** (``_synthetic.py``): :func:`smooth_labels` (label
  smoothing, with the smoothing chosen to match a reference entropy if asked),
  :func:`teacher_soft_labels` (cross-fitted ``predict_proba`` of any scikit-learn
  classifier) and :func:`apply_temperature` (sharpen or flatten any soft matrix);
- **mode control** (``_mode.py``): :func:`align_mode` moves each soft label's
  mode onto a gold label by swapping two probabilities (the row's values and
  entropy are kept exactly), :func:`mode_one_hot` is the one-hot of the human mode and
  :func:`mode_shift_mask` flags items whose human mode differs from gold;
- **the arms of the controlled comparison** (``_arms.py``): the registry
  :data:`ARM_REGISTRY` of the seven default arms ``gold``, ``gold_temperature``,
  ``human_mode``, ``human_soft``, ``human_soft_gold_mode``, ``smoothed`` and
  ``teacher`` (entropy-matched) and the opt-in ``gold_vector``,
  ``gold_dirichlet``, ``teacher_unmatched`` and ``human_dawid_skene``
  (:data:`ARM_NAMES`, :data:`DEFAULT_ARMS`, :data:`GOLD_ARMS`,
  :data:`SOFT_ARMS` and :data:`HUMAN_SOFT_ARMS` derive from it), built by
  :func:`make_supervision_arms`; an
  arm's optional post-fit step (``ArmSpec.calibrate``: the temperature of
  ``gold_temperature``, the vector scaling or Dirichlet map of ``gold_vector``
  / ``gold_dirichlet``) is applied by the audit after fitting;
- **Dawid-Skene** (``_dawid_skene.py``): :func:`dawid_skene` fits per-annotator
  confusion matrices and class priors by EM and returns the posteriors of the
  true class, soft labels that weigh annotators by their reliability;
- **annotation budgets** (``_budget.py``): :func:`subsample_annotations` keeps
  ``n`` votes per item (drawn without replacement) and
  :func:`annotation_budget_curve` scores a metric against ``n``-annotator soft
  labels over repeated draws;
- **simulated annotator panels** (``_panels.py``; SIMULATED, never human):
  :func:`simulate_multinomial_panel` draws votes from given probabilities and
  :func:`simulate_noisy_observer_panel` lets simulated observers label perturbed
  copies of the inputs with a reference classifier.

Validation, counts-to-probabilities, entropy and the tie rule come from
:mod:`sksoft.targets`; they are not re-implemented here.
"""

from ._annotations import annotations_to_counts
from ._arms import (
    ARM_NAMES,
    ARM_REGISTRY,
    DEFAULT_ARMS,
    GOLD_ARMS,
    HUMAN_SOFT_ARMS,
    SOFT_ARMS,
    ArmSpec,
    make_supervision_arms,
)
from ._budget import annotation_budget_curve, subsample_annotations
from ._dawid_skene import dawid_skene
from ._mode import align_mode, mode_one_hot, mode_shift_mask
from ._panels import simulate_multinomial_panel, simulate_noisy_observer_panel
from ._synthetic import apply_temperature, smooth_labels, teacher_soft_labels

__all__ = [
    "ARM_NAMES",
    "ARM_REGISTRY",
    "DEFAULT_ARMS",
    "GOLD_ARMS",
    "HUMAN_SOFT_ARMS",
    "SOFT_ARMS",
    "ArmSpec",
    "align_mode",
    "annotation_budget_curve",
    "annotations_to_counts",
    "apply_temperature",
    "dawid_skene",
    "make_supervision_arms",
    "mode_one_hot",
    "mode_shift_mask",
    "simulate_multinomial_panel",
    "simulate_noisy_observer_panel",
    "smooth_labels",
    "subsample_annotations",
    "teacher_soft_labels",
]
