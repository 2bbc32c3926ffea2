"""Dirichlet calibration and vector scaling (sksoft.calibration._dirichlet)."""

import warnings

import numpy as np
import pytest
from scipy.optimize import check_grad, minimize
from scipy.special import log_softmax, softmax
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from sksoft.calibration import (
    DirichletCalibrationClassifier,
    VectorScalingClassifier,
    fit_dirichlet,
)
from sksoft.calibration._dirichlet import _objective
from sksoft.utils._sklearn_compat import InvalidParameterError


def _miscalibrated(n=800, k=3, seed=0):
    """Probabilities of an over-confident, biased model and labels from the truth."""
    rng = np.random.default_rng(seed)
    true_logits = rng.normal(size=(n, k)) * 1.5
    truth = softmax(true_logits, axis=1)
    y = np.array([rng.choice(k, p=row) for row in truth])
    mix = np.eye(k) + 0.3 * rng.normal(size=(k, k))
    p = softmax(2.5 * true_logits @ mix.T + np.arange(k) * 0.4, axis=1)
    return p, y, truth


def _apply(p, W, b):
    return softmax(np.log(p + 1e-12) @ W.T + b, axis=1)


def _soft_nll(target, q):
    return -np.mean(np.sum(target * np.log(q), axis=1))


def _sklearn_mlr(x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            lr = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000)
            return lr.fit(x, y)
        except (ValueError, TypeError):  # pragma: no cover - older sklearn
            lr = LogisticRegression(penalty=None, tol=1e-12, max_iter=100_000)
            return lr.fit(x, y)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_unregularised_equals_multinomial_logistic_regression(k):
    p, y, _ = _miscalibrated(k=k)
    W, b = fit_dirichlet(y, p, reg_lambda=0.0, reg_mu=0.0)
    x = np.log(p + 1e-12)
    lr = _sklearn_mlr(x, y)
    np.testing.assert_allclose(_apply(p, W, b), lr.predict_proba(x), atol=1e-5)
    # the estimator around a frozen model gives the same map
    X = np.random.default_rng(1).normal(size=(len(y), 2))

    class _Fixed(LogisticRegression):
        def predict_proba(self, X):
            return p[: len(X)]

    base = _Fixed().fit(X, y)
    calib = DirichletCalibrationClassifier(
        FrozenEstimator(base), reg_lambda=0.0, reg_mu=0.0
    ).fit(X, y)
    np.testing.assert_allclose(calib.predict_proba(X), lr.predict_proba(x), atol=1e-5)


def test_gradient_is_analytic_derivative():
    p, _, truth = _miscalibrated(n=50, k=3)
    x = np.log(p)
    w = np.random.default_rng(2).uniform(0.5, 2, size=50)
    rng = np.random.default_rng(3)
    for diagonal, size in [(False, 12), (True, 6)]:
        theta = rng.normal(size=size)

        def f(t, diagonal=diagonal):
            return _objective(t, x, truth, w, 0.3, 0.2, diagonal)[0]

        def g(t, diagonal=diagonal):
            return _objective(t, x, truth, w, 0.3, 0.2, diagonal)[1]

        assert check_grad(f, g, theta) < 1e-6


def test_vector_scaling_is_diagonal_dirichlet():
    p, y, truth = _miscalibrated(k=3)
    Wv, bv = fit_dirichlet(truth, p, diagonal=True, reg_mu=0.05)
    assert np.all(Wv == np.diag(np.diag(Wv)))
    # independent minimiser of the diagonal objective (numerical gradient)
    x = np.log(p + 1e-12)

    def loss(t):
        q = log_softmax(x * t[:3] + t[3:], axis=1)
        return -np.mean(np.sum(truth * q, axis=1)) + 0.05 / 3 * t[3:] @ t[3:]

    ref = minimize(loss, np.r_[np.ones(3), np.zeros(3)], method="BFGS", tol=1e-12)
    np.testing.assert_allclose(np.diag(Wv), ref.x[:3], atol=1e-4)
    np.testing.assert_allclose(bv, ref.x[3:], atol=1e-4)
    # Dirichlet with an overwhelming off-diagonal penalty is vector scaling
    # (the off-diagonal weights shrink as 1 / lambda, the probabilities follow
    # up to the conditioning of the stiff problem)
    Wd, bd = fit_dirichlet(truth, p, reg_lambda=1e6, reg_mu=0.05)
    assert np.abs(Wd - np.diag(np.diag(Wd))).max() < 1e-5
    np.testing.assert_allclose(_apply(p, Wd, bd), _apply(p, Wv, bv), atol=5e-5)
    # and the estimators agree with the function
    X = np.zeros((len(p), 1))

    class _Fixed(LogisticRegression):
        def predict_proba(self, X):
            return p

    base = _Fixed().fit(np.random.default_rng(0).normal(size=(len(y), 1)), y)
    vs = VectorScalingClassifier(FrozenEstimator(base), reg_mu=0.05).fit(X, truth)
    np.testing.assert_allclose(vs.coef_, Wv, atol=1e-8)
    assert vs.soft_target_fit_
    assert "reg_lambda" not in vs.get_params()


