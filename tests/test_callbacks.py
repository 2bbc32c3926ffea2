"""Tests of sksoft.callbacks.TrainingDynamics."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback
from skorch.dataset import Dataset as SkorchDataset

from sksoft.batching import IndexedBatch, SliceBatchIterator
from sksoft.callbacks import TrainingDynamics, attach_training_dynamics
from sksoft.cartography import training_dynamics_statistics
from sksoft.utils._sklearn_compat import InvalidParameterError


class _MLP(torch.nn.Module):
    def __init__(self, n_in=5, n_out=3, hidden=16, dropout=0.0, softmax=True):
        super().__init__()
        self.seq = torch.nn.Sequential(
            torch.nn.Linear(n_in, hidden),
            torch.nn.ReLU(),
            torch.nn.Dropout(dropout),
            torch.nn.Linear(hidden, n_out),
        )
        self.softmax = softmax

    def forward(self, X):
        out = self.seq(X)
        return torch.softmax(out, dim=-1) if self.softmax else out


class _ProbaPerEpoch(Callback):
    """Independent recorder: predict_proba on all of X after every epoch."""

    def __init__(self, X):
        self.X = X

    def initialize(self):
        self.probas_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.probas_.append(net.predict_proba(self.X))


class _BatchPredictions(Callback):
    """Independent recorder of the training pass: indices, y_pred, pre-step p."""

    def initialize(self):
        self.rows_ = []
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training:
            with torch.no_grad():
                net.module_.eval()
                self._before = net.module_(batch[0]).numpy()

    def on_batch_end(self, net, batch=None, training=None, y_pred=None, **kwargs):
        if training:
            self.rows_.append(
                (np.asarray(batch.indices), y_pred.detach().numpy(), self._before)
            )


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(103, 5)).astype(np.float32)
    y = np.argmax(X[:, :3] + 0.7 * rng.normal(size=(103, 3)), axis=1).astype(np.int64)
    return X, y


def _net(callbacks, **kw):
    params = dict(
        module=_MLP,
        max_epochs=5,
        lr=0.2,
        batch_size=10,
        train_split=None,
        verbose=0,
        callbacks=callbacks,
    )
    params.update(kw)
    return NeuralNetClassifier(**params)


def test_eval_mode_equals_predict_proba_history(data):
    X, y = data
    torch.manual_seed(0)
    dyn = TrainingDynamics(mode="eval", storage="full")
    ref = _ProbaPerEpoch(X)
    net = _net([("dyn", dyn), ("ref", ref)], iterator_train__shuffle=True).fit(X, y)
    assert dyn.n_epochs_ == 5 and dyn.n_samples_ == 103
    proba = np.stack(ref.probas_)
    expected = training_dynamics_statistics(proba, y)
    got = dyn.get_statistics()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], atol=1e-6, err_msg=key)
    gold_p = proba[:, np.arange(103), y]
    np.testing.assert_allclose(dyn.history_["gold_proba"], gold_p, atol=1e-6)
    np.testing.assert_allclose(got["variability"], gold_p.std(0), atol=1e-6)
    assert net.history[-1, "epoch"] == 5


class _ShiftedDataset(SkorchDataset):
    """A dataset whose rows are not the array's rows: the loader must fetch them."""

    def __getitem__(self, i):
        Xi, yi = super().__getitem__(i)
        return Xi + 1.0, yi


def _params(net):
    return [p.detach().clone() for p in net.module_.parameters()]


@pytest.mark.parametrize("dataset", [SkorchDataset, _ShiftedDataset])
def test_eval_mode_leaves_torch_global_rng_alone(data, dataset):
    # a shuffled plain skorch net draws its batch order from torch's global
    # generator; the recorder's extra pass must not move it
    X, y = data
    kw = dict(iterator_train__shuffle=True, dataset=dataset)
    torch.manual_seed(3)
    plain = _net(None, **kw).fit(X, y)
    torch.manual_seed(3)
    dyn = TrainingDynamics(mode="eval")
    recorded = _net([("dyn", dyn)], **kw).fit(X, y)
    assert dyn.n_epochs_ == 5
    for a, b in zip(_params(plain), _params(recorded)):
        assert torch.equal(a, b)


