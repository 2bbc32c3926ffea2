"""Tests of sksoft.metrics calibration errors against netcal, torchmetrics and
formulas written out by hand."""

import subprocess
import sys

import numpy as np
import pytest

from sksoft.metrics import (
    expected_calibration_error,
    hard_sample_calibration_error,
    max_calibration_error,
)
from sksoft.metrics._calibration import _calibration_bins, assign_bins
from sksoft.targets import hard_sample_mask, one_hot


def _random_problem(rng, n=2000, k=5, temp=2.0):
    logits = rng.normal(size=(n, k)) * temp
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=row) for row in p[:, ::-1]])  # miscalibrated
    return p, y


def _ece_by_hand(conf, acc, n_bins, weight=None, norm="l1", uniform=False):
    """Straight loop over bins [e_m, e_{m+1}), last closed."""
    edges = np.linspace(0, 1, n_bins + 1)
    w = np.ones_like(conf) if weight is None else weight
    gaps, sizes = [], []
    for m in range(n_bins):
        lo, hi = edges[m], edges[m + 1]
        inb = (conf >= lo) & ((conf < hi) if m < n_bins - 1 else (conf <= hi))
        if w[inb].sum() == 0:
            continue
        a = np.sum(w[inb] * acc[inb]) / w[inb].sum()
        c = np.sum(w[inb] * conf[inb]) / w[inb].sum()
        gaps.append(abs(a - c))
        sizes.append(w[inb].sum())
    gaps, sizes = np.array(gaps), np.array(sizes)
    share = np.full(len(gaps), 1 / len(gaps)) if uniform else sizes / sizes.sum()
    if norm == "max":
        return gaps.max()
    if norm == "l2":
        return np.sqrt(np.sum(share * gaps**2))
    return np.sum(share * gaps)


@pytest.fixture
def problem():
    return _random_problem(np.random.default_rng(3))


# --------------------------------------------------------------------- netcal


@pytest.mark.parametrize("k", [3, 10])
@pytest.mark.parametrize("n_bins", [1, 10, 15])
def test_equals_netcal_ece_mce_ace(k, n_bins):
    netcal = pytest.importorskip("netcal.metrics")
    p, y = _random_problem(np.random.default_rng(k + n_bins), n=3000, k=k)
    ours = expected_calibration_error(y, p, n_bins=n_bins)
    assert ours == pytest.approx(netcal.ECE(bins=n_bins).measure(p, y), abs=1e-10)
    mce = max_calibration_error(y, p, n_bins=n_bins)
    assert mce == pytest.approx(netcal.MCE(bins=n_bins).measure(p, y), abs=1e-10)
    ace = expected_calibration_error(y, p, n_bins=n_bins, bin_weighting="uniform")
    assert ace == pytest.approx(netcal.ACE(bins=n_bins).measure(p, y), abs=1e-10)
    assert ours > 0.05  # the reversed sampling makes the model miscalibrated


def test_equals_netcal_quantile_bins(problem):
    netcal = pytest.importorskip("netcal.metrics")
    p, y = problem
    ours = expected_calibration_error(y, p, n_bins=10, strategy="quantile")
    ref = netcal.ECE(bins=10, equal_intervals=False).measure(p, y)
    assert ours == pytest.approx(ref, abs=1e-10)
    # equal mass: the bins hold (almost) the same number of samples
    bins = _calibration_bins(y, p, n_bins=10, strategy="quantile")
    assert bins.count.max() - bins.count.min() <= 1


def test_classwise_equals_mean_of_netcal_binary(problem):
    netcal = pytest.importorskip("netcal.metrics")
    p, y = problem
    ref = np.mean(
        [netcal.ECE(bins=15).measure(p[:, k], (y == k).astype(int)) for k in range(5)]
    )
    assert expected_calibration_error(y, p, classwise=True) == pytest.approx(
        ref, abs=1e-10
    )


def test_binary_column_is_positive_class_calibration_like_netcal():
    netcal = pytest.importorskip("netcal.metrics")
    rng = np.random.default_rng(1)
    p1 = rng.uniform(size=1500)
    y = (rng.uniform(size=1500) < p1**2).astype(int)
    ours = expected_calibration_error(y, p1)
    assert ours == pytest.approx(netcal.ECE(bins=15).measure(p1, y), abs=1e-10)
    both = np.column_stack([1 - p1, p1])
    assert ours == pytest.approx(netcal.ECE(bins=15).measure(both, y), abs=1e-10)
    assert ours == pytest.approx(_ece_by_hand(p1, (y == 1).astype(float), 15))
    # string labels: the column belongs to the larger label (or labels[-1])
    names = np.array(["neg", "pos"])[y]
    assert expected_calibration_error(names, p1) == pytest.approx(ours)
    flipped = expected_calibration_error(names, 1 - p1, labels=["pos", "neg"])
    assert flipped == pytest.approx(expected_calibration_error(1 - y, 1 - p1))


# --------------------------------------------------------------- torchmetrics


