"""Shared, seeded fixtures for the sksoft test suite."""

import os
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

# One BLAS thread per test process: pytest runs with -n auto (one process per
# core), and oversubscribed BLAS threads make small fits tens of times slower.
threadpool_limits(1)
try:  # torch's own intra-op pool is not reached by threadpoolctl
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - torch is a core requirement
    pass

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"


def get_test_data_dir():
    """Folder with the real test data (``SKSOFT_TEST_DATA``, else ../shared/data)."""
    return Path(os.environ.get("SKSOFT_TEST_DATA", DEFAULT_DATA))


@pytest.fixture
def restored_environ():
    """Restore ``os.environ`` after the test.

    A Dask ``LocalCluster``'s nannies write their pre-spawn variables
    (``MALLOC_TRIM_THRESHOLD_``, ``OMP_NUM_THREADS``...) into this process's
    environment for good; processes started later by the same test process
    (joblib's workers) would inherit them.
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def data_dir():
    path = get_test_data_dir()
    if not path.is_dir():
        pytest.skip(
            f"real test data not found at {path}; set SKSOFT_TEST_DATA to the "
            "folder holding mnist/ and cifar10h/"
        )
    return path


@pytest.fixture(scope="session")
def cifar10h_dir(data_dir):
    path = data_dir / "cifar10h"
    if not (path / "cifar10h-counts.npy").exists():
        pytest.skip(f"CIFAR-10H files not found under {path}")
    return path


@pytest.fixture(scope="session")
def mnist_dir(data_dir):
    path = data_dir / "mnist"
    if not (path / "t10k-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST files not found under {path}")
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def small_X(rng):
    """120 x 6 float32 features."""
    return rng.normal(size=(120, 6)).astype(np.float32)


@pytest.fixture
def soft_y(rng):
    """120 x 3 soft targets from 6 simulated votes per row (simulated)."""
    p = rng.dirichlet(np.ones(3), size=120)
    counts = np.stack([rng.multinomial(6, row) for row in p])
    return counts / counts.sum(axis=1, keepdims=True)
