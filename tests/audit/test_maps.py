"""Tests of sksoft/audit/_maps.py and _targets.py: the three map alignments,
the wording rule and the arms' target entropies."""

import copy
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sksoft.audit import run_audit
from sksoft.audit._maps import map_claim, weighted_midranks, weighted_spearman
from sksoft.audit._report import _map_lines
from sksoft.audit._stats import N_BOOTSTRAP, resample_weights
from sksoft.audit._targets import (
    describe_targets,
    mean_target_entropy,
    target_alignment,
)
from sksoft.datasets import make_ambiguous_digits
from sksoft.targets import target_entropy


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 25), ties=st.booleans())
def test_weighted_spearman_is_spearman_of_the_repeated_sample(seed, n, ties):
    # the reference: scipy's spearmanr on the sample that repeats each item
    # as often as its count says (midranks for ties)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, n).astype(float) if ties else rng.normal(size=n)
    y = rng.integers(0, 3, n).astype(float) if ties else rng.normal(size=n)
    w = resample_weights(n, 5, rng)
    rho = weighted_spearman(x, y, w)
    for row, r in zip(w, rho):
        xr, yr = np.repeat(x, row), np.repeat(y, row)
        if np.ptp(xr) == 0 or np.ptp(yr) == 0:
            assert math.isnan(r)
        else:
            assert r == pytest.approx(stats.spearmanr(xr, yr).statistic, abs=1e-10)
    # a row of ones is the plain correlation
    plain = weighted_spearman(x, y, np.ones((1, n)))[0]
    if np.ptp(x) and np.ptp(y):
        assert plain == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-10)


def test_weighted_midranks_by_hand():
    # values 5, 1, 5, 3 with counts 1, 2, 0, 3: the expanded sample is
    # 1 1 3 3 3 5 -> ranks 1.5 (value 1), 4 (value 3), 6 (value 5)
    ranks = weighted_midranks(np.array([5.0, 1.0, 5.0, 3.0]), np.array([[1, 2, 0, 3]]))
    np.testing.assert_allclose(ranks, [[6.0, 1.5, 6.0, 4.0]])


def test_map_claim_rule():
    base = {"ci_low": -0.1, "ci_high": -0.02, "boot_ci_low": -0.09}
    assert map_claim({**base, "boot_ci_high": -0.01}) == "more"
    # the seed interval alone is not enough: the items must agree
    assert map_claim({**base, "boot_ci_high": 0.01}) == "not shown"
    # a bound that reads 0.000 in the report does not exclude 0
    assert map_claim({**base, "boot_ci_high": -0.0004}) == "not shown"
    assert map_claim({**base, "boot_ci_high": -0.0006}) == "more"
    assert (
        map_claim(
            {"ci_low": 0.01, "ci_high": 0.2, "boot_ci_low": 0.02, "boot_ci_high": 0.3}
        )
        == "less"
    )
    assert (
        map_claim(
            {
                "ci_low": math.nan,
                "ci_high": math.nan,
                "boot_ci_low": -1,
                "boot_ci_high": -0.5,
            }
        )
        == "untestable"
    )


def _stub(claims):
    """A result-like object whose held-out differences give ``claims``."""
    bounds = {
        "more": (-0.1, -0.05, -0.12, -0.01),
        "not shown": (-0.1, -0.05, -0.12, 0.02),
        "less": (0.05, 0.1, 0.01, 0.12),
    }
    entry = {"mean": -0.5, "ci_low": -0.6, "ci_high": -0.4}
    rows = {
        a: {"targets": entry, "map": entry, "heldout": entry} for a in ["gold", *claims]
    }
    diffs = {}
    for arm, claim in claims.items():
        lo, hi, blo, bhi = bounds[claim]
        d = {"diff": (lo + hi) / 2, "ci_low": lo, "ci_high": hi}
        diffs[arm] = {"heldout": {**d, "boot_ci_low": blo, "boot_ci_high": bhi}}
    return SimpleNamespace(
        arms=["gold", *claims],
        reference="gold",
        map_alignment=lambda: {"rows": rows, "diffs": diffs},
    )


