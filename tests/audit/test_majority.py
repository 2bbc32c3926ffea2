"""Gold that is the annotators' majority, the data's own split, and Le-Wi-Di.

The identical arms are checked against hand-built targets (with a tie that
the published majority breaks to the second class); the official split
against the rows it names; MD-Agreement runs through the audit on the shared
copy (``SKSOFT_TEST_DATA``) and skips without it.
"""

import numpy as np
import pytest

from sksoft.audit import default_text_estimator, run_audit
from sksoft.audit._data import load_audit_data
from sksoft.audit._majority import identical_arms
from sksoft.sources import make_supervision_arms


def _majority_data(n=60, seed=0, tie_rows=()):
    """Features, 4-vote counts and gold = their majority (ties: class 1)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    p1 = 1 / (1 + np.exp(-3 * X[:, 0]))
    ones = rng.binomial(4, p1)
    ones[ones == 2] = 3  # no tie unless asked
    ones[list(tie_rows)] = 2
    counts = np.stack([4 - ones, ones], 1)
    gold = (ones >= 2).astype(int)  # the tie goes to class 1, as published
    return X, gold, counts


def test_identical_arms_by_hand():
    gold = np.eye(2)[[0, 1, 1, 0]]
    soft = np.array([[0.75, 0.25], [0.25, 0.75], [0.5, 0.5], [1.0, 0.0]])
    mode = np.eye(2)[[0, 1, 0, 0]]  # row 2: a tie, broken to the first class
    targets = {
        "gold": gold,
        "human_mode": mode,
        "human_soft": soft,
        "human_soft_gold_mode": soft.copy(),
    }
    arms = ["gold", "human_mode", "human_soft", "human_soft_gold_mode"]
    assert identical_arms(arms, [targets]) == {"human_soft_gold_mode": "human_soft"}
    targets["human_mode"] = gold.copy()
    assert identical_arms(arms, [targets]) == {
        "human_mode": "gold",
        "human_soft_gold_mode": "human_soft",
    }
    # one fold that differs is enough to keep an arm
    other = dict(targets, human_mode=mode)
    assert identical_arms(arms, [targets, other]) == {
        "human_soft_gold_mode": "human_soft"
    }


def test_swapping_a_tied_mode_onto_gold_changes_nothing():
    _, gold, counts = _majority_data(tie_rows=(0, 1, 2))
    built = make_supervision_arms(
        counts,
        gold,
        counts=True,
        arms=["gold", "human_mode", "human_soft", "human_soft_gold_mode"],
    )
    np.testing.assert_array_equal(built["human_soft_gold_mode"], built["human_soft"])
    # the tie rows' published majority is class 1, human_mode's is class 0
    assert (built["human_mode"][:3, 0] == 1).all()
    assert (built["gold"][:3, 1] == 1).all()


def test_majority_gold_skips_identical_arms_and_keeps_tied_mode():
    X, gold, counts = _majority_data()
    result = run_audit(X, gold, counts, seeds=2, max_epochs=2, independent_gold=False)
    assert result.params["skipped_arms"] == {
        "human_mode": "gold",
        "human_soft_gold_mode": "human_soft",
    }
    assert "human_mode" not in result.arms and "human_soft" in result.arms
    assert "no mode shift" in result.params["majority_gold"]
    # with ties broken to the second class, human_mode differs from gold there
    X, gold, counts = _majority_data(tie_rows=range(0, 60, 6))
    result = run_audit(X, gold, counts, seeds=2, max_epochs=2, independent_gold=False)
    assert result.params["skipped_arms"] == {"human_soft_gold_mode": "human_soft"}
    assert "human_mode" in result.arms
    n_tied = int(np.isin(result.test_index, np.arange(0, 60, 6)).sum())
    assert (
        f"({n_tied} tied test items; {n_tied} of them"
        in (result.params["majority_gold"])
    )
    # the default (independent gold) keeps every arm
    result = run_audit(
        X, gold, counts, seeds=2, max_epochs=2, arms=["gold", "human_mode"]
    )
    assert result.arms == ["gold", "human_mode"]
    assert result.params["skipped_arms"] == {}


def test_test_rows_are_the_split():
    X, gold, counts = _majority_data()
    mask = np.zeros(60, bool)
    mask[[1, 5, 9, 20, 33, 40, 41, 59]] = True
    result = run_audit(
        X,
        gold,
        counts,
        seeds=1,
        max_epochs=2,
        arms=["gold", "human_soft"],
        test_rows=mask,
    )
    np.testing.assert_array_equal(result.test_index, np.flatnonzero(mask))
    np.testing.assert_array_equal(result.folds[0][0], np.flatnonzero(~mask))
    assert result.params["official_split"] and result.params["test_size"] is None


@pytest.mark.parametrize(
    "mask, match",
    [
        (np.ones(60, bool), "leaves 0 training"),
        (np.zeros(59, bool), "boolean mask of length 60"),
        (np.zeros(60, int), "boolean mask"),
    ],
)
def test_bad_test_rows(mask, match):
    X, gold, counts = _majority_data()
    with pytest.raises(ValueError, match=match):
        run_audit(X, gold, counts, seeds=1, max_epochs=1, test_rows=mask)


def test_test_rows_exclude_cv():
    X, gold, counts = _majority_data()
    with pytest.raises(ValueError, match="cannot be used with cv"):
        run_audit(
            X, gold, counts, seeds=1, max_epochs=1, cv=3, test_rows=np.arange(60) < 20
        )


@pytest.fixture
def lewidi_dir(data_dir):
    if not (data_dir / "lewidi" / "LeWiDi_2-2023").is_dir():
        pytest.skip(f"Le-Wi-Di files not found under {data_dir / 'lewidi'}")
    return data_dir


def test_md_agreement_audit_on_the_official_split(lewidi_dir):
    data = load_audit_data(
        "md-agreement", data_home=lewidi_dir, max_samples=800, download=False
    )
    split = data["split"]
    assert set(split) == {"train", "dev", "test"}
    X = data["X"]
    est = default_text_estimator(X, 2, model="tfidf-linear", max_epochs=4)
    result = run_audit(
        X,
        data["gold"],
        data["human"],
        estimator=est,
        classes=data["classes"],
        seeds=2,
        n_jobs=1,
        arms=None,
        test_rows=split == "test",
        independent_gold=False,
        provenance=data["provenance"],
    )
    np.testing.assert_array_equal(result.test_index, np.flatnonzero(split == "test"))
    # MD-Agreement: five annotators, no ties: human_mode is gold exactly
    assert result.params["skipped_arms"] == {
        "human_mode": "gold",
        "human_soft_gold_mode": "human_soft",
    }
    acc = result.scores["accuracy_vs_gold"]
    majority = np.mean(result.gold_test == np.bincount(result.gold_test).argmax())
    # above chance on 1,500 tweets and 4 epochs; the full set's figures are in
    # the docs (this is a smoke test of the wiring, not of the accuracy)
    assert acc.mean() > 0.5 and np.isfinite(acc).all()
    assert 0.55 < majority < 0.8
