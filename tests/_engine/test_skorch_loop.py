"""The lean training loop (sksoft._engine._skorch_loop) against skorch's own."""

import numpy as np
import pytest
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback

from sksoft.classifier import SoftLabelClassifier


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 4)).astype(np.float32)
    Y = rng.dirichlet(np.ones(3), size=90)
    w = rng.uniform(0.5, 2.0, size=90)
    return X, Y, w


class _SkorchEpoch(SoftLabelClassifier):
    """skorch's run_single_epoch (the reference)."""

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        return NeuralNet.run_single_epoch(
            self, iterator, training, prefix, step_fn, **fit_params
        )


class _BatchSpy(Callback):
    """A callback with a batch hook: the loop takes its eager path."""

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        pass


def _fit(cls, data, **kw):
    X, Y, w = data
    params = dict(
        max_epochs=3,
        batch_size=16,
        lr=0.01,
        random_state=0,
        train_split=0.2,
        module__dropout=0.2,
    )
    params.update(kw)
    return cls(**params).fit(X, Y, sample_weight=w)


def _batch_records(clf):
    return [[dict(b) for b in epoch["batches"]] for epoch in clf.history]


@pytest.mark.parametrize("callbacks", [None, [("spy", _BatchSpy())]])
def test_lean_loop_records_as_skorch_does(data, callbacks):
    ours = _fit(SoftLabelClassifier, data, callbacks=callbacks)
    ref = _fit(_SkorchEpoch, data, callbacks=callbacks)
    assert _batch_records(ours) == _batch_records(ref)
    assert ours.history[:, "train_batch_count"] == [5, 5, 5]  # 72 rows / 16
    assert ours.history[:, "valid_batch_count"] == [2, 2, 2]  # 18 rows
    assert ours.history[:, "train_loss"] == ref.history[:, "train_loss"]
    for a, b in zip(ours.module_.parameters(), ref.module_.parameters()):
        assert torch.equal(a, b)
    X = data[0]
    np.testing.assert_array_equal(ours.predict_proba(X), ref.predict_proba(X))


def test_eager_and_lean_paths_agree(data):
    lean = _fit(SoftLabelClassifier, data)
    eager = _fit(SoftLabelClassifier, data, callbacks=[("spy", _BatchSpy())])
    assert not lean._batch_hooks("on_batch_end", True)
    assert eager._batch_hooks("on_batch_end", True)
    assert _batch_records(lean) == _batch_records(eager)


def test_skorchs_train_step_with_closure_equals_a_step_without_one(data):
    # the classifier uses skorch's train_step (the optimizer gets a closure;
    # LeanAdam calls it, then runs its kernel); stepping without a closure,
    # as sksoft's loop once did, must give the same weights and records
    class _NoClosure(SoftLabelClassifier):
        def train_step(self, batch, **fit_params):
            for name in self._optimizers:
                getattr(self, name + "_").zero_grad()
            step = self.train_step_single(batch, **fit_params)
            for name in self._optimizers:
                getattr(self, name + "_").step()
            return step

    assert SoftLabelClassifier.train_step is NeuralNet.train_step
    ours = _fit(SoftLabelClassifier, data)
    ref = _fit(_NoClosure, data)
    assert _batch_records(ours) == _batch_records(ref)
    for a, b in zip(ours.module_.parameters(), ref.module_.parameters()):
        assert torch.equal(a, b)
