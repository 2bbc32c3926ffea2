"""The paired bootstrap over items (private; numpy and scipy only).

One resampling of the items serves every model (or arm), seed and metric, so
differences are paired. A metric takes part when it is a weighted sum over items
(:class:`ItemTerms`); :func:`weighted_values` then gives its value under every
resample at once. Used by ``sksoft evaluate`` (:func:`sksoft.evaluate_predictions`)
and by the audit's effects (``sksoft.audit``).
"""

from typing import NamedTuple

import numpy as np
from scipy import sparse


class ItemTerms(NamedTuple):
    """A metric written as a sum over test items (for the bootstrap).

    With item weights ``w`` (one bootstrap resample's counts), the metric is
    ``sum_i w_i t_i / sum_i w_i`` when ``bins`` is None (a mean over items,
    e.g. accuracy or a mean divergence) and
    ``sum_b |sum_{i in b} w_i t_i| / sum_i w_i`` otherwise (a binned
    calibration error with ``t_i = confidence_i - accuracy_i``); both equal
    the metric at ``w = 1`` and the metric with ``sample_weight=w``.
    """

    terms: np.ndarray  # (n_items,)
    bins: np.ndarray | None  # (n_items,) bin index, or None
    n_bins: int = 1


def resample_weights(n_items, n_resamples, rng):
    """Bootstrap resamples as item counts: ``(n_resamples, n_items)`` integers."""
    return rng.multinomial(n_items, np.full(n_items, 1.0 / n_items), size=n_resamples)


def weighted_values(items, weights):
    """A metric under every resample, for several runs at once.

    Parameters
    ----------
    items : list of ItemTerms
        One per run, over the same items (same kind: all binned or all means).
    weights : ndarray of shape (n_resamples, n_items)
        Resample counts (:func:`resample_weights`); a row of ones gives the
        metric itself.

    Returns
    -------
    values : ndarray of shape (n_resamples, n_runs)
    """
    w = np.asarray(weights, dtype=float)
    total = w.sum(axis=1, keepdims=True)
    n = w.shape[1]
    if items[0].bins is None:
        terms = np.stack([it.terms for it in items], axis=1)  # (n, runs)
        finite = np.isfinite(terms)
        if finite.all():
            return (w @ terms) / total
        # an infinite term (a KL divergence where the model gives 0 to a class
        # humans chose) makes every resample that draws its item infinite;
        # 0 * inf would be nan for the resamples that do not draw it
        with np.errstate(invalid="ignore"):
            out = (w @ np.where(finite, terms, 0.0)) / total
        drawn = (w > 0).astype(float) @ (~finite).astype(float)
        return np.where(drawn > 0, np.inf, out)  # the terms are never -inf
    # one sparse column per (run, bin): the per-bin sums of every run in one
    # product, with one non-zero per item and run
    n_bins = max(it.n_bins for it in items)
    runs = len(items)
    cols = np.concatenate([r * n_bins + it.bins for r, it in enumerate(items)])
    mat = sparse.csc_matrix(
        (
            np.concatenate([it.terms for it in items]),
            (np.tile(np.arange(n), runs), cols),
        ),
        shape=(n, runs * n_bins),
    )
    out = np.empty((w.shape[0], runs))
    for start in range(0, w.shape[0], 256):  # bounded memory on large test sets
        block = slice(start, start + 256)
        sums = np.asarray((mat.T @ w[block].T).T).reshape(-1, runs, n_bins)
        out[block] = np.abs(sums).sum(axis=2)
    return out / total


def paired_bootstrap(arm_items, ref_items, weights, *, confidence=0.95):
    """Paired bootstrap interval of an arm - reference difference over seeds.

    Every resample draws test items once and uses the same items for the
    arm and the reference and for every seed; its statistic is the mean over
    seeds of ``metric(arm, seed) - metric(reference, seed)``. The percentile
    interval covers the sampling variation of the test items (for these
    trained models), not the seed-to-seed variation.

    Parameters
    ----------
    arm_items, ref_items : list of ItemTerms
        One per seed, in the same seed order.
    weights : ndarray of shape (n_resamples, n_items)
        The resamples (:func:`resample_weights`).
    confidence : float, default=0.95
        Coverage of the percentile interval.

    Returns
    -------
    dict
        ``diff`` (the observed mean difference), ``ci_low``, ``ci_high`` and
        ``n_resamples``.
    """
    ones = np.ones((1, weights.shape[1]))
    values = weighted_values([*arm_items, *ref_items], np.vstack([ones, weights]))
    s = len(arm_items)
    return bootstrap_interval(values[:, :s], values[:, s:], confidence=confidence)


def bootstrap_interval(arm_values, ref_values, *, confidence=0.95):
    """The interval of :func:`paired_bootstrap` from the metric's values.

    Parameters
    ----------
    arm_values, ref_values : ndarray of shape (1 + n_resamples, n_seeds)
        The metric of the arm and of the reference seed by seed: first row
        unweighted (the observed values), then one row per resample (the
        same resample for both, :func:`weighted_values`).
    confidence : float, default=0.95
        Coverage of the percentile interval.

    Returns
    -------
    dict
        ``diff``, ``ci_low``, ``ci_high``, ``n_resamples``.
    """
    d = (np.asarray(arm_values) - np.asarray(ref_values)).mean(axis=1)
    lo, hi = np.quantile(d[1:], [0.5 - confidence / 2.0, 0.5 + confidence / 2.0])
    return {
        "diff": float(d[0]),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "n_resamples": int(d.size - 1),
    }
