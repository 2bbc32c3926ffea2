"""Tests for sksoft.sources (annotations, synthetic soft labels, mode control,
supervision arms, simulated panels)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import softmax
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sksoft.model_selection import SoftStratifiedKFold
from sksoft.sources import (
    ARM_NAMES,
    ARM_REGISTRY,
    DEFAULT_ARMS,
    GOLD_ARMS,
    SOFT_ARMS,
    align_mode,
    annotations_to_counts,
    apply_temperature,
    make_supervision_arms,
    mode_one_hot,
    mode_shift_mask,
    simulate_multinomial_panel,
    simulate_noisy_observer_panel,
    smooth_labels,
    teacher_soft_labels,
)
from sksoft.targets import counts_to_proba, hard_labels, one_hot, target_entropy


def _entropy_sorted(p):
    """Entropy summed over each row's sorted values (order-independent)."""
    s = np.sort(p, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.where(s > 0, s * np.log(s), 0.0).sum(axis=1)


# --------------------------------------------------------------------------
# annotations -> counts
# --------------------------------------------------------------------------
TABLE = {
    "img": ["x", "x", "x", "y", "y", "z", "z", "z", "z"],
    "who": ["ann", "bob", "cy", "ann", "bob", "ann", "bob", "cy", "dee"],
    "lab": ["cat", "dog", "cat", "bird", "dog", "cat", "cat", "cat", "bird"],
}


def test_annotations_to_counts_hand_built_dataframe():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(TABLE)
    res = annotations_to_counts(
        df,
        item="img",
        annotator="who",
        label="lab",
        classes=["cat", "dog", "bird", "fox"],
        items=["z", "x", "y"],
    )
    expected = np.array(
        [
            [3, 0, 1, 0],  # z
            [2, 1, 0, 0],  # x
            [0, 1, 1, 0],  # y
        ]
    )
    np.testing.assert_array_equal(res.counts, expected)
    assert res.counts.dtype == np.int64
    assert res.classes.tolist() == ["cat", "dog", "bird", "fox"]
    assert res.item_ids.tolist() == ["z", "x", "y"]
    np.testing.assert_array_equal(res.n_annotations, [4, 3, 2])
    assert res.n_duplicates == 0


def test_annotations_to_counts_arrays_and_default_orders():
    res = annotations_to_counts(
        item=TABLE["img"], annotator=TABLE["who"], label=TABLE["lab"]
    )
    # sorted classes and items by default
    assert res.classes.tolist() == ["bird", "cat", "dog"]
    assert res.item_ids.tolist() == ["x", "y", "z"]
    np.testing.assert_array_equal(res.counts, [[0, 2, 1], [1, 0, 1], [1, 3, 0]])


def test_annotations_to_counts_dict_table_and_anonymous():
    res = annotations_to_counts(
        {"item": [0, 0, 1, 1, 1], "label": [2, 2, 0, 1, 1]},
        annotator=None,
        classes=[0, 1, 2],
    )
    np.testing.assert_array_equal(res.counts, [[0, 0, 2], [1, 2, 0]])


def test_annotations_to_counts_roundtrip_cifar10h(cifar10h_dir):
    counts = np.load(cifar10h_dir / "cifar10h-counts.npy")
    # expand every vote into one row of a long table, shuffled
    item = np.repeat(np.repeat(np.arange(counts.shape[0]), 10), counts.ravel())
    label = np.repeat(np.tile(np.arange(10), counts.shape[0]), counts.ravel())
    annot = np.concatenate([np.arange(n) for n in counts.sum(axis=1)])
    perm = np.random.default_rng(0).permutation(item.size)
    res = annotations_to_counts(
        item=item[perm], annotator=annot[perm], label=label[perm], classes=np.arange(10)
    )
    np.testing.assert_array_equal(res.counts, counts)
    probs = np.load(cifar10h_dir / "cifar10h-probs.npy")
    np.testing.assert_allclose(counts_to_proba(res.counts), probs, rtol=0, atol=1e-12)


def test_annotations_to_counts_duplicate_policies():
    item = ["a", "a", "a", "b"]
    who = [1, 2, 1, 1]
    lab = ["u", "v", "v", "u"]
    with pytest.raises(ValueError, match=r"annotator 1 labelled item 'a' more than"):
        annotations_to_counts(item=item, annotator=who, label=lab)
    first = annotations_to_counts(
        item=item, annotator=who, label=lab, duplicates="first"
    )
    last = annotations_to_counts(item=item, annotator=who, label=lab, duplicates="last")
    every = annotations_to_counts(
        item=item, annotator=who, label=lab, duplicates="count"
    )
    np.testing.assert_array_equal(first.counts, [[1, 1], [1, 0]])
    np.testing.assert_array_equal(last.counts, [[0, 2], [1, 0]])
    np.testing.assert_array_equal(every.counts, [[1, 2], [1, 0]])
    assert first.n_duplicates == last.n_duplicates == every.n_duplicates == 1


def test_annotations_to_counts_missing_items_policy():
    kw = dict(item=["a", "a"], annotator=[1, 2], label=[0, 1], classes=[0, 1])
    with pytest.raises(ValueError, match=r"item 'b' .* has no annotation"):
        annotations_to_counts(items=["a", "b"], **kw)
    res = annotations_to_counts(items=["b", "a"], missing="zero", **kw)
    np.testing.assert_array_equal(res.counts, [[0, 0], [1, 1]])
    np.testing.assert_array_equal(res.n_annotations, [0, 2])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(item=[], annotator=[], label=[]), "empty"),
        (dict(item=[1, 2], annotator=[1], label=[0, 1]), "differ in length"),
        (dict(item=[1, 2], annotator=[1, 2], label=[0, np.nan]), "missing value"),
        (dict(item=[1, None], annotator=[1, 2], label=[0, 1]), "item column has a m"),
        (
            dict(item=[1, 2], annotator=[1, 2], label=[0, 5], classes=[0, 1]),
            r"label 5 \(row 1\) is not among the classes",
        ),
        (
            dict(item=[1, 7], annotator=[1, 2], label=[0, 1], items=[1, 2]),
            r"item 7 \(row 1\) is not among the items",
        ),
        (dict(item=[[1, 2]], annotator=[1], label=[0]), "must be 1-D"),
        (
            dict(item=[1, 2], annotator=[1, 2], label=[0, 1], classes=[0, 0]),
            "duplicates",
        ),
    ],
)
def test_annotations_to_counts_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        annotations_to_counts(**kwargs)


