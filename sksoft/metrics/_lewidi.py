"""The Le-Wi-Di 2025 shared task's metrics (Learning With Disagreements).

Soft predictions are scored by the average Manhattan distance to the human
distribution (per label for the multi-label VariErrNLI set) and, on ordinal
scales, by the 1-D Wasserstein distance; per-annotator ("perspectivist")
predictions by the error rate and the normalised absolute distance. Every
function equals the task's scoring code (``Evaluation_LeWiDi_2025_Metrics.ipynb``
in the task repository ``Le-Wi-Di/le-wi-di.github.io``); ``task_rounding=True``
also reproduces its rounding to 5 decimals.
"""

import numbers

import numpy as np

from ..targets import check_probabilities, check_soft_targets
from ..utils._sklearn_compat import Interval, validate_params
from ._validation import _as_array, _check_sample_weight, _weighted_mean, check_pair

__all__ = [
    "annotator_error_rate",
    "average_manhattan_distance",
    "multilabel_manhattan_distance",
    "normalized_absolute_distance",
    "ordinal_wasserstein_distance",
]

_TASK_DECIMALS = 5


def _task_round(values):
    """Python's ``round(v, 5)`` on every value, as the task's code rounds.

    Python rounds the exact binary value to the nearest 5-decimal number,
    which ``np.round`` (scale, round, unscale) does not always reproduce.
    """
    return np.array([round(v, _TASK_DECIMALS) for v in np.ravel(values).tolist()])


def _sequential_sum(values):
    """Sums over the last axis, adding the entries left to right.

    That is the order of Python's ``sum`` in the task's code; numpy's pairwise
    summation can differ in the last bit, which matters next to a rounding
    boundary.
    """
    out = values[..., 0].copy()
    for k in range(1, values.shape[-1]):
        out += values[..., k]
    return out


def _mean(values, weight, task_rounding):
    """Mean over items; with ``task_rounding`` as the task: ``round(sum / n, 5)``."""
    if task_rounding and weight is None:
        return round(sum(np.ravel(values).tolist()) / np.size(values), _TASK_DECIMALS)
    out = _weighted_mean(values, weight)
    return float(round(out, _TASK_DECIMALS) if task_rounding else out)


_SOFT = {
    "y_true": ["array-like"],
    "y_prob": ["array-like"],
    "labels": ["array-like", None],
    "sample_weight": ["array-like", None],
    "task_rounding": ["boolean"],
}


@validate_params(_SOFT, prefer_skip_nested_validation=True)
def average_manhattan_distance(
    y_true, y_prob, *, labels=None, sample_weight=None, task_rounding=False
):
    r"""Mean Manhattan (L1) distance between predicted and human distributions.

    The soft metric of the Le-Wi-Di 2025 task for single-label sets
    (MultiPico and the other binary or multiclass sets).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Human soft labels (probability rows), or class labels (one-hot rows).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column of a binary
        problem (the row ``[1 - p, p]``).
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob``, for hard ``y_true``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the mean (the task weighs every item equally).
    task_rounding : bool, default=False
        Round as the task's code does: every item's distance to 5 decimals,
        then the mean to 5 decimals (sums added in the task's order, so the
        result is the task's to the last digit).

    Returns
    -------
    distance : float
        In [0, 2]; 0 when every prediction equals its human distribution.

    See Also
    --------
    multilabel_manhattan_distance : The per-label form (VariErrNLI).
    ordinal_wasserstein_distance : The metric for ordinal scales.

    Notes
    -----
    .. math::

        \mathrm{MD} = \frac{1}{N}\sum_{i=1}^{N}\sum_{k=1}^{K} |p_{ik} - t_{ik}|,

    the task's ``average_MD`` (Le-Wi-Di 2025). The distance is twice the total
    variation distance.

    Examples
    --------
    >>> from sksoft.metrics import average_manhattan_distance
    >>> average_manhattan_distance([[0.6, 0.4], [1.0, 0.0]],
    ...                            [[0.5, 0.5], [0.8, 0.2]])
    0.3
    """
    pair = check_pair(
        y_true, y_prob, labels=labels, sample_weight=sample_weight, soft_only=True
    )
    dist = _sequential_sum(np.abs(pair.proba - pair.y_soft))
    if task_rounding:
        dist = _task_round(dist)
    return _mean(dist, pair.weight, task_rounding)


