"""Smooth ECE (sksoft.metrics.smooth_calibration_error) against relplot."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold

from sksoft.metrics import get_scorer, smooth_calibration_error

relplot = pytest.importorskip("relplot", reason="relplot is in the test extra")


def _binary(n, kind, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    if kind == "calibrated":
        y = (rng.uniform(size=n) < p).astype(int)
    elif kind == "overconfident":
        y = (rng.uniform(size=n) < 0.5 + (p - 0.5) / 3).astype(int)
    else:  # skewed confidences near 0, constant base rate
        p = p**4
        y = (rng.uniform(size=n) < 0.3).astype(int)
    return p, y


@pytest.mark.parametrize("n", [15, 300, 3000])
@pytest.mark.parametrize("kind", ["calibrated", "overconfident", "skewed"])
def test_equals_relplot_on_binary_column(n, kind):
    p, y = _binary(n, kind, seed=n)
    ours, width = smooth_calibration_error(y, p, return_bandwidth=True)
    ref, ref_width = relplot.smECE(p, y.astype(float), return_width=True)
    assert ours == pytest.approx(float(ref), abs=1e-6)
    assert width == pytest.approx(ref_width, abs=1e-12)


@pytest.mark.parametrize("sigma", [0.01, 0.05, 0.3])
def test_fixed_bandwidth_equals_relplot_sigma(sigma):
    p, y = _binary(500, "overconfident", seed=1)
    ours = smooth_calibration_error(y, p, bandwidth=sigma)
    assert ours == pytest.approx(
        float(relplot.smECE_sigma(p, y.astype(float), sigma)), abs=1e-6
    )


@pytest.mark.parametrize("n_classes", [3, 5])
def test_top_label_equals_relplot_confidences(n_classes):
    rng = np.random.default_rng(n_classes)
    logits = rng.normal(scale=2.0, size=(400, n_classes))
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array([rng.choice(n_classes, p=row) for row in proba])
    y[: n_classes * 2] = np.arange(n_classes * 2) % n_classes  # every class
    conf, correct = relplot.multiclass_logits_to_confidences(proba, y, probs=True)
    assert smooth_calibration_error(y, proba) == pytest.approx(
        float(relplot.smECE(conf, correct)), abs=1e-6
    )
    # two-column binary input is top-label too
    pb = np.column_stack([1 - proba[:, 0], proba[:, 0]])
    yb = (y == 0).astype(int)
    conf, correct = relplot.multiclass_logits_to_confidences(pb, yb, probs=True)
    assert smooth_calibration_error(yb, pb) == pytest.approx(
        float(relplot.smECE(conf, correct)), abs=1e-6
    )


def test_soft_reference_uses_soft_accuracy():
    """Soft y: residual = confidence - soft share of the predicted class."""
    rng = np.random.default_rng(3)
    proba = rng.dirichlet([2, 2, 2], size=300)
    soft = rng.dirichlet([1, 1, 1], size=300)
    pred = proba.argmax(1)
    conf = proba.max(1)
    acc = soft[np.arange(300), pred]
    ours = smooth_calibration_error(soft, proba)
    assert ours == pytest.approx(float(relplot.smECE(conf, acc)), abs=1e-6)
    # one-hot soft rows = the hard labels
    y = rng.integers(0, 3, size=300)
    y[:3] = [0, 1, 2]
    assert smooth_calibration_error(np.eye(3)[y], proba) == pytest.approx(
        smooth_calibration_error(y, proba), abs=1e-12
    )


def test_classwise_and_weights():
    rng = np.random.default_rng(4)
    proba = rng.dirichlet([1, 1, 1], size=200)
    y = np.array([rng.choice(3, p=row) for row in proba])
    y[:3] = [0, 1, 2]
    per_class = [
        float(relplot.smECE(proba[:, k], (y == k).astype(float))) for k in range(3)
    ]
    assert smooth_calibration_error(y, proba, classwise=True) == pytest.approx(
        np.mean(per_class), abs=1e-6
    )
    # integer weights equal repeated samples (same grid sums)
    w = rng.integers(1, 4, size=200)
    rep = np.repeat(np.arange(200), w)
    assert smooth_calibration_error(y, proba, sample_weight=w) == pytest.approx(
        smooth_calibration_error(y[rep], proba[rep]), abs=1e-9
    )
    # constant weights change nothing but the share of the density's 1e-4
    assert smooth_calibration_error(
        y, proba, sample_weight=np.full(200, 7.0)
    ) == pytest.approx(smooth_calibration_error(y, proba), abs=1e-4)


def test_perfect_and_worst():
    # confidence 1 and always right: no residual anywhere
    assert smooth_calibration_error([0, 1, 1], [0.0, 1.0, 1.0]) == pytest.approx(
        0.0, abs=1e-12
    )
    # confidently wrong everywhere: close to 1 (kernel and density eps only)
    value = smooth_calibration_error([1, 1, 0, 0], [0.0, 0.0, 1.0, 1.0])
    assert 0.9 < value <= 1.0


def test_scorer_equals_metric_binary_and_multiclass():
    for n_classes in (2, 3):
        rng = np.random.default_rng(n_classes)
        X = rng.normal(size=(240, 4))
        y = (X[:, 0] > 0).astype(int) if n_classes == 2 else (X[:, :2] > 0).sum(1)
        cv = KFold(3, shuffle=True, random_state=0)
        search = GridSearchCV(
            LogisticRegression(),
            {"C": [0.1]},
            scoring={"s": get_scorer("neg_smooth_calibration_error")},
            refit=False,
            cv=cv,
            error_score="raise",
        ).fit(X, y)
        for i, (train, test) in enumerate(cv.split(X)):
            clf = LogisticRegression(C=0.1).fit(X[train], y[train])
            ref = smooth_calibration_error(y[test], clf.predict_proba(X[test]))
            assert search.cv_results_[f"split{i}_test_s"][0] == pytest.approx(-ref)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y_true=[0, 1], y_prob=[0.2, np.nan]), "NaN"),
        (dict(y_true=[0, 1], y_prob=[0.2, 1.5]), r"\[0, 1\]"),
        (dict(y_true=[0, 1, 1], y_prob=[0.2, 0.5]), "same length|samples"),
        (dict(y_true=[0, 1], y_prob=[[0.2, 0.9], [0.5, 0.5]]), "sum"),
        (dict(y_true=[], y_prob=[]), "empty"),
        (dict(y_true=[0, 1], y_prob=[0.2, 0.5], bandwidth=0.0), "bandwidth"),
        (dict(y_true=[0, 1], y_prob=[0.2, 0.5], bandwidth=2.0), "bandwidth"),
    ],
)
def test_bad_input_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        smooth_calibration_error(**kwargs)
