"""Batched training of independent MLP runs that share an architecture.

The audit fits many small :class:`~sksoft.SoftLabelClassifier` MLPs that differ
only in their targets and their seed. One fit after another repeats the same
per-batch Python and small-tensor overhead; :func:`fit_mlp_ensemble` trains
``M`` such runs as one stacked model instead: parameters of shape ``(M, ...)``,
one batched forward and backward (:func:`torch.baddbmm`) over all members per
step, one optimizer over the stacked tensors.

Every member stays an independent model:

- its initialisation, validation split, batch order and dropout masks come
  from its own :class:`torch.Generator` seeded from the run's seed, drawn in
  the same order and with the same distributions as a plain
  ``SoftLabelClassifier(random_state=seed)`` fit;
- its own targets, sample weights, loss curves and training-dynamics record;
- its own optimizer state: the supported optimizers (Adam, AdamW, SGD,
  RMSprop, Adagrad) update every parameter element from that element's
  gradient and state only, so stepping the stacked tensors is stepping each
  member's. A plain ``torch.optim.Adam`` (the audit's) steps through
  :class:`_PlainAdam`, its CPU arithmetic without its bookkeeping; a fused
  optimizer is refused (its rounding depends on a tensor's length).

Nothing couples the members, so a run's result does not depend on which other
runs share its group (see ``dtype`` for the rounding). This module is
private: the audit calls it through :func:`ensemble_spec` and
:func:`fit_mlp_ensemble`.
"""

import math
import numbers
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

# the numpy kernels of the cartography recorder
from ._dynamics import DynamicsAccumulator, gold_quantities, per_sample_quantities
from .targets import check_soft_targets
from .utils._threads import one_torch_thread

__all__ = [
    "ensemble_groups",
    "ensemble_spec",
    "fit_mlp_ensemble",
    "fit_predict_ensemble",
    "fit_predict_ensemble_rows",
]

#: optimizers whose update of a parameter element reads only that element's
#: gradient and state (so a stacked step equals the members' separate steps)
_ELEMENTWISE_OPTIMIZERS = (
    torch.optim.Adam,
    torch.optim.AdamW,
    torch.optim.SGD,
    torch.optim.RMSprop,
    torch.optim.Adagrad,
)
_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "gelu": F.gelu}
_DYNAMICS = (None, "train", "eval")
_STORAGES = ("streaming", "full")
_QUANTITIES = ("all", "cartography")
#: statistics and history keys that ``quantities="cartography"`` skips
_TARGET_STATISTICS = ("target_confidence", "target_variability", "js_divergence")
_TARGET_HISTORY = ("target_proba", "js_divergence")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_PREDICT_CHUNK = 4096  # rows per member and forward pass when predicting


# ---------------------------------------------------------------- randomness


def _member_generators(seed):
    """The two random streams of a ``SoftLabelClassifier(random_state=seed)`` fit.

    The fit's own generator is seeded with ``seed``. It first draws the seed of
    the generator that initialises the module, then the seed of torch's global
    generator during training (unused by the default MLP, drawn all the same);
    after that it draws the validation split, every epoch's shuffling and the
    dropout masks (:class:`~sksoft.classifier.GeneratorDropout`), in the order
    the training loop needs them.
    """
    fit_gen = torch.Generator().manual_seed(int(seed))
    init_seed = int(torch.randint(0, 2**31 - 1, (1,), generator=fit_gen).item())
    torch.randint(0, 2**31 - 1, (1,), generator=fit_gen)  # the training seed
    return fit_gen, torch.Generator().manual_seed(init_seed)


def _init_layers(sizes, generator):
    """Weights ``(out, in)`` and biases of ``nn.Linear`` layers, as torch draws them."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weight = torch.empty(n_out, n_in)
        nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
        bound = 1 / math.sqrt(n_in) if n_in > 0 else 0
        bias = torch.empty(n_out)
        nn.init.uniform_(bias, -bound, bound, generator=generator)
        layers.append((weight, bias))
    return layers


def _holdout_split(y_hard, valid_size, generator):
    """The classifier's stratified hold-out split (``train_split=<float>``)."""
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    n = len(y_hard)
    n_valid = int(np.ceil(valid_size * n))
    if n < 2 or n_valid < 1 or n - n_valid < 1:
        return np.arange(n), None
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item())
    _, class_counts = np.unique(y_hard, return_counts=True)
    n_present = len(class_counts)
    stratify = (
        class_counts.min() >= 2 and n_valid >= n_present and n - n_valid >= n_present
    )
    cv_cls = StratifiedShuffleSplit if stratify else ShuffleSplit
    cv = cv_cls(n_splits=1, test_size=n_valid, random_state=seed)
    idx_train, idx_valid = next(cv.split(np.zeros((n, 1)), y_hard))
    return np.sort(idx_train), np.sort(idx_valid)


# ---------------------------------------------------------------- validation


def _check_matrix(name, A, ndim, dtype=np.float64):
    """``A`` as a finite ``dtype`` array of ``ndim`` dimensions (no copy if it is)."""
    A = np.asarray(A)
    if A.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got dtype {A.dtype}.")
    if A.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D; got shape {A.shape}.")
    A = A.astype(dtype, copy=False)
    if not A.flags.writeable:  # torch.from_numpy warns on read-only memory
        A = A.copy()
    if not np.isfinite(A).all():
        raise ValueError(f"{name} contains NaN or infinity.")
    return A