def test_mirrors_wording_follows_the_heldout_alignment_only():
    claims = {"human_soft": "more", "smoothed": "not shown", "teacher": "less"}
    lines = _map_lines(_stub(claims), "human uncertainty")
    by_arm = {
        arm: next(line for line in lines if line.startswith(f"- `{arm}`"))
        for arm in claims
    }
    assert "**mirrors human uncertainty more closely**" in by_arm["human_soft"]
    assert "mirrors" not in by_arm["smoothed"] and "**not shown**" in by_arm["smoothed"]
    assert "**less closely**" in by_arm["teacher"]
    assert "more closely" not in by_arm["teacher"]


def test_target_description_and_alignment_by_hand():
    human = np.array([[0.5, 0.5], [0.9, 0.1], [0.7, 0.3], [0.6, 0.4]])
    gold = np.array([0, 0, 1, 0])
    folds = [(np.array([0, 1, 2]), np.array([3]))]
    targets = [{"human_soft": human[:3], "gold": np.eye(2)[gold[:3]]}]
    d = describe_targets(targets, folds, gold, human, [{"teacher_temperature": None}])
    h = target_entropy(human[:3])
    np.testing.assert_allclose(d["human"]["entropy"][0], h)
    np.testing.assert_allclose(d["human_soft"]["label_probability"][0], [0.5, 0.9, 0.3])
    assert mean_target_entropy(d, "human") == pytest.approx(h.mean())
    assert mean_target_entropy(d, "gold") == 0.0
    assert math.isnan(mean_target_entropy(d, "teacher"))
    assert d["teacher_temperature"] is None
    # probabilities of gold 0.5, 0.9, 0.3 against entropies ln2, 0.325, 0.611
    assert target_alignment([0.5, 0.9, 0.3], h) == pytest.approx(
        stats.spearmanr([0.5, 0.9, 0.3], h).statistic
    )
    assert math.isnan(target_alignment([1.0, 1.0, 1.0], h))  # one-hot: constant


@pytest.fixture(scope="module")
def digits():
    return make_ambiguous_digits(n_samples=300, random_state=0)


@pytest.fixture(scope="module")
def result(digits):
    return run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=["gold", "human_soft", "smoothed", "teacher"],
        seeds=3,
        max_epochs=3,
        random_state=0,
    )


def test_teacher_is_matched_on_the_training_rows(result, digits):
    # the teacher's (and smoothed's) mean target entropy is the humans' on
    # the training rows
    train = result.folds[0][0]
    human = digits.counts / digits.counts.sum(1, keepdims=True)
    t = result.arm_targets
    h = target_entropy(human[train]).mean()
    assert mean_target_entropy(t, "human") == pytest.approx(h, rel=1e-12)
    assert mean_target_entropy(t, "teacher") == pytest.approx(h, rel=1e-8)
    assert mean_target_entropy(t, "smoothed") == pytest.approx(h, rel=1e-8)
    assert t["teacher_temperature"][0] > 0
    # the test rows' human labels play no part: change them, same teacher
    changed = digits.counts.copy()
    changed[result.folds[0][1]] = changed[result.folds[0][1]][:, ::-1]
    other = run_audit(
        digits.data,
        digits.target,
        changed,
        arms=["gold", "teacher"],
        seeds=[0],
        max_epochs=1,
        random_state=0,
    )
    np.testing.assert_allclose(
        other.arm_targets["teacher"]["label_probability"][0],
        t["teacher"]["label_probability"][0],
    )
    assert other.arm_targets["teacher_temperature"] == t["teacher_temperature"]


