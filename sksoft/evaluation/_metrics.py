"""How each metric is computed (private): a value and, for the bootstrap, items.

Every function takes ``(reference, y_prob, n_bins, ties)`` on the items of one
subset: ``reference`` is the gold labels or the human majority label (column
positions, 1-D) or the human soft labels (rows); ``y_prob`` the predicted
probabilities. A *scorer* returns the metric; an *item* function returns it as
an :class:`~sksoft.evaluation._bootstrap.ItemTerms` (a weighted sum over items)
for the paired bootstrap, or is absent when the metric is not such a sum (the
MCE, the Spearman correlations). The registry (``_registry.py``) names a
scorer and an item function for each metric.
"""

import math

import numpy as np
from scipy import stats

from .. import metrics as M
from .._rows import entropy_rows
from ..metrics._calibration import assign_bins, bin_edges, confidence_accuracy
from ..metrics._soft import TIE_CONVENTIONS, ranking_match, top1_index  # noqa: F401
from ..metrics._validation import check_pair
from ..targets import target_entropy
from ._bootstrap import ItemTerms

#: decimals to which the human-label entropies are rounded before they are
#: ranked: rows with the same vote pattern (in any class order) then tie exactly
#: instead of differing in the last bits of the float sum
ENTROPY_DECIMALS = 10


def _labels(reference, y_prob):
    # column positions of every class: a subset may miss a class
    return {"labels": np.arange(y_prob.shape[1])} if reference.ndim == 1 else {}


def _one_hot(reference, k):
    if reference.ndim == 2:
        return reference
    out = np.zeros((reference.shape[0], k))
    out[np.arange(reference.shape[0]), reference] = 1.0
    return out


# ------------------------------------------------------------------ scorers


def accuracy(ref, y_prob, n_bins, ties):
    """Share of items whose top class (ties to the first) is ``ref``."""
    return float(np.mean(np.argmax(y_prob, axis=1) == ref))


def top1_agreement(human, y_prob, n_bins, ties):
    return M.top1_agreement_score(human, y_prob, ties=ties)


def ece(ref, y_prob, n_bins, ties):
    return M.expected_calibration_error(
        ref, y_prob, n_bins=n_bins, **_labels(ref, y_prob)
    )


def mce(ref, y_prob, n_bins, ties):
    return M.max_calibration_error(ref, y_prob, n_bins=n_bins, **_labels(ref, y_prob))


def cross_entropy(ref, y_prob, n_bins, ties):
    return M.soft_log_loss(_one_hot(ref, y_prob.shape[1]), y_prob)


def kl(human, y_prob, n_bins, ties):
    return M.kl_divergence(human, y_prob)


def jsd(human, y_prob, n_bins, ties):
    return M.js_divergence(human, y_prob)


def entropy_calibration_error(human, y_prob, n_bins, ties):
    return M.entropy_calibration_error(human, y_prob)


def ranking_calibration(human, y_prob, n_bins, ties):
    return M.ranking_calibration_score(human, y_prob, ties=ties)


def distribution_calibration_error(human, y_prob, n_bins, ties):
    return M.distribution_calibration_error(human, y_prob)


def ordinal_wasserstein(human_raw, raw_prob, n_bins, ties):
    """Mean 1-D Wasserstein distance on the raw scale, in scale points (not
    normalised), :func:`sksoft.metrics.ordinal_wasserstein_distance`."""
    return M.ordinal_wasserstein_distance(human_raw, raw_prob)


def label_entropy(human):
    """Entropy of the human soft labels, rounded to :data:`ENTROPY_DECIMALS`.

    What the Spearman correlations rank: equal vote patterns tie.
    """
    return np.round(target_entropy(human), ENTROPY_DECIMALS)


def _spearman(predicted):
    """Spearman(rounded human entropy, model entropy or confidence).

    :func:`sksoft.metrics.uncertainty_alignment` with the human entropies
    rounded (:func:`label_entropy`); nan when either side is constant.
    """

    def score(human, y_prob, n_bins, ties):
        h = label_entropy(human)
        if predicted == "entropy":
            model = np.maximum(entropy_rows(y_prob), 0.0)
        else:
            model = y_prob.max(axis=1)
        if h.size < 2 or np.ptp(h) == 0 or np.ptp(model) == 0:
            return math.nan
        return float(stats.spearmanr(h, model).statistic)

    score.__name__ = f"spearman_{predicted}"
    return score


def spearman_gold_confidence(human, y_prob, label):
    """Spearman(rounded human entropy, the probability of each item's label).

    The held-out counterpart of the data map's confidence (the mean
    probability of the gold label over epochs), for the audit: unlike the
    scorers above it reads two references, the human soft labels and a label
    per item (gold; the human mode without gold). nan when a side is
    constant.
    """
    h = label_entropy(human)
    model = y_prob[np.arange(len(label)), label]
    if h.size < 2 or np.ptp(h) == 0 or np.ptp(model) == 0:
        return math.nan
    return float(stats.spearmanr(h, model).statistic)


spearman_entropy = _spearman("entropy")
spearman_confidence = _spearman("confidence")


# ------------------------------------------------------- per-item terms


def _mean(values):
    return ItemTerms(np.asarray(values, dtype=float), None)


def accuracy_items(ref, y_prob, n_bins, ties):
    return _mean(np.argmax(y_prob, axis=1) == ref)


def top1_agreement_items(human, y_prob, n_bins, ties):
    return _mean(top1_index(human, ties) == top1_index(y_prob, ties))


def ece_items(ref, y_prob, n_bins, ties):
    """The binned ECE: the metric's own confidence, accuracy and bins."""
    labels = np.arange(y_prob.shape[1]) if ref.ndim == 1 else None
    pair = check_pair(ref, y_prob, labels=labels, keep_binary_column=True)
    ((conf, acc),) = confidence_accuracy(pair, classwise=False)
    bins = assign_bins(conf, bin_edges(conf, n_bins, "uniform"), True)
    return ItemTerms(conf - np.asarray(acc, dtype=float), bins, n_bins)


def cross_entropy_items(ref, y_prob, n_bins, ties):
    eps = np.finfo(y_prob.dtype).eps  # soft_log_loss's clipping
    target = _one_hot(ref, y_prob.shape[1])
    return _mean(-np.sum(target * np.log(np.clip(y_prob, eps, 1 - eps)), axis=1))


def kl_items(human, y_prob, n_bins, ties):
    return _mean(M.kl_divergence(human, y_prob, per_sample=True))


def jsd_items(human, y_prob, n_bins, ties):
    return _mean(M.js_divergence(human, y_prob, per_sample=True))


def entropy_calibration_error_items(human, y_prob, n_bins, ties):
    return _mean(np.abs(M.entropy_calibration_error(human, y_prob, per_sample=True)))


def ranking_calibration_items(human, y_prob, n_bins, ties):
    return _mean(ranking_match(human, y_prob, ties))


def distribution_calibration_error_items(human, y_prob, n_bins, ties):
    return _mean(M.distribution_calibration_error(human, y_prob, per_sample=True))