def _check_inputs(
    X, targets, seeds, X_predict, sample_weight, gold, member_inputs, dtype
):
    """Validated inputs; ``X`` and ``X_predict`` in the training ``dtype``.

    The inputs are converted once, to the arithmetic's own dtype (the values
    the training would cast them to), so a float32 ``X`` is not copied.
    """
    X = np.asarray(X)
    if X.ndim not in (2, 3):
        raise ValueError(
            "X must be 2-D (n_samples, n_features), or 3-D with one matrix per "
            f"set of members (see member_inputs); got shape {X.shape}."
        )
    X = _check_matrix("X", X, X.ndim, dtype)
    n, d = X.shape[-2:]
    if n == 0 or d == 0:
        raise ValueError(f"X must have at least one row and one column; got {X.shape}.")
    if isinstance(targets, np.ndarray) and targets.ndim == 2:
        raise ValueError(
            "targets must be a sequence of (n_samples, n_classes) matrices, one "
            "per member (or an array of shape (n_members, n_samples, n_classes))."
        )
    Ys = [_check_matrix(f"targets[{m}]", Y, 2) for m, Y in enumerate(targets)]
    if not Ys:
        raise ValueError("targets is empty: give at least one member.")
    K = Ys[0].shape[1]
    inputs = None
    if member_inputs is not None:
        if X.ndim != 3:
            raise ValueError(
                "member_inputs needs X of shape (n_matrices, n_samples, "
                f"n_features); got X of shape {X.shape}."
            )
        inputs = np.asarray(member_inputs)
        if (
            inputs.shape != (len(Ys),)
            or inputs.dtype.kind not in "iu"
            or (inputs < 0).any()
            or (inputs >= X.shape[0]).any()
        ):
            raise ValueError(
                f"member_inputs must give each of the {len(Ys)} members a matrix "
                f"of X in [0, {X.shape[0]}); got {member_inputs!r}."
            )
        inputs = inputs.astype(np.int64)
    elif X.ndim == 3:
        if X.shape[0] != len(Ys):
            raise ValueError(
                f"X of shape {X.shape} gives inputs for {X.shape[0]} members; "
                f"targets has {len(Ys)} (or give member_inputs)."
            )
        inputs = np.arange(len(Ys), dtype=np.int64)
    for m, Y in enumerate(Ys):
        if Y.shape != (n, K):
            raise ValueError(
                f"targets[{m}] has shape {Y.shape}; expected ({n}, {K}) "
                "(every member needs the rows of X and the same classes)."
            )
    Ys = [check_soft_targets(Y, input_name=f"targets[{m}]") for m, Y in enumerate(Ys)]
    if K < 2:
        raise ValueError(f"targets need at least 2 classes; got {K}.")
    seeds = [s for s in seeds]
    if len(seeds) != len(Ys) or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seeds
    ):
        raise ValueError(
            f"seeds must be {len(Ys)} integers, one per member; got {seeds!r}."
        )
    if X_predict is not None:
        X_predict = np.asarray(X_predict)
        X_predict = _check_matrix(
            "X_predict", X_predict, 3 if X_predict.ndim == 3 else 2, dtype
        )
        if X_predict.shape[-1] != d:
            raise ValueError(
                f"X_predict has {X_predict.shape[-1]} features; X has {d}."
            )
        want = len(Ys) if X.ndim == 2 else X.shape[0]
        if X_predict.ndim == 3 and X_predict.shape[0] != want:
            raise ValueError(
                f"X_predict of shape {X_predict.shape} gives rows for "
                f"{X_predict.shape[0]} members or matrices of X; expected {want}."
            )
    weights = None
    if sample_weight is not None:
        sws = list(sample_weight)
        if len(sws) != len(Ys):
            raise ValueError(
                f"sample_weight must give one weight vector per member ({len(Ys)}); "
                f"got {len(sws)}."
            )
        weights = []
        for m, w in enumerate(sws):
            if w is None:
                w = np.ones(n)
            w = _check_matrix(f"sample_weight[{m}]", w, 1)
            if w.shape != (n,):
                raise ValueError(f"sample_weight[{m}] must have shape ({n},).")
            if (w < 0).any() or not w.any():
                raise ValueError(
                    f"sample_weight[{m}] must be non-negative and not all zero."
                )
            weights.append(w / w.mean())
    golds = None
    if gold is not None:
        gold = np.asarray(gold)
        golds = [gold] * len(Ys) if gold.ndim == 1 else list(gold)
        for m, g in enumerate(golds):
            g = np.asarray(g)
            if (
                g.shape != (n,)
                or g.dtype.kind not in "iu"
                or (g < 0).any()
                or (g >= K).any()
            ):
                raise ValueError(
                    f"gold must hold {n} column positions in [0, {K}) (one vector "
                    "for all members or one per member)."
                )
        golds = [np.asarray(g, dtype=np.int64) for g in golds]
    return X, Ys, [int(s) for s in seeds], X_predict, weights, golds, inputs


# ---------------------------------------------------------------- the model


