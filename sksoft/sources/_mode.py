"""Mode control: :func:`align_mode`, :func:`mode_one_hot`, :func:`mode_shift_mask`."""

import numpy as np

from ..targets import check_soft_targets, encode_labels, hard_labels
from ..utils._sklearn_compat import (
    validate_params,
)

__all__ = [
    "align_mode",
    "gold_indices",
    "mode_one_hot",
    "mode_shift_mask",
]


def gold_indices(gold, classes, n_samples):
    """Column positions of 1-D gold labels within ``classes``.

    Shared with :mod:`sksoft.sources._arms` (hence no underscore); not public.
    """
    gold = np.asarray(gold)
    if gold.ndim != 1:
        raise ValueError(f"gold must be 1-D class labels; got shape {gold.shape}.")
    if gold.shape[0] != n_samples:
        raise ValueError(
            f"gold has {gold.shape[0]} labels but the soft targets have {n_samples} "
            "rows."
        )
    if gold.dtype.kind == "f" and not np.isfinite(gold).all():
        row = int(np.flatnonzero(~np.isfinite(gold))[0])
        raise ValueError(f"gold contains NaN or infinity (first at row {row}).")
    return encode_labels(gold, classes, name="gold label")


@validate_params(
    {"y": ["array-like"], "gold": ["array-like"], "classes": [None, "array-like"]},
    prefer_skip_nested_validation=True,
)
def align_mode(y, gold, *, classes=None):
    """Move each soft label's mode onto the gold label by swapping two entries.

    For every row whose gold class does not hold the largest probability, the
    probability of the mode (the first class with the largest probability,
    the tie rule of :func:`~sksoft.targets.hard_labels`) and the probability
    of the gold class trade places. Each row keeps its multiset of values, so
    its sorted values and its entropy are unchanged exactly: only *which*
    class is most likely changes. This separates the effect of the human
    uncertainty from the effect of a human majority that disagrees with gold
    (a *mode shift*).

    Parameters
    ----------
    y : array-like of shape (n_samples, n_classes)
        Soft targets (probability rows).
    gold : array-like of shape (n_samples,)
        Gold labels, elements of ``classes``.
    classes : array-like of shape (n_classes,), default=None
        Column labels of ``y``; ``arange(n_classes)`` by default.

    Returns
    -------
    y_aligned : ndarray of shape (n_samples, n_classes)
        Rows whose largest probability sits on the gold class (the input
        values, validated but not renormalised).
    changed : ndarray of shape (n_samples,), dtype bool
        True for the rows whose values were swapped (the gold class held
        strictly less than the maximum).

    See Also
    --------
    mode_shift_mask : Rows whose human mode differs from gold.
    make_supervision_arms : Uses this for the ``human_soft_gold_mode`` arm.

    Notes
    -----
    When the gold class *ties* with an earlier class for the maximum, no
    swap can make gold the strict mode without changing the values; such a
    row is left as is (``changed=False``) and :func:`~sksoft.targets.hard_labels`
    still returns the earlier class. The guarantee is
    ``y_aligned[i, gold[i]] == y_aligned[i].max()`` for every row.

    Examples
    --------
    >>> from sksoft.sources import align_mode
    >>> y_al, changed = align_mode([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]], [1, 1])
    >>> y_al
    array([[0.3, 0.6, 0.1],
           [0.2, 0.5, 0.3]])
    >>> changed
    array([ True, False])
    """
    y_arr = np.asarray(y) if not hasattr(y, "to_numpy") else y.to_numpy()
    if y_arr.ndim != 2:
        raise ValueError(
            f"y must be a 2-D matrix of soft targets; got shape {y_arr.shape}."
        )
    _, classes_out = check_soft_targets(y_arr, classes=classes, return_classes=True)
    p = y_arr.astype(np.float64)  # the validated input values, not renormalised
    g = gold_indices(gold, classes_out, p.shape[0])
    rows = np.arange(p.shape[0])
    mode = np.argmax(p, axis=1)
    top = p[rows, mode]
    changed = p[rows, g] < top
    out = p.copy()
    r = rows[changed]
    out[r, mode[changed]] = p[r, g[changed]]
    out[r, g[changed]] = top[changed]
    return out, changed


@validate_params(
    {"y": ["array-like"], "classes": [None, "array-like"], "counts": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def mode_one_hot(y, *, classes=None, counts=False):
    """One-hot rows of each soft target's mode (the human majority vote).

    Ties go to the first class in column order, the tie rule of
    :func:`~sksoft.targets.hard_labels`.

    Parameters
    ----------
    y : array-like of shape (n_samples, n_classes)
        Soft targets, or vote counts with ``counts=True``.
    classes : array-like of shape (n_classes,), default=None
        Column labels; ``arange(n_classes)`` by default.
    counts : bool, default=False
        Read ``y`` as vote counts.

    Returns
    -------
    y_mode : ndarray of shape (n_samples, n_classes), dtype float64

    See Also
    --------
    sksoft.targets.hard_labels : The argmax with its tie rule.

    Examples
    --------
    >>> from sksoft.sources import mode_one_hot
    >>> mode_one_hot([[3, 3, 0], [1, 2, 3]], counts=True)
    array([[1., 0., 0.],
           [0., 0., 1.]])
    """
    p = check_soft_targets(y, classes=classes, counts=counts)
    idx = hard_labels(p)  # arange(K) columns -> positions
    out = np.zeros_like(p)
    out[np.arange(p.shape[0]), idx] = 1.0
    return out


@validate_params(
    {
        "y": ["array-like"],
        "gold": ["array-like"],
        "classes": [None, "array-like"],
        "counts": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def mode_shift_mask(y, gold, *, classes=None, counts=False):
    """Flag the items whose soft-label mode differs from the gold label.

    Parameters
    ----------
    y : array-like of shape (n_samples, n_classes)
        Soft targets, or vote counts with ``counts=True``.
    gold : array-like of shape (n_samples,)
        Gold labels, elements of ``classes``.
    classes : array-like of shape (n_classes,), default=None
        Column labels; ``arange(n_classes)`` by default.
    counts : bool, default=False
        Read ``y`` as vote counts.

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype bool
        ``hard_labels(y) != gold`` (ties to the first class); its mean is the
        mode-shift rate.

    Examples
    --------
    >>> from sksoft.sources import mode_shift_mask
    >>> mode_shift_mask([[0.6, 0.4], [0.5, 0.5], [0.2, 0.8]], [0, 1, 1])
    array([False,  True, False])
    """
    p, classes_out = check_soft_targets(
        y, classes=classes, counts=counts, return_classes=True
    )
    g = gold_indices(gold, classes_out, p.shape[0])
    return hard_labels(p) != g
