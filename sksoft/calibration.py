"""Post-hoc calibration fitted on soft (human) or hard (gold) targets.

Temperature scaling (Guo et al., 2017) rescales a classifier's logits by one
positive number fitted on held-out data. scikit-learn's
``CalibratedClassifierCV(method="temperature")`` (since 1.8) fits it against
hard labels; :class:`TemperatureScalingClassifier` fits it against hard labels
*or* soft targets (human label distributions, vote counts), minimising the
soft log loss, and equals scikit-learn's calibrator on hard labels.
"""

import numbers
import warnings

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import check_cv
from sklearn.utils import indexable
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from .targets import check_probabilities, check_soft_targets, encode_labels
from .utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    safe_indexing,
    validate_params,
)

__all__ = ["TemperatureScalingClassifier", "fit_temperature", "temperature_scale"]

# scikit-learn's ``_convert_to_logits``: probabilities become log(p + eps)
_EPS = 1e-12
# bounds of the search on log T (scikit-learn searches log(1/T) on (-10, 10))
_LOG_T_BOUNDS = (-10.0, 10.0)


def _proba_to_logits(proba):
    return np.log(proba + _EPS)


def _decision_to_logits(decision):
    """Two-class logits ``(0, f)`` for a binary decision function ``f``."""
    decision = np.asarray(decision, dtype=np.float64)
    if decision.ndim == 2 and decision.shape[1] == 1:
        decision = decision[:, 0]
    if decision.ndim == 1:
        return np.column_stack([np.zeros_like(decision), decision])
    return decision


def _check_logits(logits):
    if not np.isfinite(logits).all():
        row = int(np.flatnonzero(~np.isfinite(logits).all(axis=1))[0])
        raise ValueError(
            f"The base estimator's scores contain NaN or infinity (first at row "
            f"{row}); temperature scaling needs finite logits."
        )
    return logits


def _soft_nll(log_t, logits, target, weight):
    logp = log_softmax(logits * np.exp(-log_t), axis=1)
    per_sample = -np.einsum("ij,ij->i", target, logp)
    if weight is None:
        return float(per_sample.mean())
    return float(np.average(per_sample, weights=weight))


def _fit_log_temperature(logits, target, weight):
    """``argmin_{log T}`` of the (weighted) mean soft log loss, bounded Brent."""
    res = minimize_scalar(
        _soft_nll,
        bounds=_LOG_T_BOUNDS,
        method="bounded",
        args=(logits, target, weight),
        options={"xatol": 64 * np.finfo(np.float64).eps},
    )
    if not res.success:  # pragma: no cover - bounded Brent always terminates
        raise RuntimeError(f"Temperature scaling did not converge: {res.message}")
    return float(res.x)


def _check_weight(sample_weight, n):
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(
            f"sample_weight must be 1-D with {n} entries; got shape {w.shape}."
        )
    if not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise ValueError(
            "sample_weight must be finite and non-negative, and the weights must "
            "not all be zero."
        )
    return w


