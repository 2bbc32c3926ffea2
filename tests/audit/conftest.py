"""A tiny hand-made audit whose seeds have their own test sets (split design).

Used by test_baselines.py and test_maps.py to check the statistics computed
over every seed's split against hand computations.
"""

import math

import numpy as np
import pytest

from sksoft.audit import METRICS, score_predictions
from sksoft.audit._result import AuditResult
from sksoft.audit._targets import target_alignment
from sksoft.targets import hard_sample_mask, target_entropy

#: 60 rows; gold and the human soft labels (varying agreement)
_RNG = np.random.default_rng(7)
GOLD = (_RNG.random(60) < 0.4).astype(int)
P1 = np.clip(np.where(GOLD == 1, 0.7, 0.3) + _RNG.normal(0, 0.2, 60), 0, 1).round(2)
HUMAN = np.stack([1 - P1, P1], axis=1)

#: each seed's test rows: seeds 0 and 1 share rows 10..19, seed 2 is disjoint
TESTS = {
    0: np.arange(0, 20),
    1: np.arange(10, 30),
    2: np.arange(40, 60),
}


def _proba(seed, arm, rows):
    """Deterministic probabilities of one run on its test rows."""
    rng = np.random.default_rng([seed, len(arm)])
    p1 = np.clip(0.6 * HUMAN[rows, 1] + 0.4 * rng.random(rows.size), 0.01, 0.99)
    return np.stack([1 - p1, p1], axis=1)


def make_split_result(tests=None, *, seed_splits=True, mode_shift=None):
    """An :class:`AuditResult` of arms ``gold`` and ``human_soft``, 3 seeds.

    ``tests``: seed -> test rows (default :data:`TESTS`); ``seed_splits=False``
    builds it as the ``"init"`` design does (no per-seed splits; every test
    set must then be the same). ``mode_shift``: the rows' mode-shift flags
    (default: none shifted).
    """
    tests = TESTS if tests is None else tests
    seeds = sorted(tests)
    n = GOLD.size
    arms = ["gold", "human_soft"]
    keys = {}  # distinct test sets -> split index
    split = {s: keys.setdefault(tests[s].tobytes(), len(keys)) for s in seeds}
    sets = {}
    for s in seeds:
        test = tests[s]
        train = np.setdiff1d(np.arange(n), test)
        hard = hard_sample_mask(HUMAN[test], hard_fraction=0.2)
        sets[s] = {
            "split": split[s],
            "folds": [(train, test)],
            "test_index": test,
            "gold_test": GOLD[test],
            "human_test": HUMAN[test],
            "hard_mask": hard,
        }
    # the targets of each split's one fold (global fold j = split j)
    trains = {}
    for s in seeds:
        trains.setdefault(split[s], sets[s]["folds"][0][0])
    order = [trains[j] for j in range(len(trains))]
    arm_targets = {
        "human": {"entropy": [target_entropy(HUMAN[t]) for t in order]},
        "gold": {
            "entropy": [np.zeros(t.size) for t in order],
            "label_probability": [np.ones(t.size) for t in order],
        },
        "human_soft": {
            "entropy": [target_entropy(HUMAN[t]) for t in order],
            "label_probability": [HUMAN[t, GOLD[t]] for t in order],
        },
        "teacher_temperature": None,
    }
    entropy = target_entropy(HUMAN)
    runs = []
    for arm in arms:
        for s in seeds:
            ts = sets[s]
            proba = _proba(s, arm, ts["test_index"])
            metrics = score_predictions(
                proba, ts["gold_test"], ts["human_test"], ts["hard_mask"], n_bins=15
            )
            metrics["carto_spearman_confidence_vs_human"] = math.nan
            metrics["carto_spearman_variability_vs_human"] = math.nan
            train = ts["folds"][0][0]
            metrics["target_spearman_confidence_vs_human"] = target_alignment(
                arm_targets[arm]["label_probability"][split[s]], entropy[train]
            )
            runs.append(
                {
                    "arm": arm,
                    "seed": s,
                    "proba": proba,
                    "test_index": ts["test_index"],
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
    first = sets[seeds[0]]
    return AuditResult(
        arms=arms,
        seeds=seeds,
        reference="gold",
        classes=np.array([0, 1]),
        test_index=first["test_index"],
        gold_test=first["gold_test"],
        human_test=first["human_test"],
        hard_mask=first["hard_mask"],
        gold=GOLD,
        human=HUMAN,
        mode_shift=np.zeros(n, bool) if mode_shift is None else mode_shift,
        folds=first["folds"],
        runs=runs,
        scores=scores,
        params={
            "confidence": 0.95,
            "n_bins": 15,
            "hard_fraction": 0.2,
            "random_state": 0,
            "n_folds": 1,
            "test_size": 1 / 3,
            "seed_design": "split" if seed_splits else "init",
            "seed_split": [split[s] for s in seeds] if seed_splits else None,
        },
        provenance={},
        elapsed=0.0,
        seed_splits=sets if seed_splits else None,
        arm_targets=arm_targets,
    )


@pytest.fixture(scope="module")
def split_audit():
    """:func:`make_split_result` with three different test sets."""
    return make_split_result()


@pytest.fixture(scope="module")
def split_tests():
    """:data:`TESTS`: each seed's test rows of :func:`split_audit`."""
    return TESTS


@pytest.fixture(scope="module")
def split_result_factory():
    """:func:`make_split_result` itself (for other test sets)."""
    return make_split_result
