"""The one paired bootstrap over items (sksoft/evaluation/_bootstrap.py)."""

import numpy as np
import pytest

import sksoft.audit._stats as audit_stats
from sksoft.evaluation import (
    ItemTerms,
    bootstrap_interval,
    paired_bootstrap,
    resample_weights,
    weighted_values,
)


def test_the_audit_uses_the_same_bootstrap():
    assert audit_stats.weighted_values is weighted_values
    assert audit_stats.resample_weights is resample_weights
    assert audit_stats.paired_bootstrap is paired_bootstrap
    assert audit_stats.bootstrap_interval is bootstrap_interval
    assert audit_stats.ItemTerms is ItemTerms


def test_weighted_means_equal_explicit_resamples():
    rng = np.random.default_rng(0)
    terms = rng.normal(size=50)
    w = resample_weights(50, 30, rng)
    got = weighted_values([ItemTerms(terms, None)], w)[:, 0]
    for b in range(30):
        idx = np.repeat(np.arange(50), w[b])
        assert got[b] == pytest.approx(terms[idx].mean(), rel=1e-12)


def test_an_infinite_item_makes_only_the_resamples_drawing_it_infinite():
    # a KL divergence of inf where the model gives 0 to a class humans chose:
    # 0 * inf must not turn the other resamples into nan
    terms = np.array([0.5, np.inf, 1.0, 2.0])
    w = np.array([[1, 0, 2, 1], [0, 1, 1, 2], [4, 0, 0, 0]])
    got = weighted_values([ItemTerms(terms, None)], w)[:, 0]
    assert got[0] == pytest.approx((0.5 + 2.0 + 2.0) / 4)
    assert got[1] == np.inf
    assert got[2] == pytest.approx(0.5)
