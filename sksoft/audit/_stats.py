"""Over-seed statistics of the audit (private leaf; numpy and scipy only).

The audit trains every arm once per seed. With ``S`` seeds, metric ``m`` of
arm ``a`` is a vector ``m[a, :]`` of ``S`` numbers. This module turns those
vectors into

* the mean and the sample standard deviation (``ddof=1``) over seeds;
* the paired (by seed) mean difference to the reference arm with a Student-t
  confidence interval: ``d_s = m[a, s] - m[ref, s]``,
  ``mean(d) +/- t_{(1+c)/2, S-1} * sd(d) / sqrt(S)``;
* the ratio of seed standard deviations ``sd(m[a]) / sd(m[ref])`` with the
  F-distribution interval of a variance ratio (arms trained independently, so
  the two samples of ``S`` values are treated as independent).

All three are undefined with a single seed; they are then ``nan`` and the report
says "n/a".
"""

import math

import numpy as np
from scipy import stats


def seed_mean_std(values):
    """Mean and sample standard deviation (ddof=1) of a 1-D array, nan-safe.

    ``std`` is ``nan`` with fewer than two finite values.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    mean = float(np.mean(v))
    std = float(np.std(v, ddof=1)) if v.size > 1 else math.nan
    return mean, std


def paired_difference(values, reference, *, confidence=0.95):
    """Paired mean difference ``values - reference`` with a t interval.

    Parameters
    ----------
    values, reference : array-like of shape (n_seeds,)
        The metric of the arm and of the reference arm, seed by seed.
    confidence : float, default=0.95
        Coverage of the two-sided interval.

    Returns
    -------
    dict
        ``diff`` (mean difference), ``ci_low``, ``ci_high``, ``sd`` (standard
        deviation of the differences, ddof=1), ``n`` (pairs used: seeds where both
        values are finite), ``p_value`` (two-sided paired t-test of a zero mean
        difference).
    """
    a = np.asarray(values, dtype=float)
    b = np.asarray(reference, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    d = a[ok] - b[ok]
    n = int(d.size)
    out = {
        "diff": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "sd": math.nan,
        "n": n,
        "p_value": math.nan,
    }
    if n == 0:
        return out
    diff = float(np.mean(d))
    out["diff"] = diff
    if n < 2:
        return out
    sd = float(np.std(d, ddof=1))
    out["sd"] = sd
    se = sd / math.sqrt(n)
    q = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1))
    out["ci_low"] = diff - q * se
    out["ci_high"] = diff + q * se
    if se > 0:
        out["p_value"] = float(2.0 * stats.t.sf(abs(diff) / se, df=n - 1))
    else:
        out["p_value"] = 1.0 if diff == 0 else 0.0
    return out


def spread_ratio(values, reference, *, confidence=0.95):
    """Ratio of seed standard deviations with an F interval.

    ``ratio = sd(values) / sd(reference)``; with ``S_a`` and ``S_r`` finite
    values the interval of the variance ratio is
    ``[F / f_{(1+c)/2}(S_a-1, S_r-1), F / f_{(1-c)/2}(S_a-1, S_r-1)]`` and the
    interval of the standard-deviation ratio is its square root.

    Returns
    -------
    dict
        ``ratio``, ``ci_low``, ``ci_high`` (nan where undefined: fewer than two
        seeds or a reference spread of zero; the interval is also nan when the
        arm's own spread is zero, where it would collapse to ``[0, 0]``).
    """
    a = np.asarray(values, dtype=float)
    b = np.asarray(reference, dtype=float)
    a = a[np.isfinite(a)]
    b = b[np.isfinite(b)]
    out = {"ratio": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    if a.size < 2 or b.size < 2:
        return out
    sa = float(np.std(a, ddof=1))
    sb = float(np.std(b, ddof=1))
    if sb == 0:
        return out
    out["ratio"] = sa / sb
    if sa == 0:
        # identical values (e.g. the same accuracy for every seed): the F
        # interval would collapse to [0, 0], which a few seeds cannot support
        return out
    f = (sa / sb) ** 2
    dfa, dfb = a.size - 1, b.size - 1
    hi_q = float(stats.f.ppf(0.5 + confidence / 2.0, dfa, dfb))
    lo_q = float(stats.f.ppf(0.5 - confidence / 2.0, dfa, dfb))
    out["ci_low"] = math.sqrt(f / hi_q)
    out["ci_high"] = math.sqrt(f / lo_q)
    return out


def curve_spread(curves):
    """Mean over epochs of the across-seed standard deviation of curves.

    Parameters
    ----------
    curves : list of array-like
        One loss curve per seed; curves are cut to the shortest length.

    Returns
    -------
    float
        ``mean_e sd_s(curve[s, e])`` (ddof=1); nan with fewer than two curves.
    """
    curves = [np.asarray(c, dtype=float) for c in curves if c is not None]
    curves = [c for c in curves if c.size]
    if len(curves) < 2:
        return math.nan
    n_epochs = min(c.size for c in curves)
    mat = np.stack([c[:n_epochs] for c in curves])
    return float(np.mean(np.std(mat, axis=0, ddof=1)))


def verdict(effect, better):
    """Read a :func:`paired_difference` in the metric's direction.

    ``"better"`` or ``"worse"`` when the interval excludes zero on that side,
    ``"no clear difference"`` when it includes zero, ``"n/a"`` without an
    interval (one seed).
    """
    lo, hi = effect["ci_low"], effect["ci_high"]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    if better == "lower":
        lo, hi = -hi, -lo
    if lo > 0:
        return "better"
    if hi < 0:
        return "worse"
    return "no clear difference"