class _StackedMLP:
    """``M`` MLPs as stacked tensors.

    Weights ``(M, in, out)``, biases ``(M, 1, out)``.
    """

    def __init__(self, layers_per_member, activation, dropout, dtype):
        self.weights, self.biases = [], []
        for layer in zip(*layers_per_member):
            W = torch.stack([w.t() for w, _ in layer]).to(dtype).contiguous()
            b = torch.stack([b[None, :] for _, b in layer]).to(dtype).contiguous()
            self.weights.append(W.requires_grad_())
            self.biases.append(b.requires_grad_())
        self.activation = _ACTIVATIONS[activation]
        self.dropout = float(dropout)

    def parameters(self):
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def forward(self, h, masks=None):
        """Logits ``(M, B, K)`` of inputs ``(M, B, d)`` (dropout ``masks``)."""
        last = len(self.weights) - 1
        keep = 1.0 - self.dropout
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, W)
            if i < last:
                h = self.activation(h)
                if masks is not None:
                    # GeneratorDropout's arithmetic: X * mask / keep
                    h = torch.zeros_like(h) if keep == 0 else h * masks[i] / keep
        return h


def _dropout_masks(model, gens, B, dtype):
    """Per-member 0/1 dropout masks ``(M, B, width)`` per hidden layer.

    Drawn as :class:`~sksoft.classifier.GeneratorDropout` draws them: for each
    member, layer after layer, ``bernoulli_(1 - p)`` of a ``(B, width)`` tensor
    in the model's dtype from the member's fit generator.
    """
    keep = 1.0 - model.dropout
    if keep == 0:  # p == 1: zeros, nothing drawn
        return [None] * (len(model.weights) - 1)
    per_member = [
        [
            torch.empty(B, W.shape[2], dtype=dtype).bernoulli_(keep, generator=g)
            for W in model.weights[:-1]
        ]
        for g in gens
    ]
    return [torch.stack(layer) for layer in zip(*per_member)]


def _soft_ce(logits, Yb, wb):
    """Per-member mean (weighted) soft cross-entropy, shape ``(M,)``."""
    per = -(Yb * torch.log_softmax(logits, dim=-1)).sum(dim=-1)
    if wb is not None:
        per = per * wb
    return per.mean(dim=1)


# ---------------------------------------------------------------- the optimizer

#: Adam arguments :class:`_PlainAdam` accepts, with the values it accepts
_PLAIN_ADAM_VALUES = {
    "weight_decay": (0,),
    "amsgrad": (False,),
    "foreach": (None, False),
    "maximize": (False,),
    "capturable": (False,),
    "differentiable": (False,),
    "fused": (None, False),
    "decoupled_weight_decay": (False,),
}


class _PlainAdam:
    """``torch.optim.Adam``'s CPU step without its per-step bookkeeping.

    The element-wise kernels of torch's single-tensor Adam (its default on the
    CPU) without weight decay, amsgrad or maximize, called in the same order
    with the same scalars, so the parameters are the same bit for bit
    (``tests/test_ensemble.py`` checks it against ``torch.optim.Adam``); the
    denominator goes to a reused buffer instead of two new tensors, and there
    are no parameter groups, state lookups or step tensors to update. On the
    audit's default MLP the step costs about a quarter less.
    """

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.step_count = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self._denom = [torch.empty_like(p) for p in self.params]

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        self.step_count += 1
        step = float(self.step_count)  # torch reads its float32 step tensor
        bias_correction1 = 1 - self.beta1**step
        bias_correction2 = 1 - self.beta2**step
        step_size = self.lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        for p, m, v, denom in zip(
            self.params, self.exp_avg, self.exp_avg_sq, self._denom
        ):
            grad = p.grad
            m.lerp_(grad, 1 - self.beta1)
            v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
            torch.sqrt(v, out=denom)
            denom.div_(bias_correction2_sqrt).add_(self.eps)
            p.addcdiv_(m, denom, value=-step_size)


def _make_optimizer(optimizer, params, lr, optimizer_params):
    """:class:`_PlainAdam` for a plain ``torch.optim.Adam``, else the class."""
    extra = dict(optimizer_params)
    betas = tuple(extra.pop("betas", (0.9, 0.999)))
    eps = extra.pop("eps", 1e-8)

    def scalar(value):
        return value is None or isinstance(value, numbers.Real)  # bools too

    plain = (
        optimizer is torch.optim.Adam
        and len(betas) == 2
        and all(isinstance(b, numbers.Real) for b in (*betas, eps))
        and all(
            key in _PLAIN_ADAM_VALUES
            and scalar(value)
            and value in _PLAIN_ADAM_VALUES[key]
            for key, value in extra.items()
        )
    )
    if plain:
        return _PlainAdam(params, lr, tuple(float(b) for b in betas), float(eps))
    return optimizer(params, lr=lr, **optimizer_params)


# ---------------------------------------------------------------- the trainer