def _as_label_distributions(y, input_name, *, predicted):
    """``(n, L, V)`` distributions from ``(n, L)`` shares, ``(n, L, V)`` or a list.

    A list of ``L`` arrays of shape ``(n, V)`` is what ``predict_proba`` of a
    multi-output classifier (e.g. :class:`~sklearn.multioutput.MultiOutputClassifier`)
    returns.
    """
    if isinstance(y, list | tuple) and len(y) and np.ndim(_as_array(y[0])) == 2:
        y = np.stack([_as_array(part) for part in y], axis=1)
    arr = _as_array(y)
    if arr.ndim == 2:
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{input_name} must be numeric; got dtype {arr.dtype}.")
        arr = arr.astype(np.float64, copy=False)
        if not np.isfinite(arr).all():
            raise ValueError(f"{input_name} contains NaN or infinity.")
        if arr.size == 0:
            raise ValueError(f"{input_name} is empty (shape {arr.shape}).")
        if arr.min() < 0 or arr.max() > 1:
            raise ValueError(
                f"{input_name} of shape (n_samples, n_labels) holds each label's "
                "share (probability of the label being chosen) and must lie in "
                f"[0, 1]; got values in [{arr.min():g}, {arr.max():g}]."
            )
        arr = np.stack([1.0 - arr, arr], axis=2)
    if arr.ndim != 3 or 0 in arr.shape:
        raise ValueError(
            f"{input_name} must be (n_samples, n_labels) label shares, "
            "(n_samples, n_labels, n_values) distributions or a list of n_labels "
            f"(n_samples, n_values) arrays; got shape {arr.shape}."
        )
    n, n_labels, n_values = arr.shape
    flat = arr.reshape(n * n_labels, n_values)
    if predicted:
        flat = check_probabilities(flat, input_name=input_name)
    else:
        flat = check_soft_targets(flat, input_name=input_name)
    return flat.reshape(n, n_labels, n_values)


@validate_params(
    {k: v for k, v in _SOFT.items() if k != "labels"},
    prefer_skip_nested_validation=True,
)
def multilabel_manhattan_distance(
    y_true, y_prob, *, sample_weight=None, task_rounding=False
):
    r"""Manhattan distance per label, averaged over labels and items.

    The soft metric of the Le-Wi-Di 2025 task for the multi-label VariErrNLI
    set, where each annotator may choose several labels, so every label has
    its own (binary) human distribution.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_labels) or 3-D
        Human distributions: each label's share of annotators who chose it, or
        (3-D, ``(n_samples, n_labels, n_values)``) one distribution over
        ``n_values`` per label.
    y_prob : array-like of the same shape, or list of n_labels arrays
        Predicted distributions in the same form (a list holds n_labels arrays
        of shape ``(n_samples, n_values)``) (a list is what
        ``predict_proba`` of a multi-output classifier returns).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the mean over items.
    task_rounding : bool, default=False
        Round as the task's code does: every label's distance, every item's
        mean over labels and the final mean, each to 5 decimals.

    Returns
    -------
    distance : float
        In [0, 2].

    See Also
    --------
    average_manhattan_distance : The single-label form.

    Notes
    -----
    .. math::

        \mathrm{MAMD} = \frac{1}{N}\sum_{i=1}^{N}\frac{1}{L}\sum_{j=1}^{L}
        \sum_{k} |p_{ijk} - t_{ijk}|,

    the task's ``multilabel_average_MD``. With label shares :math:`s_{ij}` the
    distributions are :math:`(1 - s_{ij}, s_{ij})`, and a label's distance is
    :math:`2 |\hat s_{ij} - s_{ij}|`.

    Examples
    --------
    >>> from sksoft.metrics import multilabel_manhattan_distance
    >>> multilabel_manhattan_distance([[0.5, 0.0, 1.0]], [[0.5, 0.25, 0.75]])
    0.3333333333333333
    """
    t = _as_label_distributions(y_true, "y_true", predicted=False)
    p = _as_label_distributions(y_prob, "y_prob", predicted=True)
    if t.shape != p.shape:
        raise ValueError(
            f"y_true has shape {t.shape[:2]} (n_samples, n_labels) with "
            f"{t.shape[2]} values per label but y_prob has {p.shape[:2]} with "
            f"{p.shape[2]}; they must match."
        )
    weight = _check_sample_weight(sample_weight, t.shape[0])
    per_label = _sequential_sum(np.abs(p - t))
    if task_rounding:
        per_label = _task_round(per_label).reshape(t.shape[:2])
        per_item = _task_round(_sequential_sum(per_label) / t.shape[1])
    else:
        per_item = per_label.mean(axis=1)
    return _mean(per_item, weight, task_rounding)


