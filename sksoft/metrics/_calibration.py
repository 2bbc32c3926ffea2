"""Binned calibration errors (ECE, MCE, classwise) and hard-sample calibration."""

import numbers
from typing import NamedTuple

import numpy as np

from ..targets import HARD_DEFINITIONS, hard_sample_mask, target_entropy
from ..utils._sklearn_compat import Interval, StrOptions, validate_params
from ._validation import _as_array, check_pair

__all__ = [
    "expected_calibration_error",
    "hard_sample_calibration_error",
    "max_calibration_error",
]


class _Bins(NamedTuple):
    """Per-bin statistics of one calibration measurement."""

    edges: np.ndarray  # (n_bins + 1,)
    count: np.ndarray  # samples per bin (unweighted)
    weight: np.ndarray  # total sample weight per bin (== count without weights)
    mean_confidence: np.ndarray  # nan for empty bins
    mean_accuracy: np.ndarray  # nan for empty bins


def _gather_rows(matrix, col, *, overwrite_col=False):
    """``matrix[i, col[i]]`` for every row, without a take_along_axis copy.

    With ``overwrite_col=True`` the index array ``col`` is reused as scratch.
    """
    n, k = matrix.shape
    if matrix.flags.c_contiguous:
        flat = col if overwrite_col else col.astype(np.intp, copy=True)
        flat += np.arange(0, n * k, k, dtype=np.intp)
        return np.take(matrix.reshape(-1), flat)
    return matrix[np.arange(n), col]


def _argmax_rows(proba):
    """Row-wise argmax of validated probabilities (finite, no negative values).

    For non-negative IEEE floats the order of the bit patterns read as signed
    integers is the order of the values (ties stay ties), and integer argmax
    skips the NaN handling of the float loop, so the same indices come back
    about 10-20% faster. ``-0.0`` (negative as an integer) can never be the
    maximum of a row that sums to 1.
    """
    itype = {8: np.int64, 4: np.int32}.get(proba.dtype.itemsize)
    if proba.dtype.kind == "f" and itype is not None:
        return np.argmax(proba.view(itype), axis=1)
    return np.argmax(proba, axis=1)


def bin_edges(conf, n_bins, strategy):
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    edges = np.quantile(conf, np.linspace(0.0, 1.0, n_bins + 1))
    edges[0], edges[-1] = 0.0, 1.0
    return np.maximum.accumulate(edges)


def assign_bins(conf, edges, uniform):
    """Bin index of each confidence: bins ``[e_i, e_{i+1})``, the last one closed.

    This is ``numpy.histogram``'s convention (and netcal's): a confidence equal
    to an inner edge goes to the bin on its right, a confidence of exactly 1.0
    to the last bin.
    """
    n_bins = len(edges) - 1
    if uniform:
        # Arithmetic guess, then one exact correction step against the edges,
        # so that the result equals ``searchsorted(edges, conf, "right") - 1``
        # (clipped to the last bin). The guess is off by at most one bin; a
        # guess of n_bins (confidence >= 1) is sent back by the +inf lower edge.
        idx = np.multiply(conf, n_bins).astype(np.intp)
        lower = np.append(edges[:-1], np.inf)
        upper = np.append(edges[1:-1], [np.inf, np.inf])
        idx -= conf < lower[idx]
        idx += conf >= upper[idx]
        return idx
    idx = np.searchsorted(edges, conf, side="right")
    idx -= 1
    np.clip(idx, 0, n_bins - 1, out=idx)
    return idx