def fit_mlp_ensemble(
    X,
    targets,
    seeds,
    *,
    X_predict=None,
    member_inputs=None,
    sample_weight=None,
    gold=None,
    hidden_layer_sizes=(100,),
    activation="relu",
    dropout=0.0,
    optimizer=torch.optim.Adam,
    optimizer_params=None,
    lr=0.001,
    max_epochs=50,
    batch_size=128,
    label_smoothing=0.0,
    train_split=None,
    dynamics="train",
    storage="streaming",
    quantities="all",
    dtype="float32",
):
    """Train one MLP per member (same architecture) as one batched ensemble.

    Member ``m`` is the model a ``SoftLabelClassifier(hidden_layer_sizes=...,
    random_state=seeds[m], ...)`` fit on ``(X, targets[m])`` would train: same
    initialisation, validation split and batch order (same random draws), same
    loss and optimizer; only the arithmetic is batched (and in ``dtype``).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or (S, n_samples, n_features)
        Training inputs (already preprocessed), shared by all members, or
        ``S`` matrices of as many rows, one for each set of members that
        trains on other rows (such as the inner splits of a cross-fitted
        post-fit step); see ``member_inputs``.
    targets : sequence of M ndarrays of shape (n_samples, n_classes)
        Probability rows of each member.
    seeds : sequence of M int
        Each member's seed (``random_state`` of the equivalent plain fit).
    X_predict : ndarray of shape (n_predict, n_features) or \
            (S, n_predict, n_features), default=None
        Rows to predict with every trained member, or one matrix per matrix
        of a 3-D ``X`` (with a 2-D ``X``: one per member).
    member_inputs : sequence of M int, default=None
        With a 3-D ``X``: member ``m`` trains on ``X[member_inputs[m]]`` (and
        predicts ``X_predict[member_inputs[m]]``). Default: ``X[m]`` (then
        ``S`` must be ``M``).
    sample_weight : sequence of M (ndarray of shape (n_samples,) or None), default=None
        Per-member sample weights (divided by their mean, as the classifier does).
    gold : ndarray of shape (n_samples,) or (M, n_samples), default=None
        Gold column positions for the training dynamics; default the target
        argmax (ties to the first class) of each member.
    hidden_layer_sizes, activation, dropout
        The MLP (as ``SoftLabelClassifier``'s default module).
    optimizer : torch optimizer class, default=torch.optim.Adam
        One of Adam, AdamW, SGD, RMSprop, Adagrad (element-wise updates).
    optimizer_params : dict, default=None
        Extra optimizer arguments (``betas``, ``weight_decay``, ``momentum``...).
    lr, max_epochs, batch_size, label_smoothing
        As in ``SoftLabelClassifier`` (``batch_size=-1``: one batch).
    train_split : float in (0, 1) or None, default=None
        Per-member stratified hold-out share (validation loss per epoch).
    dynamics : {"train", "eval"} or None, default="train"
        Record training dynamics as :class:`sksoft.callbacks.TrainingDynamics`
        with this ``mode`` would; ``None`` records nothing.
    storage : {"streaming", "full"}, default="streaming"
        The recorder's storage; ``"full"`` also returns the per-epoch history.
    quantities : {"all", "cartography"}, default="all"
        What the recorder computes. ``"cartography"`` keeps the map's own
        statistics (``confidence``, ``variability``, ``correctness``,
        ``forgetfulness``, ``n_epochs``) and skips the expected target
        probability and the Jensen-Shannon divergence, whose keys are then
        absent (the divergence is most of the recorder's cost).
    dtype : {"float32", "float64"}, default="float32"
        Arithmetic of the training (the classifier's ``dtype``). On one thread
        torch's batched float32 kernels were measured to give bit-identical
        members for every group size tried (``tests/test_ensemble.py`` checks
        it); ``"float64"`` costs about 2.5x and leaves any rounding difference
        far below 1e-6.

    Returns
    -------
    members : list of M dict
        Per member: ``"proba"`` (float64 ``(n_predict, n_classes)`` or None),
        ``"history"`` (``{"train_loss": [...]}`` plus ``"valid_loss"`` with a
        split), ``"dynamics"`` (the recorder's statistics, arrays of shape
        ``(n_samples,)``, or None; with ``storage="full"`` also
        ``"history"``), ``"valid_index"`` (hold-out rows or None) and
        ``"fit_time"`` (the group's training wall time divided by ``M``).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft._ensemble import fit_mlp_ensemble
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 4))
    >>> Y = np.eye(2)[(X[:, 0] > 0).astype(int)]
    >>> soft = 0.8 * Y + 0.1
    >>> group = fit_mlp_ensemble(X, [Y, soft, Y], [0, 1, 2], X_predict=X[:3],
    ...                          max_epochs=5)
    >>> alone = fit_mlp_ensemble(X, [Y], [2], X_predict=X[:3], max_epochs=5)
    >>> bool(np.abs(group[2]["proba"] - alone[0]["proba"]).max() <= 1e-6)
    True
    >>> sorted(group[0]["dynamics"])[:3]
    ['confidence', 'correctness', 'forgetfulness']
    """
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}; got {dtype!r}.")
    X, Ys, seeds, X_predict, weights, golds, inputs = _check_inputs(
        X, targets, seeds, X_predict, sample_weight, gold, member_inputs, dtype
    )
    if dynamics not in _DYNAMICS:
        raise ValueError(f"dynamics must be one of {_DYNAMICS}; got {dynamics!r}.")
    if storage not in _STORAGES:
        raise ValueError(f"storage must be one of {_STORAGES}; got {storage!r}.")
    if quantities not in _QUANTITIES:
        raise ValueError(
            f"quantities must be one of {_QUANTITIES}; got {quantities!r}."
        )
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(_ACTIVATIONS)}; got {activation!r}."
        )
    if not (
        isinstance(optimizer, type) and issubclass(optimizer, _ELEMENTWISE_OPTIMIZERS)
    ):
        raise ValueError(
            f"optimizer must be one of {[o.__name__ for o in _ELEMENTWISE_OPTIMIZERS]}"
            f" (element-wise updates); got {optimizer!r}."
        )
    if (optimizer_params or {}).get("fused"):
        raise ValueError(
            "optimizer_params fused=True is not supported: torch's fused kernels "
            "round a tensor's last elements differently, so a member's numbers "
            "would depend on the group's size."
        )
    sizes = (
        (hidden_layer_sizes,)
        if isinstance(hidden_layer_sizes, int)
        else tuple(hidden_layer_sizes)
    )
    if any(not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive ints; got {sizes!r}.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing!r}.")
    if train_split is not None and not 0.0 < train_split < 1.0:
        raise ValueError(f"train_split must be None or in (0, 1); got {train_split!r}.")
    if not isinstance(max_epochs, numbers.Integral) or max_epochs < 0:
        raise ValueError(f"max_epochs must be a non-negative int; got {max_epochs!r}.")
    if batch_size != -1 and (
        not isinstance(batch_size, numbers.Integral) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be a positive int or -1; got {batch_size!r}."
        )

    with one_torch_thread():  # the same arithmetic in every worker
        return _train(
            X, inputs, Ys, seeds, X_predict, weights, golds, sizes, activation,
            float(dropout),
            optimizer, dict(optimizer_params or {}), float(lr), int(max_epochs),
            int(batch_size), float(label_smoothing), train_split, dynamics, storage,
            quantities == "all", _DTYPES[dtype],
        )  # fmt: skip


