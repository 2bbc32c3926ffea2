"""Tests of sksoft.evaluation (evaluate_predictions, EvaluationResult,
evaluate_main) against the metric functions, sklearn, scipy and Baan et al.'s
published Table 1."""

import gzip
import json
import math

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import accuracy_score, log_loss

import sksoft
from sksoft import evaluate_predictions
from sksoft.calibration import fit_temperature
from sksoft.evaluation import (
    METRICS,
    evaluate_main,
    metric_specs,
    weighted_values,
)
from sksoft.metrics import (
    distribution_calibration_error,
    entropy_calibration_error,
    expected_calibration_error,
    js_divergence,
    kl_divergence,
    ranking_calibration_score,
    soft_log_loss,
    top1_agreement_score,
)
from sksoft.targets import hard_labels, hard_sample_mask

HUMAN_FUNCS = {
    "top1_agreement_vs_human": lambda h, p, t: top1_agreement_score(h, p, ties=t),
    "ranking_calibration_vs_human": lambda h, p, t: ranking_calibration_score(
        h, p, ties=t
    ),
    "entropy_calibration_error_vs_human": lambda h, p, t: entropy_calibration_error(
        h, p
    ),
    "distribution_calibration_error_vs_human": lambda h, p, t: (
        distribution_calibration_error(h, p)
    ),
    "kl_vs_human": lambda h, p, t: kl_divergence(h, p),
    "jsd_vs_human": lambda h, p, t: js_divergence(h, p),
    "cross_entropy_vs_human": lambda h, p, t: soft_log_loss(h, p),
    "ece_vs_human": lambda h, p, t: expected_calibration_error(h, p, n_bins=8),
    "ece_vs_human_mode": lambda h, p, t: expected_calibration_error(
        hard_labels(h), p, n_bins=8, labels=np.arange(h.shape[1])
    ),
}


@pytest.fixture
def problem():
    """Simulated 8-vote human counts, gold labels and two models (two seeds)."""
    rng = np.random.default_rng(0)
    n, k = 240, 3
    truth = rng.dirichlet(np.ones(k) * 0.8, size=n)
    counts = np.stack([rng.multinomial(8, t) for t in truth])
    gold = np.array([rng.choice(k, p=t) for t in truth])
    z = np.log(truth + 0.05)
    seeds = [softmax(2.5 * (z + rng.normal(0, 0.5, z.shape)), axis=1) for _ in range(2)]
    other = rng.dirichlet(np.ones(k), size=n)
    return counts, gold, {"sharp": seeds, "random": other}


def _row(result, model, metric, subset="all", seed="pooled"):
    frame = result.to_frame()
    sel = frame[
        (frame.model == model)
        & (frame.metric == metric)
        & (frame.subset == subset)
        & (frame.seed == seed)
    ]
    assert len(sel) == 1
    return sel.iloc[0]


@pytest.mark.parametrize("ties", ["sksoft", "baan2022"])
def test_values_equal_the_metric_functions(problem, ties):
    counts, gold, probs = problem
    res = evaluate_predictions(
        probs, counts=counts, gold=gold, n_bins=8, ties=ties, n_bootstrap=0
    )
    human = counts / counts.sum(axis=1, keepdims=True)
    hard = hard_sample_mask(human, hard_fraction=0.2)
    assert res.hard_share == pytest.approx(hard.mean())
    np.testing.assert_array_equal(res.hard_mask, hard)
    subsets = {"all": np.ones(len(hard), bool), "hard": hard, "easy": ~hard}
    seeds = probs["sharp"]
    for metric, func in HUMAN_FUNCS.items():
        for sub, m in subsets.items():
            per_seed = [func(human[m], p[m], ties) for p in seeds]
            for s, v in enumerate(per_seed):
                assert res.score("sharp", metric, subset=sub, seed=f"seed{s}") == (
                    pytest.approx(v, rel=1e-10, abs=1e-12)
                ), (metric, sub)
            assert res.score("sharp", metric, subset=sub) == pytest.approx(
                np.mean(per_seed), rel=1e-10, abs=1e-12
            )
    p = probs["random"]
    assert res.score("random", "accuracy_vs_gold") == pytest.approx(
        accuracy_score(gold, p.argmax(1))
    )
    assert res.score("random", "cross_entropy_vs_gold") == pytest.approx(
        log_loss(gold, p, labels=[0, 1, 2])
    )
    assert res.score("random", "ece_vs_gold", subset="hard") == pytest.approx(
        expected_calibration_error(gold[hard], p[hard], n_bins=8, labels=[0, 1, 2])
    )
    # a single-seed model has pooled rows only
    assert set(res.to_frame().query("model == 'random'").seed) == {"pooled"}
    assert res.n_seeds == {"sharp": 2, "random": 1}