def test_equals_torchmetrics_where_edges_agree():
    torch = pytest.importorskip("torch")
    tmf = pytest.importorskip("torchmetrics.functional.classification")
    p, y = _random_problem(np.random.default_rng(7), n=4000, k=6)
    # torchmetrics bins float32 confidences; drop rows within 1e-6 of an edge
    conf = p.max(axis=1)
    edges = np.linspace(0, 1, 16)
    far = np.min(np.abs(conf[:, None] - edges[None, :]), axis=1) > 1e-6
    p, y = p[far], y[far]
    for norm in ["l1", "l2", "max"]:
        ref = tmf.multiclass_calibration_error(
            torch.from_numpy(p),
            torch.from_numpy(y),
            num_classes=6,
            n_bins=15,
            norm=norm,
        ).item()
        assert expected_calibration_error(y, p, norm=norm) == pytest.approx(
            ref, abs=1e-6
        )


def test_confidence_one_convention_vs_torchmetrics():
    """A confidence of exactly 1.0 joins the last bin (netcal, numpy.histogram);
    torchmetrics gives it an extra bin of its own, so the two differ here."""
    torch = pytest.importorskip("torch")
    tmf = pytest.importorskip("torchmetrics.functional.classification")
    p = np.array([[1.0, 0.0, 0.0]] * 4 + [[0.95, 0.05, 0.0]] * 4)
    y = np.array([0] * 4 + [1] * 4)
    bins = _calibration_bins(y, p, n_bins=10, labels=[0, 1, 2])
    assert bins.count[-1] == 8  # 0.95 and 1.0 share the last bin [0.9, 1.0]
    ours = expected_calibration_error(y, p, n_bins=10, labels=[0, 1, 2])
    assert ours == pytest.approx(abs(0.5 - 0.975))
    tm = tmf.multiclass_calibration_error(
        torch.from_numpy(p), torch.from_numpy(y), num_classes=3, n_bins=10
    ).item()
    assert tm == pytest.approx(0.5 * 0.95 + 0.5 * 0.0, abs=1e-6)  # separate bins


# ------------------------------------------------------------ formula by hand


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
@pytest.mark.parametrize("bin_weighting", ["size", "uniform"])
def test_matches_hand_loop_soft_and_weighted(problem, norm, bin_weighting):
    p, y = problem
    rng = np.random.default_rng(0)
    soft = rng.dirichlet(np.ones(5) * 0.5, size=len(y))
    w = rng.uniform(0.1, 3, size=len(y))
    pred = np.argmax(p, axis=1)
    conf = p.max(axis=1)
    soft_acc = soft[np.arange(len(y)), pred]
    ours = expected_calibration_error(
        soft, p, norm=norm, bin_weighting=bin_weighting, sample_weight=w
    )
    ref = _ece_by_hand(
        conf, soft_acc, 15, weight=w, norm=norm, uniform=bin_weighting == "uniform"
    )
    assert ours == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_norm_ordering_and_permutation_invariance(seed):
    """l1 <= l2 <= max (Jensen, same bin weights); sample order is irrelevant."""
    p, y = _random_problem(np.random.default_rng(seed), n=500, k=4)
    l1 = expected_calibration_error(y, p)
    l2 = expected_calibration_error(y, p, norm="l2")
    mx = expected_calibration_error(y, p, norm="max")
    assert 0 <= l1 <= l2 <= mx <= 1
    assert mx == max_calibration_error(y, p)
    perm = np.random.default_rng(seed).permutation(len(y))
    assert expected_calibration_error(y[perm], p[perm]) == pytest.approx(l1)


def test_soft_one_hot_equals_hard(problem):
    p, y = problem
    for kw in [{}, {"classwise": True}, {"norm": "max"}, {"strategy": "quantile"}]:
        assert expected_calibration_error(one_hot(y), p, **kw) == pytest.approx(
            expected_calibration_error(y, p, **kw), abs=1e-15
        )


def test_integer_weights_equal_repetition(problem):
    p, y = problem
    w = np.random.default_rng(1).integers(0, 4, size=len(y))
    rep = np.repeat(np.arange(len(y)), w)
    assert expected_calibration_error(y, p, sample_weight=w) == pytest.approx(
        expected_calibration_error(y[rep], p[rep]), abs=1e-12
    )


def test_perfect_soft_calibration_is_zero(problem):
    """Predictions scored against themselves as soft labels are calibrated."""
    p, _ = problem
    assert expected_calibration_error(p, p) == pytest.approx(0.0, abs=1e-12)
    assert expected_calibration_error(p, p, classwise=True) == pytest.approx(
        0.0, abs=1e-12
    )


def test_label_permutation_and_strings(problem):
    p, y = problem
    names = np.array(list("abcde"))
    ref = expected_calibration_error(y, p)
    assert expected_calibration_error(names[y], p) == pytest.approx(ref)
    perm = np.array([2, 0, 4, 1, 3])
    # columns reordered together with the labels
    assert expected_calibration_error(
        names[y], p[:, perm], labels=names[perm]
    ) == pytest.approx(ref)


def test_column_vector_labels_warn(problem):
    from sklearn.exceptions import DataConversionWarning

    p, y = problem
    with pytest.warns(DataConversionWarning, match="column-vector y_true"):
        value = expected_calibration_error(y[:, None], p)
    assert value == expected_calibration_error(y, p)


