"""Scorers for soft targets and calibration, and the sksoft scorer registry.

The scorers follow sklearn's conventions (``scorer(estimator, X, y)``, higher is
better, ``neg_*`` names for losses) and its metadata routing, but live in a
registry of their own: sklearn's ``get_scorer`` registry is never modified.
"""

import copy
from inspect import signature

import numpy as np
import sklearn
from sklearn.utils.metadata_routing import MetadataRequest

from ..utils._sklearn_compat import validate_params
from ._calibration import (
    expected_calibration_error,
    hard_sample_calibration_error,
    max_calibration_error,
)
from ._lewidi import (
    annotator_error_rate,
    average_manhattan_distance,
    multilabel_manhattan_distance,
    normalized_absolute_distance,
    ordinal_wasserstein_distance,
)
from ._smooth import smooth_calibration_error
from ._soft import (
    distribution_calibration_error,
    entropy_calibration_error,
    js_divergence,
    kl_divergence,
    ranking_calibration_score,
    soft_brier_score_loss,
    soft_log_loss,
    top1_agreement_score,
    uncertainty_alignment,
)

__all__ = ["get_scorer", "get_scorer_names"]


class _SoftProbaScorer:
    """Scorer calling ``predict_proba`` and a sksoft probability metric.

    The metric receives the full ``predict_proba`` matrix, binary problems
    included, so a scorer gives the same number as its metric on
    ``predict_proba`` (sklearn's own ``make_scorer`` instead hands binary
    problems the 1-D positive-class column). Only the positive-class scorers
    (``positive_class=True``) pass that column, ``classes_[-1]``. The
    estimator's ``classes_`` are passed as ``labels`` so that a test fold
    missing a class still scores. ``y`` may be hard labels or an
    ``(n_samples, n_classes)`` soft matrix. Metadata (``sample_weight``, and
    ``soft_target`` for the hard-sample scorers) is requested with
    :meth:`set_score_request` under sklearn's metadata routing.
    """

    def __init__(
        self,
        score_func,
        sign,
        kwargs=None,
        name=None,
        positive_class=False,
        response_method="predict_proba",
    ):
        self._score_func = score_func
        self._response_method = response_method
        self._positive_class = positive_class
        self._sign = sign
        self._kwargs = dict(kwargs or {})
        self._name = name
        self._metadata_request = MetadataRequest(owner=self)
        for param in ("sample_weight", "soft_target"):
            if param in signature(score_func).parameters:
                self._metadata_request.score.add_request(param=param, alias=None)

    def __repr__(self):
        return f"sksoft.metrics.get_scorer({self._name!r})"

    def __call__(self, estimator, X, y_true, sample_weight=None, **kwargs):
        """Score ``estimator`` on ``X`` against ``y_true`` (labels or soft rows).

        Parameters
        ----------
        estimator : fitted classifier with ``predict_proba``
        X : array-like
            Test data.
        y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels or soft targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        **kwargs : dict
            Routed metadata, e.g. ``soft_target``.

        Returns
        -------
        score : float
            The metric, negated for losses.
        """
        params = {**self._kwargs, **kwargs}
        if sample_weight is not None:
            params["sample_weight"] = sample_weight
        if self._response_method == "predict":  # per-annotator predictions
            return self._sign * self._score_func(y_true, estimator.predict(X), **params)
        y_prob = estimator.predict_proba(X)
        if isinstance(y_prob, list):  # multi-output: one (n, n_values) per output
            return self._sign * self._score_func(y_true, y_prob, **params)
        y_prob = np.asarray(y_prob)
        labels = getattr(estimator, "classes_", None)
        if self._positive_class:
            if y_prob.ndim != 2 or y_prob.shape[1] != 2:
                raise ValueError(
                    f"{self!r} measures the positive class of a binary problem; "
                    f"predict_proba returned shape {y_prob.shape}. Use "
                    "'neg_expected_calibration_error' (top label) or "
                    "'neg_classwise_expected_calibration_error' for more classes."
                )
            y_prob = y_prob[:, 1]  # positive class = classes_[-1], as sklearn
        if labels is not None and "labels" in signature(self._score_func).parameters:
            params.setdefault("labels", np.asarray(labels))
        return self._sign * self._score_func(y_true, y_prob, **params)

    def _accept_sample_weight(self):
        # Duck-typed by sklearn's GridSearchCV (>= 1.9) without routing.
        return "sample_weight" in signature(self._score_func).parameters

    def set_score_request(self, **kwargs):
        """Request metadata to be passed to the scorer under metadata routing.

        Parameters
        ----------
        **kwargs : dict
            ``param=True/False/None/alias``, e.g. ``soft_target=True`` or
            ``sample_weight=True``.

        Returns
        -------
        self : object
        """
        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError(
                "set_score_request is only available when metadata routing is "
                "enabled: sklearn.set_config(enable_metadata_routing=True)."
            )
        accepted = set(signature(self._score_func).parameters) - {"y_true", "y_prob"}
        unknown = set(kwargs) - accepted
        if unknown:
            raise ValueError(
                f"{self!r} ({self._score_func.__name__}) does not accept "
                f"{sorted(unknown)}; it accepts {sorted(accepted)}."
            )
        for param, alias in kwargs.items():
            self._metadata_request.score.add_request(param=param, alias=alias)
        return self

    def get_metadata_routing(self):
        """Metadata routing of this scorer (a consumer of its ``score`` params).

        Returns
        -------
        routing : MetadataRequest
        """
        return self._metadata_request


