"""One run of the audit: fit a clone on one arm's targets and predict (private).

:func:`fit_one` runs in a joblib worker; it pins torch to one thread and seeds
the estimator, so its result is the same under every backend and ``n_jobs``.
"""

import numbers
import time

import numpy as np
from sklearn.base import clone

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

    Returns ``(key, out)`` with ``out``: ``proba`` (test probabilities),
    ``fit_time``, ``history`` (loss curves of a skorch net, else None),
    ``dynamics`` (per-sample cartography statistics, else None) and
    ``calibration`` (the post-fit step's ``info``, else None).
    """
    import torch

    prev_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        est = clone(estimator)
        _seed_estimator(est, seed)
        # the torch generator is forked and seeded too, so that a module drawing
        # from torch's global generator is reproducible
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            out = _fit_predict(est, X, Y, train_idx, test_idx, gold_train, dynamics)
            out["calibration"] = None
            if calibration is not None:
                _post_fit(
                    out, calibration, estimator, X, Y, train_idx, gold_train, seed
                )
            return key, out
    finally:
        torch.set_num_threads(prev_threads)


def _post_fit(out, calibration, estimator, X, Y, train_idx, gold_train, seed):
    """Apply an arm's post-fit step to ``out["proba"]`` (inner fits: same seed)."""
    import torch

    calibrate, human_train, options = calibration

    def fit_predict(train, test):
        est = clone(estimator)
        _seed_estimator(est, seed)
        torch.manual_seed(seed)
        est.fit(X[train_idx[train]], Y[train])
        return np.asarray(est.predict_proba(X[train_idx[test]]), dtype=np.float64)

    start = time.perf_counter()
    post = calibrate(fit_predict, human_train, gold_train, options)
    out["fit_time"] += time.perf_counter() - start
    out["proba"] = np.asarray(post.apply(out["proba"]), dtype=np.float64)
    out["calibration"] = dict(post.info)


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
