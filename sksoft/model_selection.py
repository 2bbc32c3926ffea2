"""Model selection that understands soft targets.

scikit-learn's splitters and :func:`sklearn.model_selection.cross_val_predict`
assume a target is one label per sample. With soft targets, an
``(n_samples, n_classes)`` matrix of probability rows,
:class:`~sklearn.model_selection.StratifiedKFold` refuses the matrix and
sklearn's ``cross_val_predict(method="predict_proba")`` label-encodes every
column of it, so the estimator behind it is trained on integer ranks instead of
probabilities.

This module provides

- :class:`SoftStratifiedKFold`, a K-fold splitter stratified by the target argmax
  and optionally by target-entropy bins, so that the hard (ambiguous) samples are
  spread evenly over the folds;
- :func:`cross_val_predict`, out-of-fold predictions that hand every fit the soft
  targets exactly as given.
"""

import numbers
import warnings
from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.base import clone
from sklearn.model_selection import BaseCrossValidator, check_cv
from sklearn.utils import check_random_state, indexable
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.parallel import Parallel, delayed

from .targets import check_soft_targets, encode_labels, hard_labels, target_entropy
from .utils._frames import check_frame_columns, frame_classes
from .utils._sklearn_compat import HasMethods, StrOptions, validate_params
from .utils._sklearn_compat import safe_indexing as _safe_indexing

__all__ = ["SoftStratifiedKFold", "cross_val_predict"]


