"""The audit's runs in a joblib worker: one fit, or one batched group (private).

:func:`fit_one` fits a clone of the estimator for one run; :func:`fit_group`
trains the runs of one group together as a batched ensemble
(:func:`sksoft._ensemble.fit_predict_ensemble`), for estimators that
:func:`sksoft._ensemble.ensemble_spec` can batch; :func:`fit_inner` and
:func:`fit_inner_group` do the same for the inner fits of a post-fit step. All
run with one torch thread and draw only from generators seeded by the run's
seed, so their results are the same under every joblib backend (processes or
threads), every ``n_jobs`` and every grouping. All return a list of
``(key, out)`` pairs.
"""

import numbers
import time
import warnings
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.base import clone

from .._ensemble import fit_predict_ensemble, fit_predict_ensemble_rows
from ..classifier import _GLOBAL_RNG_LOCK, SoftLabelClassifier
from ..utils._threads import one_torch_thread
from ._estimators import DYNAMICS_CALLBACK, attach_dynamics, find_net


def _seed_estimator(est, seed):
    """Set every ``random_state`` (nested ones too) that is None or an int."""
    seeded = {
        key: seed
        for key, value in est.get_params(deep=True).items()
        if (key == "random_state" or key.endswith("__random_state"))
        and not key.startswith("callbacks__")
        and (value is None or isinstance(value, numbers.Integral))
    }
    est.set_params(**seeded)


@contextmanager
def _seeded_global_rng(est, seed):
    """Seed torch's global generator for a skorch net that may draw from it.

    A :class:`~sksoft.SoftLabelClassifier` owns its randomness (and seeds and
    locks the global generator itself where a module needs it); estimators
    without a skorch net draw nothing from torch. Any other skorch net may draw
    its initialisation and dropout from torch's global generator: it is fitted
    with that generator forked and seeded from the run's seed, holding the
    process-wide lock of the classifier, so that fits in threads of one process
    run one at a time instead of interleaving their draws.
    """
    net, _ = find_net(est)
    if net is None or isinstance(net, SoftLabelClassifier):
        yield
        return
    if not _GLOBAL_RNG_LOCK.acquire(blocking=False):
        warnings.warn(
            f"the audit's {type(net).__name__} runs draw from torch's global "
            "random generator, and another run in a thread of this process is "
            "using it: the runs wait for each other (one at a time), which keeps "
            "them reproducible. Use a process-based joblib backend (loky, or "
            "Dask workers with threads_per_worker=1) to run them in parallel.",
            UserWarning,
            stacklevel=3,
        )
        _GLOBAL_RNG_LOCK.acquire()
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        _GLOBAL_RNG_LOCK.release()


def fit_one(
    key,
    estimator,
    X,
    Y,
    train_idx,
    test_idx,
    gold_train,
    seed,
    dynamics,
    calibration=None,
):
    """Fit one clone on ``X[train_idx]`` with targets ``Y``; predict the test rows.

    ``calibration`` is ``(calibrate, human_train, options)`` for an arm with a
    post-fit step (:attr:`sksoft.sources.ArmSpec.calibrate`), else None: the
    step is applied to the test probabilities after the fit.

    Returns ``[(key, out)]`` with ``out``: ``proba`` (test probabilities),
    ``fit_time``, ``history`` (loss curves of a skorch net, else None),
    ``dynamics`` (per-sample cartography statistics, else None) and
    ``calibration`` (the post-fit step's ``info``, else None).
    """
    with one_torch_thread():
        est = clone(estimator)
        _seed_estimator(est, seed)
        with _seeded_global_rng(est, seed):
            out = _fit_predict(est, X, Y, train_idx, test_idx, gold_train, dynamics)
        out["calibration"] = None
        if calibration is not None:
            post_fit(out, calibration, estimator, X, Y, train_idx, gold_train, seed)
    return [(key, out)]


