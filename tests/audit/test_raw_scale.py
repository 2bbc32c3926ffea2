"""Tests of sksoft/audit/_raw_scale.py: the raw-scale metrics of the audit."""

import numpy as np
import pytest

from sksoft.audit import METRICS, load_audit_data, run_audit, score_predictions
from sksoft.audit._raw_scale import (
    RawScale,
    check_rating_scale,
    raw_test_scale,
    within_class_shape,
)

RAW = [f"wasserstein_{s}_vs_human_raw" for s in ("all", "hard", "easy")]


def _w1_by_hand(h, p):
    # the optimal transport cost on a line: move mass point by point
    h, p, cost = list(h), list(p), 0.0
    for r in range(len(h) - 1):
        surplus = p[r] - h[r]  # carried to the next point
        cost += abs(surplus)
        p[r + 1] += surplus
    return cost


def test_three_items_by_hand():
    # scale -2, -1, +1, +2; the first two points are class 0, the others 1
    train = np.array([[2, 1, 0, 1], [0, 1, 3, 0]])
    q = within_class_shape(train, np.array([0, 0, 1, 1]), 2)
    # class 0: ratings -2 twice, -1 twice -> (1/2, 1/2); class 1: +1 three
    # times, +2 once -> (3/4, 1/4)
    np.testing.assert_allclose(q, [[0.5, 0.5, 0, 0], [0, 0, 0.75, 0.25]])
    human_raw = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0.5, 0.5, 0]])
    human = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])  # the classes
    proba = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    raw = RawScale(human_raw, q[None], np.zeros(3, dtype=np.int64))
    hard = np.array([False, False, True])
    s = score_predictions(proba, None, human, hard, raw=raw)
    # p_raw: (1/2, 1/2, 0, 0), (0, 0, 3/4, 1/4), (1/4, 1/4, 3/8, 1/8)
    # distances: 1/2 (mass 1/2 one point left), 3/4 (3/4 one point right),
    # 1/4 + 0 + 1/8 = 3/8
    assert s["wasserstein_all_vs_human_raw"] == pytest.approx((0.5 + 0.75 + 0.375) / 3)
    assert s["wasserstein_hard_vs_human_raw"] == pytest.approx(0.375)
    assert s["wasserstein_easy_vs_human_raw"] == pytest.approx(0.625)
    p_raw = proba @ q
    for i, d in enumerate([0.5, 0.75, 0.375]):
        assert _w1_by_hand(human_raw[i], p_raw[i]) == pytest.approx(d)


def test_class_without_training_ratings_is_spread_uniformly():
    q = within_class_shape(np.array([[2, 1, 0, 0]]), np.array([0, 0, 1, 1]), 2)
    np.testing.assert_allclose(q, [[2 / 3, 1 / 3, 0, 0], [0, 0, 0.5, 0.5]])


def test_each_fold_uses_its_own_training_rows():
    counts = np.array([[1, 0, 1], [0, 1, 1], [1, 0, 0], [0, 0, 1]], float)
    point_class = np.array([0, 0, 1])
    folds = [(np.array([0, 1]), np.array([2, 3])), (np.array([2, 3]), np.array([0, 1]))]
    raw = raw_test_scale(counts, point_class, 2, folds, np.arange(4))
    np.testing.assert_array_equal(raw.fold, [1, 1, 0, 0])
    np.testing.assert_allclose(raw.shape[0][0], [0.5, 0.5, 0])  # rows 0 and 1
    np.testing.assert_allclose(raw.shape[1][0], [1.0, 0.0, 0])  # rows 2 and 3
    np.testing.assert_allclose(raw.human[0], [0.5, 0, 0.5])


def _rated_data(n=150, seed=0):
    # 5-point ratings -2..2 collapsed to negative (< 0), neutral, positive
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    centre = np.clip(np.round(1.5 * X[:, 0]), -2, 2)
    ratings = np.clip(centre[:, None] + rng.integers(-1, 2, size=(n, 7)), -2, 2)
    rating_counts = np.stack([(ratings == r).sum(1) for r in range(-2, 3)], 1)
    point_class = np.array([0, 0, 1, 2, 2])
    counts = rating_counts @ np.eye(3, dtype=int)[point_class]
    gold = np.sign(centre).astype(int) + 1
    return X, gold, counts, rating_counts, point_class


def test_run_audit_recomputes_the_raw_metric():
    X, gold, counts, rating_counts, point_class = _rated_data()
    kw = dict(arms=["gold", "human_soft"], seeds=2, max_epochs=2, batch_runs=False)
    result = run_audit(
        X, gold, counts, rating_counts=rating_counts, rating_classes=point_class, **kw
    )
    assert set(RAW) <= set(result.scores)
    assert all(METRICS[m]["reference"] == "human raw ratings" for m in RAW)
    ((train, test),) = result.folds
    # q from the training rows only, by hand
    q = np.zeros((3, 5))
    pooled = rating_counts[train].sum(0)
    for r, c in enumerate(point_class):
        q[c, r] = pooled[r]
    q /= q.sum(1, keepdims=True)
    human_raw = rating_counts[result.test_index]
    human_raw = human_raw / human_raw.sum(1, keepdims=True)
    for run in result.runs:
        p_raw = run["proba"] @ q
        d = [_w1_by_hand(h, p) for h, p in zip(human_raw, p_raw)]
        hard = result.hard_mask
        got = run["metrics"]
        assert got["wasserstein_all_vs_human_raw"] == pytest.approx(np.mean(d))
        assert got["wasserstein_hard_vs_human_raw"] == pytest.approx(
            np.mean(np.array(d)[hard])
        )
        assert got["wasserstein_easy_vs_human_raw"] == pytest.approx(
            np.mean(np.array(d)[~hard])
        )
    # the other metrics do not change with the raw scale
    plain = run_audit(X, gold, counts, **kw)
    assert not set(RAW) & set(plain.scores)
    for name, values in plain.scores.items():
        np.testing.assert_array_equal(values, result.scores[name])


