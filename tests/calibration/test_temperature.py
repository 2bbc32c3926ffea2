"""Temperature scaling on soft and hard targets (sksoft.calibration)."""

import numpy as np
import pytest
import sklearn
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.fixes import parse_version

from sksoft.calibration import (
    TemperatureScalingClassifier,
    fit_temperature,
    temperature_scale,
)
from sksoft.expansion import ExpansionClassifier

SKLEARN_HAS_TEMPERATURE = parse_version(sklearn.__version__) >= parse_version("1.8")


def _problem(n_classes=3, n=240, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        flip_y=0.15,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    base = np.full((n, n_classes), 0.5 / n_classes)
    base[np.arange(n), y] += 0.5
    soft = np.stack([rng.multinomial(10, row) for row in base]) / 10.0
    return X, y, soft


def _hand_temperature(logits, target):
    """argmin over log T of the mean soft log loss, by scipy on a wide bracket."""

    def loss(log_t):
        return -np.mean(np.sum(target * log_softmax(logits / np.exp(log_t), 1), 1))

    return float(np.exp(minimize_scalar(loss, bracket=(-1.0, 1.0), tol=1e-12).x))


@pytest.mark.skipif(not SKLEARN_HAS_TEMPERATURE, reason="sklearn < 1.8")
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("ensemble", [True, False])
@pytest.mark.parametrize(
    "base",
    [LogisticRegression(C=10.0), GaussianNB()],
    ids=["decision_function", "predict_proba"],
)
def test_hard_labels_equal_sklearn(n_classes, ensemble, base):
    from sklearn.calibration import CalibratedClassifierCV

    X, y, _ = _problem(n_classes)
    X_test = X[:50] + 0.3
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    ref = CalibratedClassifierCV(
        clone(base), method="temperature", cv=cv, ensemble=ensemble
    ).fit(X, y)
    ours = TemperatureScalingClassifier(clone(base), cv=cv, ensemble=ensemble).fit(X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X_test), ref.predict_proba(X_test), atol=1e-6
    )
    np.testing.assert_array_equal(ours.predict(X_test), ref.predict(X_test))
    np.testing.assert_array_equal(ours.classes_, ref.classes_)
    assert len(ours.estimators_) == (4 if ensemble else 1)


@pytest.mark.skipif(not SKLEARN_HAS_TEMPERATURE, reason="sklearn < 1.8")
def test_frozen_estimator_equals_sklearn():
    from sklearn.calibration import CalibratedClassifierCV

    X, y, _ = _problem(3)
    model = LogisticRegression(C=100.0).fit(X[:120], y[:120])
    ref = CalibratedClassifierCV(FrozenEstimator(model), method="temperature")
    ref.fit(X[120:], y[120:])
    ours = TemperatureScalingClassifier(FrozenEstimator(model)).fit(X[120:], y[120:])
    np.testing.assert_allclose(
        ours.predict_proba(X[:120]), ref.predict_proba(X[:120]), atol=1e-6
    )
    # sklearn's beta_ is the inverse temperature (multiclass logits)
    beta = ref.calibrated_classifiers_[0].calibrators[0].beta_
    assert ours.temperature_ == pytest.approx(1.0 / beta, rel=1e-5)


def test_soft_targets_frozen_is_scipy_minimiser():
    X, y, soft = _problem(3, seed=1)
    model = LogisticRegression(C=100.0).fit(X[:120], y[:120])
    calib = TemperatureScalingClassifier(FrozenEstimator(model)).fit(
        X[120:], soft[120:]
    )
    logits = model.decision_function(X[120:])
    expected = _hand_temperature(logits, soft[120:])
    assert calib.temperature_ == pytest.approx(expected, rel=1e-6)
    assert calib.soft_target_fit_
    np.testing.assert_allclose(
        calib.predict_proba(X[:5]),
        softmax(model.decision_function(X[:5]) / expected, axis=1),
        atol=1e-6,
    )
    # the soft optimum differs from the hard one: the targets matter
    hard = TemperatureScalingClassifier(FrozenEstimator(model)).fit(X[120:], y[120:])
    assert abs(hard.temperature_ - calib.temperature_) > 0.05
    # fitted on the human labels, the soft log loss is no worse than at T = 1
    p1 = model.predict_proba(X[120:])
    pt = calib.predict_proba(X[120:])
    assert -np.mean(np.sum(soft[120:] * np.log(pt), 1)) <= -np.mean(
        np.sum(soft[120:] * np.log(p1), 1)
    )


