"""Tests of sksoft.audit._metrics: the one spec per metric and what derives from it."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sksoft
from sksoft.audit import METRICS, score_predictions
from sksoft.audit._metrics import (
    HEADLINE,
    KEY_METRICS,
    METRIC_SPECS,
    human_labels_name,
    reference_name,
    spread_metrics,
)
from sksoft.audit._score import TRAINING_METRICS


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
    suffix = {"gold": "_vs_gold", "human": "_vs_human", "human_mode": "_vs_human_mode"}
    for spec in METRIC_SPECS:
        assert spec.name.endswith(suffix[spec.reference]), spec.name
        assert METRICS[spec.name]["better"] == spec.better in ("higher", "lower")
        assert METRICS[spec.name]["text"] == spec.text
        if spec.subset is not None:
            assert f"_{spec.subset}_vs_" in spec.name


def test_score_predictions_names_come_from_the_specs(one_run):
    proba, gold, human, hard = one_run
    with_gold = score_predictions(proba, gold, human, hard)
    test_names = [m for m in METRICS if m not in TRAINING_METRICS]
    assert list(with_gold) == test_names
    assert set(TRAINING_METRICS) == {m for m in METRICS if m.startswith("carto_")}
    without = score_predictions(proba, None, human, hard)
    assert list(without) == [m for m in test_names if not m.endswith("_vs_gold")]
    for name, value in without.items():
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
    assert spread_metrics(METRICS) == ["ece_hard_vs_human", "accuracy_vs_gold"]
    no_gold = [m for m in METRICS if not m.endswith("_vs_gold")]
    assert spread_metrics(no_gold) == ["ece_hard_vs_human", "accuracy_vs_human_mode"]


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


LAZY_OK = {"torch", "matplotlib", "pandas"}


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
    + [Path(sksoft.__file__).parent / "cli.py"],
    ids=lambda p: p.name,
)
def test_only_heavy_imports_are_inside_functions(path):
    # the package's __getattr__ imports its lazy modules with import_module
    bad = [m for m in _function_imports(path) if m.split(".")[0] not in LAZY_OK]
    assert not bad, bad
