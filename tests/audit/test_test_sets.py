"""Tests of sksoft/audit/_test_sets.py: the seeds' test sets described
together (counts, shares, mode shift, subsets), the pooled sampling SD and
the report's design-conditional texts, against hand computations on the
3-seed split fixture (tests/audit/conftest.py)."""

import math

import numpy as np
import pytest

from sksoft.audit._glance import hard_sample_calibration
from sksoft.audit._metrics import HEADLINE, HEADLINE_DISAGREE
from sksoft.audit._report import (
    _headline_table,
    _interval_cover_lines,
    _test_rows,
    disagreement_text,
)
from sksoft.audit._stability import (
    pooled_sampling_sd,
    sampling_sd,
    sampling_sd_text,
)
from sksoft.audit._test_sets import (
    count_text,
    per_seed_counts,
    share_text,
    subsets_coincide,
)
from sksoft.evaluation import fmt

#: every third row has a human mode other than gold
SHIFT = np.arange(60) % 3 == 0


def _hard_by_hand(human, rows, fraction=0.2):
    """Top ``fraction`` by human entropy, ties at the cut included."""
    p = human[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1)
    m = math.ceil(fraction * rows.size)
    cut = np.sort(ent)[::-1][m - 1]
    return ent >= cut - 1e-9 * max(cut, 1e-12)


def _disagree_by_hand(human, rows):
    return (human[rows] > 0).sum(axis=1) > 1


@pytest.fixture(scope="module")
def shifted(split_result_factory):
    return split_result_factory(mode_shift=SHIFT)


@pytest.fixture(scope="module")
def fixed(split_result_factory):
    """One test set for all three seeds, the ``"init"`` design."""
    rows = np.arange(0, 20)
    return split_result_factory({0: rows, 1: rows, 2: rows}, seed_splits=False)


def test_per_seed_counts_by_hand(shifted, split_tests):
    c = per_seed_counts(shifted)
    hard = [_hard_by_hand(shifted.human, split_tests[s]) for s in (0, 1, 2)]
    dis = [_disagree_by_hand(shifted.human, split_tests[s]) for s in (0, 1, 2)]
    assert c["n_test"].tolist() == [20, 20, 20]
    assert c["n_hard"].tolist() == [int(h.sum()) for h in hard]
    assert c["n_disagree"].tolist() == [int(d.sum()) for d in dis]
    assert c["hard_share"] == pytest.approx([h.sum() / 20 for h in hard])
    assert c["disagree_share"] == pytest.approx([d.sum() / 20 for d in dis])
    # rows 0..29 and 40..59
    assert c["n_union"] == 50
    union = np.r_[0:30, 40:60]
    assert c["n_union_disagree"] == int(_disagree_by_hand(shifted.human, union).sum())
    hard_rows = set()
    for s, h in zip((0, 1, 2), hard):
        hard_rows |= set(split_tests[s][h].tolist())
    assert c["n_union_hard"] == len(hard_rows)
    # mode shift: seed 0 rows 0..19 -> 0,3,..,18 = 7; seed 1 rows 10..29 ->
    # 12,..,27 = 6; seed 2 rows 40..59 -> 42,..,57 = 6
    assert c["mode_test"] == pytest.approx([7 / 20, 6 / 20, 6 / 20])
    mode_hard = [SHIFT[split_tests[s]][h].mean() for s, h in zip((0, 1, 2), hard)]
    assert c["mode_hard"] == pytest.approx(mode_hard)


def test_count_and_share_texts():
    assert count_text([4, 4, 4]) == "4"
    assert count_text([5, 4, 6]) == "4–6"
    assert share_text([0.1, 0.2, float("nan")]) == (
        "mean 15.0%, range 10.0%–20.0% over the 2 seeds"
    )
    assert share_text([float("nan")]) == "n/a"
    assert share_text([0.25, 0.25, 0.25]) == "25.0% in each of the 3 seeds"


