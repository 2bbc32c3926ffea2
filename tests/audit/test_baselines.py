"""Tests of sksoft/audit/_baselines.py: the untrained baselines and the gate."""

import math

import numpy as np
import pytest
from scipy import stats

from sksoft.audit import run_audit
from sksoft.audit._baselines import (
    baseline_predictions,
    majority_test,
    score_baselines,
    sign_test_greater,
)
from sksoft.metrics import expected_calibration_error


def test_baseline_predictions_by_hand():
    # two folds; each fold's baselines come from its own training rows only
    gold = np.array([0, 0, 1, 2, 2, 2])
    human = np.eye(3)[gold] * 0.6 + 0.4 / 3
    folds = [
        (np.array([0, 1, 2]), np.array([3, 4, 5])),
        (np.array([3, 4, 5]), np.array([0, 1, 2])),
    ]
    test_index = np.arange(6)
    p = baseline_predictions(folds, gold, human, test_index)
    # fold 0 trains on gold 0, 0, 1: majority 0, prior (2/3, 1/3, 0) -> rows 3-5
    # fold 1 trains on gold 2, 2, 2: majority 2, prior (0, 0, 1) -> rows 0-2
    np.testing.assert_array_equal(p["majority"][3:], [[1, 0, 0]] * 3)
    np.testing.assert_array_equal(p["majority"][:3], [[0, 0, 1]] * 3)
    np.testing.assert_allclose(p["class_prior"][3:], [[2 / 3, 1 / 3, 0]] * 3)
    np.testing.assert_allclose(p["class_prior"][:3], [[0, 0, 1]] * 3)
    # a tie of counts goes to the first class
    tie = baseline_predictions(
        [(np.array([0, 2]), np.array([1]))], gold, human, np.array([1])
    )
    np.testing.assert_array_equal(tie["majority"], [[1, 0, 0]])


def test_baseline_predictions_without_gold():
    # the majority of the human modes; the prior = the mean human soft label
    human = np.array([[0.6, 0.4], [0.7, 0.3], [0.2, 0.8], [0.5, 0.5]])
    folds = [(np.array([0, 1, 2]), np.array([3]))]
    p = baseline_predictions(folds, None, human, np.array([3]))
    np.testing.assert_array_equal(p["majority"], [[1.0, 0.0]])
    np.testing.assert_allclose(p["class_prior"], [[0.5, 0.5]])


def test_score_baselines_uses_the_metric_table():
    gold = np.array([0, 1, 1, 1])
    human = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.5, 0.5]])
    hard = np.array([False, True, False, True])
    prior = np.tile([0.25, 0.75], (4, 1))
    scores = score_baselines({"class_prior": prior}, gold, human, hard, n_bins=5)
    s = scores["class_prior"]
    assert s["accuracy_vs_gold"] == 0.75
    # one bin of confidence 0.75 holding all items, accuracy 0.75: ECE 0
    assert s["ece_all_vs_gold"] == pytest.approx(0.0, abs=1e-12)
    assert s["ece_all_vs_gold"] == pytest.approx(
        expected_calibration_error(gold, prior, n_bins=5, labels=[0, 1])
    )
    assert "carto_spearman_confidence_vs_human" not in s


@pytest.mark.parametrize(
    ("better", "worse"), [(0, 0), (1, 0), (3, 3), (8, 2), (2, 8), (12, 5)]
)
def test_sign_test_greater_by_hand(better, worse):
    m = better + worse
    expected = (
        1.0 if m == 0 else sum(math.comb(m, j) for j in range(better, m + 1)) / 2.0**m
    )
    assert sign_test_greater(better, worse) == pytest.approx(expected, rel=1e-12)


def test_majority_test_by_hand():
    # 6 items, labels; the majority predicts class 0 everywhere
    labels = np.array([0, 1, 1, 0, 1, 1])
    majority = np.tile([1.0, 0.0], (6, 1))
    # seed 0 right on items 1, 2, 4 and 0; seed 1 right on 1, 2 and 3
    seed0 = np.array(
        [[0.6, 0.4], [0.2, 0.8], [0.3, 0.7], [0.4, 0.6], [0.1, 0.9], [0.9, 0.1]]
    )
    seed1 = np.array(
        [[0.4, 0.6], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4], [0.6, 0.4], [0.9, 0.1]]
    )
    t = majority_test([seed0, seed1], majority, labels, alpha=0.05)
    # per item mean correctness: [0.5, 1, 1, 0.5, 0.5, 0]; majority: [1, 0, 0, 1, 0, 0]
    # differences: [-0.5, 1, 1, -0.5, 0.5, 0] -> 3 better, 2 worse, 1 tie
    assert (t["n_better"], t["n_worse"], t["n_items"]) == (3, 2, 6)
    assert t["p_value"] == pytest.approx((10 + 5 + 1) / 32)  # P(Bin(5, .5) >= 3)
    assert t["accuracy"] == pytest.approx(3.5 / 6)
    assert t["majority_accuracy"] == pytest.approx(2 / 6)
    assert t["above"] is False
    # with one seed it is McNemar's exact one-sided test on the discordant items
    one = majority_test([seed0], majority, labels)
    # seed 0 right on 0, 1, 2, 4, the majority on 0, 3: better on 1, 2, 4,
    # worse on 3, tied on 0 and 5
    assert (one["n_better"], one["n_worse"]) == (3, 1)
    assert one["p_value"] == pytest.approx(5 / 16)  # P(Bin(4, .5) >= 3)


