"""The audit's calibration controls, annotation budgets and Dawid-Skene arm.

``gold_vector`` / ``gold_dirichlet`` (sksoft/sources/_arms.py, shared inner
fits in sksoft/audit/_run.py), ``run_audit(annotators=n)`` and
``human_dawid_skene`` (sksoft/audit/_annotations.py).
"""

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator

from sksoft.audit import default_estimator, run_audit
from sksoft.audit._annotations import AnnotationTable, budget_labels
from sksoft.audit._estimators import default_estimator as _default
from sksoft.audit._run import (
    _batch_plan,
    _FitContext,
    _fold_targets,
    _plan_fits,
    _resolve_arms,
    _split,
)
from sksoft.calibration import (
    DirichletCalibrationClassifier,
    VectorScalingClassifier,
    fit_temperature,
)
from sksoft.datasets import make_ambiguous_digits
from sksoft.model_selection import SoftStratifiedKFold
from sksoft.sources import (
    ARM_REGISTRY,
    DEFAULT_ARMS,
    dawid_skene,
    make_supervision_arms,
    subsample_annotations,
)
from sksoft.sources._arms import CALIBRATION_CV
from sksoft.targets import counts_to_proba, hard_labels, one_hot

CONTROLS = ["gold", "gold_temperature", "gold_vector", "gold_dirichlet"]


@pytest.fixture(scope="module")
def digits():
    return make_ambiguous_digits(n_samples=300, random_state=0)