def test_annotations_to_counts_unknown_column():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(TABLE)
    with pytest.raises(ValueError, match="no item column 'item'"):
        annotations_to_counts(df)
    with pytest.raises(ValueError, match="empty"):
        annotations_to_counts(df.iloc[:0], item="img", annotator="who", label="lab")


# --------------------------------------------------------------------------
# label smoothing and temperature
# --------------------------------------------------------------------------
def test_smooth_labels_formula():
    y = np.array([0, 2, 1, 2])
    eps = 0.2
    expected = (1 - eps) * one_hot(y) + eps / 3
    np.testing.assert_allclose(smooth_labels(y, eps), expected, rtol=0, atol=1e-15)
    soft = np.array([[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(smooth_labels(soft, 0.3), [[0.45, 0.45, 0.1]])
    # classes absent from y get a column when classes are given
    assert smooth_labels([0, 0], 0.1, classes=[0, 1, 2]).shape == (2, 3)


def test_smooth_labels_matches_reference_entropy(rng):
    ref = rng.dirichlet(np.full(4, 0.5), size=300)
    y = rng.integers(0, 4, size=200)
    y_s, eps = smooth_labels(y, reference=ref, return_epsilon=True)
    assert 0 < eps < 1
    assert target_entropy(y_s).mean() == pytest.approx(
        target_entropy(ref).mean(), rel=1e-9
    )
    # formula holds for the solved epsilon
    np.testing.assert_allclose(y_s, (1 - eps) * one_hot(y, classes=range(4)) + eps / 4)


def test_smooth_labels_errors(rng):
    with pytest.raises(ValueError, match="exactly one of epsilon and reference"):
        smooth_labels([0, 1])
    with pytest.raises(ValueError, match="exactly one of epsilon and reference"):
        smooth_labels([0, 1], 0.1, reference=[[0.5, 0.5]])
    uniform = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match="below the mean entropy"):
        smooth_labels(uniform, reference=[[1.0, 0.0]])
    with pytest.raises(ValueError, match="reference has 3 columns"):
        smooth_labels([0, 1], reference=[[0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match="epsilon"):
        smooth_labels([0, 1], 1.5)
    with pytest.raises(ValueError, match="NaN"):
        smooth_labels([[np.nan, 1.0]], 0.1)


def test_apply_temperature_equals_softmax_of_scaled_logits(rng):
    z = rng.normal(size=(50, 5)) * 3
    p = softmax(z, axis=1)
    for t in (0.25, 0.7, 1.0, 2.0, 10.0):
        np.testing.assert_allclose(
            apply_temperature(p, t), softmax(z / t, axis=1), rtol=1e-10, atol=1e-14
        )
    # zeros stay zero, one-hot rows unchanged
    out = apply_temperature([[0.0, 0.25, 0.75], [1.0, 0.0, 0.0]], 3.0)
    assert out[0, 0] == 0.0
    np.testing.assert_array_equal(out[1], [1.0, 0.0, 0.0])


def test_apply_temperature_monotone_and_matching(rng):
    p = rng.dirichlet(np.ones(4), size=200)
    ents = [target_entropy(apply_temperature(p, t)).mean() for t in (0.3, 0.6, 1, 3)]
    assert np.all(np.diff(ents) > 0)
    ref = rng.dirichlet(np.full(4, 5.0), size=100)  # flatter than p
    p_t, t = apply_temperature(p, reference=ref, return_temperature=True)
    assert t > 1
    assert target_entropy(p_t).mean() == pytest.approx(
        target_entropy(ref).mean(), rel=1e-9
    )
    with pytest.raises(ValueError, match="no temperature"):
        apply_temperature(one_hot([0, 1, 2, 3]), reference=ref)
    with pytest.raises(ValueError, match="2-D"):
        apply_temperature([0, 1], 2.0)
    with pytest.raises(ValueError, match="temperature"):
        apply_temperature(p, -1.0)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    k=st.integers(2, 6),
    zeros=st.booleans(),
)
def test_mean_entropy_is_monotone_in_temperature(seed, k, zeros):
    # the matched temperature of the teacher arm is a 1-D root find: it needs
    # the mean entropy to be non-decreasing in T (each row's escort
    # distribution p^(1/T) moves from its mode towards uniform over its
    # support); checked on a fine grid, rows with zeros included
    r = np.random.default_rng(seed)
    p = r.dirichlet(np.full(k, r.uniform(0.2, 3.0)), size=30)
    if zeros:
        p[r.random(p.shape) < 0.2] = 0.0
        p[p.sum(axis=1) == 0, 0] = 1.0
        p /= p.sum(axis=1, keepdims=True)
    grid = np.exp(np.linspace(np.log(1e-2), np.log(1e2), 200))
    ents = np.array([target_entropy(apply_temperature(p, t)).mean() for t in grid])
    assert np.all(np.diff(ents) >= -1e-12)
    # and the root find lands on the reference entropy where it is reachable
    t_ref = grid[np.searchsorted(ents, 0.5 * (ents[0] + ents[-1]))]
    target_rows = apply_temperature(p, t_ref)
    _, t = apply_temperature(p, reference=target_rows, return_temperature=True)
    assert target_entropy(apply_temperature(p, t)).mean() == pytest.approx(
        target_entropy(target_rows).mean(), abs=1e-9
    )


# --------------------------------------------------------------------------
# teacher soft labels
# --------------------------------------------------------------------------
def test_teacher_soft_labels_is_cross_fitted():
    X, y = load_iris(return_X_y=True)
    est = LogisticRegression(max_iter=1000)
    oof = teacher_soft_labels(est, X, y, cv=5, random_state=0)
    # independent reference: the same folds fitted by hand
    ref = np.zeros_like(oof)
    splitter = SoftStratifiedKFold(5, shuffle=True, random_state=0)
    for train, test in splitter.split(X, y):
        ref[test] = clone(est).fit(X[train], y[train]).predict_proba(X[test])
    np.testing.assert_allclose(oof, ref, rtol=1e-12, atol=1e-15)
    # an in-sample teacher (fitted on all rows) would differ and be more
    # confident on the labels it saw
    insample = clone(est).fit(X, y).predict_proba(X)
    assert np.abs(insample - oof).max() > 1e-3
    rows = np.arange(len(y))
    assert insample[rows, y].mean() > oof[rows, y].mean()


def test_teacher_in_sample_tree_would_be_one_hot():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    tree = DecisionTreeClassifier(random_state=0)
    insample = clone(tree).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(insample, one_hot(y))  # memorised labels
    oof = teacher_soft_labels(tree, X, y, cv=4, random_state=0)
    # out of fold, the tree makes mistakes on held-out digits
    assert (hard_labels(oof) != y).mean() > 0.05


def test_teacher_temperature_classes_and_soft_y(rng):
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica", "unseen"])[y]
    est = LogisticRegression(max_iter=1000)
    base = teacher_soft_labels(est, X, y, random_state=1)
    hot = teacher_soft_labels(est, X, y, random_state=1, temperature=2.0)
    np.testing.assert_allclose(hot, apply_temperature(base, 2.0), rtol=1e-12)
    labelled = teacher_soft_labels(
        est,
        X,
        names,
        random_state=1,
        classes=["setosa", "versicolor", "virginica", "unseen"],
    )
    np.testing.assert_allclose(labelled[:, :3], base, rtol=1e-12)
    np.testing.assert_array_equal(labelled[:, 3], 0.0)
    # a soft y trains the teacher on its hard labels
    soft = 0.7 * one_hot(y) + 0.1
    np.testing.assert_allclose(
        teacher_soft_labels(est, X, soft, random_state=1), base, rtol=1e-12
    )
    # an explicit splitter is used as given
    kf = teacher_soft_labels(est, X, y, cv=KFold(3, shuffle=True, random_state=0))
    assert kf.shape == (150, 3)


def test_teacher_bad_input():
    X, y = load_iris(return_X_y=True)
    est = LogisticRegression()
    with pytest.raises(ValueError, match="X has 149 samples but y has 150"):
        teacher_soft_labels(est, X[:-1], y)
    with pytest.raises(ValueError, match="single class"):
        teacher_soft_labels(est, X, np.zeros(150, int))
    with pytest.raises(ValueError, match="NaN"):
        teacher_soft_labels(est, np.where(X > 7, np.nan, X), y)
    with pytest.raises(ValueError, match="not among"):
        teacher_soft_labels(est, X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="estimator"):
        teacher_soft_labels(SVC(), X, y)  # no predict_proba
    with pytest.raises(ValueError, match="cv"):
        teacher_soft_labels(est, X, y, cv=1)


# --------------------------------------------------------------------------
# mode control
# --------------------------------------------------------------------------
def test_align_mode_keeps_values_and_entropy_exactly(rng):
    p = rng.dirichlet(np.full(6, 0.4), size=2000)
    counts = rng.multinomial(6, [1 / 6] * 6, size=300)  # many ties
    for y in (p, counts_to_proba(counts)):
        gold = rng.integers(0, 6, size=y.shape[0])
        y_al, changed = align_mode(y, gold)
        rows = np.arange(y.shape[0])
        # sorted values identical bit for bit, hence entropy too
        np.testing.assert_array_equal(np.sort(y_al, axis=1), np.sort(y, axis=1))
        np.testing.assert_array_equal(_entropy_sorted(y_al), _entropy_sorted(y))
        np.testing.assert_allclose(
            target_entropy(y_al), target_entropy(y), rtol=1e-14, atol=0
        )
        # the gold class holds the maximum
        np.testing.assert_array_equal(y_al[rows, gold], y_al.max(axis=1))
        # changed exactly where gold held less than the maximum
        np.testing.assert_array_equal(changed, y[rows, gold] < y.max(axis=1))
        np.testing.assert_array_equal(y_al[~changed], y[~changed])
        # each changed row differs from its original in exactly two entries
        assert np.all((y_al[changed] != y[changed]).sum(axis=1) == 2)
        # strict mode -> hard label is gold
        strict = (y_al == y_al.max(axis=1, keepdims=True)).sum(axis=1) == 1
        np.testing.assert_array_equal(hard_labels(y_al)[strict], gold[strict])


def test_align_mode_ties_and_labels():
    y = [[0.4, 0.4, 0.2], [0.6, 0.3, 0.1]]
    y_al, changed = align_mode(y, ["b", "c"], classes=["a", "b", "c"])
    np.testing.assert_array_equal(y_al, [[0.4, 0.4, 0.2], [0.1, 0.3, 0.6]])
    np.testing.assert_array_equal(changed, [False, True])
    with pytest.raises(ValueError, match=r"gold label 'z' \(row 1\)"):
        align_mode(y, ["a", "z"], classes=["a", "b", "c"])
    with pytest.raises(ValueError, match="gold has 1 labels but"):
        align_mode(y, [0])
    with pytest.raises(ValueError, match="2-D"):
        align_mode([0, 1], [0, 1])
    with pytest.raises(ValueError, match="negative"):
        align_mode([[1.2, -0.2]], [0])


def test_mode_one_hot_tie_rule_and_shift_mask(rng):
    counts = rng.multinomial(6, [0.25] * 4, size=500)
    oh = mode_one_hot(counts, counts=True)
    np.testing.assert_array_equal(
        oh, one_hot(hard_labels(counts, counts=True), classes=range(4))
    )
    np.testing.assert_array_equal(mode_one_hot([[2, 2, 1]], counts=True), [[1, 0, 0]])
    gold = rng.integers(0, 4, size=500)
    mask = mode_shift_mask(counts, gold, counts=True)
    np.testing.assert_array_equal(mask, oh.argmax(axis=1) != gold)
    with pytest.raises(ValueError, match="all zeros"):
        mode_one_hot([[0, 0]], counts=True)


# --------------------------------------------------------------------------
# supervision arms
# --------------------------------------------------------------------------
def test_make_supervision_arms(rng):
    X, gold = load_iris(return_X_y=True)
    counts = np.array([rng.multinomial(6, 0.6 * np.eye(3)[g] + 0.4 / 3) for g in gold])
    arms, info = make_supervision_arms(
        counts, gold, X=X, counts=True, random_state=0, return_info=True
    )
    assert tuple(arms) == DEFAULT_ARMS  # the optional teacher_unmatched left out
    human = counts_to_proba(counts)
    for name, a in arms.items():
        assert a.shape == (150, 3), name
        np.testing.assert_allclose(a.sum(axis=1), 1.0, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(arms["gold"], one_hot(gold))
    np.testing.assert_array_equal(arms["human_mode"], mode_one_hot(human))
    np.testing.assert_allclose(arms["human_soft"], human)
    aligned, changed = align_mode(human, gold)
    np.testing.assert_array_equal(arms["human_soft_gold_mode"], aligned)
    np.testing.assert_array_equal(info["mode_changed"], changed)
    assert info["mode_shift_rate"] == pytest.approx(np.mean(hard_labels(human) != gold))
    assert info["mode_shift_rate"] > 0
    assert target_entropy(arms["smoothed"]).mean() == pytest.approx(
        target_entropy(human).mean(), rel=1e-9
    )
    np.testing.assert_array_equal(hard_labels(arms["smoothed"]), gold)
    assert 0 < info["epsilon"] < 1
    # teacher arm: the cross-fitted default teacher, by default rescaled by one
    # temperature to the human mean entropy (a temperature keeps each row's mode)
    raw = make_supervision_arms(
        counts, gold, X=X, counts=True, arms=["teacher_unmatched"], random_state=0
    )["teacher_unmatched"]
    np.testing.assert_allclose(
        arms["teacher"], apply_temperature(raw, info["teacher_temperature"])
    )
    assert target_entropy(arms["teacher"]).mean() == pytest.approx(
        target_entropy(human).mean(), rel=1e-9
    )
    np.testing.assert_array_equal(hard_labels(arms["teacher"]), hard_labels(raw))
    assert (hard_labels(arms["teacher"]) == gold).mean() > 0.85


def test_arm_registry_drives_the_arm_constants():
    # the registry is the one place: names, gold/soft flags derive from it
    assert ARM_NAMES == (
        "gold",
        "gold_temperature",
        "gold_vector",
        "gold_dirichlet",
        "human_mode",
        "human_soft",
        "human_soft_gold_mode",
        "smoothed",
        "teacher",
        "human_dawid_skene",
        "teacher_unmatched",
    )
    assert tuple(ARM_REGISTRY) == ARM_NAMES
    assert DEFAULT_ARMS == (
        "gold",
        "gold_temperature",
        "human_mode",
        "human_soft",
        "human_soft_gold_mode",
        "smoothed",
        "teacher",
    )
    assert [n for n, s in ARM_REGISTRY.items() if not s.default] == [
        "gold_vector",
        "gold_dirichlet",
        "human_dawid_skene",
        "teacher_unmatched",
    ]
    assert tuple(ARM_REGISTRY) == ARM_NAMES
    assert GOLD_ARMS == {
        "gold",
        "gold_temperature",
        "gold_vector",
        "gold_dirichlet",
        "human_soft_gold_mode",
        "smoothed",
        "teacher",
        "teacher_unmatched",
    }
    assert SOFT_ARMS == (
        "human_soft",
        "human_soft_gold_mode",
        "smoothed",
        "teacher",
        "human_dawid_skene",
        "teacher_unmatched",
    )
    for name, spec in ARM_REGISTRY.items():
        assert spec.name == name and callable(spec.build)
        assert isinstance(spec.description, str) and spec.description
    assert [n for n, s in ARM_REGISTRY.items() if s.needs_X] == [
        "teacher",
        "teacher_unmatched",
    ]
    assert [n for n, s in ARM_REGISTRY.items() if s.calibrate] == [
        "gold_temperature",
        "gold_vector",
        "gold_dirichlet",
    ]
    assert [n for n, s in ARM_REGISTRY.items() if s.needs_annotations] == [
        "human_dawid_skene"
    ]
    with pytest.raises(TypeError):
        ARM_REGISTRY["new"] = ARM_REGISTRY["gold"]  # read-only


def test_gold_temperature_step_fits_one_temperature_out_of_fold(rng):
    # the arm trains on gold; its post-fit step cross-fits one temperature
    # against the human soft labels of the training rows
    from sksoft.calibration import fit_temperature, temperature_scale

    X, gold = load_iris(return_X_y=True)
    human = rng.dirichlet(np.ones(3), size=150)
    arms = make_supervision_arms(human, gold, arms=["gold", "gold_temperature"])
    np.testing.assert_array_equal(arms["gold_temperature"], arms["gold"])
    model = LogisticRegression(C=100, max_iter=2000)
    calls = []

    def fit_predict(train, test):
        calls.append((train, test))
        return clone(model).fit(X[train], gold[train]).predict_proba(X[test])

    spec = ARM_REGISTRY["gold_temperature"]
    post = spec.calibrate(
        fit_predict, human, gold, {"calibration_cv": 5, "random_state": 0}
    )
    # the documented rows: SoftStratifiedKFold(5, shuffle, random_state) on gold
    folds = SoftStratifiedKFold(5, shuffle=True, random_state=0).split(X, one_hot(gold))
    oof = np.empty((150, 3))
    for (train, test), (c_train, c_test) in zip(folds, calls, strict=True):
        np.testing.assert_array_equal(train, c_train)
        np.testing.assert_array_equal(test, c_test)
        oof[test] = clone(model).fit(X[train], gold[train]).predict_proba(X[test])
    temperature = fit_temperature(human, oof)
    assert post.info == {"temperature": pytest.approx(temperature), "n_folds": 5}
    # calibration_splits announces exactly the fits that the step asks for
    announced = spec.calibration_splits(
        human, gold, {"calibration_cv": 5, "random_state": 0}
    )
    assert len(announced) == len(calls) == 5
    for (train, test), (c_train, c_test) in zip(announced, calls, strict=True):
        np.testing.assert_array_equal(train, c_train)
        np.testing.assert_array_equal(test, c_test)
    proba = model.fit(X, gold).predict_proba(X)
    np.testing.assert_allclose(
        post.apply(proba), temperature_scale(proba, temperature), atol=1e-12
    )
    with pytest.raises(ValueError, match="cross-fit their calibrator over 5 folds"):
        spec.calibrate(
            fit_predict, human[:3], gold[:3], {"calibration_cv": 5, "random_state": 0}
        )


def test_make_supervision_arms_without_gold(rng):
    counts = rng.multinomial(5, [0.5, 0.3, 0.2], size=40)
    human = counts_to_proba(counts)
    arms, info = make_supervision_arms(counts, None, counts=True, return_info=True)
    assert list(arms) == ["human_mode", "human_soft"]  # the gold-free arms
    np.testing.assert_array_equal(arms["human_mode"], mode_one_hot(human))
    np.testing.assert_allclose(arms["human_soft"], human)
    assert info["mode_changed"] is None and info["mode_shift_rate"] is None
    # with gold, the same arms come out identical
    with_gold = make_supervision_arms(
        counts, hard_labels(human), counts=True, arms=["human_soft", "human_mode"]
    )
    for name in arms:
        np.testing.assert_array_equal(arms[name], with_gold[name])
    with pytest.raises(ValueError, match=r"\['gold', 'smoothed'\] are built from"):
        make_supervision_arms(human, None, arms=["smoothed", "human_soft", "gold"])


def test_make_supervision_arms_options(rng):
    X, gold = load_iris(return_X_y=True)
    y = rng.dirichlet(np.ones(3), size=150)
    arms, info = make_supervision_arms(
        y,
        gold,
        X=X,
        arms=["teacher", "smoothed"],
        epsilon=0.1,
        teacher=LogisticRegression(max_iter=1000),
        teacher_temperature="match",
        random_state=0,
        return_info=True,
    )
    assert list(arms) == ["smoothed", "teacher"]  # canonical order
    np.testing.assert_allclose(arms["smoothed"], smooth_labels(gold, 0.1))
    assert target_entropy(arms["teacher"]).mean() == pytest.approx(
        target_entropy(y).mean(), rel=1e-8
    )
    assert info["teacher_temperature"] > 1
    with pytest.raises(ValueError, match="needs the inputs X"):
        make_supervision_arms(y, gold)
    with pytest.raises(ValueError, match=r"unknown arm name\(s\) \['soft'\]"):
        make_supervision_arms(y, gold, arms=["soft"])
    with pytest.raises(ValueError, match="arms is empty"):
        make_supervision_arms(y, gold, arms=[])
    with pytest.raises(ValueError, match="2-D"):
        make_supervision_arms(gold, gold, arms=["gold"])
    with pytest.raises(ValueError, match="gold label 3"):
        make_supervision_arms(y, np.where(gold == 2, 3, gold), arms=["gold"])


# --------------------------------------------------------------------------
# simulated panels
# --------------------------------------------------------------------------
def test_multinomial_panel_converges_to_probabilities(global_random_seed):
    p = np.array(
        [[0.7, 0.2, 0.1, 0.0], [0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 0.05, 0.95]]
    )
    n_panels, n_annot = 4000, 6
    counts = simulate_multinomial_panel(
        np.repeat(p, n_panels, axis=0), n_annot, random_state=global_random_seed
    )
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts.sum(axis=1), n_annot)
    mean = counts.reshape(3, n_panels, 4).sum(axis=1) / (n_panels * n_annot)
    se = np.sqrt(p * (1 - p) / (n_panels * n_annot))
    # within 5 standard errors (a false alarm has probability < 1e-5 per entry)
    assert np.all(np.abs(mean - p) <= 5 * se + 1e-12)
    assert np.all(
        counts.reshape(3, n_panels, 4).sum(axis=1)[p == 0] == 0
    )  # never drawn
    # reproducible with a seed, different with another
    a = simulate_multinomial_panel(p, 6, random_state=3)
    np.testing.assert_array_equal(a, simulate_multinomial_panel(p, 6, random_state=3))


def test_multinomial_panel_sizes_and_errors():
    p = np.full((3, 2), 0.5)
    c = simulate_multinomial_panel(p, np.array([1, 5, 50]), random_state=0)
    np.testing.assert_array_equal(c.sum(axis=1), [1, 5, 50])
    with pytest.raises(ValueError, match="one entry per item"):
        simulate_multinomial_panel(p, np.array([1, 2]))
    with pytest.raises(ValueError, match="integers >= 1"):
        simulate_multinomial_panel(p, np.array([1, 0, 2]))
    with pytest.raises(ValueError, match="n_annotators"):
        simulate_multinomial_panel(p, 0)
    with pytest.raises(ValueError, match="sum to 1"):
        simulate_multinomial_panel([[0.5, 0.6]])
    with pytest.raises(ValueError, match="2-D"):
        simulate_multinomial_panel([0, 1])
    with pytest.raises(ValueError, match="empty"):
        simulate_multinomial_panel(np.zeros((0, 3)))


@pytest.fixture(scope="module")
def digits_setup():
    """Reference classifier on one half of the digits, items from the other."""
    X, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(y))
    ref, items = perm[:600], perm[600:1200]
    clf = SVC(gamma="scale").fit(X[ref], y[ref])
    rng = np.random.default_rng(1)
    a = items[:300]
    b = rng.choice(items, size=300)
    keep = y[a] != y[b]
    a, b = a[keep], b[keep]
    w = rng.uniform(0.5, 0.8, size=a.size)[:, None]
    blends = w * X[a] + (1 - w) * X[b]
    return clf, X[items], y[items], blends, y[a]


def test_noisy_observer_entropy_rises_with_strength(digits_setup):
    clf, X_items, y_items, _, _ = digits_setup
    kw = dict(n_annotators=6, feature_range=(0, 16), random_state=0)
    zero = simulate_noisy_observer_panel(clf, X_items, strength=0.0, **kw)
    np.testing.assert_array_equal(zero.max(axis=1), 6)  # unanimous
    np.testing.assert_array_equal(zero.argmax(axis=1), clf.predict(X_items))
    ents = [
        target_entropy(
            simulate_noisy_observer_panel(clf, X_items, strength=s, **kw), counts=True
        ).mean()
        for s in (0.0, 0.1, 0.2, 0.3, 0.4)
    ]
    assert ents[0] == 0.0
    assert np.all(np.diff(ents) > 0), ents


def test_noisy_observer_blends_more_ambiguous_and_mode_shift(digits_setup, capsys):
    clf, X_items, y_items, blends, gold_blend = digits_setup
    kw = dict(feature_range=(0, 16), random_state=0)
    clean = simulate_noisy_observer_panel(clf, X_items, **kw)
    mixed = simulate_noisy_observer_panel(clf, blends, **kw)
    h_clean = target_entropy(clean, counts=True).mean()
    h_mixed = target_entropy(mixed, counts=True).mean()
    assert h_mixed > 2 * h_clean
    shift_clean = mode_shift_mask(clean, y_items, counts=True).mean()
    shift_mixed = mode_shift_mask(mixed, gold_blend, counts=True).mean()
    with capsys.disabled():
        print(
            f"\n[noisy observer, digits, noise 0.25] mean entropy clean {h_clean:.3f} "
            f"blends {h_mixed:.3f}; majority != gold: clean {shift_clean:.1%}, "
            f"blends {shift_mixed:.1%}"
        )
    assert 0 < shift_clean < 0.1
    assert shift_clean < shift_mixed < 0.6


@pytest.mark.parametrize("perturbation", ["blur", "occlusion"])
def test_noisy_observer_image_perturbations(digits_setup, perturbation):
    clf, X_items, _, _, _ = digits_setup
    strength = {"blur": 1.0, "occlusion": 0.4}[perturbation]
    counts, votes = simulate_noisy_observer_panel(
        clf,
        X_items[:200],
        perturbation=perturbation,
        strength=strength,
        n_annotators=5,
        random_state=0,
        return_votes=True,
    )
    assert counts.shape == (200, 10) and votes.shape == (200, 5)
    np.testing.assert_array_equal(counts.sum(axis=1), 5)
    np.testing.assert_array_equal(counts[0], np.bincount(votes[0], minlength=10))
    assert target_entropy(counts, counts=True).mean() > 0
    weak = simulate_noisy_observer_panel(
        clf,
        X_items[:200],
        perturbation=perturbation,
        strength=strength / 4,
        random_state=0,
    )
    strong = simulate_noisy_observer_panel(
        clf,
        X_items[:200],
        perturbation=perturbation,
        strength=strength,
        random_state=0,
    )
    assert (
        target_entropy(strong, counts=True).mean()
        > target_entropy(weak, counts=True).mean()
    )


def test_noisy_observer_blur_matches_scipy():
    from scipy.ndimage import gaussian_filter

    from sksoft.sources._panels import _blur_matrices

    img = np.random.default_rng(0).random((9, 9))
    b = _blur_matrices(np.array([1.3]), 9)[0]
    # row-normalised kernel = gaussian_filter with 'constant' mode renormalised
    ours = b @ img @ b.T
    num = gaussian_filter(img, 1.3, mode="constant", truncate=20)
    den = gaussian_filter(np.ones_like(img), 1.3, mode="constant", truncate=20)
    ones_rows = gaussian_filter(np.ones(9), 1.3, mode="constant", truncate=20)
    expected = num / np.outer(ones_rows, ones_rows)
    np.testing.assert_allclose(ours, expected, rtol=1e-10)
    assert den.shape == img.shape


def test_noisy_observer_callable_and_errors(digits_setup):
    clf, X_items, _, _, _ = digits_setup

    def flip(X, rng):
        return X.reshape(-1, 8, 8)[:, :, ::-1].reshape(X.shape)

    c = simulate_noisy_observer_panel(clf, X_items[:20], perturbation=flip)
    np.testing.assert_array_equal(
        c.argmax(axis=1), clf.predict(flip(X_items[:20], None))
    )
    with pytest.raises(NotFittedError):
        simulate_noisy_observer_panel(SVC(), X_items)
    with pytest.raises(ValueError, match="cannot infer a square image from 10"):
        simulate_noisy_observer_panel(
            LogisticRegression().fit(np.eye(10), np.arange(10)),
            np.eye(10),
            perturbation="blur",
        )
    with pytest.raises(ValueError, match="does not match 64 features"):
        simulate_noisy_observer_panel(
            clf, X_items, perturbation="occlusion", image_shape=(4, 4)
        )
    with pytest.raises(ValueError, match="NaN"):
        simulate_noisy_observer_panel(clf, np.full((2, 64), np.nan))
    with pytest.raises(ValueError, match="feature_range"):
        simulate_noisy_observer_panel(clf, X_items, feature_range=(1, 0))
    with pytest.raises(ValueError, match="returned shape"):
        simulate_noisy_observer_panel(clf, X_items, perturbation=lambda X, r: X[:1])
    with pytest.raises(ValueError, match="strength"):
        simulate_noisy_observer_panel(clf, X_items, strength=-1)


# --------------------------------------------------------------------------
# bad input shared by every function taking soft targets
# --------------------------------------------------------------------------
BAD = [
    (np.array([[0.5, np.nan]]), "NaN"),
    (np.array([[1.5, -0.5]]), "negative"),
    (np.zeros((0, 3)), "empty"),
    (np.ones((2, 2, 2)) / 2, "dimension|2-D"),
]


@pytest.mark.parametrize("y, match", BAD)
@pytest.mark.parametrize(
    "func",
    [
        lambda y: smooth_labels(y, 0.1),
        lambda y: apply_temperature(y, 2.0),
        lambda y: align_mode(y, np.zeros(len(y), int)),
        lambda y: mode_one_hot(y),
        lambda y: mode_shift_mask(y, np.zeros(len(y), int)),
        lambda y: make_supervision_arms(y, np.zeros(len(y), int), arms=["human_soft"]),
        lambda y: simulate_multinomial_panel(y),
    ],
)
def test_bad_soft_targets_rejected(func, y, match):
    with pytest.raises(ValueError, match=match):
        func(y)


# --------------------------------------------------------------------------
# every public function validates its parameters (imbalanced-learn habit)
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda: annotations_to_counts(item=[1], label=[0], duplicates="keep"),
        lambda: annotations_to_counts(item=[1], label=[0], missing="drop"),
        lambda: smooth_labels([0, 1], epsilon="0.1"),
        lambda: apply_temperature([[0.5, 0.5]], temperature=0),
        lambda: teacher_soft_labels(LogisticRegression(), [[0], [1]], [0, 1], cv=1.5),
        lambda: align_mode([[0.5, 0.5]], gold=None),
        lambda: mode_one_hot([[0.5, 0.5]], counts="yes"),
        lambda: mode_shift_mask([[0.5, 0.5]], [0], counts=1.0),
        lambda: make_supervision_arms([[0.5, 0.5]], [0], teacher_temperature="hot"),
        lambda: make_supervision_arms([[0.5, 0.5]], [0], arms="gold"),
        lambda: simulate_multinomial_panel([[0.5, 0.5]], n_annotators=2.5),
        lambda: simulate_noisy_observer_panel(SVC(), [[0.0]], perturbation="rain"),
    ],
)
def test_public_functions_validate_params(call):
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError):
        call()