@validate_params(_SOFT, prefer_skip_nested_validation=True)
def ordinal_wasserstein_distance(
    y_true, y_prob, *, labels=None, sample_weight=None, task_rounding=False
):
    r"""Mean 1-D Wasserstein distance between distributions on an ordinal scale.

    The soft metric of the Le-Wi-Di 2025 task for ordinal scales (the
    11-point Paraphrase scale, the 6-point sarcasm scale). The columns are the
    scale points in order, one unit apart: moving mass from point ``h`` to
    point ``k`` costs ``|h - k|``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_points)
        Human distributions over the scale points (columns in scale order), or
        ratings (one-hot rows over ``labels``).
    y_prob : array-like of shape (n_samples, n_points) or (n_samples,)
        Predicted distributions, columns in scale order (for a classifier
        trained on numeric ratings, ``classes_`` is sorted, so its
        ``predict_proba`` columns are in scale order).
    labels : array-like of shape (n_points,), default=None
        The scale points in column order, for ratings in ``y_true`` (needed
        when some points are never used). Only their order matters: the cost
        between neighbouring columns is 1 whatever the values.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the mean (the task weighs every item equally).
    task_rounding : bool, default=False
        Round the mean to 5 decimals, as the task's ``average_WS`` does (it
        does not round the items' distances).

    Returns
    -------
    distance : float
        In [0, n_points - 1]; 0 when every prediction equals its human
        distribution.

    See Also
    --------
    average_manhattan_distance : The metric for nominal classes.
    scipy.stats.wasserstein_distance : The same distance between weighted
        samples.

    Notes
    -----
    The task defines the distance as an optimal transport cost (it calls
    ``ot.emd2`` with the cost matrix :math:`|h - k|`). On a line with unit
    spacing that cost has the closed form

    .. math::

        W_1(p, t) = \sum_{k=1}^{K-1} \left| P_k - T_k \right|, \qquad
        P_k = \sum_{h \le k} p_h, \; T_k = \sum_{h \le k} t_h,

    the L1 distance between the cumulative distributions, computed here
    with cumulative sums in :math:`O(nK)` (no optimal-transport dependency).

    Examples
    --------
    >>> from sksoft.metrics import ordinal_wasserstein_distance
    >>> ordinal_wasserstein_distance([[1.0, 0.0, 0.0]], [[0.0, 0.0, 1.0]])
    2.0
    >>> ordinal_wasserstein_distance([[0.5, 0.5, 0.0]], [[0.0, 0.5, 0.5]])
    1.0
    """
    pair = check_pair(
        y_true, y_prob, labels=labels, sample_weight=sample_weight, soft_only=True
    )
    cdf_gap = np.cumsum(pair.proba - pair.y_soft, axis=1)[:, :-1]
    dist = np.abs(cdf_gap).sum(axis=1)
    return _mean(dist, pair.weight, task_rounding)


def _annotator_matrix(y, input_name):
    """Per-annotator labels as a float array, NaN for a missing annotation.

    Ragged input (a list of per-item lists of different lengths, the task's
    format: each item lists the labels of its own annotators) is padded with
    NaN.
    """
    if isinstance(y, list | tuple) and len(y) and not hasattr(y, "shape"):
        lengths = {np.shape(row) for row in y}
        if len(lengths) > 1:
            rows = [np.asarray(row, dtype=np.float64) for row in y]
            if any(r.ndim != 1 for r in rows):
                raise ValueError(
                    f"{input_name}: ragged per-annotator input must be a list of "
                    "1-D lists (one label per annotator of each item)."
                )
            width = max(r.shape[0] for r in rows)
            out = np.full((len(rows), width), np.nan)
            for i, r in enumerate(rows):
                out[i, : r.shape[0]] = r
            return out
    arr = _as_array(y)
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{input_name} must hold numeric per-annotator labels; got dtype "
            f"{arr.dtype}."
        )
    if arr.ndim not in (2, 3) or 0 in arr.shape:
        raise ValueError(
            f"{input_name} must be (n_samples, n_annotators) per-annotator labels "
            "(or (n_samples, n_labels, n_annotators) for multi-label sets); got "
            f"shape {arr.shape}."
        )
    return arr.astype(np.float64, copy=False)


