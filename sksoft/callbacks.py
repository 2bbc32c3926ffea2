"""skorch callbacks of sksoft.

:class:`TrainingDynamics` records, for every training sample and epoch, what
dataset cartography needs (the model's probability of the gold label, whether
the prediction is right, the expected target probability and the
Jensen-Shannon divergence to the soft target) and turns it into per-sample
statistics with :meth:`TrainingDynamics.get_statistics`.
:func:`attach_training_dynamics` adds such a recorder to a skorch net; it is
what :class:`sksoft.CartographyTransformer` and the audit use.
"""

import numbers

import numpy as np
import torch
from skorch.callbacks import Callback
from skorch.dataset import Dataset as SkorchDataset
from skorch.dataset import get_len
from torch.utils.data import DataLoader

from ._dynamics import DynamicsAccumulator, per_sample_quantities
from ._rows import log_or_floor
from .batching import SliceBatchIterator, _unwrap_subsets
from .targets import (
    check_probabilities,
    check_soft_targets,
    encode_labels,
    hard_labels,
)
from .utils._sklearn_compat import HasMethods, validate_params

__all__ = ["TrainingDynamics", "attach_training_dynamics"]

_MODES = ("train", "eval")
_BLOCK = 4096  # rows per block of the epoch-end statistics
_EVAL_BATCH_FACTOR = 8  # eval_batch_size="auto": this many prediction batches
# ... or up to this many while the batch's input stays within _EVAL_BATCH_BYTES
_EVAL_BATCH_FACTOR_MAX = 32
_EVAL_BATCH_BYTES = 16 * 2**20
_STORAGES = ("full", "streaming")


def _to_numpy(y):
    if isinstance(y, torch.Tensor):
        return y.detach().cpu().numpy()
    return np.asarray(y)


def _subset_positions(dataset):
    """Row positions in the fit data of the rows of a (nested) torch Subset."""
    if isinstance(dataset, torch.utils.data.Subset):
        inner = _subset_positions(dataset.dataset)
        return inner[np.asarray(dataset.indices, dtype=np.int64)]
    return np.arange(len(dataset), dtype=np.int64)


def _auto_eval_size(base, dataset):
    """``eval_batch_size="auto"``: 8 prediction batches, up to 32 of small rows."""
    size = _EVAL_BATCH_FACTOR * base
    X = getattr(_unwrap_subsets(dataset)[0], "X", None)
    if isinstance(X, (np.ndarray, torch.Tensor)) and X.ndim >= 1 and len(X):
        row = X[0].nbytes
        fits = _EVAL_BATCH_BYTES // max(row, 1)
        size = max(size, min(_EVAL_BATCH_FACTOR_MAX * base, fits))
    return size


def _is_loader(iterator):
    return isinstance(iterator, type) and issubclass(iterator, DataLoader)


# DataLoader parameters that change neither the rows of a batch nor their order
_LOADER_PASSIVE = frozenset(
    {
        "batch_size",
        "num_workers",
        "pin_memory",
        "pin_memory_device",
        "timeout",
        "persistent_workers",
        "prefetch_factor",
        "worker_init_fn",
        "generator",
        "multiprocessing_context",
        "in_order",
    }
)


def _sliceable(iterator, params, dataset):
    """Whether a prediction DataLoader over ``dataset`` only collates array rows."""
    if iterator is not DataLoader or not set(params) <= _LOADER_PASSIVE:
        return False
    base, _ = _unwrap_subsets(dataset)
    kind = type(base)
    if not (
        isinstance(base, SkorchDataset)
        and kind.__getitem__ is SkorchDataset.__getitem__
        and kind.transform is SkorchDataset.transform
    ):
        return False

    def numeric(data):
        if isinstance(data, torch.Tensor):
            return not data.is_sparse and data.layout == torch.strided
        return isinstance(data, np.ndarray) and data.dtype.kind in "biuf"

    # y is not used by the prediction step, but a y the loader could not
    # collate must fail the same way on both paths
    return numeric(base.X) and (base.y is None or numeric(base.y))