def test_counts_and_soft_target_routing():
    X, y, soft = _problem(3, seed=2)
    counts = np.rint(soft * 10).astype(int)
    model = LogisticRegression().fit(X[:120], y[:120])
    a = TemperatureScalingClassifier(FrozenEstimator(model)).fit(X[120:], soft[120:])
    b = TemperatureScalingClassifier(FrozenEstimator(model), counts=True).fit(
        X[120:], counts[120:]
    )
    assert a.temperature_ == pytest.approx(b.temperature_, rel=1e-6)
    with pytest.raises(ValueError, match="counts"):
        TemperatureScalingClassifier(FrozenEstimator(model)).fit(X[120:], counts[120:])
    # gold-trained clones, temperature on routed soft labels (one temperature)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    c = TemperatureScalingClassifier(LogisticRegression(), cv=cv, ensemble=False).fit(
        X, y, soft_target=soft
    )
    oof = np.zeros((len(y), 3))
    for train, test in cv.split(X, y):
        oof[test] = (
            LogisticRegression().fit(X[train], y[train]).decision_function(X[test])
        )
    assert c.temperature_ == pytest.approx(_hand_temperature(oof, soft), rel=1e-6)


def test_soft_y_trains_soft_base_with_ensemble():
    X, _, soft = _problem(3, seed=3)
    cv = KFold(3, shuffle=True, random_state=0)
    base = ExpansionClassifier(LogisticRegression())
    calib = TemperatureScalingClassifier(base, cv=cv).fit(X, soft)
    assert calib.temperatures_.shape == (3,)
    assert not hasattr(calib, "temperature_")
    for (train, test), est, t in zip(
        cv.split(X), calib.estimators_, calib.temperatures_
    ):
        ref = clone(base).fit(X[train], soft[train])
        logits = np.log(ref.predict_proba(X[test]) + 1e-12)
        assert t == pytest.approx(_hand_temperature(logits, soft[test]), rel=1e-6)
    expected = np.mean(
        [
            softmax(np.log(e.predict_proba(X[:4]) + 1e-12) / t, axis=1)
            for e, t in zip(calib.estimators_, calib.temperatures_)
        ],
        axis=0,
    )
    np.testing.assert_allclose(calib.predict_proba(X[:4]), expected, atol=1e-12)


def test_functions_match_estimator_and_hand_formula():
    X, y, soft = _problem(3, seed=4)
    model = GaussianNB().fit(X[:120], y[:120])
    p = model.predict_proba(X[120:])
    t = fit_temperature(soft[120:], p)
    calib = TemperatureScalingClassifier(FrozenEstimator(model)).fit(
        X[120:], soft[120:]
    )
    assert t == pytest.approx(calib.temperature_, rel=1e-9)
    np.testing.assert_allclose(
        temperature_scale(p, t), calib.predict_proba(X[120:]), atol=1e-12
    )
    # hard labels: the scaled probabilities minimise sklearn's log_loss
    th = fit_temperature(y[120:], p)
    best = log_loss(y[120:], temperature_scale(p, th))
    for other in (th * 0.9, th * 1.1):
        assert best < log_loss(y[120:], temperature_scale(p, other))
    # 1-D binary column = its two-column matrix
    pb = np.array([0.9, 0.2, 0.7, 0.4])
    assert fit_temperature([1, 0, 0, 1], pb) == pytest.approx(
        fit_temperature([1, 0, 0, 1], np.column_stack([1 - pb, pb]))
    )
    np.testing.assert_allclose(
        temperature_scale([[0.9, 0.1]], 2.0), [[0.75, 0.25]], atol=1e-9
    )


