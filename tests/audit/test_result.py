"""Tests of sksoft.audit._result: AuditResult's verdicts on a hand-made audit."""

import math

import numpy as np
import pytest

from sksoft.audit import METRICS, score_predictions
from sksoft.audit._report import _effect_cell, _verdict_text
from sksoft.audit._result import AuditResult
from sksoft.targets import hard_sample_mask

N_TEST = 40
SEEDS = [0, 1, 2]


def _proba(correct):
    """Confident rows: class 0 when ``correct`` (gold is 0), else class 1."""
    p = np.where(correct[:, None], [[0.9, 0.1]], [[0.1, 0.9]])
    return p.astype(float)


def _hand_result(wrong):
    """An audit whose arms differ from ``gold`` only in accuracy-like ways.

    Gold is class 0 on every test item; ``gold`` is right on all but items
    0..9; each other arm ``a`` is right on all but the items ``wrong[a]``.
    Every seed predicts the same, so the seed differences have sd 0 and the
    paired t-test has p = 0 for any non-zero difference: every difference is
    significant over seeds, whatever the test items say.
    """
    gold_test = np.zeros(N_TEST, int)
    human = np.tile([0.7, 0.3], (N_TEST, 1))
    human[::2] = [1.0, 0.0]
    hard = hard_sample_mask(human, hard_fraction=0.2)
    wrong = {"gold": np.arange(10), **wrong}
    arms = list(wrong)
    runs = []
    for arm in arms:
        correct = np.ones(N_TEST, bool)
        correct[wrong[arm]] = False
        proba = _proba(correct)
        for seed in SEEDS:
            metrics = score_predictions(proba, gold_test, human, hard, n_bins=15)
            metrics.update(
                {
                    "carto_spearman_confidence_vs_human": math.nan,
                    "carto_spearman_variability_vs_human": math.nan,
                }
            )
            runs.append(
                {
                    "arm": arm,
                    "seed": seed,
                    "proba": proba,
                    "metrics": metrics,
                    "history": [None],
                    "dynamics": [None],
                    "fit_time": 0.0,
                }
            )
    names = [m for m in METRICS if m in runs[0]["metrics"]]
    scores = {
        m: np.array(
            [[r["metrics"][m] for r in runs if r["arm"] == a] for a in arms], float
        )
        for m in names
    }
    idx = np.arange(N_TEST)
    return AuditResult(
        arms=arms,
        seeds=SEEDS,
        reference="gold",
        classes=np.array([0, 1]),
        test_index=idx,
        gold_test=gold_test,
        human_test=human,
        hard_mask=hard,
        gold=gold_test,
        human=human,
        mode_shift=np.zeros(N_TEST, bool),
        folds=[(idx, idx)],
        runs=runs,
        scores=scores,
        params={
            "confidence": 0.95,
            "n_bins": 15,
            "hard_fraction": 0.2,
            "random_state": 0,
            "n_folds": 1,
            "test_size": 0.3,
        },
        provenance={},
        elapsed=0.0,
    )


@pytest.fixture(scope="module")
def result():
    # human_soft: right on one more item than gold (item 9); smoothed: right on
    # all ten of gold's errors
    return _hand_result({"human_soft": np.arange(9), "smoothed": np.array([], int)})


def _row(result, arm, metric):
    return next(
        r for r in result.effects() if r["arm"] == arm and r["metric"] == metric
    )


def test_seed_significant_but_item_interval_contains_zero_gets_no_mark(result):
    e = _row(result, "human_soft", "accuracy_vs_gold")
    # over seeds: the same +1/40 every seed, sd 0, p = 0, Holm-significant
    assert e["diff"] == pytest.approx(1 / N_TEST)
    assert e["sd"] == 0 and e["p_value"] == 0.0 and e["p_holm"] == 0.0
    assert e["verdict_holm"] == "better"
    # over items: the one item that differs is left out of a resample with
    # probability (1 - 1/40)^40 = 0.36 > 0.025, so the 2.5% quantile is 0
    assert e["boot_ci_low"] == 0.0 and e["boot_ci_high"] > 0
    assert e["verdict_both"] == "no clear difference"
    cell = _effect_cell(e)
    assert not cell.endswith(("▲", "▼"))
    assert cell.endswith("△")  # the unadjusted seed interval excludes 0
    assert "no clear difference" in _verdict_text(e, "gold")
    assert "item bootstrap interval includes 0" in _verdict_text(e, "gold")


def test_both_noises_excluding_zero_get_the_mark(result):
    e = _row(result, "smoothed", "accuracy_vs_gold")
    assert e["diff"] == pytest.approx(10 / N_TEST)
    assert e["verdict_holm"] == "better"
    # ten differing items: a resample without any of them has probability
    # (30/40)^40 ~ 1e-5, and the 2.5% quantile of the count of the ten items
    # (binomial(40, 1/4)) is well above 0
    assert e["boot_ci_low"] > 0
    assert e["verdict_both"] == "better"
    assert _effect_cell(e).endswith("▲")


def test_metrics_without_item_bootstrap_are_seeds_only(result):
    e = _row(result, "smoothed", "spearman_confidence_vs_human")
    assert math.isnan(e["boot_ci_low"])
    assert e["verdict_both"] in (
        "better (seeds only)",
        "worse (seeds only)",
        "no clear difference",
        "n/a",
    )
    assert not _effect_cell(e).endswith(("▲", "▼"))


def test_disagreement_subset_twins_the_hard_subset():
    result = _hand_result({"human_soft": np.arange(9)})
    # half the items have any disagreement (0.7 / 0.3), and they are the ones
    # with the highest entropy: the top 20% with ties is the same half
    assert result.disagree_mask.sum() == N_TEST // 2
    assert np.array_equal(result.disagree_mask, result.hard_mask)
    assert result.disagree_share == 0.5
    hard = _row(result, "human_soft", "ece_hard_vs_human")
    dis = _row(result, "human_soft", "ece_disagree_vs_human")
    assert dis["diff"] == hard["diff"]
    # tested once: the twin carries the hard row's adjusted p
    assert dis["holm_twin"] == "ece_hard_vs_human"
    assert dis["p_holm"] == hard["p_holm"]
    assert "holm_twin" not in hard


def test_disagreement_text_states_size_and_scale():
    from sksoft.audit._report import disagreement_text

    result = _hand_result({"human_soft": np.arange(9)})
    assert disagreement_text(result) == (
        "20 of 40 test samples (50.0%) have any disagreement (human entropy > 0), "
        "counted on the 2 classes the audit was given; these are exactly the hard "
        "(top-fraction) samples, so the `_disagree_` metrics repeat the `_hard_` "
        "ones and are tested once"
    )
    result.provenance["ordinal_scale"] = "9-point ratings collapsed to 2 classes"
    assert (
        "(9-point ratings collapsed to 2 classes: two ratings that fall in one "
        "class agree;" in disagreement_text(result)
    )
    # almost every item with disagreement, and not the hard ones
    result.human_test[::2] = [0.99, 0.01]
    result.human_test[0] = [1.0, 0.0]
    text = disagreement_text(result)
    assert text.startswith("39 of 40 test samples (97.5%)")
    assert text.endswith(
        "this subset holds almost every test sample, so its "
        "metrics are close to the all-samples ones"
    )