def _bin_statistics(conf, acc, weight, n_bins, strategy):
    edges = bin_edges(conf, n_bins, strategy)
    idx = assign_bins(conf, edges, strategy == "uniform")
    if weight is None and acc.dtype == bool:
        # one integer bincount gives the bin sizes and the hits per bin
        split = np.bincount(2 * idx + acc, minlength=2 * n_bins).reshape(n_bins, 2)
        count = split.sum(axis=1).astype(np.float64)
        wsum, sacc = count, split[:, 1].astype(np.float64)
        sconf = np.bincount(idx, weights=conf, minlength=n_bins)
    else:
        count = np.bincount(idx, minlength=n_bins).astype(np.float64)
        if acc.dtype == bool:
            acc = acc.astype(np.float64)
        if weight is None:
            wsum = count
            sconf = np.bincount(idx, weights=conf, minlength=n_bins)
            sacc = np.bincount(idx, weights=acc, minlength=n_bins)
        else:
            wsum = np.bincount(idx, weights=weight, minlength=n_bins)
            sconf = np.bincount(idx, weights=conf * weight, minlength=n_bins)
            sacc = np.bincount(idx, weights=acc * weight, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mconf = np.where(wsum > 0, sconf / wsum, np.nan)
        macc = np.where(wsum > 0, sacc / wsum, np.nan)
    return _Bins(edges, count, wsum, mconf, macc)


def _reduce_bins(bins, norm, bin_weighting):
    nonempty = bins.weight > 0
    gap = np.abs(bins.mean_accuracy[nonempty] - bins.mean_confidence[nonempty])
    if norm == "max":
        return float(gap.max())
    if bin_weighting == "size":
        share = bins.weight[nonempty] / bins.weight[nonempty].sum()
    else:
        share = np.full(gap.shape, 1.0 / gap.size)
    if norm == "l1":
        return float(np.dot(share, gap))
    return float(np.sqrt(np.dot(share, gap * gap)))


def confidence_accuracy(pair, classwise):
    """Yield ``(confidence, accuracy)`` for each measured variant.

    One pair for the max-probability and the binary positive-class variants,
    one per class for the classwise variant.
    """
    proba, y_idx, y_soft = pair.proba, pair.y_idx, pair.y_soft
    if proba.ndim == 1:  # binary positive-class column
        yield proba, (y_idx == 1) if y_soft is None else y_soft[:, 1]
        return
    if classwise:
        for k in range(proba.shape[1]):
            yield proba[:, k], (y_idx == k) if y_soft is None else y_soft[:, k]
        return
    pred = _argmax_rows(proba)  # ties: first class, as sksoft.targets
    if y_soft is None:
        acc = pred == y_idx
        conf = _gather_rows(proba, pred, overwrite_col=True)
    else:
        acc = _gather_rows(y_soft, pred)
        conf = _gather_rows(proba, pred, overwrite_col=True)
    yield conf, acc


_BLOCK_VALUES = 1 << 16
"""Values per row block of the chunked kernel (512 KiB of float64: the block,
its transposed copy and the per-row temporaries stay in the L2 cache)."""


def _block_rows(n_classes):
    return max(256, _BLOCK_VALUES // n_classes)


def _uniform_bins(conf, n_bins, lower, upper):
    """Bin index of each confidence on uniform edges (as :func:`assign_bins`)."""
    idx = np.multiply(conf, n_bins).astype(np.intp)
    idx -= conf < lower[idx]
    idx += conf >= upper[idx]
    return idx


def _chunked_bin_sums(pair, n_bins, classwise, rows=None):
    """Per-bin sums of the uniform-bin ECE in one chunked pass over the rows.

    Returns ``(count, weight, sum_conf, sum_acc)``, each ``(V, n_bins)`` for
    ``V`` measured variants (1 for the top label, ``K`` classwise). For the
    top label a row block gives its argmax and confidences; for the classwise
    variant the block is transposed once, so each class's column is
    contiguous. The confidences, accuracies and bins of a block are computed
    while it is in cache and accumulated with
    :func:`numpy.bincount`, so the extra memory is a few blocks, not
    ``O(n)``. Same sums as :func:`_bin_statistics` up to the order of
    floating-point additions. ``rows`` (a boolean mask) restricts the sums
    to a subset without copying it.
    """
    proba, y_idx, y_soft, weight = pair.proba, pair.y_idx, pair.y_soft, pair.weight
    n, k = proba.shape
    n_var = k if classwise else 1
    size = n_var * n_bins
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    lower = np.append(edges[:-1], np.inf)
    upper = np.append(edges[1:-1], [np.inf, np.inf])
    count = np.zeros(size)
    hits = np.zeros(size)
    wsum = np.zeros(size) if weight is not None else None
    sconf = np.zeros(size)
    sacc = np.zeros(size) if (y_soft is not None or weight is not None) else None
    offset = (np.arange(n_var, dtype=np.intp) * n_bins)[:, None]
    step = _block_rows(k)
    for start in range(0, n, step):
        part = slice(start, min(start + step, n))
        block = proba[part]
        y_b = None if y_idx is None else y_idx[part]
        s_b = None if y_soft is None else y_soft[part]
        w_b = None if weight is None else weight[part]
        if rows is not None:  # a subset (hard samples): filtered block by block
            keep = rows[part]
            if not keep.any():
                continue
            block = block[keep]
            y_b = None if y_b is None else y_b[keep]
            s_b = None if s_b is None else s_b[keep]
            w_b = None if w_b is None else w_b[keep]
        if classwise:
            conf = np.ascontiguousarray(block.T)  # (K, B)
            if s_b is None:
                acc = y_b[None, :] == np.arange(k)[:, None]
            else:
                acc = np.ascontiguousarray(s_b.T)
        else:
            pred = _argmax_rows(block)
            acc = pred == y_b if s_b is None else _gather_rows(s_b, pred)
            conf = _gather_rows(block, pred, overwrite_col=True)
            conf, acc = conf[None, :], acc[None, :]
        idx = _uniform_bins(conf, n_bins, lower, upper)
        idx += offset
        idx = idx.ravel()
        conf = conf.ravel()
        acc = acc.ravel()
        if weight is None:
            sconf += np.bincount(idx, weights=conf, minlength=size)
            if acc.dtype == bool:
                split = np.bincount(2 * idx + acc, minlength=2 * size)
                count += split[0::2]
                count += split[1::2]
                hits += split[1::2]
            else:
                count += np.bincount(idx, minlength=size)
                sacc += np.bincount(idx, weights=acc, minlength=size)
        else:
            w = np.broadcast_to(w_b, (n_var, w_b.shape[0])).ravel()
            count += np.bincount(idx, minlength=size)
            wsum += np.bincount(idx, weights=w, minlength=size)
            sconf += np.bincount(idx, weights=conf * w, minlength=size)
            sacc += np.bincount(idx, weights=acc * w, minlength=size)
    if sacc is None:
        sacc = hits
    if wsum is None:
        wsum = count
    shape = (n_var, n_bins)
    return (
        edges,
        count.reshape(shape),
        wsum.reshape(shape),
        sconf.reshape(shape),
        sacc.reshape(shape),
    )


def _chunked_bins(pair, n_bins, classwise, rows=None):
    """:class:`_Bins` of each variant from :func:`_chunked_bin_sums`."""
    edges, count, wsum, sconf, sacc = _chunked_bin_sums(pair, n_bins, classwise, rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        mconf = np.where(wsum > 0, sconf / wsum, np.nan)
        macc = np.where(wsum > 0, sacc / wsum, np.nan)
    return [
        _Bins(edges, count[v], wsum[v], mconf[v], macc[v])
        for v in range(count.shape[0])
    ]


def _debiased_l2(conf, acc, n_bins, strategy, bin_weighting):
    """Kumar et al. (2019)'s debiased L2 calibration error of one variant.

    Each bin's squared gap loses the variance of its mean accuracy,
    estimated by the sample variance of the accuracies over the bin size
    (for 0/1 accuracies ``acc (1 - acc) / (n_b - 1)``, Kumar et al.'s term);
    bins of one sample get no correction.
    """
    bins = _bin_statistics(conf, acc, None, n_bins, strategy)
    acc = np.asarray(acc, dtype=np.float64)
    idx = assign_bins(conf, bins.edges, strategy == "uniform")
    sq = np.bincount(idx, weights=acc * acc, minlength=n_bins)
    nonempty = bins.count > 0
    n_b = bins.count[nonempty]
    mean_acc = bins.mean_accuracy[nonempty]
    gap2 = (mean_acc - bins.mean_confidence[nonempty]) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (sq[nonempty] - n_b * mean_acc**2) / (n_b - 1)
        correction = np.where(n_b > 1, np.maximum(var, 0.0) / n_b, 0.0)
    if bin_weighting == "size":
        share = n_b / n_b.sum()
    else:
        share = np.full(n_b.shape, 1.0 / n_b.size)
    return float(np.sqrt(max(float(np.dot(share, gap2 - correction)), 0.0)))


def _subset(pair, rows):
    return pair._replace(
        proba=pair.proba[rows],
        y_idx=None if pair.y_idx is None else pair.y_idx[rows],
        y_soft=None if pair.y_soft is None else pair.y_soft[rows],
        weight=None if pair.weight is None else pair.weight[rows],
    )


def _calibration_error(
    pair, n_bins, strategy, norm, bin_weighting, classwise, debiased=False, rows=None
):
    """The binned error of a validated pair, on the ``rows`` subset if given."""
    chunked = strategy == "uniform" and pair.proba.ndim == 2 and not debiased
    if rows is not None and not chunked:
        pair, rows = _subset(pair, rows), None
    if debiased:
        if norm != "l2":
            raise ValueError(
                f"debiased=True is defined for norm='l2' (Kumar et al., 2019); got "
                f"norm={norm!r}. The l1 ECE has no closed-form bias correction: "
                "use norm='l2', or smooth_calibration_error for small test sets."
            )
        if pair.weight is not None:
            raise ValueError("debiased=True does not support sample_weight.")
        errors = [
            _debiased_l2(conf, acc, n_bins, strategy, bin_weighting)
            for conf, acc in confidence_accuracy(pair, classwise)
        ]
        return float(np.mean(errors))
    if chunked:
        bins = _chunked_bins(pair, n_bins, classwise, rows)
    else:
        bins = [
            _bin_statistics(conf, acc, pair.weight, n_bins, strategy)
            for conf, acc in confidence_accuracy(pair, classwise)
        ]
    errors = [_reduce_bins(b, norm, bin_weighting) for b in bins]
    return float(np.mean(errors))


def _calibration_bins(
    y_true, y_prob, *, n_bins=15, strategy="uniform", labels=None, sample_weight=None
):
    """Per-bin statistics of the max-probability (or positive-class) variant."""
    pair = check_pair(
        y_true,
        y_prob,
        labels=labels,
        sample_weight=sample_weight,
        keep_binary_column=True,
    )
    ((conf, acc),) = confidence_accuracy(pair, classwise=False)
    return _bin_statistics(conf, acc, pair.weight, n_bins, strategy)


_ECE_CONSTRAINTS = {
    "y_true": ["array-like"],
    "y_prob": ["array-like"],
    "n_bins": [Interval(numbers.Integral, 1, None, closed="left")],
    "strategy": [StrOptions({"uniform", "quantile"})],
    "norm": [StrOptions({"l1", "l2", "max"})],
    "bin_weighting": [StrOptions({"size", "uniform"})],
    "classwise": ["boolean"],
    "debiased": ["boolean"],
    "labels": ["array-like", None],
    "sample_weight": ["array-like", None],
}


@validate_params(_ECE_CONSTRAINTS, prefer_skip_nested_validation=True)
def expected_calibration_error(
    y_true,
    y_prob,
    *,
    n_bins=15,
    strategy="uniform",
    norm="l1",
    bin_weighting="size",
    classwise=False,
    debiased=False,
    labels=None,
    sample_weight=None,
):
    r"""Binned expected calibration error (ECE), against hard or soft labels.

    Predictions are grouped into bins by confidence; in each bin the mean
    confidence is compared with the bin's accuracy, and the gaps are averaged.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Reference: class labels (gold labels), or probability rows (human soft
        labels, e.g. annotator vote shares). See Notes for how a soft
        reference defines a bin's accuracy.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities, columns in the order of ``labels`` (or of the
        sorted labels of ``y_true``). A 1-D array is the probability of the
        positive (second) class of a binary problem, as sklearn's scorers pass
        it; it is measured as positive-class calibration (see Notes).
    n_bins : int, default=15
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: bins of equal width on [0, 1]; ``"quantile"``: bins of
        equal mass, edges at the quantiles of the confidences (first and last
        edge set to 0 and 1; the quantiles are unweighted).
    norm : {"l1", "l2", "max"}, default="l1"
        How the per-bin gaps are combined: weighted mean absolute gap
        (``"l1"``, the ECE), root weighted mean squared gap (``"l2"``) or the
        largest gap over non-empty bins (``"max"``, the maximum calibration
        error, see :func:`max_calibration_error`).
    bin_weighting : {"size", "uniform"}, default="size"
        Weight of each non-empty bin in the ``"l1"`` and ``"l2"`` means: its
        share of the samples (``"size"``, the usual ECE), or equal weights over
        the non-empty bins (``"uniform"``, how netcal's ``ACE`` averages).
        Ignored for ``norm="max"``.
    classwise : bool, default=False
        If False, measure the calibration of the top-label (maximum) probability.
        If True, measure every class's probability column against that class's
        indicator (or soft target column) and average the per-class errors
        over classes (classwise ECE). Has no effect on a 1-D ``y_prob``.
    debiased : bool, default=False
        With ``norm="l2"`` only: subtract from each bin's squared gap the
        estimated variance of its mean accuracy (Kumar et al., 2019), which
        removes most of the upward bias of the binned error on small test
        sets (see Notes). Not available with ``sample_weight``.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob`` (e.g. an estimator's
        ``classes_``), needed when some classes are missing from a hard
        ``y_true``. Ignored for soft ``y_true`` (its columns are the classes).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights: a bin's size, mean confidence and accuracy become
        weighted sums and means.

    Returns
    -------
    error : float
        The calibration error, in [0, 1]; 0 is perfect calibration.

    Raises
    ------
    ValueError
        On mismatched lengths, a different number of classes in ``y_true`` and
        ``y_prob``, probabilities outside [0, 1] or rows not summing to 1,
        NaN/inf, empty input, ``n_bins < 1``, an unknown option, or
        ``debiased=True`` with a norm other than ``"l2"`` or with sample weights.

    See Also
    --------
    max_calibration_error : The largest per-bin gap (``norm="max"``).
    smooth_calibration_error : The binless smooth ECE.
    hard_sample_calibration_error : The same error on the hard (ambiguous)
        samples only.
    ReliabilityDisplay : Plot the bins behind this number.

    Notes
    -----
    Let sample :math:`i` have confidence :math:`c_i = \max_k p_{ik}` and
    predicted class :math:`\hat y_i = \arg\max_k p_{ik}` (ties to the first
    class, as :func:`sksoft.targets.hard_labels`). With bins :math:`B_1, \dots,
    B_M` of the confidences,

    .. math::

        \mathrm{ECE} = \sum_{m=1}^{M} \frac{|B_m|}{n}
        \left| \mathrm{acc}(B_m) - \mathrm{conf}(B_m) \right|,
        \qquad \mathrm{conf}(B_m) = \frac{1}{|B_m|} \sum_{i \in B_m} c_i,

    (Naeini et al., 2015; Guo et al., 2017). Against hard labels,
    :math:`\mathrm{acc}(B_m) = \frac{1}{|B_m|}\sum_{i\in B_m}
    \mathbb{1}[\hat y_i = y_i]`. Against a soft reference :math:`y_{ik}` (the
    share of annotators choosing class :math:`k`), the indicator is replaced
    by its expectation under the human distribution,
    :math:`\mathrm{acc}(B_m) = \frac{1}{|B_m|}\sum_{i \in B_m} y_{i\hat y_i}`:
    the probability that a randomly drawn annotator agrees with the
    prediction (Peterson et al., 2019; Baan et al., 2022). On one-hot rows
    this is exactly the hard definition.

    Bins are ``[e_m, e_{m+1})`` with the last bin closed, as in
    :func:`numpy.histogram` and netcal, so a confidence of exactly 1.0 falls
    in the last bin (torchmetrics instead gives it a bin of its own).

    Binary problems: a 1-D ``y_prob`` holds :math:`p_i = P(y_i = 1)`; the error
    then bins :math:`p_i` and compares it with the positive-class frequency
    (or the mean soft target of the positive class), which is how netcal
    measures two-class input. A two-column ``y_prob`` is measured with the
    top-label probability like any multiclass input.

    The classwise variant averages, over classes :math:`k`, the ECE of
    column :math:`p_{\cdot k}` against :math:`\mathbb{1}[y_i = k]` (or
    :math:`y_{ik}`) (Kull et al., 2019).

    Debiased L2 error (``norm="l2", debiased=True``): even a calibrated model
    has a positive binned error on a finite test set, because each bin's
    accuracy is estimated from :math:`n_m` samples. Kumar, Liang and Ma
    (2019) subtract that noise,

    .. math::

        \widehat{\mathrm{CE}}_2^2 = \sum_m \frac{n_m}{n}\left[
        (\mathrm{acc}(B_m) - \mathrm{conf}(B_m))^2 - \frac{s_m^2}{n_m}
        \right],

    with :math:`s_m^2` the sample variance (denominator :math:`n_m - 1`) of
    the per-sample accuracies in bin :math:`m` (for 0/1 accuracies
    :math:`s_m^2 / n_m = \mathrm{acc}(1 - \mathrm{acc}) / (n_m - 1)`, their
    formula; with a soft reference the same sample variance of the soft
    accuracies :math:`y_{i\hat y_i}`); bins of one sample are not corrected,
    and a negative sum is reported as 0 before the square root.

    References
    ----------
    .. [1] Naeini, Cooper and Hauskrecht, "Obtaining well calibrated
       probabilities using Bayesian binning", AAAI 2015.
    .. [2] Guo, Pleiss, Sun and Weinberger, "On calibration of modern neural
       networks", ICML 2017.
    .. [3] Kull et al., "Beyond temperature scaling: obtaining well-calibrated
       multiclass probabilities with Dirichlet calibration", NeurIPS 2019.
    .. [4] Peterson, Battleday, Griffiths and Russakovsky, "Human uncertainty
       makes classification more robust", ICCV 2019.
    .. [5] Baan, Aziz, Plank and Fernandez, "Stop measuring calibration when
       humans disagree", EMNLP 2022.
    .. [6] Kumar, Liang and Ma, "Verified uncertainty calibration", NeurIPS
       2019.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.metrics import expected_calibration_error
    >>> y_prob = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> expected_calibration_error([0, 1, 1, 0], y_prob, n_bins=5)
    0.35
    >>> soft = [[0.9, 0.1], [0.5, 0.5], [0.2, 0.8], [0.6, 0.4]]
    >>> expected_calibration_error(soft, y_prob, n_bins=5)
    0.1
    >>> round(expected_calibration_error([0, 1, 1, 0], y_prob, n_bins=5,
    ...                                  norm="l2"), 4)
    0.35
    >>> expected_calibration_error([0, 1, 1, 0], y_prob, n_bins=5, norm="l2",
    ...                            debiased=True)  # the gaps are within noise
    0.0
    """
    pair = check_pair(
        y_true,
        y_prob,
        labels=labels,
        sample_weight=sample_weight,
        keep_binary_column=True,
    )
    return _calibration_error(
        pair, n_bins, strategy, norm, bin_weighting, classwise, debiased
    )


@validate_params(
    {
        k: v
        for k, v in _ECE_CONSTRAINTS.items()
        if k not in ("norm", "bin_weighting", "debiased")
    },
    prefer_skip_nested_validation=True,
)
def max_calibration_error(
    y_true,
    y_prob,
    *,
    n_bins=15,
    strategy="uniform",
    classwise=False,
    labels=None,
    sample_weight=None,
):
    r"""Maximum calibration error (MCE): the largest gap over non-empty bins.

    Same as :func:`expected_calibration_error` with ``norm="max"``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Class labels (gold) or probability rows (human soft labels).
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    n_bins : int, default=15
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width or equal-mass bins.
    classwise : bool, default=False
        Average the per-class MCE over classes instead of using the top label.
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights for the per-bin means.

    Returns
    -------
    error : float
        :math:`\max_m |\mathrm{acc}(B_m) - \mathrm{conf}(B_m)|` over non-empty
        bins, in [0, 1].

    See Also
    --------
    expected_calibration_error : Definitions, soft references and binning.

    Notes
    -----
    Naeini, Cooper and Hauskrecht, "Obtaining well calibrated probabilities
    using Bayesian binning", AAAI 2015. Equal to netcal's ``MCE``.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.metrics import max_calibration_error
    >>> y_prob = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    >>> max_calibration_error([0, 1, 1, 0], y_prob, n_bins=5)
    0.4
    """
    pair = check_pair(
        y_true,
        y_prob,
        labels=labels,
        sample_weight=sample_weight,
        keep_binary_column=True,
    )
    return _calibration_error(pair, n_bins, strategy, "max", "size", classwise)


def _hardness_mask(y_true, soft_target, mask, hard_fraction, n, hard="top_fraction"):
    """Hard-sample mask from an explicit mask, routed soft targets or soft y_true."""
    if mask is not None:
        m = _as_array(mask)
        if m.ndim != 1 or m.shape[0] != n:
            raise ValueError(f"mask must be 1-D with {n} entries; got shape {m.shape}.")
        if m.dtype != bool:
            raise ValueError(f"mask must be boolean; got dtype {m.dtype}.")
        return m
    source = None
    if soft_target is not None:
        source, name = _as_array(soft_target), "soft_target"
        if source.ndim != 2 or source.shape[1] < 2:
            raise ValueError(
                "soft_target must be an (n_samples, n_classes) matrix of human "
                f"soft labels; got shape {source.shape}."
            )
        if source.shape[0] != n:
            raise ValueError(
                f"soft_target has {source.shape[0]} samples but y_prob has {n}."
            )
    else:
        yt = _as_array(y_true)
        if yt.ndim == 2 and yt.shape[1] > 1:
            source, name = yt, "y_true"
    if source is None:
        raise ValueError(
            "Hard samples are defined by the human soft labels, and none were "
            "given: y_true holds hard labels, and neither soft_target nor mask was "
            "passed. Pass y_true as an (n_samples, n_classes) soft matrix, or "
            "soft_target=<soft labels>, or an explicit mask. In GridSearchCV / "
            "cross_validate with hard y, enable metadata routing "
            "(sklearn.set_config(enable_metadata_routing=True)), call "
            "scorer.set_score_request(soft_target=True) and pass soft_target=T "
            "to fit (or params={'soft_target': T})."
        )
    if not np.any(target_entropy(source) > 0):
        raise ValueError(
            f"{name} has zero entropy on every sample (one-hot rows): there is "
            "no human disagreement to define hard samples with."
        )
    return hard_sample_mask(source, hard_fraction=hard_fraction, hard=hard)


@validate_params(
    {
        **_ECE_CONSTRAINTS,
        "soft_target": ["array-like", None],
        "hard_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "hard": [StrOptions(set(HARD_DEFINITIONS))],
        "subset": [StrOptions({"hard", "easy"})],
        "mask": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def hard_sample_calibration_error(
    y_true,
    y_prob,
    *,
    soft_target=None,
    hard_fraction=0.2,
    hard="top_fraction",
    subset="hard",
    mask=None,
    n_bins=15,
    strategy="uniform",
    norm="l1",
    bin_weighting="size",
    classwise=False,
    debiased=False,
    labels=None,
    sample_weight=None,
):
    """Calibration error on the hard samples (where humans disagree), or the rest.

    The hard samples are the ``hard_fraction`` share with the highest human
    target entropy (:func:`sksoft.targets.hard_sample_mask`, ties at the cut
    included), with ``hard="disagreement"`` every sample on which the humans
    disagree at all (entropy > 0), or an explicit ``mask``. The error is
    :func:`expected_calibration_error` restricted to them (``subset="hard"``)
    or to the easy complement (``subset="easy"``).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Calibration reference. A soft matrix (human soft labels) also defines
        the hard samples, unless ``soft_target`` or ``mask`` is given.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted probabilities; 1-D is the positive-class column.
    soft_target : array-like of shape (n_samples, n_classes), default=None
        Human soft labels that define hardness when ``y_true`` holds hard
        (gold) labels, e.g. routed to a scorer as metadata. The calibration
        reference stays ``y_true``.
    hard_fraction : float in (0, 1), default=0.2
        Target share of hard samples (see :func:`sksoft.targets.hard_sample_mask`);
        ignored with ``hard="disagreement"``.
    hard : {"top_fraction", "disagreement"}, default="top_fraction"
        Hard samples: the ``hard_fraction`` share with the highest human
        entropy, or every sample with any disagreement (entropy > 0, the
        "any disagreement" subset). Disagreement is counted on the classes
        the soft labels are given over (for ordinal ratings collapsed to
        classes, on the collapsed classes).
    subset : {"hard", "easy"}, default="hard"
        Measure the hard samples or their complement.
    mask : array-like of bool of shape (n_samples,), default=None
        Explicit hard-sample mask; overrides ``soft_target`` and soft ``y_true``.
    n_bins : int, default=15
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        Equal-width or equal-mass bins.
    norm : {"l1", "l2", "max"}, default="l1"
        Gap aggregation (``"max"`` = MCE).
    bin_weighting : {"size", "uniform"}, default="size"
        Bin weights for the ``"l1"``/``"l2"`` means.
    classwise : bool, default=False
        Classwise instead of top-label calibration.
    debiased : bool, default=False
        Debiased L2 error (``norm="l2"`` only, see
        :func:`expected_calibration_error`).
    labels : array-like of shape (n_classes,), default=None
        Class labels in the column order of ``y_prob``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    error : float
        Calibration error on the selected subset.

    Raises
    ------
    ValueError
        When no hardness information is available (hard ``y_true`` without
        ``soft_target`` or ``mask``), when the soft labels carry no
        disagreement at all, when the selected subset is empty, and on any
        input error of :func:`expected_calibration_error`.

    See Also
    --------
    expected_calibration_error : The error on all samples.
    sksoft.targets.hard_sample_mask : The hard-sample definition.

    Notes
    -----
    Miscalibration concentrates where annotators disagree (Peterson et al.,
    ICCV 2019; Baan et al., EMNLP 2022), and an average over all samples
    hides it because most samples are easy. This metric never falls back to
    a number computed without hardness information: without soft labels or a
    mask it raises.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.metrics import hard_sample_calibration_error
    >>> soft = np.array([[1.0, 0.0], [0.5, 0.5], [0.9, 0.1], [0.6, 0.4]])
    >>> y_prob = np.array([[0.9, 0.1], [0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    >>> hard_sample_calibration_error(soft, y_prob, hard_fraction=0.5, n_bins=5)
    0.25
    >>> hard_sample_calibration_error(soft, y_prob, hard_fraction=0.5,
    ...                               subset="easy", n_bins=5)
    0.1
    >>> round(hard_sample_calibration_error(soft, y_prob, hard="disagreement",
    ...                                     n_bins=5), 4)  # rows 1, 2, 3
    0.1333
    """
    pair = check_pair(
        y_true,
        y_prob,
        labels=labels,
        sample_weight=sample_weight,
        keep_binary_column=True,
    )
    n = pair.proba.shape[0]
    hard = _hardness_mask(y_true, soft_target, mask, hard_fraction, n, hard)
    sel = hard if subset == "hard" else ~hard
    if not sel.any():
        raise ValueError(
            f"The {subset} subset is empty ({int(hard.sum())} of {n} samples are "
            "hard); there is nothing to measure."
        )
    if pair.weight is not None and not pair.weight[sel].sum() > 0:
        raise ValueError(f"All sample weights of the {subset} subset are 0.")
    return _calibration_error(
        pair, n_bins, strategy, norm, bin_weighting, classwise, debiased, rows=sel
    )
