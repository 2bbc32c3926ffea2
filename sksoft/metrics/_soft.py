"""Losses, divergences and human-model alignment against soft targets."""

import numpy as np
from scipy.stats import rankdata

from .._rows import entropy_rows, js_rows, kl_rows, xlogy_rows
from ..utils._sklearn_compat import StrOptions, validate_params
from ._validation import _weighted_mean, check_pair

__all__ = [
    "distribution_calibration_error",
    "entropy_calibration_error",
    "js_divergence",
    "kl_divergence",
    "ranking_calibration_score",
    "soft_brier_score_loss",
    "soft_log_loss",
    "top1_agreement_score",
    "uncertainty_alignment",
]

_PAIR = {
    "y_true": ["array-like"],
    "y_prob": ["array-like"],
    "labels": ["array-like", None],
    "sample_weight": ["array-like", None],
}


def _soft_pair(y_true, y_prob, labels, sample_weight):
    pair = check_pair(
        y_true, y_prob, labels=labels, sample_weight=sample_weight, soft_only=True
    )
    return pair.y_soft, pair.proba, pair.weight


def _per_sample_or_mean(values, weight, per_sample):
    if per_sample:
        return values
    return _weighted_mean(values, weight)


@validate_params(
    {**_PAIR, "normalize": ["boolean"]}, prefer_skip_nested_validation=True
)
def soft_log_loss(y_true, y_prob, *, normalize=True, labels=None, sample_weight=None):
    r"""Cross-entropy of predicted probabilities against soft targets.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Soft targets (probability rows) or class labels (one-hot).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; a 1-D array is the positive-class column of a
        binary problem. Values are clipped to ``[eps, 1 - eps]`` with ``eps``
        the machine precision of its dtype, as :func:`sklearn.metrics.log_loss`
        does.
    normalize : bool, default=True
        Return the (weighted) mean per-sample loss; otherwise the (weighted) sum.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    loss : float
        :math:`-\frac{1}{n}\sum_i \sum_k y_{ik} \log p_{ik}` (natural log).

    See Also
    --------
    kl_divergence : The loss minus the target entropy.
    sklearn.metrics.log_loss : The same loss for hard labels.

    Notes
    -----
    On one-hot targets this equals :func:`sklearn.metrics.log_loss`. Against
    soft targets it is minimised by ``y_prob == y_true`` at the target entropy,
    not at 0; :func:`kl_divergence` subtracts that floor.

    Examples
    --------
    >>> from sksoft.metrics import soft_log_loss
    >>> soft_log_loss([[0.5, 0.5], [1.0, 0.0]], [[0.5, 0.5], [0.8, 0.2]])
    0.458...
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    eps = np.finfo(p.dtype).eps
    loss = -xlogy_rows(y, np.clip(p, eps, 1 - eps))
    if normalize:
        return _weighted_mean(loss, w)
    return float(loss.sum() if w is None else np.dot(loss, w))


@validate_params(
    {**_PAIR, "scale_by_half": ["boolean", StrOptions({"auto"})]},
    prefer_skip_nested_validation=True,
)
def soft_brier_score_loss(
    y_true, y_prob, *, scale_by_half="auto", labels=None, sample_weight=None
):
    r"""Multiclass Brier score against soft targets.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Soft targets (probability rows) or class labels (one-hot).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    scale_by_half : bool or "auto", default="auto"
        Halve the score so that it lies in [0, 1]. ``"auto"`` halves it for
        binary problems only, as :func:`sklearn.metrics.brier_score_loss`
        (scikit-learn >= 1.7) does; multiclass scores lie in [0, 2].
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    loss : float
        :math:`\frac{1}{n}\sum_i\sum_k (y_{ik} - p_{ik})^2`, halved as above.

    See Also
    --------
    sklearn.metrics.brier_score_loss : The same score for hard labels.

    Notes
    -----
    Brier, "Verification of forecasts expressed in terms of probability",
    Monthly Weather Review, 1950. On one-hot targets this equals
    :func:`sklearn.metrics.brier_score_loss` (same scale). With soft targets
    it is minimised by ``y_prob == y_true`` at the (non-zero) value
    :math:`1 - \sum_k y_{ik}^2` per sample.

    Examples
    --------
    >>> from sksoft.metrics import soft_brier_score_loss
    >>> soft_brier_score_loss([[0.2, 0.3, 0.5]], [[0.2, 0.3, 0.5]])
    0.0
    >>> soft_brier_score_loss([[0.0, 0.0, 1.0]], [[0.2, 0.3, 0.5]])
    0.38
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    diff = y - p
    per = np.einsum("ij,ij->i", diff, diff)
    score = _weighted_mean(per, w)
    if scale_by_half == "auto":
        scale_by_half = p.shape[1] < 3
    return 0.5 * score if scale_by_half else score


