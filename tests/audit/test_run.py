"""Tests of sksoft.audit: run_audit, its statistics and its report."""

import json
import math
import re

import numpy as np
import pytest
from scipy import stats

from sksoft import metrics as M
from sksoft.audit import METRICS, run_audit, score_predictions
from sksoft.datasets import make_ambiguous_digits
from sksoft.sources import DEFAULT_ARMS
from sksoft.targets import hard_sample_mask, target_entropy

FAST = dict(max_epochs=3, seeds=3)  # three seeds: the paired spread test's least


@pytest.fixture(scope="module")
def digits():
    return make_ambiguous_digits(n_samples=300, random_state=0)


@pytest.fixture(scope="module")
def result(digits):
    return run_audit(
        digits.data,
        digits.target,
        digits.counts,
        provenance={"dataset": "ambiguous-digits", "labels": "simulated (test)"},
        **FAST,
    )


@pytest.fixture(scope="module")
def report_dir(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("audit_report")
    result.write_report(path)
    return path


# ---------------------------------------------------------------- run_audit


def test_result_structure(result, digits):
    n = digits.data.shape[0]
    assert result.arms == list(DEFAULT_ARMS)
    assert result.seeds == [0, 1, 2]
    assert result.reference == "gold"
    assert len(result.runs) == len(DEFAULT_ARMS) * 3
    n_test = result.test_index.size
    assert n_test == math.ceil(0.3 * n)
    assert np.array_equal(
        result.hard_mask, hard_sample_mask(result.human_test, hard_fraction=0.2)
    )
    np.testing.assert_allclose(
        result.human_test,
        digits.counts[result.test_index]
        / digits.counts[result.test_index].sum(1)[:, None],
    )
    assert result.mode_shift_rate == pytest.approx(
        np.mean(digits.counts.argmax(1) != digits.target)
    )
    for run in result.runs:
        assert run["proba"].shape == (n_test, 10)
        np.testing.assert_allclose(run["proba"].sum(1), 1.0, atol=1e-6)
        assert len(run["history"][0]["train_loss"]) == 3
        dyn = run["dynamics"][0]
        assert dyn["confidence"].shape == (result.folds[0][0].size,)
        # every metric but the raw-scale ones (no raw ratings here)
        raw = {m for m in METRICS if m.endswith("_vs_human_raw")}
        assert raw and set(run["metrics"]) == set(METRICS) - raw
    for name, mat in result.scores.items():
        assert mat.shape == (len(DEFAULT_ARMS), 3)


def test_gold_temperature_arm_recomputed_independently(digits):
    # the arm's test probabilities are temperature_scale(gold model's, T) with
    # T = fit_temperature(human soft labels of the training rows, out-of-fold
    # predictions of clones fitted on 5 stratified folds of the training rows)
    import torch
    from sklearn.base import clone

    from sksoft.audit import default_estimator
    from sksoft.calibration import fit_temperature, temperature_scale
    from sksoft.model_selection import SoftStratifiedKFold
    from sksoft.targets import one_hot

    kwargs = dict(seeds=[0, 1], max_epochs=2, random_state=3)
    res = run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=["gold", "gold_temperature", "human_soft"],
        **kwargs,
    )
    X = digits.data.astype(np.float32)
    train, _ = res.folds[0]
    gold_train = one_hot(digits.target[train], classes=np.arange(10))
    human_train = digits.counts[train] / digits.counts[train].sum(1, keepdims=True)
    folds = list(
        SoftStratifiedKFold(5, shuffle=True, random_state=3).split(X[train], gold_train)
    )
    runs = {(r["arm"], r["seed"]): r for r in res.runs}
    for seed in (0, 1):
        oof = np.empty((train.size, 10))
        for tr, te in folds:
            est = clone(default_estimator(X, 10, max_epochs=2))
            est.set_params(
                **{k: seed for k in est.get_params() if k.endswith("random_state")}
            )
            torch.manual_seed(seed)
            est.fit(X[train][tr], gold_train[tr])
            oof[te] = est.predict_proba(X[train][te])
        temperature = fit_temperature(human_train, oof)
        arm = runs[("gold_temperature", seed)]
        assert arm["calibration"][0]["temperature"] == pytest.approx(
            temperature, rel=1e-4
        )
        np.testing.assert_allclose(
            arm["proba"],
            temperature_scale(runs[("gold", seed)]["proba"], temperature),
            atol=1e-5,
        )
        # the temperature changes no prediction; the gold arm is untouched
        assert np.array_equal(
            arm["proba"].argmax(1), runs[("gold", seed)]["proba"].argmax(1)
        )
    # every other arm is unaffected by the new arm
    without = run_audit(
        digits.data, digits.target, digits.counts, arms=["gold", "human_soft"], **kwargs
    )
    for run in without.runs:
        np.testing.assert_array_equal(
            run["proba"], runs[(run["arm"], run["seed"])]["proba"]
        )
        assert run["calibration"] == [None]
    # the gold-free setting leaves it out like every gold arm
    with pytest.raises(ValueError, match="arm 'gold_temperature' needs gold"):
        run_audit(digits.data, None, digits.counts, arms=["gold_temperature"], seeds=1)