def test_missing_class_needs_labels():
    p = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1]])
    with pytest.raises(ValueError, match="Pass labels="):
        expected_calibration_error([0, 1], p)
    with pytest.raises(ValueError, match="not among"):
        expected_calibration_error([0, 5], p, labels=[0, 1, 2])
    assert expected_calibration_error([0, 1], p, labels=[0, 1, 2]) == pytest.approx(0.3)


def test_bin_assignment_equals_searchsorted_on_edge_values():
    """The arithmetic bin index equals numpy.histogram's at exact edges."""
    for n_bins in [3, 7, 10, 15, 20]:
        edges = np.linspace(0, 1, n_bins + 1)
        grid = np.unique(
            np.concatenate(
                [edges, np.nextafter(edges, 0), np.nextafter(edges, 1)]
                + [np.arange(j + 1) / j for j in range(1, 70)]
            )
        )
        grid = grid[(grid >= 0) & (grid <= 1)]
        ref = np.clip(np.searchsorted(edges, grid, side="right") - 1, 0, n_bins - 1)
        np.testing.assert_array_equal(assign_bins(grid, edges, True), ref)
        hist, _ = np.histogram(grid, bins=edges)
        np.testing.assert_array_equal(np.bincount(ref, minlength=n_bins), hist)


# ----------------------------------------------------------------- CIFAR-10H


def _cifar(cifar10h_dir):
    return np.load(cifar10h_dir / "cifar10h-probs.npy")


def test_cifar10h_equals_netcal(cifar10h_dir):
    netcal = pytest.importorskip("netcal.metrics")
    probs = _cifar(cifar10h_dir)
    majority = np.argmax(probs, axis=1)
    sampled = np.array([np.random.default_rng(0).choice(10, p=r) for r in probs[:3000]])
    for y, p in [(majority, probs), (sampled, probs[:3000])]:
        for n_bins in [10, 15]:
            assert expected_calibration_error(y, p, n_bins=n_bins) == pytest.approx(
                netcal.ECE(bins=n_bins).measure(p, y), abs=1e-10
            )
            assert max_calibration_error(y, p, n_bins=n_bins) == pytest.approx(
                netcal.MCE(bins=n_bins).measure(p, y), abs=1e-10
            )
            assert expected_calibration_error(
                y, p, n_bins=n_bins, bin_weighting="uniform"
            ) == pytest.approx(netcal.ACE(bins=n_bins).measure(p, y), abs=1e-10)


def test_cifar10h_against_own_majority_label(cifar10h_dir):
    """Accuracy is 1 in every bin, so the ECE is 1 - mean confidence."""
    probs = _cifar(cifar10h_dir)
    ece = expected_calibration_error(np.argmax(probs, axis=1), probs)
    assert ece == pytest.approx(1 - probs.max(axis=1).mean(), abs=1e-12)


def test_cifar10h_sampled_labels_calibrated_within_noise(cifar10h_dir):
    """Labels drawn from the predicted distributions: calibrated by construction.

    In bin m the gap acc - conf is a mean of n_m independent centred terms
    1[y_i = yhat_i] - c_i with variance c_i (1 - c_i), so its standard error is
    s_m = sqrt(sum_i c_i (1 - c_i)) / n_m. The bound is sum_m (n_m / n) 4 s_m:
    every bin within 4 standard errors (probability > 0.999 over 15 bins).
    """
    probs = _cifar(cifar10h_dir)
    rng = np.random.default_rng(42)
    cum = probs.cumsum(axis=1)
    y = (rng.uniform(size=(len(probs), 1)) > cum).sum(axis=1)
    y = np.minimum(y, 9)
    conf = probs.max(axis=1)
    idx = assign_bins(conf, np.linspace(0, 1, 16), True)
    n = len(conf)
    bound = 0.0
    for m in np.unique(idx):
        c = conf[idx == m]
        bound += (len(c) / n) * 4 * np.sqrt(np.sum(c * (1 - c))) / len(c)
    ece = expected_calibration_error(y, probs)
    assert ece <= bound
    # against their own majority the same predictions are far off (sanity)
    assert expected_calibration_error(np.argmax(probs, axis=1), probs) > 2 * bound
    # and as soft labels they are exactly calibrated
    assert expected_calibration_error(probs, probs) == pytest.approx(0, abs=1e-12)


def test_cifar10h_hard_samples_worse_than_easy(cifar10h_dir):
    probs = _cifar(cifar10h_dir)
    y = np.argmax(probs, axis=1)
    hard = hard_sample_calibration_error(y, probs, soft_target=probs)
    easy = hard_sample_calibration_error(y, probs, soft_target=probs, subset="easy")
    mask = hard_sample_mask(probs)
    assert hard == pytest.approx(expected_calibration_error(y[mask], probs[mask]))
    assert easy == pytest.approx(expected_calibration_error(y[~mask], probs[~mask]))
    assert hard > easy


# --------------------------------------------------------- hard-sample metric