def _check_proba_input(y_prob):
    p = np.asarray(y_prob)
    if p.ndim == 1:
        p = p.astype(np.float64)
        if p.size == 0 or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
            raise ValueError(
                "A 1-D y_prob is the positive-class probability of a binary "
                "problem and must be finite, non-empty and in [0, 1]."
            )
        p = np.column_stack([1.0 - p, p])
    return check_probabilities(p).astype(np.float64, copy=False)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "sample_weight": ["array-like", None],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def fit_temperature(y_true, y_prob, *, sample_weight=None, labels=None):
    r"""Temperature minimising the log loss of given probabilities.

    Fits :math:`T > 0` so that :func:`temperature_scale` ``(y_prob, T)`` has the
    smallest (weighted) mean log loss against ``y_true``: the soft log loss
    against soft targets, the usual log loss against hard labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels (e.g. gold), or probability rows (e.g. human soft labels).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities of held-out samples; 1-D is the positive-class
        column of a binary problem.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the mean log loss.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob``, for hard ``y_true``
        (default: the sorted labels of ``y_true``).

    Returns
    -------
    temperature : float
        The fitted temperature, in :math:`[e^{-10}, e^{10}]`; above 1 the
        predictions were over-confident.

    Raises
    ------
    ValueError
        On NaN/inf, probabilities that are negative or do not sum to 1,
        mismatched lengths or class counts, or empty input.

    See Also
    --------
    temperature_scale : Apply a temperature.
    TemperatureScalingClassifier : The same as a scikit-learn meta-estimator.

    Notes
    -----
    With logits :math:`z_{ik} = \log(p_{ik} + 10^{-12})` (scikit-learn's
    conversion of probabilities) the temperature minimises

    .. math::

        L(T) = -\frac{1}{\sum_i w_i} \sum_i w_i \sum_k y_{ik}
        \log \operatorname{softmax}(z_i / T)_k

    over :math:`\log T \in [-10, 10]` by bounded Brent search
    (:func:`scipy.optimize.minimize_scalar`), as scikit-learn does.

    Guo, Pleiss, Sun and Weinberger, "On calibration of modern neural
    networks", ICML 2017.

    Examples
    --------
    >>> from sksoft.calibration import fit_temperature
    >>> y_prob = [[0.95, 0.05], [0.9, 0.1], [0.2, 0.8], [0.85, 0.15]]
    >>> round(fit_temperature([0, 1, 1, 0], y_prob), 3)
    2.159
    >>> soft = [[0.6, 0.4], [0.5, 0.5], [0.3, 0.7], [0.7, 0.3]]
    >>> round(fit_temperature(soft, y_prob), 3)
    4.914
    """
    proba = _check_proba_input(y_prob)
    n, k = proba.shape
    target = _as_target(y_true, n, k, labels)
    weight = _check_weight(sample_weight, n)
    return float(np.exp(_fit_log_temperature(_proba_to_logits(proba), target, weight)))


