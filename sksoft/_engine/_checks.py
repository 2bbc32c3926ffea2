"""Input checks of the batched trainer (:func:`sksoft._ensemble.fit_mlp_ensemble`).

Each check takes one argument (and what it is checked against) and returns
it converted; :func:`check_ensemble_inputs` runs them in order and
:func:`check_ensemble_options` checks the training options.
"""

import numbers
from dataclasses import dataclass

import numpy as np

from ..targets import check_soft_targets
from ._modules import ACTIVATIONS
from ._optim import ELEMENTWISE_OPTIMIZERS

__all__ = [
    "EnsembleInputs",
    "check_ensemble_inputs",
    "check_ensemble_options",
    "check_matrix",
]

DTYPES = ("float32", "float64")
DYNAMICS = (None, "train", "eval")
STORAGES = ("streaming", "full")
QUANTITIES = ("all", "cartography")


@dataclass
class EnsembleInputs:
    """The checked inputs of one batched fit (see ``fit_mlp_ensemble``)."""

    X: np.ndarray  # (n, d) or (S, n, d), in the training dtype
    Ys: list  # M float64 (n, K) probability matrices
    seeds: list  # M ints
    X_predict: np.ndarray | None
    weights: list | None  # M (n,) float64 vectors of mean 1
    golds: list | None  # M (n,) int64 vectors
    inputs: np.ndarray | None  # (M,) int64 matrices of a 3-D X

    @property
    def shape(self):
        """``(M, n, d, K)``."""
        n, d = self.X.shape[-2:]
        return len(self.Ys), n, d, self.Ys[0].shape[1]


def check_matrix(name, A, ndim, dtype=np.float64):
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


def _check_X(X, dtype):
    X = np.asarray(X)
    if X.ndim not in (2, 3):
        raise ValueError(
            "X must be 2-D (n_samples, n_features), or 3-D with one matrix per "
            f"set of members (see member_inputs); got shape {X.shape}."
        )
    X = check_matrix("X", X, X.ndim, dtype)
    if X.shape[-2] == 0 or X.shape[-1] == 0:
        raise ValueError(f"X must have at least one row and one column; got {X.shape}.")
    return X


def _check_target_list(targets):
    if isinstance(targets, np.ndarray) and targets.ndim == 2:
        raise ValueError(
            "targets must be a sequence of (n_samples, n_classes) matrices, one "
            "per member (or an array of shape (n_members, n_samples, n_classes))."
        )
    Ys = [check_matrix(f"targets[{m}]", Y, 2) for m, Y in enumerate(targets)]
    if not Ys:
        raise ValueError("targets is empty: give at least one member.")
    return Ys


def _check_member_inputs(member_inputs, X, M):
    """Each member's matrix of a 3-D ``X`` (``None`` for a 2-D one)."""
    if member_inputs is None:
        if X.ndim == 3 and X.shape[0] != M:
            raise ValueError(
                f"X of shape {X.shape} gives inputs for {X.shape[0]} members; "
                f"targets has {M} (or give member_inputs)."
            )
        return np.arange(M, dtype=np.int64) if X.ndim == 3 else None
    if X.ndim != 3:
        raise ValueError(
            "member_inputs needs X of shape (n_matrices, n_samples, "
            f"n_features); got X of shape {X.shape}."
        )
    inputs = np.asarray(member_inputs)
    if (
        inputs.shape != (M,)
        or inputs.dtype.kind not in "iu"
        or (inputs < 0).any()
        or (inputs >= X.shape[0]).any()
    ):
        raise ValueError(
            f"member_inputs must give each of the {M} members a matrix "
            f"of X in [0, {X.shape[0]}); got {member_inputs!r}."
        )
    return inputs.astype(np.int64)


def _check_target_values(Ys, n):
    K = Ys[0].shape[1]
    for m, Y in enumerate(Ys):
        if Y.shape != (n, K):
            raise ValueError(
                f"targets[{m}] has shape {Y.shape}; expected ({n}, {K}) "
                "(every member needs the rows of X and the same classes)."
            )
    Ys = [check_soft_targets(Y, input_name=f"targets[{m}]") for m, Y in enumerate(Ys)]
    if K < 2:
        raise ValueError(f"targets need at least 2 classes; got {K}.")
    return Ys


def _check_seeds(seeds, M):
    seeds = list(seeds)
    if len(seeds) != M or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in seeds
    ):
        raise ValueError(f"seeds must be {M} integers, one per member; got {seeds!r}.")
    return [int(s) for s in seeds]