def test_hard_sample_sources_agree(soft_y, rng):
    p = rng.dirichlet(np.ones(3), size=len(soft_y))
    mask = hard_sample_mask(soft_y, hard_fraction=0.3)
    gold = np.argmax(soft_y, axis=1)
    from_soft = hard_sample_calibration_error(soft_y, p, hard_fraction=0.3)
    assert from_soft == pytest.approx(expected_calibration_error(soft_y[mask], p[mask]))
    routed = hard_sample_calibration_error(
        gold, p, soft_target=soft_y, hard_fraction=0.3
    )
    assert routed == pytest.approx(expected_calibration_error(gold[mask], p[mask]))
    explicit = hard_sample_calibration_error(gold, p, mask=mask)
    assert explicit == pytest.approx(routed)
    easy = hard_sample_calibration_error(gold, p, mask=mask, subset="easy", norm="max")
    assert easy == pytest.approx(max_calibration_error(gold[~mask], p[~mask]))
    w = rng.uniform(size=len(gold))
    assert hard_sample_calibration_error(
        gold, p, mask=mask, sample_weight=w
    ) == pytest.approx(
        expected_calibration_error(gold[mask], p[mask], sample_weight=w[mask])
    )


def test_hard_sample_without_hardness_raises(rng):
    p = rng.dirichlet(np.ones(3), size=20)
    y = np.arange(20) % 3
    with pytest.raises(ValueError, match="soft_target"):
        hard_sample_calibration_error(y, p)
    with pytest.raises(ValueError, match="zero entropy"):
        hard_sample_calibration_error(one_hot(y), p)
    with pytest.raises(ValueError, match="mask must be boolean"):
        hard_sample_calibration_error(y, p, mask=np.ones(20, dtype=int))
    with pytest.raises(ValueError, match="easy subset is empty"):
        hard_sample_calibration_error(y, p, mask=np.ones(20, bool), subset="easy")
    with pytest.raises(ValueError, match="soft_target has 5 samples"):
        hard_sample_calibration_error(y, p, soft_target=p[:5])


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "y_true, y_prob, match",
    [
        ([0, 1], [[0.5, 0.5]] * 3, "same length"),
        ([[0.5, 0.5]] * 3, [[0.2, 0.3, 0.5]] * 3, "y_true has 2 classes"),
        ([0, 1, 0], [[0.5, 0.6], [0.5, 0.5], [0.5, 0.5]], "sum to 1"),
        ([0, 1, 0], [[1.5, -0.5], [0.5, 0.5], [0.5, 0.5]], "negative"),
        ([0, 1, 0], [[np.nan, 0.5], [0.5, 0.5], [0.5, 0.5]], "NaN"),
        ([0, 1, 0], [0.2, 1.2, 0.5], r"\[0, 1\]"),
        ([0, 1, 0], [0.2, np.nan, 0.5], "NaN"),
        ([], np.zeros((0, 2)), "empty"),
        ([[0.5, 0.6], [0.5, 0.5]], [[0.5, 0.5]] * 2, "y_true rows must sum"),
        ([0, 1, 2], [[0.5, 0.5]] * 3, "3 distinct labels"),
    ],
)
def test_bad_input_raises(y_true, y_prob, match):
    for func in (expected_calibration_error, max_calibration_error):
        with pytest.raises(ValueError, match=match):
            func(y_true, np.asarray(y_prob, dtype=float))


def test_bad_parameters_raise(problem):
    p, y = problem
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error(y, p, n_bins=0)
    with pytest.raises(ValueError, match="norm"):
        expected_calibration_error(y, p, norm="l3")
    with pytest.raises(ValueError, match="sample_weight has 3"):
        expected_calibration_error(y, p, sample_weight=[1, 2, 3])
    with pytest.raises(ValueError, match="negative"):
        expected_calibration_error(y, p, sample_weight=-np.ones(len(y)))


def test_float32_and_pandas_input(problem):
    pd = pytest.importorskip("pandas")
    p, y = problem
    ref = expected_calibration_error(y, p)
    p32 = (p / p.sum(1, keepdims=True)).astype(np.float32)
    assert expected_calibration_error(y, p32) == pytest.approx(ref, abs=1e-5)
    assert expected_calibration_error(pd.Series(y), pd.DataFrame(p)) == pytest.approx(
        ref
    )
    assert expected_calibration_error(y, np.asfortranarray(p)) == pytest.approx(ref)


def test_no_copy_of_the_probability_matrix():
    """Extra memory is a few arrays of n values, never an (n, K) copy."""
    import tracemalloc

    n, k = 100_000, 10
    p = np.random.default_rng(0).dirichlet(np.ones(k), size=n)
    y = np.random.default_rng(1).integers(0, k, size=n)
    expected_calibration_error(y, p)
    tracemalloc.start()
    expected_calibration_error(y, p)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 6 * 8 * n  # an (n, K) float64 copy alone would be 10 * 8 * n