def test_heldout_and_target_alignment_recomputed(result):
    # held-out: Spearman(rounded human entropy of the test rows, the test
    # probability of gold), mean over seeds; targets: the targets' own
    h_test = np.round(target_entropy(result.human_test), 10)
    maps = result.map_alignment()
    for i, arm in enumerate(result.arms):
        runs = [r for r in result.runs if r["arm"] == arm]
        by_hand = [
            stats.spearmanr(
                h_test, r["proba"][np.arange(len(h_test)), result.gold_test]
            ).statistic
            for r in runs
        ]
        np.testing.assert_allclose(
            result.scores["spearman_gold_confidence_vs_human"][i], by_hand, atol=1e-12
        )
        assert maps["rows"][arm]["heldout"]["mean"] == pytest.approx(np.mean(by_hand))
    train = result.folds[0][0]
    h_train = np.round(target_entropy(result.human[train]), 10)
    soft = result.arms.index("human_soft")
    # (both sides rounded to 10 decimals, so equal vote shares tie)
    expected = stats.spearmanr(
        np.round(result.human[train][np.arange(train.size), result.gold[train]], 10),
        h_train,
    ).statistic
    np.testing.assert_allclose(
        result.scores["target_spearman_confidence_vs_human"][soft], expected
    )
    # gold's and smoothed's targets give every row the same probability of gold
    assert math.isnan(maps["rows"]["gold"]["targets"]["mean"])
    assert math.isnan(maps["rows"]["smoothed"]["targets"]["mean"])


def test_heldout_bootstrap_uses_the_audits_resamples(result):
    # the item interval: the audit's resamples of all test items (code 0),
    # the statistic the mean over seeds of Spearman on the repeated sample
    rng = np.random.default_rng([0, 0])
    w = resample_weights(len(result.test_index), N_BOOTSTRAP, rng)
    h = np.round(target_entropy(result.human_test), 10)
    rows = np.arange(len(h))
    arm, ref = "human_soft", "gold"

    def values(name):
        runs = [r for r in result.runs if r["arm"] == name]
        return np.mean(
            [weighted_spearman(h, r["proba"][rows, result.gold_test], w) for r in runs],
            axis=0,
        )

    d = values(arm) - values(ref)
    lo, hi = np.quantile(d, [0.025, 0.975])
    got = result.map_alignment()["diffs"][arm]["heldout"]
    assert got["boot_ci_low"] == pytest.approx(lo, abs=1e-12)
    assert got["boot_ci_high"] == pytest.approx(hi, abs=1e-12)
    # and the seed interval is the paired t-interval of the per-seed values
    mat = result.scores["spearman_gold_confidence_vs_human"]
    i, j = result.arms.index(arm), result.arms.index(ref)
    ci = stats.ttest_rel(mat[i], mat[j]).confidence_interval(0.95)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((ci.low, ci.high))


# ------------------------------------------------- over every seed's split


def _union_boot(result, rows, y, code):
    """Hand reference: per seed, Spearman on its own rows under the union
    resamples of ``code`` (a row of ones first), ``(1 + B, n_seeds)``."""
    union = np.unique(np.concatenate([rows[s] for s in result.seeds]))
    w = resample_weights(union.size, N_BOOTSTRAP, np.random.default_rng([0, code]))
    cols = []
    for s in result.seeds:
        pos = np.searchsorted(union, rows[s])
        weights = np.vstack([np.ones(pos.size), w[:, pos]])
        h = np.round(target_entropy(result.human[rows[s]]), 10)
        cols.append(weighted_spearman(h, y[s], weights))
    return np.stack(cols, axis=1)


