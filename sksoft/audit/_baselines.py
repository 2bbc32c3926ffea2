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

When the seeds draw their own data (``seed_design="split"``, or
``"resample"``: :meth:`~sksoft.audit.AuditResult.test_set`), each split has
its own baselines, estimated on its own training rows and scored on its own
test rows (:func:`compute_baselines`); their values are then summarised over
the seeds as the arms' are (the mean over seeds, the std, and the
``baseline - reference`` difference paired by seed). With one split for
every seed (``"init"``) every seed has the same baselines and the summary is
that split's value.

The gate of the report: is the reference arm above the majority baseline?
:func:`majority_test` compares, item by item, the reference arm's correctness
with the majority prediction's and applies an exact one-sided sign test
(:func:`sign_test_greater`); when it does not reject, the report opens with a
warning and withholds its directional reading. The items are the union of
the seeds' test sets; on each item both correctnesses are averaged over the
seeds that test it, each seed's model against that seed's own majority
prediction (with one test set: every seed, the same majority).
"""

import math

import numpy as np
from scipy import stats

from ..targets import hard_labels
from ._score import score_predictions
from ._stats import paired_difference, seed_mean_std

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


def majority_test(arm_probas, majority_proba, labels, *, alpha=0.05, test_indices=None):
    """Is an arm above the majority baseline? The exact one-sided sign test.

    Parameters
    ----------
    arm_probas : list of ndarray of shape (n_test_s, K)
        The arm's test probabilities, one per seed.
    majority_proba : ndarray of shape (n_test, K) or list of ndarray
        The majority baseline's test probabilities; with ``test_indices``,
        one per seed (that seed's own majority prediction).
    labels : ndarray of shape (n_test,) or list of ndarray
        The labels accuracy is measured against (gold; the human mode
        without gold); with ``test_indices``, one per seed.
    alpha : float, default=0.05
        Level of the test.
    test_indices : list of ndarray of shape (n_test_s,), default=None
        The rows each seed's probabilities are of, when the seeds have their
        own test sets; None: every seed has the same test rows.

    Returns
    -------
    dict
        ``accuracy`` (the arm's: mean over the items of its per-item
        correctness, see Notes), ``majority_accuracy`` (the same for the
        majority prediction), ``n_better`` / ``n_worse`` (items on which the
        arm's averaged correctness is above / below the majority's),
        ``n_items``, ``p_value`` (one-sided: the arm is more often right than
        the majority where they differ), ``above`` (``p_value <= alpha``).

    Notes
    -----
    Items are the sampling unit: each item's correctness is first averaged
    over the seeds that test it (one value in ``[0, 1]`` per item, so the
    seeds, which share the items, are not counted as independent evidence),
    and so is the majority prediction's (each seed's own, estimated on that
    seed's training rows); then the sign of the difference of the two is
    counted. The items are the union of the seeds' test sets. With one test
    set for every seed, each item is averaged over all seeds against the one
    majority prediction; with one seed this is McNemar's exact one-sided test
    on the discordant items.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit._baselines import majority_test
    >>> arm = [np.eye(2)[[0, 1, 1]], np.eye(2)[[1, 1]]]
    >>> majority = [np.eye(2)[[0, 0, 0]], np.eye(2)[[1, 1]]]
    >>> labels = [np.array([0, 1, 1]), np.array([1, 0])]
    >>> t = majority_test(arm, majority, labels,
    ...                   test_indices=[np.array([0, 1, 2]), np.array([2, 3])])
    >>> # row 1: right vs wrong; row 2: right twice vs once (1 vs 0.5); rows 0, 3 tie
    >>> t["n_better"], t["n_worse"], t["n_items"]
    (2, 0, 4)
    """
    if test_indices is None:
        n = len(labels)
        test_indices = [np.arange(n)] * len(arm_probas)
        majority_proba = [majority_proba] * len(arm_probas)
        labels = [labels] * len(arm_probas)
    union = np.unique(np.concatenate([np.asarray(i) for i in test_indices]))
    c_arm, c_maj, count = np.zeros((3, union.size))
    for proba, maj, y, rows in zip(arm_probas, majority_proba, labels, test_indices):
        pos = np.searchsorted(union, rows)
        y = np.asarray(y)
        c_arm[pos] += correctness(proba, y)
        c_maj[pos] += correctness(maj, y)
        count[pos] += 1
    c_arm /= count
    c_maj /= count
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


def _split_of(result, seed):
    """The split index of ``seed`` (0 when every seed shares one)."""
    return result.seed_splits[seed]["split"] if result.seed_splits else 0


def _split_baselines(result):
    """Per distinct split: its test set, baseline predictions and scores."""
    out = {}
    for seed in result.seeds:
        key = _split_of(result, seed)
        if key in out:
            continue
        ts = result.test_set(seed)
        preds = baseline_predictions(
            ts["folds"], result.gold, result.human, ts["test_index"]
        )
        scores = score_baselines(
            preds,
            ts["gold_test"],
            ts["human_test"],
            ts["hard_mask"],
            n_bins=result.params["n_bins"],
        )
        out[key] = {"test_set": ts, "proba": preds, "metrics": scores}
    return out


def _summarise(result, name, splits, keys, confidence):
    """One baseline over the seeds: its summary, per-seed values and effects."""
    ref = result.arms.index(result.reference)
    first = splits[keys[0]]
    metrics, std, per_seed, effects = {}, {}, {}, {}
    for metric, value in first["metrics"][name].items():
        values = np.array([splits[k]["metrics"][name][metric] for k in keys])
        per_seed[metric] = values
        if len(splits) == 1:  # one split: its value (no mean of equal numbers)
            metrics[metric], std[metric] = value, math.nan
        else:
            metrics[metric], std[metric] = seed_mean_std(values)
        if metric in result.scores:
            effects[metric] = paired_difference(
                values, result.scores[metric][ref], confidence=confidence
            )
    return {
        "proba": first["proba"][name],
        "probas": [splits[k]["proba"][name] for k in keys],
        "metrics": metrics,
        "std": std,
        "seed_metrics": per_seed,
        "n_splits": len(splits),
        "effects": effects,
    }


def _labels(ts):
    """The labels a test set's accuracy is read against: gold, else the human mode."""
    if ts["gold_test"] is not None:
        return ts["gold_test"]
    return np.argmax(ts["human_test"], axis=1)


def compute_baselines(result, confidence):
    """The baselines and the majority gate of an audit, over every seed's split.

    Parameters
    ----------
    result : AuditResult
    confidence : float
        Interval coverage; the gate's level is ``1 - confidence``.

    Returns
    -------
    dict
        ``baselines``: per name in :data:`BASELINES`, ``proba`` (the first
        seed's test rows), ``probas`` (per seed), ``metrics`` (the mean over
        seeds of each metric; with one split its value), ``std`` (over seeds,
        ddof=1; nan with one split), ``seed_metrics`` (metric -> per-seed
        values), ``n_splits`` and ``effects`` (metric ->
        :func:`~sksoft.audit._stats.paired_difference` of ``baseline -
        reference`` paired by seed); ``tests``: arm -> :func:`majority_test`
        of its seeds against their own splits' majority predictions, on the
        union of the seeds' test items.
    """
    splits = _split_baselines(result)
    keys = [_split_of(result, s) for s in result.seeds]
    out = {
        name: _summarise(result, name, splits, keys, confidence) for name in BASELINES
    }
    tests = {}
    for arm in result.arms:
        runs = [r for r in result.runs if r["arm"] == arm]
        sets = [splits[_split_of(result, r["seed"])] for r in runs]
        tests[arm] = majority_test(
            [r["proba"] for r in runs],
            [s["proba"]["majority"] for s in sets],
            [_labels(s["test_set"]) for s in sets],
            alpha=1.0 - confidence,
            test_indices=[s["test_set"]["test_index"] for s in sets],
        )
    return {"baselines": out, "tests": tests}