def test_soft_fit_lowers_soft_nll_against_identity_and_temperature():
    p, _, truth = _miscalibrated(n=2000, k=4, seed=5)
    fit, held = slice(0, 1000), slice(1000, None)
    W, b = fit_dirichlet(truth[fit], p[fit])
    identity = _soft_nll(truth[held], p[held])
    dirichlet = _soft_nll(truth[held], _apply(p[held], W, b))
    assert dirichlet < 0.8 * identity
    # the full matrix beats one temperature on this mixed-up model
    from sksoft.calibration import fit_temperature, temperature_scale

    t = fit_temperature(truth[fit], p[fit])
    assert dirichlet < _soft_nll(truth[held], temperature_scale(p[held], t))


def test_calibrated_input_gives_identity():
    rng = np.random.default_rng(7)
    p = softmax(rng.normal(size=(20000, 3)) * 2, axis=1)
    y = np.array([rng.choice(3, p=row) for row in p])
    W, b = fit_dirichlet(y, p)
    np.testing.assert_allclose(W, np.eye(3), atol=0.06)
    np.testing.assert_allclose(b - b.mean(), 0, atol=0.06)
    np.testing.assert_allclose(_apply(p, W, b), p, atol=0.02)
    # soft targets equal to the predictions: the identity is the exact optimum
    W, b = fit_dirichlet(p, p, reg_lambda=0.0, reg_mu=0.0)
    np.testing.assert_allclose(_apply(p, W, b), p, atol=1e-6)


def test_counts_soft_and_hard_routes_agree():
    p, y, truth = _miscalibrated(n=300, k=3)
    counts = np.rint(truth * 10).astype(float)
    counts[counts.sum(1) == 0, 0] = 1
    W1, b1 = fit_dirichlet(counts / counts.sum(1, keepdims=True), p)
    X = np.random.default_rng(0).normal(size=(300, 2))

    class _Fixed(LogisticRegression):
        def predict_proba(self, X):
            return p[: len(X)]

    base = _Fixed().fit(X, y)
    est = DirichletCalibrationClassifier(FrozenEstimator(base), counts=True)
    est.fit(X, counts)
    np.testing.assert_allclose(est.coef_, W1, atol=1e-8)
    # hard y with soft_target= fits against the soft targets
    est2 = DirichletCalibrationClassifier(FrozenEstimator(base)).fit(
        X, y, soft_target=counts / counts.sum(1, keepdims=True)
    )
    np.testing.assert_allclose(est2.coef_, W1, atol=1e-5)
    # sample weights: integer weights equal repeated rows
    w = np.random.default_rng(1).integers(1, 4, size=300)
    Ww, bw = fit_dirichlet(y, p, sample_weight=w)
    Wr, br = fit_dirichlet(np.repeat(y, w), np.repeat(p, w, axis=0))
    np.testing.assert_allclose(_apply(p, Ww, bw), _apply(p, Wr, br), atol=1e-6)


@pytest.mark.parametrize(
    "Est", [DirichletCalibrationClassifier, VectorScalingClassifier]
)
def test_cross_fitted_ensemble_false_is_map_on_out_of_fold_predictions(Est):
    X, y = make_classification(
        n_samples=300, n_classes=3, n_informative=4, random_state=0
    )
    cv = KFold(3, shuffle=True, random_state=0)
    est = Est(LogisticRegression(C=10), cv=cv, ensemble=False).fit(X, y)
    oof = np.zeros((300, 3))
    for train, test in cv.split(X):
        oof[test] = (
            LogisticRegression(C=10).fit(X[train], y[train]).predict_proba(X[test])
        )
    W, b = fit_dirichlet(y, oof, diagonal=Est is VectorScalingClassifier)
    np.testing.assert_allclose(est.coef_, W, atol=1e-7)
    full = LogisticRegression(C=10).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(est.predict_proba(X), _apply(full, W, b), atol=1e-7)
    ens = Est(LogisticRegression(C=10), cv=cv).fit(X, y)
    assert len(ens.estimators_) == 3 and ens.coefs_.shape == (3, 3, 3)
    assert not hasattr(ens, "coef_")
    parts = [
        _apply(e.predict_proba(X), Wi, bi)
        for e, Wi, bi in zip(ens.estimators_, ens.coefs_, ens.intercepts_)
    ]
    np.testing.assert_allclose(ens.predict_proba(X), np.mean(parts, 0), atol=1e-12)