class TrainingDynamics(Callback):
    """Record per-sample training dynamics (dataset cartography) during fit.

    For every training sample and epoch the callback records the predicted
    probability of the sample's gold label, whether the prediction (argmax,
    ties to the first class) equals the gold label, the *expected target
    probability* ``sum_k t_k p_k`` and the Jensen-Shannon divergence between
    the target ``t`` and the prediction ``p``. :meth:`get_statistics` turns the
    records into confidence, variability, correctness and forgetfulness
    (Swayamdipta et al., 2020).

    Parameters
    ----------
    mode : {"train", "eval"}, default="train"
        Where the predictions come from.

        - ``"train"``: the training forward pass itself, as in the reference
          implementation (allenai/cartography): train mode (dropout on), each
          batch's prediction made *before* that batch's parameter update, no
          extra forward pass. It needs the row position of every sample in
          the batch, which the batches of :class:`sksoft.SoftLabelClassifier`
          carry (:class:`sksoft.batching.IndexedBatch`, ``.indices``). A plain
          skorch net's batches carry no positions and raise a ``TypeError``.
        - ``"eval"``: one extra forward pass over the training rows at the end
          of every epoch, in eval mode (dropout off, no gradient). Works with
          any skorch classifier.
    storage : {"full", "streaming"}, default="full"
        ``"full"`` keeps the ``(n_epochs, n_samples)`` history of every
        recorded quantity in :attr:`history_`; ``"streaming"`` keeps only
        ``O(n_samples)`` running sums (Welford's algorithm for the mean and
        variance), so memory does not grow with the number of epochs. Both
        give the same statistics (to rounding). The default is ``"full"``
        because a recorder used by hand is read for its :attr:`history_`;
        :class:`sksoft.CartographyTransformer`, the audit and
        :func:`attach_training_dynamics` (which return statistics only)
        default to ``"streaming"``.
    gold_labels : array-like of shape (n_samples,), default=None
        Gold label of each row of the ``X`` passed to ``fit``, as values of
        the net's ``classes_``. By default the argmax of the target (ties to
        the first class, see :func:`sksoft.targets.hard_labels`). Pass the
        original labels to measure the dynamics against them when the soft
        label's mode differs.
    eval_batch_size : int or "auto", default="auto"
        Rows per batch of the extra forward pass of ``mode="eval"`` (ignored
        with ``mode="train"``). ``"auto"`` uses 8 times the net's prediction
        batch size (``iterator_valid__batch_size``, else ``batch_size``; the
        whole training set for ``-1``), and up to 32 times while a batch of
        the training array's rows stays within 16 MiB (small rows, as in
        an MLP on tabular or flattened-image features): a forward pass
        without gradients keeps far less in memory per row than a training
        step, and larger batches cut the per-batch cost of the pass. Pass an
        int to bound the memory of the pass instead. The batch size changes
        the recorded values by float rounding only (on the CPU tested, not
        at all: the module's outputs are the same bits for every batch
        size).

    Attributes
    ----------
    n_samples_ : int
        Number of rows of the ``X`` passed to ``fit``.
    n_epochs_ : int
        Number of epochs recorded.
    targets_ : ndarray of shape (n_samples, n_classes)
        The targets as probability rows (one-hot rows for hard labels).
    gold_ : ndarray of shape (n_samples,)
        Column position of each sample's gold label.
    history_ : dict of ndarray of shape (n_epochs, n_samples)
        Only with ``storage="full"``: ``"gold_proba"``, ``"correct"`` (0/1),
        ``"target_proba"`` and ``"js_divergence"``; ``nan`` where a sample was
        not seen in an epoch (for instance rows of a validation split).

    See Also
    --------
    sksoft.CartographyTransformer : Train a net with this callback and return
        the statistics as features.
    sksoft.cartography.training_dynamics_statistics : The same statistics from
        stored per-epoch probabilities.
    sksoft.DataMapDisplay : Plot the statistics as a data map.

    Notes
    -----
    Samples are identified by their row position in the ``X`` given to
    ``fit``; every statistic array has ``n_samples_`` entries. With a net's
    internal validation split, the validation rows are never recorded and
    their statistics are ``nan`` (``fit`` with ``train_split=None`` to
    record every row). A sample seen twice in one epoch raises a
    ``ValueError``: the statistics are defined per epoch.

    Calling ``partial_fit`` continues the recording; ``fit`` (re-initialising
    the net) starts it afresh.

    Every epoch that finished its training batches is recorded, whatever the
    order of the callbacks: when a callback listed before this one ends the
    training in its ``on_epoch_end`` (skorch's ``EarlyStopping``), the last
    epoch is recorded in ``on_train_end``. With ``mode="eval"`` that late
    record predicts with the weights at ``on_train_end``, so list this
    callback before an ``EarlyStopping(load_best=True)``, which restores the
    best weights there (:class:`sksoft.CartographyTransformer` puts its
    recorder first).

    Cost: per batch, only the module's outputs are copied into an
    ``(n_samples, n_classes)`` buffer; the predict nonlinearity (softmax for
    :class:`sksoft.SoftLabelClassifier`) and the statistics run once per
    epoch, vectorised over all rows. Memory, in float64 values per sample:
    ``3 K`` (the targets, their logarithm for the Jensen-Shannon divergence,
    taken once a fit, and the epoch buffer, the buffer in the module's dtype)
    plus 9 running sums with ``storage="streaming"``, independent of the
    number of epochs; ``storage="full"`` adds 4 values per sample and epoch.
    Because the statistics need whole epochs, an epoch interrupted by
    ``KeyboardInterrupt`` is not recorded. With ``mode="eval"`` nothing at
    all happens per batch; the extra pass is the cost (for the default MLP
    of :class:`sksoft.SoftLabelClassifier` on 784 features, one torch thread:
    its first layer over all rows alone is about 16 % of a plain epoch, the
    recording 2-3 %), and it cannot reuse the training pass's outputs:
    those are predicted before each batch's update, the eval pass after the
    whole epoch.

    With ``mode="eval"`` the extra pass goes through the net's prediction
    iterator, except where a plain skorch net's ``DataLoader`` would only
    collate rows of in-memory arrays (a :class:`skorch.dataset.Dataset` of a
    numeric array or tensor, inside any train/validation ``Subset``, without a
    custom ``collate_fn``): those batches are sliced out of the arrays
    (:class:`sksoft.batching.SliceBatchIterator`), the same rows in the same
    order without the per-row fetch. The pass never draws from torch's global
    random generator, so a shuffled plain skorch net trains exactly as it
    would without the recorder.

    References
    ----------
    .. [1] S. Swayamdipta, R. Schwartz, N. Lourie, Y. Wang, H. Hajishirzi,
       N. A. Smith and Y. Choi, "Dataset Cartography: Mapping and Diagnosing
       Datasets with Training Dynamics", EMNLP 2020.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skorch import NeuralNetClassifier
    >>> from sksoft.callbacks import TrainingDynamics
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> module = torch.nn.Sequential(torch.nn.Linear(4, 2), torch.nn.Softmax(-1))
    >>> net = NeuralNetClassifier(
    ...     module, max_epochs=3, train_split=None, verbose=0,
    ...     callbacks=[("dynamics", TrainingDynamics(mode="eval"))])
    >>> _ = net.fit(X, y)
    >>> stats = dict(net.callbacks_)["dynamics"].get_statistics()
    >>> stats["confidence"].shape, stats["n_epochs"][:3]
    ((60,), array([3, 3, 3]))
    """

    def __init__(
        self, mode="train", storage="full", gold_labels=None, eval_batch_size="auto"
    ):
        self.mode = mode
        self.storage = storage
        self.gold_labels = gold_labels
        self.eval_batch_size = eval_batch_size

    # ------------------------------------------------------------------
    def initialize(self):
        if self.mode not in _MODES:
            raise ValueError(
                f"TrainingDynamics: mode must be one of {_MODES}; got {self.mode!r}."
            )
        if self.storage not in _STORAGES:
            raise ValueError(
                f"TrainingDynamics: storage must be one of {_STORAGES}; "
                f"got {self.storage!r}."
            )
        size = self.eval_batch_size
        if not (
            (isinstance(size, str) and size == "auto")
            or (isinstance(size, numbers.Integral) and not isinstance(size, bool))
        ) or (not isinstance(size, str) and size < 1):
            raise ValueError(
                "TrainingDynamics: eval_batch_size must be 'auto' or an int >= 1; "
                f"got {size!r}."
            )
        for name in [k for k in vars(self) if k.endswith("_")]:
            delattr(self, name)
        self._raw_y = None
        self._acc = None
        self._checked = False
        self._nonlin = None
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        if y is None:
            raise ValueError(
                "TrainingDynamics needs the targets: fit the net with y (a "
                "Dataset that carries its own targets is not supported)."
            )
        n = get_len(X)
        if getattr(self, "_acc", None) is not None and self.n_samples_ == n:
            self._nonlin = None
            return  # partial_fit: continue the recording
        y_np = _to_numpy(y)
        if get_len(y_np) != n:
            raise ValueError(f"TrainingDynamics: X has {n} rows but y has {len(y_np)}.")
        if self.gold_labels is not None:
            gold = np.asarray(self.gold_labels)
            if gold.ndim != 1 or gold.shape[0] != n:
                raise ValueError(
                    f"TrainingDynamics: gold_labels must have shape ({n},); "
                    f"got {gold.shape}."
                )
        self.n_samples_ = n
        self.n_epochs_ = 0
        self._raw_y = y_np
        self._acc = None
        self._checked = False
        self._nonlin = None
        self._epoch_out = None
        self._epoch_q = None
        self._seen = np.zeros(n, dtype=bool)
        self._n_recorded = 0

    def _setup(self, net, n_classes):
        """Build targets and gold positions once the class count is known."""
        classes = getattr(net, "classes_", None)
        y = self._raw_y
        if y.ndim == 2 and y.shape[1] > 1:
            targets = check_soft_targets(y, input_name="y")
            classes = np.arange(targets.shape[1]) if classes is None else classes
        else:
            targets = check_soft_targets(y, classes=classes, input_name="y")
            if classes is None:
                classes = np.unique(y)
        if targets.shape[1] != n_classes:
            raise ValueError(
                f"TrainingDynamics: the net predicts {n_classes} classes but the "
                f"targets have {targets.shape[1]} columns."
            )
        if self.gold_labels is None:
            gold = hard_labels(targets)
        else:
            gold = encode_labels(self.gold_labels, classes, name="gold label")
        self.targets_ = targets
        # fixed over the fit: the JS divergence's log of the targets, once
        self._log_targets = log_or_floor(targets)
        self.gold_ = np.asarray(gold, dtype=np.int64)
        self._acc = DynamicsAccumulator(self.n_samples_, full=self.storage == "full")

    def _probabilities(self, net, outputs):
        """Apply the net's predict nonlinearity to stored module outputs."""
        if self._nonlin is None:
            self._nonlin = net._get_predict_nonlinearity()
        with torch.no_grad():
            proba = self._nonlin(outputs)
        proba = _to_numpy(proba).astype(np.float64, copy=False)
        if not self._checked:
            # once: catch nets whose predict_nonlinearity gives no probabilities
            check_probabilities(
                proba, atol=1e-4, input_name="the net's predicted probabilities"
            )
            self._checked = True
        return proba

    def _mark(self, net, idx, y_pred):
        """Check a batch's module outputs and mark its rows seen; the outputs.

        Builds the targets on the first batch (the class count is known then).
        """
        if getattr(self, "_raw_y", None) is None:
            raise RuntimeError(
                "TrainingDynamics: on_train_begin was not called; use the "
                "callback through a skorch net's fit."
            )
        if isinstance(y_pred, (tuple, list)):
            y_pred = y_pred[0]
        out = y_pred.detach()
        if out.ndim != 2 or out.shape[0] != idx.shape[0]:
            raise ValueError(
                "TrainingDynamics: the net's output for a batch of "
                f"{idx.shape[0]} samples must have shape ({idx.shape[0]}, "
                f"n_classes); got {tuple(out.shape)}."
            )
        if self._acc is None:
            self._setup(net, out.shape[1])
        try:
            self._seen[idx] = True
        except IndexError as exc:
            raise ValueError(
                "TrainingDynamics: batch indices out of range for "
                f"{self.n_samples_} training rows."
            ) from exc
        # duplicates (within or across batches) are detected at epoch end:
        # fewer rows are marked seen than were recorded
        self._n_recorded += idx.size
        return out

    def _record(self, net, idx, y_pred):
        """Store a training batch's module outputs for the epoch-end statistics.

        Only a copy into a preallocated ``(n_samples, n_classes)`` buffer
        happens per batch; the nonlinearity and the statistics run once per
        epoch on all rows, which keeps the per-batch overhead small.
        """
        out = self._mark(net, idx, y_pred).cpu().numpy()
        if self._epoch_out is None:
            self._epoch_out = np.zeros((self.n_samples_, out.shape[1]), out.dtype)
        self._epoch_out[idx] = out

    def _quantities(self, net, outputs, targets, gold, log_targets):
        """Per-sample quantities of module outputs (a tensor) and their rows."""
        proba = self._probabilities(net, outputs)
        if proba.shape != targets.shape:
            raise ValueError(
                "TrainingDynamics: the predict nonlinearity changed the shape "
                f"of the outputs to {proba.shape}."
            )
        return per_sample_quantities(proba, targets, gold, log_targets)

    def _eval_iterator(self, net, dataset):
        """The net's own prediction iterator, with ``eval_batch_size`` rows.

        A plain skorch net predicts through a :class:`torch.utils.data.DataLoader`,
        which fetches and collates row by row and draws a seed from torch's
        global generator each time it is iterated. When the loader would only
        collate the rows of in-memory arrays (a :class:`skorch.dataset.Dataset`
        of a numeric array or tensor, possibly inside ``Subset`` splits, with
        the default collate function), the same batches are sliced out of the
        arrays with :class:`sksoft.batching.SliceBatchIterator` instead: the
        same rows in the same order, no per-row work and no global RNG draw.
        """
        params = net.get_params_for("iterator_valid")
        size = self.eval_batch_size
        if size == "auto":
            base = params.get("batch_size", net.batch_size)
            size = len(dataset) if base == -1 else _auto_eval_size(base, dataset)
        size = max(1, min(int(size), len(dataset)))
        if _sliceable(net.iterator_valid, params, dataset):
            return SliceBatchIterator(dataset, batch_size=size)
        # the net builds the iterator (its class, device and other parameters);
        # its batch size is set for this one call and restored at once. A
        # DataLoader gets a generator of its own, so that iterating it does not
        # draw from torch's global one (which a shuffled net trains with).
        overrides = {"iterator_valid__batch_size": size}
        if _is_loader(net.iterator_valid) and "generator" not in params:
            overrides["iterator_valid__generator"] = torch.Generator()
        state, missing = vars(net), object()
        saved = {key: state.get(key, missing) for key in overrides}
        state.update(overrides)
        try:
            return net.get_iterator(dataset, training=False)
        finally:
            for key, old in saved.items():
                if old is missing:
                    del state[key]
                else:
                    state[key] = old

    def _eval_pass(self, net, dataset_train):
        """The extra eval-mode pass: per-sample quantities computed batch by batch.

        The probabilities of a batch go straight into the epoch's per-sample
        quantities (no ``(n_samples, n_classes)`` buffer, no second pass).
        """
        positions = _subset_positions(dataset_train)
        start = 0
        with torch.no_grad():
            for batch in self._eval_iterator(net, dataset_train):
                y_pred = net.evaluation_step(batch, training=False)
                idx = getattr(batch, "indices", None)
                if idx is None:
                    m = len(y_pred[0] if isinstance(y_pred, (tuple, list)) else y_pred)
                    idx = positions[start : start + m]
                    start += m
                else:
                    idx = np.asarray(_to_numpy(idx), dtype=np.int64)
                self._store_quantities(net, idx, self._mark(net, idx, y_pred))

    def _store_quantities(self, net, idx, out):
        """Write the per-sample quantities of one eval batch into the epoch's."""
        if self._epoch_q is None:
            n = self.n_samples_
            self._epoch_q = (
                np.empty(n),
                np.empty(n, dtype=bool),
                np.empty(n),
                np.empty(n),
            )
        rows = idx
        if idx.size and idx[-1] - idx[0] == idx.size - 1:
            # consecutive rows (the usual unshuffled batch): slices, no copies
            if np.array_equal(idx, np.arange(idx[0], idx[-1] + 1)):
                rows = slice(idx[0], idx[-1] + 1)
        values = self._quantities(
            net, out, self.targets_[rows], self.gold_[rows], self._log_targets[rows]
        )
        for dest, value in zip(self._epoch_q, values):
            dest[rows] = value

    @staticmethod
    def _raise_duplicate():
        raise ValueError(
            "TrainingDynamics: a sample was seen twice in one epoch; the "
            "statistics are defined per epoch (sampling with replacement is "
            "not supported)."
        )

    # ------------------------------------------------------------------
    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if getattr(self, "_raw_y", None) is not None:
            self._seen[:] = False
            self._n_recorded = 0
            # kept until the epoch is recorded: on_train_end records an epoch
            # whose on_epoch_end an earlier callback cut short (EarlyStopping)
            self._open_epoch = dataset_train if dataset_train is not None else True

    def _batch_hook_wanted(self, name, training):
        """Whether the training loop needs to call batch hook ``name`` at all.

        Only ``mode="train"`` reads batches, in the ``on_batch_end`` of
        training batches; ``mode="eval"`` does nothing per batch. A training
        loop that asks this before calling a batch hook can skip the call, and
        when no callback wants a batch hook it can write the per-batch history
        records once per epoch (the lean path of
        :class:`sksoft.SoftLabelClassifier`).
        """
        if name != "on_batch_end":
            return True
        return training is None or (bool(training) and self.mode == "train")

    def on_batch_end(self, net, batch=None, training=None, y_pred=None, **kwargs):
        if not training or self.mode != "train":
            return
        idx = getattr(batch, "indices", None)
        if idx is None:
            raise TypeError(
                "TrainingDynamics(mode='train') needs the row positions of each "
                "training batch (the batch's .indices, as carried by "
                "sksoft.batching.IndexedBatch from SoftLabelClassifier's batch "
                f"iterator); this net's iterator gave a {type(batch).__name__} "
                "without them. Use TrainingDynamics(mode='eval') with a plain "
                "skorch net."
            )
        if not isinstance(idx, np.ndarray) or idx.dtype != np.int64:
            idx = np.asarray(_to_numpy(idx), dtype=np.int64)
        self._record(net, idx, y_pred)

    def on_train_end(self, net, **kwargs):
        """Record the last epoch if an earlier callback stopped on_epoch_end.

        skorch's ``EarlyStopping`` raises ``KeyboardInterrupt`` in its
        ``on_epoch_end``, so the ``on_epoch_end`` of callbacks listed after it
        never runs for the last epoch. That epoch trained completely (its
        ``train_batch_count`` is in the history), so it is recorded here; an
        epoch interrupted during its training batches is not.
        """
        pending = getattr(self, "_open_epoch", None)
        self._open_epoch = None
        if pending is None or getattr(self, "_raw_y", None) is None:
            return
        history = getattr(net, "history", None)
        if not history or "train_batch_count" not in history[-1]:
            return
        dataset_train = None if pending is True else pending
        self.on_epoch_end(net, dataset_train=dataset_train)

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        if getattr(self, "_raw_y", None) is None:
            return
        self._open_epoch = None
        if self.mode == "eval":
            if dataset_train is None:
                raise ValueError("TrainingDynamics(mode='eval'): no training data.")
            self._eval_pass(net, dataset_train)
        if self._acc is None or self._n_recorded == 0:
            return
        idx = np.flatnonzero(self._seen)
        if idx.size != self._n_recorded:
            self._raise_duplicate()
        rows = slice(None) if idx.size == self.n_samples_ else idx
        if self.mode == "eval":
            q = tuple(values[rows] for values in self._epoch_q)
        else:
            q = self._buffer_quantities(net, rows, idx.size)
        self._acc.begin_epoch()
        self._acc.update(rows, *q)
        self._acc.end_epoch()
        self.n_epochs_ += 1

    def _buffer_quantities(self, net, rows, m):
        """Per-sample quantities of the training pass's buffered outputs."""
        outputs = self._epoch_out[rows]
        targets, gold = self.targets_[rows], self.gold_[rows]
        log_targets = self._log_targets[rows]
        q = (np.empty(m), np.empty(m, dtype=bool), np.empty(m), np.empty(m))
        # blocks of rows that stay in cache: same numbers, less memory traffic
        for start in range(0, m, _BLOCK):
            block = slice(start, start + _BLOCK)
            values = self._quantities(
                net,
                torch.from_numpy(outputs[block]),
                targets[block],
                gold[block],
                log_targets[block],
            )
            for dest, value in zip(q, values):
                dest[block] = value
        return q

    @property
    def history_(self):
        """``(n_epochs, n_samples)`` records (``storage="full"`` only)."""
        acc = getattr(self, "_acc", None)
        if acc is None or not acc.full:
            raise AttributeError(
                "history_ is only kept with storage='full' after at least one "
                "recorded epoch."
            )
        return acc.history()

    # ------------------------------------------------------------------
    def get_statistics(self):
        """Per-sample training-dynamics statistics recorded so far.

        Returns
        -------
        statistics : dict of ndarray of shape (n_samples,)
            See :func:`sksoft.cartography.training_dynamics_statistics` for
            the keys and their definitions.
        """
        if getattr(self, "_acc", None) is None or self.n_epochs_ == 0:
            raise RuntimeError(
                "TrainingDynamics has recorded no epoch yet; fit the net first."
            )
        return self._acc.statistics()

    def _state_nbytes(self):
        """Bytes held by the recording state (targets and gold included)."""
        total = self.targets_.nbytes + self.gold_.nbytes + self._seen.nbytes
        total += self._log_targets.nbytes
        for buffer in (self._epoch_out, *(self._epoch_q or ())):
            total += 0 if buffer is None else buffer.nbytes
        return total + self._acc.nbytes()


