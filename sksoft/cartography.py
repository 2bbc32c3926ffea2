"""Dataset cartography: training-dynamics statistics, transformer and data map.

Dataset cartography (Swayamdipta et al., 2020) describes every training sample
by the model's probability of its gold label across the epochs of training:
its mean (*confidence*), its standard deviation (*variability*) and the share
of epochs in which the sample is predicted right (*correctness*). They place a
sample in the easy-to-learn, ambiguous or hard-to-learn region of a *data map*.

This module is numpy-only at import time; torch and skorch are imported by
:class:`CartographyTransformer` when it fits, matplotlib by
:class:`DataMapDisplay` when it plots.
"""

import numbers
import warnings

import numpy as np
from scipy.stats import spearmanr
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import (
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._dynamics import DynamicsAccumulator, per_sample_quantities
from .targets import (
    check_probabilities,
    check_soft_targets,
    encode_labels,
    hard_labels,
)
from .utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

__all__ = [
    "CartographyTransformer",
    "DataMapDisplay",
    "human_alignment_summary",
    "training_dynamics_statistics",
]

#: Names (and order) of the per-sample statistics.
STATISTICS = (
    "confidence",
    "variability",
    "correctness",
    "forgetfulness",
    "target_confidence",
    "target_variability",
    "js_divergence",
)


# ----------------------------------------------------------------------------
# public statistics
# ----------------------------------------------------------------------------
@validate_params(
    {
        "y_proba": ["array-like"],
        "y": ["array-like"],
        "gold_labels": ["array-like", None],
        "classes": ["array-like", None],
        "counts": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def training_dynamics_statistics(
    y_proba, y, *, gold_labels=None, classes=None, counts=False
):
    """Per-sample dataset-cartography statistics from per-epoch probabilities.

    Parameters
    ----------
    y_proba : array-like of shape (n_epochs, n_samples, n_classes)
        Predicted probabilities of every training sample at every epoch
        (columns in the order of ``classes``).
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Targets: class labels or soft-label rows (vote counts with
        ``counts=True``), see :func:`sksoft.targets.check_soft_targets`.
    gold_labels : array-like of shape (n_samples,), default=None
        Gold label of each sample (values of ``classes``). By default the
        target's argmax, ties to the first class
        (:func:`sksoft.targets.hard_labels`).
    classes : array-like of shape (n_classes,), default=None
        Class labels of the columns; the sorted label set of a 1-D ``y``, or
        ``arange(n_classes)`` for a 2-D ``y``.
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts.

    Returns
    -------
    statistics : :class:`~sklearn.utils.Bunch` of ndarray of shape (n_samples,)
        - ``confidence``: mean over epochs of the gold-label probability
          ``p_e[gold]``;
        - ``variability``: its population standard deviation (``ddof=0``, as
          ``np.std`` in the reference);
        - ``correctness``: the number of epochs in which ``argmax p_e`` equals
          the gold label, **divided by the number of epochs** (a share in
          [0, 1]; the reference reports the raw count);
        - ``forgetfulness``: the number of correct-to-wrong transitions
          between consecutive epochs (Toneva et al., 2019). A sample that is
          never predicted right is reported as ``inf``: the reference uses the
          sentinel 1000 for it; ``inf`` keeps the same ranking ("forgotten
          more than any learnt sample") without colliding with a real count;
        - ``target_confidence`` and ``target_variability``: mean and
          population standard deviation of the expected target probability
          ``sum_k t_k p_{e,k}`` (equal to confidence and variability for
          one-hot targets);
        - ``js_divergence``: mean Jensen-Shannon divergence (natural log,
          at most ``log 2``) between the target ``t`` and ``p_e``;
        - ``n_epochs``: number of epochs recorded for the sample.

    See Also
    --------
    sksoft.callbacks.TrainingDynamics : Record the same statistics during a
        skorch fit.
    CartographyTransformer : Fit a net and return the statistics as features.
    human_alignment_summary : Relate the statistics to human label entropy.

    Notes
    -----
    With ``p_e`` the prediction at epoch ``e = 1..E`` and ``g`` the gold label,
    ``confidence = mean_e p_e[g]``, ``variability = sqrt(mean_e (p_e[g] -
    confidence)^2)`` and ``correctness = #{e : argmax p_e = g} / E``.

    References
    ----------
    .. [1] S. Swayamdipta et al., "Dataset Cartography: Mapping and Diagnosing
       Datasets with Training Dynamics", EMNLP 2020;
       ``cartography/selection/train_dy_filtering.py`` of allenai/cartography.
    .. [2] M. Toneva et al., "An Empirical Study of Example Forgetting during
       Deep Neural Network Learning", ICLR 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.cartography import training_dynamics_statistics
    >>> y_proba = np.array([[[0.6, 0.4], [0.1, 0.9]],
    ...                     [[0.8, 0.2], [0.6, 0.4]],
    ...                     [[0.4, 0.6], [0.2, 0.8]]])
    >>> stats = training_dynamics_statistics(y_proba, [0, 1])
    >>> stats["confidence"], stats["variability"]
    (array([0.6, 0.7]), array([0.163..., 0.216...]))
    >>> stats["correctness"], stats["forgetfulness"]
    (array([0.666..., 0.666...]), array([1., 1.]))
    """
    proba = np.asarray(y_proba, dtype=np.float64)
    if proba.ndim != 3:
        raise ValueError(
            "y_proba must have shape (n_epochs, n_samples, n_classes); got "
            f"shape {proba.shape}."
        )
    n_epochs, n, k = proba.shape
    if n_epochs == 0 or n == 0:
        raise ValueError(f"y_proba is empty: shape {proba.shape}.")
    check_probabilities(proba.reshape(-1, k), n_classes=k, input_name="y_proba")
    targets, classes_out = check_soft_targets(
        y, classes=classes, counts=counts, return_classes=True
    )
    if targets.shape != (n, k):
        raise ValueError(
            f"y gives targets of shape {targets.shape}; y_proba has {n} samples "
            f"and {k} classes."
        )
    if gold_labels is None:
        gold = hard_labels(targets)
    else:
        check_consistent_length(targets, gold_labels)
        gold = encode_labels(gold_labels, classes_out, name="gold label")
    acc = DynamicsAccumulator(n, full=True)
    for e in range(n_epochs):
        acc.begin_epoch()
        acc.update(np.arange(n), *per_sample_quantities(proba[e], targets, gold))
        acc.end_epoch()
    return acc.statistics()


def _quantile_thresholds(confidence, variability, fraction):
    """Thresholds that cut the regions by rank: ``fraction`` of the samples each.

    Ambiguous: the ``m = round(fraction * n)`` samples of highest variability
    (of the ``n`` recorded ones); hard-to-learn: the ``m`` samples of lowest
    confidence among the others; easy-to-learn: the rest. Each threshold lies
    halfway between the last value inside and the first outside its region,
    so :func:`_region_labels` with them gives these regions (samples tied at
    a cut fall on the side the threshold rule puts them).
    """
    ok = np.isfinite(confidence) & np.isfinite(variability)
    var = np.sort(variability[ok])[::-1]  # descending
    m = int(round(fraction * var.size))
    variability_threshold = _cut(var, m, above=True)
    rest = ok & ~(variability >= variability_threshold)
    conf = np.sort(confidence[rest])
    confidence_threshold = _cut(conf, min(m, conf.size), above=False)
    return float(confidence_threshold), float(variability_threshold)


def _cut(ordered, m, *, above):
    """Midpoint between ``ordered[m - 1]`` and ``ordered[m]``, or past an end."""
    if m == 0:
        return np.inf if above else -np.inf
    if m >= ordered.size:
        return -np.inf if above else np.inf
    return 0.5 * (ordered[m - 1] + ordered[m])


def _region_labels(
    confidence, variability, confidence_threshold, variability_threshold
):
    regions = np.full(confidence.shape, "hard-to-learn", dtype=object)
    regions[confidence >= confidence_threshold] = "easy-to-learn"
    regions[variability >= variability_threshold] = "ambiguous"
    regions[np.isnan(confidence) | np.isnan(variability)] = "unrecorded"
    return regions


def _stat_array(statistics, key):
    try:
        values = statistics[key]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"statistics has no {key!r} entry.") from exc
    return np.asarray(values, dtype=np.float64).ravel()


@validate_params(
    {
        "statistics": [dict, "array-like", HasMethods(["__getitem__"])],
        "human_entropy": ["array-like"],
        "n_quantiles": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def human_alignment_summary(statistics, human_entropy, *, n_quantiles=4):
    """How well a model's training dynamics mirror human label uncertainty.

    Parameters
    ----------
    statistics : mapping or DataFrame
        Per-sample statistics with at least ``"confidence"`` and
        ``"variability"`` (the output of
        :func:`training_dynamics_statistics`, of
        :meth:`sksoft.callbacks.TrainingDynamics.get_statistics` or a pandas
        output of :meth:`CartographyTransformer.fit_transform`).
    human_entropy : array-like of shape (n_samples,)
        Entropy of each sample's human label distribution, e.g.
        ``sksoft.targets.target_entropy(counts, counts=True)``.
    n_quantiles : int, default=4
        Number of human-entropy quantile bins for the table of means.

    Returns
    -------
    summary : :class:`~sklearn.utils.Bunch`
        - ``spearman_variability``, ``spearman_confidence``: Spearman rank
          correlation of variability and of confidence with the human
          entropy (``nan`` when either is constant);
        - ``pvalue_variability``, ``pvalue_confidence``: their two-sided
          p-values (scipy's :func:`~scipy.stats.spearmanr`);
        - ``spearman``: dict of the correlation of every statistic given;
        - ``quantile_edges``: the bin edges on the entropy scale;
        - ``quantile_counts``: samples per bin;
        - ``quantile_means``: dict statistic -> mean per bin (nan-aware);
        - ``n_samples``: samples used (rows with a nan statistic or entropy
          are left out of everything).

    See Also
    --------
    training_dynamics_statistics : The statistics summarised here.
    sksoft.targets.target_entropy : Entropy of human label distributions.

    Notes
    -----
    A model that mirrors human uncertainty is *less confident* on the samples
    humans disagree about: a clearly negative Spearman correlation between
    confidence and human entropy. (The soft-label study this library serves
    reports about -0.70 for models trained on human soft labels and -0.09 for
    synthetic ones; a second-hand figure.) Quantile bins are taken with
    ``np.quantile``; edges that coincide (many samples with the same entropy,
    such as unanimous votes) are merged, so fewer than ``n_quantiles`` bins
    may be returned. Samples equal to an inner edge go to the upper bin.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.cartography import human_alignment_summary
    >>> stats = {"confidence": np.array([0.9, 0.8, 0.5, 0.4]),
    ...          "variability": np.array([0.05, 0.1, 0.2, 0.3])}
    >>> summary = human_alignment_summary(stats, [0.0, 0.2, 0.6, 0.7],
    ...                                   n_quantiles=2)
    >>> float(summary.spearman_confidence), float(summary.spearman_variability)
    (-1.0, 1.0)
    >>> summary.quantile_means["confidence"]
    array([0.85, 0.45])
    """
    entropy = column_or_1d(np.asarray(human_entropy, dtype=np.float64))
    try:
        keys = [k for k in statistics.keys()]
    except AttributeError as exc:
        raise ValueError(
            "statistics must be a mapping or DataFrame of per-sample arrays."
        ) from exc
    columns = {}
    for key in keys:
        if key == "n_epochs":
            continue
        values = _stat_array(statistics, key)
        if values.shape != entropy.shape:
            raise ValueError(
                f"statistics[{key!r}] has {values.shape[0]} values; human_entropy "
                f"has {entropy.shape[0]}."
            )
        columns[str(key)] = values
    for key in ("confidence", "variability"):
        if key not in columns:
            raise ValueError(f"statistics has no {key!r} entry.")
    if np.any(np.isinf(entropy)) or np.any(entropy < 0):
        raise ValueError("human_entropy must be finite and non-negative.")
    keep = ~np.isnan(entropy)
    for key in ("confidence", "variability"):
        keep &= np.isfinite(columns[key])
    if not keep.any():
        raise ValueError("no sample has both a finite statistic and an entropy.")
    entropy = entropy[keep]
    columns = {k: v[keep] for k, v in columns.items()}

    spearman, pvalues = {}, {}
    for key, values in columns.items():
        finite = np.isfinite(values)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = spearmanr(values[finite], entropy[finite])
        spearman[key] = float(res.statistic)
        pvalues[key] = float(res.pvalue)

    edges = np.unique(np.quantile(entropy, np.linspace(0, 1, n_quantiles + 1)))
    if edges.size == 1:
        edges = np.array([edges[0], edges[0]])
    bins = np.searchsorted(edges[1:-1], entropy, side="right")
    n_bins = edges.size - 1
    counts = np.bincount(bins, minlength=n_bins)
    means = {}
    for key, values in columns.items():
        out = np.full(n_bins, np.nan)
        for b in range(n_bins):
            v = values[(bins == b) & np.isfinite(values)]
            if v.size:
                out[b] = v.mean()
        means[key] = out
    return Bunch(
        spearman_variability=spearman["variability"],
        spearman_confidence=spearman["confidence"],
        pvalue_variability=pvalues["variability"],
        pvalue_confidence=pvalues["confidence"],
        spearman=spearman,
        quantile_edges=edges,
        quantile_counts=counts,
        quantile_means=means,
        n_samples=int(keep.sum()),
    )


# ----------------------------------------------------------------------------
# transformer
# ----------------------------------------------------------------------------
class CartographyTransformer(TransformerMixin, BaseEstimator):
    """Train a net while recording training dynamics; samples -> data-map features.

    ``fit(X, y)`` trains a clone of ``estimator`` (a skorch net) with a
    :class:`~sksoft.callbacks.TrainingDynamics` callback and its internal
    validation split disabled (``train_split=None``), so that every row gets
    statistics. :meth:`fit_transform` returns the per-sample statistics of
    :func:`training_dynamics_statistics` as columns.

    Parameters
    ----------
    estimator : skorch NeuralNet classifier, default=None
        The net to train (cloned). ``None`` means
        :class:`sksoft.SoftLabelClassifier` with its defaults. Its
        ``train_split`` is set to ``None`` and the recording callback is
        put first in its ``callbacks`` (before a user ``EarlyStopping``) by
        :func:`sksoft.callbacks.attach_training_dynamics` (with
        ``callbacks="disable"``, the recorder is the net's only callback).
    mode : {"train", "eval"}, default="train"
        Record from the training forward pass (needs the indexed batches of
        :class:`sksoft.SoftLabelClassifier`) or from an eval-mode pass at the
        end of every epoch; see :class:`~sksoft.callbacks.TrainingDynamics`.
    storage : {"streaming", "full"}, default="streaming"
        Keep O(n_samples) running sums, or the full per-epoch history
        (available as ``training_dynamics_.history_``). The default differs
        from :class:`~sksoft.callbacks.TrainingDynamics`' ``"full"`` on
        purpose: the transformer returns statistics, for which the history is
        not needed, so it keeps the memory that does not grow with epochs.
    confidence_threshold : float, default=0.5
        With ``regions="threshold"``: samples below the variability threshold
        are *easy-to-learn* when their confidence is at least this, else
        *hard-to-learn*.
    variability_threshold : float, default=0.2
        With ``regions="threshold"``: samples whose variability is at least
        this are *ambiguous* (variability is at most 0.5 for probabilities).
    regions : {"quantile", "threshold"}, default="quantile"
        How the regions are cut. ``"quantile"``: relative to the run, by rank
        (as Swayamdipta et al. select their subsets): the ``region_fraction``
        of the samples with the highest variability are ambiguous, the same
        number with the lowest confidence among the others hard-to-learn, the
        rest easy-to-learn. ``"threshold"``: the fixed
        ``confidence_threshold`` and ``variability_threshold``.
    region_fraction : float in (0, 0.5], default=1/3
        Share of the samples in each of the ambiguous and hard-to-learn
        regions with ``regions="quantile"`` (1/3: the paper's 33% subsets).
        To look for mislabelled samples, a share near the expected noise rate
        concentrates them in hard-to-learn.
    random_state : int, RandomState instance or None, default=None
        When not ``None``, set as the cloned net's ``random_state`` (if it has
        one) for a reproducible fit.

    Attributes
    ----------
    estimator_ : skorch NeuralNet
        The fitted clone (its ``train_split`` is ``None``).
    training_dynamics_ : sksoft.callbacks.TrainingDynamics
        The fitted recording callback.
    statistics_ : :class:`~sklearn.utils.Bunch`
        All per-sample statistics (see :func:`training_dynamics_statistics`).
    confidence_ : ndarray of shape (n_samples,)
        Mean probability of the gold label over epochs.
    variability_ : ndarray of shape (n_samples,)
        Its population standard deviation (``ddof=0``).
    correctness_ : ndarray of shape (n_samples,)
        Share of epochs in which the gold label is predicted (count / epochs).
    forgetfulness_ : ndarray of shape (n_samples,)
        Correct-to-wrong transitions; ``inf`` for never-learnt samples.
    regions_ : ndarray of str of shape (n_samples,)
        ``"easy-to-learn"``, ``"ambiguous"`` or ``"hard-to-learn"``
        (``"unrecorded"`` for a row never seen in training).
    confidence_threshold_ : float
        The confidence cut the regions used: ``confidence_threshold``, or
        the one derived from the ranks with ``regions="quantile"``.
    variability_threshold_ : float
        The variability cut the regions used (as ``confidence_threshold_``).
    n_features_in_ : int
        Number of features seen during fit (for ``X`` of more than two
        dimensions, the size of its axis 1, e.g. image channels).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit (only when ``X`` has string column
        names).

    See Also
    --------
    sksoft.callbacks.TrainingDynamics : The recording callback.
    DataMapDisplay : Plot the data map of a fitted transformer.
    human_alignment_summary : Relate the statistics to human label entropy.

    Notes
    -----
    **Why there is no ``transform``.** The statistics describe how the
    training of this net went on the *training* rows; an unseen sample has no
    training dynamics. A ``transform(X_new)`` would have to return something
    else (say, one prediction's gold probability with variability 0), which is
    not what ``fit_transform`` returns on the same rows. As sklearn's
    :class:`~sklearn.manifold.TSNE` does, the transformer offers only
    :meth:`fit_transform`; the statistics of the fitted data stay available as
    fitted attributes.

    Output columns (:meth:`get_feature_names_out`): ``confidence``,
    ``variability``, ``correctness``, ``forgetfulness``,
    ``target_confidence``, ``target_variability``, ``js_divergence``.

    Regions: ``ambiguous`` if ``variability >= variability_threshold_``,
    otherwise ``easy-to-learn`` if ``confidence >= confidence_threshold_``,
    otherwise ``hard-to-learn``. The paper (Swayamdipta et al., 2020) draws
    the regions by eye and selects its subsets by rank; the default
    ``regions="quantile"`` derives both cuts from the ranks of this run
    (each cut halfway between the last sample inside a region and the first
    outside it), so each region holds about ``region_fraction`` of the
    samples whatever the number of epochs or the learning rate, while fixed
    cut-offs can leave a region empty (on digits with 10% flipped labels a
    20-epoch fit put 670 of 1,797 samples in hard-to-learn and none in
    easy-to-learn).

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from sksoft.cartography import CartographyTransformer
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(80, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> _ = torch.manual_seed(0)
    >>> net = NeuralNetClassifier(
    ...     torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Softmax(-1)),
    ...     max_epochs=5, lr=0.5, verbose=0)
    >>> carto = CartographyTransformer(net, mode="eval")
    >>> features = carto.fit_transform(X, y)
    >>> features.shape
    (80, 7)
    >>> carto.get_feature_names_out()[:3]
    array(['confidence', 'variability', 'correctness'], dtype=object)
    >>> sorted(set(carto.regions_)) <= ["ambiguous", "easy-to-learn", "hard-to-learn"]
    True
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "set_params", "get_params"]), None],
        "mode": [StrOptions({"train", "eval"})],
        "storage": [StrOptions({"full", "streaming"})],
        "confidence_threshold": [Interval(numbers.Real, 0, 1, closed="both")],
        "variability_threshold": [Interval(numbers.Real, 0, 0.5, closed="both")],
        "regions": [StrOptions({"quantile", "threshold"})],
        "region_fraction": [Interval(numbers.Real, 0, 0.5, closed="right")],
        "random_state": ["random_state"],
    }

    _callback_name = "sksoft_training_dynamics"

    def __init__(
        self,
        estimator=None,
        *,
        mode="train",
        storage="streaming",
        confidence_threshold=0.5,
        variability_threshold=0.2,
        regions="quantile",
        region_fraction=1 / 3,
        random_state=None,
    ):
        self.estimator = estimator
        self.mode = mode
        self.storage = storage
        self.confidence_threshold = confidence_threshold
        self.variability_threshold = variability_threshold
        self.regions = regions
        self.region_fraction = region_fraction
        self.random_state = random_state

    def _make_estimator(self, gold_labels):
        from skorch import NeuralNet

        from .callbacks import TrainingDynamics, attach_training_dynamics

        if self.estimator is None:
            from .classifier import SoftLabelClassifier

            est = SoftLabelClassifier()
        else:
            est = clone(self.estimator)
        if not isinstance(est, NeuralNet):
            raise TypeError(
                "CartographyTransformer records training dynamics with a skorch "
                f"callback; estimator must be a skorch NeuralNet, got "
                f"{type(est).__name__}."
            )
        params = est.get_params(deep=False)
        if self.random_state is not None and "random_state" in params:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            est.set_params(random_state=int(seed))
        recorder = TrainingDynamics(
            mode=self.mode, storage=self.storage, gold_labels=gold_labels
        )
        attach_training_dynamics(est, recorder, name=self._callback_name)
        est.set_params(train_split=None)
        return est

    def fit(self, X, y, gold_labels=None):
        """Train a clone of the net on ``(X, y)`` and record its dynamics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...)
            Training data; an array of more dimensions (e.g. images
            ``(n, channels, height, width)``) for a net whose module takes it
            (a CNN).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Targets in any form the net accepts (labels, soft-label rows).
        gold_labels : array-like of shape (n_samples,), default=None
            Gold label of each sample (values of the net's ``classes_``);
            by default the argmax of the target.

        Returns
        -------
        self : object
            The fitted transformer.
        """
        self._validate_params()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        X = validate_data(
            self,
            X,
            dtype=[np.float32, np.float64],
            ensure_min_samples=2,
            allow_nd=True,
        )
        check_consistent_length(X, y)
        if not X.flags.writeable:  # e.g. a copy-on-write pandas view
            X = X.copy()
        if gold_labels is not None:
            check_consistent_length(X, gold_labels)
            gold_labels = np.asarray(gold_labels)
        if np.asarray(y).ndim == 1 and np.unique(np.asarray(y)).size < 2:
            raise ValueError(
                "CartographyTransformer needs at least 2 classes in y; got 1 class."
            )
        est = self._make_estimator(gold_labels)
        est.fit(X, y)
        recorder = dict(est.callbacks_)[self._callback_name]
        stats = recorder.get_statistics()
        missing = int(np.sum(stats["n_epochs"] == 0))
        if missing:
            warnings.warn(
                f"{missing} training rows were never seen by the net's batch "
                "iterator (drop_last?); their statistics are nan.",
                UserWarning,
                stacklevel=2,
            )
        self.estimator_ = est
        self.training_dynamics_ = recorder
        self.statistics_ = stats
        self.confidence_ = stats["confidence"]
        self.variability_ = stats["variability"]
        self.correctness_ = stats["correctness"]
        self.forgetfulness_ = stats["forgetfulness"]
        if self.regions == "quantile":
            cuts = _quantile_thresholds(
                self.confidence_, self.variability_, self.region_fraction
            )
        else:
            cuts = (self.confidence_threshold, self.variability_threshold)
        self.confidence_threshold_, self.variability_threshold_ = cuts
        self.regions_ = _region_labels(self.confidence_, self.variability_, *cuts)
        return self

    def fit_transform(self, X, y, gold_labels=None):
        """Fit, then return the per-sample statistics as columns.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Targets in any form the net accepts.
        gold_labels : array-like of shape (n_samples,), default=None
            Gold labels (see :meth:`fit`).

        Returns
        -------
        X_new : ndarray of shape (n_samples, 7)
            Columns named by :meth:`get_feature_names_out`.
        """
        self.fit(X, y, gold_labels=gold_labels)
        return np.column_stack([self.statistics_[k] for k in STATISTICS])

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored apart from validation against the fitted feature names.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The statistic names.
        """
        check_is_fitted(self)
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            if input_features.shape != (self.n_features_in_,):
                raise ValueError(
                    f"input_features should have length equal to number of "
                    f"features ({self.n_features_in_}), got {len(input_features)}"
                )
            names = getattr(self, "feature_names_in_", None)
            if names is not None and not np.array_equal(names, input_features):
                raise ValueError("input_features is not equal to feature_names_in_")
        return np.asarray(STATISTICS, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = False
        return tags


# ----------------------------------------------------------------------------
# display
# ----------------------------------------------------------------------------
def _plotted_indices(x, y, max_samples, random_state):
    """Positions of the finite points, a sorted random subset past ``max_samples``."""
    if max_samples is not None and (
        not isinstance(max_samples, numbers.Integral) or max_samples < 1
    ):
        raise ValueError(f"max_samples must be a positive int; got {max_samples}.")
    idx = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if idx.size == 0:
        raise ValueError("no sample has finite confidence and variability.")
    if max_samples is not None and idx.size > max_samples:
        rng = check_random_state(random_state)
        idx = np.sort(rng.choice(idx, size=max_samples, replace=False))
    return idx


class DataMapDisplay:
    """Data map: variability (x) against confidence (y), one point per sample.

    Build it with :meth:`from_estimator` (a fitted
    :class:`CartographyTransformer` or
    :class:`~sksoft.callbacks.TrainingDynamics`) or :meth:`from_statistics`,
    or construct it and call :meth:`plot`.

    Parameters
    ----------
    variability : ndarray of shape (n_samples,)
        Standard deviation of the gold-label probability over epochs.
    confidence : ndarray of shape (n_samples,)
        Mean gold-label probability over epochs.
    correctness : ndarray of shape (n_samples,), default=None
        Share of correct epochs (the default colour).
    confidence_threshold : float, default=0.5
        Region guide: confidence cut between easy- and hard-to-learn.
    variability_threshold : float, default=0.2
        Region guide: variability at and above which samples are ambiguous.
    estimator_name : str, default=None
        Used in the title.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes with the data map.
    figure_ : matplotlib Figure
        Figure containing the map.
    scatter_ : matplotlib PathCollection
        The points.
    colorbar_ : matplotlib Colorbar or None
        Colour bar when the points are coloured by a numeric array.
    plotted_indices_ : ndarray
        Row positions of the plotted samples (after subsampling).

    See Also
    --------
    CartographyTransformer : Compute the statistics.
    training_dynamics_statistics : Statistics from stored probabilities.

    Notes
    -----
    The regions follow :class:`CartographyTransformer`: ambiguous at or right
    of the variability guide; easy-to-learn above and hard-to-learn below the
    confidence guide to its left. Samples with ``nan`` statistics are not
    drawn. Large maps are subsampled (``max_samples``), as the reference does
    at 25,000 points.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksoft.cartography import DataMapDisplay
    >>> rng = np.random.default_rng(0)
    >>> stats = {"confidence": rng.uniform(size=50),
    ...          "variability": rng.uniform(0, 0.4, size=50),
    ...          "correctness": rng.uniform(size=50)}
    >>> disp = DataMapDisplay.from_statistics(stats)
    >>> disp.ax_.get_xlabel(), disp.ax_.get_ylabel()
    ('variability', 'confidence')
    >>> len(disp.plotted_indices_)
    50
    """

    def __init__(
        self,
        *,
        variability,
        confidence,
        correctness=None,
        confidence_threshold=0.5,
        variability_threshold=0.2,
        estimator_name=None,
    ):
        self.variability = variability
        self.confidence = confidence
        self.correctness = correctness
        self.confidence_threshold = confidence_threshold
        self.variability_threshold = variability_threshold
        self.estimator_name = estimator_name

    def plot(
        self,
        ax=None,
        *,
        hue="correctness",
        hue_label=None,
        max_samples=25000,
        random_state=0,
        show_regions=True,
        cmap="coolwarm",
        scatter_kwargs=None,
    ):
        """Draw the data map.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure by default.
        hue : "correctness", array-like of shape (n_samples,) or None, \
                default="correctness"
            Colour of the points: the correctness, a user array (for example
            the human label entropy) or one colour.
        hue_label : str, default=None
            Colour-bar label; ``"correctness"`` for the default hue.
        max_samples : int or None, default=25000
            Plot a random subset of at most this many samples (``None``: all).
        random_state : int, RandomState instance or None, default=0
            Seed of the subsampling.
        show_regions : bool, default=True
            Draw the region guides and names.
        cmap : str or Colormap, default="coolwarm"
            Colour map for a numeric hue.
        scatter_kwargs : dict, default=None
            Passed to ``ax.scatter``.

        Returns
        -------
        display : DataMapDisplay
            Object that stores the computed values.
        """
        import matplotlib.pyplot as plt

        x, y = self._coordinates()
        color, hue_label = self._hue_values(hue, hue_label, x.shape)
        idx = _plotted_indices(x, y, max_samples, random_state)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 5))
        if color is not None:
            color = color[idx]
        self._scatter(ax, x[idx], y[idx], color, hue_label, cmap, scatter_kwargs)
        if show_regions:
            self._draw_regions(ax, x[idx])
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("variability")
        ax.set_ylabel("confidence")
        title = "Data map"
        if self.estimator_name:
            title += f" ({self.estimator_name})"
        ax.set_title(title)
        self.ax_ = ax
        self.figure_ = ax.figure
        self.plotted_indices_ = idx
        return self

    def _coordinates(self):
        """The variability (x) and confidence (y) arrays, of one length."""
        x = np.asarray(self.variability, dtype=np.float64).ravel()
        y = np.asarray(self.confidence, dtype=np.float64).ravel()
        if x.shape != y.shape:
            raise ValueError(
                f"variability ({x.shape[0]}) and confidence ({y.shape[0]}) differ "
                "in length."
            )
        return x, y

    def _hue_values(self, hue, hue_label, shape):
        """The colour array of ``hue`` (None: one colour) and the bar's label."""
        if isinstance(hue, str):
            if hue != "correctness":
                raise ValueError(
                    f"hue must be 'correctness', an array or None; got {hue!r}."
                )
            if self.correctness is None:
                raise ValueError("hue='correctness' but no correctness was given.")
            color = np.asarray(self.correctness, dtype=np.float64).ravel()
            hue_label = "correctness" if hue_label is None else hue_label
        elif hue is None:
            return None, hue_label
        else:
            color = np.asarray(hue, dtype=np.float64).ravel()
        if color.shape != shape:
            raise ValueError(f"hue has {color.shape[0]} values for {shape[0]} samples.")
        return color, hue_label

    def _scatter(self, ax, x, y, color, hue_label, cmap, scatter_kwargs):
        """Draw the points (and a colour bar for a numeric hue)."""
        kwargs = {"s": 12, "alpha": 0.8, "linewidths": 0}
        kwargs.update(scatter_kwargs or {})
        self.colorbar_ = None
        if color is None:
            self.scatter_ = ax.scatter(x, y, **kwargs)
            return
        kwargs.setdefault("cmap", cmap)
        self.scatter_ = ax.scatter(x, y, c=color, **kwargs)
        self.colorbar_ = ax.figure.colorbar(self.scatter_, ax=ax)
        if hue_label:
            self.colorbar_.set_label(hue_label)

    def _draw_regions(self, ax, x):
        """The region guides and names; sets the x range."""
        # a rank cut past an end (an empty region) is drawn at the edge
        vt = float(np.clip(self.variability_threshold, 0.0, 0.5))
        ct = float(np.clip(self.confidence_threshold, 0.0, 1.0))
        guide = {"color": "0.3", "linestyle": "--", "linewidth": 1}
        ax.axvline(vt, **guide)
        ax.plot([0, vt], [ct, ct], **guide)
        box = {"boxstyle": "round,pad=0.3", "fc": "white", "alpha": 0.8}
        text = {"fontsize": 10, "ha": "center", "va": "center", "bbox": box}
        xmax = max(float(np.nanmax(x)), vt) * 1.05 + 1e-3
        ax.text(vt / 2, 0.97, "easy-to-learn", **text)
        ax.text(vt / 2, 0.03, "hard-to-learn", **text)
        ax.text((vt + xmax) / 2, 0.5, "ambiguous", rotation=90, **text)
        ax.set_xlim(0, xmax)

    @classmethod
    def from_statistics(
        cls,
        statistics,
        *,
        regions="quantile",
        region_fraction=1 / 3,
        confidence_threshold=0.5,
        variability_threshold=0.2,
        estimator_name=None,
        ax=None,
        **plot_kwargs,
    ):
        """Plot the data map of a mapping of per-sample statistics.

        Parameters
        ----------
        statistics : mapping or DataFrame
            With ``"variability"`` and ``"confidence"`` (and ``"correctness"``
            for the default colour).
        regions : {"quantile", "threshold"}, default="quantile"
            Where the region guides go, as in :class:`CartographyTransformer`
            (whose default this is): ``"quantile"`` cuts by rank, the
            ``region_fraction`` of the samples with the highest variability
            ambiguous and as many of the lowest confidence among the others
            hard-to-learn; ``"threshold"``: at ``confidence_threshold`` and
            ``variability_threshold``.
        region_fraction : float in (0, 0.5], default=1/3
            With ``regions="quantile"``: the share of samples in each of the
            ambiguous and hard-to-learn regions.
        confidence_threshold, variability_threshold : float
            With ``regions="threshold"``: the region guides, see
            :class:`CartographyTransformer`.
        estimator_name : str, default=None
            Used in the title.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : DataMapDisplay
        """
        try:
            has_corr = "correctness" in statistics
        except TypeError:
            has_corr = False
        variability = _stat_array(statistics, "variability")
        confidence = _stat_array(statistics, "confidence")
        if regions not in ("quantile", "threshold"):
            raise ValueError(
                f"regions must be 'quantile' or 'threshold'; got {regions!r}."
            )
        if regions == "quantile":
            if not (
                isinstance(region_fraction, numbers.Real) and 0 < region_fraction <= 0.5
            ):
                raise ValueError(
                    "region_fraction must be a float in (0, 0.5]; got "
                    f"{region_fraction!r}."
                )
            if variability.shape != confidence.shape:
                raise ValueError(
                    "statistics: 'variability' and 'confidence' differ in length "
                    f"({variability.size} and {confidence.size})."
                )
            confidence_threshold, variability_threshold = _quantile_thresholds(
                confidence, variability, region_fraction
            )
        disp = cls(
            variability=variability,
            confidence=confidence,
            correctness=_stat_array(statistics, "correctness") if has_corr else None,
            confidence_threshold=confidence_threshold,
            variability_threshold=variability_threshold,
            estimator_name=estimator_name,
        )
        if not has_corr and "hue" not in plot_kwargs:
            plot_kwargs["hue"] = None
        return disp.plot(ax=ax, **plot_kwargs)

    @classmethod
    def from_estimator(cls, estimator, *, estimator_name=None, ax=None, **plot_kwargs):
        """Plot the data map of a fitted transformer or recording callback.

        Parameters
        ----------
        estimator : CartographyTransformer or TrainingDynamics
            Fitted; a transformer's region cuts (``confidence_threshold_``,
            ``variability_threshold_``) are used for the guides, a callback
            gets the default ``regions="quantile"`` guides of
            :meth:`from_statistics`.
        estimator_name : str, default=None
            Used in the title; the wrapped net's class name by default.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **plot_kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : DataMapDisplay
        """
        if isinstance(estimator, CartographyTransformer):
            check_is_fitted(estimator)
            stats = estimator.statistics_
            thresholds = {  # the cuts its regions used
                "regions": "threshold",
                "confidence_threshold": estimator.confidence_threshold_,
                "variability_threshold": estimator.variability_threshold_,
            }
            if estimator_name is None:
                estimator_name = type(estimator.estimator_).__name__
        elif hasattr(estimator, "get_statistics"):
            stats = estimator.get_statistics()
            thresholds = {}
        else:
            raise TypeError(
                "from_estimator expects a fitted CartographyTransformer or "
                f"TrainingDynamics callback; got {type(estimator).__name__}."
            )
        return cls.from_statistics(
            stats, estimator_name=estimator_name, ax=ax, **thresholds, **plot_kwargs
        )