def test_seeds_change_the_model_not_the_split(result):
    a, b = [r for r in result.runs if r["arm"] == "gold"][:2]
    assert not np.allclose(a["proba"], b["proba"])


def test_metrics_equal_public_metrics(result):
    gold, human, hard = result.gold_test, result.human_test, result.hard_mask
    for run in result.runs:
        p, m = run["proba"], run["metrics"]
        assert m["accuracy_vs_gold"] == np.mean(p.argmax(1) == gold)
        assert m["ece_hard_vs_human"] == pytest.approx(
            M.hard_sample_calibration_error(human, p, mask=hard), abs=1e-12
        )
        assert m["ece_easy_vs_gold"] == pytest.approx(
            M.hard_sample_calibration_error(
                gold, p, soft_target=human, subset="easy", hard_fraction=0.2
            ),
            abs=1e-12,
        )
        assert m["mce_all_vs_gold"] == pytest.approx(
            M.expected_calibration_error(gold, p, norm="max"), abs=1e-12
        )
        assert m["kl_hard_vs_human"] == pytest.approx(
            np.mean(
                np.sum(
                    human[hard]
                    * np.log(np.where(human[hard] > 0, human[hard], 1) / p[hard]),
                    axis=1,
                )
            ),
            abs=1e-9,
        )


def test_ece_against_netcal(result):
    netcal = pytest.importorskip("netcal.metrics")
    run = result.runs[0]
    ece = netcal.ECE(bins=15).measure(run["proba"], result.gold_test)
    assert run["metrics"]["ece_all_vs_gold"] == pytest.approx(ece, abs=1e-10)


def _rounded_entropy(human):
    return np.round(target_entropy(human), 10)


def test_cartography_alignment_is_spearman(result, digits):
    train = result.folds[0][0]
    ent = _rounded_entropy(result.human[train])
    # rounding makes equal vote patterns (in any class order) tie exactly
    patterns = {tuple(sorted(row)) for row in digits.counts[train].tolist()}
    assert np.unique(ent).size == len(patterns)
    for run in result.runs[:3]:
        dyn = run["dynamics"][0]
        rho = stats.spearmanr(dyn["confidence"], ent).statistic
        assert run["metrics"]["carto_spearman_confidence_vs_human"] == pytest.approx(
            rho, abs=1e-12
        )


def test_effects_and_summary(result):
    rows = {(r["arm"], r["metric"]): r for r in result.effects()}
    assert ("gold", "ece_hard_vs_human") not in rows
    mat = result.scores["ece_hard_vs_human"]
    i = result.arms.index("human_soft")
    eff = rows[("human_soft", "ece_hard_vs_human")]
    ci = stats.ttest_rel(mat[i], mat[0]).confidence_interval(0.95)
    assert eff["ci_low"] == pytest.approx(ci.low) and eff["ci_high"] == pytest.approx(
        ci.high
    )
    assert eff["verdict"] in {"better", "worse", "no clear difference"}
    summary = {(r["arm"], r["metric"]): r for r in result.summary()}
    assert summary[("gold", "accuracy_vs_gold")]["mean"] == pytest.approx(
        result.scores["accuracy_vs_gold"][0].mean()
    )
    frame = result.to_frame()
    assert frame.shape[0] == len(result.runs)


def test_parallel_equals_serial(digits):
    kwargs = dict(arms=["gold", "human_soft"], seeds=[3, 4], max_epochs=2)
    serial = run_audit(digits.data, digits.target, digits.counts, n_jobs=1, **kwargs)
    two = run_audit(digits.data, digits.target, digits.counts, n_jobs=2, **kwargs)
    for a, b in zip(serial.runs, two.runs):
        assert (a["arm"], a["seed"]) == (b["arm"], b["seed"])
        np.testing.assert_allclose(a["proba"], b["proba"], atol=1e-6, rtol=0)
        for name in a["metrics"]:
            assert a["metrics"][name] == pytest.approx(
                b["metrics"][name], abs=1e-6, nan_ok=True
            )