@validate_params(
    {
        "net": [HasMethods(["fit", "set_params", "get_params"])],
        "recorder": [TrainingDynamics, None],
        "name": [str],
    },
    prefer_skip_nested_validation=True,
)
def attach_training_dynamics(net, recorder=None, *, name="training_dynamics"):
    """Add a :class:`TrainingDynamics` recorder to a skorch net, in place.

    The one way sksoft attaches a recorder (used by
    :class:`sksoft.CartographyTransformer` and by the audit). Call it on the
    net that will be fitted (a clone, typically); after ``fit`` the recorder is
    ``dict(net.callbacks_)[name]``.

    Parameters
    ----------
    net : skorch NeuralNet
        The net, for instance a :class:`sksoft.SoftLabelClassifier`. Its
        ``callbacks`` parameter is changed; nothing else is.
    recorder : TrainingDynamics, default=None
        The recorder to add. ``None`` builds
        ``TrainingDynamics(mode=..., storage="streaming")`` with
        ``mode="train"`` for a :class:`sksoft.SoftLabelClassifier` (its
        batches carry row positions) and ``mode="eval"`` for any other net.
    name : str, default="training_dynamics"
        Name of the recorder among the net's callbacks.

    Returns
    -------
    net : skorch NeuralNet
        The same net.

    Raises
    ------
    TypeError
        If ``net`` is not a skorch ``NeuralNet``.
    ValueError
        If the net already has a callback called ``name``.

    Notes
    -----
    ``callbacks="disable"`` on the net means *no callbacks*, in skorch as
    here: with it, the recorder becomes the net's **only** callback (every
    default callback, such as the epoch timer, the loss scoring and the print
    log, is switched off with ``callbacks__<name>=None``), so the net trains
    exactly as it would without callbacks and still records its dynamics.
    Otherwise the recorder is put first among the net's own callbacks
    (``None``: the default ones only), so that its ``on_epoch_end`` runs before
    that of a user ``EarlyStopping``, which ends training by raising there (the
    recorder also records a last epoch in ``on_train_end``, whatever the order).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft import SoftLabelClassifier
    >>> from sksoft.callbacks import attach_training_dynamics
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = SoftLabelClassifier(max_epochs=3, random_state=0, verbose=0)
    >>> net = attach_training_dynamics(net).fit(X, y)
    >>> dynamics = dict(net.callbacks_)["training_dynamics"]
    >>> dynamics.mode, dynamics.n_epochs_
    ('train', 3)
    """
    from skorch import NeuralNet

    if not isinstance(net, NeuralNet):
        raise TypeError(
            "attach_training_dynamics records training dynamics with a skorch "
            f"callback; net must be a skorch NeuralNet, got {type(net).__name__}."
        )
    if recorder is None:
        from .classifier import SoftLabelClassifier

        mode = "train" if isinstance(net, SoftLabelClassifier) else "eval"
        recorder = TrainingDynamics(mode=mode, storage="streaming")
    callbacks = net.get_params(deep=False).get("callbacks")
    params = {}
    if callbacks == "disable":
        callbacks = []
        # skorch's set_params cannot go from "disable" to a list (it resolves
        # the new callbacks against the disabled, empty callbacks_); set the
        # attribute as set_params would, then use set_params
        net.callbacks = []
        # "disable" means no callbacks: switch every default one off
        params = {f"callbacks__{cb}": None for cb, _ in _named(net)}
    callbacks = list(callbacks or [])
    taken = {item[0] for item in callbacks if isinstance(item, (tuple, list))}
    taken |= {cb for cb, _ in _named(net)}
    if name in taken:
        raise ValueError(f"the net already has a callback named {name!r}.")
    callbacks.insert(0, (name, recorder))
    net.set_params(callbacks=callbacks)
    if params:  # after the list: skorch resolves these against it
        net.set_params(**params)
    return net


def _named(net):
    """The net's default callbacks as (name, callback) pairs."""
    out = []
    for item in net.get_default_callbacks():
        if isinstance(item, (tuple, list)):
            out.append((item[0], item[1]))
        else:
            cls = item if isinstance(item, type) else type(item)
            out.append((cls.__name__, item))
    return out
