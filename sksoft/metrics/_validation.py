"""Input checks shared by the metrics (private).

Soft-target validation itself lives in :mod:`sksoft.targets`; this module only
pairs ``y_true`` with ``y_prob``: it encodes hard labels as column indices
(without building a one-hot matrix), validates predicted probabilities in two
fused passes and checks lengths, class counts and sample weights.
"""

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import DataConversionWarning

from ..targets import check_probabilities, check_soft_targets, encode_labels


class _Pair(NamedTuple):
    """Validated ``(y_true, y_prob)`` pair.

    ``proba`` is ``(n, K)``, or ``(n,)`` for a binary positive-class column when
    the caller asked to keep it. Exactly one of ``y_idx`` (hard labels as column
    indices) and ``y_soft`` (``(n, K)`` probability rows) is set.
    """

    proba: np.ndarray
    y_idx: np.ndarray | None
    y_soft: np.ndarray | None
    weight: np.ndarray | None
    binary_column: bool
    n_classes: int


def _as_array(a):
    if hasattr(a, "to_numpy"):  # pandas / polars
        a = a.to_numpy()
    return np.asarray(a)


_CHECK_BLOCK_VALUES = 1 << 17
"""Values per row block of the fast probability check (1 MiB of float64)."""


def _block_is_valid(block, ones, sums, low, high):
    """Whether every row of ``block`` is non-negative and sums into ``[low, high]``.

    The row sums are one matrix-vector product (``block @ ones``); NaN and
    infinity propagate into them, and comparisons with NaN are False, so a
    non-finite entry fails the sum test. The minimum is one more pass over
    the block while it is in cache.
    """
    np.matmul(block, ones, out=sums)
    return sums.min() >= low and sums.max() <= high and not block.min() < 0