def test_eval_pass_slices_array_datasets(data, monkeypatch):
    # a skorch Dataset of arrays: the pass slices batches (no row fetches) and
    # records what predict_proba gives; with train_split=None and a split
    X, y = data
    fetched = []
    getitem = SkorchDataset.__getitem__

    def counting(self, i):
        fetched.append(i)
        return getitem(self, i)

    monkeypatch.setattr(SkorchDataset, "__getitem__", counting)
    for split in (None, lambda ds, y=None: _split(ds)):
        fetched.clear()
        torch.manual_seed(0)
        plain = _net(None, train_split=split).fit(X, y)
        n_plain = len(fetched)
        fetched.clear()
        torch.manual_seed(0)
        dyn = TrainingDynamics(mode="eval", storage="full")
        _net([("dyn", dyn)], train_split=split).fit(X, y)
        assert n_plain > 0 and len(fetched) == n_plain
        rows = np.arange(103) if split is None else np.arange(80)
        proba = plain.predict_proba(X)
        np.testing.assert_allclose(
            dyn.history_["gold_proba"][-1, rows], proba[rows, y[rows]], atol=1e-6
        )


def test_eval_pass_fetches_rows_of_custom_datasets(data):
    # a dataset that changes its rows goes through the loader, so the recorded
    # probabilities are those of the rows the net trains on
    X, y = data
    torch.manual_seed(0)
    dyn = TrainingDynamics(mode="eval", storage="full")
    ref = _ProbaPerEpoch(X)  # predict_proba goes through the dataset too
    net = _net([("dyn", dyn), ("ref", ref)], dataset=_ShiftedDataset).fit(X, y)
    gold_p = np.stack(ref.probas_)[:, np.arange(103), y]
    np.testing.assert_allclose(dyn.history_["gold_proba"], gold_p, atol=1e-6)
    with torch.no_grad():
        unshifted = net.module_(torch.from_numpy(X)).numpy()
    assert np.abs(unshifted[np.arange(103), y] - gold_p[-1]).max() > 1e-3


class _SizeSpy(torch.utils.data.DataLoader):
    """The net's prediction iterator, noting the batch size of every instance."""

    sizes = []

    def __init__(self, dataset, batch_size=1, **kwargs):
        type(self).sizes.append(batch_size)
        super().__init__(dataset, batch_size=batch_size, **kwargs)


@pytest.mark.parametrize(
    "size, valid_size, expected, predict_size",
    [
        # rows of 20 bytes: 32 prediction batches, at most all 103 rows
        ("auto", None, 103, 10),
        ("auto", 2, 64, 2),
        ("auto", -1, 103, 103),
        (7, None, 7, 10),
        (1000, None, 103, 10),
    ],
)
def test_eval_batch_size(data, size, valid_size, expected, predict_size):
    X, y = data
    torch.manual_seed(0)
    dyn = TrainingDynamics(mode="eval", storage="full", eval_batch_size=size)
    ref = _ProbaPerEpoch(X)
    kw = {} if valid_size is None else {"iterator_valid__batch_size": valid_size}
    _SizeSpy.sizes = []
    net = _net(
        [("dyn", dyn), ("ref", ref)],
        iterator_valid=_SizeSpy,
        iterator_train__shuffle=True,
        **kw,
    ).fit(X, y)
    # one eval pass per epoch with its own size; predict_proba keeps the net's
    assert _SizeSpy.sizes == [expected, predict_size] * 5
    assert vars(net).get("iterator_valid__batch_size") == valid_size
    # the batch size changes float rounding only
    gold_p = np.stack(ref.probas_)[:, np.arange(103), y]
    np.testing.assert_allclose(dyn.history_["gold_proba"], gold_p, atol=1e-6)


