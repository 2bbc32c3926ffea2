"""Tests of sksoft.audit._stats: the over-seed statistics of the audit."""

import math

import numpy as np
import pytest
from scipy import stats

from sksoft.audit._stats import (
    curve_spread,
    paired_difference,
    seed_mean_std,
    spread_ratio,
    verdict,
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