def test_bootstrap_statistics_equal_the_metrics_on_resampled_items(problem):
    """The vectorised resample statistics equal the metric functions applied to
    the explicitly resampled items (integer multiplicities)."""
    counts, gold, probs = problem
    human = counts / counts.sum(axis=1, keepdims=True)
    p = probs["sharp"][0]
    hard = hard_sample_mask(human, hard_fraction=0.2)
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(p), size=len(p))
    w = np.bincount(idx, minlength=len(p)).astype(float)[None, :]
    specs = {s.name: s for s in metric_specs("evaluate") if s.items is not None}
    refs = {"human": human, "gold": gold, "human_mode": hard_labels(human)}

    def resampled(name, m):
        spec = specs[name]
        terms = spec.items(refs[spec.reference][m], p[m], 8, "sksoft")
        return weighted_values([terms], w[:, m])[0, 0]

    got = {
        name: {sub: [resampled(name, m)] for sub, m in (("all", all_), ("hard", hard))}
        for name in specs
        for all_ in [np.ones(len(p), bool)]
    }
    for sub, m in (("all", np.ones(len(p), bool)), ("hard", hard)):
        sel = idx[m[idx]]
        for metric, func in HUMAN_FUNCS.items():
            assert got[metric][sub][0] == pytest.approx(
                func(human[sel], p[sel], "sksoft"), rel=1e-10, abs=1e-12
            ), (metric, sub)
        assert got["accuracy_vs_gold"][sub][0] == pytest.approx(
            accuracy_score(gold[sel], p[sel].argmax(1))
        )
        assert got["ece_vs_gold"][sub][0] == pytest.approx(
            expected_calibration_error(gold[sel], p[sel], n_bins=8, labels=[0, 1, 2])
        )


def test_intervals_are_paired_and_sized_like_the_normal_approximation(problem):
    counts, _, probs = problem
    res = evaluate_predictions(
        {"a": probs["random"], "b": probs["random"].copy(), "c": probs["sharp"][0]},
        counts=counts,
        n_bootstrap=2000,
        random_state=3,
    )
    diffs = res.to_frame("differences")
    same = diffs[(diffs.model == "b") & (diffs.baseline == "a")]
    assert (same.difference == 0).all()
    # no interval exactly for the metrics that are not sums over items
    no_items = {s.name for s in metric_specs("evaluate") if s.items is None}
    assert set(same[same.ci_low.isna()].metric) == no_items & set(same.metric)
    bounded = same[~same.metric.isin(no_items)]
    assert (bounded.ci_low == 0).all() and (bounded.ci_high == 0).all()
    # top-1 agreement is a proportion: the percentile interval has about the
    # normal width 2 * 1.96 * sqrt(q (1 - q) / n)
    row = _row(res, "c", "top1_agreement_vs_human")
    q, n = row.value, res.n_samples
    width = row.ci_high - row.ci_low
    assert width == pytest.approx(2 * 1.96 * math.sqrt(q * (1 - q) / n), rel=0.15)
    assert row.ci_low < row.value < row.ci_high
    # pairing: for a mean metric the paired difference interval has the
    # normal width of the mean per-item difference, 2 * 1.96 * sd(d) / sqrt(n)
    sel = diffs[
        (diffs.model == "c")
        & (diffs.baseline == "a")
        & (diffs.metric == "distribution_calibration_error_vs_human")
        & (diffs.subset == "all")
    ].iloc[0]
    human = counts / counts.sum(axis=1, keepdims=True)
    d = distribution_calibration_error(
        human, probs["sharp"][0], per_sample=True
    ) - distribution_calibration_error(human, probs["random"], per_sample=True)
    assert sel.difference == pytest.approx(d.mean())
    assert sel.ci_high - sel.ci_low == pytest.approx(
        2 * 1.96 * d.std() / math.sqrt(n), rel=0.15
    )
    # reproducible
    again = evaluate_predictions(
        {"a": probs["random"], "b": probs["random"].copy(), "c": probs["sharp"][0]},
        counts=counts,
        n_bootstrap=2000,
        random_state=3,
    )
    assert again.to_frame().equals(res.to_frame())


