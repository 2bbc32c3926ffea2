"""The sksoft scorers, run through GridSearchCV and cross_validate."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import get_scorer_names as sklearn_scorer_names
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from sksoft.expansion import ExpansionClassifier
from sksoft.metrics import (
    expected_calibration_error,
    get_scorer,
    get_scorer_names,
    hard_sample_calibration_error,
    js_divergence,
    max_calibration_error,
)
from sksoft.targets import hard_labels

BINARY_ONLY = {"neg_positive_class_calibration_error"}
# scorers of other prediction shapes (multi-label, per annotator): tested in
# tests/metrics/test_lewidi.py
OTHER_SHAPES = {
    "neg_annotator_error_rate",
    "neg_multilabel_manhattan_distance",
    "neg_normalized_absolute_distance",
}

HARD_NEEDING = {
    "neg_hard_sample_calibration_error",
    "neg_easy_sample_calibration_error",
    "uncertainty_alignment_spearman",
    "uncertainty_alignment_pearson",
}


def _soft_problem(n_classes, n=150, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=5,
        n_informative=3,
        n_redundant=0,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    # soft targets: 8 simulated annotators, mostly agreeing with y
    base = np.full((n, n_classes), 0.4 / n_classes)
    base[np.arange(n), y] += 0.6
    counts = np.stack([rng.multinomial(8, row) for row in base])
    return X, counts / 8.0, y


def _names(n_classes, exclude=()):
    skip = set(exclude) | OTHER_SHAPES | (BINARY_ONLY if n_classes > 2 else set())
    return [n for n in get_scorer_names() if n not in skip]


def _assert_no_nan(cv_results, names):
    for name in names:
        for key in (f"mean_test_{name}", f"split0_test_{name}"):
            vals = np.asarray(cv_results[key], dtype=float)
            assert not np.isnan(vals).any(), (key, vals)


def test_registry_names_and_isolation():
    names = get_scorer_names()
    assert names == sorted(names) and len(names) >= 15
    for name in names:
        scorer = get_scorer(name)
        loss = any(
            w in name for w in ("error", "loss", "divergence", "brier", "distance")
        )
        assert name.startswith("neg_") == loss, name
        assert scorer._sign == (-1 if loss else 1)
        assert get_scorer(name) is not scorer
        assert repr(scorer) == f"sksoft.metrics.get_scorer({name!r})"
    # sklearn's registry is not touched
    assert not set(names) & set(sklearn_scorer_names())
    with pytest.raises(ValueError, match="not a sksoft scorer"):
        get_scorer("neg_log_loss")


@pytest.mark.parametrize("n_classes", [2, 3])
def test_scorer_values_equal_metrics(n_classes):
    X, soft, y = _soft_problem(n_classes)
    clf = LogisticRegression().fit(X, y)
    proba = clf.predict_proba(X)
    ece = get_scorer("neg_expected_calibration_error")
    assert ece(clf, X, y) == pytest.approx(-expected_calibration_error(y, proba))
    assert ece(clf, X, soft) == pytest.approx(-expected_calibration_error(soft, proba))
    js = get_scorer("neg_js_divergence")
    assert js(clf, X, soft) == pytest.approx(-js_divergence(soft, proba))
    hard = get_scorer("neg_hard_sample_calibration_error")
    assert hard(clf, X, soft) == pytest.approx(
        -hard_sample_calibration_error(soft, proba)
    )
    with pytest.raises(ValueError, match="soft_target"):
        hard(clf, X, y)  # never a number without hardness


@pytest.mark.parametrize("n_classes", [2, 3])
def test_grid_search_on_soft_targets(n_classes):
    X, soft, _ = _soft_problem(n_classes)
    names = _names(n_classes)
    search = GridSearchCV(
        ExpansionClassifier(LogisticRegression(max_iter=200)),
        {"estimator__C": [0.1, 1.0]},
        scoring={name: get_scorer(name) for name in names},
        refit="neg_expected_calibration_error",
        cv=KFold(3, shuffle=True, random_state=0),
        n_jobs=2,
        error_score="raise",
    ).fit(X, soft)
    _assert_no_nan(search.cv_results_, names)
    assert search.best_params_["estimator__C"] in (0.1, 1.0)
    best = search.cv_results_["rank_test_neg_expected_calibration_error"].argmin()
    assert search.best_index_ == best


@pytest.mark.parametrize("n_classes", [2, 3])
def test_routed_soft_targets_with_hard_labels(n_classes):
    """LogisticRegression fitted on hard labels; hardness routed as metadata."""
    X, soft, y = _soft_problem(n_classes, seed=1)
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        scoring = {
            "hard": get_scorer("neg_hard_sample_calibration_error").set_score_request(
                soft_target=True
            ),
            "easy": get_scorer("neg_easy_sample_calibration_error").set_score_request(
                soft_target=True
            ),
            "ece": get_scorer("neg_expected_calibration_error"),
            "top1": get_scorer("top1_agreement"),
        }
        search = GridSearchCV(
            LogisticRegression(),
            {"C": [0.1, 1.0]},
            scoring=scoring,
            refit="hard",
            cv=cv,
            n_jobs=2,
            error_score="raise",
        ).fit(X, y, soft_target=soft)
        _assert_no_nan(search.cv_results_, scoring)

        res = cross_validate(
            LogisticRegression(),
            X,
            y,
            cv=cv,
            scoring=scoring,
            params={"soft_target": soft},
            return_estimator=True,
            error_score="raise",
        )
    # the routed soft targets are sliced to each test fold
    for i, (_, test) in enumerate(cv.split(X)):
        proba = res["estimator"][i].predict_proba(X[test])
        ref = hard_sample_calibration_error(y[test], proba, soft_target=soft[test])
        assert res["test_hard"][i] == pytest.approx(-ref)


def test_routing_errors_are_clear():
    X, soft, y = _soft_problem(3)
    hard = get_scorer("neg_hard_sample_calibration_error")
    # hard y, no routing: the error names the remedy
    with pytest.raises(ValueError, match="soft_target"):
        cross_validate(
            LogisticRegression(), X, y, scoring={"h": hard}, cv=3, error_score="raise"
        )
    with pytest.raises(RuntimeError, match="enable_metadata_routing"):
        get_scorer("neg_hard_sample_calibration_error").set_score_request(
            soft_target=True
        )
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(ValueError, match="does not accept"):
            get_scorer("neg_expected_calibration_error").set_score_request(
                soft_target=True
            )
    # routing on, metadata passed but not requested: sklearn's own error
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(Exception, match="soft_target"):
            cross_validate(
                LogisticRegression(),
                X,
                y,
                scoring={"h": hard},
                cv=3,
                params={"soft_target": soft},
                error_score="raise",
            )


def test_routed_sample_weight_matches_weighted_metric():
    X, soft, y = _soft_problem(3)
    w = np.random.default_rng(0).uniform(0.1, 2, size=len(y))
    cv = KFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = get_scorer("neg_expected_calibration_error").set_score_request(
            sample_weight=True
        )
        est = LogisticRegression().set_fit_request(sample_weight=False)
        res = cross_validate(
            est,
            X,
            y,
            cv=cv,
            scoring={"ece": scorer},
            params={"sample_weight": w},
            return_estimator=True,
        )
    for i, (_, test) in enumerate(cv.split(X)):
        ref = expected_calibration_error(
            y[test],
            res["estimator"][i].predict_proba(X[test]),
            sample_weight=w[test],
        )
        assert res["test_ece"][i] == pytest.approx(-ref)


@pytest.mark.parametrize(
    "estimator",
    [
        DecisionTreeClassifier(max_depth=3, random_state=0),
        GaussianNB(),
        make_pipeline(StandardScaler(), LogisticRegression()),
    ],
    ids=["tree", "nb", "pipeline"],
)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_any_classifier_hard_labels(estimator, n_classes):
    X, _, y = _soft_problem(n_classes)
    names = _names(n_classes, exclude=HARD_NEEDING)
    res = cross_validate(
        estimator,
        X,
        y,
        cv=3,
        n_jobs=2,
        error_score="raise",
        scoring={n: get_scorer(n) for n in names},
    )
    for n in names:
        assert not np.isnan(res[f"test_{n}"]).any(), n


def test_fold_missing_a_class_uses_estimator_classes():
    X, _, y = _soft_problem(3, n=60)
    y = y.copy()
    y[:] = np.where(np.arange(60) < 57, y % 2, 2)  # class 2 only in the last rows
    clf = LogisticRegression().fit(X, y)
    ece = get_scorer("neg_expected_calibration_error")
    first = slice(0, 30)  # holds no sample of class 2
    assert ece(clf, X[first], y[first]) == pytest.approx(
        -expected_calibration_error(
            y[first], clf.predict_proba(X[first]), labels=clf.classes_
        )
    )


def _binary_calibration_problem():
    # a binary problem whose positive-class and top-label ECE differ clearly
    X, y = make_classification(
        n_samples=400, n_features=5, n_informative=2, flip_y=0.1, random_state=3
    )
    return X, y


def test_binary_scorer_equals_metric_on_predict_proba_in_grid_search():
    """Regression (issue 12.3): the scorer measured the positive class on
    binary problems while the metric on predict_proba measures the top label."""
    X, y = _binary_calibration_problem()
    cv = KFold(3, shuffle=True, random_state=0)
    scoring = {
        "ece": get_scorer("neg_expected_calibration_error"),
        "mce": get_scorer("neg_max_calibration_error"),
        "pos": get_scorer("neg_positive_class_calibration_error"),
    }
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [0.01, 1.0]},
        scoring=scoring,
        refit=False,
        cv=cv,
        error_score="raise",
    ).fit(X, y)
    differ = 0
    for j, C in enumerate([0.01, 1.0]):
        for i, (train, test) in enumerate(cv.split(X)):
            clf = LogisticRegression(C=C).fit(X[train], y[train])
            proba = clf.predict_proba(X[test])
            top = expected_calibration_error(y[test], proba)
            pos = expected_calibration_error(y[test], proba[:, 1])
            res = search.cv_results_
            assert res[f"split{i}_test_ece"][j] == pytest.approx(-top, abs=1e-12)
            assert res[f"split{i}_test_mce"][j] == pytest.approx(
                -max_calibration_error(y[test], proba), abs=1e-12
            )
            assert res[f"split{i}_test_pos"][j] == pytest.approx(-pos, abs=1e-12)
            differ += abs(top - pos) > 1e-3
    assert differ > 0  # the two definitions really differ on this problem


def test_positive_class_scorer_refuses_multiclass():
    X, _, y = _soft_problem(3)
    clf = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="positive class of a binary"):
        get_scorer("neg_positive_class_calibration_error")(clf, X, y)


def test_sklearn_make_scorer_binary_column_trap():
    """sklearn's own scorers hand our metrics the 1-D positive column."""
    X, soft, y = _soft_problem(2)
    scoring = {
        "ece": make_scorer(
            expected_calibration_error,
            response_method="predict_proba",
            greater_is_better=False,
        ),
        "js": make_scorer(
            js_divergence, response_method="predict_proba", greater_is_better=False
        ),
    }
    search = GridSearchCV(
        ExpansionClassifier(LogisticRegression()),
        {"estimator__C": [0.1, 1.0]},
        scoring=scoring,
        refit="ece",
        cv=3,
        error_score="raise",
    ).fit(X, soft)
    _assert_no_nan(search.cv_results_, scoring)
    search = GridSearchCV(
        LogisticRegression(),
        {"C": [0.1, 1.0]},
        scoring=scoring,
        refit="ece",
        cv=3,
        error_score="raise",
        n_jobs=2,
    ).fit(X, hard_labels(soft))
    _assert_no_nan(search.cv_results_, scoring)


def test_grid_search_soft_label_classifier():
    classifier = pytest.importorskip("sksoft.classifier")
    X, soft, _ = _soft_problem(3, n=120)
    names = [
        "neg_expected_calibration_error",
        "neg_hard_sample_calibration_error",
        "neg_soft_log_loss",
        "ranking_calibration_score",
    ]
    search = GridSearchCV(
        classifier.SoftLabelClassifier(
            max_epochs=4, train_split=None, random_state=0, verbose=0
        ),
        {"lr": [0.01, 0.1]},
        scoring={n: get_scorer(n) for n in names},
        refit="neg_soft_log_loss",
        cv=KFold(3, shuffle=True, random_state=0),
        error_score="raise",
    ).fit(X.astype(np.float32), soft)
    _assert_no_nan(search.cv_results_, names)
