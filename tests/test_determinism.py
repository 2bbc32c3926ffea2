"""A fit's randomness is its own: results do not depend on threads or backends.

Each test compares concurrent fits with serial fits of the same seeds; before
the fix, fits seeded and drew from torch's global generator, and threads
interleaved their draws (predicted probabilities differed by up to 0.4).
"""

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from joblib import Parallel, delayed, parallel_config
from sklearn.model_selection import GridSearchCV

from sksoft.classifier import (
    _GLOBAL_RNG_LOCK,
    GeneratorDropout,
    SoftLabelClassifier,
)

SEEDS = [0, 1, 0, 1]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(240, 6)).astype(np.float32)
    p = 1 / (1 + np.exp(-2 * (X[:, 0] - X[:, 1])))
    return X, np.column_stack([1 - p, p])


class _TorchDropoutNet(torch.nn.Module):
    """A user module with torch.nn.Dropout (draws from the global generator)."""

    def __init__(self, n_features=6, n_classes=2):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, 16),
            torch.nn.ReLU(),
            torch.nn.Dropout(0.3),
            torch.nn.Linear(16, n_classes),
        )

    def forward(self, X):
        return self.net(X)


def _fit_proba(X, y, seed, **params):
    kw = dict(max_epochs=6, batch_size=32, lr=0.01, module__dropout=0.3)
    kw.update(params)
    clf = SoftLabelClassifier(random_state=seed, **kw)
    return clf.fit(X, y).predict_proba(X)


def test_thread_pool_fits_equal_serial_fits(data):
    X, y = data
    serial = [_fit_proba(X, y, s) for s in SEEDS]
    assert np.abs(serial[0] - serial[1]).max() > 1e-3  # seeds matter
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(lambda s: _fit_proba(X, y, s), SEEDS))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


def test_joblib_threading_backend_equals_serial(data):
    X, y = data
    serial = [_fit_proba(X, y, s) for s in SEEDS]
    with parallel_config(backend="threading", n_jobs=2):
        threaded = Parallel()(delayed(_fit_proba)(X, y, s) for s in SEEDS)
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


def test_fit_neither_reads_nor_writes_global_generator(data):
    X, y = data
    torch.manual_seed(123)
    a = _fit_proba(X, y, 0)
    state = torch.random.get_rng_state()
    torch.manual_seed(456)  # a different global state gives the same fit
    b = _fit_proba(X, y, 0)
    np.testing.assert_array_equal(a, b)
    torch.manual_seed(123)
    _fit_proba(X, y, 0)
    assert torch.equal(torch.random.get_rng_state(), state)  # left untouched


def test_default_mlp_dropout_draws_from_the_fit_generator(data):
    X, y = data
    clf = SoftLabelClassifier(
        module__dropout=0.5, max_epochs=1, random_state=0, train_split=None
    ).fit(X, y)
    drops = [m for m in clf.module_.modules() if isinstance(m, GeneratorDropout)]
    assert len(drops) == 1 and drops[0].p == 0.5
    assert drops[0].generator is None  # released after fit
    # dropout is active in training: two seeds give different training
    other = SoftLabelClassifier(
        module__dropout=0.5, max_epochs=1, random_state=0, train_split=None
    )
    other.set_params(module__dropout=0.0)
    assert np.abs(clf.predict_proba(X) - other.fit(X, y).predict_proba(X)).max() > 0


def test_generator_dropout_matches_bernoulli_mask():
    g = torch.Generator().manual_seed(3)
    drop = GeneratorDropout(0.25)
    drop.generator = g
    x = torch.arange(1.0, 201.0)
    out = drop(x)
    mask = torch.empty(200).bernoulli_(0.75, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(out, x * mask / 0.75)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        GeneratorDropout(1.5)


def test_global_rng_module_fits_one_at_a_time_and_equal_serial(data):
    X, y = data

    def fit(seed):
        clf = SoftLabelClassifier(
            module=_TorchDropoutNet, max_epochs=6, batch_size=32, random_state=seed
        )
        return clf.fit(X, y).predict_proba(X)

    serial = [fit(s) for s in SEEDS]
    assert np.abs(serial[0] - serial[1]).max() > 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with ThreadPoolExecutor(4) as pool:
            threaded = list(pool.map(fit, SEEDS))
    for a, b in zip(serial, threaded):
        np.testing.assert_array_equal(a, b)


def test_waiting_for_the_global_rng_lock_warns(data):
    X, y = data
    caught = []

    def fit():
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            SoftLabelClassifier(
                module=_TorchDropoutNet, max_epochs=1, random_state=0
            ).fit(X, y)
        caught.extend(w)

    with _GLOBAL_RNG_LOCK:  # another fit holds the lock
        thread = threading.Thread(target=fit)
        thread.start()
        thread.join(timeout=0.5)
        assert thread.is_alive()  # waits for the lock
    thread.join()
    messages = [str(w.message) for w in caught]
    assert any("one at a time" in m and "_TorchDropoutNet" in m for m in messages)


def test_grid_search_threading_equals_serial(data):
    X, y = data
    y_hard = (y[:, 1] > 0.5).astype(int)
    grid = {"lr": [0.003, 0.03]}
    est = SoftLabelClassifier(
        max_epochs=4, batch_size=32, module__dropout=0.3, random_state=0
    )
    serial = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y_hard)
    with parallel_config(backend="threading"):
        threaded = GridSearchCV(est, grid, cv=3, n_jobs=2).fit(X, y_hard)
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_array_equal(
            serial.cv_results_[key], threaded.cv_results_[key]
        )


def test_dask_one_worker_two_threads_equals_serial(data, restored_environ):
    distributed = pytest.importorskip("distributed")
    X, y = data
    serial = [_fit_proba(X, y, s) for s in SEEDS]
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_config(backend="dask"),
    ):
        dasked = Parallel(n_jobs=2)(delayed(_fit_proba)(X, y, s) for s in SEEDS)
    for a, b in zip(serial, dasked):
        np.testing.assert_array_equal(a, b)


def test_run_audit_threading_equals_serial():
    from sksoft.audit import run_audit
    from sksoft.datasets import make_ambiguous_digits

    digits = make_ambiguous_digits(n_samples=200, random_state=0)
    kwargs = dict(arms=["gold", "human_soft"], seeds=[0, 1], max_epochs=2)
    serial = run_audit(digits.data, digits.target, digits.counts, n_jobs=1, **kwargs)
    with parallel_config(backend="threading"):
        threaded = run_audit(
            digits.data, digits.target, digits.counts, n_jobs=2, **kwargs
        )
    for a, b in zip(serial.runs, threaded.runs):
        assert (a["arm"], a["seed"]) == (b["arm"], b["seed"])
        np.testing.assert_array_equal(a["proba"], b["proba"])