def test_hard_share_reports_ties():
    # 4 votes over 2 classes: entropies take 3 values, ties make 20% mean more
    rng = np.random.default_rng(0)
    counts = rng.multinomial(4, [0.5, 0.5], size=100)
    probs = {"m": rng.dirichlet(np.ones(2), size=100)}
    res = evaluate_predictions(probs, counts=counts, n_bootstrap=0)
    share = np.mean(counts[:, 0] == 2)  # the 2-2 rows have the top entropy
    assert res.hard_share == pytest.approx(share)
    assert res.hard_share > 0.2


def test_fixed_and_fitted_temperature():
    rng = np.random.default_rng(4)
    z = rng.normal(0, 1.5, size=(600, 4))
    human = softmax(z, axis=1)
    overconfident = softmax(2.0 * z, axis=1)  # T = 2 recovers the humans
    assert fit_temperature(human, overconfident) == pytest.approx(2.0, rel=1e-4)
    res = evaluate_predictions(
        {"m": overconfident}, soft_labels=human, temperature=2, n_bootstrap=0
    )
    assert res.models == ("m", "m (T=2)")
    assert res.temperatures == {"m": None, "m (T=2)": 2.0}
    assert res.score("m (T=2)", "kl_vs_human") == pytest.approx(0.0, abs=1e-12)
    assert res.score("m", "kl_vs_human") == pytest.approx(
        kl_divergence(human, overconfident)
    )
    fit = evaluate_predictions(
        {"m": overconfident}, soft_labels=human, temperature="fit", n_bootstrap=0
    )
    name = "m (T fitted, cross-fitted)"
    (temps,) = fit.temperatures[name]  # one seed, five folds
    assert len(temps) == 5
    np.testing.assert_allclose(temps, 2.0, rtol=1e-4)
    assert fit.score(name, "kl_vs_human") < 1e-6
    # the fitted temperature minimises the soft log loss (grid check)
    p = rng.dirichlet(np.ones(4) * 0.3, size=300)
    h = rng.dirichlet(np.ones(4), size=300)
    t_hat = fit_temperature(h, p)  # the audit's temperature fit
    # over sksoft.calibration's bounds, exp(-10)..exp(10), which cover the
    # former 0.05..20 of evaluate (here the optimum lies above 20)
    grid = np.geomspace(0.05, 2000, 4001)
    logp = np.log(p + 1e-12)  # fit_temperature's logits
    losses = [soft_log_loss(h, softmax(logp / t, axis=1)) for t in grid]
    assert t_hat == pytest.approx(grid[int(np.argmin(losses))], rel=0.01)