def test_dask_backend_equals_serial(digits, restored_environ):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    kwargs = dict(arms=["gold", "human_soft"], seeds=[0, 1], max_epochs=2)
    serial = run_audit(digits.data, digits.target, digits.counts, **kwargs)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        # a default LocalCluster's workers have Dask's MALLOC_TRIM_THRESHOLD_
        with (
            parallel_config(backend="dask"),
            pytest.warns(UserWarning, match="MALLOC_TRIM_THRESHOLD_=65536") as caught,
        ):
            dasked = run_audit(digits.data, digits.target, digits.counts, **kwargs)
    # the warning points at the caller's line
    assert {w.filename for w in caught} == {__file__}
    for a, b in zip(serial.runs, dasked.runs):
        np.testing.assert_allclose(a["proba"], b["proba"], atol=1e-6, rtol=0)
        for name in a["metrics"]:
            assert a["metrics"][name] == pytest.approx(
                b["metrics"][name], abs=1e-6, nan_ok=True
            )


def test_cv_gives_out_of_fold_predictions(digits):
    res = run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=["gold", "human_soft"],
        seeds=1,
        max_epochs=2,
        cv=3,
    )
    n = digits.data.shape[0]
    assert np.array_equal(res.test_index, np.arange(n))
    assert len(res.folds) == 3
    for run in res.runs:
        assert run["proba"].shape == (n, 10)
        assert len(run["history"]) == 3
    # one seed: no interval, reported as nan
    eff = res.effects()[0]
    assert math.isnan(eff["ci_low"]) and eff["verdict"] == "n/a"


def test_without_gold_labels(digits):
    res = run_audit(
        digits.data,
        None,
        digits.counts,
        seeds=2,
        max_epochs=2,
    )
    assert res.arms == ["human_mode", "human_soft"]
    assert res.reference == "human_mode"
    assert "accuracy_vs_gold" not in res.scores
    assert "ece_hard_vs_human" in res.scores
    with pytest.raises(ValueError, match="arm 'smoothed' needs gold labels"):
        run_audit(digits.data, None, digits.counts, arms=["smoothed"], seeds=1)


def _shared_sources(digits, train, test):
    src = digits.source_index
    return (set(src[train].ravel()) & set(src[test].ravel())) - {-1}


def test_groups_split_and_folds_keep_groups_apart(digits):
    from sklearn.model_selection import GroupKFold

    common = dict(arms=["gold", "human_soft"], seeds=1, max_epochs=1)
    X, gold, counts = digits.data, digits.target, digits.counts
    res = run_audit(X, gold, counts, groups=digits.groups, **common)
    ((train, test),) = res.folds
    assert not _shared_sources(digits, train, test)
    # GroupShuffleSplit: test_size is the share of groups (3 of 10 here)
    assert np.unique(digits.groups[test]).size == 3
    assert res.params["n_groups"] == 10
    # without groups a row split shares source digits (the defect it fixes)
    plain = run_audit(X, gold, counts, **common)
    assert _shared_sources(digits, *plain.folds[0])
    for cv in (3, GroupKFold(4)):
        res = run_audit(X, gold, counts, groups=digits.groups, cv=cv, **common)
        assert np.array_equal(res.test_index, np.arange(len(gold)))
        for train, test in res.folds:
            assert not _shared_sources(digits, train, test)
            assert not set(digits.groups[train]) & set(digits.groups[test])


@pytest.mark.parametrize(
    "groups, cv, match",
    [
        (np.zeros(299), None, "groups must be 1-D labels of length 300"),
        (np.zeros(300), None, "at least 2 distinct groups"),
        (np.r_[np.nan, np.zeros(299)], None, "NaN"),
        (np.arange(300) % 3, 4, "cv=4 folds need at least 4 groups"),
        (None, "kfold", "group-aware splitter"),
    ],
)
@pytest.mark.filterwarnings("ignore:The groups parameter is ignored")
def test_bad_groups(digits, groups, cv, match):
    from sklearn.model_selection import KFold

    if cv == "kfold":  # a splitter that ignores the groups
        groups, cv = digits.groups, KFold(3, shuffle=True, random_state=0)
    with pytest.raises(ValueError, match=match):
        run_audit(
            digits.data,
            digits.target,
            digits.counts,
            groups=groups,
            cv=cv,
            seeds=1,
            max_epochs=1,
        )


def test_any_soft_target_estimator_without_dynamics(digits, tmp_path):
    from sklearn.linear_model import LogisticRegression

    from sksoft.expansion import ExpansionClassifier

    res = run_audit(
        digits.data / 16.0,
        digits.target,
        digits.counts,
        estimator=ExpansionClassifier(LogisticRegression(max_iter=200)),
        arms=["gold", "human_soft"],
        seeds=2,
    )
    run = res.runs[0]
    assert run["history"] == [None] and run["dynamics"] == [None]
    assert math.isnan(run["metrics"]["carto_spearman_confidence_vs_human"])
    files = res.write_report(tmp_path)
    assert (tmp_path / "report.md").exists() and tmp_path / "metric_spread.png" in files