def _check_proba_fast(y_prob, *, atol=None):
    """Validate a 2-D probability matrix in one chunked pass (sums and minimum).

    Falls back to :func:`sksoft.targets.check_probabilities` (which names the
    first bad row, and renormalises rows off by at most 1e-4) when a block
    fails, and for rows within a few rounding errors of the tolerance, so
    that check decides every borderline case exactly as it would alone.
    """
    arr = _as_array(y_prob)
    if arr.ndim != 2 or arr.dtype.kind != "f" or arr.shape[0] == 0 or arr.shape[1] == 0:
        return check_probabilities(arr, atol=atol)
    n, k = arr.shape
    tol = (1e-6 if arr.dtype.itemsize >= 8 else 1e-4) if atol is None else atol
    # sums in another order differ by at most about k ulps
    margin = 4 * k * float(np.finfo(arr.dtype).eps)
    low, high = 1.0 - tol + margin, 1.0 + tol - margin
    step = max(256, _CHECK_BLOCK_VALUES // k)
    ones = np.ones(k, dtype=arr.dtype)
    sums = np.empty(min(step, n), dtype=arr.dtype)
    for start in range(0, n, step):
        block = arr[start : start + step]
        if not _block_is_valid(block, ones, sums[: block.shape[0]], low, high):
            return check_probabilities(arr, atol=atol)
    return arr


def _check_binary_column(p, input_name="y_prob"):
    if p.dtype.kind not in "biuf":
        raise ValueError(f"{input_name} must be numeric; got dtype {p.dtype}.")
    if p.dtype.kind != "f":
        p = p.astype(np.float64)
    if not np.isfinite(p).all():
        row = int(np.flatnonzero(~np.isfinite(p))[0])
        raise ValueError(f"{input_name} contains NaN or infinity (first at row {row}).")
    bad = (p < 0) | (p > 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{input_name} is a 1-D positive-class probability column and must lie "
            f"in [0, 1]; row {row} is {p[row]!r}."
        )
    return p


def _check_sample_weight(sample_weight, n):
    if sample_weight is None:
        return None
    w = _as_array(sample_weight)
    if w.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D; got shape {w.shape}.")
    if w.shape[0] != n:
        raise ValueError(
            f"sample_weight has {w.shape[0]} entries but y_prob has {n} samples."
        )
    if w.dtype.kind not in "biuf":
        raise ValueError(f"sample_weight must be numeric; got dtype {w.dtype}.")
    w = w.astype(np.float64, copy=False)
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (w < 0).any():
        raise ValueError("sample_weight contains negative values.")
    if not w.sum() > 0:
        raise ValueError("sample_weight sums to 0; at least one weight must be > 0.")
    return w


def _encode_labels(y, labels, n_classes, binary_column):
    """Map hard labels to column indices of ``y_prob``.

    Columns follow ``labels`` when given, else the sorted unique labels of
    ``y`` (sklearn's convention for ``log_loss``). Integer labels that already
    are ``0 .. K-1`` with every class present take a fast path (no sort).
    """
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y_true contains NaN or infinity.")
    if labels is None:
        if y.dtype.kind in "iu":
            ymin, ymax = int(y.min()), int(y.max())
            if ymin >= 0 and ymax < n_classes:
                # in range, so the cast is exact (and np.bincount of numpy < 2
                # refuses uint64)
                yi = y.astype(np.intp, copy=False)
                if np.count_nonzero(np.bincount(yi, minlength=n_classes)) == n_classes:
                    return yi
        classes = np.unique(y)
        if binary_column and len(classes) < 2:
            raise ValueError(
                "y_prob is a 1-D positive-class column but y_true holds a single "
                f"label {classes.tolist()}; pass labels=[negative, positive] to say "
                "which class the column belongs to."
            )
        if len(classes) != n_classes:
            raise ValueError(
                f"y_true holds {len(classes)} distinct labels {classes.tolist()} but "
                f"y_prob has {n_classes} columns. Pass labels= (the classes in "
                "column order, e.g. estimator.classes_) when some classes are "
                "missing from y_true."
            )
    else:
        classes = _as_array(labels)
        if classes.ndim != 1 or len(classes) != n_classes:
            raise ValueError(
                f"labels has {np.size(classes)} entries but y_prob has {n_classes} "
                "columns."
            )
        if len(np.unique(classes)) != n_classes:
            raise ValueError(f"labels contains duplicates: {classes.tolist()}.")
    return encode_labels(y, classes, name="y_true label")


def _check_y_prob(y_prob):
    """Validate ``y_prob``: ``(proba, binary_column, n_classes)``."""
    prob = _as_array(y_prob)
    if prob.ndim == 0 or prob.ndim > 2:
        raise ValueError(
            "y_prob must be (n_samples, n_classes) probabilities or a 1-D "
            f"positive-class column; got shape {prob.shape}."
        )
    if prob.shape[0] == 0:
        raise ValueError(f"y_prob is empty: it has 0 samples (shape {prob.shape}).")
    if prob.ndim == 1 or prob.shape[1] == 1:
        return _check_binary_column(prob.reshape(-1)), True, 2
    prob = _check_proba_fast(prob)
    if prob.shape[1] < 2:
        raise ValueError("y_prob must have at least 2 columns (classes).")
    return prob, False, prob.shape[1]


def _check_soft_y_true(yt, labels, n_classes, binary_column):
    """Validate an ``(n, K)`` soft ``y_true`` against ``y_prob``'s classes."""
    if yt.shape[1] != n_classes:
        raise ValueError(
            f"y_true has {yt.shape[1]} classes (columns) but y_prob has "
            f"{n_classes}" + (" (a 1-D y_prob is binary)." if binary_column else ".")
        )
    if labels is not None and len(_as_array(labels)) != n_classes:
        raise ValueError(
            f"labels has {len(_as_array(labels))} entries but y_prob has "
            f"{n_classes} columns."
        )
    return check_soft_targets(yt, input_name="y_true")


def _hard_y_true(yt, labels, n_classes, binary_column):
    """Column indices of hard ``y_true`` labels (a column vector warns)."""
    if yt.ndim == 2:
        warnings.warn(
            "A column-vector y_true was passed when a 1d array was expected. "
            "It is read as class labels; pass a 1-D array (e.g. y.ravel()) or "
            "an (n_samples, n_classes) probability matrix.",
            DataConversionWarning,
            stacklevel=4,
        )
        yt = yt[:, 0]
    return _encode_labels(yt, labels, n_classes, binary_column)


def _check_y_true(y_true, n):
    yt = _as_array(y_true)
    if yt.ndim == 0 or yt.ndim > 2:
        raise ValueError(
            "y_true must be 1-D labels or an (n_samples, n_classes) soft matrix; "
            f"got shape {yt.shape}."
        )
    if yt.shape[0] != n:
        raise ValueError(
            f"y_true has {yt.shape[0]} samples but y_prob has {n}; they must "
            "have the same length."
        )
    return yt


def check_pair(
    y_true,
    y_prob,
    *,
    labels=None,
    sample_weight=None,
    keep_binary_column=False,
    soft_only=False,
):
    """Validate and pair ``y_true`` with ``y_prob``.

    Parameters
    ----------
    keep_binary_column : bool
        Keep a 1-D positive-class ``y_prob`` as is (``proba`` of shape (n,));
        otherwise it becomes the two columns ``[1 - p, p]``.
    soft_only : bool
        Always return ``y_soft`` (hard labels become one-hot rows).
    """
    prob, binary_column, n_classes = _check_y_prob(y_prob)
    n = prob.shape[0]
    yt = _check_y_true(y_true, n)
    y_idx = y_soft = None
    if yt.ndim == 2 and yt.shape[1] > 1:
        y_soft = _check_soft_y_true(yt, labels, n_classes, binary_column)
    else:
        y_idx = _hard_y_true(yt, labels, n_classes, binary_column)
        if soft_only:
            y_soft = np.zeros((n, n_classes))
            y_soft[np.arange(n), y_idx] = 1.0
            y_idx = None
    if binary_column and not keep_binary_column:
        prob = np.column_stack([1.0 - prob, prob])
    weight = _check_sample_weight(sample_weight, n)
    return _Pair(prob, y_idx, y_soft, weight, binary_column, n_classes)


def _full_proba(pair):
    """``(n, K)`` probabilities of a pair (expanding a binary column)."""
    if pair.proba.ndim == 1:
        return np.column_stack([1.0 - pair.proba, pair.proba])
    return pair.proba


def _weighted_mean(values, weight):
    if weight is None:
        return float(np.mean(values))
    return float(np.average(values, weights=weight))