def _train(
    X, inputs, Ys, seeds, X_predict, weights, golds, sizes, activation, dropout,
    optimizer, optimizer_params, lr, max_epochs, batch_size, label_smoothing,
    train_split, dynamics, storage, everything, dtype,
):  # fmt: skip
    start = time.perf_counter()
    M, (n, d), K = len(Ys), X.shape[-2:], Ys[0].shape[1]
    # inputs: None (X shared) or each member's matrix of a 3-D X
    index = None if inputs is None else torch.from_numpy(inputs)
    streams = [_member_generators(s) for s in seeds]
    # float32 draws as in the plain (float32) module, then cast
    model = _StackedMLP(
        [_init_layers((d, *sizes, K), init_gen) for _, init_gen in streams],
        activation,
        dropout,
        dtype,
    )
    train_pos, valid_pos = [], []
    for Y, (fit_gen, _) in zip(Ys, streams):
        if train_split is None:
            tr, va = np.arange(n), None
        else:
            tr, va = _holdout_split(np.argmax(Y, axis=1), train_split, fit_gen)
        train_pos.append(tr)
        valid_pos.append(va)
    n_train = len(train_pos[0])
    if any(len(tr) != n_train for tr in train_pos):  # pragma: no cover - same sizes
        raise RuntimeError("members' training sets differ in size")
    has_valid = valid_pos[0] is not None
    bs = n_train if batch_size == -1 else batch_size

    # inputs, targets and weights in the model dtype, as the plain path casts
    # them; targets are smoothed as the criterion smooths them
    # a 3-D X is stacked as the targets are: member m's rows start at
    # x_offsets[m] = inputs[m] * n (X is in the model dtype already)
    Xt = torch.from_numpy(X.reshape(-1, d))
    Y_all = np.stack(Ys)
    Yt = torch.from_numpy(Y_all).to(dtype)
    Yt = (Yt * (1 - label_smoothing) + label_smoothing / K).reshape(M * n, K)
    Wt = None
    if weights is not None:
        Wt = torch.from_numpy(np.stack(weights)).to(dtype).reshape(M * n)
    offsets = (torch.arange(M) * n)[:, None]
    x_offsets = None if index is None else (index * n)[:, None]
    train_pos_t = torch.from_numpy(np.stack(train_pos))
    opt = _make_optimizer(optimizer, model.parameters(), lr, optimizer_params)

    record = dynamics is not None
    if record:
        gold_all = np.stack(
            golds if golds is not None else [np.argmax(Y, axis=1) for Y in Ys]
        )
        acc = DynamicsAccumulator(M * n, full=storage == "full")
        epoch_out = torch.zeros(M * n, K, dtype=dtype)
        logits_epoch = torch.empty(M, n_train, K, dtype=dtype)  # in batch order
        seen_flat = (offsets + train_pos_t).reshape(-1).numpy()
    train_loss = np.zeros((max_epochs, M))
    valid_loss = np.zeros((max_epochs, M))
    drop_gens = [fit_gen for fit_gen, _ in streams]  # as GeneratorDropout

    for epoch in range(max_epochs):
        order = torch.stack(
            [
                tp[torch.randperm(n_train, generator=fit_gen)]
                for tp, (fit_gen, _) in zip(train_pos_t, streams)
            ]
        )
        flat_order = (order + offsets).reshape(-1)  # rows of the stacked targets
        # the epoch's targets in batch order, gathered once (inputs per batch:
        # all of them at once would hold M copies of X)
        Y_epoch = Yt[flat_order].reshape(M, n_train, K)
        W_epoch = None if Wt is None else Wt[flat_order].reshape(M, n_train)
        sums = torch.zeros(M, dtype=dtype)
        for b0 in range(0, n_train, bs):
            rows = order[:, b0 : b0 + bs]  # (M, B)
            if x_offsets is not None:
                rows = rows + x_offsets
            # index_select: ~4x a gather
            Xb = Xt.index_select(0, rows.reshape(-1)).view(*rows.shape, d)
            Yb = Y_epoch[:, b0 : b0 + bs]
            wb = None if W_epoch is None else W_epoch[:, b0 : b0 + bs]
            B = Xb.shape[1]
            masks = _dropout_masks(model, drop_gens, B, dtype) if dropout else None
            logits = model.forward(Xb, masks)
            loss = _soft_ce(logits, Yb, wb)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
            with torch.no_grad():
                sums += loss.detach() * B
                if record and dynamics == "train":
                    logits_epoch[:, b0 : b0 + B] = logits.detach()
        train_loss[epoch] = (sums / n_train).numpy()
        if record and dynamics == "train":
            epoch_out[flat_order] = logits_epoch.reshape(-1, K)
        if has_valid:
            valid_loss[epoch] = _valid_losses(
                model, Xt, Yt, Wt, valid_pos, n, K, x_offsets
            )
        if record:
            if dynamics == "eval":
                inputs_t = Xt if index is None else Xt.view(-1, n, d)
                epoch_out = _all_logits(model, inputs_t, M, index)
                epoch_out = epoch_out.reshape(M * n, K)
            _record_epoch(acc, epoch_out, seen_flat, Y_all, gold_all, everything)

    fit_time = time.perf_counter() - start
    proba = None
    if X_predict is not None:
        Xp = torch.from_numpy(X_predict)
        p_index = None
        if Xp.dim() == 3:  # one matrix per member (2-D X) or per matrix of X
            p_index = torch.arange(M) if index is None else index
        logits = _all_logits(model, Xp, M, p_index)
        proba = torch.softmax(logits.to(torch.float64), dim=-1).numpy()
    stats = acc.statistics() if record and max_epochs > 0 else None
    hist_full = acc.history() if record and storage == "full" else None
    members = []
    for m in range(M):
        history = {"train_loss": train_loss[:, m].tolist()}
        if has_valid:
            history["valid_loss"] = valid_loss[:, m].tolist()
        dyn = None
        if stats is not None:
            dyn = {
                k: np.asarray(v).reshape(M, n)[m].copy()
                for k, v in stats.items()
                if everything or k not in _TARGET_STATISTICS
            }
            if hist_full is not None:
                dyn["history"] = {
                    k: v.reshape(-1, M, n)[:, m].copy()
                    for k, v in hist_full.items()
                    if everything or k not in _TARGET_HISTORY
                }
        members.append(
            {
                "proba": None if proba is None else proba[m],
                "history": history,
                "dynamics": dyn,
                "valid_index": valid_pos[m],
                "fit_time": fit_time / M,
            }
        )
    return members


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


