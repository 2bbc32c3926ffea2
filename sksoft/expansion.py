"""Any scikit-learn classifier on soft targets, by weighted sample expansion.

A classifier that minimises a weighted log loss can learn from soft targets
without any change: the soft cross-entropy of a sample with target ``t`` equals
the log loss of ``K`` copies of it, copy ``k`` labelled ``k`` with weight
``t_k``. :class:`ExpansionClassifier` performs that expansion around any
estimator whose ``fit`` accepts ``sample_weight``.
"""

import numpy as np
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    clone,
)
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    get_tags,
    has_fit_parameter,
    validate_data,
)

from .targets import check_soft_targets, hard_labels
from .utils._frames import check_frame_columns, frame_classes
from .utils._sklearn_compat import HasMethods
from .utils._sklearn_compat import check_sample_weight as _check_sample_weight
from .utils._sklearn_compat import safe_indexing as _safe_indexing

__all__ = ["ExpansionClassifier"]


def _final_step(estimator):
    """The last step of a (nested) Pipeline, or the estimator itself."""
    while hasattr(estimator, "steps") and estimator.steps:
        estimator = estimator.steps[-1][1]
    return estimator


def _sample_weight_route(estimator):
    """How to pass ``sample_weight`` to ``estimator.fit``: the keyword, or None.

    ``"sample_weight"`` for an estimator whose ``fit`` takes it (and for a
    Pipeline when metadata routing is enabled: the steps' requests route it);
    ``"<step>__sample_weight"`` (nested for nested pipelines) for a Pipeline
    whose final step takes it; ``None`` when nothing takes it.
    """
    if has_fit_parameter(estimator, "sample_weight"):
        return "sample_weight"
    steps = getattr(estimator, "steps", None)
    if not steps:
        return None
    if not has_fit_parameter(_final_step(estimator), "sample_weight"):
        return None
    if get_config().get("enable_metadata_routing", False):
        return "sample_weight"
    names = []
    while hasattr(estimator, "steps") and estimator.steps:
        name, estimator = estimator.steps[-1]
        names.append(name)
    return "__".join(names + ["sample_weight"])


