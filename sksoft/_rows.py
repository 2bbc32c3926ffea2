"""Row kernels shared by :mod:`sksoft.targets`, :mod:`sksoft.metrics` and cartography.

A declared shared private module: its names carry no underscore because other
sksoft modules import them, but it is not public API (no validation, no
stability promise). Every function takes ``(n, K)`` float arrays of
probability rows and returns one value per row, natural log, with the
convention ``0 log q = 0``. The public, validated functions live in
:mod:`sksoft.metrics` and :mod:`sksoft.targets`.
"""

import numpy as np

__all__ = ["entropy_rows", "js_rows", "kl_rows", "log_or_floor", "xlogy_rows"]

_TINY = np.finfo(np.float64).smallest_subnormal


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


def _log_or_floor(a):
    """``log(a)`` where ``a > 0``; a finite value where ``a == 0``.

    The floor is the smallest subnormal, below every positive float, so the
    positive entries keep their exact ``log`` while the whole array goes
    through the vectorised ``log`` (a ``where=`` mask makes numpy loop
    element by element).
    """
    return np.log(np.maximum(a, _TINY))


def log_or_floor(a):
    """``log(a)`` with 0 mapped to a finite floor, as :func:`js_rows` takes it.

    A caller that passes the same ``p`` to :func:`js_rows` many times (the
    targets of a training-dynamics recorder, once an epoch) computes it once
    and passes it as ``log_p``: the same numbers, one ``log`` fewer per call.
    """
    return _log_or_floor(np.asarray(a, dtype=np.float64))


def js_rows(p, q, log_p=None):
    """Jensen-Shannon divergence per row, natural log (bounded by log 2).

    ``log_p``, if given, is ``log_or_floor(p)`` (computed once by a caller
    that reuses ``p``); the result is the same bits.
    """
    m = 0.5 * (p + q)
    # KL(p || m) + KL(q || m) with log m computed once: the same numbers as
    # kl_rows (a zero p_k or q_k multiplies a finite log, adding exactly 0)
    log_m = _log_or_floor(m)
    if log_p is None:
        log_p = _log_or_floor(p)
    kl_p = np.maximum(np.einsum("ij,ij->i", p, log_p - log_m), 0.0)
    kl_q = np.maximum(np.einsum("ij,ij->i", q, _log_or_floor(q) - log_m), 0.0)
    return np.clip(0.5 * kl_p + 0.5 * kl_q, 0.0, np.log(2.0))


def entropy_rows(p):
    """Natural-log entropy of each row, 0 log 0 = 0 (no validation)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(p, where=p > 0, out=np.zeros_like(p, dtype=np.float64))
    return -np.einsum("ij,ij->i", p, logp)
