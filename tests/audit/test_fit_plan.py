"""Tests of the audit's fit step as plan + collect (sksoft/audit/_run.py)."""

import numpy as np
import pytest

from sksoft.audit._estimators import default_estimator
from sksoft.audit._run import (
    _batch_plan,
    _Collector,
    _fit_all,
    _FitContext,
    _fold_targets,
    _plan_fits,
    _resolve_arms,
    _split,
)
from sksoft.datasets import make_ambiguous_digits
from sksoft.sources._arms import CALIBRATION_CV
from sksoft.targets import counts_to_proba, hard_labels

ARMS = ["gold", "gold_temperature", "human_soft", "smoothed"]
SEEDS = [0, 1]


@pytest.fixture(scope="module")
def problem():
    digits = make_ambiguous_digits(n_samples=150, random_state=0)
    X = digits.data.astype(np.float32)
    gold = digits.target
    human = counts_to_proba(digits.counts)
    arms, _ = _resolve_arms(ARMS, True)
    split = _split(
        gold,
        human,
        hard_labels(human),
        groups=None,
        test_size=0.3,
        cv=None,
        hard_fraction=0.2,
        random_state=0,
    )
    targets = _fold_targets(arms, X, split.folds, gold, human, None, 0)
    estimator = default_estimator(X, 10, max_epochs=2)
    tasks = [(a, s, 0) for a in arms for s in SEEDS]
    return dict(
        X=X,
        gold=gold,
        human=human,
        folds=split.folds,
        targets=targets,
        estimator=estimator,
        tasks=tasks,
        options={"calibration_cv": CALIBRATION_CV, "random_state": 0},
    )


def _ctx(p, batch):
    return _FitContext(
        p["estimator"],
        p["X"],
        p["targets"],
        p["folds"],
        p["gold"],
        False,
        batch,
        p["human"],
        p["options"],
    )


@pytest.mark.parametrize("batched", [False, True])
def test_plan_lists_every_job_twin_and_inner_fit(problem, batched):
    batch = _batch_plan(problem["estimator"], "auto") if batched else None
    assert (batch is not None) == batched
    plan = _plan_fits(_ctx(problem, batch), problem["tasks"])
    # gold_temperature's model is gold's: trained once, its outputs copied
    assert plan.twins == {("gold_temperature", s, 0): ("gold", s, 0) for s in SEEDS}
    # its post-fit step announces CALIBRATION_CV inner fits per seed
    assert set(plan.announced) == {("gold_temperature", s, 0) for s in SEEDS}
    for (arm, seed, f), fits in plan.announced.items():
        assert [key for key, _, _ in fits] == [
            (arm, seed, f, j) for j in range(CALIBRATION_CV)
        ]
    n_runs = len(ARMS) * len(SEEDS) - len(plan.twins)  # 6 trained runs
    n_inner = CALIBRATION_CV * len(SEEDS)
    names = [job[0].__name__ for job in plan.jobs]
    if batched:  # one group of 6 runs; the 10 inner fits by training size
        assert names[0] == "fit_group" and len(plan.jobs[0][1][0]) == n_runs
        inner = [job for job in plan.jobs if job[0].__name__ == "fit_inner_group"]
        assert sum(len(job[1][0]) for job in inner) == n_inner
        assert len(plan.jobs) == 1 + len(inner)
    else:
        assert names == ["fit_one"] * n_runs + ["fit_inner"] * n_inner
        # the runs in task order, twins left out; inner fits split after split
        assert [job[1][0] for job in plan.jobs[:n_runs]] == [
            (a, s, 0) for a in ARMS if a != "gold_temperature" for s in SEEDS
        ]
        assert [job[1][0][1] for job in plan.jobs[n_runs:]] == [
            ("gold_temperature", s, 0, j) for j in range(CALIBRATION_CV) for s in SEEDS
        ]


def _collect(problem, results, order):
    finals = []

    def on_final(arm, seed, outputs):
        finals.append((arm, seed))

    ctx = _ctx(problem, None)
    plan = _plan_fits(ctx, problem["tasks"])
    seen = []
    collector = _Collector(ctx, problem["tasks"], plan, seen.append, on_final)
    collector.start()
    for i in order:
        for key, out in results[i]:
            collector.add(key, out)
    return collector.outputs, finals, seen


def test_collect_does_not_depend_on_the_order_of_arrival(problem):
    plan = _plan_fits(_ctx(problem, None), problem["tasks"])
    results = [func(*args, **kwargs) for func, args, kwargs in plan.jobs]
    n = len(results)
    forward, finals_f, seen_f = _collect(problem, results, range(n))
    backward, finals_b, seen_b = _collect(problem, results, range(n)[::-1])
    keys = set(problem["tasks"])
    assert set(forward) == set(backward) == keys
    for key in keys:
        np.testing.assert_array_equal(forward[key]["proba"], backward[key]["proba"])
    # every arm and seed is final exactly once; the progress counts every run
    assert sorted(finals_f) == sorted(finals_b) == sorted({(a, s) for a, s, _ in keys})
    assert [e["done"] for e in seen_f] == list(range(len(keys) + 1))
    assert seen_b[-1] == seen_f[-1] | {
        "arm": seen_b[-1]["arm"],
        "seed": seen_b[-1]["seed"],
    }
    # the twin is a copy of gold's run, then temperature-scaled by its own step
    for s in SEEDS:
        twin, trained = forward[("gold_temperature", s, 0)], forward[("gold", s, 0)]
        assert twin is not trained
        assert twin["calibration"]["temperature"] > 0
        assert not np.allclose(twin["proba"], trained["proba"])
        assert np.array_equal(twin["proba"].argmax(1), trained["proba"].argmax(1))


def test_fit_all_equals_collecting_the_planned_jobs(problem):
    plan = _plan_fits(_ctx(problem, None), problem["tasks"])
    results = [func(*args, **kwargs) for func, args, kwargs in plan.jobs]
    collected, _, _ = _collect(problem, results, range(len(results)))
    outputs = _fit_all(
        problem["tasks"],
        problem["estimator"],
        problem["X"],
        problem["targets"],
        problem["folds"],
        problem["gold"],
        False,
        1,
        None,
        None,
        human_p=problem["human"],
        calibration_options=problem["options"],
    )
    assert set(outputs) == set(collected)
    for key in outputs:
        np.testing.assert_array_equal(outputs[key]["proba"], collected[key]["proba"])
