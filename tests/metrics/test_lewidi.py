"""The Le-Wi-Di 2025 metrics against the task's definitions and references."""

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.stats import wasserstein_distance
from sklearn.linear_model import LogisticRegression
from sklearn.multioutput import MultiOutputClassifier

from sksoft.metrics import (
    annotator_error_rate,
    average_manhattan_distance,
    get_scorer,
    multilabel_manhattan_distance,
    normalized_absolute_distance,
    ordinal_wasserstein_distance,
)

# --- the task's scoring, re-written from its notebook's formulas (plain Python
# loops, Python's round at the same steps) -------------------------------------


def task_average_md(targets, predictions):
    per_item = []
    for t, p in zip(targets, predictions):
        per_item.append(round(sum(abs(a - b) for a, b in zip(p, t)), 5))
    return round(sum(per_item) / len(per_item), 5)


def task_multilabel_md(targets, predictions):
    scores = [task_average_md(t, p) for t, p in zip(targets, predictions)]
    return round(sum(scores) / len(scores), 5)


def emd_on_line(t, p):
    """Exact optimal transport cost with cost |h - k| (what ``ot.emd2`` solves)."""
    k = len(t)
    cost = np.abs(np.arange(k)[:, None] - np.arange(k)[None, :]).ravel()
    a_eq = np.zeros((2 * k, k * k))
    for h in range(k):
        a_eq[h, h * k : (h + 1) * k] = 1.0  # mass leaving h
        a_eq[k + h, h::k] = 1.0  # mass arriving at h
    res = linprog(cost, A_eq=a_eq, b_eq=np.r_[t, p], bounds=(0, None), method="highs")
    assert res.status == 0
    return res.fun


def task_average_ws(targets, predictions):
    dist = [emd_on_line(t, p) for t, p in zip(targets, predictions)]
    return round(sum(dist) / len(targets), 5)


def task_error_rate(targets, predictions):
    scores = []
    for t, p in zip(targets, predictions):
        errors = sum(abs(a - b) for a, b in zip(t, p))
        scores.append(round(1 - ((len(t) - errors) / len(t)), 5))
    return float(np.mean(scores))


def task_multilabel_error_rate(targets, predictions):
    return float(np.mean([task_error_rate(t, p) for t, p in zip(targets, predictions)]))


def task_absolute_distance(targets, predictions, scale):
    per_item = []
    for t, p in zip(targets, predictions):
        per_item.append(sum(abs(a - b) for a, b in zip(t, p)) / len(t) / scale)
    return float(np.mean(per_item))


def _dists(rng, n, k, decimals=None):
    d = rng.dirichlet(np.ones(k) * 0.7, size=n)
    if decimals is not None:  # rounded shares, as the task's files hold
        d = np.round(d, decimals)
        d[:, -1] = 1.0 - d[:, :-1].sum(axis=1)
        d = np.clip(d, 0, 1)
        d /= d.sum(axis=1, keepdims=True)
    return d


# --- hand computations ------------------------------------------------------


def test_manhattan_by_hand():
    t = [[0.6, 0.4], [1.0, 0.0], [0.0, 1.0]]
    p = [[0.5, 0.5], [0.8, 0.2], [0.5, 0.5]]
    # |0.1| + |0.1| = 0.2; 0.2 + 0.2 = 0.4; 0.5 + 0.5 = 1.0
    assert average_manhattan_distance(t, p) == pytest.approx((0.2 + 0.4 + 1.0) / 3)
    # hard labels are one-hot rows: 2 * (1 - p_y)
    assert average_manhattan_distance([0, 1], [[0.7, 0.3], [0.7, 0.3]]) == (
        pytest.approx((0.6 + 1.4) / 2)
    )
    # a 1-D positive-class column is the row [1 - p, p]
    assert average_manhattan_distance([[0.5, 0.5]], [0.8]) == pytest.approx(0.6)
    # weights
    assert average_manhattan_distance(
        [[0.6, 0.4], [1.0, 0.0]], [[0.5, 0.5], [0.8, 0.2]], sample_weight=[3, 1]
    ) == pytest.approx((3 * 0.2 + 0.4) / 4)