def _entry(func, sign, positive_class=False, response_method="predict_proba", **kw):
    return func, sign, kw, positive_class, response_method


_SCORERS = {
    "neg_expected_calibration_error": _entry(expected_calibration_error, -1),
    "neg_classwise_expected_calibration_error": _entry(
        expected_calibration_error, -1, classwise=True
    ),
    "neg_average_calibration_error": _entry(
        expected_calibration_error, -1, bin_weighting="uniform"
    ),
    "neg_positive_class_calibration_error": _entry(
        expected_calibration_error, -1, positive_class=True
    ),
    "neg_max_calibration_error": _entry(max_calibration_error, -1),
    "neg_smooth_calibration_error": _entry(smooth_calibration_error, -1),
    "neg_hard_sample_calibration_error": _entry(hard_sample_calibration_error, -1),
    "neg_easy_sample_calibration_error": _entry(
        hard_sample_calibration_error, -1, subset="easy"
    ),
    "neg_soft_log_loss": _entry(soft_log_loss, -1),
    "neg_soft_brier_score": _entry(soft_brier_score_loss, -1),
    "neg_kl_divergence": _entry(kl_divergence, -1),
    "neg_js_divergence": _entry(js_divergence, -1),
    "neg_entropy_calibration_error": _entry(entropy_calibration_error, -1),
    "neg_distribution_calibration_error": _entry(distribution_calibration_error, -1),
    "ranking_calibration_score": _entry(ranking_calibration_score, 1),
    "top1_agreement": _entry(top1_agreement_score, 1),
    "uncertainty_alignment_spearman": _entry(uncertainty_alignment, 1),
    "uncertainty_alignment_pearson": _entry(uncertainty_alignment, 1, method="pearson"),
    "neg_average_manhattan_distance": _entry(average_manhattan_distance, -1),
    "neg_multilabel_manhattan_distance": _entry(multilabel_manhattan_distance, -1),
    "neg_ordinal_wasserstein_distance": _entry(ordinal_wasserstein_distance, -1),
    "neg_annotator_error_rate": _entry(
        annotator_error_rate, -1, response_method="predict"
    ),
    "neg_normalized_absolute_distance": _entry(
        normalized_absolute_distance, -1, response_method="predict"
    ),
}


def get_scorer_names():
    """Names of the sksoft scorers accepted by :func:`get_scorer`.

    Returns
    -------
    names : list of str
        Sorted names. Losses and errors carry a ``neg_`` prefix (higher is
        better), as in sklearn.

    See Also
    --------
    get_scorer : Build a scorer from its name.
    sklearn.metrics.get_scorer_names : sklearn's own scorers (unchanged).

    Examples
    --------
    >>> from sksoft.metrics import get_scorer_names
    >>> "neg_expected_calibration_error" in get_scorer_names()
    True
    """
    return sorted(_SCORERS)


