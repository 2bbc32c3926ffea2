"""Annotation budgets: :func:`subsample_annotations`, :func:`annotation_budget_curve`.

How many labels per item does a soft label need? :func:`subsample_annotations`
keeps ``n`` of each item's votes, drawn without replacement (a multivariate
hypergeometric draw per item), and :func:`annotation_budget_curve` measures a
metric against soft labels built from ``n`` annotators, over repeated draws.
"""

import numbers

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..targets import counts_to_proba
from ..utils._sklearn_compat import Interval, validate_params

__all__ = ["annotation_budget_curve", "subsample_annotations"]


def _check_counts(counts):
    arr = np.asarray(counts)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"counts must be numeric; got dtype {arr.dtype}.")
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"counts must be a non-empty (n_items, n_classes) matrix; got shape "
            f"{arr.shape}."
        )
    if not np.isfinite(arr).all():
        raise ValueError("counts contain NaN or infinity.")
    if (arr < 0).any():
        raise ValueError("counts must be non-negative vote counts.")
    if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
        raise ValueError(
            "counts must be whole numbers of votes; got fractional values (pass "
            "vote counts, not probabilities)."
        )
    return arr.astype(np.int64)


def _generator(random_state):
    """A numpy Generator seeded from any sklearn ``random_state``."""
    rs = check_random_state(random_state)
    return np.random.default_rng(rs.randint(np.iinfo(np.int32).max))


def _draw(counts, n, rng):
    """Multivariate hypergeometric draw of ``min(n, total)`` votes per row."""
    remaining_total = counts.sum(axis=1)
    remaining_n = np.minimum(n, remaining_total)
    out = np.zeros_like(counts)
    k = counts.shape[1]
    for j in range(k - 1):
        good = counts[:, j]
        bad = remaining_total - good
        drawn = rng.hypergeometric(good, bad, remaining_n)
        out[:, j] = drawn
        remaining_n = remaining_n - drawn
        remaining_total = bad
    out[:, k - 1] = remaining_n
    return out