def _num_samples(x):
    """Number of rows of an array, sparse matrix, DataFrame or sequence."""
    shape = getattr(x, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    return len(x)


def _encode_by_appearance(codes):
    """Integer-encode ``codes`` by order of first appearance (0 = first seen)."""
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    _, rank = np.unique(first, return_inverse=True)
    return rank[inverse.ravel()], len(first)


def _entropy_bin_codes(entropy, n_bins):
    """Quantile bins of the target entropy; equal entropies share a bin.

    The inner edges are the ``j / n_bins`` quantiles (``j = 1 .. n_bins - 1``);
    duplicated edges (for example many rows of entropy 0) are merged, so fewer
    than ``n_bins`` bins can result. Entropies are compared after rounding to
    9 decimals. A sample falls in bin ``b`` when its
    entropy is above ``b`` distinct inner edges.
    """
    if n_bins == 1:
        return np.zeros(entropy.shape[0], dtype=np.intp)
    # permuted rows ([1/3, 2/3] vs [2/3, 1/3]) differ in the last bits of their
    # entropy; round so that such ties cannot straddle a quantile edge
    entropy = np.round(entropy, 9)
    inner = np.quantile(entropy, np.arange(1, n_bins) / n_bins)
    inner = np.unique(inner)
    return np.searchsorted(inner, entropy, side="left")


def _allocate(strata, k, cls_rank, bin_rank, rng):
    """How many samples of each (class, bin) stratum go to each fold.

    Returns ``alloc`` of shape ``(n_classes, n_bins, k)`` whose entries are
    ``floor`` or ``ceil`` of ``strata / k``. The remainders are dealt greedily
    (fewest samples of the class, then fewest overall, then fewest of the bin),
    which keeps every class and the fold sizes within one sample across
    folds; then pairs of moves inside one class between two folds (one sample
    of bin ``b`` one way, one of bin ``b'`` the other) lower the spread of the
    entropy-bin counts without changing the class counts, the fold sizes or
    the within-one balance of each stratum.
    """
    n_classes, n_bins = strata.shape
    alloc = np.zeros((n_classes, n_bins, k), dtype=np.intp)
    class_count = np.zeros((n_classes, k), dtype=np.intp)
    bin_count = np.zeros((n_bins, k), dtype=np.intp)
    size = np.zeros(k, dtype=np.intp)
    for c in np.argsort(cls_rank):
        for b in np.argsort(bin_rank[c]):
            m = strata[c, b]
            if m == 0:
                continue
            per_fold = np.full(k, m // k, dtype=np.intp)
            extra = m % k
            if extra:
                tie = np.arange(k) if rng is None else rng.permutation(k)
                key = np.lexsort((tie, bin_count[b], size, class_count[c]))
                per_fold[key[:extra]] += 1
            alloc[c, b] = per_fold
            class_count[c] += per_fold
            bin_count[b] += per_fold
            size += per_fold
    if n_bins == 1:
        return alloc
    improved = True
    while improved:
        improved = False
        for b in range(n_bins):
            hi, lo = int(np.argmax(bin_count[b])), int(np.argmin(bin_count[b]))
            if bin_count[b, hi] - bin_count[b, lo] < 2:
                continue
            # candidates (c, b2): move (c, b) hi -> lo and (c, b2) lo -> hi
            best, best_gain = None, 0
            for c in np.flatnonzero(alloc[:, b, hi] > alloc[:, b, lo]):
                for b2 in np.flatnonzero(alloc[c, :, lo] > alloc[c, :, hi]):
                    if b2 == b:
                        continue
                    gain = (bin_count[b, hi] - bin_count[b, lo] - 1) - (
                        bin_count[b2, hi] - bin_count[b2, lo] + 1
                    )
                    if gain > best_gain:
                        best, best_gain = (c, b2), gain
            if best is not None:
                c, b2 = best
                alloc[c, b, hi] -= 1
                alloc[c, b, lo] += 1
                alloc[c, b2, lo] -= 1
                alloc[c, b2, hi] += 1
                bin_count[b, hi] -= 1
                bin_count[b, lo] += 1
                bin_count[b2, lo] -= 1
                bin_count[b2, hi] += 1
                improved = True
    return alloc


class SoftStratifiedKFold(BaseCrossValidator):
    """K-fold cross-validator stratified on soft targets.

    The folds preserve the share of every *hard label* (the argmax of the
    target, ties to the first class as in :func:`sksoft.targets.hard_labels`)
    and, with ``entropy_bins``, jointly the share of every target-entropy
    quantile bin, so that the ambiguous samples (high entropy, which dominate
    calibration errors) are spread evenly over the folds instead of piling up in
    one of them.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds. Must be at least 2.
    entropy_bins : int, default=None
        Number of quantile bins of the target entropy to stratify on jointly
        with the hard label. ``None`` stratifies on the hard label alone.
        Equal entropies always share a bin (quantile edges that coincide are
        merged), so with many unanimous rows (entropy 0) fewer bins may result.
    shuffle : bool, default=False
        Whether to shuffle each stratum's samples (and the order in which
        strata are dealt to the folds) before splitting. The samples within a
        fold are not shuffled.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffling when ``shuffle=True``; pass an int for
        reproducible folds. Must be ``None`` when ``shuffle=False``.
    counts : bool, default=False
        Read a 2-D ``y`` passed to :meth:`split` as per-class vote counts
        (see :func:`sksoft.targets.check_soft_targets`). Without it, a 2-D
        ``y`` must hold probability rows.

    See Also
    --------
    sklearn.model_selection.StratifiedKFold : The hard-label splitter this
        generalises.
    cross_val_predict : Out-of-fold predictions; uses this splitter by
        default.
    sksoft.targets.hard_sample_mask : The library's definition of hard
        samples.

    Notes
    -----
    Each sample gets a stratum: its hard label, and with ``entropy_bins=q`` the
    pair (hard label, entropy bin) where the bins are the ``q``-quantiles of
    the target entropy :math:`H(t_i) = -\\sum_k t_{ik} \\log t_{ik}`. Every
    stratum of ``m`` samples sends ``floor(m / n_splits)`` or
    ``ceil(m / n_splits)`` of them to each fold, in blocks that keep the data
    order (as :class:`~sklearn.model_selection.StratifiedKFold` does). The
    remainders are dealt greedily and then improved by exchanges within a
    class, so that

    - the number of samples of each hard label in each fold differs by at most
      one between folds, as in scikit-learn;
    - so does the number of samples of each (label, bin) stratum;
    - fold sizes and the number of samples of each entropy bin are balanced
      greedily: in practice they differ by at most one and two samples
      respectively (a heuristic, not a guarantee).

    A stratum smaller than ``n_splits`` is expected with entropy bins and is
    not an error. If the least populated *class* has fewer members than
    ``n_splits`` a :class:`UserWarning` is issued, and if every class has fewer
    a :class:`ValueError` is raised, as in scikit-learn.

    Strata are numbered by order of first appearance, so renaming or
    reordering the classes does not change the folds (apart from argmax ties).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.model_selection import SoftStratifiedKFold
    >>> y = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.45, 0.55],
    ...               [1.0, 0.0], [0.0, 1.0]])
    >>> X = np.zeros((6, 1))
    >>> cv = SoftStratifiedKFold(n_splits=3)
    >>> for train, test in cv.split(X, y):
    ...     print(test)
    [0 2]
    [1 3]
    [4 5]

    Rows 1, 2 and 3 are the most ambiguous; above, two of them share a fold.
    Stratifying on two entropy bins as well gives every fold one of them:

    >>> cv = SoftStratifiedKFold(n_splits=3, entropy_bins=2)
    >>> for train, test in cv.split(X, y):
    ...     print(test)
    [0 2]
    [3 4]
    [1 5]
    """

    def __init__(
        self,
        n_splits=5,
        *,
        entropy_bins=None,
        shuffle=False,
        random_state=None,
        counts=False,
    ):
        # Splitters are not estimators (never cloned): like scikit-learn's
        # splitters, they check their arguments at construction.
        if not isinstance(n_splits, numbers.Integral) or isinstance(n_splits, bool):
            raise ValueError(
                f"n_splits must be an integer >= 2; got {n_splits!r} of type "
                f"{type(n_splits).__name__}."
            )
        if n_splits < 2:
            raise ValueError(
                "k-fold cross-validation requires at least one train/test split "
                f"by setting n_splits=2 or more, got n_splits={n_splits}."
            )
        if entropy_bins is not None and (
            not isinstance(entropy_bins, numbers.Integral)
            or isinstance(entropy_bins, bool)
            or entropy_bins < 1
        ):
            raise ValueError(
                f"entropy_bins must be None or an integer >= 1; got {entropy_bins!r}."
            )
        if not isinstance(shuffle, bool | np.bool_):
            raise TypeError(f"shuffle must be True or False; got {shuffle!r}.")
        if not isinstance(counts, bool | np.bool_):
            raise TypeError(f"counts must be True or False; got {counts!r}.")
        if not shuffle and random_state is not None:
            raise ValueError(
                "Setting a random_state has no effect since shuffle is False. You "
                "should leave random_state to its default (None), or set "
                "shuffle=True."
            )
        self.n_splits = int(n_splits)
        self.entropy_bins = entropy_bins
        self.shuffle = shuffle
        self.random_state = random_state
        self.counts = counts

    def get_n_splits(self, X=None, y=None, groups=None):
        """Return the number of splitting iterations.

        Parameters
        ----------
        X, y, groups : object
            Always ignored, exist for API compatibility.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    def _strata(self, y):
        """Hard label (column index) and entropy-bin code of every sample."""
        proba = check_soft_targets(y, counts=self.counts)
        labels = hard_labels(proba)  # column index, ties to the first class
        if self.entropy_bins is None:
            bins = np.zeros(labels.shape[0], dtype=np.intp)
        else:
            bins = _entropy_bin_codes(target_entropy(proba), self.entropy_bins)
        return labels, bins

    def _make_test_folds(self, X, y):
        rng = check_random_state(self.random_state)
        labels, bins = self._strata(y)
        n_samples = labels.shape[0]
        if self.n_splits > n_samples:
            raise ValueError(
                f"Cannot have number of splits n_splits={self.n_splits} greater "
                f"than the number of samples: n_samples={n_samples}."
            )
        cls, n_classes = _encode_by_appearance(labels)
        cls_counts = np.bincount(cls, minlength=n_classes)
        if np.all(self.n_splits > cls_counts):
            raise ValueError(
                f"n_splits={self.n_splits} cannot be greater than the number of "
                "members in each class (class = argmax of the target)."
            )
        if self.n_splits > cls_counts.min():
            warnings.warn(
                f"The least populated class in y has only {cls_counts.min()} "
                f"members, which is less than n_splits={self.n_splits} "
                "(class = argmax of the target).",
                UserWarning,
                stacklevel=3,
            )
        bin_code, n_bins = _encode_by_appearance(bins)
        # order in which classes, and bins within a class, are dealt to folds
        if self.shuffle:
            cls_rank = rng.permutation(n_classes)
            bin_rank = np.stack([rng.permutation(n_bins) for _ in range(n_classes)])
        else:
            cls_rank = np.arange(n_classes)
            bin_rank = np.tile(np.arange(n_bins), (n_classes, 1))
        k = self.n_splits
        strata = np.zeros((n_classes, n_bins), dtype=np.intp)
        np.add.at(strata, (cls, bin_code), 1)
        alloc = _allocate(strata, k, cls_rank, bin_rank, rng if self.shuffle else None)
        test_folds = np.empty(n_samples, dtype=np.intp)
        for c, b in zip(*np.nonzero(strata)):
            folds = np.repeat(np.arange(k), alloc[c, b])
            if self.shuffle:
                rng.shuffle(folds)
            test_folds[(cls == c) & (bin_code == b)] = folds
        return test_folds

    def _iter_test_masks(self, X, y=None, groups=None):
        test_folds = self._make_test_folds(X, y)
        for i in range(self.n_splits):
            yield test_folds == i

    def split(self, X, y, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; only its length is used, so ``np.zeros(n_samples)``
            is a valid placeholder.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, probability rows or (with ``counts=True``) vote
            counts. Stratification uses their argmax and entropy.
        groups : object
            Always ignored (a warning is issued when given), exists for API
            compatibility.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        if groups is not None:
            warnings.warn(
                f"The groups parameter is ignored by {self.__class__.__name__}",
                UserWarning,
                stacklevel=2,
            )
        if y is None:
            raise ValueError(
                f"{self.__class__.__name__}.split requires y (labels or soft "
                "targets) to stratify on; got y=None."
            )
        X, y = indexable(X, y)
        if hasattr(y, "to_numpy"):
            y = y.to_numpy()
        yield from super().split(X, y, None)


def _fit_and_predict(estimator, X, y, train, test, fit_params, method):
    """Fit ``estimator`` on the raw training rows and call ``method`` on test."""
    n_samples = _num_samples(X)
    fit_params = {
        key: _safe_indexing(value, train)
        if hasattr(value, "__len__")
        and not isinstance(value, str | dict)
        and _num_samples(value) == n_samples
        else value
        for key, value in fit_params.items()
    }
    estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **fit_params)
    predictions = getattr(estimator, method)(_safe_indexing(X, test))
    return predictions, getattr(estimator, "classes_", None)


def _align_columns(predictions, fold_classes, classes, method):
    """Put one fold's per-class output in the columns of the full class list."""
    n_classes = len(classes)
    if fold_classes is None:
        if predictions.ndim == 2 and predictions.shape[1] == n_classes:
            return predictions
        raise ValueError(
            f"{method} returned shape {predictions.shape} and the fitted estimator "
            f"has no classes_ attribute to align it with the {n_classes} classes."
        )
    fold_classes = np.asarray(fold_classes)
    if len(fold_classes) == n_classes and np.array_equal(fold_classes, classes):
        return predictions
    try:
        cols = encode_labels(fold_classes, classes, name="fold class")
    except ValueError as exc:
        raise ValueError(
            f"The estimator fitted on a fold has classes {fold_classes.tolist()}, "
            f"which are not all among the classes {classes.tolist()} of y."
        ) from exc
    if len(fold_classes) != n_classes:
        warnings.warn(
            f"Number of classes in training fold ({len(fold_classes)}) does not "
            f"match total number of classes ({n_classes}). Results may not be "
            "appropriate for your use case. To fix this, use a cross-validation "
            "technique resulting in properly stratified folds.",
            RuntimeWarning,
            stacklevel=3,
        )
    if predictions.ndim == 1 or predictions.shape[1] != len(fold_classes):
        raise ValueError(
            f"{method} returned shape {predictions.shape} for a fold with "
            f"{len(fold_classes)} classes out of {n_classes}; such output cannot "
            "be aligned to all classes (use stratified folds)."
        )
    fill = 0.0 if method == "predict_proba" else np.finfo(predictions.dtype).min
    if not np.issubdtype(predictions.dtype, np.floating):
        predictions = predictions.astype(np.float64)
        fill = 0.0 if method == "predict_proba" else np.finfo(np.float64).min
    out = np.full((predictions.shape[0], n_classes), fill, dtype=predictions.dtype)
    out[:, cols] = predictions
    return out


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "groups": ["array-like", None],
        "cv": ["cv_object"],
        "method": [
            StrOptions(
                {"predict", "predict_proba", "predict_log_proba", "decision_function"}
            )
        ],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "params": [dict, None],
        "pre_dispatch": [Integral, str, None],
        "classes": ["array-like", None],
        "counts": ["boolean"],
    },
    prefer_skip_nested_validation=False,
)
def cross_val_predict(
    estimator,
    X,
    y,
    *,
    groups=None,
    cv=None,
    method="predict_proba",
    n_jobs=None,
    verbose=0,
    params=None,
    pre_dispatch="2*n_jobs",
    classes=None,
    counts=False,
):
    """Out-of-fold predictions that pass soft targets through unchanged.

    Every sample is predicted by an estimator fitted on the folds that do not
    contain it. Unlike :func:`sklearn.model_selection.cross_val_predict`,
    which label-encodes each column of a 2-D ``y`` for the probability
    methods (so the estimator is trained on integer ranks), the rows of ``y``
    given here reach every ``fit`` exactly as given: labels stay labels,
    probability rows stay the same floats, counts stay counts.

    Parameters
    ----------
    estimator : estimator object
        Implements ``fit`` (accepting soft targets, e.g.
        :class:`~sksoft.classifier.SoftLabelClassifier` or
        :class:`~sksoft.expansion.ExpansionClassifier`) and ``method``. It is
        cloned for every fold.
    X : {array-like, sparse matrix} of shape (n_samples, ...)
        The data.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Class labels, probability rows or (with ``counts=True``) vote counts.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group splitter given as ``cv``. With metadata
        routing enabled, pass ``groups`` through ``params`` instead.
    cv : int, cross-validation generator or iterable, default=None
        ``None`` means :class:`SoftStratifiedKFold` with 5 folds, an int the
        same with that many folds (both built with ``counts``); any other
        splitter or iterable of (train, test) is used as is (it receives the
        ``y`` given here). The test sets must partition the samples.
    method : {"predict_proba", "predict", "predict_log_proba", \
"decision_function"}, default="predict_proba"
        The estimator method to call on each test fold.
    n_jobs : int, default=None
        Number of jobs fitting the folds in parallel (joblib).
    verbose : int, default=0
        Verbosity of joblib.
    params : dict, default=None
        Parameters for the estimator's ``fit`` (and, with metadata routing,
        the splitter). Values of length ``n_samples`` (such as
        ``sample_weight``) are indexed with each training fold.
    pre_dispatch : int or str, default="2*n_jobs"
        Number of jobs dispatched in advance (joblib).
    classes : array-like of shape (n_classes,), default=None
        Class labels in column order of the output. By default the sorted
        labels of a 1-D ``y``, the column names of a pandas DataFrame ``y``
        (an estimator that ignores them and learns ``arange(n_classes)`` is
        read by column position), or ``arange(n_classes)`` for another 2-D
        ``y``. It must match the ``classes_`` the estimator learns.
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts (for validation and the default
        splitter only: the estimator still receives the raw counts, so it must
        accept counts itself).

    Returns
    -------
    predictions : ndarray
        ``method``'s output for every sample, in the original order: shape
        ``(n_samples, n_classes)`` for the per-class methods (binary
        ``decision_function`` stays 1-D), ``(n_samples,)`` for ``predict``.

    See Also
    --------
    SoftStratifiedKFold : The default splitter.
    sklearn.model_selection.cross_val_predict : The hard-label version.

    Notes
    -----
    When an estimator fitted on a fold has not seen some class (its
    ``classes_`` is a subset of ``classes``), its per-class output is placed
    in the matching columns and the missing columns are filled as scikit-learn
    does: with 0 for ``predict_proba`` and the most negative finite float for
    ``predict_log_proba`` and ``decision_function``; a :class:`RuntimeWarning`
    is issued. Estimators that keep one column per target column (such as the
    sksoft classifiers with a 2-D ``y``) never need this.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.expansion import ExpansionClassifier
    >>> from sksoft.model_selection import cross_val_predict
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 3))
    >>> y = rng.dirichlet([1.0, 1.0, 1.0], size=60)
    >>> proba = cross_val_predict(ExpansionClassifier(), X, y, cv=3)
    >>> proba.shape
    (60, 3)
    >>> np.allclose(proba.sum(axis=1), 1.0)
    True
    """
    X, y = indexable(X, y)
    named, all_classes = _target_classes(y, classes, counts)
    n_samples = _num_samples(X)

    params = {} if params is None else dict(params)
    if cv is None or isinstance(cv, numbers.Integral):
        cv = SoftStratifiedKFold(5 if cv is None else cv, counts=counts)
    else:
        cv = check_cv(cv)

    split_params, fit_params = _routed_params(estimator, cv, groups, params)

    splits = list(cv.split(X, y, **split_params))
    test_indices = np.concatenate([np.asarray(test) for _, test in splits])
    _check_partition(test_indices, n_samples)

    parallel = Parallel(n_jobs=n_jobs, verbose=verbose, pre_dispatch=pre_dispatch)
    results = parallel(
        delayed(_fit_and_predict)(
            clone(estimator), X, y, train, test, fit_params, method
        )
        for train, test in splits
    )
    predictions = np.concatenate(_fold_predictions(results, method, all_classes, named))
    inverse = np.empty(n_samples, dtype=np.intp)
    inverse[test_indices] = np.arange(n_samples)
    return predictions[inverse]