def test_provenance_rows_under_varying_splits(shifted, split_tests):
    rows = dict(_test_rows(shifted, {}, "human labels"))
    c = per_seed_counts(shifted)
    sizes = rows["test samples / hard test samples"]
    assert sizes.startswith(
        f"20 / {count_text(c['n_hard'])} per seed's test set (3 seeds, each its "
        f"own split; 50 distinct items in the union of their test sets, "
        f"{c['n_union_hard']} of them hard in at least one seed"
    )
    assert share_text(c["hard_share"]) in sizes
    mode = rows["mode-shift rate (human mode != gold): all / test / hard test"]
    mean_test = (7 / 20 + 6 / 20 + 6 / 20) / 3
    assert mode.startswith(f"{100 * SHIFT.mean():.1f}% / {100 * mean_test:.1f}% / ")
    assert "mean over the seeds" in mode
    assert "30.0%–35.0%" in mode  # the test rates' range
    dis = rows["test samples with any disagreement"]
    assert dis.startswith(
        f"{count_text(c['n_disagree'])} of 20 test samples per seed "
        f"({share_text(c['disagree_share'])}; {c['n_union_disagree']} of the 50 "
        "distinct items"
    )


def test_provenance_rows_with_one_test_set_are_unchanged(fixed):
    rows = dict(_test_rows(fixed, {}, "human labels"))
    hard = _hard_by_hand(fixed.human, np.arange(20))
    assert rows["test samples / hard test samples"] == (
        f"20 / {int(hard.sum())} (hard = the 20.0% with the highest entropy of "
        "the human labels, ties included: actually "
        f"{100 * hard.mean():.1f}% of the test samples)"
    )
    assert rows["mode-shift rate (human mode != gold): all / test / hard test"] == (
        "0.0% / 0.0% / 0.0%"
    )
    n = int(_disagree_by_hand(fixed.human, np.arange(20)).sum())
    assert disagreement_text(fixed).startswith(
        f"{n} of 20 test samples ({100 * n / 20:.1f}%) have any disagreement"
    )


def test_subsets_coincide_per_seed():
    agree = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.8, 0.2]])
    one = {"human_test": agree, "hard_mask": np.array([False, False, True, True])}
    # the disagreement rows are rows 2 and 3 (entropy > 0): they coincide
    assert subsets_coincide([one])
    other = {"human_test": agree, "hard_mask": np.array([False, False, True, False])}
    assert not subsets_coincide([other])
    # every seed must coincide, not only the first
    assert subsets_coincide([one, one])
    assert not subsets_coincide([one, other])
    assert subsets_coincide([])  # no test set: nothing differs


def test_subsets_coincide_is_todays_check_with_one_test_set(fixed):
    sets = [fixed.test_set(s) for s in fixed.seeds]
    assert subsets_coincide(sets) == np.array_equal(
        fixed.disagree_mask, fixed.hard_mask
    )


def test_pooled_sampling_sd_is_the_rms_over_seeds(split_audit, split_tests):
    name = "accuracy_vs_gold"
    sds = []
    for s in (0, 1, 2):
        run = next(r for r in split_audit.runs if r["arm"] == "gold" and r["seed"] == s)
        ts = split_audit.test_set(s)
        sds.append(
            sampling_sd(
                name,
                run["proba"],
                ts["gold_test"],
                ts["human_test"],
                ts["hard_mask"],
                random_state=0,
            )
        )
    by_hand = math.sqrt((sds[0] ** 2 + sds[1] ** 2 + sds[2] ** 2) / 3)
    row = next(r for r in split_audit.spreads() if r["metric"] == name)
    assert row["sampling_sd"] == pytest.approx(by_hand, rel=1e-12)
    # and each seed's SD is about the binomial standard error of its accuracy
    accs = []
    for s in (0, 1, 2):
        run = next(r for r in split_audit.runs if r["arm"] == "gold" and r["seed"] == s)
        accs.append(np.mean(run["proba"].argmax(1) == split_audit.gold[split_tests[s]]))
    se = math.sqrt(np.mean([a * (1 - a) / 20 for a in accs]))
    assert row["sampling_sd"] == pytest.approx(se, rel=0.15)


