"""Dirichlet calibration and vector scaling, fitted on soft or hard targets.

Dirichlet calibration (Kull et al., NeurIPS 2019) maps the log-probabilities
``x = log p`` of a classifier to ``softmax(W x + b)``: multinomial logistic
regression on ``log p``, regularised by ODIR (off-diagonal and intercept
regularisation). Vector scaling restricts ``W`` to a diagonal matrix. Both are
fitted here by L-BFGS on the (weighted) mean soft cross-entropy with its
analytic gradient, so soft targets (human label distributions, vote counts)
and hard labels are handled by one objective.
"""

import numbers
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

from ..utils._sklearn_compat import Interval, validate_params
from ._base import (
    _as_target,
    _BaseLogitCalibrator,
    _check_proba_input,
    _check_weight,
    _proba_to_logits,
)

__all__ = [
    "DirichletCalibrationClassifier",
    "VectorScalingClassifier",
    "fit_dirichlet",
]

#: default ODIR strengths (see the Notes of DirichletCalibrationClassifier)
_DEFAULT_LAMBDA = 1e-2
_DEFAULT_MU = 1e-2
# folds of the inner cross-validation that picks (lambda, mu) from a grid
_GRID_FOLDS = 3


def _unpack(theta, k, diagonal):
    if diagonal:
        return np.diag(theta[:k]), theta[k:]
    return theta[: k * k].reshape(k, k), theta[k * k :]


def _objective(theta, x, target, weight, reg_lambda, reg_mu, diagonal):
    """Mean soft cross-entropy + ODIR and its gradient in ``theta``."""
    n, k = x.shape
    W, b = _unpack(theta, k, diagonal)
    z = x @ W.T + b
    logq = log_softmax(z, axis=1)
    w = weight / weight.sum()
    loss = -float(np.einsum("i,ik,ik->", w, target, logq))
    # rows of target sum to 1: d loss / d z_i = w_i (softmax(z_i) - y_i)
    G = (np.exp(logq) - target) * w[:, None]
    gW = G.T @ x
    gb = G.sum(axis=0)
    if not diagonal and k > 1:
        off = W - np.diag(np.diag(W))
        scale = reg_lambda / (k * (k - 1))
        loss += scale * float(np.sum(off**2))
        gW = gW + 2.0 * scale * off
    loss += reg_mu / k * float(b @ b)
    gb = gb + 2.0 * reg_mu / k * b
    grad = np.diag(gW) if diagonal else gW.ravel()
    return loss, np.concatenate([grad, gb])


def _fit_map(x, target, weight, reg_lambda, reg_mu, diagonal, max_iter):
    """``(W, b)`` minimising the regularised soft cross-entropy (L-BFGS)."""
    n, k = x.shape
    weight = np.ones(n) if weight is None else weight
    theta0 = np.concatenate(
        [np.ones(k) if diagonal else np.eye(k).ravel(), np.zeros(k)]
    )
    res = minimize(
        _objective,
        theta0,
        args=(x, target, weight, reg_lambda, reg_mu, diagonal),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": 1e-10, "ftol": 1e-15},
    )
    if res.nit >= max_iter:
        warnings.warn(
            f"Dirichlet calibration did not converge in max_iter={max_iter} "
            "L-BFGS iterations; increase max_iter or the regularisation.",
            ConvergenceWarning,
        )
    return (*_unpack(res.x, k, diagonal), max(int(res.nit), 1))


def _grid(value):
    return np.atleast_1d(np.asarray(value, dtype=np.float64))


def _select_and_fit(x, target, weight, lambdas, mus, diagonal, max_iter):
    """Fit on all rows with the (lambda, mu) of lowest inner-CV soft log loss."""
    if diagonal:
        lambdas = lambdas[:1]
    if lambdas.size == 1 and mus.size == 1:
        return _fit_map(x, target, weight, lambdas[0], mus[0], diagonal, max_iter)
    n = x.shape[0]
    if n < _GRID_FOLDS:
        raise ValueError(
            f"choosing the regularisation from a grid needs at least {_GRID_FOLDS} "
            f"calibration samples; got {n}."
        )
    w = np.ones(n) if weight is None else weight
    folds = list(KFold(_GRID_FOLDS, shuffle=True, random_state=0).split(x))
    best, best_loss = None, np.inf
    for lam in lambdas:
        for mu in mus:
            total = 0.0
            for train, test in folds:
                W, b, _ = _fit_map(
                    x[train], target[train], w[train], lam, mu, diagonal, max_iter
                )
                logq = log_softmax(x[test] @ W.T + b, axis=1)
                total -= float(np.einsum("i,ik,ik->", w[test], target[test], logq))
            if total < best_loss:
                best, best_loss = (lam, mu), total
    return _fit_map(x, target, weight, best[0], best[1], diagonal, max_iter)