def test_reads_npy_and_csv(tmp_path, problem):
    counts, gold, probs = problem
    p = probs["random"]
    np.save(tmp_path / "p.npy", p)
    np.savetxt(tmp_path / "p.csv", p, delimiter=",", header="e,n,c", comments="")
    np.savetxt(tmp_path / "c.csv", counts, delimiter=",", fmt="%d")
    np.save(tmp_path / "g.npy", gold)
    from_files = evaluate_predictions(
        {"npy": str(tmp_path / "p.npy"), "csv": tmp_path / "p.csv"},
        counts=str(tmp_path / "c.csv"),
        gold=tmp_path / "g.npy",
        n_bootstrap=0,
    )
    direct = evaluate_predictions(
        {"npy": p, "csv": p}, counts=counts, gold=gold, n_bootstrap=0
    )
    a, b = from_files.to_frame(), direct.to_frame()
    np.testing.assert_allclose(a.value, b.value, rtol=1e-12)
    # a matrix given as nested lists is one seed, not one seed per row
    as_lists = evaluate_predictions({"m": p.tolist()}, counts=counts, n_bootstrap=0)
    assert as_lists.n_seeds == {"m": 1}
    assert as_lists.score("m", "kl_vs_human") == pytest.approx(
        direct.score("npy", "kl_vs_human")
    )
    # gold given as class names
    names = np.array(["e", "n", "c"])
    named = evaluate_predictions(
        {"m": p}, counts=counts, gold=names[gold], classes=names, n_bootstrap=0
    )
    assert named.score("m", "accuracy_vs_gold") == pytest.approx(
        accuracy_score(gold, p.argmax(1))
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(probs={}), "non-empty dict"),
        (dict(probs={"m": np.ones((5, 3)) / 3}), "shape"),  # counts have 10 rows
        (dict(probs={"m": np.ones((10, 2)) / 2}), "shape"),
        (dict(probs={"m": np.full((10, 3), np.nan)}), "NaN"),
        (dict(probs={"m": np.full((10, 3), np.inf)}), "infinity|NaN"),
        (dict(probs={"m": np.full((10, 3), 0.5)}), "sum to 1"),
        (dict(probs={"m": np.ones(10)}), "2-D"),
        (dict(probs={"m": [np.ones((10, 3)) / 3, np.ones((9, 3)) / 3]}), "shape"),
        (
            dict(probs={"a": np.ones((10, 3)) / 3, "b": np.ones((10, 2)) / 2}),
            "classes",
        ),
        (dict(probs={"m": np.ones((10, 3)) / 3}, counts=None), "exactly one"),
        (
            dict(probs={"m": np.ones((10, 3)) / 3}, soft_labels=np.ones((10, 3)) / 3),
            "exactly one",
        ),
        (dict(probs={"m": np.ones((10, 3)) / 3}, gold=np.arange(9) % 3), "9 labels"),
        (dict(probs={"m": np.ones((10, 3)) / 3}, gold=np.arange(10)), r"0\.\.2"),
        (dict(probs={"m": np.ones((10, 3)) / 3}, gold=np.full(10, "x")), "classes"),
        (
            dict(
                probs={"m": np.ones((10, 3)) / 3},
                gold=np.full(10, "x"),
                classes=["e", "n", "c"],
            ),
            "not one of classes",
        ),
        (dict(probs={"m": np.ones((10, 3)) / 3}, classes=["e", "n"]), "3 names"),
        (dict(probs={"m": "missing.npy"}), "file not found"),
        (dict(probs={"": np.ones((10, 3)) / 3}), "non-empty strings"),
    ],
)
def test_bad_input_raises(kwargs, match):
    base = dict(counts=np.tile([5, 3, 2], (10, 1)), n_bootstrap=0)
    base.update(kwargs)
    if base.get("counts", 1) is None:
        del base["counts"]
    with pytest.raises(ValueError, match=match):
        evaluate_predictions(**base)


def test_bad_counts_and_options_raise():
    p = {"m": np.ones((4, 2)) / 2}
    with pytest.raises(ValueError, match="negative|counts"):
        evaluate_predictions(p, counts=[[1, -1]] * 4)
    with pytest.raises(ValueError, match="ties"):
        evaluate_predictions(p, counts=[[1, 1]] * 4, ties="first")
    with pytest.raises(ValueError, match="temperature"):
        evaluate_predictions(p, counts=[[1, 1]] * 4, temperature=0)
    with pytest.raises(ValueError, match="hard_fraction"):
        evaluate_predictions(p, counts=[[1, 1]] * 4, hard_fraction=1.0)


