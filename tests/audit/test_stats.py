"""Tests of sksoft.audit._stats: the over-seed statistics of the audit."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from sksoft.audit._stats import (
    ItemTerms,
    correlation_density,
    curve_spread,
    detectable_ratio,
    holm,
    paired_bootstrap,
    paired_difference,
    pitman_morgan,
    pitman_morgan_power,
    resample_weights,
    seed_mean_std,
    seeds_needed,
    spread_ratio,
    verdict,
    verdict_at,
    verdict_both,
    weighted_values,
)


def test_paired_difference_matches_scipy_ttest_rel():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=5), rng.normal(size=5)
    eff = paired_difference(a, b, confidence=0.9)
    ref = stats.ttest_rel(a, b)
    ci = ref.confidence_interval(0.9)
    assert eff["diff"] == pytest.approx(np.mean(a - b), abs=1e-12)
    assert eff["ci_low"] == pytest.approx(ci.low, abs=1e-12)
    assert eff["ci_high"] == pytest.approx(ci.high, abs=1e-12)
    assert eff["p_value"] == pytest.approx(ref.pvalue, abs=1e-12)
    assert eff["n"] == 5


def test_paired_difference_single_seed_and_nan():
    eff = paired_difference([0.3], [0.1])
    assert eff["diff"] == pytest.approx(0.2)
    assert math.isnan(eff["ci_low"]) and math.isnan(eff["ci_high"])
    eff = paired_difference([0.3, np.nan, 0.5], [0.1, 0.2, 0.1])
    assert eff["n"] == 2 and eff["diff"] == pytest.approx(0.3)


def test_seed_mean_std():
    mean, std = seed_mean_std([1.0, 2.0, 4.0])
    assert mean == pytest.approx(7 / 3) and std == pytest.approx(
        np.std([1, 2, 4], ddof=1)
    )
    assert math.isnan(seed_mean_std([1.0])[1])


def test_spread_ratio_interval_covers_at_nominal_rate():
    # independent check of the F interval: its coverage of the true sd ratio
    rng = np.random.default_rng(1)
    hits = 0
    n_rep = 2000
    for _ in range(n_rep):
        a = rng.normal(scale=2.0, size=6)
        b = rng.normal(scale=1.0, size=6)
        s = spread_ratio(a, b, confidence=0.9)
        hits += s["ci_low"] <= 2.0 <= s["ci_high"]
        assert s["ratio"] == pytest.approx(np.std(a, ddof=1) / np.std(b, ddof=1))
    # binomial sd of the coverage at 0.9: sqrt(0.09 / 2000) = 0.0067
    assert abs(hits / n_rep - 0.9) < 4 * math.sqrt(0.09 / n_rep)


def test_curve_spread():
    curves = [[1.0, 0.5, 0.2], [1.2, 0.7], [0.8, 0.3, 0.1]]
    mat = np.array([[1.0, 0.5], [1.2, 0.7], [0.8, 0.3]])
    assert curve_spread(curves) == pytest.approx(np.std(mat, axis=0, ddof=1).mean())
    assert math.isnan(curve_spread([[1.0, 2.0]]))


@pytest.mark.parametrize(
    "low, high, better, expected",
    [
        (-0.3, -0.1, "lower", "better"),
        (0.1, 0.3, "lower", "worse"),
        (-0.1, 0.3, "lower", "no clear difference"),
        (0.1, 0.3, "higher", "better"),
        (-0.3, -0.1, "higher", "worse"),
        (-0.1, 0.3, "higher", "no clear difference"),
        (math.nan, math.nan, "lower", "n/a"),
    ],
)
def test_verdict_reads_the_interval_in_the_metric_direction(
    low, high, better, expected
):
    assert verdict({"ci_low": low, "ci_high": high}, better) == expected


# ------------------------------------------------------------ Pitman-Morgan


def _paired(rng, n, ratio, corr):
    cov = np.array([[ratio**2, corr * ratio], [corr * ratio, 1.0]])
    x = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    return x[:, 0], x[:, 1]


def test_pitman_morgan_by_hand_and_against_pearsonr():
    rng = np.random.default_rng(3)
    a, b = _paired(rng, 7, 0.6, 0.8)
    pm = pitman_morgan(a, b, confidence=0.9)
    # by hand: r(D, S) from the variances and covariance of a and b
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    cab = np.cov(a, b)[0, 1]
    r_ds = (va - vb) / math.sqrt((va + vb) ** 2 - 4 * cab**2)
    t = r_ds * math.sqrt(5) / math.sqrt(1 - r_ds**2)
    assert pm["statistic"] == pytest.approx(t, rel=1e-12)
    assert pm["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 5), rel=1e-12)
    # scipy: the test is Pearson's correlation test of D = a - b and S = a + b
    ref = stats.pearsonr(a - b, a + b)
    assert pm["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert pm["ratio"] == pytest.approx(math.sqrt(va / vb))
    assert pm["corr"] == pytest.approx(stats.pearsonr(a, b).statistic)
    assert pm["n"] == 7


def test_pitman_morgan_interval_inverts_the_test():
    # the interval's ends are the ratios R at which the test of sd(a) = R sd(b)
    # (Pearson's test of a - R b against a + R b) has p = 1 - confidence
    rng = np.random.default_rng(4)
    a, b = _paired(rng, 6, 0.5, 0.7)
    pm = pitman_morgan(a, b, confidence=0.9)
    for end in (pm["ci_low"], pm["ci_high"]):
        p = stats.pearsonr(a - end * b, a + end * b).pvalue
        assert p == pytest.approx(0.1, abs=1e-9)
    inside = math.sqrt(pm["ci_low"] * pm["ci_high"])
    assert stats.pearsonr(a - inside * b, a + inside * b).pvalue > 0.1
    assert pm["ci_low"] < pm["ratio"] < pm["ci_high"]


def test_pitman_morgan_uses_the_pairing():
    # strongly correlated arms: the paired test sees a spread ratio that the
    # F interval of independent samples cannot
    rng = np.random.default_rng(5)
    base = rng.normal(size=8)
    a = 0.5 * base + 0.01 * rng.normal(size=8)
    pm = pitman_morgan(a, base)
    f = spread_ratio(a, base)
    assert pm["ci_high"] < 1 < f["ci_high"]
    assert pm["p_value"] < 1e-6


def test_pitman_morgan_interval_coverage():
    rng = np.random.default_rng(6)
    n_rep, hits = 2000, 0
    for _ in range(n_rep):
        a, b = _paired(rng, 5, 0.5, 0.8)
        pm = pitman_morgan(a, b, confidence=0.9)
        hits += pm["ci_low"] <= 0.5 <= pm["ci_high"]
    assert abs(hits / n_rep - 0.9) < 4 * math.sqrt(0.09 / n_rep)


def test_pitman_morgan_undefined_cases():
    two = pitman_morgan([0.1, 0.2], [0.3, 0.5])
    assert two["ratio"] == pytest.approx(0.5) and math.isnan(two["p_value"])
    flat = pitman_morgan([0.1, 0.2, 0.4], [0.3, 0.3, 0.3])
    assert math.isnan(flat["ratio"]) and math.isnan(flat["p_value"])
    # an arm repeating one value: ratio 0, but no degenerate p = 0
    still = pitman_morgan([0.3, 0.3, 0.3], [0.1, 0.2, 0.4])
    assert still["ratio"] == 0 and math.isnan(still["p_value"])
    assert math.isnan(still["ci_low"])
    shifted = pitman_morgan([0.1, 0.2, 0.4], [0.2, 0.3, 0.5])  # a = b - 0.1
    assert shifted["ratio"] == pytest.approx(1.0) and shifted["p_value"] == 1.0
    nan = pitman_morgan([0.1, np.nan, 0.2, 0.5], [0.3, 0.1, 0.5, 0.4])
    assert nan["n"] == 3


def test_correlation_density_is_a_density_and_the_null_beta():
    for n in (3, 5, 12):
        for rho in (0.0, 0.6, -0.9):
            mass, _ = integrate.quad(correlation_density, -1, 1, args=(rho, n))
            assert mass == pytest.approx(1.0, abs=1e-7)
    r = np.linspace(-0.95, 0.95, 9)
    # under rho = 0, (r + 1) / 2 is Beta((n-2)/2, (n-2)/2) (scipy's pearsonr)
    null = stats.beta.pdf((r + 1) / 2, 3, 3) / 2
    np.testing.assert_allclose(correlation_density(r, 0.0, 8), null, rtol=1e-10)


@pytest.mark.parametrize(
    "ratio, n, corr", [(0.5, 5, 0.8), (0.5, 10, 0.3), (2.0, 4, 0.0)]
)
def test_pitman_morgan_power_equals_simulation(ratio, n, corr):
    rng = np.random.default_rng(7)
    n_rep = 4000
    rejected = 0
    for _ in range(n_rep):
        a, b = _paired(rng, n, ratio, corr)
        rejected += pitman_morgan(a, b)["p_value"] < 0.05
    power = pitman_morgan_power(ratio, n, corr)
    assert abs(rejected / n_rep - power) < 4 * math.sqrt(power * (1 - power) / n_rep)
    # the level at a true ratio of 1, and symmetry in the ratio
    assert pitman_morgan_power(1.0, n, corr) == pytest.approx(0.05, abs=1e-7)
    assert pitman_morgan_power(1 / ratio, n, corr) == pytest.approx(power, abs=1e-7)


def test_detectable_ratio_and_seeds_needed():
    r = detectable_ratio(5, 0.7)
    assert 0 < r < 1
    assert pitman_morgan_power(r, 5, 0.7) == pytest.approx(0.8, abs=1e-6)
    assert pitman_morgan_power(0.9 * r, 5, 0.7) > 0.8
    # more seeds or more correlated arms detect a smaller reduction
    assert detectable_ratio(20, 0.7) > r and detectable_ratio(5, 0.95) > r
    n = seeds_needed(0.5, 0.7)
    assert (
        pitman_morgan_power(0.5, n, 0.7) >= 0.8 > pitman_morgan_power(0.5, n - 1, 0.7)
    )
    # uncorrelated arms: the F test's requirement (about 19 seeds for a halved SD)
    assert seeds_needed(0.5, 0.0) == 19
    assert math.isnan(detectable_ratio(2, 0.5)) and math.isnan(seeds_needed(0.5, 1.0))


# ------------------------------------------------------------ Holm


def _holm_brute_force(p, alpha):
    """Holm's procedure as defined: step down, stop at the first non-rejection."""
    order = np.argsort(p)
    m = len(p)
    rejected = np.zeros(m, bool)
    for j, i in enumerate(order):
        if p[i] > alpha / (m - j):
            break
        rejected[i] = True
    return rejected


