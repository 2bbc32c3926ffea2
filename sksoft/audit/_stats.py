"""Over-seed statistics of the audit (private leaf; numpy and scipy only).

The audit trains every arm once per seed. With ``S`` seeds, metric ``m`` of
arm ``a`` is a vector ``m[a, :]`` of ``S`` numbers. This module turns those
vectors into

* the mean and the sample standard deviation (``ddof=1``) over seeds;
* the paired (by seed) mean difference to the reference arm with a Student-t
  confidence interval: ``d_s = m[a, s] - m[ref, s]``,
  ``mean(d) +/- t_{(1+c)/2, S-1} * sd(d) / sqrt(S)`` (:func:`paired_difference`);
* the ratio of seed standard deviations ``sd(m[a]) / sd(m[ref])`` with the
  Pitman-Morgan test and interval, which account for the pairing by seed
  (every arm of a seed shares its initialisation and batch order), and the
  power of that test (:func:`pitman_morgan`, :func:`pitman_morgan_power`,
  :func:`detectable_ratio`, :func:`seeds_needed`); :func:`spread_ratio` is the
  F interval of two *independent* samples, kept for comparison;
* Holm's step-down adjustment of a family of p-values (:func:`holm`);
* a paired bootstrap over test items of a metric difference averaged over
  seeds (:func:`paired_bootstrap`), for metrics that are weighted sums over
  items (:class:`ItemTerms`); these live in :mod:`sksoft.evaluation` (one
  bootstrap for the audit and ``sksoft evaluate``) and are re-exported here.

The seed statistics are undefined with a single seed (the Pitman-Morgan ones
with fewer than three); they are then ``nan`` and the report says "n/a".
"""

import math

import numpy as np
from scipy import integrate, optimize, special, stats

from ..evaluation import (  # noqa: F401  (the item bootstrap lives in evaluation)
    ItemTerms,
    bootstrap_interval,
    paired_bootstrap,
    resample_weights,
    weighted_values,
)

#: resamples of the audit's bootstrap over test items
N_BOOTSTRAP = 1000
#: the power of the audit's stability statements, and the SD ratio it plans
#: seeds for (a halved seed spread)
POWER = 0.8
PLANNED_RATIO = 0.5


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


def verdict_both(verdict_holm, boot_low, boot_high, better):
    """A verdict that survives both noises: seeds (Holm) and test items.

    Parameters
    ----------
    verdict_holm : str
        The Holm-adjusted seed verdict (:func:`verdict_at`): ``"better"``,
        ``"worse"``, ``"no clear difference"``, ``"n/a"`` or
        ``"descriptive"``.
    boot_low, boot_high : float
        The paired bootstrap interval over test items of the same difference
        (:func:`bootstrap_interval`); nan where the metric has no item
        bootstrap (it is not a sum over test items).
    better : {"higher", "lower"}
        The metric's direction.

    Returns
    -------
    str
        ``verdict_holm`` when it is ``"better"`` / ``"worse"`` and the item
        interval excludes 0 on the same side; ``"no clear difference"`` when
        the item interval includes 0 (or excludes it on the other side);
        ``"better (seeds only)"`` / ``"worse (seeds only)"`` when there is
        no item interval; any other ``verdict_holm`` unchanged.

    Examples
    --------
    >>> verdict_both("better", -0.05, -0.01, "lower")
    'better'
    >>> verdict_both("better", -0.05, 0.01, "lower")
    'no clear difference'
    >>> verdict_both("worse", float("nan"), float("nan"), "lower")
    'worse (seeds only)'
    """
    if verdict_holm not in ("better", "worse"):
        return verdict_holm
    if not (math.isfinite(boot_low) and math.isfinite(boot_high)):
        return f"{verdict_holm} (seeds only)"
    lo, hi = (-boot_high, -boot_low) if better == "lower" else (boot_low, boot_high)
    side = "better" if lo > 0 else "worse" if hi < 0 else None
    return verdict_holm if side == verdict_holm else "no clear difference"


# ------------------------------------------------- paired seed spread (Pitman-Morgan)