@validate_params(
    {
        "counts": ["array-like"],
        "n": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def subsample_annotations(counts, n, *, random_state=None):
    """Keep ``n`` votes per item, drawn without replacement from its votes.

    Simulates asking fewer annotators: each item's ``n`` votes are a uniform
    random subset of its recorded votes (a multivariate hypergeometric draw);
    an item with ``n`` or fewer votes keeps all of them.

    Parameters
    ----------
    counts : array-like of shape (n_items, n_classes)
        Vote counts (non-negative whole numbers), e.g. from
        :func:`annotations_to_counts`.
    n : int >= 1
        Votes to keep per item.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws; an int makes them reproducible.

    Returns
    -------
    subsample : ndarray of shape (n_items, n_classes), dtype int64
        The kept votes; ``subsample <= counts`` entrywise and each row sums to
        ``min(n, counts.sum(axis=1))``.

    Raises
    ------
    ValueError
        For counts that are not a non-empty 2-D matrix of finite, non-negative
        whole numbers.

    See Also
    --------
    annotation_budget_curve : A metric as a function of ``n``.
    simulate_multinomial_panel : Votes drawn *with* replacement from
        probabilities.

    Notes
    -----
    The kept votes of class ``k`` have mean ``n * c_k / C`` (``C`` the item's
    total), the hypergeometric mean; drawing class by class from the
    conditional hypergeometric laws gives the joint law exactly.

    Examples
    --------
    >>> from sksoft.sources import subsample_annotations
    >>> counts = [[6, 3, 1], [0, 2, 0]]
    >>> sub = subsample_annotations(counts, 5, random_state=0)
    >>> sub.sum(axis=1).tolist()
    [5, 2]
    >>> bool((sub <= counts).all())
    True
    """
    arr = _check_counts(counts)
    return _draw(arr, int(n), _generator(random_state))


@validate_params(
    {
        "metric_fn": [callable],
        "y_prob": ["array-like"],
        "counts": ["array-like"],
        "n_values": ["array-like"],
        "n_draws": [Interval(numbers.Integral, 1, None, closed="left")],
        "confidence": [Interval(numbers.Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def annotation_budget_curve(
    metric_fn,
    y_prob,
    counts,
    n_values,
    *,
    n_draws=20,
    confidence=0.95,
    random_state=None,
):
    """A metric against soft labels built from ``n`` annotators, for several ``n``.

    For each ``n`` in ``n_values`` and each of ``n_draws`` repetitions, every
    item's votes are subsampled to ``n`` (:func:`subsample_annotations`), turned
    into probability rows, and scored by ``metric_fn(soft_n, y_prob)``. The
    curve shows where a metric saturates: once its value at ``n`` is within
    its draw-to-draw spread of the value on all votes, more annotators do not
    change the conclusion.

    Parameters
    ----------
    metric_fn : callable
        ``metric_fn(y_true, y_prob) -> float`` with ``y_true`` the
        ``(n_items, n_classes)`` soft labels of ``n`` annotators, e.g.
        :func:`sksoft.metrics.kl_divergence`. To study the labels alone, pass
        the all-vote soft labels as ``y_prob``.
    y_prob : array-like of shape (n_items, n_classes)
        Predictions (or any second argument of ``metric_fn``), passed as is.
    counts : array-like of shape (n_items, n_classes)
        Vote counts; every item needs at least one vote.
    n_values : array-like of int
        Numbers of annotators per item, each >= 1.
    n_draws : int, default=20
        Repetitions of the subsampling per ``n``.
    confidence : float in (0, 1), default=0.95
        Coverage of the percentile interval across draws.
    random_state : int, RandomState instance or None, default=None
        Seed of the draws; an int makes the curve reproducible.

    Returns
    -------
    curve : :class:`~sklearn.utils.Bunch`
        With keys ``n_values`` (ndarray of int), ``scores`` (ndarray of shape
        ``(len(n_values), n_draws)``, the metric of each draw; not ``values``,
        which is the dict method of a Bunch), ``mean``, ``std``, ``lower`` and
        ``upper`` (per ``n``; the interval holds the central ``confidence``
        share of the draws), ``full`` (the metric on all votes) and
        ``mean_annotations`` (mean votes kept per item, per ``n``).

    Raises
    ------
    ValueError
        For bad counts, an item without votes, ``n_values`` that are not
        integers >= 1, or a metric that does not return a finite number.

    See Also
    --------
    subsample_annotations : One draw.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.metrics import kl_divergence
    >>> from sksoft.sources import annotation_budget_curve
    >>> counts = np.array([[8, 2], [5, 5], [1, 9], [10, 0]])
    >>> y_prob = np.array([[0.7, 0.3], [0.5, 0.5], [0.2, 0.8], [0.9, 0.1]])
    >>> curve = annotation_budget_curve(
    ...     kl_divergence, y_prob, counts, [1, 5, 10], n_draws=5, random_state=0
    ... )
    >>> curve.scores.shape
    (3, 5)
    >>> bool(np.allclose(curve.scores[-1], curve.full))  # 10 votes: all of them
    True
    """
    arr = _check_counts(counts)
    totals = arr.sum(axis=1)
    if (totals == 0).any():
        row = int(np.flatnonzero(totals == 0)[0])
        raise ValueError(f"item {row} of counts has no vote; drop it first.")
    ns = np.asarray(n_values)
    if (
        ns.ndim != 1
        or ns.size == 0
        or ns.dtype.kind not in "iuf"
        or np.any(ns != np.round(ns))
        or np.any(ns < 1)
    ):
        raise ValueError(
            f"n_values must be a non-empty 1-D list of integers >= 1; got {ns!r}."
        )
    ns = ns.astype(np.int64)

    def score(votes):
        value = metric_fn(counts_to_proba(votes), y_prob)
        value = np.asarray(value, dtype=np.float64)
        if value.ndim != 0 or not np.isfinite(value):
            raise ValueError(f"metric_fn must return a finite number; got {value!r}.")
        return float(value)

    rng = check_random_state(random_state)
    scores = np.array(
        [
            [
                score(subsample_annotations(arr, int(n), random_state=rng))
                for _ in range(n_draws)
            ]
            for n in ns
        ]
    )
    alpha = (1.0 - confidence) / 2.0
    return Bunch(
        n_values=ns,
        scores=scores,
        mean=scores.mean(axis=1),
        std=scores.std(axis=1),
        lower=np.quantile(scores, alpha, axis=1),
        upper=np.quantile(scores, 1.0 - alpha, axis=1),
        full=score(arr),
        mean_annotations=np.array([np.minimum(n, totals).mean() for n in ns]),
    )