def test_holm_against_its_definition():
    rng = np.random.default_rng(8)
    for _ in range(200):
        m = int(rng.integers(1, 12))
        p = rng.uniform(size=m) ** 3
        adj = holm(p)
        assert np.all(adj >= p - 1e-15) and np.all(adj <= 1)
        for alpha in (0.01, 0.05, 0.1, 0.3):
            np.testing.assert_array_equal(adj <= alpha, _holm_brute_force(p, alpha))
    # worked example: m = 3
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    # nan is not a test and does not count in m
    out = holm([0.02, np.nan, 0.04])
    assert math.isnan(out[1]) and out[0] == pytest.approx(0.04)
    assert out[2] == pytest.approx(0.04)


@pytest.mark.parametrize(
    "diff, p, better, expected",
    [
        (-0.1, 0.01, "lower", "better"),
        (0.1, 0.01, "lower", "worse"),
        (0.1, 0.01, "higher", "better"),
        (0.1, 0.2, "higher", "no clear difference"),
        (0.1, math.nan, "higher", "n/a"),
    ],
)
def test_verdict_at(diff, p, better, expected):
    assert verdict_at(diff, p, better, alpha=0.05) == expected


@pytest.mark.parametrize(
    "holm_verdict, lo, hi, better, expected",
    [
        # survives both noises
        ("better", -0.3, -0.1, "lower", "better"),
        ("better", 0.1, 0.3, "higher", "better"),
        ("worse", 0.1, 0.3, "lower", "worse"),
        # the seed test is significant, the item interval contains 0
        ("better", -0.3, 0.1, "lower", "no clear difference"),
        ("worse", -0.1, 0.3, "lower", "no clear difference"),
        ("better", 0.0, 0.3, "higher", "no clear difference"),  # touches 0
        # the item interval excludes 0 on the other side
        ("better", 0.1, 0.3, "lower", "no clear difference"),
        # no item bootstrap (a Spearman or cartography metric)
        ("better", math.nan, math.nan, "lower", "better (seeds only)"),
        # nothing to confirm
        ("no clear difference", -0.3, -0.1, "lower", "no clear difference"),
        ("n/a", -0.3, -0.1, "lower", "n/a"),
        ("descriptive", -0.3, -0.1, "higher", "descriptive"),
    ],
)
def test_verdict_both(holm_verdict, lo, hi, better, expected):
    assert verdict_both(holm_verdict, lo, hi, better) == expected


