"""Tests of sksoft.audit._design: seed designs, duplicate groups, per-seed splits."""

import json

import numpy as np
import pytest

from sksoft.audit import run_audit, score_predictions
from sksoft.audit._design import (
    RESAMPLE_SHARE,
    combine_groups,
    duplicate_groups,
    group_stratified_split,
    is_convex_model,
    normalise_text,
    resolve_seed_design,
    seed_folds,
    split_ids,
    split_seed,
)
from sksoft.audit._estimators import default_estimator, default_text_estimator
from sksoft.audit._run import _make_folds
from sksoft.datasets import make_ambiguous_digits
from sksoft.targets import hard_sample_mask


def test_normalise_text_case_and_whitespace():
    assert normalise_text("  A\tB \n c ") == "a b c"
    assert normalise_text("x") == normalise_text("X ")


def test_duplicate_groups_by_hand():
    X = np.array(["Good day", "bad", "good   DAY", "ok", "Bad"], dtype=object)
    codes, n_groups, n_rows = duplicate_groups(X)
    assert codes.tolist() == [0, 1, 0, 2, 1]
    assert (n_groups, n_rows) == (2, 4)


def test_duplicate_groups_pairs_need_every_column():
    X = np.array([["a", "b"], ["A", "b "], ["a", "c"]], dtype=object)
    codes, n_groups, _ = duplicate_groups(X)
    assert codes.tolist() == [0, 0, 1]
    assert n_groups == 1


def test_combine_groups_connected_components():
    # user groups {0,1} {2} {3,4}; duplicates join rows 1 and 2 -> {0,1,2} {3,4}
    user = np.array([0, 0, 1, 2, 2])
    dup = np.array([0, 1, 1, 2, 3])
    assert combine_groups(user, dup).tolist() == [0, 0, 0, 1, 1]
    assert combine_groups(None, dup).tolist() == [0, 1, 1, 2, 3]
    assert combine_groups(None, None) is None


def test_group_stratified_split_keeps_groups_and_strata():
    rng = np.random.default_rng(0)
    n = 400
    strat = rng.integers(0, 3, n)
    groups = np.arange(n)
    groups[1::7] = groups[0::7][: groups[1::7].size]  # duplicates of other rows
    strat[1::7] = strat[0::7][: strat[1::7].size]
    train, test = group_stratified_split(strat, groups, 0.3, 0)
    assert np.intersect1d(groups[train], groups[test]).size == 0
    assert np.union1d(train, test).size == n
    n_groups = np.unique(groups).size
    assert abs(np.unique(groups[test]).size - 0.3 * n_groups) <= 1
    share = np.bincount(strat[test], minlength=3) / test.size
    np.testing.assert_allclose(share, np.bincount(strat) / n, atol=0.03)


def test_split_seed_and_split_ids():
    assert split_seed(0, 1) == split_seed(0, 1)
    assert len({split_seed(0, j) for j in range(5)}) == 5
    assert split_ids([3, 5, 7, 9, 11], 2) == [0, 0, 1, 1, 2]


def test_resolve_seed_design():
    human = {"labels": "human (raters)"}
    simulated = {"labels": "simulated (panel)"}
    assert resolve_seed_design("auto", human) == "split"
    assert resolve_seed_design("auto", simulated) == "init"
    assert resolve_seed_design("auto", None) == "init"
    assert resolve_seed_design("auto", human, fixed_test=True) == "resample"
    assert resolve_seed_design("init", human) == "init"
    with pytest.raises(ValueError, match="resample"):
        resolve_seed_design("split", human, fixed_test=True)


def _folds(seed_design, seeds, r, n=200):
    strat = np.arange(n) % 2
    base = _make_folds(n, strat, None, 0.3, None, 0)
    return seed_folds(
        seed_design,
        seeds,
        r,
        lambda rs: _make_folds(n, strat, None, 0.3, None, rs),
        base,
        strat=strat,
        groups=None,
        random_state=0,
    ), base


def test_seed_folds_init_is_one_split():
    (folds, ids, split_of), base = _folds("init", [0, 1, 2], 1)
    assert len(folds) == 1 and set(ids.values()) == {(0,)}
    assert np.array_equal(folds[0][1], base[0][1])
    assert set(split_of.values()) == {0}


