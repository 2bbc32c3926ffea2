"""Baselines of the audit: predictions that learn nothing from the inputs.

Two baselines, estimated on each fold's **training rows** and predicted for
its test rows (no test row is used):

``majority``
    The one-hot of the most frequent training label (gold; without gold the
    most frequent human mode; ties to the first class).
``class_prior``
    The training rows' class frequencies as a constant probability row (of
    gold; without gold the mean human soft label).

They are scored with the audit's own metric table
(:func:`~sksoft.audit.score_predictions`), appear in the report's tables as
rows marked "baseline" and in ``results.csv`` with ``kind = baseline``. They
are not trained, have no seeds, are never the reference arm and stay out of
every Holm family.

The gate of the report: is the reference arm above the majority baseline?
:func:`majority_test` compares, item by item on the test rows, the reference
arm's correctness (averaged over seeds) with the majority prediction's and
applies an exact one-sided sign test (:func:`sign_test_greater`); when it does
not reject, the report opens with a warning and withholds its directional
reading.
"""

import math

import numpy as np
from scipy import stats

from ..targets import hard_labels
from ._score import score_predictions

#: the baselines, in report order
BASELINES = ("majority", "class_prior")

#: what each baseline predicts (report wording)
BASELINE_TEXT = {
    "majority": "the most frequent training label, as a one-hot row",
    "class_prior": "the training rows' class frequencies, as one constant row",
}


def baseline_predictions(folds, gold_pos, human_p, test_index):
    """Each baseline's probabilities on the test rows, estimated per fold.

    Parameters
    ----------
    folds : list of (ndarray, ndarray)
        ``(train_index, test_index)`` of every fold.
    gold_pos : ndarray of shape (n_samples,) or None
        Gold labels as column positions.
    human_p : ndarray of shape (n_samples, K)
        Human soft labels of every row.
    test_index : ndarray of shape (n_test,)
        Every test row, sorted (the rows of the returned matrices).

    Returns
    -------
    dict of str to ndarray of shape (n_test, K)
        Keyed by :data:`BASELINES`.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit._baselines import baseline_predictions
    >>> human = np.array([[.8, .2], [.6, .4], [.3, .7], [.9, .1]])
    >>> folds = [(np.array([0, 1, 2]), np.array([3]))]
    >>> p = baseline_predictions(folds, np.array([0, 0, 1, 0]), human, np.array([3]))
    >>> p["majority"], p["class_prior"].round(3)
    (array([[1., 0.]]), array([[0.667, 0.333]]))
    """
    n, k = human_p.shape
    pos = np.empty(n, dtype=np.int64)
    pos[test_index] = np.arange(len(test_index))
    out = {name: np.empty((len(test_index), k)) for name in BASELINES}
    for train, test in folds:
        if gold_pos is not None:
            counts = np.bincount(gold_pos[train], minlength=k).astype(float)
            prior = counts / counts.sum()
        else:
            counts = np.bincount(hard_labels(human_p[train]), minlength=k)
            prior = human_p[train].mean(axis=0)
            prior = prior / prior.sum()
        majority = np.zeros(k)
        majority[int(np.argmax(counts))] = 1.0  # ties to the first class
        out["majority"][pos[test]] = majority
        out["class_prior"][pos[test]] = prior
    return out


def score_baselines(predictions, gold_test, human_test, hard, *, n_bins=15):
    """Every test metric of each baseline (the audit's metric table).

    Returns ``{name: {metric: value}}``; the training-row metrics (data maps,
    targets) do not apply to an untrained prediction and are absent.
    """
    return {
        name: score_predictions(proba, gold_test, human_test, hard, n_bins=n_bins)
        for name, proba in predictions.items()
    }


def sign_test_greater(n_better, n_worse):
    """Exact one-sided sign test: is "better" more likely than "worse"?

    ``P(X >= n_better)`` for ``X ~ Binomial(n_better + n_worse, 1/2)``; ties
    (items on which both are equally correct) are left out, as in McNemar's
    exact test, which this is when each side is right or wrong per item.
    1.0 when no item differs.

    Examples
    --------
    >>> from sksoft.audit._baselines import sign_test_greater
    >>> round(sign_test_greater(8, 2), 4)  # (45 + 10 + 1) / 1024
    0.0547
    """
    n_better, n_worse = int(n_better), int(n_worse)
    m = n_better + n_worse
    if m == 0:
        return 1.0
    return float(stats.binom.sf(n_better - 1, m, 0.5))


def correctness(proba, labels):
    """Per item, 1.0 where the argmax of ``proba`` is ``labels`` (ties to the
    first class, as the accuracy), else 0.0."""
    return (np.argmax(proba, axis=1) == labels).astype(float)


def majority_test(arm_probas, majority_proba, labels, *, alpha=0.05):
    """Is an arm above the majority baseline? The exact one-sided sign test.

    Parameters
    ----------
    arm_probas : list of ndarray of shape (n_test, K)
        The arm's test probabilities, one per seed.
    majority_proba : ndarray of shape (n_test, K)
        The majority baseline's test probabilities.
    labels : ndarray of shape (n_test,)
        The labels accuracy is measured against (gold; the human mode
        without gold).
    alpha : float, default=0.05
        Level of the test.

    Returns
    -------
    dict
        ``accuracy`` (the arm's, mean over seeds), ``majority_accuracy``,
        ``n_better`` / ``n_worse`` (items on which the arm's correctness,
        averaged over seeds, is above / below the majority's), ``n_items``,
        ``p_value`` (one-sided: the arm is more often right than the majority
        where they differ), ``above`` (``p_value <= alpha``).

    Notes
    -----
    Items are the sampling unit: each item's correctness is first averaged
    over the seeds (one value in ``[0, 1]`` per item, so the seeds, which
    share the items, are not counted as independent evidence), then the sign
    of its difference to the majority's correctness (0 or 1) is counted. With
    one seed this is McNemar's exact one-sided test on the discordant items.
    """
    labels = np.asarray(labels)
    c_arm = np.mean([correctness(p, labels) for p in arm_probas], axis=0)
    c_maj = correctness(majority_proba, labels)
    d = c_arm - c_maj
    n_better, n_worse = int(np.sum(d > 0)), int(np.sum(d < 0))
    p = sign_test_greater(n_better, n_worse)
    return {
        "accuracy": float(np.mean(c_arm)) if c_arm.size else math.nan,
        "majority_accuracy": float(np.mean(c_maj)) if c_maj.size else math.nan,
        "n_better": n_better,
        "n_worse": n_worse,
        "n_items": int(d.size),
        "p_value": p,
        "above": bool(p <= alpha),
    }