def test_wasserstein_by_hand():
    # all mass moved from point 0 to point 4: cost 4
    assert ordinal_wasserstein_distance([[1, 0, 0, 0, 0.0]], [[0, 0, 0, 0, 1.0]]) == 4
    # half the mass moves one step: 0.5
    assert ordinal_wasserstein_distance(
        [[0.5, 0.5, 0.0]], [[0.0, 1.0, 0.0]]
    ) == pytest.approx(0.5)
    # cost depends on distance on the scale, unlike Manhattan (2 in both cases)
    near = ordinal_wasserstein_distance([[1.0, 0, 0]], [[0, 1.0, 0]])
    far = ordinal_wasserstein_distance([[1.0, 0, 0]], [[0, 0, 1.0]])
    assert (near, far) == (1.0, 2.0)
    # ratings as labels: the scale -5..5 with a never-used point
    labels = np.arange(-5, 6)
    p = np.zeros((1, 11))
    p[0, 10] = 1.0  # predicts +5
    assert ordinal_wasserstein_distance([-5], p, labels=labels) == 10.0


@pytest.mark.parametrize("k", [2, 3, 6, 11])
def test_wasserstein_equals_scipy_and_exact_transport(k):
    rng = np.random.default_rng(k)
    t, p = _dists(rng, 40, k), _dists(rng, 40, k)
    points = np.arange(k)
    ref = [
        wasserstein_distance(points, points, u_weights=a, v_weights=b)
        for a, b in zip(t, p)
    ]
    assert ordinal_wasserstein_distance(t, p) == pytest.approx(np.mean(ref), abs=1e-12)
    lp = np.mean([emd_on_line(a, b) for a, b in zip(t[:10], p[:10])])
    assert ordinal_wasserstein_distance(t[:10], p[:10]) == pytest.approx(lp, abs=1e-9)


def test_wasserstein_symmetric_and_zero_iff_equal():
    rng = np.random.default_rng(1)
    t, p = _dists(rng, 30, 7), _dists(rng, 30, 7)
    assert ordinal_wasserstein_distance(t, p) == pytest.approx(
        ordinal_wasserstein_distance(p, t), abs=1e-12
    )
    assert ordinal_wasserstein_distance(t, t) == pytest.approx(0.0, abs=1e-12)
    assert ordinal_wasserstein_distance(t, p) > 0