def test_heldout_alignment_over_every_seeds_test_set(split_audit, split_tests):
    # each seed's held-out alignment on its own test rows; the item interval
    # resamples the union of the test sets (the arms' union bootstrap, code
    # 99) once for every seed and arm
    r = split_audit
    maps = r.map_alignment()
    assert (maps["n_test_items"], maps["n_test_sets"]) == (50, 3)
    values = {}
    for arm in r.arms:
        y = {}
        for run in (x for x in r.runs if x["arm"] == arm):
            rows = split_tests[run["seed"]]
            y[run["seed"]] = run["proba"][np.arange(rows.size), r.gold[rows]]
        values[arm] = _union_boot(r, split_tests, y, 99)
        # the unweighted row is each seed's own Spearman (scipy)
        by_hand = [
            stats.spearmanr(
                np.round(target_entropy(r.human[split_tests[s]]), 10), y[s]
            ).statistic
            for s in r.seeds
        ]
        np.testing.assert_allclose(values[arm][0], by_hand, atol=1e-12)
        got = maps["rows"][arm]["heldout"]
        assert got["mean"] == pytest.approx(np.mean(by_hand))
        lo, hi = np.quantile(values[arm][1:].mean(axis=1), [0.025, 0.975])
        assert (got["boot_ci_low"], got["boot_ci_high"]) == pytest.approx(
            (lo, hi), abs=1e-12
        )
    d = (values["human_soft"] - values["gold"]).mean(axis=1)
    lo, hi = np.quantile(d[1:], [0.025, 0.975])
    got = maps["diffs"]["human_soft"]["heldout"]
    assert (got["boot_ci_low"], got["boot_ci_high"]) == pytest.approx(
        (lo, hi), abs=1e-12
    )
    assert got["diff"] == pytest.approx(d[0])


def test_targets_alignment_over_every_seeds_training_rows(split_audit, split_tests):
    # the targets differ with the split: a seed interval, and the item
    # interval of the union of the training rows (code 3)
    r = split_audit
    n = r.gold.size
    trains = {s: np.setdiff1d(np.arange(n), split_tests[s]) for s in r.seeds}
    y = {s: np.round(r.human[trains[s], r.gold[trains[s]]], 10) for s in r.seeds}
    values = _union_boot(r, trains, y, 3)
    maps = r.map_alignment()
    assert (maps["n_train_items"], maps["n_train_sets"]) == (n, 3)
    got = maps["rows"]["human_soft"]["targets"]
    assert got["mean"] == pytest.approx(values[0].mean())
    ci = stats.ttest_1samp(values[0], 0).confidence_interval(0.95)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx((ci.low, ci.high))
    lo, hi = np.quantile(values[1:].mean(axis=1), [0.025, 0.975])
    assert (got["boot_ci_low"], got["boot_ci_high"]) == pytest.approx(
        (lo, hi), abs=1e-12
    )


def test_split_maps_report_names_the_union(split_audit):
    from sksoft.audit._report import _maps_items, _targets_seeds

    maps = split_audit.map_alignment()
    text = _maps_items(maps)
    assert "the 50 rows in the union of the seeds' 3 test sets" in text
    assert "each seed's alignment on its own rows" in text
    assert "t-interval over seeds" in _targets_seeds(maps)
    # with one split: the wording of the one-split audit
    one = {**maps, "n_test_sets": 1, "n_train_sets": 1, "n_test_items": 20}
    assert _maps_items(one).endswith(
        "of the 20 test rows (held-out); the same items for every seed and arm"
    )
    assert _targets_seeds(one) == "no seed"


@pytest.mark.parametrize("n_jobs", [1, 2, 3, -1])
def test_alignments_do_not_depend_on_the_threads(split_audit, n_jobs):
    # each seed's item set is one group, computed whole by one thread: the
    # alignments are bit-identical for any number of threads
    from sksoft.audit._maps import compute_maps

    result = copy.copy(split_audit)
    result.params = dict(split_audit.params, n_jobs=None)
    serial = compute_maps(result)
    result.params = dict(split_audit.params, n_jobs=n_jobs)
    threaded = compute_maps(result)
    assert threaded.keys() == serial.keys()
    assert repr(threaded) == repr(serial)
