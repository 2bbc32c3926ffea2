"""Soft targets: validation, construction and the library's one hardness definition.

This module is the single home of what a *soft target* is in sksoft. Every other
module (the classifier, the metrics, cartography, the soft-label sources and the
audit) validates targets with :func:`check_soft_targets`, converts vote counts with
:func:`counts_to_proba`, measures uncertainty with :func:`target_entropy`, breaks
ties with :func:`hard_labels` and selects difficult samples with
:func:`hard_sample_mask`.

A soft target for ``n`` samples and ``K`` classes is an ``(n, K)`` float64 matrix
whose rows are probability vectors (non-negative, summing to one).
"""

import numbers
import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import DataConversionWarning

from ._rows import entropy_rows
from .utils._sklearn_compat import Interval, StrOptions, validate_params

__all__ = [
    "check_probabilities",
    "check_soft_targets",
    "counts_to_proba",
    "encode_labels",
    "hard_labels",
    "hard_sample_mask",
    "one_hot",
    "target_entropy",
]


HARD_DEFINITIONS = ("top_fraction", "disagreement")
"""The values of the ``hard`` parameter of :func:`hard_sample_mask`."""


RENORMALIZE_ATOL = 1e-4
"""Rows whose sums are off by at most this much are renormalised, with a warning.

Probabilities written to a file with ``d`` decimals have row sums off by up to
``K * 0.5 * 10**-d`` for ``K`` classes: ``1e-4`` accepts 6 decimals up to 200
classes and 5 decimals up to 20 classes, while renormalising changes no
probability by more than 0.01% of its value, far below what any metric reports.
A larger gap is a different problem (logits, scores, counts, a dropped column)
and is refused."""


def _default_atol(dtype):
    """Row-sum tolerance for a probability matrix of this dtype."""
    if np.issubdtype(dtype, np.floating) and np.finfo(dtype).bits < 64:
        return 1e-4
    return 1e-6


def _check_row_sums(arr, sums, atol, input_name):
    """The library's one row-sum check of a probability matrix.

    Returns True when some rows need renormalising (they are off by more than
    the exact tolerance but at most :data:`RENORMALIZE_ATOL`; a warning says
    so). Raises, naming the first bad row, beyond that; the message suggests
    a softmax for what look like logits or scores and ``counts=True`` for
    what look like vote counts. ``atol`` given explicitly is the only
    tolerance (rows within it are accepted, nothing is renormalised beyond).
    """
    strict = _default_atol(arr.dtype) if atol is None else atol
    loose = max(strict, RENORMALIZE_ATOL) if atol is None else strict
    gap = np.abs(sums - 1.0)
    bad = ~(gap <= loose)  # NaN compares False -> flagged
    if bad.any():
        _check_finite_nonneg(arr, input_name)
        row = _first_row(bad)
        if arr.dtype.kind in "biu" or np.all(np.mod(arr[row], 1) == 0):
            hint = f" If {input_name} holds vote counts, pass counts=True."
        else:
            hint = (
                f" If {input_name} holds logits or scores, apply a softmax first "
                "(scipy.special.softmax(x, axis=1))."
            )
        raise ValueError(
            f"{input_name} rows must sum to 1 (within atol={strict:g}; rows off "
            f"by at most {loose:g} are renormalised); row {row} sums to "
            f"{sums[row]:.10g}.{hint}"
        )
    off = ~(gap <= strict)
    if off.any():
        warnings.warn(
            f"{int(off.sum())} row(s) of {input_name} sum to 1 only within "
            f"{float(gap.max()):.2g} (e.g. probabilities rounded to a few "
            "decimals); they were renormalised to sum to 1.",
            UserWarning,
            stacklevel=4,
        )
        return True
    return False


def _first_row(mask):
    """Index of the first True entry of a 1-D boolean mask."""
    return int(np.flatnonzero(mask)[0])


def _as_2d_numeric(y, input_name):
    """Array conversion shared by the validators (no copy when possible)."""
    if sparse.issparse(y):
        raise TypeError(
            f"{input_name} is a sparse matrix; soft targets must be a dense array. "
            "Convert it with .toarray() first."
        )
    if hasattr(y, "to_numpy"):  # pandas / polars objects
        y = y.to_numpy()
    arr = np.asarray(y)
    return arr


