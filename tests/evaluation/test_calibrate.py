"""``evaluate_predictions(calibrate=...)`` (sksoft/evaluation/_calibrate.py)."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state

from sksoft import evaluate_predictions
from sksoft.calibration import (
    DirichletCalibrationClassifier,
    VectorScalingClassifier,
)
from sksoft.targets import counts_to_proba
from sksoft.utils._sklearn_compat import InvalidParameterError


class _GivenProba(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose inputs are its probabilities."""

    def fit(self, X, y=None):
        self.classes_ = np.arange(np.asarray(X).shape[1])
        return self

    def predict_proba(self, X):
        return np.asarray(X, dtype=np.float64)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 240
    truth = rng.dirichlet([0.8, 0.8, 0.8], size=n)
    counts = np.stack([rng.multinomial(12, t) for t in truth])
    logits = 3.0 * np.log(truth + 0.05) + rng.normal(0, 0.5, size=(n, 3))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)  # over-confident
    return counts, [p, np.roll(p, 1, axis=0)]


@pytest.mark.parametrize(
    "method, cls",
    [
        ("vector", VectorScalingClassifier),
        ("dirichlet", DirichletCalibrationClassifier),
    ],
)
@pytest.mark.parametrize("folds", [5, 3])
def test_variant_equals_library_calibrators_on_the_same_folds(data, method, cls, folds):
    counts, seeds = data
    res = evaluate_predictions(
        {"m": seeds},
        counts=counts,
        calibrate=method,
        calibration_cv=folds,
        n_bootstrap=0,
        random_state=4,
    )
    name = {"vector": "m (vector scaling, cross-fitted)"}.get(
        method, "m (Dirichlet, cross-fitted)"
    )
    assert res.models == ("m", name)
    human = counts_to_proba(counts)
    seed = check_random_state(4).randint(np.iinfo(np.int32).max)
    frozen = FrozenEstimator(_GivenProba().fit(np.eye(3)))
    for p, got in zip(seeds, res.probabilities[name]):
        expected = np.empty_like(p)
        for train, test in KFold(folds, shuffle=True, random_state=seed).split(p):
            ref = cls(frozen).fit(p[train], human[train])
            expected[test] = ref.predict_proba(p[test])
        # the same map up to L-BFGS rounding
        np.testing.assert_allclose(got, expected, atol=1e-6)
    # the calibrated model is scored like any model: better KL on these data
    assert res.score(name, "kl_vs_human") < res.score("m", "kl_vs_human")
    assert res.settings["calibrate"] == method
    assert res.settings["calibration_cv"] == folds


def test_temperature_is_the_fitted_temperature_variant(data):
    counts, seeds = data
    a = evaluate_predictions(
        {"m": seeds}, counts=counts, calibrate="temperature", n_bootstrap=0
    )
    b = evaluate_predictions(
        {"m": seeds}, counts=counts, temperature="fit", n_bootstrap=0
    )
    name = "m (T fitted, cross-fitted)"
    assert a.models == b.models == ("m", name)
    for x, y in zip(a.probabilities[name], b.probabilities[name]):
        np.testing.assert_array_equal(x, y)
    assert a.temperatures[name] == b.temperatures[name]


def test_calibrate_errors(data):
    counts, seeds = data
    with pytest.raises(ValueError, match="pass one of them"):
        evaluate_predictions(
            {"m": seeds}, counts=counts, calibrate="temperature", temperature="fit"
        )
    with pytest.raises(InvalidParameterError, match="calibrate"):
        evaluate_predictions({"m": seeds}, counts=counts, calibrate="platt")
    with pytest.raises(InvalidParameterError, match="calibration_cv"):
        evaluate_predictions(
            {"m": seeds}, counts=counts, calibrate="vector", calibration_cv=1
        )
    with pytest.raises(ValueError, match="only 3"):
        evaluate_predictions(
            {"m": seeds[0][:3]}, counts=counts[:3], calibrate="dirichlet"
        )