def test_pooled_sampling_sd_skips_undefined_seeds():
    human = np.array([[0.7, 0.3], [0.5, 0.5], [0.4, 0.6], [0.2, 0.8]])
    p = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    ts = {"gold_test": np.array([0, 1, 1, 1]), "human_test": human}
    full = {**ts, "hard_mask": np.ones(4, bool)}
    one = {**ts, "hard_mask": np.array([True, False, False, False])}
    runs = [{"arm": "gold", "seed": s, "proba": p} for s in (0, 1)]
    name = "ece_hard_vs_human"
    sd0 = sampling_sd(name, p, ts["gold_test"], human, full["hard_mask"])
    assert math.isfinite(sd0)
    # seed 1's hard subset has one item: no SD; the RMS is seed 0's alone
    got = pooled_sampling_sd(runs, "gold", {0: full, 1: one}, name)
    assert got == pytest.approx(sd0)
    assert math.isnan(pooled_sampling_sd(runs, "gold", {0: one, 1: one}, name))


def test_sampling_sd_with_one_test_set_is_the_first_run(fixed):
    name = "accuracy_vs_gold"
    run = next(r for r in fixed.runs if r["arm"] == "gold")
    ts = fixed.test_set(run["seed"])
    first = sampling_sd(
        name,
        run["proba"],
        ts["gold_test"],
        ts["human_test"],
        ts["hard_mask"],
        random_state=0,
    )
    row = next(r for r in fixed.spreads() if r["metric"] == name)
    assert row["sampling_sd"] == first  # exactly as before


def test_sampling_sd_sentence_states_its_definition(split_audit, fixed):
    noise = {"accuracy_vs_gold": 0.0123}
    text = sampling_sd_text(split_audit, noise, ["accuracy_vs_gold"], fmt)
    assert "root mean square over the 3 seeds" in text
    assert "that seed's own test set" in text
    assert "`accuracy_vs_gold` 0.012" in text
    text = sampling_sd_text(fixed, noise, ["accuracy_vs_gold"], fmt)
    assert "`gold`'s first run: `accuracy_vs_gold` 0.012)" in text
    assert "root mean square" not in text


def test_interval_texts_follow_the_design(split_audit, fixed):
    split_text = " ".join(_interval_cover_lines(split_audit))
    assert "each seed has its own train/test split" in split_text
    assert "fixed" not in split_text
    assert "union of the seeds' test sets" in split_text
    fixed_text = " ".join(_interval_cover_lines(fixed))
    assert "one fixed split and test set" in fixed_text
    for result, want, absent in (
        (split_audit, "the data split", "fixed test set"),
        (fixed, "the fixed test set", "data split"),
    ):
        effects = {(r["arm"], r["metric"]): r for r in result.effects()}
        table = " ".join(_headline_table(result, effects, 95, HEADLINE))
        assert want in table
        assert absent not in table


def test_glance_counts_are_per_seed(split_audit):
    c = per_seed_counts(split_audit)
    _, evidence = hard_sample_calibration(split_audit, HEADLINE)
    assert evidence.startswith(
        f"`{HEADLINE}` on {count_text(c['n_hard'])} of 20 test items per seed "
        f"({share_text(c['hard_share'])}): "
    )
    _, evidence = hard_sample_calibration(split_audit, HEADLINE_DISAGREE)
    assert evidence.startswith(
        f"`{HEADLINE_DISAGREE}` on {count_text(c['n_disagree'])} of 20 test items "
        f"per seed ({share_text(c['disagree_share'])}): "
    )


def test_glance_counts_with_one_test_set(fixed):
    n = int(fixed.hard_mask.sum())
    _, evidence = hard_sample_calibration(fixed, HEADLINE)
    assert evidence.startswith(
        f"`{HEADLINE}` on {n} of 20 test items ({100 * n / 20:.1f}%): "
    )