def _check_numeric_matrix(arr, input_name):
    if arr.dtype.kind not in "biuf":
        raise ValueError(
            f"{input_name} must be numeric to be read as a probability or count "
            f"matrix; got dtype {arr.dtype}."
        )
    if arr.shape[0] == 0:
        raise ValueError(
            f"{input_name} is empty: it has 0 samples (shape {arr.shape})."
        )
    if arr.shape[1] == 0:
        raise ValueError(f"{input_name} has 0 columns (shape {arr.shape}).")


def _check_finite_nonneg(arr, input_name):
    """Raise naming the first row with NaN/inf or a negative value."""
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            row = _first_row(~finite.all(axis=1))
            raise ValueError(
                f"{input_name} contains NaN or infinity (first at row {row}: "
                f"{arr[row].tolist()})."
            )
    if arr.dtype.kind != "u":
        neg = arr < 0
        if neg.any():
            row = _first_row(neg.any(axis=1))
            raise ValueError(
                f"{input_name} contains negative values (first at row {row}: "
                f"{arr[row].tolist()}); probabilities and counts must be >= 0. "
                "If these are logits or scores, apply a softmax first "
                "(scipy.special.softmax(x, axis=1))."
            )


def check_probabilities(y_prob, *, n_classes=None, atol=None, input_name="y_prob"):
    """Validate a matrix of probability rows without copying it.

    This is the fast validator for *predicted* probabilities (two passes over the
    data: the row sums and the minimum). NaN and infinity propagate into the row
    sums, so they are caught by the sum check and then reported precisely.

    Parameters
    ----------
    y_prob : array-like of shape (n_samples, n_classes)
        Probability rows: every entry non-negative, every row summing to 1.
    n_classes : int, default=None
        If given, the number of columns ``y_prob`` must have.
    atol : float, default=None
        Absolute tolerance on each row sum. ``None`` means ``1e-6`` for 64-bit
        input and ``1e-4`` for lower precision, and rows off by more but at
        most :data:`RENORMALIZE_ATOL` (``1e-4``, e.g. probabilities rounded
        to 6 decimals) are renormalised in a copy, with a warning. An
        explicit ``atol`` is the only tolerance.
    input_name : str, default="y_prob"
        Name used in error messages.

    Returns
    -------
    y_prob : ndarray of shape (n_samples, n_classes)
        The input as a floating-point array (not copied when it already is one
        and needs no renormalising).

    Raises
    ------
    ValueError
        On NaN/inf, negative entries, rows not summing to 1, a wrong number of
        columns, empty input or an array that is not 2-D. The message names the
        first offending row, and suggests a softmax for what look like logits.

    See Also
    --------
    check_soft_targets : Validate and normalise soft *targets* (labels, counts or
        probabilities).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.targets import check_probabilities
    >>> check_probabilities(np.array([[0.2, 0.8], [1.0, 0.0]]))
    array([[0.2, 0.8],
           [1. , 0. ]])
    >>> check_probabilities(np.array([[0.2, 0.7]]))
    Traceback (most recent call last):
        ...
    ValueError: y_prob rows must sum to 1 (within atol=1e-06; ...); row 0 sums to 0.9...
    """
    arr = _as_2d_numeric(y_prob, input_name)
    if arr.ndim != 2:
        raise ValueError(
            f"{input_name} must be 2-D of shape (n_samples, n_classes); got an "
            f"array with {arr.ndim} dimension(s), shape {arr.shape}."
        )
    _check_numeric_matrix(arr, input_name)
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if n_classes is not None and arr.shape[1] != n_classes:
        raise ValueError(
            f"{input_name} has {arr.shape[1]} columns but {n_classes} classes are "
            "expected."
        )
    sums = arr.sum(axis=1)
    renormalize = _check_row_sums(arr, sums, atol, input_name)
    if arr.min() < 0:
        _check_finite_nonneg(arr, input_name)
    if renormalize:
        arr = arr / sums[:, None]
    return arr