def test_zero_probability_gives_infinite_kl_not_a_crash():
    counts = np.array([[3, 1], [2, 2], [4, 0], [1, 3]])
    p = np.array([[1.0, 0.0], [0.5, 0.5], [1.0, 0.0], [0.2, 0.8]])
    res = evaluate_predictions({"m": p}, counts=counts, n_bootstrap=50)
    assert res.score("m", "kl_vs_human") == np.inf
    assert np.isfinite(res.score("m", "jsd_vs_human"))


def test_write_report(tmp_path, problem):
    import pandas as pd

    counts, gold, probs = problem
    res = evaluate_predictions(
        probs, counts=counts, gold=gold, temperature=2, n_bootstrap=100
    )
    out = res.write_report(tmp_path / "rep")
    files = sorted(p.name for p in (tmp_path / "rep").iterdir())
    assert {"report.md", "results.csv", "differences.csv"} <= set(files)
    assert len([f for f in files if f.startswith("reliability_")]) == 4
    text = (tmp_path / "rep" / "report.md").read_text()
    for metric in METRICS:
        assert f"`{metric}`" in text
    assert "actual share" in text and f"{res.hard_share:.3f}" in text
    assert "item sampling only" in text
    assert "sharp (T=2)" in text
    csv = pd.read_csv(tmp_path / "rep" / "results.csv")
    assert len(csv) == len(res.scores)
    assert str(out) == str(tmp_path / "rep")


def test_evaluate_main(tmp_path, problem, capsys):
    counts, gold, probs = problem
    for s, p in enumerate(probs["sharp"]):
        np.save(tmp_path / f"s{s}.npy", p)
    np.save(tmp_path / "c.npy", counts)
    np.save(tmp_path / "g.npy", gold)
    argv = [
        "--probs",
        f"sharp={tmp_path / 's0.npy'},{tmp_path / 's1.npy'}",
        "--counts",
        str(tmp_path / "c.npy"),
        "--gold",
        str(tmp_path / "g.npy"),
        "--ties",
        "baan2022",
        "--temperature",
        "2",
        "--n-bootstrap",
        "50",
        "--out",
        str(tmp_path / "rep"),
    ]
    assert evaluate_main(argv) == 0
    frame = __import__("pandas").read_csv(tmp_path / "rep" / "results.csv")
    assert set(frame.model) == {"sharp", "sharp (T=2)"}
    assert {"seed0", "seed1", "pooled"} == set(frame.seed)
    capsys.readouterr()
    bad = [
        ["--probs", "sharp", "--counts", "c.npy", "--out", "x"],  # no '='
        ["--probs", f"m={tmp_path / 'nope.npy'}", "--counts", "c.npy", "--out", "x"],
        argv[:-1] + [str(tmp_path / "rep2"), "--temperature", "hot"],
        ["--probs", f"m={tmp_path / 's0.npy'}", "--out", "x"],  # no human labels
        [
            "--probs",
            f"m={tmp_path / 's0.npy'}",
            "--counts",
            str(tmp_path / "g.npy"),
            "--out",
            "x",
        ],  # 1-D counts
    ]
    for args in bad:
        assert evaluate_main(args) == 2, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        assert "error" in err


def test_exported():
    assert sksoft.evaluate_predictions is evaluate_predictions
    assert "evaluate_predictions" in sksoft.__all__
    assert "EvaluationResult" in sksoft.__all__


# --------------------------------------- Baan et al. (2022), Table 1 values