def test_seed_folds_split_draws_one_split_per_block():
    (folds, ids, split_of), _ = _folds("split", [0, 1, 2, 3], 2)
    assert [split_of[s] for s in range(4)] == [0, 0, 1, 1]
    assert ids[0] == ids[1] != ids[2] == ids[3]
    te0, te1 = folds[ids[0][0]][1], folds[ids[2][0]][1]
    assert te0.size == te1.size == 60
    assert not np.array_equal(te0, te1)
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0
        assert train.size + test.size == 200


def test_seed_folds_resample_keeps_the_test_set():
    (folds, ids, _), base = _folds("resample", [0, 1], 1)
    train0, test0 = base[0]
    for f in (ids[0][0], ids[1][0]):
        train, test = folds[f]
        assert np.array_equal(test, test0)
        assert np.isin(train, train0).all()
        assert train.size == pytest.approx(RESAMPLE_SHARE * train0.size, abs=1)
    assert not np.array_equal(folds[ids[0][0]][0], folds[ids[1][0]][0])


def test_is_convex_model():
    X = np.zeros((10, 3), np.float32)
    assert not is_convex_model(default_estimator(X, 2, max_epochs=1))
    texts = np.array(["a b"] * 10, dtype=object)
    assert is_convex_model(default_text_estimator(texts, 2, max_epochs=1))


# ---------------------------------------------------------------- run_audit


@pytest.fixture(scope="module")
def digits():
    return make_ambiguous_digits(n_samples=240, random_state=0)


@pytest.fixture(scope="module")
def split_result(digits):
    return run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=["gold", "human_soft"],
        groups=digits.groups,
        seeds=4,
        max_epochs=2,
        seed_design="split",
        inits_per_split=2,
    )


def test_split_design_each_seed_scored_on_its_own_test_set(split_result, digits):
    res = split_result
    assert res.params["seed_design"] == "split"
    assert res.params["seed_split"] == [0, 0, 1, 1]
    sets = {s: res.test_set(s) for s in res.seeds}
    assert np.array_equal(sets[0]["test_index"], sets[1]["test_index"])
    assert not np.array_equal(sets[0]["test_index"], sets[2]["test_index"])
    human = digits.counts / digits.counts.sum(1, keepdims=True)
    for run in res.runs:
        ts = sets[run["seed"]]
        idx = ts["test_index"]
        assert np.array_equal(run["test_index"], idx)
        # recomputed from scratch on that seed's rows
        hard = hard_sample_mask(human[idx], hard_fraction=0.2)
        assert np.array_equal(ts["hard_mask"], hard)
        ref = score_predictions(run["proba"], digits.target[idx], human[idx], hard)
        for name in ("accuracy_vs_gold", "ece_hard_vs_human", "kl_all_vs_human"):
            assert run["metrics"][name] == pytest.approx(ref[name], abs=1e-12)
        train = ts["folds"][0][0]
        # groups (source digits) stay on one side of every seed's split
        assert np.intersect1d(digits.groups[train], digits.groups[idx]).size == 0


def test_split_design_arms_share_the_seed_split(split_result):
    by_seed = {}
    for run in split_result.runs:
        by_seed.setdefault(run["seed"], []).append(run["test_index"])
    for idx in by_seed.values():
        assert all(np.array_equal(idx[0], i) for i in idx)


def test_split_design_report_and_runs(split_result, tmp_path):
    split_result.write_report(tmp_path, figures=False)
    text = (tmp_path / "report.md").read_text()
    assert "Seed design `split`" in text
    assert "Variance components" in text
    assert "Tested family of spread metrics" in text
    assert "Stability verdict: **" in text
    lines = (tmp_path / "runs.jsonl").read_text().splitlines()
    runs = [json.loads(line) for line in lines[1:]]
    for run in runs:
        expect = split_result.test_set(run["seed"])["test_index"]
        assert run["test_index"] == expect.tolist()


def test_init_design_is_unchanged_by_default(digits):
    kw = dict(arms=["gold", "human_soft"], seeds=2, max_epochs=2)
    auto = run_audit(digits.data, digits.target, digits.counts, **kw)
    init = run_audit(
        digits.data, digits.target, digits.counts, seed_design="init", **kw
    )
    assert auto.params["seed_design"] == "init" and auto.seed_splits is None
    for name, mat in auto.scores.items():
        np.testing.assert_array_equal(mat, init.scores[name])


