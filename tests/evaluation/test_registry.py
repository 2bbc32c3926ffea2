"""The one metric registry (sksoft/evaluation/_registry.py): both commands score
with it, so one new entry reaches run_audit and evaluate_predictions."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sksoft
from sksoft.audit import METRICS as AUDIT_METRICS
from sksoft.evaluation import METRIC_SPECS, METRICS, metric_specs

ROOT = Path(sksoft.__file__).resolve().parent.parent

# One new metric, added as a contributor would: one MetricSpec in the table
# (here appended before sksoft.audit is imported, as an edit of _registry.py
# would be), with its function; then both commands are run on the same data.
SCRIPT = r"""
import json, sys
import numpy as np
import sksoft.evaluation._registry as R
from sksoft.evaluation import ItemTerms
from sksoft.metrics import soft_brier_score_loss

def brier(ref, p, n_bins, ties):
    return soft_brier_score_loss(ref, p)

def brier_items(ref, p, n_bins, ties):
    return ItemTerms(np.sum((p - ref) ** 2, axis=1), None)

R.METRIC_SPECS = R.METRIC_SPECS + (
    R.MetricSpec("brier_vs_human", "lower", "human", "Brier score vs human",
                 "brier", score=brier, items=brier_items),
)
assert "sksoft.audit" not in sys.modules

from sksoft import evaluate_predictions
from sksoft.audit import METRICS, load_audit_data, run_audit

data = load_audit_data("ambiguous-digits", max_samples=120)
result = run_audit(data["X"], data["gold"], data["human"], counts=data["counts"],
                   arms=["gold", "human_soft"], seeds=[0], max_epochs=2, n_jobs=1)
run = result.runs[0]
human = np.asarray(result.human_test, dtype=float)
ev = evaluate_predictions({"m": run["proba"]}, soft_labels=human, n_bootstrap=20)
print(json.dumps({
    "audit_metrics": "brier_vs_human" in METRICS,
    "audit_scores": "brier_vs_human" in result.scores,
    "audit_value": run["metrics"]["brier_vs_human"],
    "audit_reference": soft_brier_score_loss(human, run["proba"]),
    "evaluate_value": ev.score("m", "brier_vs_human"),
    "evaluate_hard": ev.score("m", "brier_vs_human", subset="hard"),
    "evaluate_reference_hard": soft_brier_score_loss(human[ev.hard_mask],
                                                     run["proba"][ev.hard_mask]),
    "evaluate_ci": [r["ci_low"] for r in ev.scores
                    if r["metric"] == "brier_vs_human" and r["subset"] == "all"],
}))
"""


def test_one_registry_entry_reaches_both_commands():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1"},
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["audit_metrics"] and got["audit_scores"]
    assert got["audit_value"] == pytest.approx(got["audit_reference"], rel=1e-12)
    assert got["evaluate_value"] == pytest.approx(got["audit_reference"], rel=1e-12)
    assert got["evaluate_hard"] == pytest.approx(
        got["evaluate_reference_hard"], rel=1e-12
    )
    assert np.isfinite(got["evaluate_ci"]).all()  # bootstrapped by its items


def test_evaluate_reports_every_audit_test_metric():
    audit_test = {s.name for s in metric_specs("audit", stage="test")}
    assert audit_test <= set(METRICS)
    assert audit_test <= set(AUDIT_METRICS)
    # the training-dynamics metrics stay in the audit only
    training = {s.name for s in METRIC_SPECS if s.stage == "training"}
    assert training and training <= set(AUDIT_METRICS)
    assert not training & set(METRICS)


def test_audit_table_unchanged():
    # 27 audit metrics, the former table of sksoft/audit/_metrics.py, in order,
    # plus the 7 on the items with any disagreement
    disagree = [m for m in AUDIT_METRICS if "_disagree_" in m]
    assert disagree == [
        "ece_disagree_vs_gold",
        "mce_disagree_vs_gold",
        "ece_disagree_vs_human",
        "mce_disagree_vs_human",
        "cross_entropy_disagree_vs_human",
        "kl_disagree_vs_human",
        "jsd_disagree_vs_human",
    ]
    # the raw-scale distances, present only with raw ratings (VADER)
    raw = [m for m in AUDIT_METRICS if m.endswith("_vs_human_raw")]
    assert raw == [
        "wasserstein_all_vs_human_raw",
        "wasserstein_hard_vs_human_raw",
        "wasserstein_easy_vs_human_raw",
    ]
    # and the two alignments of the non-circular maps (held-out, targets)
    assert len(AUDIT_METRICS) == 29 + len(disagree) + len(raw)
    assert {
        "spearman_gold_confidence_vs_human",
        "target_spearman_confidence_vs_human",
    } <= set(AUDIT_METRICS)
    assert list(AUDIT_METRICS)[:3] == [
        "accuracy_vs_gold",
        "accuracy_vs_human_mode",
        "ece_all_vs_gold",
    ]


def test_every_spec_is_complete():
    names = [s.name for s in METRIC_SPECS]
    assert len(names) == len(set(names))
    for spec in METRIC_SPECS:
        assert spec.better in ("higher", "lower")
        assert spec.reference in ("gold", "human", "human_mode", "human_raw")
        assert (spec.reference == "human_raw") == (spec.stage == "raw")
        assert spec.name.endswith("_vs_" + spec.reference)
        assert spec.subset in (None, "all", "hard", "easy", "disagree")
        if spec.stage in ("test", "raw"):
            assert callable(spec.score), spec.name


def test_items_reproduce_each_value():
    # every bootstrapped metric: the per-item terms at unit weights are the value
    rng = np.random.default_rng(0)
    human = rng.dirichlet(np.ones(3), size=80)
    proba = rng.dirichlet(np.ones(3), size=80)
    gold = rng.integers(0, 3, size=80)
    refs = {"gold": gold, "human": human, "human_mode": human.argmax(1)}
    from sksoft.evaluation import weighted_values

    for spec in metric_specs("evaluate"):
        if spec.items is None:
            continue
        ref = refs[spec.reference]
        for ties in ("sksoft", "baan2022"):
            terms = spec.items(ref, proba, 7, ties)
            value = weighted_values([terms], np.ones((1, 80)))[0, 0]
            assert value == pytest.approx(
                spec.score(ref, proba, 7, ties), rel=1e-10, abs=1e-12
            ), spec.name