def _annotator_pair(y_true, y_pred):
    t = _annotator_matrix(y_true, "y_true")
    p = _annotator_matrix(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(
            f"y_true has shape {t.shape} but y_pred has {p.shape}; every item "
            "needs a prediction for each of its annotators."
        )
    if np.isinf(t).any():
        raise ValueError("y_true contains infinity.")
    present = ~np.isnan(t)
    if not present.any(axis=-1).all():
        idx = np.argwhere(~present.any(axis=-1))[0]
        raise ValueError(
            f"y_true has no annotation at all for item {tuple(idx.tolist())}; "
            "NaN marks a missing annotation, and every item needs one."
        )
    if not np.isfinite(p[present]).all():
        raise ValueError(
            "y_pred contains NaN or infinity where y_true has an annotation."
        )
    return t, p, present


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "task_rounding": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def annotator_error_rate(y_true, y_pred, *, task_rounding=False):
    r"""Share of wrong per-annotator predictions, averaged over items.

    The perspectivist metric of the Le-Wi-Di 2025 task for categorical labels:
    a model predicts the label each annotator of an item gave.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_annotators) or 3-D
        Each annotator's label (3-D: ``(n_samples, n_labels, n_annotators)``);
        NaN where an annotator did not label the item (or a list of per-item
        lists of different lengths, the task's format).
        The 3-D form is the multi-label VariErrNLI set: a 0/1 entry per label
        and annotator.
    y_pred : array-like of the same shape
        Predicted labels (entries where ``y_true`` is NaN are ignored).
    task_rounding : bool, default=False
        Round every item's (every item's and label's) error rate to 5
        decimals, as the task's ``error_rate`` does; the mean is not rounded.

    Returns
    -------
    error : float
        In [0, 1].

    See Also
    --------
    normalized_absolute_distance : The perspectivist metric for ordinal scales.

    Notes
    -----
    .. math::

        \mathrm{ER} = \frac{1}{N}\sum_{i=1}^{N}\left(1 - \frac{a_i -
        \sum_{k=1}^{a_i} |t_{ik} - p_{ik}|}{a_i}\right)
        = \frac{1}{N}\sum_{i=1}^{N}\frac{1}{a_i}\sum_{k=1}^{a_i}
        \mathbb{1}[t_{ik} \ne p_{ik}],

    with :math:`a_i` the annotators of item :math:`i`: the task's
    ``error_rate``, whose :math:`|t - p|` is the mismatch indicator for its
    0/1 labels (for other label codes the mismatch indicator is used, so a
    wrong label always counts 1). The 3-D form averages over labels first, as
    the task's ``multilabel_error_rate``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.metrics import annotator_error_rate
    >>> annotator_error_rate([[0, 1, 1, 0], [1, 1, np.nan, np.nan]],
    ...                      [[0, 1, 0, 0], [0, 1, 0, 0]])
    0.375
    """
    t, p, present = _annotator_pair(y_true, y_pred)
    wrong = ((t != p) & present).sum(axis=-1)
    n_ann = present.sum(axis=-1)
    rate = 1.0 - (n_ann - wrong) / n_ann  # the task's expression, same rounding
    if task_rounding:
        rate = _task_round(rate).reshape(rate.shape)
    if rate.ndim == 2:
        rate = rate.mean(axis=1)
    return float(np.mean(rate))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "scale_size": [Interval(numbers.Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def normalized_absolute_distance(y_true, y_pred, *, scale_size):
    r"""Mean absolute per-annotator rating error, divided by the scale size.

    The perspectivist metric of the Le-Wi-Di 2025 task for ordinal scales: a
    model predicts the rating each annotator of an item gave.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_annotators)
        Each annotator's rating; NaN where an annotator did not rate the item
        (or a list of per-item lists of different lengths, the task's format).
    y_pred : array-like of shape (n_samples, n_annotators)
        Predicted ratings (entries where ``y_true`` is NaN are ignored).
    scale_size : float
        The number of points on the scale, by which the distance is divided:
        11 for the Paraphrase set (-5..5), 6 for the sarcasm set (CSC, 1..6),
        as the task defines it. Required: there is no safe default.

    Returns
    -------
    distance : float
        At most ``(scale_size - 1) / scale_size`` for predictions on the scale.

    See Also
    --------
    annotator_error_rate : The perspectivist metric for categorical labels.

    Notes
    -----
    .. math::

        \mathrm{NAD} = \frac{1}{N}\sum_{i=1}^{N}\frac{1}{a_i}
        \sum_{k=1}^{a_i}\frac{|t_{ik} - p_{ik}|}{s},

    the task's ``mean_absolute_distance`` (whose ``* 100`` is commented out:
    it is a fraction, not a percentage). The task does not round it.

    Examples
    --------
    >>> from sksoft.metrics import normalized_absolute_distance
    >>> normalized_absolute_distance([[2, 4], [1, 1]], [[3, 4], [1, 4]],
    ...                              scale_size=6)
    0.16666666666666666
    """
    t, p, present = _annotator_pair(y_true, y_pred)
    if t.ndim != 2:
        raise ValueError(
            "normalized_absolute_distance takes (n_samples, n_annotators) "
            f"ratings; got shape {t.shape}."
        )
    gap = np.where(present, np.abs(np.where(present, t, 0.0) - p), 0.0)
    per_item = _sequential_sum(gap) / present.sum(axis=1) / scale_size
    return float(np.mean(per_item))
