"""Property tests (hypothesis) of the metric functions' invariants."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sksoft.metrics import (
    average_manhattan_distance,
    expected_calibration_error,
    get_scorer,
    hard_sample_calibration_error,
    js_divergence,
    kl_divergence,
    max_calibration_error,
    ordinal_wasserstein_distance,
    soft_brier_score_loss,
    soft_log_loss,
)
from sksoft.targets import hard_sample_mask, target_entropy

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def pairs(draw, min_rows=2, max_rows=25, max_classes=6, zeros=True):
    """Two (n, k) probability matrices of the same shape."""
    n = draw(st.integers(min_rows, max_rows))
    k = draw(st.integers(2, max_classes))
    lo = 0.0 if zeros else 1e-3
    elems = st.floats(lo, 10.0, allow_nan=False, allow_infinity=False)
    mats = []
    for _ in range(2):
        raw = draw(arrays(np.float64, (n, k), elements=elems))
        raw[:, 0] += 1e-3  # no all-zero row
        mats.append(raw / raw.sum(axis=1, keepdims=True))
    return mats[0], mats[1]


@st.composite
def labelled(draw):
    """Predicted probabilities and hard labels covering every class."""
    _, p = draw(pairs(min_rows=6))
    k = p.shape[1]
    assume(p.shape[0] >= k)
    y = np.array(
        draw(st.lists(st.integers(0, k - 1), min_size=p.shape[0], max_size=p.shape[0]))
    )
    y[:k] = np.arange(k)
    return y, p


@SETTINGS
@given(labelled(), st.integers(1, 20), st.sampled_from(["uniform", "quantile"]))
def test_ece_in_unit_interval_and_below_mce(data, n_bins, strategy):
    y, p = data
    ece = expected_calibration_error(y, p, n_bins=n_bins, strategy=strategy)
    mce = max_calibration_error(y, p, n_bins=n_bins, strategy=strategy)
    assert 0.0 <= ece <= mce + 1e-12 <= 1.0 + 1e-12
    cw = expected_calibration_error(y, p, n_bins=n_bins, classwise=True)
    assert 0.0 <= cw <= 1.0


@SETTINGS
@given(pairs(), st.randoms(use_true_random=False))
def test_row_permutation_invariance(pq, random):
    t, p = pq
    perm = np.array(random.sample(range(len(t)), len(t)))
    for func in (
        expected_calibration_error,
        kl_divergence,
        js_divergence,
        soft_brier_score_loss,
        average_manhattan_distance,
        ordinal_wasserstein_distance,
    ):
        assert func(t[perm], p[perm]) == pytest.approx(func(t, p), abs=1e-12), func


@SETTINGS
@given(pairs(zeros=False))
def test_kl_nonnegative_zero_iff_equal(pq):
    t, p = pq
    assert kl_divergence(t, p) >= -1e-12
    assert kl_divergence(t, t) == pytest.approx(0.0, abs=1e-12)
    if np.abs(t - p).max() > 1e-3:
        assert kl_divergence(t, p) > 0
    # cross-entropy = entropy + KL (Gibbs)
    ent = -np.mean(np.sum(t * np.log(t), axis=1))
    assert soft_log_loss(t, p) == pytest.approx(ent + kl_divergence(t, p), abs=1e-9)


@SETTINGS
@given(pairs())
def test_js_symmetric_and_bounded(pq):
    t, p = pq
    js = js_divergence(t, p)
    assert js == pytest.approx(js_divergence(p, t), abs=1e-12)
    assert -1e-12 <= js <= np.log(2) + 1e-12


@SETTINGS
@given(pairs())
def test_manhattan_in_0_2_zero_iff_equal(pq):
    t, p = pq
    md = average_manhattan_distance(t, p)
    assert 0.0 <= md <= 2.0 + 1e-12
    assert md == pytest.approx(average_manhattan_distance(p, t), abs=1e-12)
    assert average_manhattan_distance(t, t) == pytest.approx(0.0, abs=1e-12)
    if np.abs(t - p).max() > 1e-9:
        assert md > 0


@SETTINGS
@given(pairs())
def test_wasserstein_symmetric_zero_iff_equal_and_bounds(pq):
    t, p = pq
    k = t.shape[1]
    w = ordinal_wasserstein_distance(t, p)
    assert w == pytest.approx(ordinal_wasserstein_distance(p, t), abs=1e-12)
    assert ordinal_wasserstein_distance(t, t) == pytest.approx(0.0, abs=1e-12)
    # 0 iff equal: positive whenever some row differs by more than rounding
    if np.abs(t - p).max() > 1e-9:
        assert w > 0
    # between half the Manhattan distance (one step per unit moved) and
    # (k - 1) times it
    md = average_manhattan_distance(t, p)
    assert md / 2 - 1e-12 <= w <= (k - 1) * md / 2 + 1e-12


@SETTINGS
@given(pairs(min_rows=4), st.floats(0.05, 0.5), st.floats(0.05, 0.45))
def test_hard_mask_monotone_in_fraction(pq, f, df):
    t, _ = pq
    small = hard_sample_mask(t, hard_fraction=f)
    large = hard_sample_mask(t, hard_fraction=min(f + df, 0.99))
    assert not (small & ~large).any()  # a subset
    assert small.sum() >= min(np.ceil(f * len(t)), len(t))
    # the sets are nested: a top-fraction set with a positive cut lies inside
    # the disagreement set; one with a zero cut (ties included) is everything
    dis = hard_sample_mask(t, hard="disagreement")
    np.testing.assert_array_equal(dis, target_entropy(t) > 0)
    assert small.all() or not (small & ~dis).any()


class _Fixed:
    """A fitted 'classifier' returning fixed probabilities (scorer tests)."""

    def __init__(self, proba):
        self.proba = proba
        self.classes_ = np.arange(proba.shape[1])

    def predict_proba(self, X):
        return self.proba


@SETTINGS
@given(pairs())
def test_scorers_sign_convention(pq):
    t, p = pq
    est = _Fixed(p)
    for name, func in [
        ("neg_expected_calibration_error", expected_calibration_error),
        ("neg_kl_divergence", kl_divergence),
        ("neg_average_manhattan_distance", average_manhattan_distance),
        ("neg_ordinal_wasserstein_distance", ordinal_wasserstein_distance),
    ]:
        score = get_scorer(name)(est, None, t)
        assert score == pytest.approx(-func(t, p), abs=1e-12)
        assert score <= 1e-12  # a loss is negated: higher is better
    perfect = get_scorer("neg_average_manhattan_distance")(_Fixed(t), None, t)
    assert perfect == pytest.approx(0.0, abs=1e-12)


@SETTINGS
@given(pairs(min_rows=5))
def test_hard_subset_ece_equals_ece_on_the_subset(pq):
    t, p = pq
    mask = hard_sample_mask(t, hard="disagreement")
    assume(mask.any())
    assert hard_sample_calibration_error(t, p, hard="disagreement") == pytest.approx(
        expected_calibration_error(t[mask], p[mask]), abs=1e-12
    )


@SETTINGS
@given(pairs(), st.integers(3, 6))
def test_rounded_probabilities_accepted_like_renormalised(pq, decimals):
    t, p = pq
    pr = np.round(p, decimals)
    gap = np.abs(pr.sum(axis=1) - 1).max()
    assume(gap <= 0.9e-4 and (pr > 0).any(axis=1).all())
    # sums computed in another order differ in the last bits: stay off the
    # tolerance boundaries
    assume(not 0.9e-6 <= gap <= 1.1e-6)
    with np.errstate(all="ignore"):
        ref = pr / pr.sum(axis=1, keepdims=True)
    with pytest.warns(UserWarning) if gap > 1e-6 else _no_warning():
        got = average_manhattan_distance(t, pr)
    # rows off by more than 1e-6 are renormalised; within 1e-6 they are used
    # as given, which moves the distance by at most the rows' gaps
    tol = 1e-12 if gap > 1e-6 else 2 * gap + 1e-12
    assert got == pytest.approx(average_manhattan_distance(t, ref), abs=tol)


class _no_warning:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("error", UserWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