class _GivenProba(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose X are its probabilities (to calibrate given rows)."""

    def fit(self, X, y=None):
        self.classes_ = np.arange(np.asarray(X).shape[1])
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=np.float64)


def _frozen_given(k):
    return FrozenEstimator(_GivenProba().fit(np.eye(k)))


def test_controls_are_opt_in_and_registered():
    for name in ("gold_vector", "gold_dirichlet"):
        spec = ARM_REGISTRY[name]
        assert spec.needs_gold and not spec.soft and not spec.default
        assert (
            spec.calibration_splits
            is ARM_REGISTRY["gold_temperature"].calibration_splits
        )
        assert name not in DEFAULT_ARMS
    assert not ARM_REGISTRY["human_dawid_skene"].default
    arms, ref = _resolve_arms(None, True)
    assert arms == list(DEFAULT_ARMS) and ref == "gold"


def test_controls_equal_a_hand_made_cross_fitted_calibration(digits):
    # every control: its model is gold's; its calibrator is fitted against the
    # human soft labels of the training rows on out-of-fold predictions of
    # clones fitted on 5 stratified folds, then applied to gold's probabilities.
    # Reference: the library's calibrators on those out-of-fold rows.
    import torch

    res = run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=CONTROLS,
        seeds=[0, 1],
        max_epochs=2,
        random_state=3,
    )
    X = digits.data.astype(np.float32)
    train, _ = res.folds[0]
    gold_train = one_hot(digits.target[train], classes=np.arange(10))
    human_train = counts_to_proba(digits.counts[train])
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
        gold_proba = runs[("gold", seed)]["proba"]
        temp = runs[("gold_temperature", seed)]["calibration"][0]["temperature"]
        assert temp == pytest.approx(fit_temperature(human_train, oof), rel=1e-4)
        for arm, cls in (
            ("gold_vector", VectorScalingClassifier),
            ("gold_dirichlet", DirichletCalibrationClassifier),
        ):
            ref = cls(_frozen_given(10)).fit(oof, human_train)
            info = runs[(arm, seed)]["calibration"][0]
            assert info["method"] == arm.split("_")[1]
            assert info["n_folds"] == CALIBRATION_CV
            assert isinstance(info["converged"], bool)
            np.testing.assert_allclose(info["coef"], ref.coef_, atol=2e-4)
            np.testing.assert_allclose(info["intercept"], ref.intercept_, atol=2e-4)
            np.testing.assert_allclose(
                runs[(arm, seed)]["proba"], ref.predict_proba(gold_proba), atol=1e-4
            )
            # by hand: softmax(W log(p + 1e-12) + b)
            hand = softmax(np.log(gold_proba + 1e-12) @ ref.coef_.T + ref.intercept_, 1)
            np.testing.assert_allclose(runs[(arm, seed)]["proba"], hand, atol=1e-4)
        # vector scaling is diagonal
        W = np.asarray(runs[("gold_vector", seed)]["calibration"][0]["coef"])
        assert np.count_nonzero(W - np.diag(np.diag(W))) == 0


def _problem(arms, seeds):
    digits = make_ambiguous_digits(n_samples=150, random_state=0)
    X = digits.data.astype(np.float32)
    human = counts_to_proba(digits.counts)
    arms, _ = _resolve_arms(arms, True)
    split = _split(
        digits.target,
        human,
        hard_labels(human),
        groups=None,
        test_size=0.3,
        cv=None,
        hard_fraction=0.2,
        random_state=0,
    )
    targets = _fold_targets(arms, X, split.folds, digits.target, human, None, 0)
    estimator = _default(X, 10, max_epochs=2)
    tasks = [(a, s, 0) for a in arms for s in seeds]
    return estimator, X, targets, split.folds, digits.target, human, tasks


@pytest.mark.parametrize("batched", [False, True])
def test_controls_share_their_inner_fits(batched):
    seeds = [0, 1]
    estimator, X, targets, folds, gold, human, tasks = _problem(CONTROLS, seeds)
    batch = _batch_plan(estimator, "auto") if batched else None
    ctx = _FitContext(
        estimator,
        X,
        targets,
        folds,
        gold,
        False,
        batch,
        human,
        {"calibration_cv": CALIBRATION_CV, "random_state": 0},
    )
    plan = _plan_fits(ctx, tasks)
    # the three controls are gold's twins: one trained model per seed
    assert plan.twins == {
        (a, s, 0): ("gold", s, 0) for a in CONTROLS[1:] for s in seeds
    }
    # one set of 5 inner fits per seed, announced to all three controls
    inner = [
        job for job in plan.jobs if job[0].__name__ in ("fit_inner", "fit_inner_group")
    ]
    if batched:
        assert sum(len(job[1][0]) for job in inner) == CALIBRATION_CV * len(seeds)
    else:
        assert len(inner) == CALIBRATION_CV * len(seeds)
    for s in seeds:
        keys = [k for k, _, _ in plan.announced[("gold_temperature", s, 0)]]
        assert keys == [("gold_temperature", s, 0, j) for j in range(CALIBRATION_CV)]
        for arm in ("gold_vector", "gold_dirichlet"):
            assert [k for k, _, _ in plan.announced[(arm, s, 0)]] == keys


def test_shared_inner_fits_leave_the_temperature_unchanged(digits):
    kw = dict(seeds=[0, 1], max_epochs=2, random_state=1)
    alone = run_audit(
        digits.data, digits.target, digits.counts, arms=CONTROLS[:2], **kw
    )
    shared = run_audit(digits.data, digits.target, digits.counts, arms=CONTROLS, **kw)
    a = {(r["arm"], r["seed"]): r for r in alone.runs}
    b = {(r["arm"], r["seed"]): r for r in shared.runs}
    for key, run in a.items():
        np.testing.assert_array_equal(run["proba"], b[key]["proba"])


def test_report_names_the_control(digits, tmp_path):
    res = run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=["gold", "gold_temperature", "gold_dirichlet", "human_soft"],
        seeds=2,
        max_epochs=2,
    )
    res.write_report(tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "compared with `gold_temperature`" in text
    assert "`gold_dirichlet`" in text


# ---------------------------------------------------------- annotation budget


def test_budget_labels_are_one_subsample_draw(digits):
    soft = budget_labels(digits.counts, None, 3, 7)
    hand = counts_to_proba(subsample_annotations(digits.counts, 3, random_state=7))
    np.testing.assert_array_equal(soft, hand)
    assert budget_labels(digits.counts, None, None, 7) is None
    with pytest.raises(ValueError, match="must be vote counts"):
        budget_labels(counts_to_proba(digits.counts), None, 3, 7)


def test_audit_trains_on_n_annotator_labels(digits):
    # the soft arm's targets are the n-annotator labels of the training rows;
    # the test rows are scored against all annotators
    kw = dict(arms=["gold", "human_soft"], seeds=[0], max_epochs=2, random_state=2)
    res = run_audit(digits.data, digits.target, digits.counts, annotators=2, **kw)
    assert res.params["annotators"] == 2
    np.testing.assert_allclose(
        res.human_test, counts_to_proba(digits.counts)[res.test_index]
    )
    budget = counts_to_proba(subsample_annotations(digits.counts, 2, random_state=2))
    train, _ = res.folds[0]
    targets = _fold_targets(
        ["gold", "human_soft"],
        digits.data.astype(np.float32),
        res.folds,
        digits.target,
        budget,
        None,
        2,
    )
    np.testing.assert_array_equal(targets[0]["human_soft"], budget[train])
    full = run_audit(digits.data, digits.target, digits.counts, **kw)
    by = {(r["arm"], r["seed"]): r for r in full.runs}
    for r in res.runs:  # gold is unchanged, human_soft is not
        same = np.array_equal(r["proba"], by[(r["arm"], r["seed"])]["proba"])
        assert same == (r["arm"] == "gold")
    with pytest.raises(ValueError, match="must be vote counts"):
        run_audit(
            digits.data,
            digits.target,
            counts_to_proba(digits.counts),
            annotators=2,
            **kw,
        )


# ---------------------------------------------------------------- Dawid-Skene


def _table(counts, rng):
    """A long table: every vote of row i answered by some annotator of 8."""
    item, annot, label = [], [], []
    for i, row in enumerate(counts):
        votes = np.repeat(np.arange(row.size), row)
        who = rng.choice(8, size=votes.size, replace=False)
        item += [i] * votes.size
        annot += [f"a{w}" for w in who]
        label += votes.tolist()
    return {
        "item": np.array(item),
        "annotator": np.array(annot),
        "label": np.array(label),
    }


def test_dawid_skene_arm_is_the_posteriors_of_the_training_rows(digits):
    rng = np.random.default_rng(0)
    table = _table(digits.counts, rng)
    human = counts_to_proba(digits.counts)
    X = digits.data.astype(np.float32)
    folds = [(np.arange(0, 300, 2), np.arange(1, 300, 2))]
    ann = AnnotationTable(table, 300, np.arange(10))
    targets = _fold_targets(
        ["human_dawid_skene"], X, folds, digits.target, human, None, 0, ann
    )
    train = folds[0][0]
    keep = np.isin(table["item"], train)
    hand = dawid_skene(
        item=table["item"][keep] // 2,  # row 2j is training row j
        annotator=table["annotator"][keep],
        label=table["label"][keep],
        classes=np.arange(10),
        items=np.arange(train.size),
    )
    np.testing.assert_allclose(targets[0]["human_dawid_skene"], hand.proba)


def test_dawid_skene_arm_refuses_without_the_table(digits):
    with pytest.raises(ValueError, match="needs the per-annotator table"):
        run_audit(
            digits.data,
            digits.target,
            digits.counts,
            arms=["gold", "human_dawid_skene"],
            seeds=1,
        )
    with pytest.raises(ValueError, match="needs the per-annotator table"):
        make_supervision_arms(
            counts_to_proba(digits.counts), None, arms=["human_dawid_skene"]
        )
    table = _table(digits.counts, np.random.default_rng(0))
    with pytest.raises(ValueError, match="cannot be trained on a budget"):
        run_audit(
            digits.data,
            digits.target,
            digits.counts,
            arms=["gold", "human_dawid_skene"],
            annotations=table,
            annotators=2,
            seeds=1,
        )
    bad = dict(table, item=table["item"] + 1000)
    with pytest.raises(ValueError, match="row positions"):
        AnnotationTable(bad, 300, np.arange(10))
    with pytest.raises(ValueError, match="columns 'item', 'annotator'"):
        AnnotationTable({"item": [0]}, 300, np.arange(10))


def test_dawid_skene_arm_trains_in_the_audit(digits):
    table = _table(digits.counts, np.random.default_rng(0))
    res = run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=["gold", "human_dawid_skene"],
        annotations=table,
        seeds=1,
        max_epochs=2,
    )
    assert [r["arm"] for r in res.runs] == ["gold", "human_dawid_skene"]
    assert "human_dawid_skene" in res.soft_arms()


def test_report_says_the_training_labels_budget(digits, tmp_path):
    res = run_audit(
        digits.data,
        digits.target,
        digits.counts,
        arms=["gold", "human_soft"],
        seeds=2,
        max_epochs=2,
        annotators=3,
    )
    res.write_report(tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "| training labels | 3 annotators per item" in text
    assert "scored against all annotators" in text


def test_load_audit_data_carries_the_annotation_table(data_dir):
    # the table's votes are the loader's counts, labels as the audit's classes
    from sklearn.utils import Bunch

    from sksoft.audit._data import _annotation_table, _table_rows
    from sksoft.datasets import fetch_lewidi
    from sksoft.sources import annotations_to_counts

    if not (data_dir / "lewidi").is_dir():
        pytest.skip(f"no lewidi/ in {data_dir}")
    for name in ("HS-Brexit", "ConvAbuse"):
        bunch = fetch_lewidi(data_dir, name=name, download_if_missing=False)
        classes = np.asarray(bunch.target_names)
        table = _annotation_table(bunch, classes)
        counts = annotations_to_counts(
            table,
            classes=classes,
            items=np.arange(len(bunch.counts)),
            duplicates="count",
        ).counts
        np.testing.assert_array_equal(counts, bunch.counts)
        idx = np.array([3, 1, 7])
        cut = _table_rows(table, idx, len(bunch.counts))
        for j, i in enumerate(idx):
            assert sorted(cut["annotator"][cut["item"] == j]) == sorted(
                table["annotator"][table["item"] == i]
            )
    multi = Bunch(annotations={"item": [0], "annotator": ["a"], "label": ["x"]})
    multi.label_kind = "multilabel"
    assert _annotation_table(multi, np.array(["x"])) is None