_DIV = {**_PAIR, "per_sample": ["boolean"]}


@validate_params(_DIV, prefer_skip_nested_validation=True)
def kl_divergence(y_true, y_prob, *, per_sample=False, labels=None, sample_weight=None):
    r"""Kullback-Leibler divergence from the target to the predicted distribution.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Target distribution (soft labels) or class labels (one-hot).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    per_sample : bool, default=False
        Return the divergence of every sample instead of the (weighted) mean.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the mean (ignored with ``per_sample=True``).

    Returns
    -------
    divergence : float or ndarray of shape (n_samples,)
        :math:`\mathrm{KL}(y_i \| p_i) = \sum_k y_{ik} \log(y_{ik}/p_{ik})`,
        natural log, ``0 log 0 = 0``; ``inf`` where the model gives probability
        0 to a class the target supports.

    See Also
    --------
    js_divergence : A bounded, symmetric alternative.
    soft_log_loss : Cross-entropy, equal to KL plus the target entropy.

    Notes
    -----
    Kullback and Leibler, "On information and sufficiency", Annals of
    Mathematical Statistics, 1951. Unlike :func:`soft_log_loss` no clipping
    is applied.

    Examples
    --------
    >>> from sksoft.metrics import kl_divergence
    >>> kl_divergence([[0.5, 0.5]], [[0.5, 0.5]])
    0.0
    >>> kl_divergence([[0.5, 0.5], [1.0, 0.0]], [[0.9, 0.1], [0.5, 0.5]],
    ...               per_sample=True)
    array([0.5108..., 0.6931...])
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    return _per_sample_or_mean(kl_rows(y, p), w, per_sample)


@validate_params(_DIV, prefer_skip_nested_validation=True)
def js_divergence(y_true, y_prob, *, per_sample=False, labels=None, sample_weight=None):
    r"""Jensen-Shannon divergence between target and predicted distributions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Target distribution (soft labels) or class labels (one-hot).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    per_sample : bool, default=False
        Return the divergence of every sample instead of the (weighted) mean.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the mean (ignored with ``per_sample=True``).

    Returns
    -------
    divergence : float or ndarray of shape (n_samples,)
        :math:`\tfrac12 \mathrm{KL}(y\|m) + \tfrac12 \mathrm{KL}(p\|m)` with
        :math:`m = (y + p)/2`; natural log, so in :math:`[0, \log 2]`.

    See Also
    --------
    kl_divergence : The asymmetric, unbounded divergence.

    Notes
    -----
    Lin, "Divergence measures based on the Shannon entropy", IEEE Trans.
    Information Theory, 1991. This is the squared Jensen-Shannon *distance*
    of :func:`scipy.spatial.distance.jensenshannon`.

    Examples
    --------
    >>> from sksoft.metrics import js_divergence
    >>> js_divergence([[1.0, 0.0]], [[0.0, 1.0]])
    0.6931...
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    return _per_sample_or_mean(js_rows(y, p), w, per_sample)