def test_multilabel_by_hand():
    # label shares (n=1, L=3): per label 2|p - t| = 0, 0.5, 0.5 -> mean 1/3
    assert multilabel_manhattan_distance(
        [[0.5, 0.0, 1.0]], [[0.5, 0.25, 0.75]]
    ) == pytest.approx(1 / 3)
    # the same as (n, L, 2) distributions, and as a list of per-label arrays
    t3 = np.array([[[0.5, 0.5], [1.0, 0.0], [0.0, 1.0]]])
    p3 = np.array([[[0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]])
    assert multilabel_manhattan_distance(t3, p3) == pytest.approx(1 / 3)
    assert multilabel_manhattan_distance(t3, list(p3.transpose(1, 0, 2))) == (
        pytest.approx(1 / 3)
    )


def test_annotator_metrics_by_hand():
    t = [[0, 1, 1, 0], [1, 1, np.nan, np.nan]]
    p = [[0, 1, 0, 0], [0, 1, 0, 0]]
    # item 0: 1 of 4 wrong; item 1: 1 of its 2 annotators wrong -> (0.25 + 0.5) / 2
    assert annotator_error_rate(t, p) == pytest.approx(0.375)
    # ragged lists (the task's format) give the same
    assert annotator_error_rate([[0, 1, 1, 0], [1, 1]], [[0, 1, 0, 0], [0, 1]]) == (
        pytest.approx(0.375)
    )
    # multi-label: (n=1, L=2, a=2): label rates 0.5 and 0 -> 0.25
    assert annotator_error_rate([[[1, 0], [0, 0]]], [[[1, 1], [0, 0]]]) == 0.25
    # ratings on 1..6: |2-3| + 0 -> 0.5 / 6; 0 + 3 -> 1.5 / 6
    r = normalized_absolute_distance([[2, 4], [1, 1]], [[3, 4], [1, 4]], scale_size=6)
    assert r == pytest.approx((0.5 / 6 + 1.5 / 6) / 2)


# --- equality with the task's scoring ---------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_equal_to_task_scoring(seed):
    rng = np.random.default_rng(seed)
    t, p = _dists(rng, 25, 2, decimals=2), _dists(rng, 25, 2)
    for rounding in (False, True):
        ours = average_manhattan_distance(t, p, task_rounding=rounding)
        assert ours == pytest.approx(task_average_md(t.tolist(), p.tolist()), abs=1e-5)
    assert average_manhattan_distance(t, p, task_rounding=True) == task_average_md(
        t.tolist(), p.tolist()
    )

    to, po = _dists(rng, 12, 11, decimals=2), _dists(rng, 12, 11)
    assert ordinal_wasserstein_distance(to, po, task_rounding=True) == task_average_ws(
        to, po
    )

    tm = _dists(rng, 30, 2).reshape(10, 3, 2)
    pm = _dists(rng, 30, 2).reshape(10, 3, 2)
    assert multilabel_manhattan_distance(
        tm, pm, task_rounding=True
    ) == task_multilabel_md(tm.tolist(), pm.tolist())
    assert multilabel_manhattan_distance(tm, pm) == pytest.approx(
        task_multilabel_md(tm.tolist(), pm.tolist()), abs=1e-5
    )

    ta = rng.integers(0, 2, size=(20, 3))
    pa = rng.integers(0, 2, size=(20, 3))
    assert annotator_error_rate(ta, pa, task_rounding=True) == pytest.approx(
        task_error_rate(ta.tolist(), pa.tolist()), abs=1e-15
    )
    tl = rng.integers(0, 2, size=(8, 3, 4))
    pl = rng.integers(0, 2, size=(8, 3, 4))
    assert annotator_error_rate(tl, pl, task_rounding=True) == pytest.approx(
        task_multilabel_error_rate(tl.tolist(), pl.tolist()), abs=1e-15
    )

    tr = rng.integers(-5, 6, size=(15, 4))
    pr = rng.integers(-5, 6, size=(15, 4))
    assert normalized_absolute_distance(tr, pr, scale_size=11) == pytest.approx(
        task_absolute_distance(tr.tolist(), pr.tolist(), 11), abs=1e-15
    )


def test_task_rounding_rounds_each_item_first():
    # item distances 6e-6 and 0: rounded first to 1e-5 and 0, their mean 5e-6
    # rounds to 1e-5; the exact mean 3e-6 would round to 0
    t = [[0.5, 0.5]] * 2
    p = [[0.5 + 3e-6, 0.5 - 3e-6], [0.5, 0.5]]
    assert average_manhattan_distance(t, p) == pytest.approx(3e-6)
    assert average_manhattan_distance(t, p, task_rounding=True) == 1e-05
    # the Wasserstein mean is rounded, its items are not (as the task's code)
    assert ordinal_wasserstein_distance(t, p, task_rounding=True) == round(1.5e-6, 5)


# --- scorers ----------------------------------------------------------------


def _ordinal_problem(seed=0, n=120, k=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    rating = np.clip(np.round(X[:, 0] * 1.5 + 2 + rng.normal(size=n) * 0.5), 0, k - 1)
    return X, rating.astype(int)


def test_soft_scorers_equal_metrics():
    X, y = _ordinal_problem()
    clf = LogisticRegression(max_iter=500).fit(X, y)
    proba = clf.predict_proba(X)
    soft = np.eye(5)[y] * 0.6 + 0.4 / 5
    for name, func in [
        ("neg_average_manhattan_distance", average_manhattan_distance),
        ("neg_ordinal_wasserstein_distance", ordinal_wasserstein_distance),
    ]:
        scorer = get_scorer(name)
        assert scorer(clf, X, soft) == pytest.approx(-func(soft, proba))
        assert scorer(clf, X, y) == pytest.approx(-func(y, proba))
        assert scorer(clf, X, soft) <= 0
    rounded = get_scorer("neg_ordinal_wasserstein_distance", task_rounding=True)
    assert rounded(clf, X, soft) == -round(ordinal_wasserstein_distance(soft, proba), 5)


def test_multioutput_scorers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    votes = (X[:, :2, None] + rng.normal(size=(60, 2, 4)) > 0).astype(int)  # (n, L, a)
    shares = votes.mean(axis=2)
    per_label = (shares > 0.5).astype(int)
    clf = MultiOutputClassifier(LogisticRegression()).fit(X, per_label)
    scorer = get_scorer("neg_multilabel_manhattan_distance")
    expected = multilabel_manhattan_distance(shares, clf.predict_proba(X))
    assert scorer(clf, X, shares) == pytest.approx(-expected)

    ann = votes[:, 0, :]  # (n, a): each annotator's label of the first label
    per_ann = MultiOutputClassifier(LogisticRegression()).fit(X, ann)
    er = get_scorer("neg_annotator_error_rate")
    assert er(per_ann, X, ann) == pytest.approx(
        -annotator_error_rate(ann, per_ann.predict(X))
    )
    nad = get_scorer("neg_normalized_absolute_distance", scale_size=2)
    assert nad(per_ann, X, ann) == pytest.approx(
        -normalized_absolute_distance(ann, per_ann.predict(X), scale_size=2)
    )
    with pytest.raises(TypeError, match="scale_size"):
        get_scorer("neg_normalized_absolute_distance")(per_ann, X, ann)
    with pytest.raises(ValueError, match="does not accept"):
        get_scorer("neg_annotator_error_rate", scale_size=2)


# --- validation -------------------------------------------------------------


@pytest.mark.parametrize(
    "func, args, match",
    [
        (average_manhattan_distance, ([[0.5, 0.5]], [[0.5, 0.6]]), "sum to 1"),
        (average_manhattan_distance, ([[0.5, 0.5]], [[0.5, 0.5, 0.0]]), "classes"),
        (ordinal_wasserstein_distance, ([[0.5, 0.5]], [[np.nan, 1.0]]), "NaN"),
        (ordinal_wasserstein_distance, ([[0.5, 0.5]], [[2.0, -1.0]]), "softmax"),
        (multilabel_manhattan_distance, ([[0.5, 1.2]], [[0.5, 0.5]]), r"\[0, 1\]"),
        (
            multilabel_manhattan_distance,
            ([[0.5, 0.5]], [[0.5, 0.5, 0.5]]),
            "must match",
        ),
        (annotator_error_rate, ([[0, 1]], [[0, 1, 1]]), "shape"),
        (annotator_error_rate, ([[np.nan, np.nan]], [[0, 1]]), "no annotation"),
        (annotator_error_rate, ([[0, 1]], [[0, np.nan]]), "y_pred contains NaN"),
        (annotator_error_rate, ([0, 1], [0, 1]), "n_annotators"),
        (annotator_error_rate, ([["a", "b"]], [["a", "b"]]), "numeric"),
    ],
)
def test_one_line_errors(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


def test_scale_size_validated():
    with pytest.raises(ValueError, match="scale_size"):
        normalized_absolute_distance([[1]], [[1]], scale_size=0)


# --- real data: the task's Paraphrase and VariErrNLI sets -----------------------


@pytest.fixture(scope="module")
def lewidi(data_dir):
    from sksoft.datasets import fetch_lewidi

    if not (data_dir / "lewidi" / "LeWiDi_3-2025" / "Paraphrase").exists():
        pytest.skip(f"Le-Wi-Di 2025 files not found under {data_dir / 'lewidi'}")
    return {
        name: fetch_lewidi(data_dir, name=name, download_if_missing=False)
        for name in ("Paraphrase", "VariErrNLI")
    }


def test_real_paraphrase_equals_task_scoring(lewidi):
    b = lewidi["Paraphrase"]
    train, dev = b.split == "train", b.split == "dev"
    human = b.soft_target[dev]
    baseline = np.tile(b.soft_target[train].mean(axis=0), (dev.sum(), 1))
    ours = ordinal_wasserstein_distance(human, baseline, task_rounding=True)
    assert ours == task_average_ws(human, baseline)
    points = np.arange(len(b.classes))
    ref = np.mean(
        [
            wasserstein_distance(points, points, u_weights=t, v_weights=p)
            for t, p in zip(human, baseline)
        ]
    )
    assert ordinal_wasserstein_distance(human, baseline) == pytest.approx(
        ref, abs=1e-12
    )
    assert average_manhattan_distance(
        human, baseline, task_rounding=True
    ) == task_average_md(human.tolist(), baseline.tolist())
    # per annotator: the dev items' ratings, ragged (each item its annotators),
    # against predicting the rounded training mean rating for everyone
    ann = b.annotations
    rows = np.flatnonzero(dev)
    ratings = [
        [float(v) for v in np.asarray(ann.label)[np.asarray(ann.item) == i]]
        for i in rows
    ]
    mean_rating = float(np.round(b.soft_target[train].mean(axis=0) @ b.classes))
    pred = [[mean_rating] * len(r) for r in ratings]
    assert normalized_absolute_distance(ratings, pred, scale_size=11) == (
        pytest.approx(task_absolute_distance(ratings, pred, 11), abs=1e-15)
    )


def test_real_varierrnli_multilabel_equals_task_scoring(lewidi):
    b = lewidi["VariErrNLI"]
    train, dev = b.split == "train", b.split == "dev"
    shares = b.soft_target[dev]  # per-label shares (rows need not sum to 1)
    baseline = np.tile(b.soft_target[train].mean(axis=0), (dev.sum(), 1))
    as_dists = lambda s: np.stack([1 - s, s], axis=2).tolist()  # noqa: E731
    assert multilabel_manhattan_distance(
        shares, baseline, task_rounding=True
    ) == task_multilabel_md(as_dists(shares), as_dists(baseline))
