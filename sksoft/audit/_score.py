"""Scoring one run: every metric of ``_metrics.METRIC_SPECS`` (private).

:func:`score_predictions` computes the ``stage="test"`` metrics from the test
probabilities, :func:`cartography_alignment` the ``stage="training"`` ones from
the cartography statistics; both take their names from the spec table, so a
metric is named in one place only.
"""

import math

import numpy as np
from scipy import stats

from .. import metrics as M
from .._rows import entropy_rows
from ..cartography import human_alignment_summary
from ..metrics._calibration import assign_bins, bin_edges, confidence_accuracy
from ..metrics._validation import check_pair
from ..targets import target_entropy
from ._metrics import BOOTSTRAP_KINDS, METRIC_SPECS, SPECS
from ._stats import ItemTerms

#: decimals to which the human-label entropies are rounded before they are
#: ranked: rows with the same vote pattern (in any class order) then tie exactly
#: instead of differing in the last bits of the float sum
ENTROPY_DECIMALS = 10

#: the metrics computed from the test probabilities, and from the dynamics
TEST_SPECS = tuple(s for s in METRIC_SPECS if s.stage == "test")
TRAINING_SPECS = tuple(s for s in METRIC_SPECS if s.stage == "training")
TRAINING_METRICS = tuple(s.name for s in TRAINING_SPECS)
#: the metrics of the arms' targets on the training rows (``_targets.py``)
TARGET_METRICS = tuple(s.name for s in METRIC_SPECS if s.stage == "targets")


def _accuracy(y_ref, y_prob, n_bins, labels):
    return np.mean(np.argmax(y_prob, axis=1) == y_ref)


def _calibration(fn):
    def score(y_ref, y_prob, n_bins, labels):
        if y_prob.shape[0] == 0:
            return math.nan
        extra = {"labels": labels} if y_ref.ndim == 1 else {}
        return fn(y_ref, y_prob, n_bins=n_bins, **extra)

    return score


def _divergence(fn):
    def score(human, y_prob, n_bins, labels):
        return fn(human, y_prob)

    return score


def label_entropy(human):
    """Entropy of the human soft labels, rounded to :data:`ENTROPY_DECIMALS`.

    What the audit's Spearman correlations rank: equal vote patterns tie.
    """
    return np.round(target_entropy(human), ENTROPY_DECIMALS)


def _spearman(predicted):
    """Spearman(rounded human entropy, model entropy or confidence).

    :func:`sksoft.metrics.uncertainty_alignment` with the human entropies
    rounded (:func:`label_entropy`); nan when either side is constant.
    """

    def score(human, y_prob, n_bins, labels):
        h = label_entropy(human)
        if predicted == "entropy":
            model = np.maximum(entropy_rows(y_prob), 0.0)
        else:
            model = y_prob.max(axis=1)
        if h.size < 2 or np.ptp(h) == 0 or np.ptp(model) == 0:
            return math.nan
        return float(stats.spearmanr(h, model).statistic)

    return score


def _spearman_gold_confidence(human, y_prob, label):
    """Spearman(rounded human entropy, the probability of each row's label).

    The held-out counterpart of the data map's confidence (the mean
    probability of the gold label over epochs); nan when a side is constant.
    """
    h = label_entropy(human)
    model = y_prob[np.arange(len(label)), label]
    if h.size < 2 or np.ptp(h) == 0 or np.ptp(model) == 0:
        return math.nan
    return float(stats.spearmanr(h, model).statistic)


#: spec ``kind`` -> scorer(human, y_prob, label) of the kinds that read both
#: the human soft labels and a label per row (gold, the human mode without it)
_LABEL_SCORERS = {"spearman_gold_confidence": _spearman_gold_confidence}

#: spec ``kind`` -> scorer(reference, y_prob, n_bins, labels) on the subset
_SCORERS = {
    "accuracy": _accuracy,
    "ece": _calibration(M.expected_calibration_error),
    "mce": _calibration(M.max_calibration_error),
    "cross_entropy": _divergence(M.soft_log_loss),
    "kl": _divergence(M.kl_divergence),
    "jsd": _divergence(M.js_divergence),
    "entropy_calibration_error": _divergence(M.entropy_calibration_error),
    "ranking_calibration": _divergence(M.ranking_calibration_score),
    "distribution_calibration_error": _divergence(M.distribution_calibration_error),
    "spearman_entropy": _spearman("entropy"),
    "spearman_confidence": _spearman("confidence"),
}