@validate_params(_DIV, prefer_skip_nested_validation=True)
def entropy_calibration_error(
    y_true, y_prob, *, per_sample=False, labels=None, sample_weight=None
):
    r"""Entropy calibration error: human entropy minus model entropy.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Human soft labels (class labels give entropy 0).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    per_sample : bool, default=False
        Return the signed per-sample differences
        :math:`H(y_i) - H(p_i)` (positive: the model is over-confident
        relative to the humans) instead of the mean absolute difference.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the mean (ignored with ``per_sample=True``).

    Returns
    -------
    error : float or ndarray of shape (n_samples,)
        :math:`\frac1n\sum_i |H(y_i) - H(p_i)|` (natural log), or the signed
        per-sample values.

    See Also
    --------
    uncertainty_alignment : Rank correlation of the two entropies.
    ranking_calibration_score, distribution_calibration_error : The other
        measures of Baan et al. (2022).

    Notes
    -----
    EntCE of Baan, Aziz, Plank and Fernandez, "Stop measuring calibration when
    humans disagree", EMNLP 2022: a model is calibrated to human uncertainty
    when its predictive entropy matches the entropy of the annotator
    distribution.

    Examples
    --------
    >>> from sksoft.metrics import entropy_calibration_error
    >>> entropy_calibration_error([[0.5, 0.5], [1.0, 0.0]],
    ...                           [[0.9, 0.1], [0.5, 0.5]], per_sample=True)
    array([ 0.368..., -0.693...])
    >>> entropy_calibration_error([[0.5, 0.5], [1.0, 0.0]],
    ...                           [[0.9, 0.1], [0.5, 0.5]])
    0.530...
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    diff = entropy_rows(y) - entropy_rows(p)
    if per_sample:
        return diff
    return _weighted_mean(np.abs(diff), w)


#: tie conventions of the ranking and top-1 measures (see their Notes)
TIE_CONVENTIONS = ("sksoft", "baan2022")


def ranking_match(y, p, ties="sksoft", chunk=65536):
    """Per-sample ranking match under a tie convention (see the Notes of
    :func:`ranking_calibration_score`)."""
    if ties == "baan2022":
        # equal stable ascending orders: ties broken by column index on both sides
        return np.all(
            np.argsort(y, axis=1, kind="stable")
            == np.argsort(p, axis=1, kind="stable"),
            axis=1,
        )
    out = np.empty(y.shape[0], dtype=bool)
    for s in range(0, y.shape[0], chunk):
        ys, ps = y[s : s + chunk], p[s : s + chunk]
        human_gt = ys[:, :, None] > ys[:, None, :]
        model_gt = ps[:, :, None] > ps[:, None, :]
        out[s : s + chunk] = ~np.any(human_gt & ~model_gt, axis=(1, 2))
    return out


def top1_index(a, ties="sksoft"):
    """Row-wise argmax; ties to the first column, or to the last (``baan2022``)."""
    if ties == "baan2022":
        return a.shape[1] - 1 - np.argmax(a[:, ::-1], axis=1)
    return np.argmax(a, axis=1)


_TIES = {"ties": [StrOptions(set(TIE_CONVENTIONS))]}


@validate_params({**_PAIR, **_TIES}, prefer_skip_nested_validation=True)
def ranking_calibration_score(
    y_true, y_prob, *, ties="sksoft", labels=None, sample_weight=None
):
    r"""Share of samples whose class ranking matches the human ranking.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Human soft labels (class labels are one-hot rows).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    ties : {"sksoft", "baan2022"}, default="sksoft"
        Tie convention. ``"sksoft"``: human ties are free, see **Tie rule**.
        ``"baan2022"``: the rule of the published code of Baan et al. (2022),
        which breaks every tie by column index, see **Published rule**.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        In [0, 1]; higher is better.

    See Also
    --------
    top1_agreement_score : Agreement on the first-ranked class only.
    entropy_calibration_error, distribution_calibration_error : The other
        measures of Baan et al. (2022).

    Notes
    -----
    RankCS of Baan, Aziz, Plank and Fernandez, "Stop measuring calibration
    when humans disagree", EMNLP 2022.

    **Tie rule** (``ties="sksoft"``, the default). The human distribution is
    a weak order. Sample :math:`i` matches when every strict human preference
    is a strict model preference:
    :math:`y_{ij} > y_{ik} \Rightarrow p_{ij} > p_{ik}` for all class pairs.
    Classes the humans tie (e.g. two classes with no votes, compared exactly)
    may be ranked either way by the model; a model tie between classes the
    humans rank strictly is a mismatch. With one-hot targets the score is the
    share of samples whose true class has a strictly largest probability.
    The score does not depend on the column order.

    **Published rule** (``ties="baan2022"``). The published code
    (``analysis_utils.generate_table1`` of the repository
    ``jsbaan/calibration-on-disagreement-data``) counts a match when the
    ascending ``argsort`` of the model probabilities equals that of the human
    vote counts, i.e. when both rankings agree after breaking every tie by
    column index (the lower column ranks lower; this implementation uses a
    stable sort so that the rule is exact on every platform). Classes the
    humans tie must then appear in column order in the model's ranking too,
    so the score depends on the column order (the paper's numbers use
    ChaosNLI's ``[entailment, neutral, contradiction]``). On ChaosNLI (100
    votes over 3 classes) the two rules differ by about 0.02. With few votes
    and many classes they diverge completely: with 6 votes over 10 classes at
    least four classes have no votes, the published rule asks the model to
    order those unvoted classes by index, and practically every model scores
    0, whatever its quality. The default therefore treats human ties as
    uninformative; use ``"baan2022"`` only to reproduce published numbers.

    Examples
    --------
    >>> from sksoft.metrics import ranking_calibration_score
    >>> y = [[0.6, 0.3, 0.1], [0.5, 0.5, 0.0]]
    >>> ranking_calibration_score(y, [[0.5, 0.4, 0.1], [0.3, 0.6, 0.1]])
    1.0
    >>> ranking_calibration_score(y, [[0.4, 0.5, 0.1], [0.3, 0.6, 0.1]])
    0.5
    >>> p = [[0.5, 0.4, 0.1], [0.6, 0.3, 0.1]]  # breaks the human tie 0 = 1
    >>> ranking_calibration_score(y, p)
    1.0
    >>> ranking_calibration_score(y, p, ties="baan2022")
    0.5
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    return _weighted_mean(ranking_match(y, p, ties), w)