# The "Generate Table 1" cell of analysis.ipynb in the repository
# jsbaan/calibration-on-disagreement-data (commit f2581e6), which computes the
# paper's Table 1: RoBERTa-base seeds 0-2 on ChaosNLI-SNLI, raw and with
# temperature 2. (Acc, ECE vs human majority with 10 bins, RankCS, EntCE,
# DistCE), printed to 3 decimals.
TABLE1 = {
    1: [(0.740, 0.147, 0.625, 0.310, 0.259), (0.736, 0.119, 0.596, 0.273, 0.249),
        (0.752, 0.141, 0.627, 0.314, 0.261)],
    2: [(0.740, 0.036, 0.625, 0.208, 0.217), (0.736, 0.030, 0.596, 0.236, 0.222),
        (0.752, 0.020, 0.627, 0.198, 0.214)],
}  # fmt: skip
TABLE1_METRICS = (
    "top1_agreement_vs_human",
    "ece_vs_human_mode",
    "ranking_calibration_vs_human",
    "entropy_calibration_error_vs_human",
    "distribution_calibration_error_vs_human",
)


def _read_chaosnli_snli(root):
    """Human counts ([e, n, c]) and the three RoBERTa seeds' ``probs`` fields
    reordered from [e, c, n] to [e, n, c], joined on uid (a private reader)."""
    path = root / "chaosnli"
    preds = path / "predictions-baan2022"
    files = [path / "chaosNLI_snli.jsonl"] + [
        preds / f"SNLI_{split}_roberta-base_{s}.json.gz"
        for s in range(3)
        for split in ("dev", "test")
    ]
    if not all(f.exists() for f in files):
        pytest.skip(
            f"ChaosNLI-SNLI or the Baan et al. predictions missing under {path}"
        )
    with open(files[0], encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    seeds = []
    for s in range(3):
        by_uid = {}
        for split in ("dev", "test"):
            name = preds / f"SNLI_{split}_roberta-base_{s}.json.gz"
            with gzip.open(name, "rt", encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        rec = json.loads(line)
                        by_uid[rec["uid"]] = rec["probs"]
        seeds.append(np.array([by_uid[it["uid"]] for it in items])[:, [0, 2, 1]])
    counts = np.array([it["label_count"] for it in items])
    return counts, seeds


def test_evaluate_predictions_reproduces_baan2022_table1(data_dir):
    counts, seeds = _read_chaosnli_snli(data_dir)
    res = evaluate_predictions(
        {"RoBERTa": seeds},
        counts=counts,
        classes=["entailment", "neutral", "contradiction"],
        n_bins=10,
        ties="baan2022",
        temperature=2,
        n_bootstrap=0,
    )
    assert res.n_samples == 1514
    for t, model in ((1, "RoBERTa"), (2, "RoBERTa (T=2)")):
        for s, row in enumerate(TABLE1[t]):
            got = tuple(
                round(res.score(model, m, seed=f"seed{s}"), 3) for m in TABLE1_METRICS
            )
            assert got == row, (t, s)


def test_disagree_subset_is_the_items_with_any_disagreement(tmp_path):
    # rows 0..29 unanimous, the rest split: the disagree subset is rows 30..
    rng = np.random.default_rng(3)
    counts = rng.multinomial(6, [0.5, 0.3, 0.2], size=90)
    counts[:30] = [6, 0, 0]
    counts[30:] = np.where(
        counts[30:].max(1, keepdims=True) == 6, [4, 2, 0], counts[30:]
    )
    p = rng.dirichlet(np.ones(3), size=90)
    result = evaluate_predictions({"m": p}, counts=counts, n_bootstrap=20)
    human = counts / counts.sum(1, keepdims=True)
    mask = np.arange(90) >= 30
    # by hand: ECE against the human share of the predicted class, one bin set
    from sksoft.metrics import expected_calibration_error

    expected = expected_calibration_error(human[mask], p[mask], n_bins=15)
    assert result.score("m", "ece_vs_human", subset="disagree") == pytest.approx(
        expected
    )
    kl = np.mean([scipy_entropy(h, q) for h, q in zip(human[mask], p[mask])])
    assert result.score("m", "kl_vs_human", subset="disagree") == pytest.approx(kl)
    result.write_report(tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "| samples with any disagreement | 60 of 90 (66.7%;" in md
    assert "## Scores, disagree samples" in md