def _target_classes(y, classes, counts):
    """``(named, all_classes)`` of the soft targets ``y``, checked.

    ``named``: the classes are a DataFrame's column names (``classes`` not
    given); otherwise ``classes`` must match the DataFrame's columns, if any.
    """
    if hasattr(y, "to_numpy") and getattr(y, "ndim", 1) == 1:
        y_arr = y.to_numpy()
    else:
        y_arr = y
    named = classes is None and frame_classes(y) is not None
    if named:  # a DataFrame's column names name the classes
        classes = frame_classes(y)
    elif classes is not None:
        check_frame_columns(y, classes, "classes")
    _, all_classes = check_soft_targets(
        y_arr, classes=classes, counts=counts, return_classes=True
    )
    return named, all_classes


def _routed_params(estimator, cv, groups, params):
    """``(split_params, fit_params)``: routed when metadata routing is on."""
    if not get_config().get("enable_metadata_routing", False):
        split_params = {} if groups is None else {"groups": groups}
        return split_params, params
    if groups is not None:
        raise ValueError(
            "groups can only be passed if metadata routing is not enabled via "
            "sklearn.set_config(enable_metadata_routing=True). When routing is "
            "enabled, pass groups alongside other metadata via params."
        )
    router = (
        MetadataRouter(owner="cross_val_predict")
        .add(
            splitter=cv,
            method_mapping=MethodMapping().add(caller="fit", callee="split"),
        )
        .add(
            estimator=estimator,
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )
    )
    routed = process_routing(router, "fit", **params)
    return dict(routed.splitter.split), dict(routed.estimator.fit)


def _check_partition(test_indices, n_samples):
    """Raise unless the test folds put every sample in exactly one fold."""
    if test_indices.shape[0] != n_samples or not np.array_equal(
        np.sort(test_indices), np.arange(n_samples)
    ):
        raise ValueError(
            "cross_val_predict only works for partitions: every sample must be in "
            "exactly one test fold."
        )


def _fold_predictions(results, method, all_classes, named):
    """Each fold's predictions, probability columns aligned on ``all_classes``."""
    if method == "predict":
        return [np.asarray(pred) for pred, _ in results]
    positions = np.arange(len(all_classes))
    return [
        _align_columns(
            np.asarray(pred),
            # an estimator that read the DataFrame's columns by position
            all_classes
            if named
            and fold_classes is not None
            and np.array_equal(np.asarray(fold_classes), positions)
            else fold_classes,
            all_classes,
            method,
        )
        for pred, fold_classes in results
    ]
