"""``evaluate_predictions(annotators=...)`` (sksoft/evaluation/_budget.py)."""

import csv

import numpy as np
import pytest
from sklearn.utils import check_random_state

from sksoft import evaluate_predictions
from sksoft.evaluation._budget import SATURATION_TOLERANCE, saturation
from sksoft.sources import subsample_annotations
from sksoft.targets import counts_to_proba

N_VALUES = [1, 3, 10, 40]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    n = 150
    truth = rng.dirichlet([0.7, 0.7, 0.7], size=n)
    counts = np.stack([rng.multinomial(rng.integers(20, 31), t) for t in truth])
    p = rng.dirichlet([2, 2, 2], size=n) * 0.5 + truth * 0.5
    return counts, p


@pytest.fixture(scope="module")
def result(data):
    counts, p = data
    return evaluate_predictions(
        {"m": p},
        counts=counts,
        annotators=N_VALUES,
        n_draws=6,
        n_bootstrap=0,
        random_state=3,
    )


def _rows(result, metric):
    return sorted(
        (r for r in result.budget if r["metric"] == metric and r["model"] == "m"),
        key=lambda r: r["n_annotators"],
    )


def test_budget_equals_a_hand_loop_over_subsample_annotations(data, result):
    counts, p = data
    seed = check_random_state(3).randint(np.iinfo(np.int32).max)

    def cross_entropy(soft):
        return float(np.mean(-np.sum(soft * np.log(p), axis=1)))

    def accuracy_mode(soft):
        return float(np.mean(np.argmax(soft, 1) == np.argmax(p, 1)))

    for metric, fn in (
        ("cross_entropy_vs_human", cross_entropy),
        ("accuracy_vs_human_mode", accuracy_mode),
    ):
        rows = _rows(result, metric)
        assert [r["n_annotators"] for r in rows] == N_VALUES
        for row, n in zip(rows, N_VALUES):
            rng = check_random_state(seed)  # every n: the same seeded stream
            values = [
                fn(counts_to_proba(subsample_annotations(counts, n, random_state=rng)))
                for _ in range(6)
            ]
            assert row["mean"] == pytest.approx(np.mean(values), rel=1e-9)
            assert row["std"] == pytest.approx(np.std(values), rel=1e-9, abs=1e-12)
            lo, hi = np.quantile(values, [0.025, 0.975])
            assert row["ci_low"] == pytest.approx(lo) and row[
                "ci_high"
            ] == pytest.approx(hi)
            assert row["full"] == pytest.approx(fn(counts_to_proba(counts)), rel=1e-9)
            assert row["mean_annotations"] == pytest.approx(
                np.minimum(n, counts.sum(1)).mean()
            )
        # 40 >= every item's votes: all of them, exactly the full value
        assert rows[-1]["mean"] == pytest.approx(rows[-1]["full"], rel=1e-12)
        assert rows[-1]["std"] == pytest.approx(0.0, abs=1e-12)


def test_only_human_label_metrics_and_undefined_values_are_nan(result):
    metrics = {r["metric"] for r in result.budget}
    assert not any(m.endswith("_vs_gold") for m in metrics)
    assert "kl_vs_human" in metrics and "ece_vs_human_mode" in metrics
    # one vote per item: every human entropy is 0, the Spearman is undefined
    first = _rows(result, "spearman_entropy_vs_human")[0]
    assert np.isnan(first["mean"]) and not first["within_tolerance"]


def test_saturation_rule_by_hand():
    def rows(means, full):
        return [
            {
                "model": "m",
                "metric": "x",
                "n_annotators": n,
                "mean": v,
                "within_tolerance": abs(v - full) <= SATURATION_TOLERANCE * abs(full),
            }
            for n, v in zip([1, 3, 10, 50], means)
        ]

    # within 5% at 3, out again at 10: saturates only from 50 on
    assert saturation(rows([2.0, 1.02, 1.2, 1.01], 1.0)) == {("m", "x"): 50}
    assert saturation(rows([2.0, 1.04, 0.96, 1.0], 1.0)) == {("m", "x"): 3}
    assert saturation(rows([2.0, 1.5, 1.2, 1.1], 1.0)) == {("m", "x"): None}


def test_report_files_and_section(result, tmp_path):
    result.write_report(tmp_path, figures=False)
    with open(tmp_path / "budget.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == len(result.budget)
    assert {"n_annotators", "mean", "ci_low", "ci_high", "full"} <= set(table[0])
    text = (tmp_path / "report.md").read_text()
    assert "**Saturation rule**" in text and "within 5%" in text
    sat = saturation(result.budget)
    n_ce = sat[("m", "cross_entropy_vs_human")]
    line = next(
        x for x in text.splitlines() if x.startswith("| m | `cross_entropy_vs_human` |")
    )
    assert line.split(" | ")[2] == (
        "not within the grid" if n_ce is None else str(n_ce)
    )
    assert "Figure not drawn" in text
    assert not (tmp_path / "budget.png").exists()


def test_budget_figure(result, tmp_path):
    pytest.importorskip("matplotlib")
    result.write_report(tmp_path)
    assert (tmp_path / "budget.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![metric vs annotators](budget.png)" in (tmp_path / "report.md").read_text()


def test_annotators_needs_counts(data):
    counts, p = data
    with pytest.raises(ValueError, match="needs the human vote counts"):
        evaluate_predictions(
            {"m": p}, soft_labels=counts_to_proba(counts), annotators=[1, 3]
        )
    with pytest.raises(ValueError, match="n_values must be"):
        evaluate_predictions({"m": p}, counts=counts, annotators=[0, 3])