def test_absent_without_raw_scale():
    rng = np.random.default_rng(1)
    human = rng.dirichlet(np.ones(3), size=20)
    proba = rng.dirichlet(np.ones(3), size=20)
    s = score_predictions(proba, None, human, np.arange(20) < 4)
    assert not set(RAW) & set(s)


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(rating_classes=None), "needs rating_classes"),
        (dict(rating_classes=[0, 0, 1, 2]), "a class for each"),
        (dict(rating_classes=[0, 0, 1, 1, 1]), "each class with at least"),
        (dict(rating_classes=[0, 1, 1, 2, 2]), "do not give the human labels"),
        (dict(rating_counts=-np.ones((150, 5))), "non-negative"),
        (dict(rating_counts=np.zeros((150, 5))), "at least one rating"),
        (dict(rating_counts=np.ones((149, 5))), "must have shape"),
    ],
)
def test_bad_raw_scale(change, match):
    X, gold, counts, rating_counts, point_class = _rated_data()
    kw = {"rating_counts": rating_counts, "rating_classes": point_class, **change}
    with pytest.raises(ValueError, match=match):
        run_audit(
            X, gold, counts, arms=["gold", "human_soft"], seeds=1, max_epochs=1, **kw
        )


def test_rating_classes_alone_is_refused():
    X, gold, counts, _, point_class = _rated_data()
    with pytest.raises(ValueError, match="needs rating_counts"):
        run_audit(
            X,
            gold,
            counts,
            arms=["gold", "human_soft"],
            seeds=1,
            rating_classes=point_class,
        )


def test_default_data_has_no_raw_scale():
    data = load_audit_data("ambiguous-digits", max_samples=100)
    assert "rating_counts" not in data


@pytest.fixture(scope="module")
def vader_dir(data_dir):
    if not (data_dir / "vader" / "hutto_ICWSM_2014.tar.gz").exists():
        pytest.skip(f"VADER tarball not found under {data_dir / 'vader'}")
    return data_dir


def test_vader_loader_ratings_reach_the_metric(vader_dir):
    data = load_audit_data(
        "vader", data_home=vader_dir, max_samples=300, download=False
    )
    rc, classes = data["rating_counts"], data["rating_classes"]
    assert rc.shape == (300, 9)
    np.testing.assert_array_equal(
        classes, ["negative"] * 4 + ["neutral"] + ["positive"] * 4
    )
    human = data["human"] / data["human"].sum(1, keepdims=True)
    counts, point_class = check_rating_scale(rc, classes, human, data["classes"])
    np.testing.assert_array_equal(counts, rc)
    # the metric on the loader's ratings: one fold, q from its first 200 rows
    folds = [(np.arange(200), np.arange(200, 300))]
    raw = raw_test_scale(counts, point_class, 3, folds, np.arange(200, 300))
    proba = human[200:]  # the collapsed human labels as predictions
    s = score_predictions(proba, None, human[200:], np.zeros(100, bool), raw=raw)
    p_raw = proba @ raw.shape[0]
    by_hand = np.mean([_w1_by_hand(h, p) for h, p in zip(raw.human, p_raw)])
    assert s["wasserstein_all_vs_human_raw"] == pytest.approx(by_hand)
    assert 0 < by_hand < 8  # in scale points, not normalised


def test_vader_audit_reports_the_raw_metric(vader_dir, tmp_path):
    data = load_audit_data(
        "vader", data_home=vader_dir, max_samples=300, download=False
    )
    result = run_audit(
        data["X"],
        data["gold"],
        data["human"],
        counts=True,
        classes=data["classes"],
        arms=["gold", "human_soft"],
        seeds=2,
        max_epochs=2,
        n_jobs=1,
        provenance=data["provenance"],
        rating_counts=data["rating_counts"],
        rating_classes=data["rating_classes"],
    )
    # the second seed's value by hand from its own split's training rows
    assert result.params["seed_design"] == "split"
    seed = result.seeds[1]
    run = next(r for r in result.runs if r["seed"] == seed and r["arm"] == "gold")
    ts = result.test_set(seed)
    rc = data["rating_counts"]
    ((train, _),) = ts["folds"]
    q = np.zeros((3, 9))
    q[0, :4], q[1, 4], q[2, 5:] = rc[train, :4].sum(0), 1.0, rc[train, 5:].sum(0)
    q /= q.sum(1, keepdims=True)
    human_raw = rc[ts["test_index"]] / rc[ts["test_index"]].sum(1, keepdims=True)
    d = [_w1_by_hand(h, p) for h, p in zip(human_raw, run["proba"] @ q)]
    assert run["metrics"]["wasserstein_all_vs_human_raw"] == pytest.approx(np.mean(d))
    result.write_report(tmp_path / "r", figures=False)
    report = (tmp_path / "r" / "report.md").read_text()
    for name in RAW:
        assert f"| `{name}` | human raw ratings | lower |" in report
