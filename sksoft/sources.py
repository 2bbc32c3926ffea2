"""Where soft labels come from: annotations, synthetic soft labels and mode control.

This module builds the soft targets a study compares:

- **from annotations**: :func:`annotations_to_counts` turns a long table of
  ``(item, annotator, label)`` rows into a vote-count matrix;
- **synthetic soft labels**: :func:`smooth_labels` (label smoothing, with the
  smoothing chosen to match a reference entropy if asked),
  :func:`teacher_soft_labels` (cross-fitted ``predict_proba`` of any scikit-learn
  classifier) and :func:`apply_temperature` (sharpen or flatten any soft matrix);
- **mode control**: :func:`align_mode` moves each soft label's mode onto a gold
  label by swapping two probabilities (the row's values and entropy are kept
  exactly), :func:`mode_one_hot` is the one-hot of the human mode and
  :func:`mode_shift_mask` flags items whose human mode differs from gold;
- **the arms of the controlled comparison**: :func:`make_supervision_arms`
  returns the six arms ``gold``, ``human_mode``, ``human_soft``,
  ``human_soft_gold_mode``, ``smoothed`` and ``teacher`` (:data:`ARM_NAMES`);
- **simulated annotator panels** (SIMULATED, never human):
  :func:`simulate_multinomial_panel` draws votes from given probabilities and
  :func:`simulate_noisy_observer_panel` lets simulated observers label perturbed
  copies of the inputs with a reference classifier.

Validation, counts-to-probabilities, entropy and the tie rule come from
:mod:`sksoft.targets`; they are not re-implemented here.
"""

import numbers

import numpy as np
from scipy.optimize import brentq
from sklearn.base import clone
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from ._rows import entropy_rows
from .model_selection import SoftStratifiedKFold, cross_val_predict
from .targets import check_soft_targets, encode_labels, hard_labels
from .utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

__all__ = [
    "ARM_NAMES",
    "GOLD_ARMS",
    "align_mode",
    "annotations_to_counts",
    "apply_temperature",
    "make_supervision_arms",
    "mode_one_hot",
    "mode_shift_mask",
    "simulate_multinomial_panel",
    "simulate_noisy_observer_panel",
    "smooth_labels",
    "teacher_soft_labels",
]

#: Names of the arms of the controlled comparison, in their canonical order.
ARM_NAMES = (
    "gold",
    "human_mode",
    "human_soft",
    "human_soft_gold_mode",
    "smoothed",
    "teacher",
)

#: The arms whose targets are built from the gold labels (the others need only
#: the human labels).
GOLD_ARMS = frozenset({"gold", "human_soft_gold_mode", "smoothed", "teacher"})


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def _is_missing(value):
    """True for None, NaN, NaT and pandas.NA."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses bool()
        return True


def _py(value):
    """A numpy scalar as the python value, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _column(data, key, name):
    """A column of the annotation table as a 1-D numpy array."""
    if data is None:
        values = key
    else:
        try:
            values = data[key]
        except (KeyError, IndexError, TypeError) as exc:
            cols = list(getattr(data, "columns", getattr(data, "keys", list)()))
            raise ValueError(
                f"the annotation table has no {name} column {key!r}; its columns "
                f"are {cols}."
            ) from exc
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(
            f"the {name} column must be 1-D; got an array of shape {arr.shape}."
        )
    if arr.dtype.kind == "f":
        bad = np.isnan(arr)
    elif arr.dtype.kind in "OUSMm":
        bad = np.fromiter((_is_missing(v) for v in arr), bool, count=arr.size)
    else:
        bad = np.zeros(arr.shape, bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"the {name} column has a missing value (NaN/None) at row {row}; drop "
            "or fill incomplete annotation rows first."
        )
    return arr


def _sorted_unique(values, name):
    try:
        return np.unique(values)
    except TypeError as exc:
        raise ValueError(
            f"the {name} values have mixed, unorderable types; pass {name}s "
            "explicitly to fix their order."
        ) from exc


def _check_reference_list(values, name):
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array; got shape {arr.shape}."
        )
    try:
        n_unique = np.unique(arr).size
    except TypeError:
        n_unique = len(set(arr.tolist()))
    if n_unique != arr.size:
        raise ValueError(f"{name} contains duplicates.")
    return arr


def _gold_indices(gold, classes, n_samples):
    """Column positions of 1-D gold labels within ``classes``."""
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


def _mean_entropy(p):
    return float(np.maximum(entropy_rows(p), 0.0).mean())


def _temper(p, temperature):
    """Rows of ``p ** (1 / T)``, renormalised, in log space (zeros stay zero)."""
    with np.errstate(divide="ignore"):
        z = np.log(p) / temperature
    z -= z.max(axis=1, keepdims=True)
    out = np.exp(z)
    out /= out.sum(axis=1, keepdims=True)
    return out