def test_import_does_not_load_torch_or_matplotlib():
    code = (
        "import sys, sksoft.metrics; "
        "bad = [m for m in ('torch', 'matplotlib', 'skorch') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


# ------------------------------------------------------------ debiased L2


def _debiased_by_hand(conf, acc, n_bins):
    """Kumar et al. (2019): sum_m n_m/n [gap_m^2 - a_m (1 - a_m) / (n_m - 1)]."""
    edges = np.linspace(0, 1, n_bins + 1)
    total, n = 0.0, len(conf)
    for m in range(n_bins):
        lo, hi = edges[m], edges[m + 1]
        inb = (conf >= lo) & ((conf < hi) if m < n_bins - 1 else (conf <= hi))
        n_m = int(inb.sum())
        if n_m == 0:
            continue
        a, c = acc[inb].mean(), conf[inb].mean()
        corr = np.var(acc[inb], ddof=1) / n_m if n_m > 1 else 0.0
        total += n_m / n * ((a - c) ** 2 - corr)
    return np.sqrt(max(total, 0.0))


@pytest.mark.parametrize("n", [60, 2000])
def test_debiased_l2_equals_hand_formula_hard_and_soft(n):
    rng = np.random.default_rng(n)
    p, y = _random_problem(rng, n=n, k=4)
    conf, pred = p.max(axis=1), p.argmax(axis=1)
    hard = _debiased_by_hand(conf, (pred == y).astype(float), 10)
    assert expected_calibration_error(
        y, p, n_bins=10, norm="l2", debiased=True
    ) == pytest.approx(hard, abs=1e-12)
    # 0/1 accuracies: the sample variance is Kumar et al.'s a (1 - a) / (n - 1)
    soft = rng.dirichlet(np.ones(4), size=n)
    ref = _debiased_by_hand(conf, soft[np.arange(n), pred], 10)
    assert expected_calibration_error(
        soft, p, n_bins=10, norm="l2", debiased=True
    ) == pytest.approx(ref, abs=1e-12)
    # never above the plug-in error
    assert expected_calibration_error(
        y, p, n_bins=10, norm="l2", debiased=True
    ) <= expected_calibration_error(y, p, n_bins=10, norm="l2")


def test_debiased_l2_equals_torchmetrics_debias():
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.functional.classification.calibration_error")
    p, y = _random_problem(np.random.default_rng(11), n=500, k=3)
    conf = p.max(axis=1)
    edges = np.linspace(0, 1, 16)
    far = np.min(np.abs(conf[:, None] - edges[None, :]), axis=1) > 1e-6
    p, y, conf = p[far], y[far], conf[far]
    acc = (p.argmax(axis=1) == y).astype(float)
    ref = tm._ce_compute(
        torch.from_numpy(conf), torch.from_numpy(acc), 15, norm="l2", debias=True
    ).item()
    assert expected_calibration_error(y, p, norm="l2", debiased=True) == pytest.approx(
        ref, abs=1e-9
    )


def test_debiased_removes_small_sample_bias():
    """Labels drawn from the predictions: the debiased error is near 0."""
    rng = np.random.default_rng(5)
    plug, deb = [], []
    for _ in range(40):
        p = rng.dirichlet([1, 1, 1], size=80)
        y = np.array([rng.choice(3, p=row) for row in p])
        plug.append(expected_calibration_error(y, p, norm="l2", labels=[0, 1, 2]))
        deb.append(
            expected_calibration_error(y, p, norm="l2", debiased=True, labels=[0, 1, 2])
        )
    assert np.mean(deb) < 0.5 * np.mean(plug)


def test_debiased_needs_l2_and_no_weights(problem):
    p, y = problem
    with pytest.raises(ValueError, match="norm='l2'"):
        expected_calibration_error(y, p, debiased=True)
    with pytest.raises(ValueError, match="sample_weight"):
        expected_calibration_error(
            y, p, norm="l2", debiased=True, sample_weight=np.ones(len(y))
        )


# ------------------------------------------------ hard="disagreement" subsets


def test_disagreement_subset_by_hand():
    soft = np.array(
        [[1.0, 0.0], [0.5, 0.5], [0.9, 0.1], [0.6, 0.4], [0.0, 1.0], [0.3, 0.7]]
    )
    p = np.array(
        [[0.9, 0.1], [0.9, 0.1], [0.8, 0.2], [0.7, 0.3], [0.4, 0.6], [0.1, 0.9]]
    )
    # disagreement rows 1, 2, 3, 5; n_bins=5: conf 0.9, 0.8, 0.7, 0.9
    # bin [0.8, 1]: rows 1, 2, 5: conf (0.9 + 0.8 + 0.9) / 3, acc (0.5 + 0.9 + 0.7) / 3
    # bin [0.6, 0.8): row 3: conf 0.7, acc 0.6
    gap_hi = abs((0.9 + 0.8 + 0.9) / 3 - (0.5 + 0.9 + 0.7) / 3)
    expected = 3 / 4 * gap_hi + 1 / 4 * 0.1
    got = hard_sample_calibration_error(soft, p, hard="disagreement", n_bins=5)
    assert got == pytest.approx(expected)
    # easy = unanimous rows 0 and 4: conf 0.9 (acc 1) and 0.6 (acc 1)
    easy = hard_sample_calibration_error(
        soft, p, hard="disagreement", subset="easy", n_bins=5
    )
    assert easy == pytest.approx(0.5 * 0.1 + 0.5 * 0.4)
    # routed soft labels with gold y_true: same subset, gold reference
    gold = np.array([0, 1, 0, 0, 1, 1])
    routed = hard_sample_calibration_error(
        gold, p, soft_target=soft, hard="disagreement", n_bins=5
    )
    sel = [1, 2, 3, 5]
    assert routed == pytest.approx(
        expected_calibration_error(gold[sel], p[sel], n_bins=5)
    )
    with pytest.raises(ValueError, match="hard"):
        hard_sample_calibration_error(soft, p, hard="top")


def test_disagreement_scorer():
    from sklearn.linear_model import LogisticRegression

    from sksoft.metrics import get_scorer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    votes = rng.integers(0, 3, size=80)  # 0, 1 or 2 dissenting votes out of 5
    soft = np.where(y[:, None] == 1, [[0, 1.0]], [[1.0, 0]])
    soft = soft * (5 - votes[:, None]) / 5 + (1 - soft) * votes[:, None] / 5
    clf = LogisticRegression().fit(X, y)
    scorer = get_scorer("neg_hard_sample_calibration_error", hard="disagreement")
    expected = hard_sample_calibration_error(
        soft, clf.predict_proba(X), hard="disagreement"
    )
    assert scorer(clf, X, soft) == pytest.approx(-expected)
    assert expected == pytest.approx(
        expected_calibration_error(soft[votes > 0], clf.predict_proba(X)[votes > 0])
    )


# ------------------------------------- chunked kernel vs a slow full-array reference


def _slow_ece(y_idx, y_soft, p, n_bins, weight, classwise, norm="l1"):
    """The pre-chunking kernel written out: full arrays, searchsorted bins."""
    n, k = p.shape
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    w = np.ones(n) if weight is None else weight
    if classwise:
        variants = [
            (p[:, c], (y_idx == c) if y_soft is None else y_soft[:, c])
            for c in range(k)
        ]
    else:
        pred = np.argmax(p, axis=1)
        conf = p[np.arange(n), pred]
        acc = (pred == y_idx) if y_soft is None else y_soft[np.arange(n), pred]
        variants = [(conf, acc)]
    errors = []
    for conf, acc in variants:
        idx = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, n_bins - 1)
        gaps, sizes = [], []
        for m in range(n_bins):
            inb = idx == m
            if w[inb].sum() == 0:
                continue
            gaps.append(
                abs(np.sum(w[inb] * acc[inb]) - np.sum(w[inb] * conf[inb]))
                / w[inb].sum()
            )
            sizes.append(w[inb].sum())
        gaps, sizes = np.array(gaps), np.array(sizes)
        if norm == "max":
            errors.append(gaps.max())
        else:
            errors.append(np.dot(sizes / sizes.sum(), gaps))
    return float(np.mean(errors))


