"""The batched training loop: ``M`` MLP members as one stacked model.

Member ``m`` makes the draws of the plain fit of its seed
(:func:`._random.member_streams`, :func:`._split.holdout_split`, one
``randperm`` per epoch, the dropout masks) and steps through the optimizer of
:func:`._optim.make_optimizer`; only the arithmetic is batched.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import torch

# the numpy kernels of the cartography recorder
from .._dynamics import DynamicsAccumulator, gold_quantities, per_sample_quantities
from ._modules import StackedMLP, dropout_masks, init_layers
from ._optim import make_optimizer
from ._random import member_streams
from ._split import holdout_split

__all__ = ["TrainOptions", "train_ensemble"]

#: statistics and history keys that ``quantities="cartography"`` skips
_TARGET_STATISTICS = ("target_confidence", "target_variability", "js_divergence")
_TARGET_HISTORY = ("target_proba", "js_divergence")
_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_PREDICT_CHUNK = 4096  # rows per member and forward pass when predicting


@dataclass
class TrainOptions:
    """The training options of ``fit_mlp_ensemble`` (its keyword arguments)."""

    hidden_layer_sizes: tuple = (100,)
    activation: str = "relu"
    dropout: float = 0.0
    optimizer: type = torch.optim.Adam
    optimizer_params: dict = field(default_factory=dict)
    lr: float = 0.001
    max_epochs: int = 50
    batch_size: int = 128
    label_smoothing: float = 0.0
    train_split: float | None = None
    dynamics: str | None = "train"
    storage: str = "streaming"
    quantities: str = "all"
    dtype: str = "float32"


def _soft_ce(logits, Yb, wb):
    """Per-member mean (weighted) soft cross-entropy, shape ``(M,)``."""
    per = -(Yb * torch.log_softmax(logits, dim=-1)).sum(dim=-1)
    if wb is not None:
        per = per * wb
    return per.mean(dim=1)


@torch.no_grad()
def _all_logits(model, Xt, M, index=None):
    """Eval-mode logits ``(M, n, K)`` of every member on all rows of ``Xt``.

    ``Xt``: rows ``(n, d)`` shared by the members, or ``(S, n, d)`` with
    ``index`` ``(M,)``: member ``m``'s rows are ``Xt[index[m]]``.
    """
    out = []
    for c0 in range(0, Xt.shape[-2], _PREDICT_CHUNK):
        if Xt.dim() == 3:
            chunk = Xt[:, c0 : c0 + _PREDICT_CHUNK].index_select(0, index)
            out.append(model.forward(chunk))
        else:
            chunk = Xt[c0 : c0 + _PREDICT_CHUNK]
            out.append(model.forward(chunk.expand(M, *chunk.shape)))
    return torch.cat(out, dim=1)


class _Batches:
    """The stacked training data: inputs, smoothed targets, weights, splits."""

    def __init__(self, data, o, streams, dtype):
        M, n, d, K = data.shape
        self.M, self.n, self.d, self.K = M, n, d, K
        # inputs: None (X shared) or each member's matrix of a 3-D X
        self.index = None if data.inputs is None else torch.from_numpy(data.inputs)
        self.train_pos, self.valid_pos = [], []
        for Y, (fit_gen, _) in zip(data.Ys, streams):
            tr, va = np.arange(n), None
            if o.train_split is not None:
                tr, va = holdout_split(np.argmax(Y, axis=1), o.train_split, fit_gen)
            self.train_pos.append(tr)
            self.valid_pos.append(va)
        self.n_train = len(self.train_pos[0])
        if any(len(tr) != self.n_train for tr in self.train_pos):  # pragma: no cover
            raise RuntimeError("members' training sets differ in size")
        self.has_valid = self.valid_pos[0] is not None
        self.bs = self.n_train if o.batch_size == -1 else o.batch_size
        # inputs, targets and weights in the model dtype, as the plain path
        # casts them; targets are smoothed as the criterion smooths them. A
        # 3-D X is stacked as the targets are: member m's rows start at
        # x_offsets[m] = inputs[m] * n (X is in the model dtype already)
        self.Xt = torch.from_numpy(data.X.reshape(-1, d))
        self.Y_all = np.stack(data.Ys)
        s = o.label_smoothing
        Yt = torch.from_numpy(self.Y_all).to(dtype)
        self.Yt = (Yt * (1 - s) + s / K).reshape(M * n, K)
        self.Wt = None
        if data.weights is not None:
            self.Wt = torch.from_numpy(np.stack(data.weights)).to(dtype).reshape(M * n)
        self.offsets = (torch.arange(M) * n)[:, None]
        self.x_offsets = None if self.index is None else (self.index * n)[:, None]
        self.train_pos_t = torch.from_numpy(np.stack(self.train_pos))

    def epoch_order(self, streams):
        """Each member's training rows in this epoch's order ``(M, n_train)``."""
        return torch.stack(
            [
                tp[torch.randperm(self.n_train, generator=fit_gen)]
                for tp, (fit_gen, _) in zip(self.train_pos_t, streams)
            ]
        )

    def inputs_of(self, rows):
        """Input rows ``(M, B, d)`` of member rows ``(M, B)``."""
        if self.x_offsets is not None:
            rows = rows + self.x_offsets
        # index_select: ~4x a gather
        return self.Xt.index_select(0, rows.reshape(-1)).view(*rows.shape, self.d)

    def all_inputs(self):
        """All rows, for an eval pass: ``(n, d)`` or ``(S, n, d)``."""
        return self.Xt if self.index is None else self.Xt.view(-1, self.n, self.d)

    @torch.no_grad()
    def valid_losses(self, model):
        """Each member's mean (weighted) loss on its hold-out rows, eval mode."""
        idx = torch.from_numpy(np.stack(self.valid_pos))
        fidx = idx + self.offsets
        rows = idx if self.x_offsets is None else idx + self.x_offsets
        logits = model.forward(self.Xt[rows])
        wb = None if self.Wt is None else self.Wt[fidx]
        return _soft_ce(logits, self.Yt[fidx], wb).numpy()


