"""Tests of sksoft.metrics._validation: the fast probability check decides
exactly as sksoft.targets.check_probabilities."""

import warnings

import numpy as np
import pytest

from sksoft.metrics._validation import _check_proba_fast, check_pair
from sksoft.targets import check_probabilities


def _outcome(func, p):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = func(p)
        except ValueError as exc:
            return ("error", str(exc))
    return ("ok", out.tobytes(), [str(w.message) for w in caught])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_check_decides_as_check_probabilities(dtype):
    """Rows off by just under, at and just over the tolerances (1e-6 / 1e-4
    and the 1e-4 renormalisation band), NaN, inf, negative and -0.0 entries,
    in the first, a middle and the last block."""
    rng = np.random.default_rng(0)
    tol = 1e-6 if dtype == np.float64 else 1e-4
    n, k = 40_000, 10  # several blocks of the fast check
    base = rng.dirichlet(np.ones(k), size=n).astype(dtype)
    base /= base.sum(axis=1, keepdims=True)
    cases = []
    for off in (0.5 * tol, tol, 1.01 * tol, 5e-5, 1e-4, 2e-4):
        for sign in (1, -1):
            cases.append(("off", sign * off))
    cases += [("nan", np.nan), ("inf", np.inf), ("neg", -0.1), ("negzero", -0.0)]
    for row in (0, n // 2, n - 1):
        for kind, value in cases:
            p = base.copy()
            if kind == "off":
                p[row, 0] += dtype(value)
            elif kind == "neg":
                p[row, 0], p[row, 1] = value, p[row, 1] + p[row, 0] - value
            else:
                p[row, 0] = value
            assert _outcome(_check_proba_fast, p) == _outcome(check_probabilities, p), (
                kind,
                value,
                row,
            )


def test_fast_check_does_not_copy():
    p = np.random.default_rng(1).dirichlet(np.ones(4), size=1000)
    assert _check_proba_fast(p) is p
    assert check_pair(np.argmax(p, axis=1), p).proba is p


def test_integer_labels_become_intp():
    p = np.full((4, 2), 0.5)
    for dtype in (np.uint8, np.int32, np.uint64, np.int64):
        pair = check_pair(np.array([0, 1, 1, 0], dtype=dtype), p)
        assert pair.y_idx.dtype == np.intp
        np.testing.assert_array_equal(pair.y_idx, [0, 1, 1, 0])