def test_callbacks_disable_means_the_recorder_is_the_only_callback(digits):
    # callbacks="disable" keeps its one meaning (sksoft.callbacks.
    # attach_training_dynamics): no callbacks but the audit's recorder, so no
    # loss is scored, dynamics are still recorded and the fit is the fit of
    # the same net without any callback
    from sklearn.base import clone

    from sksoft import SoftLabelClassifier

    X = (digits.data / 16.0).astype(np.float32)
    net = SoftLabelClassifier(
        callbacks="disable", max_epochs=2, train_split=None, verbose=0
    )
    res = run_audit(
        X,
        digits.target,
        digits.counts,
        estimator=net,
        arms=["gold", "human_soft"],
        seeds=[3],
    )
    train, test = res.folds[0]
    for run in res.runs:
        assert run["history"] == [{}]  # no loss scoring: no default callback
        assert run["dynamics"][0]["confidence"].shape == (train.size,)
    gold_run = next(r for r in res.runs if r["arm"] == "gold")
    alone = clone(net).set_params(random_state=3)
    alone.fit(X[train], np.eye(10)[digits.target[train]])
    np.testing.assert_allclose(
        gold_run["proba"], alone.predict_proba(X[test]), rtol=1e-5, atol=1e-6
    )


def test_image_input_uses_a_cnn():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(60, 12, 12), dtype=np.uint8)
    gold = rng.integers(0, 3, size=60)
    counts = rng.multinomial(5, [0.4, 0.3, 0.3], size=60)
    res = run_audit(
        images,
        gold,
        counts,
        arms=["gold", "human_soft"],
        seeds=1,
        max_epochs=1,
    )
    assert "SmallCNN" in res.params["estimator"]
    assert res.runs[0]["proba"].shape == (18, 3)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(arms=["gold", "bogus"]), "unknown arm 'bogus'"),
        (dict(seeds=0), "'seeds' parameter of run_audit"),
        (dict(n_bins=0), "'n_bins' parameter of run_audit"),
        (dict(estimator="mlp"), "'estimator' parameter of run_audit"),
        (dict(cv=1), "'cv' parameter of run_audit"),
        (dict(seeds=[1, 1]), "distinct"),
        (dict(hard_fraction=1.0), "hard_fraction"),
        (dict(test_size=0.0), "test_size"),
        (dict(classes=[0, 1, 2]), "K mismatch"),
        (dict(arms=["gold"]), "at least one arm besides"),
    ],
)
def test_bad_arguments(digits, change, match):
    kwargs = dict(seeds=1, max_epochs=1)
    kwargs.update(change)
    with pytest.raises(ValueError, match=match):
        run_audit(digits.data, digits.target, digits.counts, **kwargs)


def test_bad_data(digits):
    X, gold, counts = digits.data, digits.target, digits.counts
    with pytest.raises(ValueError, match="K mismatch: gold label 10"):
        run_audit(X, np.where(gold == 0, 10, gold), counts, seeds=1)
    with pytest.raises(ValueError, match="300 samples but the human labels have 299"):
        run_audit(X, gold, counts[:-1], seeds=1)
    Xn = X.copy()
    Xn[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        run_audit(Xn, gold, counts, seeds=1)
    with pytest.raises(ValueError, match="negative"):
        run_audit(X, gold, -counts, seeds=1)


def test_score_predictions_hand_computed():
    human = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8], [0.6, 0.4]])
    proba = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.7, 0.3]])
    hard = np.array([False, True, False, True])
    s = score_predictions(proba, np.array([0, 1, 1, 0]), human, hard, n_bins=1)
    assert s["accuracy_vs_gold"] == 0.75
    # one bin: |mean confidence - accuracy|
    assert s["ece_all_vs_gold"] == pytest.approx(abs(0.7 - 0.75))
    conf_h = np.mean([0.6, 0.7])
    acc_h_vs_human = np.mean([0.5, 0.6])  # human prob of the predicted class
    assert s["ece_hard_vs_human"] == pytest.approx(abs(conf_h - acc_h_vs_human))
    from scipy.spatial.distance import jensenshannon

    jsd = np.mean([jensenshannon(h, p) ** 2 for h, p in zip(human, proba)])
    assert s["jsd_all_vs_human"] == pytest.approx(jsd)
    kl = np.mean([stats.entropy(h, p) for h, p in zip(human, proba)])
    assert s["kl_all_vs_human"] == pytest.approx(kl)


# ---------------------------------------------------------------- the report


def _tables(md):
    """Markdown tables by the heading above them: list of rows (cells)."""
    tables, heading, rows = {}, None, None
    for line in md.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            rows = None
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if rows is None:
                rows = tables.setdefault(heading, [])
            if not set(line.replace("|", "")) <= set("-"):
                rows.append(cells)
        else:
            rows = None
    return tables


def _f(x):
    if x is None or not math.isfinite(x):
        return "n/a"
    text = f"{x:.3f}"
    return "0.000" if text == "-0.000" else text