# --------------------------------------------------------------------------
# 1. annotations -> counts
# --------------------------------------------------------------------------
@validate_params(
    {
        "data": [None, HasMethods(["__getitem__"])],
        "item": [None, "array-like", str, numbers.Integral],
        "annotator": [None, "array-like", str, numbers.Integral],
        "label": [None, "array-like", str, numbers.Integral],
        "classes": [None, "array-like"],
        "items": [None, "array-like"],
        "duplicates": [StrOptions({"raise", "first", "last", "count"})],
        "missing": [StrOptions({"raise", "zero"})],
    },
    prefer_skip_nested_validation=True,
)
def annotations_to_counts(
    data=None,
    *,
    item="item",
    annotator="annotator",
    label="label",
    classes=None,
    items=None,
    duplicates="raise",
    missing="raise",
):
    """Count the votes of a long annotation table per item and class.

    Parameters
    ----------
    data : pandas.DataFrame, mapping of columns or None, default=None
        The long table, one row per annotation. When ``None``, ``item``,
        ``annotator`` and ``label`` are the columns themselves (array-likes of
        equal length).
    item : str, int or array-like, default="item"
        Column name of the item identifier (or the column when ``data=None``).
    annotator : str, int, array-like or None, default="annotator"
        Column name of the annotator identifier (or the column). ``None``
        means anonymous annotations: no duplicate check is possible.
    label : str, int or array-like, default="label"
        Column name of the chosen class label (or the column).
    classes : array-like of shape (n_classes,), default=None
        Class labels in column order. Default: the sorted set of labels in the
        table (a class nobody chose then gets no column, so pass ``classes``
        whenever the class set is known). A label outside ``classes`` is an
        error.
    items : array-like of shape (n_items,), default=None
        Item identifiers in row order of the result (for example the order of
        your feature matrix). Default: the sorted set of items in the table.
        An item of the table outside ``items`` is an error.
    duplicates : {"raise", "first", "last", "count"}, default="raise"
        Policy for several rows with the same ``(item, annotator)`` pair:
        raise, keep the first or the last of them (table order), or count
        every row.
    missing : {"raise", "zero"}, default="raise"
        Policy for an item of ``items`` that has no annotation: raise, or keep
        an all-zero row (then turn counts into probabilities with a
        ``prior > 0`` in :func:`~sksoft.targets.counts_to_proba`).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys

        counts : ndarray of shape (n_items, n_classes), dtype int64
            Votes per item (rows in ``items`` order) and class (columns in
            ``classes`` order).
        classes : ndarray of shape (n_classes,)
            The class order of the columns.
        item_ids : ndarray of shape (n_items,)
            The item order of the rows (named ``item_ids`` because
            ``Bunch.items`` is the dict method).
        n_annotations : ndarray of shape (n_items,), dtype int64
            Number of annotations counted per item (``counts.sum(axis=1)``).
        n_duplicates : int
            Number of rows that repeated an earlier ``(item, annotator)`` pair
            (dropped unless ``duplicates="count"``).

    Raises
    ------
    ValueError
        For an empty table, columns of unequal length or not 1-D, missing
        values (NaN/None) in a column, an unknown class or item, duplicate
        ``(item, annotator)`` rows with ``duplicates="raise"`` and items without
        annotations with ``missing="raise"``.

    See Also
    --------
    sksoft.targets.counts_to_proba : Turn the counts into probability rows.
    simulate_multinomial_panel : Simulated counts from given probabilities.

    Examples
    --------
    >>> from sksoft.sources import annotations_to_counts
    >>> res = annotations_to_counts(
    ...     item=["a", "a", "a", "b", "b"],
    ...     annotator=[1, 2, 3, 1, 2],
    ...     label=["cat", "dog", "cat", "dog", "dog"],
    ...     classes=["cat", "dog", "fox"],
    ... )
    >>> res.counts
    array([[2, 1, 0],
           [0, 2, 0]])
    >>> res.item_ids, res.n_annotations
    (array(['a', 'b'], dtype='<U1'), array([3, 2]))
    """
    item_col = _column(data, item, "item")
    label_col = _column(data, label, "label")
    annot_col = None if annotator is None else _column(data, annotator, "annotator")
    n = item_col.shape[0]
    lengths = {"item": n, "label": label_col.shape[0]}
    if annot_col is not None:
        lengths["annotator"] = annot_col.shape[0]
    if len(set(lengths.values())) != 1:
        raise ValueError(f"the annotation columns differ in length: {lengths}.")
    if n == 0:
        raise ValueError("the annotation table is empty: it has 0 rows.")

    if classes is None:
        classes = _sorted_unique(label_col, "label")
    else:
        classes = _check_reference_list(classes, "classes")
    if items is None:
        items = _sorted_unique(item_col, "item")
    else:
        items = _check_reference_list(items, "items")

    label_code = encode_labels(label_col, classes, name="label")
    item_code = encode_labels(item_col, items, name="item", classes_name="the items")

    keep = np.ones(n, dtype=bool)
    n_duplicates = 0
    if annot_col is not None:
        _, annot_code = np.unique(
            np.asarray([str(type(v)) + repr(v) for v in annot_col.tolist()])
            if annot_col.dtype.kind == "O"
            else annot_col,
            return_inverse=True,
        )
        annot_code = annot_code.ravel()
        n_annot = int(annot_code.max()) + 1
        pair = item_code.astype(np.int64) * n_annot + annot_code
        order = np.argsort(pair, kind="stable")
        sorted_pair = pair[order]
        repeat = np.zeros(n, dtype=bool)
        repeat[1:] = sorted_pair[1:] == sorted_pair[:-1]
        n_duplicates = int(repeat.sum())
        if n_duplicates:
            if duplicates == "raise":
                pos = int(np.flatnonzero(repeat)[0])
                first, second = sorted(order[pos - 1 : pos + 1])
                raise ValueError(
                    f"annotator {_py(annot_col[second])!r} labelled item "
                    f"{_py(item_col[second])!r} more than once (rows {first} and "
                    f"{second}; {n_duplicates} duplicate row(s) in all). Pass "
                    "duplicates='first', 'last' or 'count' to choose a policy."
                )
            if duplicates == "first":
                keep[order[repeat]] = False
            elif duplicates == "last":
                last = np.zeros(n, dtype=bool)
                last[:-1] = sorted_pair[:-1] == sorted_pair[1:]
                keep[order[last]] = False

    n_items, n_classes = items.shape[0], classes.shape[0]
    flat = item_code[keep].astype(np.int64) * n_classes + label_code[keep]
    counts = np.bincount(flat, minlength=n_items * n_classes).reshape(
        n_items, n_classes
    )
    counts = counts.astype(np.int64)
    n_annotations = counts.sum(axis=1)
    empty = n_annotations == 0
    if empty.any() and missing == "raise":
        row = int(np.flatnonzero(empty)[0])
        raise ValueError(
            f"item {_py(items[row])!r} (row {row} of items; {int(empty.sum())} item(s) "
            "in all) has no annotation. Pass missing='zero' to keep all-zero rows."
        )
    return Bunch(
        counts=counts,
        classes=classes,
        item_ids=items,
        n_annotations=n_annotations,
        n_duplicates=n_duplicates,
    )


