"""The lean training loop: sksoft's overrides of skorch's per-batch members.

:class:`LeanLoopMixin` holds, in one place, the members of skorch's
``NeuralNet`` that :class:`sksoft.SoftLabelClassifier` reimplements for speed
(fewer callback calls and no host sync per batch, tensors straight to the
module) and for the fit's own random generator:

- ``get_iterator``: the training iterator shuffles with the fit's generator;
- ``run_single_epoch``: only the callbacks implementing a batch hook are
  called, and without any the batch records are written once an epoch;
- ``infer``: tensors straight to the module; a shape error of the module
  becomes a ``ValueError`` naming the batch shape.

skorch's own ``train_step`` (the optimizer step with a closure; the engine's
``LeanAdam`` calls it before its kernel, as torch's step does),
``train_step_single``, ``validation_step`` and ``evaluation_step`` are used
as they are (a batch's sample weights reach ``get_loss`` on its target
tensor, see :class:`~sksoft.batching.SliceBatchIterator`). The members here
keep skorch's signatures, records and callback calls; the skorch internals
they rely on are listed in :mod:`sksoft.utils._skorch_compat`.
"""

import torch
from skorch import NeuralNet
from skorch.callbacks import BatchScoring, Callback, EpochScoring
from skorch.history import History

from ..batching import SliceBatchIterator

__all__ = ["LeanLoopMixin"]

# fragments of torch's messages for inputs of the wrong shape
_SHAPE_ERRORS = (
    "shapes cannot be multiplied",
    "size mismatch",
    "Expected input",
    "Expected 3D",
    "Expected 4D",
    "expected input",
    "input channels",
    "must match the size",
    "Given groups=",
    "Kernel size can't be greater",
)

# on_batch_end of these returns immediately for the other phase (on_train)
_PHASE_FILTERED_HOOKS = (EpochScoring.on_batch_end, BatchScoring.on_batch_end)


def _overrides(obj, name, base):
    """Whether ``obj``'s class overrides method ``name`` of class ``base``."""
    return getattr(type(obj), name, None) is not getattr(base, name, None)


def _batch_len(batch):
    """Number of samples of a batch, as skorch counts them."""
    Xi = batch[0]
    return len(Xi) if hasattr(Xi, "__len__") else len(batch)


class LeanLoopMixin:
    """skorch's per-batch members, lean (mix in before ``NeuralNet``)."""

    # overrides skorch: the training iterator shuffles with the fit's generator
    def get_iterator(self, dataset, training=False):
        """Batch iterator; the training iterator shuffles with the fit's generator."""
        if training:
            kwargs = self.get_params_for("iterator_train")
            iterator = self.iterator_train
        else:
            kwargs = self.get_params_for("iterator_valid")
            iterator = self.iterator_valid
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = max(len(dataset), 1)
        if isinstance(iterator, type) and issubclass(iterator, SliceBatchIterator):
            if training:
                kwargs.setdefault("shuffle", True)
                kwargs.setdefault("generator", getattr(self, "_generator", None))
            if str(self.device) != "cpu" and self.device is not None:
                kwargs.setdefault("device", self.device)
        elif training and kwargs.get("shuffle"):
            kwargs.setdefault("generator", getattr(self, "_generator", None))
        return iterator(dataset, **kwargs)

    def _batch_hooks(self, name, training=None):
        """The callbacks (and the net itself) that implement hook ``name``.

        skorch's scoring callbacks return at once from ``on_batch_end`` for the
        phase (training or validation) they do not score; they are left out, as
        is a callback whose ``_batch_hook_wanted(name, training)`` returns False
        (:class:`sksoft.callbacks.TrainingDynamics` in ``mode="eval"``).
        """
        hooks = []
        for _, cb in self.callbacks_:
            if not _overrides(cb, name, Callback):
                continue
            wanted = getattr(cb, "_batch_hook_wanted", None)
            if wanted is not None and not wanted(name, training):
                continue  # e.g. TrainingDynamics(mode="eval"): nothing per batch
            if (
                name == "on_batch_end"
                and training is not None
                and type(cb).on_batch_end in _PHASE_FILTERED_HOOKS
                and bool(cb.on_train) != bool(training)
            ):
                continue
            hooks.append(cb)
        if _overrides(self, name, NeuralNet):
            hooks.insert(0, self)
        return hooks

    # overrides skorch: fewer callback calls per batch; records once an epoch
    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """Run one training or validation epoch over ``iterator``.

        Same records and callback calls as skorch (``on_batch_begin``,
        ``on_batch_end`` with ``batch``, ``training``, ``loss`` and ``y_pred``;
        ``<prefix>_loss`` and ``<prefix>_batch_size`` per batch), with less
        overhead per batch: only the callbacks that implement a batch hook are
        called, and when none does the batch records are written at the end of
        the epoch.
        """
        if iterator is None:
            return
        history = self.history
        begin = self._batch_hooks("on_batch_begin", training)
        end = self._batch_hooks("on_batch_end", training)
        self._set_training(training)
        keys = prefix + "_loss", prefix + "_batch_size"
        if begin or end or type(history) is not History:
            hooks = begin, end
            n = self._eager_epoch(iterator, training, step_fn, keys, hooks, fit_params)
        else:
            n = self._lean_epoch(iterator, step_fn, keys, fit_params)
        history.record(prefix + "_batch_count", n)

    def _eager_epoch(self, iterator, training, step_fn, keys, hooks, fit_params):
        """skorch's per-batch protocol: records and batch hooks after each batch."""
        history, (loss_key, size_key), (begin, end) = self.history, keys, hooks
        n = 0
        for batch in iterator:
            history.new_batch()
            for cb in begin:
                cb.on_batch_begin(self, batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            history.record_batch(loss_key, step["loss"].item())
            history.record_batch(size_key, _batch_len(batch))
            for cb in end:
                cb.on_batch_end(self, batch=batch, training=training, **step)
            n += 1
        return n

    def _lean_epoch(self, iterator, step_fn, keys, fit_params):
        """No batch hooks: the batch records are written once, after the epoch."""
        losses, sizes = [], []
        for batch in iterator:
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach())
            sizes.append(_batch_len(batch))
        if losses:
            # one conversion for the epoch instead of a sync per batch
            loss_key, size_key = keys
            records = list.__getitem__(self.history, -1)["batches"]
            for loss, size in zip(torch.stack(losses).tolist(), sizes):
                records.append({loss_key: loss, size_key: size})
        return len(sizes)

    # overrides skorch: tensors straight to the module; a clear error for wrong shapes
    def infer(self, x, **fit_params):
        """Module output for one batch (tensors go straight to the module).

        A shape error of the module (e.g. torch's ``mat1 and mat2 shapes
        cannot be multiplied``) becomes a ``ValueError`` naming the batch shape
        and what to change.
        """
        try:
            if isinstance(x, torch.Tensor) and not fit_params:
                return self.module_(x)
            return super().infer(x, **fit_params)
        except RuntimeError as exc:
            text = str(exc)
            if not any(key in text for key in _SHAPE_ERRORS):
                raise
            shape = tuple(getattr(x, "shape", ()))
            module = self.module
            name = (
                "the default MLP"
                if module is None
                else getattr(module, "__name__", type(module).__name__)
            )
            raise ValueError(
                f"The module ({name}) cannot take a batch of shape {shape}: "
                f"{text}. Each sample of X has shape {shape[1:]}; make the "
                "module's input size match it (e.g. the in_features or "
                "in_channels of its first layer, set through module__<name>), "
                "or reshape X."
            ) from exc