def _recompute(name, p, gold, human, hard, dyn, train_entropy, target_prob=None):
    """One metric from runs.jsonl with the public metrics (independently)."""
    subsets = {
        "all": np.ones(len(hard), bool),
        "hard": hard,
        "easy": ~hard,
        # any disagreement: more than one class with a positive share
        "disagree": (human > 0).sum(axis=1) > 1,
    }
    if name == "accuracy_vs_gold":
        return np.mean(p.argmax(1) == gold)
    if name == "accuracy_vs_human_mode":
        return M.top1_agreement_score(human, p)
    m = re.fullmatch(r"(ece|mce)_(all|hard|easy|disagree)_vs_(gold|human)", name)
    if m:
        kind, subset, ref = m.groups()
        y = gold if ref == "gold" else human
        extra = {"labels": np.arange(p.shape[1])} if ref == "gold" else {}
        return M.expected_calibration_error(
            y[subsets[subset]],
            p[subsets[subset]],
            norm="l1" if kind == "ece" else "max",
            **extra,
        )
    m = re.fullmatch(r"(cross_entropy|kl|jsd)_(all|hard|disagree)_vs_human", name)
    if m:
        fn = {
            "cross_entropy": M.soft_log_loss,
            "kl": M.kl_divergence,
            "jsd": M.js_divergence,
        }[m.group(1)]
        mask = subsets[m.group(2)]
        return fn(human[mask], p[mask])
    if name == "entropy_calibration_error_vs_human":
        return M.entropy_calibration_error(human, p)
    if name == "ranking_calibration_vs_human":
        return M.ranking_calibration_score(human, p)
    if name == "distribution_calibration_error_vs_human":
        return M.distribution_calibration_error(human, p)
    if name == "spearman_entropy_vs_human":
        return stats.spearmanr(_rounded_entropy(human), stats.entropy(p.T)).statistic
    if name == "spearman_confidence_vs_human":
        return stats.spearmanr(_rounded_entropy(human), p.max(1)).statistic
    if name.startswith("carto_spearman_"):
        key = name.split("_")[2]
        return stats.spearmanr(dyn[key], train_entropy).statistic
    if name == "spearman_gold_confidence_vs_human":
        gold_prob = p[np.arange(len(gold)), gold]
        if np.ptp(gold_prob) == 0:
            return math.nan
        return stats.spearmanr(_rounded_entropy(human), gold_prob).statistic
    if name == "target_spearman_confidence_vs_human":
        # the targets' probability of gold on the training rows (header)
        if np.ptp(target_prob) == 0:
            return math.nan  # one-hot or uniformly smoothed: constant
        return stats.spearmanr(np.round(target_prob, 10), train_entropy).statistic
    raise AssertionError(name)