@validate_params(_DIV, prefer_skip_nested_validation=True)
def distribution_calibration_error(
    y_true, y_prob, *, per_sample=False, labels=None, sample_weight=None
):
    r"""Distribution calibration error: total variation from the human distribution.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Human soft labels (class labels are one-hot rows).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    per_sample : bool, default=False
        Return the per-sample distances instead of the (weighted) mean.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the mean (ignored with ``per_sample=True``).

    Returns
    -------
    error : float or ndarray of shape (n_samples,)
        :math:`\mathrm{TV}(y_i, p_i) = \tfrac12 \sum_k |y_{ik} - p_{ik}|`, in
        [0, 1].

    See Also
    --------
    js_divergence : An information-theoretic distance between the same pair.

    Notes
    -----
    DistCE of Baan, Aziz, Plank and Fernandez, "Stop measuring calibration
    when humans disagree", EMNLP 2022.

    Examples
    --------
    >>> from sksoft.metrics import distribution_calibration_error
    >>> distribution_calibration_error([[0.5, 0.5, 0.0]], [[0.2, 0.5, 0.3]])
    0.3
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    tv = 0.5 * np.abs(y - p).sum(axis=1)
    return _per_sample_or_mean(tv, w, per_sample)


@validate_params({**_PAIR, **_TIES}, prefer_skip_nested_validation=True)
def top1_agreement_score(
    y_true, y_prob, *, ties="sksoft", labels=None, sample_weight=None
):
    """Share of samples whose predicted class is the human majority class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Human soft labels or class labels.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    ties : {"sksoft", "baan2022"}, default="sksoft"
        Tie convention of both argmaxes: ``"sksoft"`` breaks ties towards the
        first class in column order, ``"baan2022"`` towards the last, as the
        published code of Baan et al. (2022) does (see Notes).
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    score : float
        In [0, 1]. With hard labels this is the accuracy.

    See Also
    --------
    sksoft.targets.hard_labels : The tie rule (ties go to the first class).
    ranking_calibration_score : Agreement on the whole ranking.

    Notes
    -----
    With ``ties="sksoft"`` both argmaxes break ties towards the first class
    in column order, as :func:`sksoft.targets.hard_labels`,
    :func:`numpy.argmax` and the binned calibration errors do.

    The published code of Baan et al. (2022) (``calibration_metrics.acck``)
    takes the last entry of an ascending ``argsort``, which breaks ties
    towards the *last* column; ``ties="baan2022"`` reproduces it (with a
    stable rule, exact on every platform). Their ECE uses
    :func:`numpy.argmax` (first column), so
    :func:`~sksoft.metrics.expected_calibration_error` needs no option. On
    ChaosNLI-SNLI 14 of 1,514 items have a tied human majority and the two
    rules differ by about 0.002.

    Examples
    --------
    >>> from sksoft.metrics import top1_agreement_score
    >>> top1_agreement_score([[0.6, 0.4], [0.5, 0.5]], [[0.7, 0.3], [0.4, 0.6]])
    0.5
    >>> top1_agreement_score([[0.6, 0.4], [0.5, 0.5]], [[0.7, 0.3], [0.4, 0.6]],
    ...                      ties="baan2022")
    1.0
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    return _weighted_mean(top1_index(y, ties) == top1_index(p, ties), w)


