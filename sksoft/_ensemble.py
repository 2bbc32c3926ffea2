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
  member's. A plain ``torch.optim.Adam`` (the audit's) steps through the
  engine's Adam kernel (:mod:`sksoft._engine._optim`, the classifier's too),
  its CPU arithmetic without its bookkeeping; a fused optimizer is refused
  (its rounding depends on a tensor's length).

The draws, the module initialisation, the hold-out split, the optimizer and
the training loop live in the private engine :mod:`sksoft._engine`, which
the classifier uses as well. Nothing couples the members, so a run's result
does not depend on which other runs share its group (see ``dtype`` for the
rounding). This module is private: the audit calls it through :func:`ensemble_spec` and
:func:`fit_mlp_ensemble`.
"""

import numbers
import time

import numpy as np
import torch

from ._engine import (
    ELEMENTWISE_OPTIMIZERS,
    TrainOptions,
    check_dtype,
    check_ensemble_inputs,
    check_ensemble_options,
    make_optimizer,
    train_ensemble,
)
from .utils._threads import one_torch_thread

__all__ = [
    "ensemble_groups",
    "ensemble_spec",
    "fit_mlp_ensemble",
    "fit_predict_ensemble",
    "fit_predict_ensemble_rows",
]

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
    check_dtype(dtype)
    data = check_ensemble_inputs(
        X,
        targets,
        seeds,
        X_predict=X_predict,
        sample_weight=sample_weight,
        gold=gold,
        member_inputs=member_inputs,
        dtype=dtype,
    )
    options = TrainOptions(
        hidden_layer_sizes=hidden_layer_sizes,
        activation=activation,
        dropout=dropout,
        optimizer=optimizer,
        optimizer_params=dict(optimizer_params or {}),
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        label_smoothing=label_smoothing,
        train_split=train_split,
        dynamics=dynamics,
        storage=storage,
        quantities=quantities,
        dtype=dtype,
    )
    sizes = check_ensemble_options(options)
    options.max_epochs, options.batch_size = int(max_epochs), int(batch_size)
    options.dropout, options.label_smoothing = float(dropout), float(label_smoothing)
    with one_torch_thread():  # the same arithmetic in every worker
        return train_ensemble(data, options, sizes)


def _make_optimizer(optimizer, params, lr, optimizer_params):
    """The ensemble's optimizer (:func:`sksoft._engine._optim.make_optimizer`)."""
    return make_optimizer(optimizer, params, lr, optimizer_params, stacked=True)


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
    from .classifier import SoftLabelClassifier

    split = _split_pipeline(estimator)
    if split is None:
        return None
    preprocessor, net = split
    if type(net) is not SoftLabelClassifier:
        return None
    params = net.get_params(deep=False)
    if not (_has_required_defaults(params) and _has_batchable_components(params)):
        return None
    prefixed = _prefixed_params(params)
    if prefixed is None:
        return None
    module_kw, optimizer_kw = prefixed
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


def _split_pipeline(estimator):
    """``(preprocessor or None, net)``; None if a leading step may read ``y``."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    if not isinstance(estimator, Pipeline):
        return None, estimator
    *head, (_, net) = estimator.steps
    for _, step in head:
        if step not in (None, "passthrough") and (
            type(step).__name__ not in _Y_FREE_STEPS
            or not type(step).__module__.startswith("sklearn.preprocessing")
        ):
            return None
    return (clone(Pipeline(head)) if head else None), net


def _has_required_defaults(params):
    for key, value in _DEFAULTS_REQUIRED.items():
        current = params.get(key)
        if not (current is value or (isinstance(current, str) and current == value)):
            return False
    return True


def _has_batchable_components(params):
    """Default criterion, iterators and dataset, CPU, an element-wise optimizer."""
    from skorch.dataset import Dataset

    from .batching import SliceBatchIterator
    from .losses import SoftTargetCrossEntropyLoss

    optimizer, split = params["optimizer"], params["train_split"]
    return (
        params["criterion"] is SoftTargetCrossEntropyLoss
        and params["iterator_train"] is SliceBatchIterator
        and params["iterator_valid"] is SliceBatchIterator
        and params["dataset"] is Dataset
        and str(params["device"]) == "cpu"
        and isinstance(optimizer, type)
        and issubclass(optimizer, ELEMENTWISE_OPTIMIZERS)
        and (split is None or isinstance(split, float))
    )


def _prefixed_params(params):
    """The ``module__`` and ``optimizer__`` arguments; None for any other kind."""
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
    return module_kw, optimizer_kw


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
