"""Annotation budgets (sksoft.sources._budget)."""

import numpy as np
import pytest
from scipy.stats import hypergeom

from sksoft.metrics import kl_divergence
from sksoft.sources import annotation_budget_curve, subsample_annotations
from sksoft.utils._sklearn_compat import InvalidParameterError

COUNTS = np.array([[6, 3, 1, 0], [0, 2, 0, 0], [5, 5, 5, 5], [1, 0, 0, 9]])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_hypergeometric_mean_and_without_replacement():
    n = 4
    draws = np.stack(
        [subsample_annotations(COUNTS, n, random_state=s) for s in range(4000)]
    )
    # never more votes of a class than recorded, rows sum to min(n, total)
    assert (draws <= COUNTS).all() and (draws >= 0).all()
    totals = COUNTS.sum(1)
    np.testing.assert_array_equal(
        draws.sum(2), np.broadcast_to(np.minimum(n, totals), draws.shape[:2])
    )
    # mean of the draws = n * counts / total (hypergeometric mean), within 4 SE
    keep = np.minimum(n, totals)[:, None]
    expected = keep * COUNTS / totals[:, None]
    var = np.array(
        [
            [hypergeom(t, c, m).var() for c in row]
            for row, t, m in zip(COUNTS, totals, keep[:, 0])
        ]
    )
    se = np.sqrt(var / len(draws))
    assert (np.abs(draws.mean(0) - expected) <= 4 * se + 1e-12).all()
    # the marginal law of one class is the hypergeometric pmf
    values, freq = np.unique(draws[:, 0, 0], return_counts=True)
    pmf = hypergeom(10, 6, 4).pmf(values)
    np.testing.assert_allclose(freq / len(draws), pmf, atol=0.03)


def test_all_votes_when_n_reaches_total_and_determinism():
    np.testing.assert_array_equal(subsample_annotations(COUNTS, 20), COUNTS)
    np.testing.assert_array_equal(
        subsample_annotations(COUNTS, 3, random_state=1),
        subsample_annotations(COUNTS, 3, random_state=1),
    )
    a = [subsample_annotations(COUNTS, 3, random_state=s) for s in range(20)]
    assert any(not np.array_equal(a[0], b) for b in a[1:])
    # float counts holding whole numbers are accepted; rows of zeros stay zero
    z = np.vstack([COUNTS, np.zeros(4)]).astype(float)
    out = subsample_annotations(z, 2, random_state=0)
    assert out.dtype == np.int64 and out[-1].sum() == 0


@pytest.mark.parametrize(
    "counts, match",
    [
        ([[1.5, 2]], "whole numbers"),
        ([[-1, 2]], "non-negative"),
        ([[np.nan, 2]], "NaN"),
        ([1, 2], "matrix"),
        (np.zeros((0, 3)), "matrix"),
        ([["a", "b"]], "numeric"),
    ],
)
def test_bad_counts_raise(counts, match):
    with pytest.raises(ValueError, match=match):
        subsample_annotations(counts, 2)


def test_bad_n_raises():
    with pytest.raises(InvalidParameterError):
        subsample_annotations(COUNTS, 0)
    with pytest.raises(InvalidParameterError):
        subsample_annotations(COUNTS, 2.5)


def test_budget_curve_against_hand_loop():
    rng = np.random.default_rng(0)
    y_prob = rng.dirichlet(np.ones(4), size=4)
    curve = annotation_budget_curve(
        kl_divergence, y_prob, COUNTS, [1, 3, 20], n_draws=7, random_state=3
    )
    # the same draws by hand: one RandomState consumed in order
    rs = np.random.RandomState(3)
    hand = np.array(
        [
            [
                kl_divergence(
                    (s := subsample_annotations(COUNTS, n, random_state=rs))
                    / s.sum(1, keepdims=True),
                    y_prob,
                )
                for _ in range(7)
            ]
            for n in [1, 3, 20]
        ]
    )
    np.testing.assert_allclose(curve.scores, hand)
    np.testing.assert_allclose(curve.mean, hand.mean(1))
    np.testing.assert_allclose(curve.lower, np.quantile(hand, 0.025, axis=1))
    np.testing.assert_allclose(curve.upper, np.quantile(hand, 0.975, axis=1))
    full = kl_divergence(COUNTS / COUNTS.sum(1, keepdims=True), y_prob)
    assert curve.full == pytest.approx(full)
    np.testing.assert_allclose(curve.scores[-1], full)  # 20 >= every total
    np.testing.assert_allclose(curve.mean_annotations, [1, 2.75, 10.5])
    assert curve.std[-1] == pytest.approx(0.0)


def test_budget_curve_bad_input():
    y_prob = np.full((4, 4), 0.25)
    with pytest.raises(ValueError, match="no vote"):
        annotation_budget_curve(
            kl_divergence, y_prob, np.vstack([COUNTS[:3], 0 * COUNTS[:1]]), [1]
        )
    with pytest.raises(ValueError, match="n_values"):
        annotation_budget_curve(kl_divergence, y_prob, COUNTS, [0, 2])
    with pytest.raises(ValueError, match="n_values"):
        annotation_budget_curve(kl_divergence, y_prob, COUNTS, [1.5])
    with pytest.raises(ValueError, match="finite number"):
        annotation_budget_curve(lambda a, b: np.nan, y_prob, COUNTS, [1])
    with pytest.raises(ValueError, match="finite number"):
        annotation_budget_curve(lambda a, b: a, y_prob, COUNTS, [1])
    with pytest.raises(InvalidParameterError):
        annotation_budget_curve("kl", y_prob, COUNTS, [1])
    with pytest.raises(InvalidParameterError):
        annotation_budget_curve(kl_divergence, y_prob, COUNTS, [1], confidence=1.0)


def test_budget_curve_on_cifar10h(cifar10h_dir):
    counts = np.load(cifar10h_dir / "cifar10h-counts.npy")[:2000]
    full = counts / counts.sum(1, keepdims=True)
    curve = annotation_budget_curve(
        kl_divergence, full, counts, [1, 5, 20, 100], n_draws=3, random_state=0
    )
    # fewer annotators: farther from the all-annotator labels; all of them: 0
    assert np.all(np.diff(curve.mean) < 0)
    assert curve.mean[-1] == pytest.approx(0.0, abs=1e-12)
