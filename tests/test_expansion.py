"""Tests for sksoft.expansion (ExpansionClassifier)."""

import numpy as np
import pytest
from scipy import optimize
from scipy.special import expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils._param_validation import InvalidParameterError

from sksoft.expansion import ExpansionClassifier


def _soft_problem(rng, n=80, d=4, k=3):
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(d, k))
    logits = X @ W + rng.normal(scale=0.5, size=(n, k))
    # soft targets from 5 simulated votes: many zeros, ties and hard rows
    p = softmax(logits, axis=1)
    counts = np.stack([rng.multinomial(5, row) for row in p])
    return X, counts / 5.0, counts


def _reference_multinomial(X, T, s, C):
    """Minimise C * sum_i s_i CE(t_i, softmax(X W + b)) + ||W||^2 / 2 with scipy."""
    n, d = X.shape
    k = T.shape[1]

    def fun(theta):
        W = theta[: d * k].reshape(d, k)
        b = theta[d * k :]
        logits = X @ W + b
        logp = log_softmax(logits, axis=1)
        loss = -C * np.sum(s[:, None] * T * logp) + 0.5 * np.sum(W**2)
        resid = C * s[:, None] * (np.exp(logp) - T)  # d loss / d logits
        grad_W = X.T @ resid + W
        grad_b = resid.sum(axis=0)
        return loss, np.concatenate([grad_W.ravel(), grad_b])

    res = optimize.minimize(
        fun,
        np.zeros(d * k + k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-11},
    )
    # L-BFGS-B may stop "ABNORMAL" in its line search at a gradient near
    # zero (seed 95 of the sweep): the optimum is what matters
    assert res.success or np.abs(res.jac).max() < 1e-6, res.message
    W = res.x[: d * k].reshape(d, k)
    b = res.x[d * k :]
    return W, b, res.fun


def _reference_binary(X, t1, s, C):
    """Minimise C * sum_i s_i CE(t_i, sigmoid(x w + b)) + ||w||^2 / 2 with scipy."""
    d = X.shape[1]

    def fun(theta):
        w, b = theta[:d], theta[d]
        z = X @ w + b
        # -[t log sig(z) + (1 - t) log(1 - sig(z))] = logaddexp(0, z) - t z
        loss = C * np.sum(s * (np.logaddexp(0, z) - t1 * z)) + 0.5 * w @ w
        resid = C * s * (expit(z) - t1)
        return loss, np.concatenate([X.T @ resid + w, [resid.sum()]])

    res = optimize.minimize(
        fun,
        np.zeros(d + 1),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 20000, "ftol": 1e-15, "gtol": 1e-11},
    )
    # L-BFGS-B may stop "ABNORMAL" in its line search at a gradient near
    # zero (seed 95 of the sweep): the optimum is what matters
    assert res.success or np.abs(res.jac).max() < 1e-6, res.message
    return res.x[:d], res.x[d], res.fun


@pytest.mark.parametrize("weighted", [False, True])
def test_logistic_regression_reaches_soft_cross_entropy_optimum(
    weighted, global_random_seed
):
    rng = np.random.default_rng(global_random_seed)
    X, T, _ = _soft_problem(rng)
    s = rng.uniform(0.2, 3.0, size=X.shape[0]) if weighted else np.ones(X.shape[0])
    C = 0.7
    clf = ExpansionClassifier(LogisticRegression(C=C, tol=1e-12, max_iter=10000))
    clf.fit(X, T, sample_weight=s if weighted else None)

    W_ref, b_ref, f_ref = _reference_multinomial(X, T, s, C)
    inner = clf.estimator_
    np.testing.assert_allclose(inner.coef_, W_ref.T, atol=1e-5)
    # intercepts are defined up to a common shift: compare centred
    np.testing.assert_allclose(
        inner.intercept_ - inner.intercept_.mean(), b_ref - b_ref.mean(), atol=1e-5
    )
    np.testing.assert_allclose(
        clf.predict_proba(X), softmax(X @ W_ref + b_ref, axis=1), atol=1e-6
    )
    # the objective value reached is the scipy minimum
    logp = clf.predict_log_proba(X)
    f_clf = -C * np.sum(s[:, None] * T * logp) + 0.5 * np.sum(inner.coef_**2)
    assert f_clf == pytest.approx(f_ref, rel=1e-9)


