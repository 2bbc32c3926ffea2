"""Shared machinery of the post-hoc calibrators: inputs, targets, cross-fitting.

:class:`_BaseLogitCalibrator` is the meta-estimator protocol that
:class:`~sksoft.calibration.TemperatureScalingClassifier`,
:class:`~sksoft.calibration.VectorScalingClassifier` and
:class:`~sksoft.calibration.DirichletCalibrationClassifier` share: it checks
``y`` (hard labels, probability rows or vote counts), fits the base estimator
(frozen, cross-fitted with ``ensemble=True``, or out-of-fold with
``ensemble=False``) and hands each calibrator its logits and targets. A
subclass only says how one calibration map is fitted and applied
(``_fit_map`` / ``_apply_map``) and stores its fitted maps (``_store_maps``).
"""

import numbers
import warnings
from inspect import signature

import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import check_cv
from sklearn.utils import indexable
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from ..targets import check_probabilities, check_soft_targets, encode_labels
from ..utils._frames import frame_classes
from ..utils._sklearn_compat import HasMethods, StrOptions, safe_indexing

# scikit-learn's ``_convert_to_logits``: probabilities become log(p + eps)
_EPS = 1e-12


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
            f"{row}); calibration needs finite logits."
        )
    return logits


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


def _to_numpy(y):
    return y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)


def _is_soft(y):
    arr = _to_numpy(y)
    return arr.ndim == 2 and arr.shape[1] > 1


def _as_target(y, n, n_classes, classes):
    """Soft target rows ``(n, K)`` for hard labels or soft rows."""
    arr = _to_numpy(y)
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


def _slice_params(params, idx, n):
    """Slice per-sample fit parameters (length ``n``) to the rows ``idx``."""
    out = {}
    for key, val in params.items():
        if hasattr(val, "__len__") and not isinstance(val, str) and len(val) == n:
            out[key] = safe_indexing(val, idx)
        else:
            out[key] = val
    return out


def _frame_names(y, soft_target):
    """Class names from the DataFrame columns of ``soft_target``, else ``y``."""
    names = frame_classes(soft_target) if soft_target is not None else None
    if names is None and _is_soft(y):
        names = frame_classes(y)
    return names


def _check_frame_order(names, classes):
    """Column names that are the classes in another order are an error."""
    try:
        same_set = names.shape == classes.shape and set(names.tolist()) == set(
            classes.tolist()
        )
    except TypeError:  # unhashable names
        return
    if same_set and names.tolist() != classes.tolist():
        raise ValueError(
            f"The columns of the y DataFrame {names.tolist()} are the base "
            f"estimator's classes {classes.tolist()} in another order; reorder "
            "the columns."
        )


