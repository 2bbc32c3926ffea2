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

#: seeds of the ``global_random_seed`` fixture when the variable is not set
DEFAULT_RANDOM_SEED = 0


def parse_random_seeds(value):
    """The seeds named by ``SKSOFT_TESTS_GLOBAL_RANDOM_SEED``.

    Unset or empty: ``[DEFAULT_RANDOM_SEED]``; ``"all"``: 0 to 99; ``"3"``: one
    seed; ``"5-9"``: 5 to 9 (inclusive); ``"1,4,7"``: those seeds. As
    scikit-learn's ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED``.
    """
    value = (value or "").strip()
    if not value:
        return [DEFAULT_RANDOM_SEED]
    if value == "all":
        return list(range(100))
    try:
        if "-" in value:
            start, stop = (int(v) for v in value.split("-"))
            seeds = list(range(start, stop + 1))
        else:
            seeds = [int(v) for v in value.split(",")]
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        raise ValueError(
            "SKSOFT_TESTS_GLOBAL_RANDOM_SEED must be 'all', a seed, a range "
            f"'a-b' or a comma list of seeds >= 0; got {value!r}"
        )
    return seeds


RANDOM_SEEDS = parse_random_seeds(os.environ.get("SKSOFT_TESTS_GLOBAL_RANDOM_SEED"))


def pytest_generate_tests(metafunc):
    """Run every test taking ``global_random_seed`` once per configured seed.

    A test whose result depends on a seed (a statistical bound, a property of
    random data) asks for ``global_random_seed`` instead of a fixed seed; its
    assertions must hold for every seed. The default run uses one seed; a
    sweep, ``SKSOFT_TESTS_GLOBAL_RANDOM_SEED=all python -m pytest -k ...``,
    checks them all (as scikit-learn's ``global_random_seed``).
    """
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", RANDOM_SEEDS)


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
