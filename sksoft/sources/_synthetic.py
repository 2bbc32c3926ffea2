"""Synthetic soft labels: smoothing, temperature and teacher.

:func:`smooth_labels`, :func:`apply_temperature` and :func:`teacher_soft_labels`.
"""

import numbers

import numpy as np
from scipy.optimize import brentq
from sklearn.base import clone
from sklearn.utils.validation import check_array

from .._rows import entropy_rows
from ..model_selection import SoftStratifiedKFold, cross_val_predict
from ..targets import check_soft_targets, encode_labels, hard_labels
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    validate_params,
)

__all__ = [
    "apply_temperature",
    "smooth_labels",
    "teacher_soft_labels",
]


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
