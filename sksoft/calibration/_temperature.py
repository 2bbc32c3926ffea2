"""Post-hoc calibration fitted on soft (human) or hard (gold) targets.

Temperature scaling (Guo et al., 2017) rescales a classifier's logits by one
positive number fitted on held-out data. scikit-learn's
``CalibratedClassifierCV(method="temperature")`` (since 1.8) fits it against
hard labels; :class:`TemperatureScalingClassifier` fits it against hard labels
*or* soft targets (human label distributions, vote counts), minimising the
soft log loss, and equals scikit-learn's calibrator on hard labels.
"""

import numbers

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

from ..utils._sklearn_compat import Interval, validate_params
from ._base import (
    _as_target,
    _BaseLogitCalibrator,
    _check_proba_input,
    _check_weight,
    _proba_to_logits,
)

__all__ = ["TemperatureScalingClassifier", "fit_temperature", "temperature_scale"]

# bounds of the search on log T (scikit-learn searches log(1/T) on (-10, 10))
_LOG_T_BOUNDS = (-10.0, 10.0)


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


class TemperatureScalingClassifier(_BaseLogitCalibrator):
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
        Class labels: the column names of a pandas DataFrame of soft targets
        (``y`` or ``soft_target``) when it has one per class, else those of
        the fitted base estimator. Columns that name the base estimator's
        classes in another order are refused.
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

    _parameter_constraints = {**_BaseLogitCalibrator._parameter_constraints}
    _what = "temperature scaling"

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

    def _fit_map(self, logits, target, weight):
        return float(np.exp(_fit_log_temperature(logits, target, weight)))

    def _apply_map(self, logits, temperature):
        return logits / temperature

    def _store_maps(self, maps):
        self.temperatures_ = np.asarray(maps, dtype=np.float64)
        if len(maps) == 1:
            self.temperature_ = float(maps[0])
        elif hasattr(self, "temperature_"):
            del self.temperature_

    def _maps(self):
        return self.temperatures_
