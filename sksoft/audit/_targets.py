"""What the arms' targets are, on the training rows (private leaf of the audit).

The synthetic controls are only fair when they carry the humans' amount of
uncertainty, and a data map is only evidence when it says more than its
targets. Both are properties of the targets, not of the trained models, so
they are measured here, once per fold, from the targets the audit trains on:

- each arm's per-row **target entropy** (and the human labels'), whose means
  the report sets side by side (``smoothed`` and ``teacher`` are matched to
  the human mean entropy; :func:`mean_target_entropy`);
- each arm's per-row **probability of the label** the data map follows (gold;
  without gold the target's own mode, as
  :class:`~sksoft.callbacks.TrainingDynamics` does), whose Spearman
  correlation with the human entropy is what a model that copies its targets
  reaches on the map (:func:`target_alignment`, the metric
  ``target_spearman_confidence_vs_human``).
"""

import math

import numpy as np
from scipy import stats

from ..evaluation import ENTROPY_DECIMALS
from ..targets import hard_labels, target_entropy


def describe_targets(targets, folds, gold_pos, human_p, infos=None):
    """Per fold and arm: the targets' entropy and label probability per row.

    Parameters
    ----------
    targets : list of dict
        Per fold, ``{arm: (n_train, K) targets}`` on the fold's training rows.
    folds : list of (ndarray, ndarray)
        ``(train_index, test_index)`` of every fold.
    gold_pos : ndarray of shape (n_samples,) or None
        Gold labels as column positions.
    human_p : ndarray of shape (n_samples, K)
        Human soft labels of every row.
    infos : list of dict, default=None
        Per fold, the ``info`` of :func:`~sksoft.sources.make_supervision_arms`
        (its ``teacher_temperature`` is kept).

    Returns
    -------
    dict
        ``{"human": {"entropy": [per fold]}, arm: {"entropy": [per fold],
        "label_probability": [per fold]}, ..., "teacher_temperature": [per
        fold] or None}``; the per-fold entries are 1-D arrays over the fold's
        training rows.
    """
    out = {"human": {"entropy": [target_entropy(human_p[tr]) for tr, _ in folds]}}
    for f, (train, _) in enumerate(folds):
        for arm, y in targets[f].items():
            label = gold_pos[train] if gold_pos is not None else hard_labels(y)
            entry = out.setdefault(arm, {"entropy": [], "label_probability": []})
            entry["entropy"].append(target_entropy(y))
            entry["label_probability"].append(y[np.arange(len(y)), label])
    temps = [(info or {}).get("teacher_temperature") for info in infos or []]
    out["teacher_temperature"] = temps if any(t is not None for t in temps) else None
    return out


def mean_target_entropy(description, name):
    """Mean target entropy (nats) of ``name`` (an arm or ``"human"``).

    The mean over the training rows of each fold, then over the folds; nan
    when ``name`` is not described.
    """
    entry = description.get(name)
    if not entry:
        return math.nan
    return float(np.mean([np.mean(e) for e in entry["entropy"]]))


def target_alignment(label_probability, human_entropy):
    """Spearman(human entropy, the targets' probability of the label).

    The human entropies are rounded to :data:`ENTROPY_DECIMALS` (equal vote
    patterns tie), as the data-map alignment does, and so are the target
    probabilities (two rows with the same share of votes for gold tie, rather
    than differ in the last bits of a normalisation); nan when either side is
    constant (``gold``'s one-hot targets).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit._targets import target_alignment
    >>> target_alignment(np.array([0.9, 0.6, 0.7]), np.array([0.1, 0.7, 0.5]))
    -1.0
    """
    x = np.round(np.asarray(human_entropy, dtype=float), ENTROPY_DECIMALS)
    y = np.round(np.asarray(label_probability, dtype=float), ENTROPY_DECIMALS)
    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(stats.spearmanr(x, y).statistic)