def _pearson(x, y):
    """Pearson correlation; nan when either vector is constant."""
    x = x - x.mean()
    y = y - y.mean()
    den = math.sqrt(float(np.dot(x, x)) * float(np.dot(y, y)))
    if den == 0:
        return math.nan
    return float(np.clip(np.dot(x, y) / den, -1.0, 1.0))


def pitman_morgan(values, reference, *, confidence=0.95):
    r"""Pitman-Morgan test of equal seed spread for values paired by seed.

    The arms of one seed share its initialisation and batch order, so the
    per-seed values of an arm and of the reference are correlated and the F
    test of two independent samples (:func:`spread_ratio`) does not apply.
    With ``D = a - b`` and ``S = a + b``, ``cov(D, S) = var(a) - var(b)``:
    equal variances are equal to a zero correlation of ``D`` and ``S``, which
    is tested with ``t = r_{DS} \sqrt{n-2} / \sqrt{1 - r_{DS}^2}`` on
    ``n - 2`` degrees of freedom (exact for bivariate normal pairs).

    Parameters
    ----------
    values, reference : array-like of shape (n_seeds,)
        The metric of the arm and of the reference arm, seed by seed; seeds
        where either is not finite are left out.
    confidence : float, default=0.95
        Coverage of the interval of the standard-deviation ratio.

    Returns
    -------
    dict
        ``ratio`` (``sd(a) / sd(b)``, ddof=1), ``ci_low``, ``ci_high`` (the
        interval of the ratio obtained by inverting the test), ``corr``
        (Pearson correlation of ``a`` and ``b`` over seeds), ``statistic``
        (``t``), ``p_value`` (two-sided) and ``n`` (pairs used). Undefined
        entries are nan: the ratio with fewer than two pairs or a reference
        spread of zero, the test and interval with fewer than three pairs
        or when the arm's own spread is zero (where ``r_{DS} = -1`` exactly
        and the test would degenerate to ``p = 0``).

    Notes
    -----
    With ``F = s_a^2 / s_b^2``, ``r`` the correlation of ``a`` and ``b`` and
    ``t_c`` the ``(1 + c) / 2`` quantile of Student's t with ``n - 2``
    degrees of freedom, the values of the variance ratio the test does not
    reject form ``F (K \pm \sqrt{K^2 - 1})`` with
    ``K = 1 + 2 (1 - r^2) t_c^2 / (n - 2)`` (Pitman, 1939); the interval of
    the standard-deviation ratio is its square root.

    Pitman, "A note on normal correlation", Biometrika 31, 1939; Morgan, "A
    test for the significance of the difference between the two variances in
    a sample from a normal bivariate population", Biometrika 31, 1939.
    """
    a = np.asarray(values, dtype=float)
    b = np.asarray(reference, dtype=float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = int(a.size)
    out = {
        "ratio": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "corr": math.nan,
        "statistic": math.nan,
        "p_value": math.nan,
        "n": n,
    }
    if n < 2:
        return out
    sa = float(np.std(a, ddof=1))
    sb = float(np.std(b, ddof=1))
    if sb == 0:
        return out
    out["ratio"] = sa / sb
    out["corr"] = _pearson(a, b)
    if n < 3 or sa == 0:
        # an arm repeating one value (a discrete metric over few seeds) makes
        # r(D, S) = -1 exactly: a degenerate "p = 0", not evidence
        return out
    df = n - 2
    d, s = a - b, a + b
    scale = max(np.ptp(a), np.ptp(b))
    if min(np.ptp(d), np.ptp(s)) <= 1e-9 * scale:
        # a - b (or a + b) constant up to rounding: the variances are equal
        r_ds = 0.0
    else:
        r_ds = _pearson(d, s)
    if abs(r_ds) == 1.0:
        out["statistic"] = math.copysign(math.inf, r_ds)
        out["p_value"] = 0.0
    else:
        t = r_ds * math.sqrt(df) / math.sqrt(1.0 - r_ds * r_ds)
        out["statistic"] = t
        out["p_value"] = float(2.0 * stats.t.sf(abs(t), df))
    corr = out["corr"] if math.isfinite(out["corr"]) else 0.0
    t_c = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    k = 1.0 + 2.0 * (1.0 - corr * corr) * t_c * t_c / df
    root = math.sqrt(max(k * k - 1.0, 0.0))
    f = out["ratio"] ** 2
    # K - sqrt(K^2 - 1) = 1 / (K + sqrt(K^2 - 1)), without cancellation
    out["ci_low"] = math.sqrt(f / (k + root))
    out["ci_high"] = math.sqrt(f * (k + root))
    return out


def correlation_density(r, rho, n):
    r"""Density of the sample correlation of ``n`` bivariate normal pairs.

    Parameters
    ----------
    r : float or ndarray
        Values in (-1, 1).
    rho : float
        Population correlation, in (-1, 1).
    n : int
        Number of pairs, at least 3.

    Returns
    -------
    density : float or ndarray

    Notes
    -----
    Hotelling's form of Fisher's exact density (Hotelling, "New light on the
    correlation coefficient and its transforms", JRSS B 15, 1953):

    .. math::

        f(r) = \frac{(n-2)\,\Gamma(n-1)\,(1-\rho^2)^{(n-1)/2}\,
        (1-r^2)^{(n-4)/2}}{\sqrt{2\pi}\,\Gamma(n-\tfrac12)\,
        (1-\rho r)^{n-3/2}}\;
        {}_2F_1\!\left(\tfrac12, \tfrac12; n-\tfrac12; \tfrac{1+\rho r}{2}\right).
    """
    r = np.asarray(r, dtype=float)
    log_c = (
        math.log(n - 2)
        + special.gammaln(n - 1)
        - special.gammaln(n - 0.5)
        - 0.5 * math.log(2 * math.pi)
        + 0.5 * (n - 1) * math.log1p(-rho * rho)
    )
    log_f = (
        log_c
        + 0.5 * (n - 4) * np.log1p(-r * r)
        - (n - 1.5) * np.log1p(-rho * r)
        + np.log(special.hyp2f1(0.5, 0.5, n - 0.5, (1.0 + rho * r) / 2.0))
    )
    return np.exp(log_f)


def _ds_correlation(ratio, corr):
    """corr(D, S) for sd(a) / sd(b) = ``ratio`` and corr(a, b) = ``corr``."""
    q = ratio * ratio
    return (q - 1.0) / math.sqrt((q + 1.0) ** 2 - 4.0 * corr * corr * q)


def pitman_morgan_power(ratio, n, corr, *, confidence=0.95):
    """Power of the two-sided Pitman-Morgan test at a true SD ratio.

    Parameters
    ----------
    ratio : float > 0
        True ratio of standard deviations ``sd(a) / sd(b)``.
    n : int
        Number of seed pairs (at least 3).
    corr : float in (-1, 1)
        True correlation of ``a`` and ``b`` over seeds.
    confidence : float, default=0.95
        The test rejects at level ``1 - confidence``.

    Returns
    -------
    power : float
        Probability that the test rejects equal spread; nan when ``n < 3``
        or ``|corr| >= 1``.

    Notes
    -----
    The test rejects when the sample correlation of ``D = a - b`` and
    ``S = a + b`` exceeds ``r_c = t_c / sqrt(n - 2 + t_c^2)`` in absolute
    value; for bivariate normal pairs ``D`` and ``S`` are bivariate normal
    with correlation ``(R^2 - 1) / sqrt((R^2 + 1)^2 - 4 rho^2 R^2)``
    (``R`` the SD ratio, ``rho`` the correlation of ``a`` and ``b``), so the
    power is one minus the integral of :func:`correlation_density` over
    ``[-r_c, r_c]`` (numerical quadrature in Fisher's ``z = atanh(r)``, exact
    up to its tolerance).
    """
    if n < 3 or not math.isfinite(corr) or abs(corr) >= 1 or not ratio > 0:
        return math.nan
    df = n - 2
    t_c = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    r_c = t_c / math.sqrt(df + t_c * t_c)
    rho = _ds_correlation(ratio, corr)
    if abs(rho) >= 1.0 - 1e-12:
        return 1.0
    # integrate in Fisher's z = atanh(r) (dr = (1 - r^2) dz): a smooth
    # integrand even for n = 3, whose density is unbounded at r = +-1
    z_c, z_rho = math.atanh(r_c), math.atanh(rho)

    def integrand(z):
        r = math.tanh(z)
        return float(correlation_density(r, rho, n)) * (1.0 - r * r)

    mass, _ = integrate.quad(
        integrand,
        -z_c,
        z_c,
        points=[z_rho] if -z_c < z_rho < z_c else None,
        limit=200,
        epsabs=1e-10,
        epsrel=1e-8,
    )
    return float(min(max(1.0 - mass, 0.0), 1.0))


def detectable_ratio(n, corr, *, power=0.8, confidence=0.95):
    """Smallest SD reduction the Pitman-Morgan test detects with ``power``.

    Parameters
    ----------
    n : int
        Number of seed pairs.
    corr : float
        Correlation of the arm and the reference over seeds.
    power : float, default=0.8
        Required power.
    confidence : float, default=0.95
        The test's level is ``1 - confidence``.

    Returns
    -------
    ratio : float
        The SD ratio ``R < 1`` at which :func:`pitman_morgan_power` equals
        ``power``: a true ratio below ``R`` (or, by symmetry, above ``1 / R``)
        is detected with at least that power. nan when ``n < 3`` or ``corr``
        is undefined or +-1.
    """
    if n < 3 or not math.isfinite(corr) or abs(corr) >= 1:
        return math.nan

    def gap(r):
        return pitman_morgan_power(r, n, corr, confidence=confidence) - power

    lo = 1e-3
    while gap(lo) < 0:
        lo /= 10.0
        if lo < 1e-12:
            return 0.0
    return float(optimize.brentq(gap, lo, 1.0 - 1e-9, xtol=1e-8))


def seeds_needed(ratio, corr, *, power=0.8, confidence=0.95, max_seeds=100_000):
    """Smallest number of seeds at which the Pitman-Morgan test has ``power``.

    Parameters
    ----------
    ratio : float
        True SD ratio to detect (e.g. 0.5, a halved seed spread).
    corr : float
        Correlation of the arm and the reference over seeds.
    power : float, default=0.8
        Required power.
    confidence : float, default=0.95
        The test's level is ``1 - confidence``.
    max_seeds : int, default=100000
        Search limit.

    Returns
    -------
    n : int or float
        The smallest ``n >= 3`` with :func:`pitman_morgan_power` at least
        ``power``; nan when ``corr`` is undefined or +-1, inf beyond
        ``max_seeds``.
    """
    if not math.isfinite(corr) or abs(corr) >= 1 or ratio == 1:
        return math.nan

    def enough(n):
        return pitman_morgan_power(ratio, n, corr, confidence=confidence) >= power

    if enough(3):
        return 3
    lo, hi = 3, 6
    while not enough(hi):
        lo, hi = hi, 2 * hi
        if hi > max_seeds:
            return math.inf
    while hi - lo > 1:  # enough(hi), not enough(lo)
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    return hi


# ---------------------------------------------------------------- multiplicity


def holm(p_values):
    """Holm's step-down adjusted p-values of one family of tests.

    Parameters
    ----------
    p_values : array-like of shape (m,)
        Unadjusted p-values; nan entries are not tests (they stay nan and do
        not count in ``m``).

    Returns
    -------
    adjusted : ndarray of shape (m,)
        With the ``m'`` finite p-values sorted, ``p_(1) <= ... <= p_(m')``,
        ``adj_(i) = max_{j <= i} min(1, (m' - j + 1) p_(j))``. Rejecting the
        hypotheses with ``adj <= alpha`` controls the family-wise error rate
        at ``alpha`` (Holm, "A simple sequentially rejective multiple test
        procedure", Scand. J. Statist. 6, 1979).
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def verdict_at(diff, p_value, better, *, alpha):
    """``"better"`` / ``"worse"`` when ``p_value <= alpha``, in the metric's direction.

    ``"no clear difference"`` otherwise, ``"n/a"`` without a p-value.
    """
    if not math.isfinite(p_value) or not math.isfinite(diff):
        return "n/a"
    if p_value > alpha or diff == 0:
        return "no clear difference"
    good = diff < 0 if better == "lower" else diff > 0
    return "better" if good else "worse"
