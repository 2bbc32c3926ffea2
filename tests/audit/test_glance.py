"""Tests of sksoft.audit._glance: the verdicts-at-a-glance answers."""

import numpy as np
import pytest

from sksoft.audit import _glance as G
from sksoft.audit._metrics import CONTROL_METRICS, HEADLINE, HEADLINE_DISAGREE
from sksoft.audit._report import md_table
from sksoft.sources import SOFT_ARMS

ARMS = ["gold", "gold_temperature", "human_mode", "human_soft", "human_soft_gold_mode"]


def _row(arm, metric, verdict, diff=-0.1, control=None):
    row = {
        "arm": arm,
        "metric": metric,
        "diff": diff,
        "ci_low": diff - 0.01,
        "ci_high": diff + 0.01,
        "p_holm": 0.01 if verdict in ("better", "worse") else 0.5,
        "boot_ci_low": diff - 0.02,
        "boot_ci_high": diff + 0.02,
        "verdict_both": verdict,
    }
    if control:
        row["control"] = control
    return row


class FakeResult:
    """What the glance functions read of an AuditResult, set by hand."""

    def soft_arms(self):
        return [a for a in self.arms if a in SOFT_ARMS and a != self.reference]

    def __init__(self, verdicts, controls=None, shifted=10, seeds=3, majority=None):
        self.arms = ARMS
        self.reference = "gold"
        self.seeds = list(range(seeds))
        self.params = {"confidence": 0.95, "hard_fraction": 0.2}
        self.hard_mask = np.array([True] * 3 + [False] * 7)
        self.disagree_mask = np.array([True] * 6 + [False] * 4)
        self.control_arm = "gold_temperature"
        self.scores = {m: np.zeros((len(ARMS), seeds)) for m in CONTROL_METRICS}
        self._effects = [_row(a, m, v) for (a, m), v in verdicts.items()]
        self._controls = [
            _row("human_soft", m, v, control="gold_temperature")
            for m, v in (controls or {}).items()
        ]
        self._shifted = shifted
        self.majority = majority or {"above": True}

    @property
    def above_majority(self):
        return self.majority["above"]

    def _varying_test_sets(self):
        return False  # one test set for every seed

    def majority_tests(self):
        return {"gold": dict(self.majority)}

    def effects(self):
        return list(self._effects)

    def controls(self):
        return list(self._controls)

    def summary(self):
        return [
            {"arm": a, "metric": m, "mean": 0.1} for a in ARMS for m in CONTROL_METRICS
        ]

    def spreads(self):
        return []

    def mode_alignment(self):
        return {"shifted": self._shifted, "gold_second": 0}


@pytest.mark.parametrize(
    "verdict, answer",
    [
        ("better", "yes"),
        ("worse", "no"),
        ("no clear difference", "not shown"),
        ("n/a", "untestable (one seed: no seed interval)"),
    ],
)
def test_hard_sample_calibration_answers(verdict, answer):
    result = FakeResult(
        {("human_soft", HEADLINE): verdict, ("human_soft", HEADLINE_DISAGREE): "worse"}
    )
    got, evidence = G.hard_sample_calibration(result, HEADLINE)
    assert got == answer
    assert evidence.startswith(f"`{HEADLINE}` on 3 of 10 test items (30.0%)")
    # the other subset is answered on its own items
    got, evidence = G.hard_sample_calibration(result, HEADLINE_DISAGREE)
    assert got == "no" and "on 6 of 10 test items (60.0%)" in evidence


@pytest.mark.parametrize(
    "verdicts, answer",
    [
        ({HEADLINE: "better", "jsd_all_vs_human": "no clear difference"}, "yes"),
        ({HEADLINE: "no clear difference", "jsd_all_vs_human": "worse"}, "no"),
        # mixed: the headline (hard-sample ECE vs human) decides where marked
        ({HEADLINE: "better", "jsd_all_vs_human": "worse"}, "yes"),
        ({HEADLINE: "worse", "jsd_all_vs_human": "better"}, "no"),
        (
            {
                HEADLINE: "no clear difference",
                "jsd_all_vs_human": "better",
                "kl_hard_vs_human": "worse",
            },
            "not shown",
        ),
        ({HEADLINE: "no clear difference"}, "not shown"),
        # seeds only (no item interval) is not a verdict
        ({HEADLINE: "better (seeds only)"}, "not shown"),
    ],
)
def test_more_than_temperature_answers(verdicts, answer):
    result = FakeResult({}, controls=verdicts)
    got, evidence = G.more_than_temperature(result)
    assert got == answer
    n_better = sum(v == "better" for v in verdicts.values())
    assert f"better on {n_better} of {len(verdicts)}" in evidence