# ------------------------------------------------------------ bootstrap


def _ece_terms(y, p, n_bins):
    from sksoft.metrics._calibration import assign_bins

    pred = p.argmax(1)
    conf = p[np.arange(len(p)), pred]
    acc = y[np.arange(len(p)), pred] if y.ndim == 2 else (pred == y).astype(float)
    bins = assign_bins(conf, np.linspace(0, 1, n_bins + 1), True)
    return ItemTerms(conf - acc, bins, n_bins)


def test_weighted_values_equal_weighted_metrics():
    from sksoft.metrics import expected_calibration_error, kl_divergence

    rng = np.random.default_rng(9)
    human = rng.dirichlet(np.ones(3), size=50)
    probas = [rng.dirichlet(np.ones(3) * 2, size=50) for _ in range(3)]
    w = resample_weights(50, 20, rng)
    items = [_ece_terms(human, p, 10) for p in probas]
    values = weighted_values(items, np.vstack([np.ones(50), w]))
    for r, p in enumerate(probas):
        assert values[0, r] == pytest.approx(
            expected_calibration_error(human, p, n_bins=10), abs=1e-12
        )
        for b in range(20):
            ref = expected_calibration_error(human, p, n_bins=10, sample_weight=w[b])
            assert values[b + 1, r] == pytest.approx(ref, abs=1e-12)
    kl = [ItemTerms(kl_divergence(human, p, per_sample=True), None) for p in probas]
    values = weighted_values(kl, w)
    assert values[4, 2] == pytest.approx(
        kl_divergence(human, probas[2], sample_weight=w[4]), abs=1e-12
    )
    assert w.sum(axis=1).tolist() == [50] * 20