def test_logistic_regression_binary_soft_optimum(global_random_seed):
    rng = np.random.default_rng(global_random_seed)
    X, T, _ = _soft_problem(rng, n=60, d=3, k=2)
    s = np.ones(X.shape[0])
    C = 2.0
    clf = ExpansionClassifier(LogisticRegression(C=C, tol=1e-12, max_iter=10000))
    clf.fit(X, T)
    w_ref, b_ref, _ = _reference_binary(X, T[:, 1], s, C)
    np.testing.assert_allclose(clf.estimator_.coef_.ravel(), w_ref, atol=1e-5)
    np.testing.assert_allclose(clf.estimator_.intercept_[0], b_ref, atol=1e-5)
    # within the coefficients' tolerance (the default rtol=1e-7 failed seed 24)
    np.testing.assert_allclose(
        clf.predict_proba(X)[:, 1], expit(X @ w_ref + b_ref), atol=1e-6
    )
    assert clf.decision_function(X).shape == (60,)


def test_hard_labels_match_plain_estimator():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    y = rng.choice(["a", "b", "c"], size=50)
    clf = ExpansionClassifier().fit(X, y)
    ref = LogisticRegression().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X))
    np.testing.assert_array_equal(clf.predict(X), ref.predict(X))
    np.testing.assert_allclose(clf.decision_function(X), ref.decision_function(X))
    assert clf.score(X, y) == ref.score(X, y)


class _SpyClassifier(ClassifierMixin, BaseEstimator):
    """Records what it is fitted on; predicts the weighted class prior."""

    def fit(self, X, y, sample_weight=None):
        self.X_ = np.asarray(X)
        self.y_ = np.asarray(y)
        self.sample_weight_ = np.asarray(sample_weight)
        self.classes_ = np.unique(y)
        prior = np.array(
            [self.sample_weight_[self.y_ == c].sum() for c in self.classes_]
        )
        self.prior_ = prior / prior.sum()
        return self

    def predict_proba(self, X):
        return np.tile(self.prior_, (len(X), 1))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def test_expansion_rows_weights_and_dropped_zero_copies():
    X = np.arange(8.0).reshape(4, 2)
    T = np.array([[0.25, 0.75, 0.0], [1.0, 0.0, 0.0], [0.2, 0.3, 0.5], [0.0, 0.0, 1.0]])
    sw = np.array([2.0, 1.0, 0.0, 4.0])
    clf = ExpansionClassifier(_SpyClassifier()).fit(X, T, sample_weight=sw)
    spy = clf.estimator_
    # row 0 -> 2 copies, row 1 -> 1, row 2 (weight 0) -> none, row 3 -> 1
    np.testing.assert_array_equal(spy.X_, X[[0, 0, 1, 3]])
    np.testing.assert_array_equal(spy.y_, [0, 1, 0, 2])
    np.testing.assert_allclose(spy.sample_weight_, [0.5, 1.5, 1.0, 4.0])
    # weighted class mass: 1.5, 1.5, 4 out of 7
    np.testing.assert_allclose(clf.predict_proba(X[:1]), [[1.5 / 7, 1.5 / 7, 4 / 7]])


def test_zero_mass_class_gets_zero_column():
    rng = np.random.default_rng(3)
    X, T, _ = _soft_problem(rng, n=40, k=2)
    T3 = np.column_stack([T[:, 0], np.zeros(40), T[:, 1]])  # class 1 never occurs
    clf = ExpansionClassifier().fit(X, T3)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_array_equal(clf.estimator_.classes_, [0, 2])
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 3)
    np.testing.assert_array_equal(proba[:, 1], 0.0)
    np.testing.assert_allclose(
        proba[:, [0, 2]], ExpansionClassifier().fit(X, T).predict_proba(X)
    )
    assert set(clf.predict(X)) <= {0, 2}
    log_proba = clf.predict_log_proba(X)
    assert np.all(np.isneginf(log_proba[:, 1]))
    # a binary inner score s becomes (-s/2, s/2): same softmax as predict_proba
    dec = clf.decision_function(X)
    assert np.all(np.isneginf(dec[:, 1]))
    np.testing.assert_allclose(softmax(dec[:, [0, 2]], axis=1), proba[:, [0, 2]])