@validate_params({"scoring": [str]}, prefer_skip_nested_validation=True)
def get_scorer(scoring, **metric_params):
    """Get a sksoft scorer from its name.

    Every call returns a new object, so that ``set_score_request`` on it does
    not affect other uses of the same name.

    Parameters
    ----------
    scoring : str
        One of :func:`get_scorer_names`.
    **metric_params : dict
        Keyword arguments of the metric, fixed in the scorer (as sklearn's
        ``make_scorer(**kwargs)``), e.g. ``hard="disagreement"`` for the
        hard-sample scorers or ``scale_size=11`` for
        ``neg_normalized_absolute_distance``. They override the name's own
        settings.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``; ``y`` may be hard labels or an
        ``(n_samples, n_classes)`` soft matrix. Usable in
        ``GridSearchCV(scoring=...)``, ``cross_validate`` and
        ``cross_val_score``, with any classifier that has ``predict_proba``.

    Raises
    ------
    ValueError
        For an unknown name (sklearn's names are served by
        :func:`sklearn.metrics.get_scorer`).

    See Also
    --------
    get_scorer_names : The available names.

    Notes
    -----
    The scorers (metric defaults unless stated):

    - ``neg_expected_calibration_error``: :func:`expected_calibration_error`;
      ``neg_classwise_expected_calibration_error``: the same with
      ``classwise=True``; ``neg_average_calibration_error``: with
      ``bin_weighting="uniform"`` (netcal's ACE);
      ``neg_positive_class_calibration_error``: binary problems only, the
      ECE of the positive-class column ``predict_proba(X)[:, 1]``
      (``classes_[-1]``) against the positive-class frequency (or soft
      share), netcal's definition for two classes;
    - ``neg_max_calibration_error``: :func:`max_calibration_error`;
    - ``neg_smooth_calibration_error``: :func:`smooth_calibration_error`
      (the smooth ECE, top label);
    - ``neg_hard_sample_calibration_error`` and
      ``neg_easy_sample_calibration_error``:
      :func:`hard_sample_calibration_error` with ``subset="hard"`` / ``"easy"``;
    - ``neg_soft_log_loss``, ``neg_soft_brier_score``, ``neg_kl_divergence``,
      ``neg_js_divergence``: :func:`soft_log_loss`,
      :func:`soft_brier_score_loss`, :func:`kl_divergence`,
      :func:`js_divergence`;
    - ``neg_entropy_calibration_error``, ``neg_distribution_calibration_error``,
      ``ranking_calibration_score``: the measures of Baan et al. (2022);
    - ``top1_agreement``: :func:`top1_agreement_score`;
    - ``uncertainty_alignment_spearman`` / ``uncertainty_alignment_pearson``:
      :func:`uncertainty_alignment` (target vs predicted entropy);
    - the Le-Wi-Di 2025 task's metrics: ``neg_average_manhattan_distance``,
      ``neg_multilabel_manhattan_distance`` (``predict_proba`` may return a
      list, one array per label, as multi-output classifiers do) and
      ``neg_ordinal_wasserstein_distance`` on ``predict_proba``;
      ``neg_annotator_error_rate`` and ``neg_normalized_absolute_distance``
      (needs ``scale_size=``) on ``predict`` (one output per annotator).

    Every scorer equals its metric on ``estimator.predict_proba(X)``, binary
    problems included: the metric receives the full ``(n_samples, 2)``
    matrix, so ``neg_expected_calibration_error`` measures the top label on
    every problem. (sklearn's own ``make_scorer(...,
    response_method="predict_proba")`` hands a binary problem's metric the
    1-D positive-class column instead, which the calibration errors measure
    as positive-class calibration: a different number.) Positive-class
    calibration has its own name, ``neg_positive_class_calibration_error``.
    The estimator's ``classes_`` are passed as ``labels``. The
    hard-sample scorers need the human soft labels: either as ``y``, or, when
    the model is fitted on hard labels, routed as metadata::

        sklearn.set_config(enable_metadata_routing=True)
        scorer = get_scorer("neg_hard_sample_calibration_error")
        scorer.set_score_request(soft_target=True)
        GridSearchCV(clf, grid, scoring={"hard_ece": scorer}, ...).fit(
            X, y, soft_target=T)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sksoft.metrics import get_scorer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 3)); y = (X[:, 0] > 0).astype(int)
    >>> scorer = get_scorer("neg_expected_calibration_error")
    >>> scores = cross_val_score(LogisticRegression(), X, y, cv=3, scoring=scorer)
    >>> bool(np.all(scores <= 0))
    True
    """
    if scoring not in _SCORERS:
        raise ValueError(
            f"{scoring!r} is not a sksoft scorer. Valid names: "
            f"{get_scorer_names()}. sklearn's scorers are available from "
            "sklearn.metrics.get_scorer."
        )
    func, sign, kwargs, positive_class, response_method = _SCORERS[scoring]
    accepted = set(signature(func).parameters) - {"y_true", "y_prob", "y_pred"}
    unknown = set(metric_params) - accepted
    if unknown:
        raise ValueError(
            f"{scoring!r} ({func.__name__}) does not accept {sorted(unknown)}; "
            f"it accepts {sorted(accepted)}."
        )
    return _SoftProbaScorer(
        func,
        sign,
        {**copy.deepcopy(kwargs), **metric_params},
        name=scoring,
        positive_class=positive_class,
        response_method=response_method,
    )
