"""Tests of sksoft.audit._stability: testability, variance components, churn."""

import math
from types import SimpleNamespace

import numpy as np
import pytest

from sksoft.audit._stability import (
    POWER_CORRELATIONS,
    gold_probability_sd,
    power_rows,
    prediction_churn,
    sampling_sd,
    spread_testability,
    stability_verdict,
    union_bootstrap_values,
    variance_components,
)
from sksoft.audit._stats import detectable_ratio, seeds_needed


def test_variance_components_unbalanced_by_hand():
    # groups {1,2,3} and {5,7}: means 2 and 6, grand mean 3.6
    out = variance_components([1.0, 2.0, 3.0, 5.0, 7.0], [0, 0, 0, 1, 1])
    ms_b = (3 * (2 - 3.6) ** 2 + 2 * (6 - 3.6) ** 2) / 1  # 19.2
    ms_w = ((1 + 0 + 1) + (1 + 1)) / (5 - 2)  # 4/3
    n0 = (5 - (9 + 4) / 5) / 1  # 2.4
    assert out["ms_between"] == pytest.approx(ms_b)
    assert out["ms_within"] == pytest.approx(ms_w)
    assert out["n0"] == pytest.approx(n0)
    assert out["var_between"] == pytest.approx((ms_b - ms_w) / n0)
    assert out["sd_within"] == pytest.approx(math.sqrt(ms_w))
    total = (ms_b - ms_w) / n0 + ms_w
    assert out["share_between"] == pytest.approx((ms_b - ms_w) / n0 / total)


def test_variance_components_balanced_matches_anova_formula():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(5, 3)) + rng.normal(size=(5, 1)) * 2  # 5 splits x 3 inits
    out = variance_components(y.ravel(), np.repeat(np.arange(5), 3))
    means = y.mean(1)
    ms_b = 3 * ((means - y.mean()) ** 2).sum() / 4
    ms_w = ((y - means[:, None]) ** 2).sum() / (15 - 5)
    assert out["n0"] == pytest.approx(3.0)
    assert out["var_between"] == pytest.approx(max(0.0, (ms_b - ms_w) / 3))
    assert out["var_within"] == pytest.approx(ms_w)


def test_variance_components_clips_and_needs_two_groups():
    out = variance_components([1.0, 3.0, 1.0, 3.0], [0, 0, 1, 1])
    assert out["var_between"] == 0.0 and out["share_between"] == 0.0
    assert math.isnan(variance_components([1.0, 2.0], [0, 0])["ms_within"])
    assert math.isnan(variance_components([1.0, 2.0], [0, 1])["ms_within"])


def test_prediction_churn_by_hand():
    p = [
        np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]),  # rows 0 1 2: 0 1 0
        np.array([[0.3, 0.7], [0.1, 0.9]]),  # rows 1 2: 1 1
        np.array([[0.4, 0.6], [0.8, 0.2]]),  # rows 0 2: 1 0
    ]
    idx = [np.array([0, 1, 2]), np.array([1, 2]), np.array([0, 2])]
    # pairs: (0,1) rows 1,2 -> 1 of 2; (0,2) rows 0,2 -> 1 of 2; (1,2) row 2 -> 1/1
    churn, pairs = prediction_churn(p, idx)
    assert pairs == 3
    assert churn == pytest.approx((0.5 + 0.5 + 1.0) / 3)
    assert math.isnan(prediction_churn(p[:1], idx[:1])[0])


def test_gold_probability_sd_by_hand():
    p = [
        np.array([[0.9, 0.1], [0.2, 0.8]]),  # rows 0 1
        np.array([[0.7, 0.3], [0.5, 0.5]]),  # rows 1 2
        np.array([[0.5, 0.5]]),  # row 0
    ]
    idx = [np.array([0, 1]), np.array([1, 2]), np.array([0])]
    labels = np.array([0, 1, 0])
    sd, n = gold_probability_sd(p, idx, labels)
    # row 0: 0.9, 0.5; row 1: 0.8, 0.3; row 2: one value (skipped)
    expect = np.mean([np.std([0.9, 0.5], ddof=1), np.std([0.8, 0.3], ddof=1)])
    assert n == 2
    assert sd == pytest.approx(expect)


def test_sampling_sd_of_accuracy_is_the_binomial_se():
    rng = np.random.default_rng(0)
    n = 2000
    gold = rng.integers(0, 2, n)
    correct = rng.random(n) < 0.7
    pred = np.where(correct, gold, 1 - gold)
    proba = np.eye(2)[pred] * 0.8 + 0.1
    human = np.full((n, 2), 0.5)
    sd = sampling_sd("accuracy_vs_gold", proba, gold, human, np.zeros(n, bool))
    acc = correct.mean()
    assert sd == pytest.approx(math.sqrt(acc * (1 - acc) / n), rel=0.1)
    assert math.isnan(
        sampling_sd("accuracy_vs_gold", proba, None, human, np.zeros(n, bool))
    )


def test_spread_testability():
    assert spread_testability(0.02, 0.001, 0.01) == (True, "")
    ok, why = spread_testability(0.0006, 0.0019, 0.006, convex=True, design="init")
    assert not ok and "no hidden layer" in why and "0.006" in why
    ok, why = spread_testability(0.004, 0.003, 0.006, design="split")
    assert not ok and "no hidden layer" not in why
    assert not spread_testability(0.1, 0.1, math.nan)[0]
    assert not spread_testability(math.nan, 0.1, 0.01)[0]