def test_classes_param_keeps_unseen_labels():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 2))
    y = rng.choice(["x", "z"], size=30)
    clf = ExpansionClassifier(classes=["x", "y", "z"]).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["x", "y", "z"])
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba[:, 1], 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="not among classes"):
        ExpansionClassifier(classes=["x", "y"]).fit(X, y)
    # 2-D y: classes names the columns
    T = np.column_stack([y == "x", y == "z"]).astype(float)
    clf2 = ExpansionClassifier(classes=["x", "z"]).fit(X, T)
    np.testing.assert_array_equal(
        clf2.predict(X), ExpansionClassifier().fit(X, y).predict(X)
    )


def test_counts_param():
    rng = np.random.default_rng(5)
    X, T, counts = _soft_problem(rng, n=40)
    a = ExpansionClassifier(counts=True).fit(X, counts)
    b = ExpansionClassifier().fit(X, T)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X))
    with pytest.raises(ValueError, match="counts=True"):
        ExpansionClassifier().fit(X, counts)
    # score on counts uses the argmax of the votes
    assert a.score(X, counts) == b.score(X, T)


def test_score_is_accuracy_against_target_argmax_with_first_class_ties():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    T = np.array([[0.5, 0.5], [0.9, 0.1], [0.4, 0.6], [0.0, 1.0]])
    clf = ExpansionClassifier(_SpyClassifier()).fit(X, T)
    # the spy predicts the class prior (class 1 heavier: 2.2 vs 1.8) everywhere
    np.testing.assert_array_equal(clf.predict(X), [1, 1, 1, 1])
    # argmax with ties to the first class: [0, 0, 1, 1] -> 2 of 4 right
    assert clf.score(X, T) == 0.5
    assert clf.score(X, T, sample_weight=[1, 1, 1, 5]) == pytest.approx(6 / 8)


def test_other_estimators():
    rng = np.random.default_rng(6)
    X, T, _ = _soft_problem(rng, n=120)
    hgb = ExpansionClassifier(HistGradientBoostingClassifier(max_iter=20)).fit(X, T)
    proba = hgb.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert hasattr(hgb, "decision_function")
    nb = ExpansionClassifier(GaussianNB()).fit(X, T)
    assert not hasattr(nb, "decision_function")
    # GaussianNB on the expansion: class means are target-weighted feature means
    np.testing.assert_allclose(
        nb.estimator_.theta_, (T.T @ X) / T.sum(axis=0)[:, None], rtol=1e-10
    )
    # NaN in X: allowed by the inner HGB, refused for LogisticRegression
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    ExpansionClassifier(HistGradientBoostingClassifier(max_iter=5)).fit(X_nan, T)
    with pytest.raises(ValueError, match="NaN"):
        ExpansionClassifier().fit(X_nan, T)


def test_errors():
    rng = np.random.default_rng(7)
    X, T, _ = _soft_problem(rng, n=20)
    with pytest.raises(ValueError, match="does not accept sample_weight"):
        ExpansionClassifier(KNeighborsClassifier()).fit(X, T)
    with pytest.raises(InvalidParameterError):
        ExpansionClassifier(estimator="lr").fit(X, T)
    with pytest.raises(InvalidParameterError):
        ExpansionClassifier(counts="yes").fit(X, T)
    bad = T.copy()
    bad[3] = [0.5, 0.4, 0.3]
    with pytest.raises(ValueError, match="row 3"):
        ExpansionClassifier().fit(X, bad)
    with pytest.raises(ValueError, match="Unknown label type"):
        ExpansionClassifier().fit(X, rng.normal(size=20))
    with pytest.raises(ValueError, match="non-zero"):
        ExpansionClassifier().fit(X, T, sample_weight=np.zeros(20))
    with pytest.raises(ValueError, match="(?i)negative"):
        ExpansionClassifier().fit(X, T, sample_weight=-np.ones(20))
    with pytest.raises(NotFittedError):
        ExpansionClassifier().predict_proba(X)
    fitted = ExpansionClassifier().fit(X, T)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :2])


def test_clone_and_params():
    clf = ExpansionClassifier(LogisticRegression(C=3.0), counts=True)
    params = clf.get_params()
    assert params["estimator__C"] == 3.0 and params["counts"] is True
    clone(clf).set_params(estimator__C=0.5)
    assert clf.estimator.C == 3.0