def test_resample_design_fixed_test_set(digits):
    res = run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=["gold", "human_soft"],
        seeds=2,
        max_epochs=2,
        seed_design="resample",
    )
    t0, t1 = res.test_set(0), res.test_set(1)
    assert np.array_equal(t0["test_index"], t1["test_index"])
    assert not np.array_equal(t0["folds"][0][0], t1["folds"][0][0])


def test_duplicate_texts_stay_on_one_side(tmp_path):
    rng = np.random.default_rng(0)
    words = ["good", "bad", "fine", "awful", "great", "poor", "nice", "meh"]
    base = [" ".join(rng.choice(words, 4)) + f" {i}" for i in range(50)]
    texts = base + [t.upper() + "  " for t in base[:10]]  # 10 duplicates
    texts = np.array(texts, dtype=object)
    n = texts.size
    gold = rng.integers(0, 2, n)
    counts = rng.multinomial(5, [0.5, 0.5], size=n)
    res = run_audit(
        texts,
        gold,
        counts,
        arms=["gold", "human_soft"],
        seeds=3,
        max_epochs=1,
        seed_design="split",
    )
    assert res.params["duplicate_groups"] == 10
    assert res.params["duplicate_rows"] == 20
    codes, _, _ = duplicate_groups(texts)
    for seed in res.seeds:
        train, test = res.test_set(seed)["folds"][0]
        assert np.intersect1d(codes[train], codes[test]).size == 0


def test_bad_seed_design_is_refused(digits):
    with pytest.raises(ValueError, match="seed_design"):
        run_audit(digits.data, digits.target, digits.counts, seeds=2, seed_design="x")


def test_fixed_test_rows_resample_and_drop_duplicates():
    rng = np.random.default_rng(1)
    texts = np.array([f"text {i}" for i in range(40)] + ["TEXT 3"], dtype=object)
    n = texts.size
    gold = rng.integers(0, 2, n)
    counts = rng.multinomial(5, [0.5, 0.5], size=n)
    mask = np.zeros(n, bool)
    mask[:12] = True  # rows 0..11 are the official test set; row 40 = row 3
    res = run_audit(
        texts,
        gold,
        counts,
        arms=["gold", "human_soft"],
        seeds=2,
        max_epochs=1,
        test_rows=mask,
        provenance={"labels": "human (toy)"},
    )
    assert res.params["seed_design"] == "resample"
    assert res.params["duplicate_train_dropped"] == 1
    for seed in res.seeds:
        train, test = res.test_set(seed)["folds"][0]
        assert test.tolist() == list(range(12))
        assert 40 not in train and np.isin(train, np.arange(12, 40)).all()
    with pytest.raises(ValueError, match="resample"):
        run_audit(texts, gold, counts, seeds=2, test_rows=mask, seed_design="split")
    with pytest.raises(ValueError, match="boolean mask"):
        run_audit(texts, gold, counts, seeds=2, test_rows=mask[:5])


def test_split_design_targets_do_not_depend_on_n_jobs(digits):
    kw = dict(
        arms=["gold", "teacher"],
        seeds=2,
        max_epochs=1,
        seed_design="split",
        batch_runs=False,
    )
    one = run_audit(digits.data, digits.target, digits.counts, n_jobs=1, **kw)
    two = run_audit(digits.data, digits.target, digits.counts, n_jobs=2, **kw)
    for name, mat in one.scores.items():
        np.testing.assert_array_equal(mat, two.scores[name])


def test_vader_duplicates_stay_on_one_side(data_dir):
    from sksoft.audit._data import load_audit_data
    from sksoft.audit._run import check_audit_inputs

    data = load_audit_data("vader", data_home=data_dir, download=False)
    X, gold, _, _ = check_audit_inputs(
        data["X"], data["gold"], data["human"], data["counts"], data["classes"]
    )
    codes, n_groups, n_rows = duplicate_groups(X)
    assert (n_groups, n_rows) == (148, 297)

    def leaked(train, test):
        seen = {normalise_text(t) for t in X[train]}
        return sum(normalise_text(t) in seen for t in X[test])

    ((train, test),) = _make_folds(len(gold), gold, None, 0.3, None, 0)
    assert leaked(train, test) == 60  # the split without duplicate groups
    ((train, test),) = _make_folds(
        len(gold), gold, codes, 0.3, None, 0, group_stratify=True
    )
    assert leaked(train, test) == 0
    assert test.size / len(gold) == pytest.approx(0.3, abs=0.002)