class _BaseLogitCalibrator(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Cross-fitting protocol of a calibrator of the base estimator's logits."""

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "cv": ["cv_object"],
        "ensemble": ["boolean", StrOptions({"auto"})],
        "response_method": [StrOptions({"auto", "predict_proba", "decision_function"})],
        "counts": ["boolean"],
        "n_jobs": [numbers.Integral, None],
    }

    # the scores ``response_method="auto"`` prefers, in order
    _auto_response = ("decision_function", "predict_proba")
    # the name of the calibration in messages
    _what = "calibration"

    # -- to override -----------------------------------------------------------
    def _fit_map(self, logits, target, weight):  # pragma: no cover - abstract
        raise NotImplementedError

    def _apply_map(self, logits, params):  # pragma: no cover - abstract
        raise NotImplementedError

    def _store_maps(self, maps):  # pragma: no cover - abstract
        raise NotImplementedError

    def _maps(self):  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------
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
        for method in self._auto_response:
            if hasattr(estimator, method):
                return method
        raise ValueError(
            f"{type(estimator).__name__} has neither decision_function nor "
            f"predict_proba; {self._what} needs one of them."
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

    def _estimator_logits(self, est, X):
        method = self._response_name(est)
        return self._logits(getattr(est, method)(X), method, len(self._base_classes))

    def _target(self, y, n):
        classes = self._base_classes
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
                f"{self._what} needs a classifier."
            )
        seen = getattr(self, "_base_classes", None)
        if seen is not None and not np.array_equal(classes, seen):
            raise ValueError(
                "A cross-fitted clone saw the classes "
                f"{list(classes)} instead of {list(seen)}: some class is "
                "missing from a training fold. Use fewer splits."
            )
        self._base_classes = np.asarray(classes)
        return self._base_classes

    def _check_y(self, y, soft_target, sample_weight):
        """Validated ``(y, calibration targets, weights)``."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        y_arr = _to_numpy(y)
        n = y_arr.shape[0] if y_arr.ndim else 0
        if n == 0:
            raise ValueError(f"y is empty: {self._what} needs samples.")
        if _is_soft(y_arr):
            y_arr = check_soft_targets(y_arr, counts=self.counts, input_name="y")
        else:
            check_classification_targets(y_arr)
        calib_y = y_arr
        if soft_target is not None:
            st = _to_numpy(soft_target)
            if st.ndim != 2 or st.shape[0] != n:
                raise ValueError(
                    f"soft_target must be an ({n}, n_classes) matrix; got shape "
                    f"{st.shape}."
                )
            calib_y = check_soft_targets(
                st, counts=self.counts, input_name="soft_target"
            )
        return y_arr, calib_y, _check_weight(sample_weight, n)

    def _route_weight(self, estimator, weight, fit_params, frozen):
        fit_params = dict(fit_params)
        if weight is None:
            return fit_params
        if "sample_weight" in signature(estimator.fit).parameters:
            fit_params["sample_weight"] = weight
        elif not frozen:
            warnings.warn(
                f"{type(estimator).__name__}.fit does not accept sample_weight; "
                f"the weights are used for the {self._what} only.",
                UserWarning,
            )
        return fit_params

    def _cross_fit_pairs(self, estimator, X, y_arr, calib_y, weight, fit_params):
        """``(estimator, logits, targets, weights)`` of each fitted calibrator."""
        soft_y = _is_soft(y_arr)
        n = y_arr.shape[0]
        ensemble = True if self.ensemble == "auto" else bool(self.ensemble)
        cv = check_cv(self.cv, y_arr, classifier=not soft_y)
        splits = list(cv.split(X, y_arr))
        folds = Parallel(n_jobs=self.n_jobs)(
            delayed(self._fit_fold)(
                clone(estimator), X, y_arr, train, test, fit_params, soft_y
            )
            for train, test in splits
        )
        for est, _, _ in folds:
            self._check_classes(est)
        k = len(self._base_classes)
        if ensemble:
            return [
                (
                    est,
                    self._logits(raw, method, k),
                    calib_y[test],
                    None if weight is None else weight[test],
                )
                for (est, raw, method), (_, test) in zip(folds, splits)
            ]
        # one calibrator on the out-of-fold predictions, one model fitted on all
        # data (cross_val_predict would label-encode a soft y column by column,
        # so the folds are fitted here)
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
        est = self._fit_estimator(clone(estimator), X, y_arr, fit_params, soft_y)
        self._check_classes(est)
        return [(est, logits, calib_y, weight)]

    def _set_classes(self, names):
        """``classes_``: the DataFrame ``y``'s column names, else the base's."""
        classes = self._base_classes
        if names is not None and names.shape == classes.shape:
            _check_frame_order(names, classes)
            classes = names
        self.classes_ = classes

    # -- API -------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, soft_target=None, **fit_params):
        """Fit the base estimator(s) and the calibration map(s).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, as accepted by the base estimator.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels, or soft targets (probability rows; vote counts with
            ``counts=True``). The base estimator is fitted on ``y`` and the
            calibration map against ``y`` (or ``soft_target``). A pandas
            DataFrame of soft targets names ``classes_`` by its columns.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights of the calibration map's log loss, also passed to
            the base estimator's ``fit`` when it accepts them.
        soft_target : array-like of shape (n_samples, n_classes), default=None
            Human soft labels to fit the calibration map against when ``y``
            holds the (gold) labels the base estimator is trained on; a
            DataFrame names ``classes_`` by its columns.
        **fit_params : dict
            Passed to the base estimator's ``fit``.

        Returns
        -------
        self : object
            The fitted calibrator.
        """
        self._validate_params()
        X, y = indexable(X, y)
        names = _frame_names(y, soft_target)
        y_arr, calib_y, weight = self._check_y(y, soft_target, sample_weight)
        self.soft_target_fit_ = bool(_is_soft(calib_y))
        estimator = self._get_estimator()
        frozen = isinstance(estimator, FrozenEstimator)
        fit_params = self._route_weight(estimator, weight, fit_params, frozen)
        self._base_classes = None
        if frozen:
            check_is_fitted(estimator)
            self._check_classes(estimator)
            logits = self._estimator_logits(estimator, X)
            pairs = [(estimator, logits, calib_y, weight)]
        else:
            pairs = self._cross_fit_pairs(
                estimator, X, y_arr, calib_y, weight, fit_params
            )
        self.estimators_ = [est for est, _, _, _ in pairs]
        self._store_maps(
            [
                self._fit_map(logits, self._target(t, logits.shape[0]), w)
                for _, logits, t, w in pairs
            ]
        )
        self._set_classes(names)
        first = self.estimators_[0]
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(first, attr):
                setattr(self, attr, getattr(first, attr))
        return self

    def predict_proba(self, X):
        """Calibrated class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples, as accepted by the base estimator.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The mean over ``estimators_`` of the calibrated probabilities of
            each (estimator, map) pair; columns follow ``classes_``.
        """
        check_is_fitted(self)
        proba = None
        for est, params in zip(self.estimators_, self._maps()):
            p = softmax(self._apply_map(self._estimator_logits(est, X), params), 1)
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