def test_power_rows_reuse_the_power_functions():
    rows = power_rows(10)
    assert [r["corr"] for r in rows] == list(POWER_CORRELATIONS)
    for r in rows:
        assert r["detectable_ratio"] == detectable_ratio(10, r["corr"])
        assert r["seeds_for_half"] == seeds_needed(0.5, r["corr"])
    # a higher seed correlation gives more power: a ratio nearer 1 is detectable
    ratios = [r["detectable_ratio"] for r in rows]
    assert ratios == sorted(ratios)


def test_union_bootstrap_values_by_hand():
    # two seeds with overlapping test sets; accuracy against gold
    gold_all = np.array([0, 1, 0, 1, 1])
    human_all = np.full((5, 2), 0.5)
    idx = {0: np.array([0, 1, 2]), 1: np.array([2, 3, 4])}
    test_sets = {
        s: {
            "test_index": i,
            "gold_test": gold_all[i],
            "human_test": human_all[i],
            "hard_mask": np.zeros(i.size, bool),
        }
        for s, i in idx.items()
    }
    preds = {
        ("a", 0): [0, 0, 0],
        ("a", 1): [0, 1, 0],
        ("b", 0): [0, 1, 1],
        ("b", 1): [1, 1, 1],
    }
    runs = [
        {"arm": a, "seed": s, "proba": np.eye(2)[p] * 0.8 + 0.1}
        for (a, s), p in preds.items()
    ]
    weights = {}
    out = union_bootstrap_values(
        runs, ["a", "b"], [0, 1], test_sets, "accuracy_vs_gold", weights, n_bins=15
    )
    assert out.shape[1:] == (2, 2)
    W = weights["union"]  # over rows 0..4
    assert W.shape[1] == 5
    for (a, s), p in preds.items():
        i = ["a", "b"].index(a)
        correct = (np.array(p) == gold_all[idx[s]]).astype(float)
        assert out[0, i, s] == pytest.approx(correct.mean())
        for b in (0, 7, 99):
            w = W[b, idx[s]].astype(float)
            if w.sum() > 0:
                assert out[b + 1, i, s] == pytest.approx((w * correct).sum() / w.sum())


def _fake(rows, soft=("human_soft",)):
    return SimpleNamespace(
        params={"confidence": 0.95, "seed_design": "split"},
        scores={"ece_hard_vs_human": None, "accuracy_vs_gold": None},
        soft_arms=lambda: list(soft),
        spreads=lambda: [dict(r) for r in rows],
    )


def _row(metric, ratio, p_holm, testable, reason="", arm="human_soft"):
    return {
        "arm": arm,
        "metric": metric,
        "ratio": ratio,
        "ci_low": ratio / 2,
        "ci_high": ratio * 2,
        "p_holm": p_holm,
        "testable": testable,
        "untestable_reason": reason,
    }


def test_stability_verdict_answers():
    untestable = [
        _row("ece_hard_vs_human", 3.1, math.nan, False, "seed SDs below ..."),
        _row("accuracy_vs_gold", 1.0, math.nan, False, "seed SDs below ..."),
    ]
    answer, evidence = stability_verdict(_fake(untestable))
    assert answer == "untestable" and "seed SDs below" in evidence
    smaller = [
        _row("ece_hard_vs_human", 0.4, 0.01, True),
        _row("accuracy_vs_gold", 0.9, 0.5, True),
    ]
    answer, evidence = stability_verdict(_fake(smaller))
    assert answer == "yes" and "0.40" in evidence
    larger = [
        _row("ece_hard_vs_human", 0.4, 0.01, True),
        _row("accuracy_vs_gold", 2.5, 0.02, True),
    ]
    assert stability_verdict(_fake(larger))[0] == "no"
    none = [_row("ece_hard_vs_human", 0.8, 0.6, True)]
    answer, evidence = stability_verdict(_fake(none))
    assert answer == "not shown" and "none differs" in evidence
    answer, evidence = stability_verdict(_fake(none, soft=()))
    assert answer == "untestable" and "no human-soft-label arm" in evidence


def test_stability_verdict_asks_the_human_arms_only():
    # a synthetic control's larger (or smaller) spread does not answer "is
    # human-soft-label training more stable?": with human_soft untestable the
    # answer is untestable, whatever smoothed and teacher show
    rows = [
        _row("ece_hard_vs_human", 0.9, math.nan, False, "seed SDs below ..."),
        _row("ece_hard_vs_human", 1.3, 0.03, True, arm="smoothed"),
        _row("ece_hard_vs_human", 0.5, 0.01, True, arm="teacher"),
    ]
    soft = ("human_soft", "smoothed", "teacher")
    answer, evidence = stability_verdict(_fake(rows, soft=soft))
    assert answer == "untestable"
    assert "`human_soft`" in evidence and "smoothed" not in evidence
    # human_soft_gold_mode is a human arm: its testable smaller spread answers
    rows.append(_row("ece_hard_vs_human", 0.6, 0.02, True, arm="human_soft_gold_mode"))
    answer, evidence = stability_verdict(
        _fake(rows, soft=soft + ("human_soft_gold_mode",))
    )
    assert (
        answer == "yes" and "human_soft_gold_mode" in evidence and "1 of 2" in evidence
    )
