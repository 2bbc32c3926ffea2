r"""The raw rating scale behind collapsed classes (private; numpy only).

Some data sets give the audit classes collapsed from an ordinal rating scale
(VADER: ratings -4..+4 collapsed to negative / neutral / positive). The model
is trained and scored on the classes; the ``stage="raw"`` metrics of the
registry (``wasserstein_{all,hard,easy}_vs_human_raw``) score it on the raw
scale as well. The model gives no distribution over the scale points, so one
is defined from its class probabilities and the training rows:

.. math::

    \hat p_{\mathrm{raw}}(r) = \sum_c p(c)\, q_c(r), \qquad
    q_c(r) = \frac{\sum_{i \in \mathrm{train}} n_{ir}\,[c(r) = c]}
    {\sum_{i \in \mathrm{train}} \sum_{r': c(r') = c} n_{ir'}},

where :math:`n_{ir}` is the number of ratings ``r`` of row ``i`` and
:math:`c(r)` the class of scale point ``r``: each class's probability is
spread over its scale points in the proportions the ratings of that class
take on the training rows of the fold (no test row is used). The metric then
measures how well the class probabilities, spread by the training data's
within-class rating shape, match the humans' raw rating distribution of each
test item. A class with no rating on the training rows is spread uniformly
over its points.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["RawScale", "check_rating_scale", "raw_test_scale", "spread_to_raw"]


class RawScale(NamedTuple):
    """The raw scale of the test rows of one split."""

    human: np.ndarray  # (n_test, n_points) human raw rating distributions
    shape: np.ndarray  # (n_folds, n_classes, n_points) q_c of each fold
    fold: np.ndarray  # (n_test,) the fold whose q scores each test row


def check_rating_scale(rating_counts, rating_classes, human_p, classes):
    """Validated raw counts ``(n, R)`` and each scale point's class position.

    Parameters
    ----------
    rating_counts : array-like of shape (n_samples, n_points)
        Ratings counted per scale point, columns in scale order.
    rating_classes : array-like of shape (n_points,)
        The class (an element of ``classes``) each scale point collapses to.
    human_p : ndarray of shape (n_samples, n_classes)
        The human soft labels the audit is given; the raw ratings collapsed by
        ``rating_classes`` must give them.
    classes : ndarray of shape (n_classes,)
        The class labels in column order.

    Returns
    -------
    counts : ndarray of shape (n_samples, n_points)
    point_class : ndarray of shape (n_points,), dtype int64
    """
    if rating_classes is None:
        raise ValueError("rating_counts needs rating_classes (the class of each point)")
    counts = np.asarray(rating_counts, dtype=np.float64)
    n, k = human_p.shape
    if counts.ndim != 2 or counts.shape[0] != n or counts.shape[1] < 2:
        raise ValueError(
            f"rating_counts must have shape (n_samples={n}, n_points >= 2); got "
            f"{counts.shape}"
        )
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError("rating_counts must be finite and non-negative")
    if (counts.sum(axis=1) <= 0).any():
        raise ValueError("rating_counts needs at least one rating per row")
    labels = np.asarray(rating_classes)
    if labels.shape != (counts.shape[1],):
        raise ValueError(
            f"rating_classes must name a class for each of the {counts.shape[1]} "
            f"scale points; got shape {labels.shape}"
        )
    point_class = np.full(labels.shape, -1, dtype=np.int64)
    for pos, c in enumerate(np.asarray(classes).tolist()):
        point_class[labels == c] = pos
    if (point_class < 0).any() or np.unique(point_class).size != k:
        raise ValueError(
            "rating_classes must be elements of classes, each class with at least "
            "one scale point"
        )
    collapsed = collapse(counts, point_class, k)
    collapsed /= collapsed.sum(axis=1, keepdims=True)
    if not np.allclose(collapsed, human_p, atol=1e-6):
        raise ValueError(
            "rating_counts collapsed by rating_classes do not give the human labels"
        )
    return counts, point_class


def collapse(counts, point_class, k):
    """The ``(n, k)`` class counts of raw counts (points summed per class)."""
    return counts @ np.eye(k)[point_class]


def within_class_shape(counts, point_class, k):
    """``q`` of shape ``(k, R)``: the raw distribution within each class.

    ``counts`` are the training rows' raw counts; a class without any rating
    there is spread uniformly over its points.

    Examples
    --------
    >>> import numpy as np
    >>> counts = np.array([[2, 1, 0, 1], [0, 1, 3, 0]])
    >>> within_class_shape(counts, np.array([0, 0, 1, 1]), 2)
    array([[0.5 , 0.5 , 0.  , 0.  ],
           [0.  , 0.  , 0.75, 0.25]])
    """
    member = np.eye(k)[point_class].T  # (k, R): 1 where point r is in class c
    pooled = member * np.asarray(counts, dtype=np.float64).sum(axis=0)
    total = pooled.sum(axis=1, keepdims=True)
    uniform = member / member.sum(axis=1, keepdims=True)
    return np.where(total > 0, pooled / np.where(total > 0, total, 1.0), uniform)


def raw_test_scale(counts, point_class, k, folds, test_index):
    """The :class:`RawScale` of one split: ``q`` from each fold's training rows."""
    pos = np.empty(int(test_index.max()) + 1, dtype=np.int64)
    pos[test_index] = np.arange(test_index.size)
    fold = np.empty(test_index.size, dtype=np.int64)
    shape = []
    for f, (train, test) in enumerate(folds):
        shape.append(within_class_shape(counts[train], point_class, k))
        fold[pos[test]] = f
    human = counts[test_index]
    return RawScale(human / human.sum(axis=1, keepdims=True), np.stack(shape), fold)


def spread_to_raw(y_prob, raw):
    """``p_raw = sum_c p(c) q_c`` of every test row, shape ``(n_test, R)``."""
    return np.einsum("nk,nkr->nr", np.asarray(y_prob, float), raw.shape[raw.fold])


def check_raw_scale(rating_counts, rating_classes, human_p, classes):
    """``(counts, point_class)`` of :func:`check_rating_scale`, or None without
    raw ratings."""
    if rating_counts is None:
        if rating_classes is not None:
            raise ValueError("rating_classes needs rating_counts")
        return None
    return check_rating_scale(rating_counts, rating_classes, human_p, classes)


def with_raw_scale(splits, raw_scale, k):
    """Each seed's split with its :class:`RawScale` (``raw``); as they are
    without raw ratings (``raw_scale`` None)."""
    if raw_scale is None:
        return splits
    counts, point_class = raw_scale
    return {
        seed: sp._replace(
            raw=raw_test_scale(counts, point_class, k, sp.folds, sp.test_index)
        )
        for seed, sp in splits.items()
    }