def _holm_by_hand(p):
    """Holm's step-down adjusted p-values, written out as in the paper."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out, running = [0.0] * m, 0.0
    for j, i in enumerate(order):
        running = max(running, min(1.0, (m - j) * p[i]))
        out[i] = running
    return out


def _pitman_morgan_interval_by_search(a, b, ratio):
    from scipy.optimize import brentq

    def gap(r):
        return stats.pearsonr(a - r * b, a + r * b).pvalue - 0.05

    return brentq(gap, ratio * 1e-4, ratio), brentq(gap, ratio, ratio * 1e4)


def test_every_report_number_recomputes_from_runs_jsonl(report_dir):
    lines = (report_dir / "runs.jsonl").read_text().splitlines()
    header = json.loads(lines[0])
    runs = [json.loads(line) for line in lines[1:]]
    arms, seeds, ref = header["arms"], header["seeds"], header["reference"]
    gold = np.array(header["gold_test"])
    human = np.array(header["human_test"])
    hard = np.array(header["hard_mask"])
    assert np.array_equal(header["disagree_mask"], (human > 0).sum(axis=1) > 1)
    human_all = np.array(header["human"])
    train = np.array(header["folds"][0]["train"])
    train_entropy = _rounded_entropy(human_all[train])
    values = {}
    targets = header["arm_targets"]
    for run in runs:
        p = np.array(run["proba"])
        dyn = {k: np.array(v) for k, v in run["dynamics"][0].items()}
        prob = np.array(targets[run["arm"]]["label_probability"][0])
        for name in header["metrics"]:
            values.setdefault((run["arm"], name), []).append(
                float(_recompute(name, p, gold, human, hard, dyn, train_entropy, prob))
            )
            # the stored value is the same number (nan is stored as null)
            stored = run["metrics"][name]
            assert (math.nan if stored is None else stored) == pytest.approx(
                values[(run["arm"], name)][-1], abs=1e-12, nan_ok=True
            )
    # the baselines, by hand from the header: the training rows' gold counts
    gold_all = np.array(header["gold"])
    k = human.shape[1]
    counts = np.bincount(gold_all[train], minlength=k)
    majority = np.zeros((len(gold), k))
    majority[:, np.argmax(counts)] = 1.0
    prior = np.tile(counts / counts.sum(), (len(gold), 1))
    for bname, bp in (("majority", majority), ("class_prior", prior)):
        for name in header["metrics"]:
            if name.startswith(("carto_", "target_")):
                continue  # no training rows: not a trained model
            with np.errstate(divide="ignore"):
                v = float(_recompute(name, bp, gold, human, hard, None, None))
            values[(bname, name)] = [v] if math.isfinite(v) else [math.nan]
    assert len(runs) == len(arms) * len(seeds)

    def cell(arm, name):
        if arm.endswith(" (baseline)"):  # one value, no seeds
            v = values.get((arm.split("`")[0], name), [math.nan])[0]
            return _f(v) if math.isfinite(v) else "n/a"
        v = np.array(values[(arm, name)])
        if not np.isfinite(v).all():
            return "n/a ± n/a"
        return f"{_f(v.mean())} ± {_f(np.std(v, ddof=1))}"

    md = (report_dir / "report.md").read_text()
    tables = _tables(md)
    checked = 0
    # comparison table
    comp = tables["Comparison (mean ± std over seeds)"]
    names = comp[0][1:]
    for row in comp[1:]:
        arm = row[0].strip("`")
        for name, text in zip(names, row[1:]):
            assert text == cell(arm, name), (arm, name)
            checked += 1
    # effects table and the table against the temperature control: intervals,
    # and marks from an independent Holm adjustment over both tables
    eff = tables[f"Effects: arm - `{ref}`, paired by seed (95% t-interval)"]
    ctrl = tables["Soft arms vs the temperature control: arm - `gold_temperature`"]
    # the item bootstrap intervals, from effects.csv (tested in test_stats.py)
    import csv

    with open(report_dir / "effects.csv") as fh:
        boot = {
            (r["arm"], r["metric"], against): (
                float(r[lo] or "nan"),
                float(r[hi] or "nan"),
            )
            for r in csv.DictReader(fh)
            for against, lo, hi in (
                (ref, "boot_ci_low", "boot_ci_high"),
                ("gold_temperature", "control_boot_ci_low", "control_boot_ci_high"),
            )
        }
    same_items = np.array_equal(header["disagree_mask"], hard)
    cells = []  # (text, a, b, name, arm, against)
    for table, against in ((eff, ref), (ctrl, "gold_temperature")):
        names = table[0][1:]
        for row in table[1:]:
            arm = row[0].strip("`")
            if arm.endswith("(baseline, untested)"):
                # baseline - reference over the reference's seeds, no mark
                bname = arm.split("`")[0]
                for name, text in zip(names, row[1:]):
                    b = np.array(values[(against, name)])
                    v = values.get((bname, name), [math.nan])[0]
                    if not math.isfinite(v):
                        assert text == "n/a", (bname, name)
                        continue
                    ci = stats.ttest_rel(np.full(b.size, v), b).confidence_interval()
                    expected = f"{_f(v - b.mean())} [{_f(ci.low)}, {_f(ci.high)}]"
                    assert text == expected, (bname, name)
                    checked += 1
                continue
            for name, text in zip(names, row[1:]):
                a = np.array(values[(arm, name)])
                b = np.array(values[(against, name)])
                cells.append((text, a, b, name, arm, against))
    index = {(c[4], c[3], c[5]): i for i, c in enumerate(cells)}

    def twin(i):
        """The _hard_ cell a _disagree_ cell repeats (same items), or None."""
        _, _, _, name, arm, against = cells[i]
        if not same_items or "_disagree_" not in name:
            return None
        return index.get((arm, name.replace("_disagree_", "_hard_"), against))

    tested = [
        i
        for i, (_, a, b, name, _, _) in enumerate(cells)
        if not METRICS[name]["descriptive"] and not np.all(a == b)
    ]
    once = [i for i in tested if twin(i) is None]
    pvals = [stats.ttest_rel(cells[i][1], cells[i][2]).pvalue for i in once]
    adjusted = dict(zip(once, _holm_by_hand(pvals)))
    for i in tested:
        if twin(i) is not None:
            adjusted[i] = adjusted[twin(i)]
    tested = once
    assert f"Holm's adjustment over the report's {len(tested)} tests" in md
    for i, (text, a, b, name, arm, against) in enumerate(cells):
        ci = stats.ttest_rel(a, b).confidence_interval(0.95)
        expected = f"{_f(np.mean(a - b))} [{_f(ci.low)}, {_f(ci.high)}]"
        assert text.rstrip(" ▲▼△▽") == expected, name
        higher = METRICS[name]["better"] == "higher"
        good = ci.low > 0 if higher else ci.high < 0
        bad = ci.high < 0 if higher else ci.low > 0
        # a mark survives both noises: Holm over seeds and the item interval
        lo, hi = boot[(arm, name, against)]
        items_good = lo > 0 if higher else hi < 0
        items_bad = hi < 0 if higher else lo > 0
        holm = adjusted.get(i, 1.0) <= 0.05
        if METRICS[name]["descriptive"]:
            assert text == expected  # no mark
            checked += 1
            continue
        assert text.endswith("▲") == (good and holm and items_good), name
        assert text.endswith("▼") == (bad and holm and items_bad), name
        marked = text.endswith(("▲", "▼"))
        assert text.endswith("△") == (good and not marked), name
        assert text.endswith("▽") == (bad and not marked), name
        checked += 1
    # stability table: the Pitman-Morgan interval as the ratios R at which
    # Pearson's test of (a - R b, a + R b) has p = 0.05, and its p-value
    stab = tables["Stability over seeds"]
    for row in stab[1:]:
        arm = row[0].strip("`")
        for k, name in enumerate(("ece_hard_vs_human", "accuracy_vs_gold")):
            a, b = np.array(values[(arm, name)]), np.array(values[(ref, name)])
            assert row[1 + 5 * k] == _f(np.std(a, ddof=1))
            if arm != ref and np.std(b) > 0 and np.std(a) > 0 and np.any(a != b):
                r = np.std(a, ddof=1) / np.std(b, ddof=1)
                lo, hi = _pitman_morgan_interval_by_search(a, b, r)
                assert row[2 + 5 * k] == f"{_f(r)} [{_f(lo)}, {_f(hi)}]"
                p = stats.pearsonr(a - b, a + b).pvalue
                assert row[3 + 5 * k].startswith(f"{_f(p)} [")
            checked += 2
        curves = [r["history"][0]["train_loss"] for r in runs if r["arm"] == arm]
        spread = np.std(np.array(curves), axis=0, ddof=1).mean()
        # 3 significant digits below 0.1 (a small spread must not read 0.000)
        assert row[-1] == (_f(spread) if spread >= 0.1 else f"{spread:.3g}")
        checked += 1
    # appendix: every metric
    full = tables["All metrics (mean ± std over seeds)"]
    for row in full[1:]:
        name = row[0].strip("`")
        reference = METRICS[name]["reference"]
        if reference.startswith("human"):
            reference = "simulated " + reference
        assert row[1] == reference
        for arm, text in zip(
            [*arms, "majority` (baseline)", "class_prior` (baseline)"],
            row[3:],
            strict=True,
        ):
            assert text == cell(arm, name), (arm, name)
            checked += 1
    assert checked > 200
    # provenance numbers
    prov = dict((r[0], r[1]) for r in tables["Provenance"][1:])
    gold_all = np.array(header["gold"])
    shift = human_all.argmax(1) != gold_all
    test = np.array(header["test_index"])
    rates = prov["mode-shift rate (human mode != gold): all / test / hard test"]
    assert rates == " / ".join(
        f"{100 * r:.1f}%"
        for r in (shift.mean(), shift[test].mean(), shift[test][hard].mean())
    )
    assert prov["samples / classes"] == f"{len(human_all)} / {human_all.shape[1]}"
    assert prov["test samples / hard test samples"].startswith(
        f"{len(test)} / {int(hard.sum())} "
    )
    # the reading quotes the headline effects (and the mode-shift control)
    reading = md.split("## Reading")[1].split("\n## ")[0]
    for arm in ("human_soft", "human_soft_gold_mode", "smoothed", "teacher"):
        a = np.array(values[(arm, "ece_hard_vs_human")])
        b = np.array(values[(ref, "ece_hard_vs_human")])
        ci = stats.ttest_rel(a, b).confidence_interval(0.95)
        effect = f"{_f(np.mean(a - b))} [{_f(ci.low)}, {_f(ci.high)}]"
        assert f"difference {effect}" in reading
        assert f"`{arm}` calibrates" in reading or f"`{arm}` shows" in reading
    for arm in ("human_mode", "human_soft_gold_mode"):
        a = np.array(values[(arm, "ece_hard_vs_human")])
        b = np.array(values[(ref, "ece_hard_vs_human")])
        ci = stats.ttest_rel(a, b).confidence_interval(0.95)
        assert f"by {_f(np.mean(a - b))} [{_f(ci.low)}, {_f(ci.high)}]" in reading
    for arm in ("human_soft", "smoothed"):
        for name in ("ece_hard_vs_human", "accuracy_vs_gold"):
            a = np.array(values[(arm, name)])
            b = np.array(values[(ref, name)])
            ratio = _f(np.std(a, ddof=1) / np.std(b, ddof=1))
            assert f"`{name}` ratio {ratio}" in reading


def test_report_states_reference_and_simulation(report_dir):
    md = (report_dir / "report.md").read_text()
    assert "**The human labels in this audit are simulated**" in md
    assert "hard test samples against the simulated human labels" in md
    assert "seed spread" in md
    # the data-map reading names simulated uncertainty as such
    assert "Data maps against simulated human uncertainty" in md
    assert "the simulated annotators disagree on" in md
    assert "people disagree" not in md
    assert " with human uncertainty" not in md
    for arm in DEFAULT_ARMS:
        assert (report_dir / f"reliability_{arm}.png").exists()
        assert f"(reliability_{arm}.png)" in md
    for name in ("data_maps.png", "metric_spread.png", "training_curves.png"):
        assert (report_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_small_spreads_keep_their_digits():
    # a loss-curve spread of 0.0004 must not read as 0.000 (seeds agreeing)
    from sksoft.audit._report import fmt, fmt_sig

    assert fmt(0.0004123) == "0.000"
    assert fmt_sig(0.0004123) == "0.000412"
    assert fmt_sig(0.0123) == "0.0123"
    assert fmt_sig(0.5) == fmt(0.5) == "0.500"
    assert fmt_sig(0.0) == "0.000"
    assert fmt_sig(float("nan")) == fmt_sig(None) == "n/a"


def test_results_csv(report_dir, result):
    import pandas as pd

    # pandas < 3 parses floats with a fast parser off by one ulp unless asked for
    # round trips (pandas 3 round-trips by default and deprecates the option)
    old_pandas = int(pd.__version__.split(".")[0]) < 3
    exact = {"float_precision": "round_trip"} if old_pandas else {}
    frame = pd.read_csv(report_dir / "results.csv", **exact)
    assert list(frame.columns[:3]) == ["arm", "seed", "fit_time_s"]
    assert len(frame) == len(result.runs) + 2  # and the two baselines
    assert list(frame.kind) == ["trained"] * len(result.runs) + ["baseline"] * 2
    assert list(frame.arm[-2:]) == ["majority", "class_prior"]
    base = result.baselines()
    for _, row in frame[frame.kind == "baseline"].iterrows():
        assert math.isnan(row["seed"]) and math.isnan(row["fit_time_s"])
        assert (
            row["accuracy_vs_gold"] == base[row["arm"]]["metrics"]["accuracy_vs_gold"]
        )
    for run, (_, row) in zip(result.runs, frame.iterrows()):
        assert row["arm"] == run["arm"] and row["seed"] == run["seed"]
        assert row["ece_hard_vs_human"] == run["metrics"]["ece_hard_vs_human"]
    effects = pd.read_csv(report_dir / "effects.csv")
    assert len(effects) == len(result.arms) * len(result.scores)
    # a descriptive metric has no direction in the "better" column either
    descriptive = effects.metric == "carto_spearman_variability_vs_human"
    assert descriptive.any()
    assert set(effects.better[descriptive]) == {"descriptive"}
    assert set(effects.better[~descriptive]) == {"higher", "lower"}


# ---------------------------------------------------------------- the result


def test_result_fields_are_documented(result):
    import dataclasses

    from sksoft.audit import AuditResult

    public = [f.name for f in dataclasses.fields(AuditResult) if f.init]
    attributes = AuditResult.__doc__.split("Attributes")[1].split("See Also")[0]
    documented = re.findall(r"^    (\w+) : ", attributes, flags=re.M)
    assert public == documented
    assert all(
        getattr(result, name) is not None
        for name in public
        # seed_splits is None under the default seed design (one split)
        if "gold" not in name and name != "seed_splits"
    )


def test_statistics_are_computed_once_and_returned_as_copies(result):
    rows = result.effects()
    rows[0]["diff"] = 123.0
    assert result.effects()[0]["diff"] != 123.0
    # another confidence is computed afresh, against scipy's paired t-test
    at90 = {(r["arm"], r["metric"]): r for r in result.effects(confidence=0.9)}
    mat = result.scores["ece_hard_vs_human"]
    i = result.arms.index("smoothed")
    ci = stats.ttest_rel(mat[i], mat[0]).confidence_interval(0.9)
    assert at90[("smoothed", "ece_hard_vs_human")]["ci_low"] == pytest.approx(ci.low)
    spreads = {(r["arm"], r["metric"]): r for r in result.spreads()}
    s = spreads[("smoothed", "accuracy_vs_gold")]
    a = result.scores["accuracy_vs_gold"]
    sd_ref = np.std(a[0], ddof=1)
    if sd_ref > 0:
        assert s["ratio"] == pytest.approx(np.std(a[i], ddof=1) / sd_ref)
    else:
        assert math.isnan(s["ratio"])
