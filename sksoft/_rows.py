"""Row kernels shared by :mod:`sksoft.targets`, :mod:`sksoft.metrics` and cartography.

A declared shared private module: its names carry no underscore because other
sksoft modules import them, but it is not public API (no validation, no
stability promise). Every function takes ``(n, K)`` float arrays of
probability rows and returns one value per row, natural log, with the
convention ``0 log q = 0``. The public, validated functions live in
:mod:`sksoft.metrics` and :mod:`sksoft.targets`.
"""

import numpy as np

__all__ = ["entropy_rows", "js_rows", "kl_rows", "xlogy_rows"]


def xlogy_rows(p, q):
    """sum_k p_k log q_k per row with the convention 0 log q = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logq = np.log(q, where=p > 0, out=np.zeros(np.shape(q), dtype=np.float64))
    return np.einsum("ij,ij->i", p, logq)


def kl_rows(p, q):
    """KL(p || q) per row, natural log; inf where q_k = 0 < p_k."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(p, where=p > 0, out=np.zeros(np.shape(p), dtype=np.float64))
        logq = np.log(q, where=p > 0, out=np.zeros(np.shape(q), dtype=np.float64))
    out = np.einsum("ij,ij->i", p, ratio - logq)
    return np.maximum(out, 0.0)


def js_rows(p, q):
    """Jensen-Shannon divergence per row, natural log (bounded by log 2)."""
    m = 0.5 * (p + q)
    out = 0.5 * kl_rows(p, m) + 0.5 * kl_rows(q, m)
    return np.clip(out, 0.0, np.log(2.0))


def entropy_rows(p):
    """Natural-log entropy of each row, 0 log 0 = 0 (no validation)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(p, where=p > 0, out=np.zeros_like(p, dtype=np.float64))
    return -np.einsum("ij,ij->i", p, logp)