@validate_params(
    {
        "counts": ["array-like"],
        "prior": [Interval(numbers.Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def counts_to_proba(counts, *, prior=0.0):
    """Turn per-class vote counts into probability rows.

    Each row becomes ``(counts + prior) / (counts + prior).sum()``: with
    ``prior > 0`` this is the posterior mean of a symmetric Dirichlet(``prior``)
    prior updated with the votes (additive smoothing).

    Parameters
    ----------
    counts : array-like of shape (n_samples, n_classes)
        Non-negative vote counts (need not be integers, e.g. weighted votes).
    prior : float, default=0.0
        Pseudo-count added to every class. With ``prior=0`` every row needs at
        least one vote.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes), dtype float64
        Probability rows.

    Raises
    ------
    ValueError
        On NaN/inf, negative counts, an all-zero row when ``prior=0``, a shape
        that is not 2-D, or empty input.

    See Also
    --------
    check_soft_targets : Accepts counts directly with ``counts=True``.

    Examples
    --------
    >>> from sksoft.targets import counts_to_proba
    >>> counts_to_proba([[3, 1, 0], [0, 0, 4]])
    array([[0.75, 0.25, 0.  ],
           [0.  , 0.  , 1.  ]])
    >>> counts_to_proba([[3, 1, 0]], prior=1.0)
    array([[0.571..., 0.285..., 0.142...]])
    """
    arr = _as_2d_numeric(counts, "counts")
    if arr.ndim != 2:
        raise ValueError(
            "counts must be 2-D of shape (n_samples, n_classes); got shape "
            f"{arr.shape}."
        )
    _check_numeric_matrix(arr, "counts")
    _check_finite_nonneg(arr, "counts")
    arr = arr.astype(np.float64) + float(prior)
    sums = arr.sum(axis=1, keepdims=True)
    zero = sums[:, 0] <= 0
    if zero.any():
        raise ValueError(
            f"counts row {_first_row(zero)} has no votes (all zeros); it cannot be "
            "turned into a probability vector. Drop the row or use prior > 0."
        )
    return arr / sums


def _py(value):
    """A numpy scalar as the python value, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _unknown_label(labels, found, name, classes_name, classes):
    row = _first_row(~found)
    raise ValueError(
        f"{name} {_py(labels[row])!r} (row {row}) is not among {classes_name} "
        f"{classes.tolist()}."
    )


@validate_params(
    {
        "labels": ["array-like"],
        "classes": ["array-like"],
        "name": [str],
        "classes_name": [str],
    },
    prefer_skip_nested_validation=True,
)
def encode_labels(labels, classes, *, name="label", classes_name="the classes"):
    """Column position of each label in ``classes`` (the one label encoder).

    Every place of sksoft that turns labels into column indices (targets,
    metrics, cartography, sources, model selection) calls this function.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Labels to encode.
    classes : array-like of shape (n_classes,)
        The class labels in column order (any order, no duplicates).
    name : str, default="label"
        What a label is called in the error message.
    classes_name : str, default="the classes"
        What ``classes`` is called in the error message.

    Returns
    -------
    codes : ndarray of shape (n_samples,), dtype intp
        ``codes[i]`` is the position of ``labels[i]`` in ``classes``.

    Raises
    ------
    ValueError
        If a label is not among ``classes`` (the message names the first such
        label and its row), or if ``labels`` is not 1-D.

    Notes
    -----
    Orderable labels are matched with a sort and ``np.searchsorted``; object
    labels of mixed, unorderable types (say ``1`` and ``"a"``) fall back to a
    dictionary lookup, so any hashable labels work. Equal values match across
    dtypes (``1 == 1.0``), as in a python ``dict``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.targets import encode_labels
    >>> encode_labels(["cat", "dog", "cat"], ["dog", "cat"])
    array([1, 0, 1])
    >>> mixed = np.array(["a", 1], dtype=object)  # unorderable: dict lookup
    >>> encode_labels(mixed[::-1], mixed)
    array([1, 0])
    """
    labels = np.asarray(labels)
    classes = np.asarray(classes)
    if labels.ndim != 1:
        raise ValueError(f"the {name}s must be 1-D; got shape {labels.shape}.")
    if classes.ndim != 1 or classes.size == 0:
        raise ValueError(
            f"{classes_name} must be a non-empty 1-D array; got shape {classes.shape}."
        )
    try:
        order = np.argsort(classes, kind="stable")
        sorted_classes = classes[order]
        pos = np.searchsorted(sorted_classes, labels)
    except TypeError:  # unorderable object labels: python-level lookup
        return _encode_by_dict(labels, classes, name, classes_name)
    pos = np.clip(pos, 0, len(classes) - 1)
    with warnings.catch_warnings():
        # numpy < 2 warns (and returns a scalar) for str against int labels
        warnings.simplefilter("ignore", FutureWarning)
        found = np.asarray(sorted_classes[pos] == labels)
    if found.shape != labels.shape:  # e.g. str against int: no elementwise ==
        found = np.zeros(labels.shape, dtype=bool)
    if not np.all(found):
        _unknown_label(labels, found.astype(bool), name, classes_name, classes)
    return order[pos].astype(np.intp, copy=False)


def _encode_by_dict(labels, classes, name, classes_name):
    index = {v: i for i, v in enumerate(classes.tolist())}
    codes = np.empty(labels.shape[0], dtype=np.intp)
    found = np.ones(labels.shape[0], dtype=bool)
    for row, v in enumerate(labels.tolist()):
        try:
            codes[row] = index[v]
        except (KeyError, TypeError):
            found[row] = False
            break
    if not found.all():
        _unknown_label(labels, found, name, classes_name, classes)
    return codes


def _labels_to_one_hot(y, classes, input_name):
    if classes is None:
        try:
            classes = np.unique(y)
        except TypeError as exc:
            raise ValueError(
                f"{input_name} holds labels of mixed, unorderable types."
            ) from exc
    else:
        classes = np.asarray(classes)
        if classes.ndim != 1 or classes.size == 0:
            raise ValueError("classes must be a non-empty 1-D array of labels.")
        if np.unique(classes).size != classes.size:
            raise ValueError(f"classes contains duplicates: {classes.tolist()}.")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(
            f"{input_name} contains NaN or infinity (first at row "
            f"{_first_row(~np.isfinite(y))})."
        )
    idx = encode_labels(y, classes, name=f"{input_name} label", classes_name="classes")
    out = np.zeros((y.shape[0], len(classes)), dtype=np.float64)
    out[np.arange(y.shape[0]), idx] = 1.0
    return out, classes


def check_soft_targets(
    y,
    *,
    classes=None,
    counts=False,
    prior=0.0,
    atol=None,
    return_classes=False,
    input_name="y",
):
    """Validate targets and return them as probability rows.

    The one validator of the library. It accepts

    - 1-D class labels (ints or strings): one-hot rows over ``classes`` (given,
      or the sorted label set);
    - an ``(n, 1)`` array: read as labels, with sklearn's
      :class:`~sklearn.exceptions.DataConversionWarning`;
    - a 2-D probability matrix: rows must be non-negative and sum to 1 within
      ``atol``; they are renormalised to sum to 1 exactly;
    - 2-D non-negative vote counts, **only** with ``counts=True``: an integer
      matrix can also be a mistake (label-encoded columns, say) and is never
      trained on silently.

    Parameters
    ----------
    y : array-like of shape (n_samples,), (n_samples, 1) or (n_samples, n_classes)
        Labels, probability rows or (with ``counts=True``) vote counts.
    classes : array-like of shape (n_classes,), default=None
        The class labels, in column order. For 1-D ``y`` the default is the
        sorted set of labels in ``y``; for 2-D ``y`` it is ``arange(n_classes)``.
        When given for 2-D ``y`` its length must equal the number of columns.
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts and normalise with :func:`counts_to_proba`.
    prior : float, default=0.0
        Dirichlet pseudo-count added to every class when ``counts=True``.
    atol : float, default=None
        Tolerance on the row sums of a probability matrix. ``None`` means
        ``1e-6`` for 64-bit input and ``1e-4`` for lower precision; rows off
        by at most :data:`RENORMALIZE_ATOL` (``1e-4``) are accepted with a
        warning (all rows are renormalised anyway). An explicit ``atol`` is
        the only tolerance.
    return_classes : bool, default=False
        Also return the class labels.
    input_name : str, default="y"
        Name used in error messages.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes), dtype float64
        Probability rows summing to 1.
    classes : ndarray of shape (n_classes,)
        Only when ``return_classes=True``.

    Raises
    ------
    ValueError
        Naming the problem and the first offending row: NaN/inf, negative
        values, rows not summing to 1, all-zero count rows, a column count that
        differs from ``classes``, unknown labels, empty input, more than 2
        dimensions.
    TypeError
        For sparse input.

    See Also
    --------
    counts_to_proba : Vote counts to probabilities.
    check_probabilities : Fast validation of predicted probabilities.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.targets import check_soft_targets
    >>> check_soft_targets(["cat", "dog", "cat"], return_classes=True)
    (array([[1., 0.],
           [0., 1.],
           [1., 0.]]), array(['cat', 'dog'], dtype='<U3'))
    >>> check_soft_targets([[0.7, 0.3], [0.5, 0.5]])
    array([[0.7, 0.3],
           [0.5, 0.5]])
    >>> check_soft_targets([[3, 1], [0, 2]], counts=True)
    array([[0.75, 0.25],
           [0.  , 1.  ]])
    >>> check_soft_targets([[3, 1], [0, 2]])
    Traceback (most recent call last):
        ...
    ValueError: y rows must sum to 1 (within atol=1e-06; ...); row 0 sums to 4. If y ...
    """
    arr = _as_2d_numeric(y, input_name)
    if arr.ndim == 0:
        raise ValueError(f"{input_name} must be 1-D or 2-D; got a scalar.")
    if arr.ndim > 2:
        raise ValueError(
            f"{input_name} must be 1-D labels or a 2-D (n_samples, n_classes) "
            f"matrix; got {arr.ndim} dimensions, shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(
            f"{input_name} is empty: it has 0 samples (shape {arr.shape})."
        )
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(
            f"A column-vector {input_name} was passed when a 1d array was expected. "
            "It is read as class labels; pass a 1-D array (e.g. y.ravel()) or a "
            "(n_samples, n_classes) probability matrix.",
            DataConversionWarning,
            stacklevel=2,
        )
        arr = arr[:, 0]
    if arr.ndim == 1:
        if counts:
            raise ValueError(
                f"counts=True needs a 2-D (n_samples, n_classes) {input_name}; got "
                "1-D labels."
            )
        proba, classes_out = _labels_to_one_hot(arr, classes, input_name)
        return (proba, classes_out) if return_classes else proba

    _check_numeric_matrix(arr, input_name)
    n_classes = arr.shape[1]
    if classes is not None:
        classes_out = np.asarray(classes)
        if classes_out.ndim != 1 or len(classes_out) != n_classes:
            raise ValueError(
                f"{input_name} has {n_classes} columns but "
                f"{np.atleast_1d(classes_out).size} classes were given "
                f"({np.atleast_1d(classes_out).tolist()})."
            )
    else:
        classes_out = np.arange(n_classes)

    if counts:
        proba = counts_to_proba(arr, prior=prior)
    else:
        _check_finite_nonneg(arr, input_name)
        proba = arr.astype(np.float64, copy=True)
        sums = proba.sum(axis=1)
        _check_row_sums(arr, sums, atol, input_name)
        proba /= sums[:, None]
    return (proba, classes_out) if return_classes else proba


def one_hot(labels, *, classes=None):
    """One-hot rows of class labels.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Class labels.
    classes : array-like of shape (n_classes,), default=None
        Column order; the sorted label set by default.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes), dtype float64

    Examples
    --------
    >>> from sksoft.targets import one_hot
    >>> one_hot([2, 0], classes=[0, 1, 2])
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"labels must be 1-D; got shape {arr.shape}.")
    return check_soft_targets(arr, classes=classes, input_name="labels")


def target_entropy(y, *, normalize=False, counts=False, classes=None):
    """Shannon entropy of each soft target (natural log, ``0 log 0 = 0``).

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Targets in any form :func:`check_soft_targets` accepts (hard labels give
        entropy 0).
    normalize : bool, default=False
        Divide by ``log(n_classes)`` so that values lie in [0, 1]. With one class
        the entropy is 0.
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts.
    classes : array-like, default=None
        Passed to :func:`check_soft_targets`.

    Returns
    -------
    entropy : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from sksoft.targets import target_entropy
    >>> target_entropy([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    array([0.693..., 0.        ])
    >>> target_entropy([[0.5, 0.5, 0.0]], normalize=True)
    array([0.630...])
    """
    proba = check_soft_targets(y, counts=counts, classes=classes)
    ent = entropy_rows(proba)
    np.maximum(ent, 0.0, out=ent)  # -0.0 and rounding below zero
    if normalize:
        k = proba.shape[1]
        ent = ent / np.log(k) if k > 1 else np.zeros_like(ent)
    return ent


def hard_labels(y, *, classes=None, counts=False):
    """Hard label of each soft target: the argmax, ties to the first class.

    Tie rule (documented, used everywhere in sksoft): when several classes share
    the largest probability, the one that comes **first in column order** (the
    lowest index into ``classes``) wins. Ties are common with few annotators, for
    example 3 votes to 3. Comparison is exact on the normalised rows.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Targets in any form :func:`check_soft_targets` accepts.
    classes : array-like of shape (n_classes,), default=None
        Labels to return; ``arange(n_classes)`` for 2-D ``y`` by default.
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts.

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        ``classes[argmax]``.

    Examples
    --------
    >>> from sksoft.targets import hard_labels
    >>> hard_labels([[0.2, 0.8], [0.5, 0.5]])
    array([1, 0])
    >>> hard_labels([[3, 3, 1]], counts=True, classes=["a", "b", "c"])
    array(['a'], dtype='<U1')
    """
    proba, classes_out = check_soft_targets(
        y, classes=classes, counts=counts, return_classes=True
    )
    return classes_out[np.argmax(proba, axis=1)]


@validate_params(
    {
        "y": ["array-like"],
        "hard_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "counts": ["boolean"],
        "tie_rtol": [Interval(numbers.Real, 0, None, closed="left")],
        "ties": [StrOptions({"include", "exclude"})],
        "hard": [StrOptions(set(HARD_DEFINITIONS))],
    },
    prefer_skip_nested_validation=True,
)
def hard_sample_mask(
    y,
    *,
    hard_fraction=0.2,
    counts=False,
    tie_rtol=1e-9,
    ties="include",
    hard="top_fraction",
):
    """Select the hard samples: the share with the highest target entropy.

    This is the library's single definition of "difficult samples", used by
    the hard-sample calibration metrics, the cartography summaries and the
    audit. Two definitions are available (``hard``):

    - ``"top_fraction"`` (default): the ``hard_fraction`` share with the
      highest target entropy, as described below;
    - ``"disagreement"``: every sample on which the humans disagree at all,
      i.e. with target entropy > 0 (more than one class with a positive
      share), the "any disagreement" subset of the human-label-variation
      literature. ``hard_fraction``, ``tie_rtol`` and ``ties`` are then
      ignored. The test is exact (a share of ``1e-300`` is disagreement), so
      smoothed targets (a prior, label smoothing) make every sample hard:
      pass the raw votes or shares.

    The function sees only the classes it is given: for ordinal ratings
    collapsed to a few classes (say a 9-point scale mapped to
    negative / neutral / positive) disagreement is counted on the collapsed
    classes, and two annotators rating 7 and 9 agree; pass the distribution
    over the raw scale points to count disagreement on the raw scale.

    For ``"top_fraction"``, let ``m = ceil(hard_fraction * n_samples)`` and let
    ``h`` be the ``m``-th largest target entropy. A sample is hard when its
    entropy is at least ``h`` (within a relative tolerance ``tie_rtol``, so that
    permuted but otherwise identical rows tie). **Ties at the cut are
    included**, so the selected share can exceed ``hard_fraction``: on CIFAR-10H
    44% of rows have entropy 0, so any ``hard_fraction`` above 0.56 selects
    every sample. With ``ties="exclude"`` samples tied at the cut are dropped
    instead (the share can then fall below ``hard_fraction``), except that at
    least the samples with entropy strictly above the cut are kept. Samples with
    zero entropy are never hard unless the cut itself is zero.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Soft targets (human distributions) in any form
        :func:`check_soft_targets` accepts.
    hard_fraction : float in (0, 1), default=0.2
        Target share of hard samples (``hard="top_fraction"`` only).
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts.
    tie_rtol : float, default=1e-9
        Relative tolerance for entropies equal to the cut.
    ties : {"include", "exclude"}, default="include"
        Whether samples tied at the cut are hard.
    hard : {"top_fraction", "disagreement"}, default="top_fraction"
        The definition of a hard sample (see above).

    Returns
    -------
    mask : ndarray of shape (n_samples,), dtype bool
        True for hard samples.

    Examples
    --------
    >>> from sksoft.targets import hard_sample_mask
    >>> y = [[1.0, 0.0], [0.5, 0.5], [0.9, 0.1], [0.5, 0.5]]
    >>> hard_sample_mask(y, hard_fraction=0.25)   # tie at the cut: both kept
    array([False,  True, False,  True])
    >>> hard_sample_mask(y, hard_fraction=0.25, ties="exclude")
    array([False, False, False, False])
    >>> hard_sample_mask(y, hard="disagreement")  # any disagreement
    array([False,  True,  True,  True])
    """
    if hard == "disagreement":
        proba = check_soft_targets(y, counts=counts)
        return np.count_nonzero(proba > 0, axis=1) > 1
    ent = target_entropy(y, counts=counts)
    n = ent.shape[0]
    m = int(np.ceil(hard_fraction * n))
    m = min(max(m, 1), n)
    cut = np.partition(ent, n - m)[n - m]
    tol = tie_rtol * max(abs(cut), 1.0)
    if ties == "include":
        return ent >= cut - tol
    return ent > cut + tol