@pytest.mark.parametrize(
    "row_bytes, expected",
    [
        (20, 32 * 128),  # small rows: 32 prediction batches
        (16 * 2**20 // (10 * 128), 10 * 128),  # 16 MiB hold 10 batches
        (2**20, 8 * 128),  # large rows: never below 8 batches
    ],
)
def test_auto_eval_batch_size_grows_with_small_rows(row_bytes, expected):
    from sksoft.callbacks import _auto_eval_size

    X = np.zeros((5000, row_bytes // 4), dtype=np.float32)
    ds = SkorchDataset(X, np.zeros(5000, dtype=np.int64))
    sub = torch.utils.data.Subset(ds, np.arange(0, 5000, 2))
    assert _auto_eval_size(128, ds) == expected
    assert _auto_eval_size(128, sub) == expected  # the base array's rows
    assert _auto_eval_size(128, torch.utils.data.TensorDataset(torch.zeros(9))) == (
        8 * 128  # no array X to measure
    )


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "big"])
def test_eval_batch_size_invalid(data, size):
    X, y = data
    with pytest.raises(ValueError, match="eval_batch_size must be 'auto'"):
        _net([("dyn", TrainingDynamics(mode="eval", eval_batch_size=size))]).fit(X, y)


def test_eval_mode_soft_label_classifier_large_batches(data):
    # the package's iterator: batches of 8 x 10 rows give predict_proba's values
    X, y = data
    dyn = TrainingDynamics(mode="eval", storage="full")
    ref = _ProbaPerEpoch(X)
    clf = _soft_clf([("dyn", dyn), ("ref", ref)], max_epochs=3).fit(X, y)
    gold_p = np.stack(ref.probas_)[:, np.arange(103), clf.classes_.searchsorted(y)]
    np.testing.assert_allclose(dyn.history_["gold_proba"], gold_p, atol=1e-6)
    stats = training_dynamics_statistics(np.stack(ref.probas_), y)
    got = dyn.get_statistics()
    for key in stats:
        np.testing.assert_allclose(got[key], stats[key], atol=1e-6, err_msg=key)


def test_eval_mode_with_internal_validation_split(data):
    X, y = data
    torch.manual_seed(0)
    dyn = TrainingDynamics(mode="eval")
    net = _net([("dyn", dyn)], train_split=lambda ds, y=None: _split(ds))
    net.fit(X, y)
    stats = dyn.get_statistics()
    valid = np.arange(80, 103)
    assert np.all(np.isnan(stats["confidence"][valid]))
    assert np.all(stats["n_epochs"][valid] == 0)
    assert np.all(stats["n_epochs"][:80] == 5)
    assert np.isnan(dyn.history_["gold_proba"][:, valid]).all()


def _split(ds):
    from torch.utils.data import Subset

    return Subset(ds, np.arange(80)), Subset(ds, np.arange(80, 103))


def test_train_mode_with_plain_net_raises_clear_error(data):
    X, y = data
    net = _net([("dyn", TrainingDynamics(mode="train"))])
    with pytest.raises(TypeError, match=r"\.indices.*mode='eval'"):
        net.fit(X, y)


@pytest.mark.parametrize("storage", ["full", "streaming"])
def test_train_mode_one_value_per_sample_per_epoch(data, storage):
    # 103 rows, batch 10, shuffled: 10 full batches + a last partial one of 3
    X, y = data
    torch.manual_seed(0)
    dyn = TrainingDynamics(mode="train", storage=storage)
    ref = _BatchPredictions()
    _net(
        [("ref", ref), ("dyn", dyn)],
        iterator_train=SliceBatchIterator,
        iterator_train__shuffle=True,
        max_epochs=4,
    ).fit(X, y)
    stats = dyn.get_statistics()
    np.testing.assert_array_equal(stats["n_epochs"], 4)
    assert dyn.n_epochs_ == 4
    assert len(ref.rows_) == 4 * 11
    assert sorted(len(r[0]) for r in ref.rows_[:11])[0] == 3
    # the recorded values are the training pass's own predictions, made with
    # the parameters before that batch's update (no dropout in this module)
    hist = np.full((4, 103), np.nan)
    for b, (idx, y_pred, before) in enumerate(ref.rows_):
        np.testing.assert_allclose(y_pred, before, atol=1e-6)
        assert np.all(np.isnan(hist[b // 11, idx]))
        hist[b // 11, idx] = y_pred[np.arange(len(idx)), y[idx]]
    assert not np.isnan(hist).any()
    # order of batches differs between epochs (shuffling happened)
    assert not np.array_equal(ref.rows_[0][0], ref.rows_[11][0])
    np.testing.assert_allclose(stats["confidence"], hist.mean(0), atol=1e-6)
    np.testing.assert_allclose(stats["variability"], hist.std(0), atol=1e-6)
    if storage == "full":
        np.testing.assert_allclose(dyn.history_["gold_proba"], hist, atol=1e-6)


def test_train_mode_records_with_dropout_on(data):
    X, y = data
    torch.manual_seed(0)
    dyn = TrainingDynamics(mode="train", storage="full")
    ref = _BatchPredictions()
    _net(
        [("ref", ref), ("dyn", dyn)],
        module__dropout=0.5,
        iterator_train=SliceBatchIterator,
        max_epochs=1,
        lr=0.0,
    ).fit(X, y)
    idx, y_pred, before = ref.rows_[0]
    # eval-mode prediction differs from the recorded (dropout) one
    assert not np.allclose(y_pred, before)
    np.testing.assert_allclose(
        dyn.history_["gold_proba"][0, idx], y_pred[np.arange(len(idx)), y[idx]]
    )


def test_streaming_equals_full(data):
    X, y = data
    rng = np.random.default_rng(1)
    soft = rng.dirichlet(np.ones(3), size=103)

    class _SoftNet(NeuralNetClassifier):
        def get_loss(self, y_pred, y_true, *args, **kwargs):
            return -(y_true * torch.log(y_pred + 1e-12)).sum(1).mean()

    torch.manual_seed(0)
    full = TrainingDynamics(mode="train", storage="full")
    stream = TrainingDynamics(mode="train", storage="streaming")
    evf = TrainingDynamics(mode="eval", storage="full")
    evs = TrainingDynamics(mode="eval", storage="streaming")
    net = _SoftNet(
        module=_MLP,
        module__dropout=0.2,
        max_epochs=7,
        lr=0.3,
        batch_size=16,
        train_split=None,
        verbose=0,
        iterator_train=SliceBatchIterator,
        iterator_train__shuffle=True,
        callbacks=[("f", full), ("s", stream), ("ef", evf), ("es", evs)],
        classes=[0, 1, 2],
    )
    net.fit(X, soft.astype(np.float32))
    for a, b in ((full, stream), (evf, evs)):
        sa, sb = a.get_statistics(), b.get_statistics()
        for key in sa:
            np.testing.assert_allclose(sa[key], sb[key], atol=1e-12, rtol=0)
    # every statistic equals a direct numpy computation from the full history
    st = full.get_statistics()
    h = full.history_
    np.testing.assert_allclose(st["confidence"], h["gold_proba"].mean(0), rtol=1e-12)
    np.testing.assert_allclose(st["variability"], h["gold_proba"].std(0), atol=1e-12)
    np.testing.assert_allclose(st["correctness"], h["correct"].mean(0), rtol=1e-12)
    np.testing.assert_allclose(st["target_confidence"], h["target_proba"].mean(0))
    np.testing.assert_allclose(
        st["target_variability"], h["target_proba"].std(0), atol=1e-12
    )
    np.testing.assert_allclose(st["js_divergence"], h["js_divergence"].mean(0))
    c = h["correct"].astype(bool)
    forgotten = (c[:-1] & ~c[1:]).sum(0).astype(float)
    forgotten[~c.any(0)] = np.inf
    np.testing.assert_array_equal(st["forgetfulness"], forgotten)
    # soft targets: expected target probability and JS differ from gold stats
    assert not np.allclose(st["target_confidence"], st["confidence"])
    assert np.all((st["js_divergence"] >= 0) & (st["js_divergence"] <= np.log(2)))
    np.testing.assert_allclose(full.targets_, soft.astype(np.float32), atol=1e-6)
    assert stream._state_nbytes() < full._state_nbytes()


def test_gold_labels_and_errors(data):
    X, y = data
    gold = (y + 1) % 3
    torch.manual_seed(0)
    dyn = TrainingDynamics(mode="eval", gold_labels=gold)
    ref = _ProbaPerEpoch(X)
    _net([("dyn", dyn), ("ref", ref)], max_epochs=2).fit(X, y)
    proba = np.stack(ref.probas_)
    np.testing.assert_allclose(
        dyn.get_statistics()["confidence"],
        proba[:, np.arange(103), gold].mean(0),
        atol=1e-6,
    )
    bad = gold.copy()
    bad[5] = 7
    with pytest.raises(
        ValueError, match=r"gold label 7 \(row 5\) is not among the classes"
    ):
        _net([("dyn", TrainingDynamics(mode="eval", gold_labels=bad))]).fit(X, y)
    with pytest.raises(ValueError, match="shape"):
        _net([("dyn", TrainingDynamics(mode="eval", gold_labels=gold[:5]))]).fit(X, y)
    with pytest.raises(ValueError, match="mode must be"):
        _net([("dyn", TrainingDynamics(mode="bogus"))]).fit(X, y)
    with pytest.raises(ValueError, match="storage must be"):
        _net([("dyn", TrainingDynamics(storage="disk"))]).fit(X, y)
    with pytest.raises(RuntimeError, match="no epoch"):
        TrainingDynamics().initialize().get_statistics()


def test_log_probabilities_are_rejected(data):
    # NLLLoss on a log-softmax module: skorch's predict nonlinearity is the
    # identity, so the recorded values would not be probabilities
    X, y = data

    class _LogMLP(_MLP):
        def forward(self, X):
            return torch.log_softmax(self.seq(X), dim=-1)

    net = _net([("dyn", TrainingDynamics(mode="eval"))], module=_LogMLP)
    with pytest.raises(ValueError, match="predicted probabilities"):
        net.fit(X, y)


@pytest.mark.parametrize(
    "batches", [[[0, 1, 2], [0, 3]], [[4, 4, 5]]], ids=["across", "within"]
)
def test_duplicate_sample_in_epoch_raises(data, batches):
    X, y = data

    class _WithReplacement:
        """Bootstrap-like batches: a row drawn twice in one epoch."""

        def __init__(self, dataset, batch_size=10):
            self.dataset = dataset

        def __iter__(self):
            for idx in map(np.array, batches):
                Xi = torch.as_tensor(self.dataset.X[idx])
                yi = torch.as_tensor(self.dataset.y[idx])
                yield IndexedBatch(Xi, yi, idx)

    net = _net(
        [("dyn", TrainingDynamics(mode="train"))], iterator_train=_WithReplacement
    )
    with pytest.raises(ValueError, match="seen twice"):
        net.fit(X, y)


def test_partial_fit_continues_and_fit_restarts(data):
    X, y = data
    torch.manual_seed(0)
    dyn = TrainingDynamics(mode="eval", storage="streaming")
    net = _net([("dyn", dyn)], max_epochs=2).fit(X, y)
    net.partial_fit(X, y)
    assert dyn.n_epochs_ == 4
    np.testing.assert_array_equal(dyn.get_statistics()["n_epochs"], 4)
    net.fit(X, y)
    assert dyn.n_epochs_ == 2
    with pytest.raises(AttributeError, match="storage='full'"):
        dyn.history_


# ---------------------------------------------------------------------------
# with the package's classifier (indexed batches)
# ---------------------------------------------------------------------------
def _soft_clf(callbacks, **kw):
    from sksoft.classifier import SoftLabelClassifier

    params = dict(
        max_epochs=4,
        lr=0.05,
        batch_size=10,
        train_split=None,
        random_state=0,
        callbacks=callbacks,
        hidden_layer_sizes=(16,),
    )
    params.update(kw)
    return SoftLabelClassifier(**params)


def test_soft_label_classifier_train_mode_one_value_per_epoch(data):
    X, _ = data
    rng = np.random.default_rng(2)
    soft = rng.dirichlet(np.ones(3), size=103)
    dyn = TrainingDynamics(mode="train", storage="full")
    ref = _BatchPredictions()
    clf = _soft_clf([("ref", ref), ("dyn", dyn)], module__dropout=0.3).fit(X, soft)
    assert len(ref.rows_) == 4 * 11  # 10 batches of 10, one of 3, per epoch
    hist = dyn.history_["target_proba"]
    assert hist.shape == (4, 103) and not np.isnan(hist).any()
    np.testing.assert_array_equal(dyn.get_statistics()["n_epochs"], 4)
    expected = np.full((4, 103), np.nan)
    for b, (idx, logits, _) in enumerate(ref.rows_):
        p = torch.softmax(torch.as_tensor(logits, dtype=torch.float64), -1).numpy()
        expected[b // 11, idx] = (soft[idx] * p).sum(1)
    np.testing.assert_allclose(hist, expected, atol=1e-6)
    np.testing.assert_allclose(dyn.targets_, soft, atol=1e-6)
    assert clf.classes_.tolist() == [0, 1, 2]


def test_soft_label_classifier_eval_mode_has_dropout_off(data):
    X, y = data
    dyn = TrainingDynamics(mode="eval", storage="full")
    clf = _soft_clf([("dyn", dyn)], module__dropout=0.5, max_epochs=2).fit(X, y)
    last = dyn.history_["gold_proba"][-1]
    np.testing.assert_allclose(last, clf.predict_proba(X)[np.arange(103), y], atol=1e-6)


def test_soft_label_classifier_validation_rows_unrecorded_string_gold(data):
    X, y = data
    names = np.array(["cat", "dog", "emu"])
    gold = names[(y + 1) % 3]
    dyn = TrainingDynamics(mode="train", storage="full", gold_labels=gold)
    ref = _BatchPredictions()
    clf = _soft_clf([("ref", ref), ("dyn", dyn)], train_split=0.2, max_epochs=3)
    clf.fit(X, names[y])
    stats = dyn.get_statistics()
    seen = np.unique(np.concatenate([r[0] for r in ref.rows_]))
    assert 0 < seen.size < 103  # a validation split was held out
    np.testing.assert_array_equal(stats["n_epochs"][seen], 3)
    unseen = np.setdiff1d(np.arange(103), seen)
    assert np.isnan(stats["confidence"][unseen]).all()
    assert np.isnan(stats["forgetfulness"][unseen]).all()
    # gold labels given as class names map to the columns of classes_
    np.testing.assert_array_equal(clf.classes_[dyn.gold_], gold)
    # the last epoch's record is the training pass's gold-label probability
    n_batches = len(ref.rows_) // 3
    last = np.full(103, np.nan)
    for idx, logits, _ in ref.rows_[-n_batches:]:
        p = torch.softmax(torch.as_tensor(logits, dtype=torch.float64), -1).numpy()
        last[idx] = p[np.arange(len(idx)), dyn.gold_[idx]]
    np.testing.assert_allclose(dyn.history_["gold_proba"][-1], last, atol=1e-6)


def test_attach_training_dynamics(data):
    from sksoft.classifier import SoftLabelClassifier

    X, y = data
    # default recorder: training-pass mode for SoftLabelClassifier, eval else
    soft = attach_training_dynamics(SoftLabelClassifier(max_epochs=2, verbose=0))
    assert soft.callbacks[-1][1].mode == "train"
    assert soft.callbacks[-1][1].storage == "streaming"
    plain = attach_training_dynamics(_net(None, max_epochs=3), name="dyn")
    assert [n for n, _ in plain.callbacks] == ["dyn"]
    assert plain.callbacks[0][1].mode == "eval"
    plain.fit(X, y)
    names = [n for n, _ in plain.callbacks_]
    assert "dyn" in names and "train_loss" in names  # appended to the defaults
    assert dict(plain.callbacks_)["dyn"].n_epochs_ == 3
    # existing callbacks are kept, the recorder goes first (before a user
    # EarlyStopping, which ends training by raising in its on_epoch_end)
    ref = TrainingDynamics(mode="eval", storage="full")
    net = attach_training_dynamics(_net([("ref", ref)]), TrainingDynamics("eval"))
    assert [n for n, _ in net.callbacks] == ["training_dynamics", "ref"]
    # "disable": the recorder is the only callback, the records are the same
    torch.manual_seed(0)
    on = attach_training_dynamics(_net(None), TrainingDynamics("eval")).fit(X, y)
    torch.manual_seed(0)
    off = attach_training_dynamics(_net("disable"), TrainingDynamics("eval"))
    off.fit(X, y)
    assert [n for n, _ in off.callbacks_] == ["training_dynamics"]
    a = dict(on.callbacks_)["training_dynamics"].get_statistics()
    b = dict(off.callbacks_)["training_dynamics"].get_statistics()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    with pytest.raises(ValueError, match="already has a callback named 'ref'"):
        attach_training_dynamics(_net([("ref", ref)]), name="ref")
    with pytest.raises(ValueError, match="already has a callback named 'print_log'"):
        attach_training_dynamics(_net(None), name="print_log")
    with pytest.raises(TypeError, match="skorch NeuralNet"):
        from sklearn.linear_model import LogisticRegression

        attach_training_dynamics(LogisticRegression())
    with pytest.raises(InvalidParameterError, match="'recorder' parameter"):
        attach_training_dynamics(_net(None), recorder=Callback())


def _stopper():
    """Stops after 3 epochs: no epoch improves train_loss tenfold."""
    from skorch.callbacks import EarlyStopping

    return EarlyStopping(monitor="train_loss", patience=2, threshold=10)


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("stopper_first", [True, False])
def test_early_stopping_last_epoch_recorded_in_any_order(data, mode, stopper_first):
    X, y = data
    dyn = TrainingDynamics(mode=mode, storage="full")
    ref = _ProbaPerEpoch(X)
    callbacks = [("ref", ref), ("dyn", dyn)]
    if stopper_first:
        callbacks.insert(0, ("stop", _stopper()))
    else:
        callbacks.append(("stop", _stopper()))
    clf = _soft_clf(callbacks, max_epochs=20, module__dropout=0.0).fit(X, y)
    assert len(clf.history) == 3  # stopped early
    assert dyn.n_epochs_ == 3
    hist = dyn.history_["gold_proba"]
    assert hist.shape == (3, 103) and not np.isnan(hist).any()
    np.testing.assert_array_equal(dyn.get_statistics()["n_epochs"], 3)
    if mode == "eval":
        # the last record predicts with the final weights
        final = clf.predict_proba(X)[np.arange(103), y]
        np.testing.assert_allclose(hist[-1], final, atol=1e-6)
        if not stopper_first:  # ref saw every epoch too
            ref_p = np.stack(ref.probas_)[:, np.arange(103), y]
            np.testing.assert_allclose(hist, ref_p, atol=1e-6)


def test_early_stopping_orders_record_the_same_dynamics(data):
    X, y = data
    stats = []
    for first in (True, False):
        dyn = TrainingDynamics(mode="train", storage="full")
        callbacks = [("dyn", dyn), ("stop", _stopper())]
        _soft_clf(callbacks[::-1] if first else callbacks, max_epochs=20).fit(X, y)
        stats.append(dyn.history_["gold_proba"])
    np.testing.assert_array_equal(stats[0], stats[1])


def test_interrupted_training_pass_is_not_recorded(data):
    X, y = data

    class _Interrupt(Callback):
        def on_batch_end(self, net, training=None, **kwargs):
            if (
                training
                and len(net.history) == 2
                and len(net.history[-1, "batches"]) == 3
            ):
                raise KeyboardInterrupt

    dyn = TrainingDynamics(mode="train", storage="full")
    clf = _soft_clf([("dyn", dyn), ("cut", _Interrupt())], max_epochs=5).fit(X, y)
    assert len(clf.history) == 2 and dyn.n_epochs_ == 1


class _EveryBatchDynamics(TrainingDynamics):
    """TrainingDynamics without ``_batch_hook_wanted``: called on every batch.

    The round-2 path (issue 28): the loop cannot tell that the recorder needs
    no batch hook, so it calls ``on_batch_end`` on every batch and writes the
    per-batch history records eagerly.
    """

    _batch_hook_wanted = None


class _CountRecordBatch:
    """Counts the per-batch history records written eagerly, per key."""

    def __init__(self, monkeypatch):
        from skorch.history import History

        self.keys = []
        original = History.record_batch

        def record_batch(history, attr, value):
            self.keys.append(attr)
            return original(history, attr, value)

        monkeypatch.setattr(History, "record_batch", record_batch)


def test_batch_hook_wanted():
    train, ev = TrainingDynamics(mode="train"), TrainingDynamics(mode="eval")
    assert train._batch_hook_wanted("on_batch_end", True)
    assert not train._batch_hook_wanted("on_batch_end", False)  # validation
    assert not ev._batch_hook_wanted("on_batch_end", True)
    assert not ev._batch_hook_wanted("on_batch_end", False)
    # unknown phase: call it (the hook decides)
    assert train._batch_hook_wanted("on_batch_end", None)
    assert ev._batch_hook_wanted("on_batch_end", None)
    assert ev._batch_hook_wanted("on_batch_begin", True)


def _recorded(dyn):
    out = dict(dyn.get_statistics())
    if dyn.storage == "full":
        out.update({"history_" + k: v for k, v in dyn.history_.items()})
    return out


@pytest.mark.parametrize("storage", ["full", "streaming"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_issue28_paths_record_identical_values(data, mode, storage):
    # round 2: eval batches of 8 prediction batches (80 rows), every callback
    # called on every batch; now: 'auto' batches (all 103 rows here) and a
    # loop that skips the eval recorder's batch hook. The hook changes no bit
    # (nor the training: same losses); the batch size changes the float32
    # logits of a few rows in their last bits (MKL's kernels for the tail rows
    # of a batch), exactly as the round-2 path's own eval_batch_size does.
    X, y = data
    rng = np.random.default_rng(3)
    soft = rng.dirichlet(np.ones(3), size=103)
    kw = dict(max_epochs=4, module__dropout=0.3, train_split=0.2)
    runs = {}
    for name, size, build in [
        ("old", 80, _EveryBatchDynamics),
        ("hooked", 80, TrainingDynamics),
        ("new", "auto", TrainingDynamics),
        ("old_size_7", 7, _EveryBatchDynamics),
    ]:
        dyn = build(mode=mode, storage=storage, eval_batch_size=size)
        clf = _soft_clf([("dyn", dyn)], **kw).fit(X, soft)
        runs[name] = (_recorded(dyn), clf.history[:, "train_loss"])
    old, losses = runs["old"]
    seen = ~np.isnan(old["confidence"])
    assert 0 < seen.sum() < 103  # validation rows unrecorded
    for name, (got, got_losses) in runs.items():
        assert got_losses == losses, name
        assert set(got) == set(old)
        for key in old:
            if name == "hooked" or mode == "train" or "correct" in key:
                np.testing.assert_array_equal(got[key], old[key], err_msg=key)
            else:  # the float32 rounding of the logits, at most
                np.testing.assert_allclose(
                    got[key], old[key], rtol=1e-6, atol=1e-7, err_msg=key
                )
    if mode == "eval":
        # the round-2 path across its own batch sizes: the same tolerance
        diff = np.nanmax(
            np.abs(runs["old_size_7"][0]["confidence"] - old["confidence"])
        )
        assert diff < 1e-7


def test_hooked_loop_skips_only_the_eval_recorder(data):
    X, y = data
    calls = []

    class _Spy(TrainingDynamics):
        def on_batch_end(self, net, **kwargs):
            calls.append((self.mode, kwargs.get("training")))
            super().on_batch_end(net, **kwargs)

    clf = _soft_clf(
        [("t", _Spy(mode="train")), ("e", _Spy(mode="eval"))],
        max_epochs=2,
        train_split=0.2,
    ).fit(X, y)
    n_train = sum(clf.history[:, "train_batch_count"])
    assert calls == [("train", True)] * n_train


@pytest.mark.parametrize(
    "recorder, eager",
    [
        (lambda: TrainingDynamics(mode="eval"), False),
        (lambda: TrainingDynamics(mode="train"), True),
        (lambda: _EveryBatchDynamics(mode="eval"), True),
    ],
)
def test_eval_recorder_alone_keeps_the_fast_batch_path(
    data, monkeypatch, recorder, eager
):
    # issue 28.2: the loop asks _batch_hook_wanted before calling a batch hook;
    # with no hook wanted it writes the training batch records once an epoch
    # (no History.record_batch per batch) instead of per batch
    X, y = data
    counter = _CountRecordBatch(monkeypatch)
    clf = _soft_clf([("dyn", recorder())], max_epochs=3).fit(X, y)
    assert bool(clf._batch_hooks("on_batch_end", True)) is eager
    n_train = sum(clf.history[:, "train_batch_count"])
    assert n_train == 3 * 11  # 103 rows in batches of 10
    assert counter.keys.count("train_loss") == (n_train if eager else 0)
    # either path leaves the same per-batch records
    sizes = [b["train_batch_size"] for e in clf.history for b in e["batches"]]
    assert sizes == ([10] * 10 + [3]) * 3
    assert all(np.isfinite(clf.history[:, "batches", :, "train_loss"][-1]))


class _UncachedDynamics(TrainingDynamics):
    """Today's recorder before issue 28.2: the targets' log taken every call."""

    def _quantities(self, net, outputs, targets, gold, log_targets):
        from sksoft._dynamics import per_sample_quantities

        proba = self._probabilities(net, outputs)
        return per_sample_quantities(proba, targets, gold)


@pytest.mark.parametrize("targets", ["hard", "soft"])
@pytest.mark.parametrize("storage", ["full", "streaming"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_cached_log_targets_record_identical_bits(data, mode, storage, targets):
    # issue 28.2: the log of the (fixed) targets is computed once a fit; the
    # recorded values are the same bits as with the log taken every epoch.
    # Hard labels give one-hot rows, whose zeros take the log's floor path.
    X, y = data
    rng = np.random.default_rng(5)
    Y = y if targets == "hard" else rng.dirichlet(np.ones(3), size=103)
    runs = []
    for build in (_UncachedDynamics, TrainingDynamics):
        dyn = build(mode=mode, storage=storage)
        _soft_clf([("dyn", dyn)], module__dropout=0.2, train_split=0.2).fit(X, Y)
        runs.append(_recorded(dyn))
    old, new = runs
    assert set(new) == set(old)
    assert np.isfinite(old["js_divergence"]).sum() > 50
    for key in old:
        np.testing.assert_array_equal(new[key], old[key], err_msg=key)


def test_js_rows_with_a_precomputed_log():
    # the recorder's cached log of the targets: the same bits, and the JS
    # divergence of [1, 0] and [1/2, 1/2] by hand
    from sksoft._rows import js_rows, log_or_floor

    p = np.array([[1.0, 0.0], [0.2, 0.8]])
    q = np.array([[0.5, 0.5], [0.6, 0.4]])
    got = js_rows(p, q, log_p=log_or_floor(p))
    np.testing.assert_array_equal(got, js_rows(p, q))
    m = np.array([0.75, 0.25])
    kl_p = np.log(1 / m[0])
    kl_q = 0.5 * np.log(0.5 / m[0]) + 0.5 * np.log(0.5 / m[1])
    assert got[0] == pytest.approx(0.5 * kl_p + 0.5 * kl_q, rel=1e-12)