def test_more_than_temperature_needs_the_control():
    result = FakeResult({})
    result.control_arm = None
    assert G.more_than_temperature(result)[0].startswith("untestable")


@pytest.mark.parametrize(
    "uncertainty, mode, answer",
    [
        ("better", "better", "yes"),
        ("better", "no clear difference", "yes"),
        ("no clear difference", "better", "no"),
        ("no clear difference", "no clear difference", "not shown"),
    ],
)
def test_mode_or_uncertainty_answers(uncertainty, mode, answer):
    result = FakeResult(
        {
            ("human_soft_gold_mode", HEADLINE): uncertainty,
            ("human_mode", HEADLINE): mode,
        }
    )
    assert G.mode_or_uncertainty(result)[0] == answer


def test_mode_or_uncertainty_without_mode_shift_is_untestable():
    result = FakeResult(
        {
            ("human_soft_gold_mode", HEADLINE): "better",
            ("human_mode", HEADLINE): "better",
        },
        shifted=0,
    )
    assert G.mode_or_uncertainty(result)[0].startswith("untestable (no mode shift")


def test_every_row_is_untestable_below_the_majority_baseline():
    majority = {
        "above": False,
        "accuracy": 0.427,
        "majority_accuracy": 0.446,
        "p_value": 0.9,
    }
    result = FakeResult({("human_soft", HEADLINE): "better"}, majority=majority)
    rows = G.glance_rows(result)
    assert len(rows) == 6
    for _, answer, evidence in rows:
        assert answer == "untestable (model not above the majority baseline)"
        assert evidence == (
            "`gold` accuracy 0.427 vs majority baseline 0.446, one-sided p 0.900"
        )
    # above the baseline: the rows answer
    majority["above"] = True
    assert G.glance_rows(result)[0][1] == "yes"


def test_glance_table_is_one_row_per_question():
    result = FakeResult(
        {
            ("human_soft", HEADLINE): "better",
            ("human_soft", HEADLINE_DISAGREE): "no clear difference",
            ("human_soft_gold_mode", HEADLINE): "better",
            ("human_mode", HEADLINE): "no clear difference",
        },
        controls={HEADLINE: "no clear difference"},
    )
    lines = G.glance_lines(result, md_table)
    assert lines[0] == "## Verdicts at a glance"
    table = [line for line in "\n".join(lines).splitlines() if line.startswith("| ")]
    assert len(table) == 1 + 6  # header and six questions
    answers = [line.split(" | ")[1] for line in table[1:]]
    for a in answers:
        assert a.strip("*").split(" (")[0] in G.ANSWERS
    assert answers[:4] == ["**yes**", "**not shown**", "**not shown**", "**yes**"]


@pytest.mark.parametrize(
    "claim, answer",
    [("more", "yes"), ("less", "no"), ("not shown", "not shown")],
)
def test_data_maps_read_the_heldout_alignment(monkeypatch, claim, answer):
    # the claim rule is _maps.map_claim's (tested there); here: its wiring
    seen = []

    def fake_claim(diff):
        seen.append(diff)
        return claim

    monkeypatch.setattr(G, "map_claim", fake_claim)
    result = FakeResult({})
    diff = {
        "diff": -0.1,
        "ci_low": -0.12,
        "ci_high": -0.08,
        "boot_ci_low": -0.15,
        "boot_ci_high": -0.05,
    }
    rows = {
        a: {
            k: {"mean": m}
            for k, m in (("heldout", h), ("map", -0.6), ("targets", -0.9))
        }
        for a, h in (("gold", -0.3), ("human_soft", -0.4))
    }
    result.map_alignment = lambda: {
        "rows": rows,
        "diffs": {"human_soft": {"heldout": diff}},
    }
    got, evidence = G.data_maps(result)
    assert got == answer and seen == [diff]
    assert evidence.startswith(
        "held-out (test confidence in gold vs human entropy): `human_soft` -0.400 "
        "vs `gold` -0.300, -0.100 [-0.120, -0.080] over seeds, [-0.150, -0.050] "
        "over items; training-row map -0.600, the targets themselves -0.900"
    )


def test_data_maps_without_heldout_alignment_are_untestable():
    result = FakeResult({})
    result.scores["carto_spearman_confidence_vs_human"] = np.full((5, 3), -0.5)
    got, evidence = G.data_maps(result)
    assert got.startswith("untestable (training-row alignment only")
    assert evidence.endswith("no held-out alignment measured")