class _Recorder:
    """The cartography recorder of all members' training rows."""

    def __init__(self, data, o, b, dtype):
        self.mode = o.dynamics
        self.everything = o.quantities == "all"
        M, n, K = b.M, b.n, b.K
        self.gold_all = np.stack(
            data.golds
            if data.golds is not None
            else [np.argmax(Y, axis=1) for Y in data.Ys]
        )
        self.acc = DynamicsAccumulator(M * n, full=o.storage == "full")
        self.full = o.storage == "full"
        self.epoch_out = torch.zeros(M * n, K, dtype=dtype)
        # the training logits, in batch order ("train" mode)
        self.logits_epoch = torch.empty(M, b.n_train, K, dtype=dtype)
        self.seen_flat = (b.offsets + b.train_pos_t).reshape(-1).numpy()

    def batch(self, b0, logits):
        if self.mode == "train":
            self.logits_epoch[:, b0 : b0 + logits.shape[1]] = logits.detach()

    def end_epoch(self, model, b, flat_order):
        if self.mode == "train":
            self.epoch_out[flat_order] = self.logits_epoch.reshape(-1, b.K)
        else:
            out = _all_logits(model, b.all_inputs(), b.M, b.index)
            self.epoch_out = out.reshape(b.M * b.n, b.K)
        self._record(b)

    def _record(self, b):
        # softmax in float64 with numpy (vectorised exp; torch's CPU softmax
        # over a short last axis is about twice as slow)
        proba = self.epoch_out[self.seen_flat].numpy().astype(np.float64)
        proba -= proba.max(axis=1, keepdims=True)
        np.exp(proba, out=proba)
        proba /= proba.sum(axis=1, keepdims=True)
        rows_m, rows_i = np.divmod(self.seen_flat, b.n)
        gold = self.gold_all[rows_m, rows_i]
        if self.everything:
            values = per_sample_quantities(proba, b.Y_all[rows_m, rows_i], gold)
        else:  # zeros stand in for the target quantities (dropped)
            zeros = np.zeros(len(gold))
            values = (*gold_quantities(proba, gold), zeros, zeros)
        self.acc.begin_epoch()
        self.acc.update(self.seen_flat, *values)
        self.acc.end_epoch()

    def member_dynamics(self, M, n, max_epochs):
        """Per member: the statistics (and with full storage the history)."""
        if max_epochs == 0:
            return [None] * M
        stats = self.acc.statistics()
        hist = self.acc.history() if self.full else None
        return [self._member(stats, hist, m, M, n) for m in range(M)]

    def _member(self, stats, hist, m, M, n):
        dyn = {
            k: np.asarray(v).reshape(M, n)[m].copy()
            for k, v in stats.items()
            if self.everything or k not in _TARGET_STATISTICS
        }
        if hist is not None:
            dyn["history"] = {
                k: v.reshape(-1, M, n)[:, m].copy()
                for k, v in hist.items()
                if self.everything or k not in _TARGET_HISTORY
            }
        return dyn