def _weighted_pearson(a, b, w):
    if w is None:
        w = np.ones_like(a)
    w = w / w.sum()
    da = a - np.dot(w, a)
    db = b - np.dot(w, b)
    return float(np.dot(w, da * db) / np.sqrt(np.dot(w, da * da) * np.dot(w, db * db)))


@validate_params(
    {
        **_PAIR,
        "method": [StrOptions({"spearman", "pearson"})],
        "predicted": [StrOptions({"entropy", "confidence"})],
    },
    prefer_skip_nested_validation=True,
)
def uncertainty_alignment(
    y_true,
    y_prob,
    *,
    method="spearman",
    predicted="entropy",
    labels=None,
    sample_weight=None,
):
    """Correlation between human uncertainty and model uncertainty.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_classes)
        Human soft labels. Hard labels have constant (zero) entropy and are
        rejected.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    method : {"spearman", "pearson"}, default="spearman"
        Rank (Spearman, average ranks for ties) or linear (Pearson)
        correlation.
    predicted : {"entropy", "confidence"}, default="entropy"
        Correlate the target entropy with the predicted entropy (aligned
        models score near +1) or with the predicted confidence
        ``max_k p_ik`` (aligned models score near -1).
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (hard ``y_true`` only).
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of a weighted Pearson correlation (of the ranks for
        ``"spearman"``; the ranks themselves are unweighted).

    Returns
    -------
    correlation : float
        In [-1, 1].

    Raises
    ------
    ValueError
        When the target entropy or the model quantity is constant (the
        correlation is undefined), besides the usual input errors.

    See Also
    --------
    entropy_calibration_error : Absolute entropy differences.

    Notes
    -----
    Unweighted, the values equal :func:`scipy.stats.spearmanr` and
    :func:`scipy.stats.pearsonr`. Target entropy is
    :func:`sksoft.targets.target_entropy` (natural log).

    Examples
    --------
    >>> from sksoft.metrics import uncertainty_alignment
    >>> y = [[0.5, 0.5], [0.9, 0.1], [1.0, 0.0], [0.7, 0.3]]
    >>> p = [[0.6, 0.4], [0.8, 0.2], [0.95, 0.05], [0.7, 0.3]]
    >>> uncertainty_alignment(y, p)
    1.0
    >>> uncertainty_alignment(y, p, predicted="confidence")
    -1.0
    """
    y, p, w = _soft_pair(y_true, y_prob, labels, sample_weight)
    h_true = np.maximum(entropy_rows(y), 0.0)
    model = np.maximum(entropy_rows(p), 0.0) if predicted == "entropy" else p.max(1)
    if np.ptp(h_true) == 0:
        raise ValueError(
            "The target entropy is the same for every sample (hard labels or "
            "identical soft rows); its correlation with the model is undefined. "
            "Pass the human soft labels as y_true."
        )
    if np.ptp(model) == 0:
        raise ValueError(
            f"The predicted {predicted} is the same for every sample; the "
            "correlation is undefined."
        )
    if method == "spearman":
        h_true, model = rankdata(h_true), rankdata(model)
    return _weighted_pearson(h_true, model, w)