@validate_params(
    {
        "y_prob": ["array-like"],
        "temperature": [Interval(numbers.Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def temperature_scale(y_prob, temperature):
    r"""Rescale predicted probabilities with a temperature.

    Returns :math:`\operatorname{softmax}(\log(p + 10^{-12}) / T)` row-wise,
    the calibrated probabilities of :class:`TemperatureScalingClassifier`.

    Parameters
    ----------
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    temperature : float > 0
        The temperature (:func:`fit_temperature`).

    Returns
    -------
    y_scaled : ndarray of shape (n_samples, n_classes)
        Rows sum to 1 (two columns for a 1-D input).

    See Also
    --------
    fit_temperature : Fit the temperature.
    sksoft.sources.apply_temperature : Temper *targets* (``p ** (1/T)``
        renormalised, zero entries kept at zero).

    Notes
    -----
    Up to the :math:`10^{-12}` added before the logarithm (which scikit-learn
    adds too, and which lifts exact zeros), this equals
    :math:`p_k^{1/T} / \sum_j p_j^{1/T}`.

    Examples
    --------
    >>> from sksoft.calibration import temperature_scale
    >>> temperature_scale([[0.9, 0.1]], 2.0).round(3)
    array([[0.75, 0.25]])
    """
    proba = _check_proba_input(y_prob)
    return softmax(_proba_to_logits(proba) / float(temperature), axis=1)


def _as_target(y, n, n_classes, classes):
    """Soft target rows ``(n, K)`` for hard labels or soft rows."""
    arr = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if arr.ndim == 0 or arr.shape[0] != n:
        raise ValueError(
            f"y has {arr.shape[0] if arr.ndim else 0} samples but the predictions "
            f"have {n}."
        )
    if arr.ndim == 2 and arr.shape[1] > 1:
        if arr.shape[1] != n_classes:
            raise ValueError(
                f"The soft targets have {arr.shape[1]} columns but the predictions "
                f"have {n_classes} classes."
            )
        return check_soft_targets(arr, input_name="y")
    if arr.ndim == 2:
        arr = arr[:, 0]
    if classes is None:
        classes = np.unique(arr)
        if len(classes) != n_classes:
            raise ValueError(
                f"y holds {len(classes)} distinct labels but the predictions have "
                f"{n_classes} classes; pass labels= in column order."
            )
    classes = np.asarray(classes)
    idx = encode_labels(arr, classes, name="y", classes_name="the classes")
    out = np.zeros((n, n_classes))
    out[np.arange(n), idx] = 1.0
    return out


def _is_soft(y):
    arr = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    return arr.ndim == 2 and arr.shape[1] > 1


class TemperatureScalingClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Temperature scaling fitted on soft (human) or hard (gold) targets.

    A meta-estimator in the idiom of scikit-learn's
    :class:`~sklearn.calibration.CalibratedClassifierCV`: it divides the base
    classifier's logits by one temperature ``T`` fitted on data the
    classifier was not trained on, by minimising the soft log loss against
    soft targets (human label distributions) or the log loss against hard
    labels. Dividing logits by one number never changes the predicted class.

    Parameters
    ----------
    estimator : classifier, default=None
        The classifier to calibrate; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`. Wrap an already
        fitted classifier in :class:`~sklearn.frozen.FrozenEstimator` to fit
        only the temperature, on the data passed to :meth:`fit` (a held-out
        set).
    cv : int, cross-validation generator or iterable, default=None
        Cross-fitting splits when ``estimator`` is not frozen (ignored when it
        is): ``None`` means 5 folds; an int means
        :class:`~sklearn.model_selection.StratifiedKFold` for hard ``y`` and
        :class:`~sklearn.model_selection.KFold` for soft ``y``, as
        :func:`~sklearn.model_selection.check_cv` chooses.
    ensemble : bool or "auto", default="auto"
        As in ``CalibratedClassifierCV``. ``True``: for each split, a clone of
        ``estimator`` is fitted on the training part and a temperature on the
        test part; :meth:`predict_proba` averages the calibrated
        probabilities of the ``n_splits`` pairs. ``False``: one temperature
        is fitted on the out-of-fold predictions
        (:func:`~sklearn.model_selection.cross_val_predict`) and one clone of
        ``estimator`` is fitted on all data. ``"auto"``: ``False`` for a
        :class:`~sklearn.frozen.FrozenEstimator`, else ``True``.
    response_method : {"auto", "predict_proba", "decision_function"}, \
default="auto"
        The scores that are rescaled. ``"predict_proba"``: logits
        ``log(p + 1e-12)``; ``"decision_function"``: the decision function
        (binary: ``(0, f)``, so that ``T = 1`` reproduces a logistic model's
        own probabilities); ``"auto"``: the decision function if the
        estimator has one, else ``predict_proba``, as scikit-learn does.
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts (normalised per row) instead of
        probability rows, see :func:`sksoft.targets.check_soft_targets`.
    n_jobs : int, default=None
        Jobs for fitting the cross-fitted clones in parallel (joblib). The
        result does not depend on it.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (those of the fitted base estimator).
    estimators_ : list of fitted classifiers
        One per split with ``ensemble=True``, else one (fitted on all data,
        or the frozen estimator).
    temperatures_ : ndarray of shape (n_estimators,)
        The fitted temperature of each estimator in ``estimators_``.
    temperature_ : float
        The fitted temperature; only when one is fitted (``ensemble=False``
        or a frozen estimator).
    soft_target_fit_ : bool
        Whether the temperature was fitted against soft targets.
    n_features_in_ : int
        Number of features seen by the base estimator, if it records it.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the base estimator, if it records them.

    See Also
    --------
    sklearn.calibration.CalibratedClassifierCV : ``method="temperature"`` on
        hard labels; equal to this estimator on hard labels.
    fit_temperature : The temperature of given probabilities.
    temperature_scale : Apply a temperature to given probabilities.

    Notes
    -----
    With logits :math:`z_i` (see ``response_method``) and targets
    :math:`y_{ik}` (one-hot for hard labels, or human label shares), the
    temperature minimises the weighted mean soft log loss

    .. math::

        L(T) = -\\frac{1}{\\sum_i w_i}\\sum_i w_i \\sum_k y_{ik}
        \\log \\operatorname{softmax}(z_i / T)_k ,

    by bounded Brent search on :math:`\\log T \\in [-10, 10]`. On hard labels
    this is scikit-learn's objective, and the probabilities equal
    ``CalibratedClassifierCV(method="temperature")`` with the same ``cv`` and
    ``ensemble`` (its ``beta_`` is :math:`1/T`, for a binary decision
    function :math:`1/(2T)` since it uses logits :math:`(-f, f)`).

    Soft ``y`` is detected automatically: a 2-D ``y`` with more than one
    column is a matrix of probability rows (or, with ``counts=True``, vote
    counts); a 1-D ``y`` holds class labels. With soft ``y`` the base
    estimator is fitted on the soft targets too, so it must accept them
    (e.g. :class:`sksoft.SoftLabelClassifier`); to fit a model on gold
    labels and its temperature on human soft labels, fit the model first
    and wrap it in :class:`~sklearn.frozen.FrozenEstimator`, or pass the
    soft labels as ``soft_target`` to :meth:`fit`.

    Baan et al. (EMNLP 2022) found that temperature scaling repairs the ECE
    of models trained on gold labels but leaves most of the distance to the
    human label distribution: a control for soft-label training.

    References
    ----------
    .. [1] Guo, Pleiss, Sun and Weinberger, "On calibration of modern neural
       networks", ICML 2017.
    .. [2] Baan, Aziz, Plank and Fernandez, "Stop measuring calibration when
       humans disagree", EMNLP 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksoft.calibration import TemperatureScalingClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> soft = np.column_stack([1 / (1 + np.exp(X[:, 0])), 1 / (1 + np.exp(-X[:, 0]))])
    >>> y = (X[:, 0] > 0).astype(int)
    >>> gold_model = LogisticRegression(C=100).fit(X[:100], y[:100])
    >>> calib = TemperatureScalingClassifier(FrozenEstimator(gold_model))
    >>> calib.fit(X[100:], soft[100:]).temperature_ > 1  # gold model over-confident
    True
    >>> calib.predict_proba(X[:2]).sum(axis=1)
    array([1., 1.])
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "cv": ["cv_object"],
        "ensemble": ["boolean", StrOptions({"auto"})],
        "response_method": [StrOptions({"auto", "predict_proba", "decision_function"})],
        "counts": ["boolean"],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        estimator=None,
        *,
        cv=None,
        ensemble="auto",
        response_method="auto",
        counts=False,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.cv = cv
        self.ensemble = ensemble
        self.response_method = response_method
        self.counts = counts
        self.n_jobs = n_jobs

    # -- helpers -------------------------------------------------------------
    def _get_estimator(self):
        if self.estimator is None:
            return LogisticRegression()
        return self.estimator

    def _response_name(self, estimator):
        if self.response_method != "auto":
            if not hasattr(estimator, self.response_method):
                raise ValueError(
                    f"{type(estimator).__name__} has no {self.response_method}; "
                    "set response_method='auto' or choose another."
                )
            return self.response_method
        if hasattr(estimator, "decision_function"):
            return "decision_function"
        if hasattr(estimator, "predict_proba"):
            return "predict_proba"
        raise ValueError(
            f"{type(estimator).__name__} has neither decision_function nor "
            "predict_proba; temperature scaling needs one of them."
        )

    def _logits(self, raw, method, n_classes):
        if method == "predict_proba":
            raw = np.asarray(raw, dtype=np.float64)
            if raw.ndim == 1:
                raw = np.column_stack([1.0 - raw, raw])
            logits = _proba_to_logits(raw)
        else:
            logits = _decision_to_logits(raw)
        if logits.ndim != 2 or logits.shape[1] != n_classes:
            raise ValueError(
                f"The base estimator's {method} has shape {np.shape(raw)}, "
                f"expected {n_classes} classes."
            )
        return _check_logits(logits)

    def _target(self, y, n, classes):
        if _is_soft(y):
            target = check_soft_targets(y, counts=self.counts, input_name="y")
            if target.shape[1] != len(classes):
                raise ValueError(
                    f"The soft targets have {target.shape[1]} columns but the "
                    f"estimator has {len(classes)} classes {list(classes)}."
                )
            return target
        return _as_target(y, n, len(classes), classes)

    def _fit_estimator(self, estimator, X, y, fit_params, soft):
        try:
            return estimator.fit(X, y, **fit_params)
        except (ValueError, TypeError) as exc:
            if not soft:
                raise
            raise ValueError(
                f"{type(estimator).__name__} could not be fitted on soft targets "
                f"({exc}). Fit it on hard labels and pass the soft labels as "
                "soft_target=, or wrap a fitted model in "
                "sklearn.frozen.FrozenEstimator."
            ) from exc

    def _fit_fold(self, estimator, X, y, train, test, fit_params, soft):
        params = _slice_params(fit_params, train, len(y))
        est = self._fit_estimator(
            estimator, safe_indexing(X, train), y[train], params, soft
        )
        method = self._response_name(est)
        return est, getattr(est, method)(safe_indexing(X, test)), method

    def _check_classes(self, estimator):
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            raise ValueError(
                f"{type(estimator).__name__} has no classes_ after fitting; "
                "temperature scaling needs a classifier."
            )
        if hasattr(self, "classes_") and not np.array_equal(classes, self.classes_):
            raise ValueError(
                "A cross-fitted clone saw the classes "
                f"{list(classes)} instead of {list(self.classes_)}: some class is "
                "missing from a training fold. Use fewer splits."
            )
        return np.asarray(classes)

    # -- API -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, soft_target=None, **fit_params):
        """Fit the base estimator(s) and the temperature(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, as accepted by the base estimator.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels, or soft targets (probability rows; vote counts with
            ``counts=True``). The base estimator is fitted on ``y`` and the
            temperature against ``y`` (or ``soft_target``).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights of the temperature's log loss, also passed to the
            base estimator's ``fit`` when it accepts them.
        soft_target : array-like of shape (n_samples, n_classes), default=None
            Human soft labels to fit the temperature against when ``y`` holds
            the (gold) labels the base estimator is trained on.
        **fit_params : dict
            Passed to the base estimator's ``fit``.

        Returns
        -------
        self : object
            The fitted calibrator.
        """
        self._validate_params()
        from inspect import signature

        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )

        X, y = indexable(X, y)
        y_arr = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
        n = y_arr.shape[0] if y_arr.ndim else 0
        if n == 0:
            raise ValueError("y is empty: temperature scaling needs samples.")
        soft_y = _is_soft(y_arr)
        if soft_y:
            y_arr = check_soft_targets(y_arr, counts=self.counts, input_name="y")
        else:
            from sklearn.utils.multiclass import check_classification_targets

            check_classification_targets(y_arr)
        calib_y = y_arr
        if soft_target is not None:
            st = np.asarray(soft_target)
            if st.ndim != 2 or st.shape[0] != n:
                raise ValueError(
                    f"soft_target must be an ({n}, n_classes) matrix; got shape "
                    f"{st.shape}."
                )
            calib_y = check_soft_targets(
                st, counts=self.counts, input_name="soft_target"
            )
        weight = _check_weight(sample_weight, n)
        self.soft_target_fit_ = bool(_is_soft(calib_y))

        estimator = self._get_estimator()
        frozen = isinstance(estimator, FrozenEstimator)
        ensemble = (not frozen) if self.ensemble == "auto" else bool(self.ensemble)
        fit_params = dict(fit_params)
        if weight is not None:
            if "sample_weight" in signature(estimator.fit).parameters:
                fit_params["sample_weight"] = weight
            elif not frozen:
                warnings.warn(
                    f"{type(estimator).__name__}.fit does not accept "
                    "sample_weight; the weights are used for the temperature only.",
                    UserWarning,
                )
        if hasattr(self, "classes_"):
            del self.classes_

        if frozen:
            check_is_fitted(estimator)
            est = estimator
            self.classes_ = self._check_classes(est)
            method = self._response_name(est)
            logits = self._logits(getattr(est, method)(X), method, len(self.classes_))
            pairs = [(est, logits, calib_y, weight)]
        else:
            cv = check_cv(self.cv, y_arr, classifier=not soft_y)
            splits = list(cv.split(X, y_arr))
            folds = Parallel(n_jobs=self.n_jobs)(
                delayed(self._fit_fold)(
                    clone(estimator), X, y_arr, train, test, fit_params, soft_y
                )
                for train, test in splits
            )
            for est, _, _ in folds:
                self.classes_ = self._check_classes(est)
            k = len(self.classes_)
            if ensemble:
                pairs = [
                    (
                        est,
                        self._logits(raw, method, k),
                        calib_y[test],
                        None if weight is None else weight[test],
                    )
                    for (est, raw, method), (_, test) in zip(folds, splits)
                ]
            else:
                # one temperature on the out-of-fold predictions, one model
                # fitted on all data (cross_val_predict would label-encode a
                # soft y column by column, so the folds are fitted here)
                logits = np.full((n, k), np.nan)
                seen = np.zeros(n, dtype=bool)
                for (_, raw, method), (_, test) in zip(folds, splits):
                    logits[test] = self._logits(raw, method, k)
                    seen[test] = True
                if not seen.all():
                    raise ValueError(
                        "ensemble=False needs a cv whose test folds cover every "
                        "sample (a partition such as KFold)."
                    )
                est = self._fit_estimator(
                    clone(estimator), X, y_arr, fit_params, soft_y
                )
                self.classes_ = self._check_classes(est)
                pairs = [(est, logits, calib_y, weight)]

        self.estimators_ = []
        temps = []
        for est, logits, target_y, w in pairs:
            target = self._target(target_y, logits.shape[0], self.classes_)
            temps.append(np.exp(_fit_log_temperature(logits, target, w)))
            self.estimators_.append(est)
        self.temperatures_ = np.asarray(temps, dtype=np.float64)
        if len(temps) == 1:
            self.temperature_ = float(temps[0])
        elif hasattr(self, "temperature_"):
            del self.temperature_
        first = self.estimators_[0]
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(first, attr):
                setattr(self, attr, getattr(first, attr))
        return self

    def predict_proba(self, X):
        """Temperature-scaled class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as accepted by the base estimator.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The mean over ``estimators_`` of
            ``softmax(logits / temperature)``; columns follow ``classes_``.
        """
        check_is_fitted(self)
        proba = None
        for est, temp in zip(self.estimators_, self.temperatures_):
            method = self._response_name(est)
            logits = self._logits(getattr(est, method)(X), method, len(self.classes_))
            p = softmax(logits / temp, axis=1)
            proba = p if proba is None else proba + p
        proba /= len(self.estimators_)
        return proba

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Class with the highest calibrated probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self._get_estimator()
        try:
            inner_tags = inner.__sklearn_tags__()
        except AttributeError:  # pragma: no cover
            return tags
        tags.input_tags.sparse = inner_tags.input_tags.sparse
        tags.input_tags.allow_nan = inner_tags.input_tags.allow_nan
        tags.classifier_tags.multi_class = True
        return tags


def _slice_params(params, idx, n):
    """Slice per-sample fit parameters (length ``n``) to the rows ``idx``."""
    out = {}
    for key, val in params.items():
        if hasattr(val, "__len__") and not isinstance(val, str) and len(val) == n:
            out[key] = safe_indexing(val, idx)
        else:
            out[key] = val
    return out