@torch.no_grad()
def _valid_losses(model, Xt, Yt, Wt, valid_pos, n, K, x_offsets=None):
    """Each member's mean (weighted) loss on its hold-out rows, eval mode.

    ``x_offsets``: with a 3-D input, where each member's rows start in ``Xt``.
    """
    M = len(valid_pos)
    idx = torch.from_numpy(np.stack(valid_pos))
    fidx = idx + (torch.arange(M) * n)[:, None]
    logits = model.forward(Xt[idx if x_offsets is None else idx + x_offsets])
    wb = None if Wt is None else Wt[fidx]
    return _soft_ce(logits, Yt[fidx], wb).numpy()


def _record_epoch(acc, epoch_out, seen_flat, Y_all, gold_all, everything=True):
    """One epoch of the cartography recorder for all members' training rows.

    ``everything=False``: the gold probability and correctness only (zeros
    stand in for the target quantities, whose statistics are dropped).
    """
    M, n, K = Y_all.shape
    # softmax in float64 with numpy (vectorised exp; torch's CPU softmax over
    # a short last axis is about twice as slow)
    proba = epoch_out[seen_flat].numpy().astype(np.float64)
    proba -= proba.max(axis=1, keepdims=True)
    np.exp(proba, out=proba)
    proba /= proba.sum(axis=1, keepdims=True)
    rows_m, rows_i = np.divmod(seen_flat, n)
    gold = gold_all[rows_m, rows_i]
    if everything:
        values = per_sample_quantities(proba, Y_all[rows_m, rows_i], gold)
    else:
        zeros = np.zeros(len(gold))
        values = (*gold_quantities(proba, gold), zeros, zeros)
    acc.begin_epoch()
    acc.update(seen_flat, *values)
    acc.end_epoch()


# ---------------------------------------------------------------- the audit's entry


#: preprocessing steps that ignore ``y`` (fitted once per fold, shared by members)
_Y_FREE_STEPS = (
    "StandardScaler",
    "MinMaxScaler",
    "MaxAbsScaler",
    "RobustScaler",
    "Normalizer",
)
#: SoftLabelClassifier parameters that must keep their default for batching
_DEFAULTS_REQUIRED = {
    "module": None,
    "classes": None,
    "counts": False,
    "callbacks": None,
    "predict_nonlinearity": "auto",
    "warm_start": False,
    "compile": False,
}


