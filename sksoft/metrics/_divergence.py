"""Row-wise divergence kernels shared by the metrics and cartography.

Private, validation-free numpy kernels on ``(n, K)`` float arrays; the public,
validated functions live in :mod:`sksoft.metrics`.
"""

import numpy as np


def _xlogy_rows(p, q):
    """sum_k p_k log q_k per row with the convention 0 log q = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logq = np.log(q, where=p > 0, out=np.zeros(np.shape(q), dtype=np.float64))
    return np.einsum("ij,ij->i", p, logq)


def _kl_rows(p, q):
    """KL(p || q) per row, natural log; inf where q_k = 0 < p_k."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(p, where=p > 0, out=np.zeros(np.shape(p), dtype=np.float64))
        logq = np.log(q, where=p > 0, out=np.zeros(np.shape(q), dtype=np.float64))
    out = np.einsum("ij,ij->i", p, ratio - logq)
    return np.maximum(out, 0.0)


def _js_rows(p, q):
    """Jensen-Shannon divergence per row, natural log (bounded by log 2)."""
    m = 0.5 * (p + q)
    out = 0.5 * _kl_rows(p, m) + 0.5 * _kl_rows(q, m)
    return np.clip(out, 0.0, np.log(2.0))