def _edge_tied_problem(rng, n, k, n_bins):
    """Random rows plus rows whose top probability sits exactly on a bin edge,
    and rows with tied maxima."""
    p = rng.dirichlet(np.ones(k) * 0.5, size=n)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    on_edge = edges[edges >= 1.0 / k + 1e-9]
    rows = rng.choice(n, size=n // 4, replace=False)
    top = rng.choice(on_edge, size=len(rows))
    p[rows] = ((1.0 - top) / (k - 1))[:, None]
    p[rows, rng.integers(0, k, size=len(rows))] = top
    ties = rng.choice(n, size=n // 10, replace=False)
    p[ties] = 0.0
    p[ties, 0] = p[ties, k - 1] = 0.5  # tie: the first class wins
    return p


@pytest.mark.parametrize("classwise", [False, True])
@pytest.mark.parametrize("n, k, n_bins", [(1000, 3, 15), (70001, 10, 15), (5000, 2, 7)])
def test_chunked_kernel_equals_slow_reference(n, k, n_bins, classwise):
    rng = np.random.default_rng(n + k)
    p = _edge_tied_problem(rng, n, k, n_bins)
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)
    soft = rng.dirichlet(np.ones(k), size=n)
    w = rng.uniform(0, 2, size=n)
    p_checked = check_probabilities_quiet(p)
    for y_true, y_idx, y_soft in [(y, y, None), (soft, None, soft)]:
        for weight in (None, w):
            for norm in ("l1", "max"):
                got = expected_calibration_error(
                    y_true,
                    p,
                    n_bins=n_bins,
                    classwise=classwise,
                    sample_weight=weight,
                    norm=norm,
                )
                ref = _slow_ece(
                    y_idx, y_soft, p_checked, n_bins, weight, classwise, norm
                )
                assert got == pytest.approx(ref, abs=1e-12, rel=0)
    # the hard-sample variant shares the kernel
    mask = rng.uniform(size=n) < 0.3
    got = hard_sample_calibration_error(y, p, mask=mask, classwise=classwise)
    ref = _slow_ece(y[mask], None, p_checked[mask], 15, None, classwise)
    assert got == pytest.approx(ref, abs=1e-12, rel=0)


def check_probabilities_quiet(p):
    import warnings

    from sksoft.targets import check_probabilities

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return check_probabilities(p)


# ------------------------------------------- packed-key argmax and arithmetic bins


@pytest.mark.parametrize("k", [2, 3, 10, 16, 17, 100])
def test_packed_argmax_equals_numpy_argmax_and_max(k):
    """First-maximum ties, maxima just above 1 / (2K), tiny and zero entries."""
    from sksoft.metrics._calibration import _argmax_layout, _TopLabelScratch

    rng = np.random.default_rng(k)
    n = 3000
    p = rng.dirichlet(np.ones(k) * 0.3, size=n)
    p[rng.uniform(size=(n, k)) < 0.2] = 0.0
    p[p.sum(axis=1) == 0, 0] = 1.0
    p /= p.sum(axis=1, keepdims=True)
    p[: n // 4] = 1.0 / k  # all tied: column 0
    rows = np.arange(n // 4, n // 2)
    a, b = rng.integers(0, k, size=(2, len(rows)))
    p[rows] = 0.0
    p[rows, a] = p[rows, b] = 0.5  # two-way ties anywhere
    p[rows[a == b], a[a == b]] = 1.0
    near = np.arange(n // 2, n // 2 + 200)
    p[near] = np.nextafter(1.0 / k, 2)  # maxima differing in the last bit
    p[near, rng.integers(0, k, size=len(near))] = np.nextafter(p[near[0], 0], 2)
    p[near[:50], 0] = 5e-324  # subnormal entries are never the maximum
    layout = _argmax_layout(k, p.dtype)
    assert layout is not None
    found = _TopLabelScratch(n, k, layout).argmax_max(p)
    assert found is not None
    pred, conf = found
    np.testing.assert_array_equal(pred, np.argmax(p, axis=1))
    np.testing.assert_array_equal(conf, np.max(p, axis=1))  # bit-exact


def test_packed_argmax_refuses_rows_that_are_not_probabilities():
    from sksoft.metrics._calibration import _argmax_layout, _TopLabelScratch

    layout = _argmax_layout(10, np.dtype(np.float64))
    p = np.full((4, 10), 0.1)
    p[2] = 1e-3  # maximum below 1 / (2K): the caller falls back to argmax
    assert _TopLabelScratch(4, 10, layout).argmax_max(p) is None
    assert _argmax_layout(10, np.dtype(np.float32)) is None
    assert _argmax_layout(1000, np.dtype(np.float64)) is None  # key too wide


@pytest.mark.parametrize("n_bins", [1, 3, 7, 10, 15, 20, 49, 100])
@pytest.mark.parametrize("arithmetic", [True, False])
def test_bin_scratch_equals_searchsorted(n_bins, arithmetic):
    from sksoft.metrics._calibration import _BinScratch

    edges = np.linspace(0, 1, n_bins + 1)
    grid = np.concatenate(
        [edges, np.nextafter(edges, 0), np.nextafter(edges, 1), [1.0 + 1e-5]]
        + [np.arange(j + 1) / j for j in range(1, 70)]
    )
    grid = grid[grid >= 0]
    ref = np.clip(np.searchsorted(edges, grid, side="right") - 1, 0, n_bins - 1)
    scratch = _BinScratch(grid.size, n_bins)
    if not arithmetic:
        scratch.step = None  # the edge-table path used when linspace differs
    else:
        assert scratch.step is not None
    np.testing.assert_array_equal(scratch.bins(grid), ref)


@pytest.mark.parametrize("k", [3, 10, 300])
def test_chunked_top_label_across_blocks_and_fallbacks(k, monkeypatch):
    """Small blocks (many of them, a partial last one), float32 input and a
    class count too large for packed keys all give the slow reference."""
    import sksoft.metrics._calibration as cal

    monkeypatch.setattr(cal, "_BLOCK_VALUES", 64 * k)
    rng = np.random.default_rng(k)
    n = 64 * 7 + 13 if k < 300 else 2000
    p = _edge_tied_problem(rng, n, k, 15)
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)
    ref = _slow_ece(y, None, check_probabilities_quiet(p), 15, None, False)
    assert expected_calibration_error(y, p) == pytest.approx(ref, abs=1e-12, rel=0)
    p32 = p.astype(np.float32)
    p32 /= p32.sum(axis=1, keepdims=True)
    ref32 = _slow_ece(y, None, p32.astype(np.float64), 15, None, False)
    assert expected_calibration_error(y, p32) == pytest.approx(ref32, abs=1e-12)
    for share in (0.3, 0.001):  # the subset: blocks of about 64 selected rows
        mask = rng.uniform(size=n) < share
        mask[n // 2] = True
        for classwise in (False, True):
            got = hard_sample_calibration_error(y, p, mask=mask, classwise=classwise)
            ref = _slow_ece(
                y[mask],
                None,
                check_probabilities_quiet(p)[mask],
                15,
                None,
                classwise,
            )
            assert got == pytest.approx(ref, abs=1e-12, rel=0)


# ------------------------- hard-label top label: row maximum and hit, no argmax


def _hit_problem(rng, n, k):
    """Random rows plus every case the hit kernel treats apart: ties at the
    maximum (anywhere, all columns), one-hot rows (exact 0 and 1), rows whose
    maximum sits on a bin edge, and low-confidence rows."""
    p = rng.dirichlet(np.ones(k) * 0.5, size=n)
    quarter = n // 4
    p[:quarter] = 1.0 / k  # all tied: column 0 wins
    rows = np.arange(quarter, 2 * quarter)
    a, b = rng.integers(0, k, size=(2, len(rows)))
    p[rows] = 0.0
    p[rows, a] += 0.5
    p[rows, b] += 0.5  # two-way ties, or a one-hot row when a == b
    edge = np.arange(2 * quarter, 2 * quarter + quarter // 2)
    top = rng.choice(np.linspace(0, 1, 16)[-8:], size=len(edge))
    p[edge] = ((1.0 - top) / (k - 1))[:, None]
    p[edge, rng.integers(0, k, size=len(edge))] = top
    return p


@pytest.mark.parametrize("k", [2, 3, 10, 11, 100])
@pytest.mark.parametrize("labels", ["random", "argmax", "tied"])
def test_top_hit_equals_numpy_argmax_and_max(k, labels):
    """Confidence bit-exact against np.max, hit against np.argmax == y (first
    maximum), also when most rows are low-confidence hits (the block is then
    settled by the maximum without the label's column)."""
    from sksoft.metrics._calibration import _TopHitScratch

    rng = np.random.default_rng(k)
    n = 4000
    p = _hit_problem(rng, n, k)
    pred = np.argmax(p, axis=1)
    if labels == "random":
        y = rng.integers(0, k, size=n)
    elif labels == "argmax":  # every row a hit, many below the tie bound
        y = pred.copy()
    else:  # the label is a tied maximum that is not the first one
        y = np.where(p[:, -1] == p.max(axis=1), k - 1, pred)
    conf, hit = _TopHitScratch(n, k).conf_hit(p, y)
    np.testing.assert_array_equal(conf, np.max(p, axis=1))
    np.testing.assert_array_equal(hit, pred == y)


@pytest.mark.parametrize("classwise", [False, True])
@pytest.mark.parametrize("k", [2, 3, 10])
def test_kernel_equals_full_array_implementation(k, classwise):
    """The chunked kernel against the previous (full-array) implementation,
    ``_bin_statistics`` on ``confidence_accuracy``, and netcal, to 1e-12: ties,
    probabilities exactly 0 and 1, confidences on bin edges, weights, soft
    labels, norms."""
    from sksoft.metrics._calibration import (
        _bin_statistics,
        _reduce_bins,
        confidence_accuracy,
    )
    from sksoft.metrics._validation import check_pair

    rng = np.random.default_rng(10 * k + classwise)
    n = 3001
    p = _hit_problem(rng, n, k)
    y = rng.integers(0, k, size=n)
    y[:k] = np.arange(k)
    soft = rng.dirichlet(np.ones(k), size=n)
    w = rng.uniform(0, 2, size=n)
    for y_true in (y, np.argmax(p, axis=1), soft):
        for weight in (None, w):
            pair = check_pair(y_true, p, sample_weight=weight, keep_binary_column=True)
            for norm in ("l1", "l2", "max"):
                ref = np.mean(
                    [
                        _reduce_bins(
                            _bin_statistics(c, a, pair.weight, 15, "uniform"),
                            norm,
                            "size",
                        )
                        for c, a in confidence_accuracy(pair, classwise)
                    ]
                )
                got = expected_calibration_error(
                    y_true, p, classwise=classwise, sample_weight=weight, norm=norm
                )
                assert got == pytest.approx(ref, abs=1e-12, rel=0)
    netcal = pytest.importorskip("netcal.metrics")
    if not classwise and k > 2:  # netcal reads two columns as a binary problem
        ref = netcal.ECE(bins=15).measure(p, y)
        assert expected_calibration_error(y, p) == pytest.approx(ref, abs=1e-12)


def test_kernel_small_and_degenerate_inputs():
    """n = 1, one class present (labels=), one-hot predictions."""
    p = np.array([[0.2, 0.8]])
    assert expected_calibration_error([1], p, labels=[0, 1]) == pytest.approx(0.2)
    assert expected_calibration_error([0], p, labels=[0, 1]) == pytest.approx(0.8)
    assert expected_calibration_error(
        [1], p, labels=[0, 1], classwise=True
    ) == pytest.approx(0.2)
    eye = np.eye(3)[[0, 1, 2, 2]]
    assert expected_calibration_error([0, 1, 2, 2], eye) == 0.0
    assert expected_calibration_error([0, 1, 2, 0], eye) == pytest.approx(0.25)
    # one class only present in y_true: all rows predict it
    p = np.tile([0.7, 0.2, 0.1], (5, 1))
    ref = _ece_by_hand(np.full(5, 0.7), np.ones(5), 15)
    got = expected_calibration_error([0] * 5, p, labels=[0, 1, 2])
    assert got == pytest.approx(ref, abs=1e-12)