_REG = [Interval(numbers.Real, 0, None, closed="left"), "array-like"]


def _check_reg(value, name):
    grid = _grid(value)
    if grid.ndim != 1 or grid.size == 0 or not np.isfinite(grid).all():
        raise ValueError(f"{name} must be a float >= 0 or a 1-D grid of them.")
    if (grid < 0).any():
        raise ValueError(f"{name} must be >= 0; got {grid.min()}.")
    return grid


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "reg_lambda": _REG,
        "reg_mu": _REG,
        "diagonal": ["boolean"],
        "sample_weight": ["array-like", None],
        "labels": ["array-like", None],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def fit_dirichlet(
    y_true,
    y_prob,
    *,
    reg_lambda=_DEFAULT_LAMBDA,
    reg_mu=_DEFAULT_MU,
    diagonal=False,
    sample_weight=None,
    labels=None,
    max_iter=1000,
):
    r"""Dirichlet calibration map (or vector scaling) of given probabilities.

    Fits ``W`` and ``b`` so that ``softmax(W @ log(p) + b)`` has the smallest
    regularised (weighted) mean log loss against ``y_true``: the soft log
    loss against soft targets, the usual log loss against hard labels.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels (e.g. gold), or probability rows (e.g. human soft labels).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities of held-out samples; 1-D is the positive-class
        column of a binary problem.
    reg_lambda : float or array-like of floats, default=1e-2
        Strength of the off-diagonal penalty (ignored when ``diagonal``). A
        grid of values is searched by 3-fold cross-validation of the soft log
        loss (with ``reg_mu``), then the map is refitted on all samples.
    reg_mu : float or array-like of floats, default=1e-2
        Strength of the intercept penalty, or a grid of values.
    diagonal : bool, default=False
        Fit a diagonal ``W`` (vector scaling).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights of the mean log loss.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob``, for hard ``y_true``.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations.

    Returns
    -------
    coef : ndarray of shape (n_classes, n_classes)
        The matrix ``W`` (diagonal with ``diagonal=True``).
    intercept : ndarray of shape (n_classes,)
        The intercept ``b``.

    Raises
    ------
    ValueError
        On NaN/inf, probabilities that are negative or do not sum to 1,
        mismatched lengths or class counts, empty input, or a negative
        regularisation strength.

    See Also
    --------
    DirichletCalibrationClassifier : The same as a meta-estimator.
    fit_temperature : One temperature instead of a matrix.

    Notes
    -----
    With :math:`x_i = \log(p_i + 10^{-12})`, :math:`q_i =
    \operatorname{softmax}(W x_i + b)` and targets :math:`y_{ik}` it
    minimises

    .. math::

        -\frac{1}{\sum_i w_i}\sum_i w_i \sum_k y_{ik} \log q_{ik}
        + \frac{\lambda}{K(K-1)} \sum_{j \neq k} W_{jk}^2
        + \frac{\mu}{K} \sum_k b_k^2

    (Kull et al.'s ODIR) by L-BFGS from the identity map ``W = I, b = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.calibration import fit_dirichlet
    >>> y_prob = [[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]]
    >>> W, b = fit_dirichlet([0, 1, 2, 1], y_prob, reg_lambda=1.0, reg_mu=1.0)
    >>> W.shape, b.shape
    ((3, 3), (3,))
    >>> W, b = fit_dirichlet([0, 1, 2, 1], y_prob, diagonal=True)
    >>> bool(np.all(W == np.diag(np.diag(W))))
    True
    """
    proba = _check_proba_input(y_prob)
    n, k = proba.shape
    target = _as_target(y_true, n, k, labels)
    weight = _check_weight(sample_weight, n)
    lambdas = _check_reg(reg_lambda, "reg_lambda")
    mus = _check_reg(reg_mu, "reg_mu")
    W, b, _ = _select_and_fit(
        _proba_to_logits(proba), target, weight, lambdas, mus, diagonal, max_iter
    )
    return W, b