def _check_X_predict(X_predict, X, M, dtype):
    if X_predict is None:
        return None
    X_predict = np.asarray(X_predict)
    X_predict = check_matrix(
        "X_predict", X_predict, 3 if X_predict.ndim == 3 else 2, dtype
    )
    d = X.shape[-1]
    if X_predict.shape[-1] != d:
        raise ValueError(f"X_predict has {X_predict.shape[-1]} features; X has {d}.")
    want = M if X.ndim == 2 else X.shape[0]
    if X_predict.ndim == 3 and X_predict.shape[0] != want:
        raise ValueError(
            f"X_predict of shape {X_predict.shape} gives rows for "
            f"{X_predict.shape[0]} members or matrices of X; expected {want}."
        )
    return X_predict


def _check_one_weight(m, w, n):
    w = check_matrix(f"sample_weight[{m}]", np.ones(n) if w is None else w, 1)
    if w.shape != (n,):
        raise ValueError(f"sample_weight[{m}] must have shape ({n},).")
    if (w < 0).any() or not w.any():
        raise ValueError(f"sample_weight[{m}] must be non-negative and not all zero.")
    return w / w.mean()


def _check_weights(sample_weight, M, n):
    if sample_weight is None:
        return None
    sws = list(sample_weight)
    if len(sws) != M:
        raise ValueError(
            f"sample_weight must give one weight vector per member ({M}); "
            f"got {len(sws)}."
        )
    return [_check_one_weight(m, w, n) for m, w in enumerate(sws)]


def _check_golds(gold, M, n, K):
    if gold is None:
        return None
    gold = np.asarray(gold)
    golds = [gold] * M if gold.ndim == 1 else list(gold)
    for g in golds:
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
    return [np.asarray(g, dtype=np.int64) for g in golds]


def check_ensemble_inputs(
    X, targets, seeds, *, X_predict, sample_weight, gold, member_inputs, dtype
):
    """Validated inputs; ``X`` and ``X_predict`` in the training ``dtype``.

    The inputs are converted once, to the arithmetic's own dtype (the values
    the training would cast them to), so a float32 ``X`` is not copied.
    """
    X = _check_X(X, dtype)
    Ys = _check_target_list(targets)
    M, n = len(Ys), X.shape[-2]
    inputs = _check_member_inputs(member_inputs, X, M)
    Ys = _check_target_values(Ys, n)
    return EnsembleInputs(
        X=X,
        Ys=Ys,
        seeds=_check_seeds(seeds, M),
        X_predict=_check_X_predict(X_predict, X, M, dtype),
        weights=_check_weights(sample_weight, M, n),
        golds=_check_golds(gold, M, n, Ys[0].shape[1]),
        inputs=inputs,
    )


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}.")


def _check_optimizer(optimizer, optimizer_params):
    if not (
        isinstance(optimizer, type) and issubclass(optimizer, ELEMENTWISE_OPTIMIZERS)
    ):
        raise ValueError(
            f"optimizer must be one of {[o.__name__ for o in ELEMENTWISE_OPTIMIZERS]}"
            f" (element-wise updates); got {optimizer!r}."
        )
    if (optimizer_params or {}).get("fused"):
        raise ValueError(
            "optimizer_params fused=True is not supported: torch's fused kernels "
            "round a tensor's last elements differently, so a member's numbers "
            "would depend on the group's size."
        )


def _check_sizes(hidden_layer_sizes):
    sizes = (
        (hidden_layer_sizes,)
        if isinstance(hidden_layer_sizes, int)
        else tuple(hidden_layer_sizes)
    )
    if any(not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be positive ints; got {sizes!r}.")
    return sizes


def _check_ranges(dropout, label_smoothing, train_split):
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing!r}.")
    if train_split is not None and not 0.0 < train_split < 1.0:
        raise ValueError(f"train_split must be None or in (0, 1); got {train_split!r}.")


def _check_counts(max_epochs, batch_size):
    if not isinstance(max_epochs, numbers.Integral) or max_epochs < 0:
        raise ValueError(f"max_epochs must be a non-negative int; got {max_epochs!r}.")
    if batch_size != -1 and (
        not isinstance(batch_size, numbers.Integral) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be a positive int or -1; got {batch_size!r}."
        )


def check_dtype(dtype):
    """A clear error for a training dtype other than float32 / float64."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {sorted(DTYPES)}; got {dtype!r}.")


def check_ensemble_options(o):
    """Check the training options ``o`` (a ``TrainOptions``); the layer sizes."""
    _check_choice("dynamics", o.dynamics, DYNAMICS)
    _check_choice("storage", o.storage, STORAGES)
    _check_choice("quantities", o.quantities, QUANTITIES)
    if o.activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}; got {o.activation!r}."
        )
    _check_optimizer(o.optimizer, o.optimizer_params)
    sizes = _check_sizes(o.hidden_layer_sizes)
    _check_ranges(o.dropout, o.label_smoothing, o.train_split)
    _check_counts(o.max_epochs, o.batch_size)
    return sizes