def _noise_data(n=240, seed=0):
    """Inputs that carry nothing about a gold label 80% of which is class 0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5)).astype(np.float32)
    gold = (rng.random(n) < 0.2).astype(int)
    counts = np.stack([6 - rng.binomial(6, 0.3, n), np.zeros(n, int)], axis=1)
    counts[:, 1] = 6 - counts[:, 0]
    return X, gold, counts


@pytest.fixture(scope="module")
def noise_result():
    X, gold, counts = _noise_data()
    return run_audit(
        X,
        gold,
        counts,
        arms=["gold", "human_soft", "smoothed"],
        seeds=3,
        max_epochs=3,
        provenance={"dataset": "noise", "labels": "simulated (test)"},
    )


def test_models_below_majority_withhold_the_reading(noise_result, tmp_path):
    r = noise_result
    t = r.majority_tests()["gold"]
    assert not r.above_majority and not t["above"]
    assert t["p_value"] == pytest.approx(sign_test_greater(t["n_better"], t["n_worse"]))
    r.write_report(tmp_path, figures=False)
    md = (tmp_path / "report.md").read_text()
    head = md.split("## Provenance")[0]
    assert "Warning: the models are not shown to be above the majority baseline" in head
    reading = md.split("## Reading")[1].split("\n## ")[0]
    assert reading.strip().startswith("Withheld:")
    for word in ("**better**", "**worse**", "calibrates", "**smaller**", "**larger**"):
        assert word not in reading
    effects = md.split("## Effects")[1].split("\n## ")[0]
    cells = [line for line in effects.splitlines() if line.startswith("| `")]
    assert cells and not any(mark in line for line in cells for mark in "▲▼△▽")
    assert "Marks withheld" in effects
    # the baselines are rows of the tables, and their section states the test
    assert "| `majority` (baseline) |" in md
    assert "| `class_prior` (baseline) |" in md
    assert "| `majority` (baseline, untested) |" in md
    assert "## Baselines" in md and "is **not shown** to be above" in md


def test_models_above_majority_keep_the_reading(tmp_path):
    from sksoft.datasets import make_ambiguous_digits

    d = make_ambiguous_digits(n_samples=300, random_state=0)
    r = run_audit(
        d.data, d.target, d.counts, arms=["gold", "human_soft"], seeds=2, max_epochs=3
    )
    assert r.above_majority
    r.write_report(tmp_path, figures=False)
    md = (tmp_path / "report.md").read_text()
    assert "Warning: the models are not shown" not in md
    assert "Withheld:" not in md
    # the note on a constant prediction's calibration error names the arms
    # whose hard-sample ECE is above the class prior's
    prior = r.baselines()["class_prior"]["metrics"]["ece_hard_vs_human"]
    worse = [
        a
        for i, a in enumerate(r.arms)
        if r.scores["ece_hard_vs_human"][i].mean() > prior
    ]
    note = "The constant `class_prior` prediction has a lower `ece_hard_vs_human`"
    assert (note in md) == bool(worse)
    for arm in worse:
        assert f"`{arm}`" in md.split(note)[1].split("\n")[0]
    # the baselines' values are those of the metric table on their predictions
    b = r.baselines()["majority"]
    counts = np.bincount(r.gold[r.folds[0][0]], minlength=10)
    assert b["metrics"]["accuracy_vs_gold"] == pytest.approx(
        np.mean(r.gold_test == np.argmax(counts))
    )
    # baseline - reference over the reference's seeds
    e = b["effects"]["accuracy_vs_gold"]
    ref = r.scores["accuracy_vs_gold"][0]
    assert e["diff"] == pytest.approx(b["metrics"]["accuracy_vs_gold"] - ref.mean())


# ------------------------------------------------- over every seed's split


def test_split_baselines_by_hand(split_audit, split_tests):
    # each seed's baselines come from its own training rows and are scored on
    # its own test rows; the summary is the arms': mean, std and the paired
    # difference to the reference over seeds
    r = split_audit
    acc, kl = [], []
    for seed in r.seeds:
        test = split_tests[seed]
        train = np.setdiff1d(np.arange(r.gold.size), test)
        counts = np.bincount(r.gold[train], minlength=2)
        acc.append(np.mean(r.gold[test] == np.argmax(counts)))
        prior = counts / counts.sum()
        h = r.human[test]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(h > 0, h * np.log(h / prior), 0.0).sum(axis=1)
        kl.append(terms.mean())
    assert len(set(acc)) == 3  # the seeds disagree: not the first seed's value
    b = r.baselines()
    np.testing.assert_allclose(b["majority"]["seed_metrics"]["accuracy_vs_gold"], acc)
    assert b["majority"]["n_splits"] == 3
    assert b["majority"]["metrics"]["accuracy_vs_gold"] == pytest.approx(np.mean(acc))
    assert b["majority"]["std"]["accuracy_vs_gold"] == pytest.approx(
        np.std(acc, ddof=1)
    )
    np.testing.assert_allclose(b["class_prior"]["seed_metrics"]["kl_all_vs_human"], kl)
    assert b["class_prior"]["metrics"]["kl_all_vs_human"] == pytest.approx(np.mean(kl))
    ref = r.scores["accuracy_vs_gold"][r.arms.index("gold")]
    e = b["majority"]["effects"]["accuracy_vs_gold"]
    ci = stats.ttest_rel(acc, ref).confidence_interval(0.95)
    assert e["diff"] == pytest.approx(np.mean(np.array(acc) - ref))
    assert (e["ci_low"], e["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_majority_gate_over_the_seeds_by_hand(split_audit, split_tests):
    # per item of the union of the test sets: the arm's correctness and the
    # majority's (each seed's own), averaged over the seeds that test it
    r = split_audit
    for arm in r.arms:
        arm_c, maj_c = {}, {}
        for run in (x for x in r.runs if x["arm"] == arm):
            test = split_tests[run["seed"]]
            train = np.setdiff1d(np.arange(r.gold.size), test)
            majority = np.argmax(np.bincount(r.gold[train], minlength=2))
            for row, p in zip(test, run["proba"]):
                arm_c.setdefault(row, []).append(float(np.argmax(p) == r.gold[row]))
                maj_c.setdefault(row, []).append(float(majority == r.gold[row]))
        d = [np.mean(arm_c[i]) - np.mean(maj_c[i]) for i in sorted(arm_c)]
        better, worse = sum(x > 0 for x in d), sum(x < 0 for x in d)
        t = r.majority_tests()[arm]
        assert t["n_items"] == len(arm_c) == 50  # 20 + 20 + 20 rows, 10 shared
        assert (t["n_better"], t["n_worse"]) == (better, worse)
        m = better + worse
        p = sum(math.comb(m, j) for j in range(better, m + 1)) / 2.0**m
        assert t["p_value"] == pytest.approx(p)
        assert t["accuracy"] == pytest.approx(
            np.mean([np.mean(arm_c[i]) for i in sorted(arm_c)])
        )
        assert t["majority_accuracy"] == pytest.approx(
            np.mean([np.mean(maj_c[i]) for i in sorted(maj_c)])
        )
    assert r.above_majority == r.majority_tests()["gold"]["above"]


def test_a_fixed_test_set_reproduces_the_one_split_values(split_result_factory):
    # one test set for every seed, given as per-seed splits or as the "init"
    # design: the same numbers as the one-split computation (the old one)
    make_split_result = split_result_factory
    same = {s: np.arange(10, 30) for s in range(3)}
    split = make_split_result(same)
    init = make_split_result(same, seed_splits=False)
    for r in (split, init):
        preds = baseline_predictions(r.folds, r.gold, r.human, r.test_index)
        scores = score_baselines(
            preds, r.gold_test, r.human_test, r.hard_mask, n_bins=15
        )
        for name in ("majority", "class_prior"):
            b = r.baselines()[name]
            assert b["n_splits"] == 1
            assert b["metrics"] == scores[name]  # exactly, not a mean
            np.testing.assert_array_equal(b["proba"], preds[name])
            ref = r.scores["accuracy_vs_gold"][0]
            v = scores[name]["accuracy_vs_gold"]
            from sksoft.audit._stats import paired_difference

            assert b["effects"]["accuracy_vs_gold"] == paired_difference(
                np.full(ref.shape, v), ref
            )
        for arm in r.arms:
            old = majority_test(
                [x["proba"] for x in r.runs if x["arm"] == arm],
                preds["majority"],
                r.gold_test,
            )
            assert r.majority_tests()[arm] == old
    assert split.map_alignment() == init.map_alignment()


def test_split_report_states_the_union(split_audit, tmp_path):
    split_audit.params.update(
        {"estimator": "hand-made", "max_epochs": 0, "n_jobs": None}
    )
    split_audit.write_report(tmp_path, figures=False)
    md = (tmp_path / "report.md").read_text()
    n = split_audit.majority_tests()["gold"]["n_items"]
    assert f"the {n} items of the union of the 3 seeds' test sets" in md
    assert "each seed's own (estimated on that seed's training rows" in md
    # the baselines vary with the split: mean ± std, like the arms
    b = split_audit.baselines()["majority"]
    m, s = b["metrics"]["accuracy_vs_gold"], b["std"]["accuracy_vs_gold"]
    assert "| `majority` (baseline) | " in md
    assert f"{m:.3f} ± {s:.3f}" in md
    # results.csv: one row per baseline and seed
    rows = (tmp_path / "results.csv").read_text().splitlines()
    assert sum(",baseline," in x for x in rows) == 2 * 3