def _inner_has(attr):
    """``available_if`` check: the fitted (or, before fit, the given) estimator
    has ``attr``."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        estimator = LogisticRegression() if self.estimator is None else self.estimator
        return hasattr(estimator, attr)

    return check


class ExpansionClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Train any classifier accepting ``sample_weight`` on soft targets.

    Each training sample ``x_i`` with soft target ``t_i`` (a probability row
    over ``K`` classes) and weight ``s_i`` is expanded into ``K`` copies, copy
    ``k`` labelled with class ``k`` and weighted ``s_i * t_ik``; copies of
    weight zero are dropped (a hard label costs a single copy). The inner
    estimator is fitted on the expanded data. For an estimator that minimises
    a weighted log loss, such as
    :class:`~sklearn.linear_model.LogisticRegression`, this minimises exactly
    the soft cross-entropy :math:`-\\sum_i s_i \\sum_k t_{ik} \\log p_k(x_i)`
    plus the estimator's own penalty.

    Parameters
    ----------
    estimator : estimator object, default=None
        A classifier whose ``fit`` accepts ``sample_weight`` (e.g.
        :class:`~sklearn.linear_model.LogisticRegression`,
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`,
        :class:`~sklearn.ensemble.RandomForestClassifier`), or a
        :class:`~sklearn.pipeline.Pipeline` whose final step does: the weights
        go to that step as ``<step>__sample_weight`` (with sklearn's metadata
        routing enabled, as ``sample_weight``, routed by the steps'
        ``set_fit_request``). It is cloned in :meth:`fit`. ``None`` means
        ``LogisticRegression()``.
    classes : array-like of shape (n_classes,), default=None
        The class labels, in the column order of a 2-D ``y``. By default the
        sorted labels of a 1-D ``y``, the column names of a pandas DataFrame
        ``y``, or ``arange(n_classes)`` for another 2-D ``y``. Give it to keep
        classes that never occur in a 1-D ``y``.
    counts : bool, default=False
        Read a 2-D ``y`` as per-class vote counts and normalise each row (see
        :func:`sksoft.targets.check_soft_targets`). Without it a 2-D ``y`` must
        hold probability rows.

    Attributes
    ----------
    estimator_ : estimator object
        The inner estimator fitted on the expanded data, with integer labels
        ``0 .. n_classes - 1`` (column indices into ``classes_``).
    classes_ : ndarray of shape (n_classes,)
        The class labels. Classes with zero total target mass are kept:
        :meth:`predict_proba` gives them a column of zeros.
    n_features_in_ : int
        Number of features seen during :meth:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :meth:`fit`, when ``X`` has string
        column names.

    See Also
    --------
    sksoft.classifier.SoftLabelClassifier : A neural network trained on soft
        targets directly.
    sksoft.model_selection.cross_val_predict : Out-of-fold predictions that keep
        soft targets.

    Notes
    -----
    With weights :math:`w_{ik} = s_i t_{ik}` the weighted log loss of the
    expanded data is

    .. math::

        -\\sum_i \\sum_k w_{ik} \\log p_k(x_i)
        = -\\sum_i s_i \\sum_k t_{ik} \\log p_k(x_i),

    the sample-weighted soft cross-entropy. The total weight is unchanged
    (:math:`\\sum_k t_{ik} = 1`), so penalties scaled by the sum of sample
    weights (as in ``LogisticRegression``) keep their meaning. The expanded
    data has at most ``n_samples * n_classes`` rows (``n_samples`` for hard
    labels). Estimators whose criterion is not a log loss (trees, boosting)
    receive the same weights; they see each class with the right mass but do
    not in general minimise the soft cross-entropy. An inner estimator that
    holds out part of its training data (``early_stopping`` of
    :class:`~sklearn.ensemble.HistGradientBoostingClassifier` or
    :class:`~sklearn.linear_model.SGDClassifier`) splits the expanded copies,
    so copies of one sample can fall on both sides of its split.

    :meth:`score` is the accuracy against the hard label of the targets (their
    argmax, ties to the first class, see :func:`sksoft.targets.hard_labels`).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.expansion import ExpansionClassifier
    >>> X = np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0]])
    >>> y = np.array([[1.0, 0.0], [0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.0, 1.0]])
    >>> clf = ExpansionClassifier().fit(X, y)
    >>> clf.classes_
    array([0, 1])
    >>> clf.predict_proba([[0.0]]).round(2)
    array([[0.55, 0.45]])
    >>> clf.predict([[-1.5], [1.5]])
    array([0, 1])
    >>> clf.score(X, y)
    1.0
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "classes": ["array-like", None],
        "counts": ["boolean"],
    }

    def __init__(self, estimator=None, *, classes=None, counts=False):
        self.estimator = estimator
        self.classes = classes
        self.counts = counts

    def _base_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _accept_sparse(self):
        base = self.estimator_ if hasattr(self, "estimator_") else None
        base = self._base_estimator() if base is None else base
        return ["csr", "csc"] if get_tags(base).input_tags.sparse else False

    def _ensure_all_finite(self):
        base = self.estimator_ if hasattr(self, "estimator_") else None
        base = self._base_estimator() if base is None else base
        return "allow-nan" if get_tags(base).input_tags.allow_nan else True

    def fit(self, X, y, sample_weight=None):
        """Fit the inner estimator on the weighted expansion of the targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (sparse only if the inner estimator accepts it).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, probability rows or (with ``counts=True``) vote
            counts.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; copy ``k`` of sample ``i`` gets
            ``sample_weight[i] * t_ik``.

        Returns
        -------
        self : object
            The fitted classifier.
        """
        self._validate_params()
        base = self._base_estimator()
        route = _sample_weight_route(base)
        if route is None:
            final = _final_step(base)
            what = type(base).__name__
            if final is not base:
                what = f"The final step of the Pipeline, {type(final).__name__},"
            raise ValueError(
                f"{what} does not accept sample_weight in fit, which "
                "ExpansionClassifier needs to weight the expanded copies."
            )
        classes = self.classes
        if classes is None:  # a DataFrame's column names name the classes
            classes = frame_classes(y)
        else:
            check_frame_columns(y, classes, "classes")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=self._accept_sparse(),
            ensure_all_finite=self._ensure_all_finite(),
            multi_output=True,
            y_numeric=False,
        )
        if y.ndim == 1:
            check_classification_targets(y)
        targets, classes = check_soft_targets(
            y, classes=classes, counts=self.counts, return_classes=True
        )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        weights = targets * sample_weight[:, None]
        rows, cols = np.nonzero(weights > 0)
        self.classes_ = classes
        self.estimator_ = clone(base)
        self.estimator_.fit(
            _safe_indexing(X, rows), cols, **{route: weights[rows, cols]}
        )
        return self

    def _validate_X_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            reset=False,
            accept_sparse=self._accept_sparse(),
            ensure_all_finite=self._ensure_all_finite(),
        )

    def _seen(self):
        """Column index (into ``classes_``) of each class the inner estimator saw."""
        return np.asarray(self.estimator_.classes_, dtype=np.intp)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities, one column per entry of ``classes_``.

        Classes the inner estimator never saw (zero total target mass) get a
        column of zeros.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1.
        """
        X = self._validate_X_predict(X)
        inner = self.estimator_.predict_proba(X)
        seen = self._seen()
        if seen.shape[0] == len(self.classes_):
            return inner
        proba = np.zeros((inner.shape[0], len(self.classes_)), dtype=inner.dtype)
        proba[:, seen] = inner
        return proba

    @available_if(_inner_has("predict_proba"))
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``-inf`` for unseen classes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """The inner estimator's decision function, in the columns of ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            As the inner estimator returns it when it saw every class (1-D for
            two classes: positive means ``classes_[1]``). When it saw only some
            classes, a ``(n_samples, n_classes)`` array with ``-inf`` in the
            unseen columns; a 1-D binary score ``s`` over the two seen classes
            becomes the columns ``-s / 2`` and ``s / 2`` (equal softmax).
        """
        X = self._validate_X_predict(X)
        scores = self.estimator_.decision_function(X)
        seen = self._seen()
        n_classes = len(self.classes_)
        if seen.shape[0] == n_classes:
            return scores
        out = np.full((scores.shape[0], n_classes), -np.inf, dtype=np.float64)
        if scores.ndim == 1:
            out[:, seen[0]] = -scores / 2
            out[:, seen[1]] = scores / 2
        else:
            out[:, seen] = scores
        return out

    def predict(self, X):
        """Predict class labels: ``classes_`` of the inner estimator's prediction.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        X = self._validate_X_predict(X)
        codes = np.asarray(self.estimator_.predict(X), dtype=np.intp)
        return self.classes_[codes]

    def score(self, X, y, sample_weight=None):
        """Accuracy against the hard label (argmax) of the targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels, probability rows or (with ``counts=True``) vote counts over
            ``classes_``. Ties in a soft row go to the first class.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Share of samples whose predicted class is the target's argmax.
        """
        check_is_fitted(self)
        check_frame_columns(y, self.classes_, "the fitted classes_")
        y_arr = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            y_true = hard_labels(y_arr, classes=self.classes_, counts=self.counts)
        else:
            y_true = y_arr.ravel() if y_arr.ndim == 2 else y_arr
        y_pred = self.predict(X)
        return float(accuracy_score(y_true, y_pred, sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._base_estimator())
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.string = inner.input_tags.string
        tags.classifier_tags.multi_class = inner.classifier_tags.multi_class
        tags.classifier_tags.poor_score = inner.classifier_tags.poor_score
        return tags