def score_predictions(y_prob, gold, human, hard, *, n_bins=15):
    """Every test-set metric of one run, computed with :mod:`sksoft.metrics`.

    Parameters
    ----------
    y_prob : ndarray of shape (n_samples, n_classes)
        Predicted probabilities on the test samples.
    gold : ndarray of shape (n_samples,) or None
        Gold labels as column positions; ``None`` skips the ``*_vs_gold``
        metrics.
    human : ndarray of shape (n_samples, n_classes)
        Human soft labels (probability rows).
    hard : ndarray of shape (n_samples,), dtype bool
        The hard samples (:func:`sksoft.targets.hard_sample_mask` of ``human``).
    n_bins : int, default=15
        Bins of the calibration errors (uniform, max-probability).

    Returns
    -------
    scores : dict
        Metric name -> float, names and order as in ``sksoft.audit.METRICS``
        (the cartography entries excepted).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import score_predictions
    >>> human = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8], [0.6, 0.4]])
    >>> proba = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.7, 0.3]])
    >>> hard = np.array([False, True, False, True])
    >>> s = score_predictions(proba, np.array([0, 0, 1, 0]), human, hard, n_bins=5)
    >>> s["accuracy_vs_gold"], round(s["kl_all_vs_human"], 4)
    (1.0, 0.0264)
    """
    labels = np.arange(y_prob.shape[1])  # gold subsets may miss a class
    references = {
        "gold": gold,
        "human": human,
        "human_mode": np.argmax(human, axis=1),  # ties to the first, as hard_labels
    }
    every = np.ones(len(hard), bool)
    subsets = {None: every, "all": every, "hard": hard, "easy": ~hard}
    out = {}
    for spec in TEST_SPECS:
        y_ref = references[spec.reference]
        if y_ref is None:
            continue
        mask = subsets[spec.subset]
        if spec.kind in _LABEL_SCORERS:
            label = references["gold" if gold is not None else "human_mode"]
            score = _LABEL_SCORERS[spec.kind]
            out[spec.name] = score(y_ref[mask], y_prob[mask], label[mask])
            continue
        score = _SCORERS[spec.kind]
        out[spec.name] = float(score(y_ref[mask], y_prob[mask], n_bins, labels))
    return out


def cartography_alignment(dynamics, human_entropy):
    """The ``stage="training"`` metrics of one fit.

    Spearman correlations of the cartography statistics (``confidence``,
    ``variability``) with the human-label entropy of the training rows
    (rounded to :data:`ENTROPY_DECIMALS`, so equal vote patterns tie), from
    :func:`sksoft.cartography.human_alignment_summary`.
    """
    summary = human_alignment_summary(
        {"confidence": dynamics["confidence"], "variability": dynamics["variability"]},
        np.round(np.asarray(human_entropy, dtype=float), ENTROPY_DECIMALS),
    )
    return {s.name: float(summary["spearman"][s.kind]) for s in TRAINING_SPECS}


def item_terms(name, y_prob, gold, human, hard, *, n_bins=15):
    """Metric ``name`` of one run as a sum over its test items (for the bootstrap).

    Parameters
    ----------
    name : str
        A metric whose spec ``kind`` is in ``BOOTSTRAP_KINDS``.
    y_prob, gold, human, hard
        As for :func:`score_predictions`.
    n_bins : int, default=15
        Bins of the calibration errors.

    Returns
    -------
    terms : ItemTerms or None
        Over the items of the metric's subset, in test order; with a row of
        ones as weights :func:`~sksoft.audit._stats.weighted_values` gives the
        metric itself, with bootstrap counts the metric with those
        ``sample_weight``. None for other kinds, a missing reference or an
        empty subset.
    """
    spec = SPECS[name]
    if spec.kind not in BOOTSTRAP_KINDS:
        return None
    if spec.reference == "human_mode":
        ref = np.argmax(human, axis=1)  # ties to the first, as score_predictions
    else:
        ref = gold if spec.reference == "gold" else human
    if ref is None:
        return None
    mask = {None: None, "all": None, "hard": hard, "easy": ~hard}[spec.subset]
    if mask is not None:
        ref, y_prob = ref[mask], y_prob[mask]
    if y_prob.shape[0] == 0:
        return None
    if spec.kind == "accuracy":
        return ItemTerms((np.argmax(y_prob, axis=1) == ref).astype(float), None)
    if spec.kind == "kl":
        return ItemTerms(M.kl_divergence(ref, y_prob, per_sample=True), None)
    if spec.kind == "jsd":
        return ItemTerms(M.js_divergence(ref, y_prob, per_sample=True), None)
    # binned calibration error: the metric's own confidence, accuracy and bins
    labels = np.arange(y_prob.shape[1]) if ref.ndim == 1 else None
    pair = check_pair(ref, y_prob, labels=labels, keep_binary_column=True)
    ((conf, acc),) = confidence_accuracy(pair, classwise=False)
    bins = assign_bins(conf, bin_edges(conf, n_bins, "uniform"), True)
    return ItemTerms(conf - np.asarray(acc, dtype=float), bins, n_bins)