def test_sparse_and_dataframe_inputs():
    import warnings

    from scipy import sparse

    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(8)
    X, T, _ = _soft_problem(rng, n=50)
    dense = ExpansionClassifier().fit(X, T)
    sp = ExpansionClassifier().fit(sparse.csr_matrix(X), T)
    np.testing.assert_allclose(
        sp.predict_proba(sparse.csr_matrix(X)), dense.predict_proba(X), atol=1e-6
    )
    with pytest.raises(TypeError, match="[Ss]parse"):
        ExpansionClassifier(GaussianNB()).fit(sparse.csr_matrix(X), T)
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = ExpansionClassifier().fit(df, pd.DataFrame(T))
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warning from the inner
        np.testing.assert_allclose(clf.predict_proba(df), dense.predict_proba(X))
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_pipeline_inside_routes_sample_weight_to_final_step():
    from sklearn import config_context
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    rng = np.random.default_rng(3)
    X, T, _ = _soft_problem(rng)
    s = rng.uniform(0.2, 3, size=X.shape[0])
    bare = ExpansionClassifier(LogisticRegression()).fit(X, T, sample_weight=s)
    # an identity step: the same problem, the weights must reach the final step
    piped = ExpansionClassifier(
        make_pipeline(FunctionTransformer(), LogisticRegression())
    ).fit(X, T, sample_weight=s)
    np.testing.assert_allclose(piped.predict_proba(X), bare.predict_proba(X))
    unweighted = ExpansionClassifier(LogisticRegression()).fit(X, T)
    assert np.abs(unweighted.predict_proba(X) - bare.predict_proba(X)).max() > 1e-3
    # nested pipelines
    nested = make_pipeline(
        FunctionTransformer(),
        make_pipeline(FunctionTransformer(), LogisticRegression()),
    )
    got = ExpansionClassifier(nested).fit(X, T, sample_weight=s).predict_proba(X)
    np.testing.assert_allclose(got, bare.predict_proba(X))
    # with metadata routing the final step's request routes the weights
    with config_context(enable_metadata_routing=True):
        lr = LogisticRegression().set_fit_request(sample_weight=True)
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        scaled = make_pipeline(scaler, lr)
        routed = ExpansionClassifier(scaled).fit(X, T, sample_weight=s)
        ref = ExpansionClassifier(make_pipeline(StandardScaler(), LogisticRegression()))
        with config_context(enable_metadata_routing=False):
            ref.fit(X, T, sample_weight=s)
        np.testing.assert_allclose(routed.predict_proba(X), ref.predict_proba(X))
    # a final step without sample_weight is named
    with pytest.raises(ValueError, match="final step.*KNeighborsClassifier"):
        ExpansionClassifier(
            make_pipeline(StandardScaler(), KNeighborsClassifier())
        ).fit(X, T)


def test_dataframe_columns_name_the_classes():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(9)
    X, T, _ = _soft_problem(rng, n=60)
    names = ["cat", "dog", "emu"][: T.shape[1]]
    frame = pd.DataFrame(T, columns=names)
    clf = ExpansionClassifier().fit(X, frame)
    assert clf.classes_.tolist() == names
    ref = ExpansionClassifier(classes=names).fit(X, T)
    np.testing.assert_array_equal(clf.predict_proba(X), ref.predict_proba(X))
    np.testing.assert_array_equal(clf.predict(X), ref.predict(X))
    assert set(clf.predict(X)) <= set(names)
    assert clf.score(X, frame) == ref.score(X, T)
    # the same classes in another column order are an error, not a silent swap
    shuffled = frame[names[::-1]]
    with pytest.raises(ValueError, match="in another order"):
        ExpansionClassifier(classes=names).fit(X, shuffled)
    with pytest.raises(ValueError, match="in another order"):
        clf.score(X, shuffled)
    # other column names are read by position; classes= still names them
    other = pd.DataFrame(T, columns=[f"p_{n}" for n in names])
    assert ExpansionClassifier(classes=names).fit(X, other).classes_.tolist() == names
    # a one-column frame of labels is not a frame of probability columns
    labels = pd.DataFrame({"label": np.array(names)[T.argmax(axis=1)]})
    with pytest.warns(Warning):  # sklearn's column-vector y warning
        assert sorted(ExpansionClassifier().fit(X, labels).classes_) == sorted(
            set(labels["label"])
        )