class DirichletCalibrationClassifier(_BaseLogitCalibrator):
    """Dirichlet calibration fitted on soft (human) or hard (gold) targets.

    A meta-estimator with the protocol of
    :class:`~sksoft.calibration.TemperatureScalingClassifier`: the base
    classifier's log-probabilities ``x = log p`` are mapped to
    ``softmax(W x + b)``, with ``W`` and ``b`` fitted on data the classifier
    was not trained on against soft targets (human label distributions, vote
    counts) or hard labels. Unlike a temperature, a matrix can change the
    predicted class.

    Parameters
    ----------
    estimator : classifier, default=None
        The classifier to calibrate; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`. Wrap an already
        fitted classifier in :class:`~sklearn.frozen.FrozenEstimator` to fit
        only the map, on the data passed to :meth:`fit`.
    reg_lambda : float or array-like of floats, default=1e-2
        Off-diagonal regularisation strength (ODIR's lambda); a 1-D grid is
        searched by 3-fold cross-validation of the soft log loss on each
        calibration set, together with ``reg_mu``.
    reg_mu : float or array-like of floats, default=1e-2
        Intercept regularisation strength (ODIR's mu), or a grid.
    cv : int, cross-validation generator or iterable, default=None
        Cross-fitting splits when ``estimator`` is not frozen, as in
        :class:`~sksoft.calibration.TemperatureScalingClassifier`.
    ensemble : bool or "auto", default="auto"
        As in :class:`~sksoft.calibration.TemperatureScalingClassifier`:
        ``True`` fits one (clone, map) pair per split and averages their
        probabilities; ``False`` fits one map on out-of-fold predictions.
    response_method : {"auto", "predict_proba", "decision_function"}, \
default="auto"
        ``"predict_proba"``: features ``log(p + 1e-12)`` (Dirichlet
        calibration proper); ``"decision_function"``: the decision function
        as logits (matrix scaling); ``"auto"``: ``predict_proba`` if the
        estimator has it, else the decision function.
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts (normalised per row).
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations per map.
    n_jobs : int, default=None
        Jobs for fitting the cross-fitted clones in parallel; the result does
        not depend on it.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels: the column names of a pandas DataFrame of soft targets
        when it has one per class, else those of the base estimator.
    estimators_ : list of fitted classifiers
        One per split with ``ensemble=True``, else one.
    coefs_ : ndarray of shape (n_estimators, n_classes, n_classes)
        The fitted matrix ``W`` of each estimator.
    intercepts_ : ndarray of shape (n_estimators, n_classes)
        The fitted intercept ``b`` of each estimator.
    coef_ : ndarray of shape (n_classes, n_classes)
        ``W`` when one map is fitted (``ensemble=False`` or frozen).
    intercept_ : ndarray of shape (n_classes,)
        ``b`` when one map is fitted.
    n_iter_ : ndarray of shape (n_estimators,)
        L-BFGS iterations of each map (of its final fit when a grid is
        searched).
    soft_target_fit_ : bool
        Whether the map was fitted against soft targets.
    n_features_in_ : int
        Number of features seen by the base estimator, if it records it.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the base estimator, if it records them.

    See Also
    --------
    VectorScalingClassifier : The diagonal special case.
    TemperatureScalingClassifier : One temperature.
    fit_dirichlet : The map of given probabilities.

    Notes
    -----
    The map minimises the regularised soft cross-entropy of
    :func:`fit_dirichlet`. With ``reg_lambda=reg_mu=0`` on hard labels it is
    the maximum-likelihood multinomial logistic regression on ``log p``.

    The default ``reg_lambda = reg_mu = 1e-2`` is a fixed, weak prior, not
    tuned to any data set: on the mean-loss scale it costs an off-diagonal
    weight of 1 only ``1e-2 / (K (K - 1))`` nats per sample, so it matters
    when the calibration set is small next to the ``K^2 + K`` parameters and
    keeps the problem strictly convex (the unregularised optimum drifts on
    separable or tiny calibration sets). Kull et al. select both by
    cross-validation over a grid; pass grids (e.g.
    ``reg_lambda=np.logspace(-4, 1, 6)``) to do the same.

    References
    ----------
    .. [1] Kull, Perello-Nieto, Kängsepp, Silva Filho, Song and Flach,
       "Beyond temperature scaling: Obtaining well-calibrated multi-class
       probabilities with Dirichlet calibration", NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksoft.calibration import DirichletCalibrationClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> model = LogisticRegression(C=100).fit(X[:100], y[:100])
    >>> calib = DirichletCalibrationClassifier(FrozenEstimator(model))
    >>> calib.fit(X[100:], y[100:]).coef_.shape
    (2, 2)
    >>> calib.predict_proba(X[:2]).sum(axis=1)
    array([1., 1.])
    """

    _parameter_constraints = {
        **_BaseLogitCalibrator._parameter_constraints,
        "reg_lambda": _REG,
        "reg_mu": _REG,
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
    }
    _auto_response = ("predict_proba", "decision_function")
    _what = "Dirichlet calibration"
    _diagonal = False

    def __init__(
        self,
        estimator=None,
        *,
        reg_lambda=_DEFAULT_LAMBDA,
        reg_mu=_DEFAULT_MU,
        cv=None,
        ensemble="auto",
        response_method="auto",
        counts=False,
        max_iter=1000,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.reg_lambda = reg_lambda
        self.reg_mu = reg_mu
        self.cv = cv
        self.ensemble = ensemble
        self.response_method = response_method
        self.counts = counts
        self.max_iter = max_iter
        self.n_jobs = n_jobs

    def _reg_grids(self):
        lam = getattr(self, "reg_lambda", 0.0)
        return _check_reg(lam, "reg_lambda"), _check_reg(self.reg_mu, "reg_mu")

    def _fit_map(self, logits, target, weight):
        lambdas, mus = self._reg_grids()
        return _select_and_fit(
            logits, target, weight, lambdas, mus, self._diagonal, self.max_iter
        )

    def _apply_map(self, logits, params):
        W, b = params
        return logits @ W.T + b

    def _store_maps(self, maps):
        self.coefs_ = np.stack([W for W, _, _ in maps])
        self.intercepts_ = np.stack([b for _, b, _ in maps])
        self.n_iter_ = np.array([nit for _, _, nit in maps])
        for attr in ("coef_", "intercept_"):
            if hasattr(self, attr):
                delattr(self, attr)
        if len(maps) == 1:
            self.coef_, self.intercept_ = self.coefs_[0], self.intercepts_[0]

    def _maps(self):
        return list(zip(self.coefs_, self.intercepts_))


class VectorScalingClassifier(DirichletCalibrationClassifier):
    """Vector scaling fitted on soft (human) or hard (gold) targets.

    The diagonal special case of :class:`DirichletCalibrationClassifier`:
    ``softmax(v * log p + b)`` with one scale ``v_k`` and one intercept
    ``b_k`` per class (Guo et al., 2017, on log-probabilities as Kull et al.
    2019 write it), fitted by L-BFGS on the soft cross-entropy.

    Parameters
    ----------
    estimator : classifier, default=None
        The classifier to calibrate; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`; a
        :class:`~sklearn.frozen.FrozenEstimator` fits only the map.
    reg_mu : float or array-like of floats, default=1e-2
        Intercept regularisation strength, or a grid searched by 3-fold
        cross-validation of the soft log loss.
    cv : int, cross-validation generator or iterable, default=None
        Cross-fitting splits when ``estimator`` is not frozen.
    ensemble : bool or "auto", default="auto"
        As in :class:`~sksoft.calibration.TemperatureScalingClassifier`.
    response_method : {"auto", "predict_proba", "decision_function"}, \
default="auto"
        As in :class:`DirichletCalibrationClassifier`.
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts.
    max_iter : int, default=1000
        Maximum number of L-BFGS iterations per map.
    n_jobs : int, default=None
        Jobs for fitting the cross-fitted clones in parallel.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (DataFrame column names, else the base estimator's).
    estimators_ : list of fitted classifiers
        One per split with ``ensemble=True``, else one.
    coefs_ : ndarray of shape (n_estimators, n_classes, n_classes)
        The fitted diagonal matrices ``diag(v)``.
    intercepts_ : ndarray of shape (n_estimators, n_classes)
        The fitted intercepts.
    coef_ : ndarray of shape (n_classes, n_classes)
        ``diag(v)`` when one map is fitted.
    intercept_ : ndarray of shape (n_classes,)
        ``b`` when one map is fitted.
    n_iter_ : ndarray of shape (n_estimators,)
        L-BFGS iterations of each map (of its final fit when a grid is
        searched).
    soft_target_fit_ : bool
        Whether the map was fitted against soft targets.
    n_features_in_ : int
        Number of features seen by the base estimator, if it records it.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen by the base estimator, if it records them.

    See Also
    --------
    DirichletCalibrationClassifier : The full matrix.
    TemperatureScalingClassifier : One temperature (``v = 1/T``, ``b = 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sksoft.calibration import VectorScalingClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = (X[:, 0] + rng.normal(size=300) > 0).astype(int)
    >>> model = LogisticRegression(C=100).fit(X[:100], y[:100])
    >>> calib = VectorScalingClassifier(FrozenEstimator(model)).fit(X[100:], y[100:])
    >>> bool(calib.coef_[0, 1] == 0)
    True
    """

    _parameter_constraints = {
        key: val
        for key, val in DirichletCalibrationClassifier._parameter_constraints.items()
        if key != "reg_lambda"
    }
    _what = "vector scaling"
    _diagonal = True

    def __init__(
        self,
        estimator=None,
        *,
        reg_mu=_DEFAULT_MU,
        cv=None,
        ensemble="auto",
        response_method="auto",
        counts=False,
        max_iter=1000,
        n_jobs=None,
    ):
        self.estimator = estimator
        self.reg_mu = reg_mu
        self.cv = cv
        self.ensemble = ensemble
        self.response_method = response_method
        self.counts = counts
        self.max_iter = max_iter
        self.n_jobs = n_jobs
