"""Tests for sksoft.classifier.SoftLabelClassifier."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.metrics import accuracy_score, log_loss
from skorch.callbacks import Callback
from skorch.dataset import ValidSplit
from torch import nn

from sksoft.batching import IndexedBatch
from sksoft.classifier import GeneratorDropout, SoftLabelClassifier
from sksoft.losses import SoftTargetCrossEntropyLoss
from sksoft.targets import check_soft_targets

FAST = dict(max_epochs=5, lr=0.01, batch_size=32)


@pytest.fixture(autouse=True)
def one_torch_thread():
    # tiny networks: one thread is fastest and immune to a busy machine
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@pytest.fixture
def soft_data(small_X, soft_y):
    return small_X, soft_y


def test_fit_predict_soft_targets(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_features_in_ == 6
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    # score is accuracy against the target argmax
    expected = accuracy_score(y.argmax(1), proba.argmax(1))
    assert clf.score(X, y) == pytest.approx(expected)


def test_string_labels_and_classes_param(small_X):
    y = np.array(["cat", "dog", "owl"])[np.arange(120) % 3]
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(small_X, y)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "owl"])
    assert set(clf.predict(small_X)) <= {"cat", "dog", "owl"}
    # 2-D targets with named classes
    P = check_soft_targets(y)
    clf2 = SoftLabelClassifier(classes=["c", "d", "o"], random_state=0, **FAST)
    clf2.fit(small_X, P)
    np.testing.assert_array_equal(clf2.classes_, ["c", "d", "o"])
    # hard labels and their one-hot rows train the same network
    clf3 = SoftLabelClassifier(random_state=0, **FAST).fit(small_X, P)
    np.testing.assert_allclose(clf3.predict_proba(small_X), clf.predict_proba(small_X))
    np.testing.assert_array_equal(clf3.classes_, [0, 1, 2])


def test_classes_param_adds_unseen_class(small_X):
    y = np.arange(120) % 2
    clf = SoftLabelClassifier(classes=[0, 1, 2], random_state=0, **FAST).fit(small_X, y)
    assert clf.predict_proba(small_X).shape == (120, 3)


def test_counts(small_X, rng):
    counts = rng.integers(0, 5, size=(120, 3))
    counts[:, 0] += 1
    with pytest.raises(ValueError, match="counts=True"):
        SoftLabelClassifier(**FAST).fit(small_X, counts)
    a = SoftLabelClassifier(counts=True, random_state=0, **FAST).fit(small_X, counts)
    P = counts / counts.sum(1, keepdims=True)
    b = SoftLabelClassifier(random_state=0, **FAST).fit(small_X, P)
    np.testing.assert_allclose(a.predict_proba(small_X), b.predict_proba(small_X))


def test_random_state_reproducible_and_global_rng_untouched(soft_data):
    X, y = soft_data
    torch.manual_seed(7)
    before = torch.random.get_rng_state()
    a = SoftLabelClassifier(random_state=3, module__dropout=0.2, **FAST).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), before)
    b = SoftLabelClassifier(random_state=3, module__dropout=0.2, **FAST).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = SoftLabelClassifier(random_state=4, module__dropout=0.2, **FAST).fit(X, y)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X))
    # refitting the same object gives the same result again
    np.testing.assert_array_equal(a.fit(X, y).predict_proba(X), b.predict_proba(X))


def _fit_in_worker(X, y):
    torch.set_num_threads(1)
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(X, y)
    return clf.predict_proba(X)


def test_worker_process_equals_parent(soft_data):
    X, y = soft_data
    n_threads = torch.get_num_threads()
    try:
        parent = _fit_in_worker(X, y)
    finally:
        torch.set_num_threads(n_threads)
    (child,) = Parallel(n_jobs=2, backend="loky")(
        delayed(_fit_in_worker)(X, y) for _ in range(1)
    )
    np.testing.assert_array_equal(parent, child)


def test_training_reduces_soft_loss(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(random_state=0, train_split=None, max_epochs=40, lr=0.01)
    clf.fit(X, y)
    losses = clf.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    # the recorded train loss equals the soft cross-entropy of the data
    clf.set_params(max_epochs=0)
    proba = clf.predict_proba(X)
    ce = -(y * np.log(proba)).sum(1).mean()
    assert ce < losses[0]


def test_no_train_split_records_no_validation(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(train_split=None, random_state=0, **FAST).fit(X, y)
    assert "valid_loss" not in clf.history[-1]
    assert clf.history[-1, "train_batch_count"] == 4


def test_validation_split_stratified_on_argmax(small_X):
    y = np.zeros((120, 3))
    y[:90, 0] = 0.6
    y[:90, 1] = 0.4
    y[90:, 2] = 1.0

    class Spy(Callback):
        def on_train_begin(self, net, X=None, y=None, **kw):
            self.y = y

        def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kw):
            self.valid = np.asarray(dataset_valid.indices)

    spy = Spy()
    clf = SoftLabelClassifier(random_state=0, callbacks=[spy], **FAST).fit(small_X, y)
    # callbacks receive the validated soft rows
    np.testing.assert_allclose(spy.y, y.astype(np.float32))
    assert len(spy.valid) == 24
    assert (spy.valid >= 90).sum() == 6  # 25 % of the validation set, as in y
    acc = clf.history[-1, "valid_acc"]
    expected = accuracy_score(
        y[spy.valid].argmax(1), clf.predict_proba(small_X[spy.valid]).argmax(1)
    )
    assert acc == pytest.approx(expected)
    # valid_loss is the soft cross-entropy of the validation rows
    proba = clf.predict_proba(small_X[spy.valid])
    assert clf.history[-1, "valid_loss"] == pytest.approx(
        log_loss(y[spy.valid].argmax(1), proba, labels=[0, 1, 2])
        if False
        else -(y[spy.valid] * np.log(proba)).sum(1).mean(),
        rel=1e-4,
    )


def test_skorch_validsplit_gets_hard_labels(soft_data):
    X, y = soft_data
    seen = {}

    def split(dataset, y_split, **kwargs):
        seen["y"] = y_split
        return ValidSplit(4, stratified=True)(dataset, y_split, **kwargs)

    clf = SoftLabelClassifier(train_split=split, random_state=0, **FAST)
    clf.fit(X, y)
    np.testing.assert_array_equal(seen["y"], y.argmax(1))
    assert "valid_acc" in clf.history[-1]
    assert clf.history[-1, "valid_batch_count"] == 1


def test_torch_tensor_input_batch_size_all_and_no_callbacks(soft_data):
    X, y = soft_data
    ref = SoftLabelClassifier(random_state=0, **FAST).fit(X, y).predict_proba(X)
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(torch.from_numpy(X), y)
    np.testing.assert_allclose(clf.predict_proba(torch.from_numpy(X)), ref)
    clf = SoftLabelClassifier(
        random_state=0, callbacks="disable", **{**FAST, "batch_size": -1}
    ).fit(X, y)
    assert clf.history[-1, "train_batch_count"] == 1
    assert "train_loss" not in clf.history[-1]  # no scoring callbacks


def test_on_batch_end_gets_indexed_batches(soft_data):
    X, y = soft_data

    class Recorder(Callback):
        def initialize(self):
            self.seen_ = []
            return self

        def on_batch_end(
            self, net, batch=None, training=False, y_pred=None, loss=None, **kw
        ):
            if training:
                assert isinstance(batch, IndexedBatch)
                np.testing.assert_array_equal(
                    batch[0].numpy(), X[batch.indices].astype(np.float32)
                )
                assert y_pred.shape == (len(batch.indices), 3)
                assert loss.ndim == 0
                proba = net._get_predict_nonlinearity()(y_pred.detach())
                np.testing.assert_allclose(proba.sum(1).numpy(), 1.0)
                self.seen_.append(batch.indices)

    rec = Recorder()
    clf = SoftLabelClassifier(random_state=0, callbacks=[rec], **FAST).fit(X, y)
    seen = np.concatenate(rec.seen_)
    # each training row once per epoch; the validation rows never
    counts = np.bincount(seen, minlength=120)
    assert set(counts.tolist()) == {0, FAST["max_epochs"]}
    assert (counts == 0).sum() == 24
    # batch records are written per batch when a callback listens
    assert len(clf.history[-1, "batches"]) == 3 + 1


def test_custom_cnn_on_images(rng):
    X = rng.normal(size=(64, 1, 8, 8)).astype(np.float32)
    y = rng.dirichlet(np.ones(3), size=64)

    class CNN(nn.Module):
        def __init__(self, n_classes=3):
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3)
            self.fc = nn.Linear(4 * 6 * 6, n_classes)

        def forward(self, X):
            return self.fc(torch.relu(self.conv(X)).flatten(1))

    clf = SoftLabelClassifier(CNN, random_state=0, **FAST).fit(X.astype(np.float64), y)
    assert clf.predict_proba(X).shape == (64, 3)
    with pytest.raises(ValueError, match="default MLP needs 2-D X"):
        SoftLabelClassifier(**FAST).fit(X, y)


def test_module_instance_copied_each_fit(soft_data):
    X, y = soft_data
    module = nn.Linear(6, 3)
    w0 = module.weight.detach().clone()
    clf = SoftLabelClassifier(module, random_state=0, **FAST)
    p1 = clf.fit(X, y).predict_proba(X)
    p2 = clf.fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    assert torch.equal(module.weight, w0)  # the parameter is not trained in place


def test_inputs_pandas_float64_sparse(soft_data):
    pd = pytest.importorskip("pandas")
    X, y = soft_data
    X64 = X.astype(np.float64)
    ref = SoftLabelClassifier(random_state=0, **FAST).fit(X, y).predict_proba(X)
    df = pd.DataFrame(X64, columns=[f"f{i}" for i in range(6)])
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(df, pd.DataFrame(y))
    np.testing.assert_allclose(clf.predict_proba(df), ref)
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(sparse.csr_matrix(X64), y)
    np.testing.assert_allclose(clf.predict_proba(sparse.csr_matrix(X)), ref, rtol=1e-6)


def test_label_smoothing_matches_smoothed_targets(soft_data):
    X, y = soft_data
    a = SoftLabelClassifier(label_smoothing=0.3, random_state=0, **FAST).fit(X, y)
    b = SoftLabelClassifier(random_state=0, **FAST).fit(X, 0.7 * y + 0.1)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5)
    with pytest.raises(ValueError, match="label_smoothing"):
        SoftLabelClassifier(criterion=nn.KLDivLoss, label_smoothing=0.1, **FAST).fit(
            X, y
        )


def test_torch_cross_entropy_criterion_equivalent(soft_data):
    X, y = soft_data
    a = SoftLabelClassifier(random_state=0, **FAST).fit(X, y)
    b = SoftLabelClassifier(criterion=nn.CrossEntropyLoss, random_state=0, **FAST).fit(
        X, y
    )
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5)


def test_sample_weight_integer_equals_repetition(soft_data):
    X, y = soft_data
    sw = np.arange(120) % 3
    params = dict(
        train_split=None, batch_size=-1, max_epochs=5, lr=0.05, random_state=0
    )
    a = SoftLabelClassifier(**params).fit(X, y, sample_weight=sw)
    b = SoftLabelClassifier(**params).fit(np.repeat(X, sw, 0), np.repeat(y, sw, 0))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5)
    c = SoftLabelClassifier(**params).fit(X, y)
    assert not np.allclose(a.predict_proba(X), c.predict_proba(X), rtol=1e-5)


@pytest.mark.parametrize(
    "sw, match",
    [
        (np.zeros(120), "zero"),
        (-np.ones(120), "negative"),
        (np.ones(7), "shape"),
        (np.full(120, np.nan), "NaN"),
    ],
)
def test_bad_sample_weight(soft_data, sw, match):
    X, y = soft_data
    with pytest.raises(ValueError, match=match):
        SoftLabelClassifier(**FAST).fit(X, y, sample_weight=sw)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda X, y: (X, np.full_like(y, np.nan)), "NaN"),
        (lambda X, y: (np.where(X > 1, np.inf, X), y), "infinity"),
        (lambda X, y: (X, y[:, :2]), "sum to 1"),
        (lambda X, y: (X, y[:50]), "inconsistent numbers of samples"),
        (lambda X, y: (X[:0], y[:0]), "0 sample"),
        (lambda X, y: (X, y[:, :, None]), "dimensions"),
        (lambda X, y: (X, np.ones(120)), "at least 2 classes"),
        (lambda X, y: (X, np.linspace(0, 1, 120)), "Unknown label type"),
    ],
)
def test_bad_X_y(soft_data, make, match):
    X, y = make(*soft_data)
    with pytest.raises(ValueError, match=match):
        SoftLabelClassifier(**FAST).fit(X, y)


def test_classes_mismatch(soft_data):
    X, y = soft_data
    with pytest.raises(ValueError, match="classes"):
        SoftLabelClassifier(classes=["a", "b"], **FAST).fit(X, y)
    with pytest.raises(ValueError, match="not among"):
        SoftLabelClassifier(classes=[0, 1], **FAST).fit(X, np.arange(120) % 3)


def test_column_vector_y_warns(small_X):
    y = (np.arange(120) % 2)[:, None]
    with pytest.warns(DataConversionWarning, match="column-vector"):
        clf = SoftLabelClassifier(random_state=0, **FAST).fit(small_X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"lr": -1.0}, "lr"),
        ({"max_epochs": -2}, "max_epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"label_smoothing": 2.0}, "label_smoothing"),
        ({"train_split": 1.5}, "train_split"),
        ({"counts": "yes"}, "counts"),
        ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes"),
        ({"random_state": "x"}, "random_state"),
    ],
)
def test_parameter_validation(soft_data, params, match):
    X, y = soft_data
    with pytest.raises(ValueError, match=match):
        SoftLabelClassifier(**params).fit(X, y)


def test_unexpected_kwarg_reported(soft_data):
    X, y = soft_data
    with pytest.raises(ValueError, match="module_dropout"):
        SoftLabelClassifier(module_dropout=0.1, **FAST).fit(X, y)


def test_get_params_clone_and_no_private_leak():
    clf = SoftLabelClassifier(module__dropout=0.1)
    params = clf.get_params(deep=False)
    assert "_params_to_validate" not in params
    assert params["module__dropout"] == 0.1
    assert clone(clf).get_params(deep=False)["module__dropout"] == 0.1
    assert set(vars(SoftLabelClassifier())) == set(
        SoftLabelClassifier._init_param_names()
    )


def test_unfitted_raises(small_X):
    with pytest.raises(NotFittedError):
        SoftLabelClassifier().predict(small_X)


def test_pickle_roundtrip(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(X, y)
    clf2 = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clf.predict_proba(X), clf2.predict_proba(X))


def test_partial_fit_one_epoch_and_classes(small_X):
    y = np.arange(120) % 3
    clf = SoftLabelClassifier(random_state=0, **FAST)
    clf.partial_fit(small_X[:60], y[:60] % 2, classes=[0, 1, 2])
    assert len(clf.history) == 1 and "valid_loss" not in clf.history[-1]
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    clf.partial_fit(small_X[60:], y[60:])
    assert len(clf.history) == 2
    with pytest.raises(ValueError, match="not among"):
        clf.partial_fit(small_X, np.arange(120) % 4)
    with pytest.raises(ValueError, match="differs"):
        clf.partial_fit(small_X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(small_X[:, :3], y)
    # repeated calls keep training the same network
    b = SoftLabelClassifier(random_state=0, **FAST)
    for _ in range(8):
        b.partial_fit(small_X, y)
    losses = b.history[:, "train_loss"]
    assert len(losses) == 8 and losses[-1] < losses[0]


def test_warm_start_continues(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(warm_start=True, random_state=0, **FAST).fit(X, y)
    w = clf.module_.layers[0].weight.detach().clone()
    clf.fit(X, y)
    assert len(clf.history) == 2 * FAST["max_epochs"]
    assert not torch.equal(w, clf.module_.layers[0].weight)


def test_default_criterion_is_soft_ce(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(X, y)
    assert isinstance(clf.criterion_, SoftTargetCrossEntropyLoss)
    assert clf.criterion_.reduction == "none"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict(X)


def test_metadata_routing_pipeline_and_grid_search(soft_data):
    import sklearn
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = soft_data
    sw = np.random.default_rng(1).uniform(0, 2, size=len(X))
    params = dict(random_state=0, train_split=None, **FAST)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = SoftLabelClassifier(**params).set_fit_request(sample_weight=True)
        scaler = StandardScaler().set_fit_request(sample_weight=False)
        pipe = make_pipeline(scaler, clf).fit(X, y, sample_weight=sw)
        # the weights reached the classifier: same net as fitting it directly
        Xs = StandardScaler().fit_transform(X)
        direct = SoftLabelClassifier(**params).fit(Xs, y, sample_weight=sw)
        np.testing.assert_allclose(pipe.predict_proba(X), direct.predict_proba(Xs))
        unweighted = SoftLabelClassifier(**params).fit(Xs, y)
        assert not np.allclose(direct.predict_proba(Xs), unweighted.predict_proba(Xs))

        clf = SoftLabelClassifier(**params).set_fit_request(sample_weight=True)
        clf.set_score_request(sample_weight=True)
        search = GridSearchCV(clf, {"lr": [0.01, 0.05]}, cv=KFold(3))
        search.fit(X, y, sample_weight=sw)
        assert np.isfinite(search.cv_results_["mean_test_score"]).all()
        # the refit best estimator used the weights
        best = SoftLabelClassifier(**{**params, **search.best_params_})
        best.fit(X, y, sample_weight=sw)
        np.testing.assert_allclose(
            search.best_estimator_.predict_proba(X), best.predict_proba(X)
        )
        # without a request, passing weights is an error (sklearn's routing rule)
        with pytest.raises(Exception, match="sample_weight"):
            make_pipeline(SoftLabelClassifier(**params)).fit(X, y, sample_weight=sw)


def test_sample_weight_without_routing_and_score_weights(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(random_state=0, **FAST)
    clf.fit(X, y, sample_weight=np.ones(120))
    w = (np.arange(120) < 60).astype(float)
    pred = clf.predict(X)
    expected = accuracy_score(y.argmax(1), pred, sample_weight=w)
    assert clf.score(X, y, sample_weight=w) == pytest.approx(expected)


def test_float64_dtype(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(dtype="float64", random_state=0, **FAST).fit(X, y)
    assert next(clf.module_.parameters()).dtype == torch.float64
    np.testing.assert_allclose(clf.predict_proba(X).sum(1), 1.0, atol=1e-12)


def test_set_params_before_and_after_fit(soft_data):
    X, y = soft_data
    clf = SoftLabelClassifier(**FAST)
    clf.set_params(callbacks=[], module__dropout=0.3, lr=0.02)
    assert clf.get_params()["module__dropout"] == 0.3
    clf.fit(X, y)
    # the default MLP's dropout draws from the fit's generator
    assert any(
        isinstance(m, GeneratorDropout) and m.p == 0.3 for m in clf.module_.modules()
    )
    clf.set_params(lr=0.5)
    assert clf.optimizer_.param_groups[0]["lr"] == 0.5
    with pytest.raises(ValueError, match="Invalid parameter"):
        SoftLabelClassifier().set_params(not_a_param=1)


def test_verbose_prints_log(soft_data, capsys):
    X, y = soft_data
    SoftLabelClassifier(random_state=0, **FAST).fit(X, y)
    assert capsys.readouterr().out == ""
    SoftLabelClassifier(random_state=0, verbose=1, **FAST).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_acc" in out


def test_lbfgs_closure_and_grad_hooks(soft_data):
    X, y = soft_data

    class GradSpy(Callback):
        def initialize(self):
            self.calls_ = 0
            return self

        def on_grad_computed(self, net, named_parameters, **kwargs):
            grads = [p.grad for _, p in named_parameters]
            assert all(g is not None for g in grads)
            self.calls_ += 1

    spy = GradSpy()
    clf = SoftLabelClassifier(callbacks=[spy], random_state=0, **FAST).fit(X, y)
    assert spy.calls_ == FAST["max_epochs"] * clf.history[-1, "train_batch_count"]
    lbfgs = SoftLabelClassifier(
        optimizer=torch.optim.LBFGS,
        lr=0.5,
        max_epochs=3,
        batch_size=-1,
        train_split=None,
        random_state=0,
    ).fit(X, y)
    losses = lbfgs.history[:, "train_loss"]
    assert losses[-1] < losses[0]


def test_evaluation_step_switches_to_eval_mode(soft_data):
    """Dropout must be off in evaluation_step after a training epoch."""
    X, y = soft_data
    clf = SoftLabelClassifier(
        module__dropout=0.5, max_epochs=1, train_split=None, random_state=0
    ).fit(X, y)
    clf.module_.train()
    Xt = torch.as_tensor(X[:16])
    first = clf.evaluation_step((Xt, None))
    assert not clf.module_.training
    second = clf.evaluation_step((Xt, None))
    torch.testing.assert_close(first, second)  # deterministic: no dropout


def test_predict_log_proba_and_decision_function(soft_data):
    from scipy.special import log_softmax, softmax

    X, y = soft_data
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(X, y)
    logits = clf.module_(torch.as_tensor(X)).detach().double().numpy()
    np.testing.assert_allclose(clf.decision_function(X), logits, atol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(X), log_softmax(logits, 1))
    np.testing.assert_allclose(
        softmax(clf.decision_function(X), 1), clf.predict_proba(X)
    )
    np.testing.assert_array_equal(
        clf.classes_[clf.decision_function(X).argmax(1)], clf.predict(X)
    )
    # far from the data, log_proba stays finite where proba underflows to 0
    far = np.full((1, X.shape[1]), 1e4, np.float32)
    assert np.isfinite(clf.predict_log_proba(far)).all()
    # binary: 1-D log-odds of classes_[1], as sklearn's binary classifiers
    y_bin = np.where(X[:, 0] > 0, "yes", "no")
    binary = SoftLabelClassifier(random_state=0, **FAST).fit(X, y_bin)
    scores = binary.decision_function(X)
    lp = binary.predict_log_proba(X)
    assert scores.shape == (120,)
    np.testing.assert_allclose(scores, lp[:, 1] - lp[:, 0], atol=1e-10)
    np.testing.assert_array_equal(np.where(scores > 0, "yes", "no"), binary.predict(X))
    # another nonlinearity: log of its probabilities
    other = clone(clf).set_params(predict_nonlinearity=lambda z: torch.softmax(z, -1))
    other.fit(X, y)
    np.testing.assert_allclose(
        other.predict_log_proba(X), np.log(other.predict_proba(X)), atol=1e-12
    )


def test_cross_val_predict_log_proba(soft_data):
    from sklearn.model_selection import KFold
    from sklearn.model_selection import cross_val_predict as sk_cross_val_predict

    from sksoft.model_selection import cross_val_predict

    X, y = soft_data
    clf = SoftLabelClassifier(random_state=0, **FAST)
    cv = KFold(3)
    log_p = cross_val_predict(clf, X, y, cv=cv, method="predict_log_proba")
    proba = cross_val_predict(clf, X, y, cv=cv, method="predict_proba")
    assert log_p.shape == (120, 3)
    np.testing.assert_allclose(np.exp(log_p), proba, atol=1e-6)
    y_hard = y.argmax(1)
    sk_log_p = sk_cross_val_predict(clf, X, y_hard, cv=cv, method="predict_log_proba")
    sk_proba = sk_cross_val_predict(clf, X, y_hard, cv=cv, method="predict_proba")
    np.testing.assert_allclose(np.exp(sk_log_p), sk_proba, atol=1e-6)
    sk_dec = sk_cross_val_predict(clf, X, y_hard, cv=cv, method="decision_function")
    assert sk_dec.shape == (120, 3)


def test_dataframe_y_column_names_are_classes(soft_data):
    pd = pytest.importorskip("pandas")
    X, y = soft_data
    frame = pd.DataFrame(y, columns=["cat", "dog", "emu"])
    clf = SoftLabelClassifier(random_state=0, **FAST).fit(X, frame)
    np.testing.assert_array_equal(clf.classes_, ["cat", "dog", "emu"])
    ref = SoftLabelClassifier(random_state=0, **FAST).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), ref.predict_proba(X))
    assert clf.score(X, frame) == ref.score(X, y)
    # the classes parameter wins; columns are read by position
    named = SoftLabelClassifier(classes=["a", "b", "c"], random_state=0, **FAST)
    np.testing.assert_array_equal(named.fit(X, frame).classes_, ["a", "b", "c"])
    # the same classes in another column order is refused, never misread
    shuffled = frame[["dog", "cat", "emu"]]
    with pytest.raises(ValueError, match="another order"):
        clf.score(X, shuffled)
    with pytest.raises(ValueError, match="another order"):
        clf.partial_fit(X, shuffled)
    with pytest.raises(ValueError, match="another order"):
        SoftLabelClassifier(classes=["cat", "dog", "emu"], **FAST).fit(X, shuffled)


def test_1d_probabilities_say_how_to_pass_binary_soft_labels(small_X):
    p = np.linspace(0.05, 0.95, 120)
    with pytest.raises(ValueError, match=r"\(n_samples, 2\).*column_stack"):
        SoftLabelClassifier(**FAST).fit(small_X, p)
    # the suggested form works
    clf = SoftLabelClassifier(random_state=0, **FAST)
    clf.fit(small_X, np.column_stack([1 - p, p]))
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    # 1-D float labels that are whole numbers stay labels
    clf.fit(small_X, (p > 0.5).astype(float))
    np.testing.assert_array_equal(clf.classes_, [0.0, 1.0])


class _FixedInputNet(nn.Module):
    def __init__(self, n_in=4, n_classes=3):
        super().__init__()
        self.fc = nn.Linear(n_in, n_classes)

    def forward(self, X):
        return self.fc(X)


def test_module_input_shape_error_names_shapes_and_parameter(soft_data):
    X, y = soft_data  # 6 features; the module expects 4
    clf = SoftLabelClassifier(_FixedInputNet, **FAST)
    with pytest.raises(ValueError, match=r"batch of shape \(32, 6\).*module__") as info:
        clf.fit(X, y)
    assert "shapes cannot be multiplied" in str(info.value)
    # the right input size trains
    SoftLabelClassifier(_FixedInputNet, module__n_in=6, **FAST).fit(X, y)


def test_module_output_shape_error_names_classes(soft_data):
    X, y = soft_data  # 3 classes; the module returns 5 outputs
    clf = SoftLabelClassifier(_FixedInputNet, module__n_in=6, module__n_classes=5)
    with pytest.raises(ValueError, match=r"shape \(32, 5\).*\(32, 3\).*n_classes=3"):
        clf.set_params(**FAST).fit(X, y)


def test_image_classifier_refuses_flattened_input(rng):
    X = rng.normal(size=(40, 1, 4, 4)).astype(np.float32)
    y = rng.dirichlet(np.ones(2), size=40)

    class Flat(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(16, 2)

        def forward(self, X):
            return self.fc(X.flatten(1))

    clf = SoftLabelClassifier(Flat, random_state=0, **FAST).fit(X, y)
    assert clf.n_features_in_ == 1  # the channels (axis 1)
    with pytest.raises(ValueError, match=r"samples of shape \(16,\).*\(1, 4, 4\)"):
        clf.predict_proba(X.reshape(40, 16))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1, 4, 4\)"):
        clf.predict(X.reshape(40, 16))
    assert clf.predict_proba(X).shape == (40, 2)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_device_without_cuda_is_a_clear_error(soft_data):
    X, y = soft_data
    with pytest.raises(ValueError, match=r"device='cuda'.*CUDA is not available"):
        SoftLabelClassifier(device="cuda", **FAST).fit(X, y)