def post_fit(
    out, calibration, estimator, X, Y, train_idx, gold_train, seed, inner=None
):
    """Apply an arm's post-fit step to ``out["proba"]`` (inner fits: same seed).

    ``inner``: predictions of inner fits made in advance (batched), as
    ``{(train.tobytes(), test.tobytes()): (proba, fit_time)}``; an inner fit
    not in it is fitted here, a clone with the run's seed.
    """
    calibrate, human_train, options = calibration
    inner = {} if inner is None else inner
    inner_time = 0.0

    def fit_predict(train, test):
        nonlocal inner_time
        train = np.asarray(train, dtype=np.int64)
        test = np.asarray(test, dtype=np.int64)
        done = inner.get((train.tobytes(), test.tobytes()))
        if done is not None:
            inner_time += done[1]
            return done[0]
        return _inner_fit_predict(
            estimator, X, Y[train], train_idx[train], train_idx[test], seed
        )

    start = time.perf_counter()
    post = calibrate(fit_predict, human_train, gold_train, options)
    out["fit_time"] += time.perf_counter() - start + inner_time
    out["proba"] = np.asarray(post.apply(out["proba"]), dtype=np.float64)
    out["calibration"] = dict(post.info)


def _inner_fit_predict(estimator, X, Y, rows, predict_rows, seed):
    """A clone seeded with ``seed``, fitted on ``X[rows]``, ``Y``; its probabilities."""
    est = clone(estimator)
    _seed_estimator(est, seed)
    with _seeded_global_rng(est, seed):
        est.fit(X[rows], Y)
        proba = est.predict_proba(X[predict_rows])
    return np.asarray(proba, dtype=np.float64)


def fit_inner(key, estimator, X, Y, rows, predict_rows, seed):
    """One inner fit of a post-fit step (no recorder): ``[(key, out)]``.

    ``out`` holds ``proba`` (the probabilities of ``X[predict_rows]`` from a
    clone seeded with ``seed`` and fitted on ``X[rows]``, ``Y``) and
    ``fit_time``: what :func:`post_fit` computes for an inner fit it is not
    served.
    """
    with one_torch_thread():
        start = time.perf_counter()
        proba = _inner_fit_predict(estimator, X, Y, rows, predict_rows, seed)
    return [(key, {"proba": proba, "fit_time": time.perf_counter() - start})]


def fit_group(keys, spec, X, targets, train_idx, test_idx, gold_train, seeds, dynamics):
    """Train the runs ``keys`` (targets, seeds) of one fold as one batched ensemble.

    Each run's output is what :func:`fit_one` returns for it (the equivalent
    plain fit with the same seed; ``fit_time`` is the run's share of the
    group's wall time). Returns ``[(key, out)]`` in the order of ``keys``.
    """
    with one_torch_thread():
        outs = fit_predict_ensemble(
            spec,
            X[train_idx],
            X[test_idx],
            targets,
            seeds,
            gold=gold_train,
            dynamics=dynamics,
        )
    for out in outs:
        out["calibration"] = None
    return list(zip(keys, outs))


def fit_inner_group(keys, spec, X, train_rows, predict_rows, targets, seeds):
    """Train the inner fits ``keys`` (rows of their own) as one batched ensemble.

    Each fit's output is what :func:`fit_inner` returns for it (the
    equivalent plain fit with the same seed, on ``X[train_rows[m]]``,
    predicting ``X[predict_rows[m]]``); the fits may come from different inner
    splits (:func:`sksoft._ensemble.fit_predict_ensemble_rows`). Returns
    ``[(key, out)]`` in the order of ``keys``.
    """
    with one_torch_thread():
        outs = fit_predict_ensemble_rows(
            spec, X, train_rows, predict_rows, targets, seeds
        )
    return list(zip(keys, outs))


def _fit_predict(est, X, Y, train_idx, test_idx, gold_train, dynamics):
    """Fit ``est`` (with the dynamics recorder when it is a net) and predict."""
    recording = dynamics and attach_dynamics(est, gold_train)
    start = time.perf_counter()
    est.fit(X[train_idx], Y)
    fit_time = time.perf_counter() - start
    proba = np.asarray(est.predict_proba(X[test_idx]), dtype=np.float64)
    out = {"proba": proba, "fit_time": fit_time, "history": None, "dynamics": None}
    net, _ = find_net(est)
    if net is not None:
        out["history"] = _loss_curves(net)
        if recording:
            out["dynamics"] = _dynamics_statistics(net)
    return out


def _loss_curves(net):
    hist = net.history_ if hasattr(net, "history_") else net.history
    return {
        key: [float(v) for v in hist[:, key]]
        for key in ("train_loss", "valid_loss")
        if len(hist) and key in hist[-1]
    }


def _dynamics_statistics(net):
    stats = dict(net.callbacks_)[DYNAMICS_CALLBACK].get_statistics()
    return {
        key: np.asarray(stats[key], dtype=np.float64)
        for key in ("confidence", "variability", "correctness")
    }