def test_pipeline_grid_search_clone_predict_unchanged_argmax():
    X, y, _ = _problem(3, seed=5)
    pipe = make_pipeline(
        StandardScaler(), TemperatureScalingClassifier(LogisticRegression(), cv=3)
    )
    search = GridSearchCV(
        pipe,
        {"temperaturescalingclassifier__estimator__C": [0.1, 1.0]},
        scoring="neg_log_loss",
        cv=3,
        error_score="raise",
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    est = TemperatureScalingClassifier(LogisticRegression(C=3.0), cv=4)
    assert clone(est).get_params()["estimator__C"] == 3.0
    # one temperature never changes the predicted class of a frozen model
    model = LogisticRegression().fit(X, y)
    calib = TemperatureScalingClassifier(FrozenEstimator(model)).fit(X, y)
    np.testing.assert_array_equal(calib.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "kwargs, y_kind, match",
    [
        ({}, "nan", "NaN"),
        ({}, "negative", "negative"),
        ({}, "unnormalised", "sum"),
        ({}, "wrong_columns", "columns"),
        ({}, "short", "samples|inconsistent"),
    ],
)
def test_bad_targets_raise(kwargs, y_kind, match):
    X, y, soft = _problem(3)
    model = LogisticRegression().fit(X, y)
    bad = {
        "nan": np.where(np.arange(240)[:, None] == 5, np.nan, soft),
        "negative": soft + np.array([[-0.2, 0.1, 0.1]]),
        "unnormalised": soft * 1.5,
        "wrong_columns": np.column_stack([soft, np.zeros(240)]),
        "short": soft[:-3],
    }[y_kind]
    with pytest.raises(ValueError, match=match):
        TemperatureScalingClassifier(FrozenEstimator(model), **kwargs).fit(X, bad)


def test_bad_inputs_raise_clearly():
    X, y, soft = _problem(3)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="could not be fitted on soft targets"):
        TemperatureScalingClassifier(LogisticRegression(), cv=3).fit(X, soft)
    with pytest.raises(ValueError, match="ensemble"):
        TemperatureScalingClassifier(ensemble="yes").fit(X, y)
    with pytest.raises(ValueError, match="response_method"):
        TemperatureScalingClassifier(response_method="predict").fit(X, y)
    with pytest.raises(ValueError, match="has no decision_function"):
        TemperatureScalingClassifier(
            FrozenEstimator(GaussianNB().fit(X, y)),
            response_method="decision_function",
        ).fit(X, y)
    with pytest.raises(ValueError, match="soft_target"):
        TemperatureScalingClassifier(FrozenEstimator(model)).fit(
            X, y, soft_target=soft[:10]
        )
    with pytest.raises(ValueError, match="empty"):
        TemperatureScalingClassifier(FrozenEstimator(model)).fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="labels|classes"):
        TemperatureScalingClassifier(FrozenEstimator(model)).fit(X, y + 5)
    with pytest.raises(ValueError, match="temperature"):
        temperature_scale([[0.5, 0.5]], 0.0)
    with pytest.raises(ValueError, match="sum"):
        fit_temperature([0, 1], [[0.5, 0.6], [0.3, 0.7]])
    with pytest.raises(ValueError, match="NaN|finite"):
        fit_temperature([0, 1], [[np.nan, 0.5], [0.3, 0.7]])


@pytest.mark.parametrize("ensemble", [True, False])
def test_result_does_not_depend_on_n_jobs(ensemble):
    X, y, soft = _problem(3, seed=6)
    kw = dict(cv=KFold(3, shuffle=True, random_state=0), ensemble=ensemble)
    a = TemperatureScalingClassifier(LogisticRegression(), n_jobs=1, **kw)
    b = TemperatureScalingClassifier(LogisticRegression(), n_jobs=2, **kw)
    a.fit(X, y, soft_target=soft)
    b.fit(X, y, soft_target=soft)
    np.testing.assert_array_equal(a.temperatures_, b.temperatures_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