def test_grid_picks_lowest_inner_cv_loss():
    p, y, truth = _miscalibrated(n=240, k=3, seed=3)
    lambdas, mus = [1e-4, 1.0, 100.0], [1e-3, 10.0]
    W, b = fit_dirichlet(truth, p, reg_lambda=lambdas, reg_mu=mus)
    folds = list(KFold(3, shuffle=True, random_state=0).split(p))
    best = min(
        (
            sum(
                _soft_nll(
                    truth[te],
                    _apply(
                        p[te],
                        *fit_dirichlet(truth[tr], p[tr], reg_lambda=lam, reg_mu=mu),
                    ),
                )
                * len(te)
                for tr, te in folds
            ),
            lam,
            mu,
        )
        for lam in lambdas
        for mu in mus
    )
    W_ref, b_ref = fit_dirichlet(truth, p, reg_lambda=best[1], reg_mu=best[2])
    np.testing.assert_allclose(W, W_ref, atol=1e-10)
    np.testing.assert_allclose(b, b_ref, atol=1e-10)


def test_bad_input_raises_clearly():
    p, y, _ = _miscalibrated(n=30)
    with pytest.raises(InvalidParameterError):
        fit_dirichlet(y, p, reg_lambda=-1.0)
    with pytest.raises(ValueError, match="reg_mu must be >= 0"):
        fit_dirichlet(y, p, reg_mu=[0.1, -1.0])
    with pytest.raises(ValueError, match="reg_lambda must be a float"):
        fit_dirichlet(y, p, reg_lambda=[np.nan])
    bad = p.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit_dirichlet(y, bad)
    with pytest.raises(ValueError, match="samples"):
        fit_dirichlet(y[:5], p)
    with pytest.raises(ValueError, match="columns"):
        fit_dirichlet(np.full((30, 2), 0.5), p)
    with pytest.raises(ValueError, match="at least 3"):
        fit_dirichlet(y[:2], p[:2], reg_mu=[0.1, 1.0], labels=[0, 1, 2])
    with pytest.raises(InvalidParameterError):
        DirichletCalibrationClassifier(max_iter=0).fit(np.zeros((30, 2)), y)
    with pytest.warns(Warning, match="did not converge"):
        fit_dirichlet(y, p, max_iter=1, reg_lambda=0.0)


def test_dirichletcal_reference():
    dirichletcal = pytest.importorskip(
        "dirichletcal",
        reason="dirichletcal (PyPI) does not install: its setup.py has an invalid "
        "install_requires specifier",
    )
    p, y, _ = _miscalibrated(n=600, k=3)
    ref = dirichletcal.calib.fulldirichlet.FullDirichletCalibrator(
        reg_lambda=0.0, reg_mu=None
    ).fit(p, y)
    W, b = fit_dirichlet(y, p, reg_lambda=0.0, reg_mu=0.0)
    np.testing.assert_allclose(ref.predict_proba(p), _apply(p, W, b), atol=1e-4)


def _chaosnli_snli(data_dir):
    import gzip
    import json

    path = data_dir / "chaosnli"
    name = path / "predictions-baan2022" / "SNLI_dev_roberta-base_0.json.gz"
    if not (path / "chaosNLI_snli.jsonl").exists() or not name.exists():
        pytest.skip(f"ChaosNLI-SNLI or the Baan et al. predictions not under {path}")
    with open(path / "chaosNLI_snli.jsonl", encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    probs = {}
    for split in ("dev", "test"):
        name = path / "predictions-baan2022" / f"SNLI_{split}_roberta-base_0.json.gz"
        with gzip.open(name, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    rec = json.loads(line)
                    probs[rec["uid"]] = rec["probs"]
    p = np.array([probs[it["uid"]] for it in items])[:, [0, 2, 1]]
    counts = np.array([it["label_count"] for it in items])
    return p / p.sum(1, keepdims=True), counts


def test_chaosnli_roberta_human_fit(data_dir):
    # real model outputs, real human votes: the matrix fitted on the human
    # distributions of half the items lowers the held-out KL below the
    # temperature's, which lowers it below the raw model's
    from sksoft.calibration import fit_temperature, temperature_scale
    from sksoft.metrics import kl_divergence

    p, counts = _chaosnli_snli(data_dir)
    human = counts / counts.sum(1, keepdims=True)
    perm = np.random.default_rng(0).permutation(len(p))
    cal, test = perm[: len(p) // 2], perm[len(p) // 2 :]
    raw = kl_divergence(human[test], p[test])
    t = fit_temperature(human[cal], p[cal])
    temp = kl_divergence(human[test], temperature_scale(p[test], t))
    W, b = fit_dirichlet(human[cal], p[cal])
    dirichlet = kl_divergence(human[test], _apply(p[test], W, b))
    assert dirichlet < temp < raw
