"""Scoring one run: every audit metric of the registry (private).

:func:`score_predictions` computes the ``stage="test"`` metrics from the test
probabilities, :func:`cartography_alignment` the ``stage="training"`` ones from
the cartography statistics; both take their names and functions from the one
metric registry (:data:`sksoft.evaluation.METRIC_SPECS`), the one
``sksoft evaluate`` scores with, so a metric is named in one place only.
"""

import numpy as np

from ..cartography import human_alignment_summary
from ..evaluation import (
    ENTROPY_DECIMALS,
    label_entropy,
    metric_specs,
    score_spec,
    spearman_gold_confidence,
)
from ..targets import hard_sample_mask
from ._metrics import SPECS
from ._raw_scale import spread_to_raw

__all__ = [
    "cartography_alignment",
    "disagreement_mask",
    "item_terms",
    "label_entropy",
    "score_predictions",
]

#: the metrics computed from the test probabilities, and from the dynamics
TEST_SPECS = metric_specs("audit", stage="test")
TRAINING_SPECS = metric_specs("audit", stage="training")
TRAINING_METRICS = tuple(s.name for s in TRAINING_SPECS)
#: the metrics of the arms' targets on the training rows (``_targets.py``)
TARGET_METRICS = tuple(s.name for s in metric_specs("audit", stage="targets"))


def _references(gold, human):
    return {
        "gold": gold,
        "human": human,
        "human_mode": np.argmax(human, axis=1),  # ties to the first, as hard_labels
    }


def disagreement_mask(human):
    """Items with any human disagreement (the ``disagree`` subset).

    :func:`sksoft.targets.hard_sample_mask` with ``hard="disagreement"``:
    human entropy > 0, counted on the classes the audit is given (ratings
    collapsed to classes agree when they fall in one class).
    """
    human = np.asarray(human, dtype=float)
    if human.shape[0] == 0:
        return np.zeros(0, bool)
    return hard_sample_mask(human, hard="disagreement")


def _subsets(hard, human):
    every = np.ones(len(hard), bool)
    return {
        None: every,
        "all": every,
        "hard": hard,
        "easy": ~hard,
        "disagree": disagreement_mask(human),
    }


def score_predictions(y_prob, gold, human, hard, *, n_bins=15, raw=None):
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
        The hard samples (:func:`sksoft.targets.hard_sample_mask` of ``human``,
        top fraction); the ``*_disagree_*`` metrics use the items with any
        disagreement in ``human`` (:func:`disagreement_mask`).
    n_bins : int, default=15
        Bins of the calibration errors (uniform, max-probability).
    raw : RawScale or None, default=None
        The raw rating scale of the test rows (``sksoft/audit/_raw_scale.py``:
        the human raw distributions and each fold's within-class rating
        shares); ``None`` skips the ``stage="raw"`` metrics
        (``wasserstein_*_vs_human_raw``). Their ``hard`` / ``easy`` subsets are
        ``hard``'s, counted on the classes.

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
    references = _references(gold, human)
    subsets = _subsets(hard, human)
    out = {}
    for spec in metric_specs("audit", stage="test"):  # read now: one table
        y_ref = references[spec.reference]
        if y_ref is None:
            continue
        mask = subsets[spec.subset]
        out[spec.name] = score_spec(spec, y_ref[mask], y_prob[mask], n_bins)
    # the held-out alignment reads the human labels and a label per item
    # (gold; the human mode without gold) at once
    label = gold if gold is not None else references["human_mode"]
    for spec in metric_specs("audit", stage="heldout"):
        out[spec.name] = spearman_gold_confidence(human, y_prob, label)
    if raw is not None:  # the raw rating scale (VADER's -4..+4)
        raw_prob = spread_to_raw(y_prob, raw)
        for spec in metric_specs("audit", stage="raw"):
            mask = subsets[spec.subset]
            out[spec.name] = score_spec(spec, raw.human[mask], raw_prob[mask], n_bins)
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
        A metric whose spec has an ``items`` function (``BOOTSTRAP_KINDS``).
    y_prob, gold, human, hard
        As for :func:`score_predictions`.
    n_bins : int, default=15
        Bins of the calibration errors.

    Returns
    -------
    terms : ItemTerms or None
        Over the items of the metric's subset, in test order; with a row of
        ones as weights :func:`~sksoft.evaluation.weighted_values` gives the
        metric itself, with bootstrap counts the metric with those
        ``sample_weight``. None for other kinds, a missing reference or an
        empty subset.
    """
    spec = SPECS[name]
    ref = _references(gold, human).get(spec.reference)  # none for "human_raw"
    if spec.items is None or ref is None:
        return None
    mask = _subsets(hard, human)[spec.subset]
    if not mask.any():
        return None
    return spec.items(ref[mask], y_prob[mask], n_bins, "sksoft")
