"""Binned calibration errors (ECE, MCE, classwise) and hard-sample calibration."""

import math
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


_BLOCK_VALUES = 1 << 18
"""Values per row block of the top-label kernel (2 MiB of float64; classwise
blocks hold half as many, its buffers hold several values per entry).
Measured on 1M x 10 (CPU time, machine under load, one run): 2**14 values
per block 56 ms, 2**15 40 ms, 2**16 33 ms, 2**17 31 ms, 2**18 30 ms; below
that the ~30 numpy calls per block dominate. Classwise, 2**17 was best."""


def _block_rows(n_classes, n_rows, values):
    """Rows per block: ``values`` values, but at most n / 32 rows (so that the
    block buffers stay a small share of the input) and at least 512."""
    return min(n_rows, max(512, min(values // n_classes, n_rows // 32)))


def _edge_step(n_bins):
    """``1 / n_bins`` if ``i * (1 / n_bins)`` reproduces the inner uniform edges.

    :func:`numpy.linspace` computes the edges that way (the last edge is set
    to exactly 1.0, which the closed last bin makes irrelevant); the check
    keeps the arithmetic bins exact on any numpy. ``None`` when it fails.
    """
    step = 1.0 / n_bins
    inner = np.arange(n_bins, dtype=np.float64) * step
    return (
        step if np.array_equal(inner, bin_edges(None, n_bins, "uniform")[:-1]) else None
    )


class _BinScratch:
    """Buffers of the uniform bin index of up to ``size`` confidences."""

    def __init__(self, size, n_bins):
        self.n_bins = n_bins
        self.step = _edge_step(n_bins)
        edges = bin_edges(None, n_bins, "uniform")
        self.lower = np.append(edges[:-1], np.inf)
        self.upper = np.append(edges[1:-1], [np.inf, np.inf])
        self.guess = np.empty(size)
        self.edge = np.empty(size)
        self.below = np.empty(size, dtype=bool)
        self.above = np.empty(size, dtype=bool)

    def bins(self, conf):
        """Bin index (as float64, in a scratch buffer) of each confidence.

        Equal to :func:`assign_bins`'s ``searchsorted(edges, conf, "right") -
        1`` clipped to the last bin: the guess ``floor(conf * n_bins)`` is off
        by at most one, and one comparison with its lower edge
        ``guess * step`` and its upper edge ``(guess + 1) * step`` (the same
        products as the edges) corrects it.
        """
        m = conf.size
        shape = conf.shape
        g = self.guess[:m].reshape(shape)
        e = self.edge[:m].reshape(shape)
        below = self.below[:m].reshape(shape)
        above = self.above[:m].reshape(shape)
        np.multiply(conf, self.n_bins, out=g)
        np.floor(g, out=g)
        if self.step is not None:
            np.multiply(g, self.step, out=e)
            np.less(conf, e, out=below)
            np.add(g, 1.0, out=e)
            np.multiply(e, self.step, out=e)
            np.greater_equal(conf, e, out=above)
            np.subtract(g, below, out=g)
            np.add(g, above, out=g)
            np.minimum(g, self.n_bins - 1, out=g)
            return g
        np.minimum(g, self.n_bins, out=g)
        idx = g.astype(np.intp)
        np.less(conf, self.lower[idx], out=below)
        idx -= below
        np.greater_equal(conf, self.upper[idx], out=above)
        idx += above
        np.copyto(g, idx)
        return g


def _argmax_layout(n_classes, dtype):
    """Packing of a row's maximum and its column into one sortable int64 key.

    Validated probability rows sum to 1 (to within 1e-4), so every entry is
    below 2 and the row maximum is above ``floor = 2**e <= 1 / (2 K)``. An
    entry ``x >= floor`` has the key ``((bits(x) - bits(floor)) << s) |
    (2**s - 1 - j)`` for column ``j`` (``2**s >= K``; entries below ``floor``
    are raised to it first): keys order as the values (non-negative IEEE
    floats order as their bit patterns), and among equal values the first
    column has the largest key, so the maximum key gives ``argmax``'s index
    (first maximum) and the exact maximum. Returns ``(s, floor, floor_bits)``,
    or ``None`` (not float64, or too many classes for 63 bits).
    """
    if dtype != np.float64:
        return None
    shift = max(1, (n_classes - 1).bit_length())
    floor = 2.0 ** math.floor(math.log2(0.5 / n_classes))
    floor_bits = int(np.float64(floor).view(np.int64))
    top_bits = int(np.float64(2.0).view(np.int64))
    if ((top_bits - floor_bits) << shift) + (1 << shift) >= 2**63:
        return None
    return shift, floor, floor_bits


def _wrap_int64(value):
    """A Python int reduced to int64 two's complement."""
    return (value + 2**63) % 2**64 - 2**63


class _TopLabelScratch:
    """Buffers of the packed-key argmax of row blocks of up to ``rows`` rows."""

    def __init__(self, rows, n_classes, layout):
        self.shift, self.floor, self.floor_bits = layout
        self.low = (1 << self.shift) - 1
        self.keys = np.empty((rows, n_classes), dtype=np.int64)
        # key = (max(x, floor) bits << s) + (2**s - 1 - j) - (floor_bits << s),
        # computed modulo 2**64; the true value fits, so the wrap cancels
        rev = self.low - np.arange(n_classes)
        addend = [_wrap_int64(int(r) - (self.floor_bits << self.shift)) for r in rev]
        self.addend = np.tile(np.array(addend, dtype=np.int64), (rows, 1))
        self.best = np.empty(rows, dtype=np.int64)
        self.pred = np.empty(rows, dtype=np.intp)
        # the maxima of adjacent entries (one contiguous SIMD pass), then of
        # the pairs that start at even columns (plus column K - 2 for odd K,
        # overlapping is harmless for a maximum): K // 2 strided columns
        # instead of K (1M x 10: 22-26 instead of 28-32 ms of CPU)
        self.pairs = np.empty(max(rows * n_classes - 1, 1), dtype=np.int64)
        self.starts = list(range(0, n_classes - 1, 2))
        if n_classes % 2:
            self.starts.append(n_classes - 2)

    def argmax_max(self, block):
        """``(argmax, max)`` of each row (argmax's first-maximum rule), or None.

        None when some row's maximum is not above ``floor`` (not a validated
        probability row); the caller then uses :func:`numpy.argmax`.
        """
        m, k = block.shape
        keys = self.keys[:m]
        np.maximum(block, self.floor, out=keys.view(np.float64))
        np.left_shift(keys, self.shift, out=keys)
        np.add(keys, self.addend[:m], out=keys)
        best = self.best[:m]
        flat = keys.reshape(-1)
        pairs = self.pairs[: m * k - 1]
        np.maximum(flat[:-1], flat[1:], out=pairs)
        starts = self.starts
        if len(starts) == 1:  # K = 2
            np.copyto(best, pairs[0::k])
        else:
            np.maximum(pairs[starts[0] :: k], pairs[starts[1] :: k], out=best)
        for j in starts[2:]:
            np.maximum(best, pairs[j::k], out=best)
        if best.min() <= self.low:
            return None
        pred = self.pred[:m]
        np.bitwise_and(best, self.low, out=pred)
        np.subtract(self.low, pred, out=pred)
        np.right_shift(best, self.shift, out=best)
        np.add(best, self.floor_bits, out=best)
        return pred, best.view(np.float64)


_TIE_BOUND = 0.5 + 1e-3
"""Largest row maximum that another entry of the row can equal: validated
rows sum to 1 within 1e-4, so two entries equal to the maximum ``c`` need
``2 c <= 1 + 1e-4``."""


class _TopHitScratch:
    """Buffers of the top label of row blocks against hard labels.

    For hard labels the predicted class itself is not needed, only whether
    it is the label. The row maximum ``c_i`` comes from the maxima of
    adjacent entries (one contiguous pass over the block), which hold the
    maximum of each column pair ``(2j, 2j + 1)`` at even columns, and the
    maximum over the ``K // 2`` pairs (strided columns) and, for odd ``K``,
    the last column. Row ``i`` is a hit (``argmax == y_i``) when its label's
    probability ``p[i, y_i]`` equals ``c_i`` and no earlier column does. A
    tie at the maximum needs ``2 c_i <= 1 + 1e-4`` (validated rows sum to 1),
    so only the hits with ``c_i <= _TIE_BOUND`` are checked with
    :func:`numpy.argmax` (first maximum). When more than 1/16 of a block's
    rows are such hits (low-confidence, accurate predictions) the block is
    settled instead by the maximum *without* the label's column
    (:meth:`_hits_by_other`), which leaves only true ties to ``argmax``.
    """

    def __init__(self, rows, n_classes):
        self.k = n_classes
        self.starts = list(range(0, n_classes - 1, 2))  # pairs (j, j + 1)
        self.odd = n_classes % 2 == 1
        self.pairs = np.empty(rows * n_classes)
        self.offsets = np.arange(0, rows * n_classes, n_classes, dtype=np.intp)
        self.index = np.empty(rows, dtype=np.intp)
        self.value = np.empty(rows)
        self.conf = np.empty(rows)
        self.other = np.empty(rows)
        self.hit = np.empty(rows, dtype=bool)
        self.suspect = np.empty(rows, dtype=bool)

    def _row_max(self, flat, m):
        """Exact maximum of each of the ``m`` rows of ``flat`` (C order)."""
        k = self.k
        pairs = self.pairs[: m * k]
        np.maximum(flat[:-1], flat[1:], out=pairs[:-1])
        columns = [pairs[j::k] for j in self.starts]
        if self.odd:
            columns.append(flat[k - 1 :: k])
        conf = self.conf[:m]
        if len(columns) == 1:
            np.copyto(conf, columns[0])
        else:
            np.maximum(columns[0], columns[1], out=conf)
        for col in columns[2:]:
            np.maximum(conf, col, out=conf)
        return conf

    def conf_hit(self, block, y_b):
        """``(confidence, hit)`` of each row: the row maximum, ``argmax == y``."""
        block = np.ascontiguousarray(block, dtype=np.float64)
        m = block.shape[0]
        flat = block.reshape(-1)
        conf = self._row_max(flat, m)  # first: the pass that brings the block in
        index = self.index[:m]
        np.add(self.offsets[:m], y_b, out=index)
        # mode="clip": no bounds pass and no buffered copy of `out` (y < K)
        value = np.take(flat, index, out=self.value[:m], mode="clip")
        hit = np.equal(value, conf, out=self.hit[:m])
        suspect = np.less_equal(conf, _TIE_BOUND, out=self.suspect[:m])
        np.logical_and(suspect, hit, out=suspect)
        n_suspect = np.count_nonzero(suspect)
        if n_suspect > m // 16:
            self._hits_by_other(flat, y_b, m, value)
            suspect = np.equal(value, self.other[:m], out=suspect)  # true ties
        if n_suspect:  # a hit that may share the maximum: first maximum
            _first_max_hits(block, y_b, suspect, hit)
        return conf, hit

    def _hits_by_other(self, flat, y_b, m, value):
        """``hit = value > other``, with ``other`` the row maximum without the
        label's column: in the pair maximum of the label's pair the partner
        column ``y ^ 1`` replaces it (for odd K the last column, when it is
        the label, drops out)."""
        k, index = self.k, self.index[:m]
        offsets, other, pairs = self.offsets[:m], self.other[:m], self.pairs[: m * k]
        np.bitwise_xor(y_b, 1, out=index)
        if self.odd:  # y = K - 1 has no partner: slot K - 1, which no pair reads
            np.minimum(index, k - 1, out=index)
        np.add(index, offsets, out=index)
        partner = np.take(flat, index, mode="clip")
        np.bitwise_and(y_b, -2, out=index)
        np.add(index, offsets, out=index)
        pairs[index] = partner
        columns = [pairs[j::k] for j in self.starts]
        if self.odd:
            last = flat[k - 1 :: k].copy()
            last[y_b == k - 1] = -1.0
            columns.append(last)
        np.copyto(other, columns[0])
        for col in columns[1:]:
            np.maximum(other, col, out=other)
        np.greater(value, other, out=self.hit[:m])


def _first_max_hits(block, y_b, rows, hit):
    """``hit = argmax == y`` (first maximum) on the rows of the ``rows`` mask."""
    rows = np.flatnonzero(rows)
    if rows.size:
        # np.take(axis=0): 3x faster than fancy indexing of the rows
        first = _argmax_rows(np.take(block, rows, axis=0))
        hit[rows] = first == np.take(y_b, rows)


def _top_label(block, y_b, s_b, top):
    """Confidence and (soft) accuracy of each row of a block."""
    found = None if top is None else top.argmax_max(block)
    if found is None:
        pred = _argmax_rows(block)
        acc = _gather_rows(s_b, pred)
        conf = _gather_rows(block, pred, overwrite_col=True)
        return conf, acc
    pred, conf = found
    return conf, _gather_rows(s_b, pred)


class _BinSums:
    """Running per-bin sums of ``n_var`` variants with ``n_bins`` bins each."""

    def __init__(self, n_var, n_bins):
        self.shape = (n_var, n_bins)
        self.size = n_var * n_bins
        self.count = np.zeros(self.size)
        self.wsum = np.zeros(self.size)
        self.sconf = np.zeros(self.size)
        self.sacc = np.zeros(self.size)

    def add_hits(self, key, conf):
        """Hard accuracies, no weights: ``key = 2 * bin + hit`` (one int bincount)."""
        size = self.size
        split = np.bincount(key, minlength=2 * size)
        sums = np.bincount(key, weights=conf, minlength=2 * size)
        self.sconf += sums[0::2] + sums[1::2]
        self.count += split[0::2]
        self.count += split[1::2]
        self.sacc += split[1::2]

    def add(self, key, conf, acc, weight):
        """Float accuracies and optional weights of bin ``key``."""
        size = self.size
        self.count += np.bincount(key, minlength=size)
        if weight is None:
            self.sconf += np.bincount(key, weights=conf, minlength=size)
            self.sacc += np.bincount(key, weights=acc, minlength=size)
            return
        self.wsum += np.bincount(key, weights=weight, minlength=size)
        self.sconf += np.bincount(key, weights=conf * weight, minlength=size)
        self.sacc += np.bincount(key, weights=acc * weight, minlength=size)

    def add_count_conf(self, key, conf, weight):
        """Counts, weights and confidences (classwise; hits are added apart)."""
        size = self.size
        self.count += np.bincount(key, minlength=size)
        if weight is None:
            self.sconf += np.bincount(key, weights=conf, minlength=size)
            return
        self.wsum += np.bincount(key, weights=weight, minlength=size)
        self.sconf += np.bincount(key, weights=conf * weight, minlength=size)

    def add_acc(self, key, acc):
        self.sacc += np.bincount(key, weights=acc, minlength=self.size)

    def result(self, weighted):
        """``(count, weight, sum_conf, sum_acc)``, each ``(n_var, n_bins)``."""
        wsum = self.wsum if weighted else self.count
        return tuple(
            a.reshape(self.shape) for a in (self.count, wsum, self.sconf, self.sacc)
        )


def _block_plan(n, k, rows, values):
    """``(step, cap)``: rows per block of the input and the most rows a block
    holds after filtering with the ``rows`` mask (``step`` without one)."""
    step = _block_rows(k, n, values)
    if rows is None:
        return step, step
    # blocks of the full rows that hold about `step` selected rows each; the
    # buffers hold the largest such block after filtering
    share = max(np.count_nonzero(rows) / n, 1.0 / 1024)
    step = min(n, max(step, int(step / share)))
    cap = int(np.add.reduceat(rows, np.arange(0, n, step), dtype=np.intp).max())
    return step, max(cap, 1)


def _row_blocks(pair, step, rows):
    """Yield ``(block, y, soft, weight)`` of each row block (``None`` for what
    the pair lacks), restricted to the ``rows`` mask without copying it."""
    proba, y_idx, y_soft, weight = pair.proba, pair.y_idx, pair.y_soft, pair.weight
    for start in range(0, proba.shape[0], step):
        part = slice(start, start + step)
        parts = [proba[part]] + [
            None if a is None else a[part] for a in (y_idx, y_soft, weight)
        ]
        if rows is not None:  # a subset (hard samples): filtered block by block
            keep = rows[part]
            if not keep.any():
                continue
            # np.compress: 4x faster than boolean indexing of a 2-D block
            parts = [None if a is None else np.compress(keep, a, axis=0) for a in parts]
        yield tuple(parts)


class _ClasswiseKernel:
    """Classwise bin sums of row blocks: the bins of the whole block at once,
    accumulated with the class as part of the bincount key
    (``class * n_bins + bin``), without a transpose."""

    def __init__(self, cap, k, n_bins):
        self.k, self.n_bins = k, n_bins
        self.scratch = _BinScratch(cap * k, n_bins)
        self.key = np.empty(cap * k, dtype=np.intp)
        self.cls = np.tile(np.arange(k, dtype=np.float64) * n_bins, cap)

    def add(self, sums, block, y_b, s_b, w_b):
        k, m = self.k, block.shape[0]
        conf = np.ascontiguousarray(block, dtype=np.float64).reshape(-1)
        g = self.scratch.bins(conf)
        np.add(g, self.cls[: m * k], out=g)
        key = self.key[: m * k]
        np.copyto(key, g, casting="unsafe")
        w = None if w_b is None else np.repeat(w_b, k)
        sums.add_count_conf(key, conf, w)
        if s_b is None:  # hits: class y_i's column of each row
            hit = _gather_rows(block, y_b).astype(np.float64, copy=False)
            g = self.scratch.bins(hit)
            g += y_b * self.n_bins
            sums.sacc += np.bincount(
                g.astype(np.intp), weights=w_b, minlength=sums.size
            )
            return
        acc = np.ascontiguousarray(s_b, dtype=np.float64).reshape(-1)
        sums.add_acc(key, acc if w is None else acc * w)


class _TopLabelKernel:
    """Top-label bin sums of row blocks: confidence and accuracy of a block
    (:class:`_TopHitScratch` for hard labels, packed keys for soft ones),
    then its bins."""

    def __init__(self, cap, k, n_bins, dtype, soft):
        self.scratch = _BinScratch(cap, n_bins)
        self.key = np.empty(cap, dtype=np.intp)
        self.hits = None if soft else _TopHitScratch(cap, k)
        layout = _argmax_layout(k, dtype) if soft else None
        self.top = None if layout is None else _TopLabelScratch(cap, k, layout)

    def add(self, sums, block, y_b, s_b, w_b):
        if s_b is None:
            conf, acc = self.hits.conf_hit(block, y_b)
        else:
            conf, acc = _top_label(block, y_b, s_b, self.top)
            conf = conf.astype(np.float64, copy=False)
        g = self.scratch.bins(conf)
        key = self.key[: conf.shape[0]]
        if w_b is None and s_b is None:
            np.multiply(g, 2.0, out=g)
            np.add(g, acc, out=g)
            np.copyto(key, g, casting="unsafe")
            sums.add_hits(key, conf)
            return
        np.copyto(key, g, casting="unsafe")
        sums.add(key, conf, acc.astype(np.float64, copy=False), w_b)


def _chunked_bin_sums(pair, n_bins, classwise, rows=None):
    """Per-bin sums of the uniform-bin ECE in one chunked pass over the rows.

    Returns ``(edges, count, weight, sum_conf, sum_acc)``, the last four
    ``(V, n_bins)`` for ``V`` measured variants (1 for the top label, ``K``
    classwise): :class:`_TopLabelKernel` or :class:`_ClasswiseKernel` on each
    row block. Everything of a block is computed while it is in cache and
    accumulated with :func:`numpy.bincount`, so the extra memory is a few
    blocks, not ``O(n)``. Same sums as :func:`_bin_statistics` up to the
    order of floating-point additions. ``rows`` (a boolean mask) restricts
    the sums to a subset without copying it.
    """
    n, k = pair.proba.shape
    values = _BLOCK_VALUES // 2 if classwise else _BLOCK_VALUES
    step, cap = _block_plan(n, k, rows, values)
    if classwise:
        kernel, sums = _ClasswiseKernel(cap, k, n_bins), _BinSums(k, n_bins)
    else:
        soft = pair.y_soft is not None
        kernel = _TopLabelKernel(cap, k, n_bins, pair.proba.dtype, soft)
        sums = _BinSums(1, n_bins)
    for block, y_b, s_b, w_b in _row_blocks(pair, step, rows):
        kernel.add(sums, block, y_b, s_b, w_b)
    edges = bin_edges(None, n_bins, "uniform")
    return (edges, *sums.result(pair.weight is not None))


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