# --------------------------------------------------------------------------
# 2. synthetic soft labels
# --------------------------------------------------------------------------
def _reference_entropy(reference, n_classes):
    ref = check_soft_targets(reference, input_name="reference")
    if ref.shape[1] != n_classes:
        raise ValueError(
            f"reference has {ref.shape[1]} columns but y has {n_classes} classes."
        )
    return _mean_entropy(ref)


@validate_params(
    {
        "y": ["array-like"],
        "epsilon": [None, Interval(numbers.Real, 0, 1, closed="both")],
        "reference": [None, "array-like"],
        "classes": [None, "array-like"],
        "return_epsilon": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def smooth_labels(
    y, epsilon=None, *, reference=None, classes=None, return_epsilon=False
):
    """Label smoothing: mix each target with the uniform distribution.

    Each row becomes ``(1 - epsilon) * y + epsilon / n_classes``. With
    ``epsilon=None`` the smoothing is *solved for* so that the mean entropy of
    the smoothed targets equals the mean entropy of ``reference`` (for example
    the human soft labels), which makes the smoothed arm a fair synthetic
    counterpart of the human one: same average uncertainty, spread evenly.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels or soft targets (anything
        :func:`~sksoft.targets.check_soft_targets` accepts).
    epsilon : float in [0, 1], default=None
        Smoothing weight. Required unless ``reference`` is given.
    reference : array-like of shape (n_samples_ref, n_classes), default=None
        Probability rows whose mean entropy the smoothed targets must match
        when ``epsilon=None``.
    classes : array-like of shape (n_classes,), default=None
        Class order for label ``y`` (passed to ``check_soft_targets``). Needed
        when some class never occurs in ``y``.
    return_epsilon : bool, default=False
        Also return the epsilon used.

    Returns
    -------
    y_smooth : ndarray of shape (n_samples, n_classes)
        Smoothed probability rows.
    epsilon : float
        Only when ``return_epsilon=True``.

    Raises
    ------
    ValueError
        When neither or both of ``epsilon`` and ``reference`` are given, or the
        reference entropy cannot be reached (it is below the mean entropy of
        ``y`` itself).

    See Also
    --------
    apply_temperature : Sharpen or flatten soft targets instead.

    Notes
    -----
    The mean entropy :math:`\\bar H(\\epsilon)` of ``(1 - eps) y + eps u`` is
    concave in ``eps`` with its maximum ``log K`` at ``eps = 1``, hence
    non-decreasing on ``[0, 1]``; the matching ``eps`` is found by Brent's
    method (:func:`scipy.optimize.brentq`) to ``xtol=1e-12``.

    Szegedy et al., "Rethinking the Inception Architecture for Computer
    Vision", CVPR 2016.

    Examples
    --------
    >>> from sksoft.sources import smooth_labels
    >>> smooth_labels([0, 2, 1], 0.3)
    array([[0.8, 0.1, 0.1],
           [0.1, 0.1, 0.8],
           [0.1, 0.8, 0.1]])
    >>> y_s, eps = smooth_labels([0, 1], reference=[[0.5, 0.5], [0.5, 0.5]],
    ...                          return_epsilon=True)
    >>> round(eps, 6)
    1.0
    """
    p = check_soft_targets(y, classes=classes)
    k = p.shape[1]
    if (epsilon is None) == (reference is None):
        raise ValueError("pass exactly one of epsilon and reference.")
    if epsilon is None:
        target = _reference_entropy(reference, k)
        h0 = _mean_entropy(p)
        hmax = np.log(k)
        tol = 1e-12 * max(1.0, hmax)
        if target < h0 - tol:
            raise ValueError(
                f"the reference mean entropy ({target:.6g}) is below the mean entropy "
                f"of y ({h0:.6g}); smoothing can only raise it."
            )
        if target <= h0 + tol:
            epsilon = 0.0
        elif target >= hmax - tol:
            epsilon = 1.0
        else:
            u = np.full(k, 1.0 / k)

            def gap(eps):
                return _mean_entropy((1.0 - eps) * p + eps * u) - target

            epsilon = brentq(gap, 0.0, 1.0, xtol=1e-12, rtol=4 * np.finfo(float).eps)
    epsilon = float(epsilon)
    out = (1.0 - epsilon) * p + epsilon / k
    return (out, epsilon) if return_epsilon else out


@validate_params(
    {
        "y": ["array-like"],
        "temperature": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "reference": [None, "array-like"],
        "return_temperature": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def apply_temperature(y, temperature=None, *, reference=None, return_temperature=False):
    """Sharpen (``T < 1``) or flatten (``T > 1``) soft targets with a temperature.

    Each row becomes ``p ** (1 / T) / sum(p ** (1 / T))``. For probabilities
    that are a softmax of logits ``z`` this equals ``softmax(z / T)``, the
    usual temperature of knowledge distillation. Zero entries stay zero and
    one-hot rows are unchanged.

    Parameters
    ----------
    y : array-like of shape (n_samples, n_classes)
        Probability rows.
    temperature : float > 0, default=None
        The temperature. Required unless ``reference`` is given.
    reference : array-like of shape (n_samples_ref, n_classes), default=None
        When ``temperature=None``, the temperature is solved for so that the
        mean entropy of the result equals the mean entropy of ``reference``.
    return_temperature : bool, default=False
        Also return the temperature used.

    Returns
    -------
    y_tempered : ndarray of shape (n_samples, n_classes)
    temperature : float
        Only when ``return_temperature=True``.

    Raises
    ------
    ValueError
        When neither or both of ``temperature`` and ``reference`` are given,
        or no temperature in ``[1e-3, 1e3]`` reaches the reference entropy.

    See Also
    --------
    smooth_labels : Mix with the uniform distribution instead.
    teacher_soft_labels : Cross-fitted model soft labels, with a temperature.

    Notes
    -----
    The mean entropy is non-decreasing in ``T`` (each row's escort
    distribution moves from its mode towards uniform over its support), so
    the matching temperature is found by Brent's method on ``log T``.

    Hinton, Vinyals & Dean, "Distilling the Knowledge in a Neural Network",
    2015.

    Examples
    --------
    >>> from sksoft.sources import apply_temperature
    >>> apply_temperature([[0.6, 0.3, 0.1]], 0.5)
    array([[0.782..., 0.195..., 0.021...]])
    >>> apply_temperature([[0.6, 0.3, 0.1]], 1e6).round(3)
    array([[0.333, 0.333, 0.333]])
    """
    p = check_soft_targets(y)
    if p.ndim != 2 or np.asarray(y).ndim != 2:
        raise ValueError("y must be a 2-D matrix of probability rows.")
    if (temperature is None) == (reference is None):
        raise ValueError("pass exactly one of temperature and reference.")
    if temperature is None:
        target = _reference_entropy(reference, p.shape[1])

        def gap(log_t):
            return _mean_entropy(_temper(p, np.exp(log_t))) - target

        lo, hi = np.log(1e-3), np.log(1e3)
        g_lo, g_hi = gap(lo), gap(hi)
        if g_lo > 0 or g_hi < 0:
            raise ValueError(
                f"no temperature in [1e-3, 1e3] gives the reference mean entropy "
                f"{target:.6g}; reachable range is [{g_lo + target:.6g}, "
                f"{g_hi + target:.6g}]."
            )
        temperature = float(np.exp(brentq(gap, lo, hi, xtol=1e-12)))
    out = _temper(p, float(temperature))
    return (out, float(temperature)) if return_temperature else out


def _resolve_cv(cv, random_state):
    if cv is None:
        cv = 5
    if isinstance(cv, numbers.Integral):
        if cv < 2:
            raise ValueError(
                f"cv must be at least 2 folds for cross-fitting; got {cv}."
            )
        return SoftStratifiedKFold(
            n_splits=int(cv), shuffle=True, random_state=random_state
        )
    return cv


@validate_params(
    {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "cv": [None, Interval(numbers.Integral, 2, None, closed="left"), "cv_object"],
        "temperature": [Interval(numbers.Real, 0, None, closed="neither")],
        "classes": [None, "array-like"],
        "random_state": ["random_state"],
        "n_jobs": [None, numbers.Integral],
    },
    prefer_skip_nested_validation=False,
)
def teacher_soft_labels(
    estimator,
    X,
    y,
    *,
    cv=5,
    temperature=1.0,
    classes=None,
    random_state=None,
    n_jobs=None,
):
    """Teacher soft labels by cross-fitting: out-of-fold ``predict_proba``.

    The data are split into folds (stratified on the hard labels); for each
    fold a clone of ``estimator`` is fitted on the other folds and predicts
    the probabilities of the held-out fold. No item is therefore labelled by a
    model that saw it: an in-sample teacher would hand back (near) one-hot
    copies of the training labels on a flexible model, not a soft label.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn classifier with ``predict_proba`` (cloned, never
        fitted in place).
    X : array-like of shape (n_samples, n_features)
        Inputs.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels the teacher is trained on. A 2-D soft matrix is reduced to its
        hard labels (:func:`~sksoft.targets.hard_labels`, ties to the first
        class), since scikit-learn classifiers train on labels.
    cv : int, cross-validation generator or iterable, default=5
        Folds. An int builds
        :class:`SoftStratifiedKFold(cv, shuffle=True,
        random_state=random_state) <sksoft.model_selection.SoftStratifiedKFold>`
        (stratified on the hard labels); a splitter receives the integer
        class codes of ``y`` as its ``y``.
    temperature : float > 0, default=1.0
        Applied to the out-of-fold probabilities with
        :func:`apply_temperature` (``T > 1`` flattens, ``T < 1`` sharpens).
    classes : array-like of shape (n_classes,), default=None
        Column order. Default: the sorted labels of 1-D ``y``, or
        ``arange(n_classes)`` for 2-D ``y``. Classes absent from ``y`` get
        zero columns.
    random_state : int, RandomState instance or None, default=None
        Shuffling of the folds when ``cv`` is an int.
    n_jobs : int, default=None
        Parallel fits (passed to
        :func:`sksoft.model_selection.cross_val_predict`).

    Returns
    -------
    y_teacher : ndarray of shape (n_samples, n_classes)
        Out-of-fold probability rows in ``classes`` order.

    See Also
    --------
    sksoft.model_selection.cross_val_predict : The out-of-fold engine used.
    apply_temperature : The temperature applied here.

    Notes
    -----
    Cross-fitting follows Chernozhukov et al., "Double/debiased machine
    learning for treatment and structural parameters", Econometrics Journal
    2018: every prediction comes from a model fitted without that sample.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksoft.sources import teacher_soft_labels
    >>> X, y = load_iris(return_X_y=True)
    >>> P = teacher_soft_labels(LogisticRegression(max_iter=500), X, y,
    ...                         random_state=0)
    >>> P.shape, bool(abs(P.sum(axis=1) - 1).max() < 1e-12)
    ((150, 3), True)
    """
    y_arr = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] > 1:
        p = check_soft_targets(y_arr, classes=classes, return_classes=True)
        codes = hard_labels(p[0])
        classes_out = p[1]
    else:
        _, classes_out = check_soft_targets(y_arr, classes=classes, return_classes=True)
        codes = encode_labels(np.ravel(y_arr), classes_out, name="y label")
    X = check_array(X, accept_sparse=True, ensure_all_finite=True, dtype=None)
    if X.shape[0] != codes.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {codes.shape[0]}.")
    present = np.unique(codes)
    if present.size < 2:
        raise ValueError("y holds a single class; a teacher needs at least two.")
    splitter = _resolve_cv(cv, random_state)
    oof = cross_val_predict(
        clone(estimator),
        X,
        codes,
        cv=splitter,
        method="predict_proba",
        n_jobs=n_jobs,
        classes=present,
    )
    out = np.zeros((codes.shape[0], len(classes_out)), dtype=np.float64)
    out[:, present] = oof  # classes absent from y keep probability 0
    out /= out.sum(axis=1, keepdims=True)
    if temperature != 1.0:
        out = _temper(out, float(temperature))
    return out


# --------------------------------------------------------------------------
# 3. mode control
# --------------------------------------------------------------------------
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
    g = _gold_indices(gold, classes_out, p.shape[0])
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
    g = _gold_indices(gold, classes_out, p.shape[0])
    return hard_labels(p) != g


# --------------------------------------------------------------------------
# the arms of the controlled comparison
# --------------------------------------------------------------------------
@validate_params(
    {
        "y_soft": ["array-like"],
        "gold": ["array-like"],
        "X": [None, "array-like", "sparse matrix"],
        "classes": [None, "array-like"],
        "counts": ["boolean"],
        "arms": [None, list, tuple],
        "epsilon": [None, Interval(numbers.Real, 0, 1, closed="both")],
        "teacher": [None, HasMethods(["fit", "predict_proba"])],
        "teacher_cv": [
            None,
            Interval(numbers.Integral, 2, None, closed="left"),
            "cv_object",
        ],
        "teacher_temperature": [
            Interval(numbers.Real, 0, None, closed="neither"),
            StrOptions({"match"}),
        ],
        "random_state": ["random_state"],
        "return_info": ["boolean"],
    },
    prefer_skip_nested_validation=False,
)
def make_supervision_arms(
    y_soft,
    gold,
    *,
    X=None,
    classes=None,
    counts=False,
    arms=None,
    epsilon=None,
    teacher=None,
    teacher_cv=5,
    teacher_temperature=1.0,
    random_state=None,
    return_info=False,
):
    """Build the six supervision arms of the controlled soft-label comparison.

    All arms are ``(n_samples, n_classes)`` probability matrices over the same
    rows and columns, so a study trains the same model on each and compares:

    ``gold``
        One-hot of the gold labels.
    ``human_mode``
        One-hot of the human majority vote (mode of ``y_soft``, ties to the
        first class). Differs from ``gold`` on mode-shifted items.
    ``human_soft``
        The human soft labels themselves (``y_soft`` normalised).
    ``human_soft_gold_mode``
        ``human_soft`` with each row's mode swapped onto gold
        (:func:`align_mode`): the human *uncertainty* without the mode shift.
    ``smoothed``
        Label smoothing of ``gold`` with ``epsilon``; by default the epsilon
        that makes the mean entropy equal that of ``human_soft``
        (:func:`smooth_labels`): the same amount of uncertainty, spread
        uniformly.
    ``teacher``
        Cross-fitted soft labels of a classifier trained on the gold labels
        (:func:`teacher_soft_labels`); needs ``X``.

    Parameters
    ----------
    y_soft : array-like of shape (n_samples, n_classes)
        Human (or simulated human-like) soft labels, or vote counts with
        ``counts=True``.
    gold : array-like of shape (n_samples,)
        Gold labels, elements of ``classes``.
    X : array-like of shape (n_samples, n_features), default=None
        Inputs, needed only for the ``teacher`` arm.
    classes : array-like of shape (n_classes,), default=None
        Column labels of ``y_soft``; ``arange(n_classes)`` by default.
    counts : bool, default=False
        Read ``y_soft`` as vote counts.
    arms : list or tuple of str, default=None
        Subset of :data:`ARM_NAMES` to build (returned in canonical order).
        Default: all six.
    epsilon : float in [0, 1], default=None
        Smoothing of the ``smoothed`` arm; ``None`` matches the mean entropy of
        ``human_soft``.
    teacher : classifier, default=None
        Classifier with ``predict_proba`` for the ``teacher`` arm. Default:
        ``LogisticRegression(max_iter=1000)`` on standardised inputs.
    teacher_cv : int, cross-validation generator or iterable, default=5
        Folds of the cross-fitting.
    teacher_temperature : float > 0 or "match", default=1.0
        Temperature of the teacher's probabilities; ``"match"`` solves for the
        temperature that gives the mean entropy of ``human_soft``.
    random_state : int, RandomState instance or None, default=None
        Fold shuffling of the teacher.
    return_info : bool, default=False
        Also return a dict with ``epsilon``, ``teacher_temperature``,
        ``mode_changed`` (rows swapped by :func:`align_mode`),
        ``mode_shift_rate`` (share of rows whose human mode differs from gold)
        and ``classes``.

    Returns
    -------
    arms : dict of str to ndarray of shape (n_samples, n_classes)
        Keyed by the arm names, in the order of :data:`ARM_NAMES`.
    info : dict
        Only when ``return_info=True``.

    See Also
    --------
    align_mode, smooth_labels, teacher_soft_labels, mode_one_hot

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.sources import make_supervision_arms
    >>> y_soft = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]])
    >>> arms = make_supervision_arms(y_soft, [0, 2, 0],
    ...                              arms=["gold", "human_mode",
    ...                                    "human_soft_gold_mode"])
    >>> list(arms)
    ['gold', 'human_mode', 'human_soft_gold_mode']
    >>> arms["human_soft_gold_mode"][2]
    array([0.6, 0.3, 0.1])
    """
    if arms is None:
        arms = ARM_NAMES
    unknown = [a for a in arms if a not in ARM_NAMES]
    if unknown or len(arms) == 0:
        raise ValueError(
            f"unknown arm name(s) {unknown}; choose among {list(ARM_NAMES)}."
            if unknown
            else "arms is empty; choose among " + str(list(ARM_NAMES)) + "."
        )
    y_arr = y_soft.to_numpy() if hasattr(y_soft, "to_numpy") else np.asarray(y_soft)
    if y_arr.ndim != 2:
        raise ValueError(
            f"y_soft must be a 2-D (n_samples, n_classes) matrix; got shape "
            f"{y_arr.shape}."
        )
    p, classes_out = check_soft_targets(
        y_arr, classes=classes, counts=counts, return_classes=True, input_name="y_soft"
    )
    g = _gold_indices(gold, classes_out, p.shape[0])
    n, k = p.shape
    rows = np.arange(n)
    gold_oh = np.zeros((n, k))
    gold_oh[rows, g] = 1.0
    info = {"classes": classes_out, "epsilon": None, "teacher_temperature": None}
    aligned, changed = align_mode(p, g)
    info["mode_changed"] = changed
    info["mode_shift_rate"] = float(np.mean(hard_labels(p) != g))

    built = {}
    for name in ARM_NAMES:
        if name not in arms:
            continue
        if name == "gold":
            built[name] = gold_oh
        elif name == "human_mode":
            built[name] = mode_one_hot(p)
        elif name == "human_soft":
            built[name] = p
        elif name == "human_soft_gold_mode":
            built[name] = aligned
        elif name == "smoothed":
            if epsilon is None:
                built[name], eps = smooth_labels(
                    gold_oh, reference=p, return_epsilon=True
                )
            else:
                built[name], eps = smooth_labels(gold_oh, epsilon, return_epsilon=True)
            info["epsilon"] = eps
        elif name == "teacher":
            if X is None:
                raise ValueError(
                    "the 'teacher' arm needs the inputs X; pass X or leave 'teacher' "
                    "out of arms."
                )
            if teacher is None:
                from sklearn.linear_model import LogisticRegression
                from sklearn.pipeline import make_pipeline
                from sklearn.preprocessing import StandardScaler

                teacher = make_pipeline(
                    StandardScaler(), LogisticRegression(max_iter=1000)
                )
            t = teacher_soft_labels(
                teacher,
                X,
                g,
                cv=teacher_cv,
                classes=np.arange(k),
                random_state=random_state,
            )
            if teacher_temperature == "match":
                t, temp = apply_temperature(t, reference=p, return_temperature=True)
            else:
                temp = float(teacher_temperature)
                t = apply_temperature(t, temp)
            info["teacher_temperature"] = temp
            built[name] = t
    return (built, info) if return_info else built


# --------------------------------------------------------------------------
# 4. simulated annotator panels
# --------------------------------------------------------------------------
@validate_params(
    {
        "proba": ["array-like"],
        "n_annotators": [
            Interval(numbers.Integral, 1, None, closed="left"),
            "array-like",
        ],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def simulate_multinomial_panel(proba, n_annotators=6, *, random_state=None):
    """SIMULATED annotator panel: multinomial votes from given probabilities.

    Each item gets ``n_annotators`` independent votes drawn from its
    probability row, as if annotators sampled from the true label
    distribution. The result is simulated, not human.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Probability rows (for example CIFAR-10H's human proportions, or a
        generative mixture).
    n_annotators : int or array-like of shape (n_samples,), default=6
        Votes per item (about the budget of a typical soft-label study); an
        array gives every item its own panel size (each >= 1).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    counts : ndarray of shape (n_samples, n_classes), dtype int64
        Simulated vote counts; ``counts.sum(axis=1) == n_annotators``.

    See Also
    --------
    simulate_noisy_observer_panel : Votes whose spread follows the input.
    sksoft.targets.counts_to_proba : Counts to soft labels.

    Notes
    -----
    Votes are drawn by inverse-CDF sampling: a uniform ``u`` picks the first
    class whose cumulative probability exceeds it, so classes with zero
    probability are never drawn. The mean of ``counts / n_annotators`` over
    ``R`` independent panels has standard error
    ``sqrt(p (1 - p) / (n_annotators R))`` per entry.

    Examples
    --------
    >>> from sksoft.sources import simulate_multinomial_panel
    >>> counts = simulate_multinomial_panel([[0.7, 0.3, 0.0], [0.0, 0.0, 1.0]],
    ...                                     n_annotators=6, random_state=0)
    >>> counts.sum(axis=1), counts[:, 2]
    (array([6, 6]), array([0, 6]))
    """
    p = check_soft_targets(proba, input_name="proba")
    if np.asarray(proba).ndim != 2:
        raise ValueError("proba must be a 2-D matrix of probability rows.")
    n, k = p.shape
    n_votes = np.asarray(n_annotators)
    if n_votes.ndim == 0:
        n_votes = np.full(n, int(n_votes))
    else:
        if n_votes.shape != (n,):
            raise ValueError(
                f"n_annotators must be an int or have one entry per item ({n}); "
                f"got shape {n_votes.shape}."
            )
        if n_votes.dtype.kind not in "iu" or (n_votes < 1).any():
            raise ValueError("n_annotators must hold integers >= 1.")
    rng = check_random_state(random_state)
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    counts = np.zeros((n, k), dtype=np.int64)
    rows = np.arange(n)
    for a in range(int(n_votes.max())):
        u = rng.random_sample(n)
        choice = np.minimum((cdf <= u[:, None]).sum(axis=1), k - 1)
        active = n_votes > a
        np.add.at(counts, (rows[active], choice[active]), 1)
    return counts


def _blur_matrices(sigmas, size):
    """Row-normalised Gaussian blur matrices, one per sigma, shape (m, size, size)."""
    d = np.arange(size)[:, None] - np.arange(size)[None, :]
    s = np.maximum(sigmas, 1e-6)[:, None, None]
    w = np.exp(-0.5 * (d[None] / s) ** 2)
    w /= w.sum(axis=2, keepdims=True)
    return w


def _perturb(X, perturbation, strength, image_shape, lo, hi, rng):
    n = X.shape[0]
    if callable(perturbation):
        out = np.asarray(perturbation(X.copy(), rng), dtype=np.float64)
        if out.shape != X.shape:
            raise ValueError(
                f"the perturbation callable returned shape {out.shape}; expected "
                f"{X.shape}."
            )
        return out
    if perturbation == "noise":
        out = X + rng.normal(scale=strength * (hi - lo), size=X.shape)
        return np.clip(out, lo, hi)
    img = X.reshape((n,) + tuple(image_shape))
    h, w = image_shape[-2], image_shape[-1]
    if perturbation == "blur":
        # each observer sees each item at its own blur, sigma ~ U(0.5, 1.5) * strength
        sig = strength * rng.uniform(0.5, 1.5, size=n)
        bh, bw = _blur_matrices(sig, h), _blur_matrices(sig, w)
        if img.ndim == 4:
            out = np.einsum("nij,ncjk,nlk->ncil", bh, img, bw)
        else:
            out = np.einsum("nij,njk,nlk->nil", bh, img, bw)
        return out.reshape(X.shape)
    # occlusion: a square patch of side ceil(strength * min(h, w)) set to `lo`
    side = int(np.ceil(strength * min(h, w)))
    out = img.copy()
    if side > 0:
        side = min(side, h, w)
        top = rng.integers(0, h - side + 1, size=n)
        left = rng.integers(0, w - side + 1, size=n)
        rr = np.arange(h)[None, :, None]
        cc = np.arange(w)[None, None, :]
        mask = (
            (rr >= top[:, None, None])
            & (rr < (top + side)[:, None, None])
            & (cc >= left[:, None, None])
            & (cc < (left + side)[:, None, None])
        )
        if out.ndim == 4:
            mask = mask[:, None]
        out = np.where(mask, lo, out)
    return out.reshape(X.shape)


@validate_params(
    {
        "estimator": [HasMethods(["predict"])],
        "X": ["array-like"],
        "n_annotators": [Interval(numbers.Integral, 1, None, closed="left")],
        "perturbation": [StrOptions({"noise", "blur", "occlusion"}), callable],
        "strength": [Interval(numbers.Real, 0, None, closed="left")],
        "image_shape": [None, tuple, list],
        "feature_range": [None, tuple, list],
        "random_state": ["random_state"],
        "return_votes": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def simulate_noisy_observer_panel(
    estimator,
    X,
    *,
    n_annotators=6,
    perturbation="noise",
    strength=0.25,
    image_shape=None,
    feature_range=None,
    random_state=None,
    return_votes=False,
):
    """SIMULATED "noisy observer" panel: a reference model labels perturbed inputs.

    Each of ``n_annotators`` simulated observers sees its own randomly
    perturbed copy of every input (Gaussian pixel noise, blur or an
    occluding patch) and votes the class a *reference classifier* predicts
    for it. Clear inputs keep their label under perturbation; ambiguous ones
    (blends, atypical shapes) flip between classes, so the vote spread
    follows how ambiguous the input really is and the majority can differ
    from the gold label. The result is simulated, not human.

    The reference classifier must be fitted on data **disjoint** from the
    items in ``X`` (otherwise it has memorised them and the panel is too
    confident); this function cannot check that.

    Parameters
    ----------
    estimator : fitted classifier
        Reference classifier with ``predict`` and ``classes_``.
    X : array-like of shape (n_samples, n_features)
        Items to label (flattened images for ``"blur"`` / ``"occlusion"``).
    n_annotators : int, default=6
        Simulated observers per item (about the budget of a typical study).
    perturbation : {"noise", "blur", "occlusion"} or callable, default="noise"
        ``"noise"``: add Gaussian noise with standard deviation
        ``strength * (hi - lo)`` and clip to ``[lo, hi]``;
        ``"blur"``: Gaussian blur of each image with
        ``sigma = strength * U(0.5, 1.5)`` pixels, drawn per observer and item;
        ``"occlusion"``: a square patch of side ``ceil(strength * min(h, w))``
        at a random place is set to ``lo``;
        a callable ``f(X_copy, rng) -> X_perturbed`` (``rng`` a
        :class:`numpy.random.Generator`) defines your own.
    strength : float >= 0, default=0.25
        Perturbation strength (0 means every observer sees the clean input
        and the panel is unanimous).
    image_shape : tuple, default=None
        ``(h, w)`` or ``(channels, h, w)`` of one image, for ``"blur"`` and
        ``"occlusion"``. Default: square grey images, ``h = w =
        sqrt(n_features)``.
    feature_range : tuple (lo, hi), default=None
        Range of the pixel values; default the min and max of ``X``.
    random_state : int, RandomState instance or None, default=None
        Seed of the perturbations.
    return_votes : bool, default=False
        Also return the individual votes.

    Returns
    -------
    counts : ndarray of shape (n_samples, n_classes), dtype int64
        Simulated vote counts, columns in ``estimator.classes_`` order.
    votes : ndarray of shape (n_samples, n_annotators)
        Each observer's label (elements of ``estimator.classes_``); only with
        ``return_votes=True``.

    See Also
    --------
    simulate_multinomial_panel : Votes drawn from known probabilities.
    sksoft.datasets.make_ambiguous_digits : A testbed labelled by this panel.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksoft.sources import simulate_noisy_observer_panel
    >>> X, y = load_digits(return_X_y=True)
    >>> ref = LogisticRegression(max_iter=2000).fit(X[:900], y[:900])
    >>> counts = simulate_noisy_observer_panel(ref, X[900:910], random_state=0)
    >>> counts.shape, counts.sum(axis=1)
    ((10, 10), array([6, 6, 6, 6, 6, 6, 6, 6, 6, 6]))
    """
    check_is_fitted(estimator)
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ValueError("the reference estimator has no classes_ attribute.")
    X = check_array(X, dtype=np.float64, ensure_all_finite=True)
    n, d = X.shape
    if not callable(perturbation) and perturbation in ("blur", "occlusion"):
        if image_shape is None:
            side = int(round(np.sqrt(d)))
            if side * side != d:
                raise ValueError(
                    f"cannot infer a square image from {d} features; pass image_shape."
                )
            image_shape = (side, side)
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) not in (2, 3) or int(np.prod(image_shape)) != d:
            raise ValueError(
                f"image_shape {image_shape} does not match {d} features; use (h, w) "
                "or (channels, h, w)."
            )
    if feature_range is None:
        lo, hi = float(X.min()), float(X.max())
    else:
        if len(feature_range) != 2 or not feature_range[0] < feature_range[1]:
            raise ValueError(
                f"feature_range must be (lo, hi) with lo < hi; got {feature_range}."
            )
        lo, hi = float(feature_range[0]), float(feature_range[1])
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    rng = np.random.default_rng(seed)
    classes = np.asarray(classes)
    votes = np.empty((n, n_annotators), dtype=np.intp)
    for a in range(n_annotators):
        Xa = (
            X
            if strength == 0 and not callable(perturbation)
            else _perturb(X, perturbation, strength, image_shape, lo, hi, rng)
        )
        votes[:, a] = encode_labels(
            np.asarray(estimator.predict(Xa)),
            classes,
            name="predicted label",
            classes_name="classes_",
        )
    counts = np.zeros((n, classes.shape[0]), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), n_annotators), votes.ravel()), 1)
    if return_votes:
        return counts, classes[votes]
    return counts