def ensemble_spec(estimator):
    """How to train clones of ``estimator`` as one batched ensemble, or None.

    Batchable is a :class:`~sksoft.SoftLabelClassifier` with the default MLP
    module, the default criterion, batch iterators and dataset, no extra
    callbacks, on the CPU, with an element-wise optimizer, optionally after
    y-independent scalers in a :class:`~sklearn.pipeline.Pipeline`. Anything
    else returns ``None`` (train it the plain way).

    Parameters
    ----------
    estimator : estimator
        The (unfitted) estimator the audit clones for every run.

    Returns
    -------
    spec : dict or None
        ``"preprocessor"``: an unfitted clone of the pipeline's leading steps
        (or None); ``"params"``: keyword arguments of :func:`fit_mlp_ensemble`.
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from .batching import SliceBatchIterator
    from .classifier import SoftLabelClassifier
    from .losses import SoftTargetCrossEntropyLoss

    preprocessor = None
    net = estimator
    if isinstance(estimator, Pipeline):
        *head, (_, net) = estimator.steps
        for _, step in head:
            if step not in (None, "passthrough") and (
                type(step).__name__ not in _Y_FREE_STEPS
                or not type(step).__module__.startswith("sklearn.preprocessing")
            ):
                return None
        if head:
            preprocessor = clone(Pipeline(head))
    if type(net) is not SoftLabelClassifier:
        return None
    params = net.get_params(deep=False)
    for key, value in _DEFAULTS_REQUIRED.items():
        current = params.get(key)
        if not (current is value or (isinstance(current, str) and current == value)):
            return None
    from skorch.dataset import Dataset

    if (
        params["criterion"] is not SoftTargetCrossEntropyLoss
        or params["iterator_train"] is not SliceBatchIterator
        or params["iterator_valid"] is not SliceBatchIterator
        or params["dataset"] is not Dataset
        or str(params["device"]) != "cpu"
        or not isinstance(params["optimizer"], type)
        or not issubclass(params["optimizer"], _ELEMENTWISE_OPTIMIZERS)
        or not (
            params["train_split"] is None or isinstance(params["train_split"], float)
        )
    ):
        return None
    module_kw, optimizer_kw = {}, {}
    for key, value in params.items():
        if "__" not in key:
            continue
        prefix, name = key.split("__", 1)
        if prefix == "module" and name in ("activation", "dropout"):
            module_kw[name] = value
        elif prefix == "optimizer" and "__" not in name:
            if name == "fused" and value:
                # torch's fused kernels round a tensor's tail elements (past
                # the last full vector) differently from the rest: a member's
                # numbers would depend on its group's size
                return None
            optimizer_kw[name] = value
        else:
            return None  # criterion__, iterator_*__, callbacks__, ...
    sizes = params["hidden_layer_sizes"]
    sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
    return {
        "preprocessor": preprocessor,
        "params": {
            "hidden_layer_sizes": sizes,
            "activation": module_kw.get("activation", "relu"),
            "dropout": float(module_kw.get("dropout", 0.0)),
            "optimizer": params["optimizer"],
            "optimizer_params": optimizer_kw,
            "lr": float(params["lr"]),
            "max_epochs": int(params["max_epochs"]),
            "batch_size": int(params["batch_size"]),
            "label_smoothing": float(params["label_smoothing"]),
            "train_split": params["train_split"],
            "dtype": params["dtype"],
        },
    }


def _preprocess(spec, X_train, X_test):
    """``spec``'s preprocessor fitted on ``X_train``; both sets transformed.

    In the training dtype; without a preprocessor, the rows as they are.
    """
    dtype = spec["params"]["dtype"]
    if spec["preprocessor"] is not None:
        from sklearn.base import clone

        pre = clone(spec["preprocessor"]).fit(X_train)
        X_train = pre.transform(X_train)
        X_test = pre.transform(X_test) if len(X_test) else X_test
    return np.asarray(X_train, dtype=dtype), np.asarray(X_test, dtype=dtype)


def fit_predict_ensemble(
    spec, X_train, X_test, targets, seeds, *, gold=None, dynamics=True
):
    """Train the runs of one group and predict, in the audit's per-run format.

    The equivalent of the audit's per-run ``fit`` + ``predict_proba`` (with the
    streaming :class:`~sksoft.callbacks.TrainingDynamics` recorder in
    ``"train"`` mode) for every ``(targets[m], seeds[m])``, trained as one
    batched ensemble. The preprocessor of ``spec`` is fitted once on
    ``X_train`` (it ignores ``y``).

    Parameters
    ----------
    spec : dict
        From :func:`ensemble_spec`.
    X_train : ndarray of shape (n_train, n_features)
        Training rows (the fold's, shared by the group).
    X_test : ndarray of shape (n_test, n_features)
        Rows to predict.
    targets : sequence of M ndarrays of shape (n_train, n_classes)
        Each run's soft targets.
    seeds : sequence of M int
        Each run's seed.
    gold : ndarray of shape (n_train,), default=None
        Gold column positions for the dynamics (default: target argmax).
    dynamics : bool, default=True
        Record the training dynamics.

    Returns
    -------
    outputs : list of M dict
        ``"proba"`` (float64 ``(n_test, n_classes)``), ``"fit_time"`` (share of
        the group's wall time, preprocessing included), ``"history"``
        (``train_loss`` and, with a split, ``valid_loss`` per epoch) and
        ``"dynamics"`` (``confidence``, ``variability``, ``correctness``,
        float64 ``(n_train,)``, or None).
    """
    start = time.perf_counter()
    Xtr, Xte = _preprocess(spec, X_train, X_test)
    members = fit_mlp_ensemble(
        Xtr,
        targets,
        seeds,
        X_predict=Xte,
        gold=gold,
        dynamics="train" if dynamics else None,
        storage="streaming",
        quantities="cartography",
        **spec["params"],
    )
    share = (time.perf_counter() - start) / len(members)
    return [
        {
            "proba": m["proba"],
            "fit_time": share,
            "history": m["history"],
            "dynamics": None
            if m["dynamics"] is None
            else {
                k: np.asarray(m["dynamics"][k], dtype=np.float64)
                for k in ("confidence", "variability", "correctness")
            },
        }
        for m in members
    ]


def fit_predict_ensemble_rows(spec, X, train_rows, predict_rows, targets, seeds):
    """Train runs on rows of their own as one batched group, and predict.

    For every member ``m``, the equivalent of the audit's plain inner fit
    (:func:`sksoft.audit._worker.fit_inner`): a clone seeded with
    ``seeds[m]``, fitted on ``X[train_rows[m]]``, ``targets[m]`` (no
    recorder), predicting ``X[predict_rows[m]]``. The members may come from
    different splits (the inner splits of a cross-fitted post-fit step): each
    set of training rows gets its own fit of the preprocessor of ``spec``
    (which ignores ``y``), shared by the members that train on it. All
    members need the same number of training rows (the same batches).

    Parameters
    ----------
    spec : dict
        From :func:`ensemble_spec`.
    X : ndarray of shape (n_samples, n_features)
        All rows.
    train_rows : sequence of M int arrays, all of one length
        Each member's training rows (positions in ``X``).
    predict_rows : sequence of M int arrays
        Each member's rows to predict.
    targets : sequence of M ndarrays of shape (len(train_rows[m]), n_classes)
        Each member's soft targets.
    seeds : sequence of M int
        Each member's seed.

    Returns
    -------
    outputs : list of M dict
        ``"proba"`` (float64 ``(len(predict_rows[m]), n_classes)``) and
        ``"fit_time"`` (share of the group's wall time, preprocessing
        included).
    """
    start = time.perf_counter()
    M = len(seeds)
    if M == 0:
        raise ValueError("seeds is empty: give at least one member.")
    if not len(train_rows) == len(predict_rows) == len(targets) == M:
        raise ValueError(
            "train_rows, predict_rows, targets and seeds must have one entry per "
            f"member; got {len(train_rows)}, {len(predict_rows)}, {len(targets)} "
            f"and {M}."
        )
    train_rows = [np.asarray(r, dtype=np.int64) for r in train_rows]
    predict_rows = [np.asarray(r, dtype=np.int64) for r in predict_rows]
    if len({len(r) for r in train_rows}) > 1:
        raise ValueError(
            "every member needs the same number of training rows; got "
            f"{sorted({len(r) for r in train_rows})}."
        )
    dtype = spec["params"]["dtype"]
    # one matrix per distinct pair of training and predicted rows (its own
    # preprocessor fit), shared by the members that use it
    slots, X_fit, X_pred, inputs = {}, [], [], []
    for tr, te in zip(train_rows, predict_rows):
        key = (tr.tobytes(), te.tobytes())
        if key not in slots:
            slots[key] = len(X_fit)
            Xtr, Xte = _preprocess(spec, X[tr], X[te])
            X_fit.append(Xtr)
            X_pred.append(Xte)
        inputs.append(slots[key])
    p = max(len(x) for x in X_pred)
    Xp = None
    if p:
        # zero-padded to the longest: rows are predicted independently
        Xp = np.zeros((len(X_pred), p, X_fit[0].shape[1]), dtype=dtype)
        for j, x in enumerate(X_pred):
            Xp[j, : len(x)] = x
    members = fit_mlp_ensemble(
        np.stack(X_fit),
        targets,
        seeds,
        X_predict=Xp,
        member_inputs=inputs,
        dynamics=None,
        **spec["params"],
    )
    share = (time.perf_counter() - start) / M
    K = np.shape(targets[0])[1]
    return [
        {
            "proba": np.empty((0, K)) if Xp is None else m["proba"][: len(te)],
            "fit_time": share,
        }
        for m, te in zip(members, predict_rows)
    ]


def ensemble_groups(keys, *, max_members=16):
    """Split runs that share their training rows into batched groups.

    A deterministic function of ``keys`` alone (never of ``n_jobs``): the runs
    in order, cut into consecutive groups whose sizes differ by at most one,
    as few as hold at most ``max_members`` runs each, their number rounded up
    to an even one when more than one group is needed and there are runs
    enough, so that two workers get equal shares (5 groups of 14 runs leave
    one of two workers idle for a third of the wall time, 6 groups of 11 or
    12 do not). Results do not depend on the grouping; smaller groups only
    spread better over workers, at a higher cost per run (on the audit's
    default MLP it fell by a tenth to a sixth from 8 to 16 members on the two
    2-core machines measured, and little beyond: ``benchmarks/bench_audit.py``,
    section (a')).

    Parameters
    ----------
    keys : sequence
        Run identifiers (e.g. ``(arm, seed)``) of one fold, in a fixed order.
    max_members : int, default=16
        Largest group.

    Returns
    -------
    groups : list of list
        The keys, grouped.

    Examples
    --------
    >>> from sksoft._ensemble import ensemble_groups
    >>> [len(g) for g in ensemble_groups(range(30))]
    [15, 15]
    >>> [len(g) for g in ensemble_groups(range(70))]
    [12, 12, 12, 12, 11, 11]
    >>> [len(g) for g in ensemble_groups(range(30), max_members=8)]
    [8, 8, 7, 7]
    """
    keys = list(keys)
    if not isinstance(max_members, numbers.Integral) or max_members < 1:
        raise ValueError(f"max_members must be a positive int; got {max_members!r}.")
    if not keys:
        return []
    n_groups = -(-len(keys) // max_members)
    if 1 < n_groups < len(keys) and n_groups % 2:
        n_groups += 1  # two workers get equal shares (never an empty group)
    size, extra = divmod(len(keys), n_groups)  # the first `extra` get one more
    groups, start = [], 0
    for g in range(n_groups):
        stop = start + size + (g < extra)
        groups.append(keys[start:stop])
        start = stop
    return groups