def test_paired_bootstrap_by_resampling_indices():
    # the same resampled items for arm and reference and every seed: equal to
    # recomputing the metric on the resampled rows (the bootstrap's definition)
    from sksoft.metrics import expected_calibration_error

    rng = np.random.default_rng(10)
    n, seeds = 40, 3
    human = rng.dirichlet(np.ones(3), size=n)
    arm = [rng.dirichlet(np.ones(3), size=n) for _ in range(seeds)]
    ref = [rng.dirichlet(np.ones(3) * 3, size=n) for _ in range(seeds)]
    idx = rng.integers(0, n, size=(200, n))
    w = np.stack([np.bincount(i, minlength=n) for i in idx])
    out = paired_bootstrap(
        [_ece_terms(human, p, 5) for p in arm],
        [_ece_terms(human, p, 5) for p in ref],
        w,
        confidence=0.9,
    )
    d = [
        np.mean(
            [
                expected_calibration_error(human[i], a[i], n_bins=5)
                - expected_calibration_error(human[i], b[i], n_bins=5)
                for a, b in zip(arm, ref)
            ]
        )
        for i in idx
    ]
    assert out["ci_low"] == pytest.approx(np.quantile(d, 0.05), abs=1e-12)
    assert out["ci_high"] == pytest.approx(np.quantile(d, 0.95), abs=1e-12)
    observed = np.mean(
        [
            expected_calibration_error(human, a, n_bins=5)
            - expected_calibration_error(human, b, n_bins=5)
            for a, b in zip(arm, ref)
        ]
    )
    assert out["diff"] == pytest.approx(observed, abs=1e-12)
    assert out["n_resamples"] == 200