def _run_epoch(model, opt, b, streams, recorder, dropout, dtype):
    """One epoch over every member's training rows; the members' mean losses."""
    order = b.epoch_order(streams)
    flat_order = (order + b.offsets).reshape(-1)  # rows of the stacked targets
    # the epoch's targets in batch order, gathered once (inputs per batch:
    # all of them at once would hold M copies of X)
    Y_epoch = b.Yt[flat_order].reshape(b.M, b.n_train, b.K)
    W_epoch = None if b.Wt is None else b.Wt[flat_order].reshape(b.M, b.n_train)
    drop_gens = [fit_gen for fit_gen, _ in streams]  # as GeneratorDropout
    sums = torch.zeros(b.M, dtype=dtype)
    for b0 in range(0, b.n_train, b.bs):
        Xb = b.inputs_of(order[:, b0 : b0 + b.bs])  # (M, B, d)
        Yb = Y_epoch[:, b0 : b0 + b.bs]
        wb = None if W_epoch is None else W_epoch[:, b0 : b0 + b.bs]
        B = Xb.shape[1]
        masks = dropout_masks(model, drop_gens, B, dtype) if dropout else None
        logits = model.forward(Xb, masks)
        loss = _soft_ce(logits, Yb, wb)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        with torch.no_grad():
            sums += loss.detach() * B
            if recorder is not None:
                recorder.batch(b0, logits)
    return (sums / b.n_train).numpy(), flat_order


def _predict(model, X_predict, M, index):
    """Float64 probabilities ``(M, n_predict, K)`` of every member."""
    Xp = torch.from_numpy(X_predict)
    p_index = None
    if Xp.dim() == 3:  # one matrix per member (2-D X) or per matrix of X
        p_index = torch.arange(M) if index is None else index
    logits = _all_logits(model, Xp, M, p_index)
    return torch.softmax(logits.to(torch.float64), dim=-1).numpy()


def train_ensemble(data, o, sizes):
    """Train the members of checked ``data`` (``EnsembleInputs``) with options ``o``.

    Returns the members' list of dicts (see ``fit_mlp_ensemble``).
    """
    start = time.perf_counter()
    dtype = _TORCH_DTYPES[o.dtype]
    M, n, d, K = data.shape
    streams = [member_streams(s) for s in data.seeds]
    # float32 draws as in the plain (float32) module, then cast
    model = StackedMLP(
        [init_layers((d, *sizes, K), init_gen) for _, init_gen in streams],
        o.activation,
        float(o.dropout),
        dtype,
    )
    b = _Batches(data, o, streams, dtype)
    opt = make_optimizer(
        o.optimizer, model.parameters(), float(o.lr), o.optimizer_params, stacked=True
    )
    recorder = None if o.dynamics is None else _Recorder(data, o, b, dtype)
    train_loss = np.zeros((o.max_epochs, M))
    valid_loss = np.zeros((o.max_epochs, M))
    for epoch in range(o.max_epochs):
        train_loss[epoch], flat_order = _run_epoch(
            model, opt, b, streams, recorder, o.dropout, dtype
        )
        if b.has_valid:
            valid_loss[epoch] = b.valid_losses(model)
        if recorder is not None:
            recorder.end_epoch(model, b, flat_order)
    fit_time = time.perf_counter() - start
    proba = (
        None if data.X_predict is None else _predict(model, data.X_predict, M, b.index)
    )
    dynamics = (
        [None] * M if recorder is None else recorder.member_dynamics(M, n, o.max_epochs)
    )
    members = []
    for m in range(M):
        history = {"train_loss": train_loss[:, m].tolist()}
        if b.has_valid:
            history["valid_loss"] = valid_loss[:, m].tolist()
        members.append(
            {
                "proba": None if proba is None else proba[m],
                "history": history,
                "dynamics": dynamics[m],
                "valid_index": b.valid_pos[m],
                "fit_time": fit_time / M,
            }
        )
    return members
