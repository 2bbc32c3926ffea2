"""Numpy kernels of dataset cartography, shared by callbacks and cartography.

A declared shared private module (below both :mod:`sksoft.callbacks` and
:mod:`sksoft.cartography`, importing neither): its names carry no underscore
because those modules import them, but it is not public API. It holds the
per-sample quantities of one epoch, the accumulator of per-epoch records (full
history or streaming Welford sums) and the statistics built from them. It
imports numpy, sklearn's ``Bunch`` and :mod:`sksoft._rows` only.
"""

import numpy as np
from sklearn.utils import Bunch

from ._rows import js_rows

__all__ = [
    "HISTORY_KEYS",
    "DynamicsAccumulator",
    "assemble_statistics",
    "forgetting_counts",
    "gold_quantities",
    "per_sample_quantities",
    "statistics_from_history",
]

#: Per-epoch quantities recorded for every sample.
HISTORY_KEYS = ("gold_proba", "correct", "target_proba", "js_divergence")


def gold_quantities(proba, gold):
    """Per-row gold probability and correctness (the data map's own).

    ``proba`` are ``(m, K)`` probability rows, ``gold`` the ``(m,)`` gold
    column positions. Correctness uses ``argmax`` (ties to the first class),
    as the reference does.
    """
    gold_proba = proba[np.arange(proba.shape[0]), gold]
    return gold_proba, np.argmax(proba, axis=1) == gold


def per_sample_quantities(proba, targets, gold, log_targets=None):
    """Per-row gold probability, correctness, expected target proba and JS.

    ``proba`` and ``targets`` are ``(m, K)`` probability rows, ``gold`` the
    ``(m,)`` gold column positions (see :func:`gold_quantities`).
    ``log_targets``, if given, is ``log_or_floor(targets)`` (fixed over a fit,
    so a recorder computes it once): the same numbers, one ``log`` fewer.
    """
    gold_proba, correct = gold_quantities(proba, gold)
    target_proba = np.einsum("ij,ij->i", targets, proba)
    js = js_rows(targets, proba, log_p=log_targets)
    return gold_proba, correct, target_proba, js


def forgetting_counts(correct_history):
    """Correct-to-wrong transitions per column of a (E, n) 0/1/nan history."""
    n = correct_history.shape[1]
    learnt = np.zeros(n, dtype=bool)
    forgotten = np.zeros(n, dtype=np.int64)
    for row in correct_history:
        seen = ~np.isnan(row)
        now = row == 1.0
        forgotten += seen & learnt & ~now
        learnt = np.where(seen, now, learnt)
    return forgotten


def assemble_statistics(
    count, conf, var, correct_count, forgotten, tconf, tvar, js_mean
):
    """Assemble the statistics Bunch (nan where a sample was never seen)."""
    seen = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        correctness = np.where(seen, correct_count / np.maximum(count, 1), np.nan)
    forget = forgotten.astype(np.float64)
    forget[seen & (correct_count == 0)] = np.inf
    forget[~seen] = np.nan
    out = Bunch(
        confidence=conf,
        variability=var,
        correctness=correctness,
        forgetfulness=forget,
        target_confidence=tconf,
        target_variability=tvar,
        js_divergence=js_mean,
        n_epochs=count.astype(np.int64),
    )
    for key in (
        "confidence",
        "variability",
        "target_confidence",
        "target_variability",
        "js_divergence",
    ):
        out[key] = np.where(seen, out[key], np.nan)
    return out


def statistics_from_history(history):
    """Statistics from ``(E, n)`` histories with ``nan`` where unobserved."""
    gold = history["gold_proba"]
    seen = ~np.isnan(gold)
    count = seen.sum(axis=0)
    safe = np.maximum(count, 1)

    def mean_std(a):
        filled = np.where(seen, a, 0.0)
        mean = filled.sum(axis=0) / safe
        dev = np.where(seen, a - mean, 0.0)
        return mean, np.sqrt((dev**2).sum(axis=0) / safe)

    conf, var = mean_std(gold)
    tconf, tvar = mean_std(history["target_proba"])
    js_mean = np.where(seen, history["js_divergence"], 0.0).sum(axis=0) / safe
    correct_count = np.where(seen, history["correct"], 0.0).sum(axis=0)
    forgotten = forgetting_counts(history["correct"])
    return assemble_statistics(
        count, conf, var, correct_count, forgotten, tconf, tvar, js_mean
    )


class DynamicsAccumulator:
    """Per-epoch records of training dynamics, full history or streaming.

    ``full=True`` keeps one ``(n,)`` row per epoch and quantity; ``full=False``
    keeps O(n) running sums: Welford's running mean and sum of squared
    deviations for the gold and expected target probabilities, the sums of JS
    divergence and correct epochs, the last correctness and the forgetting
    count.
    """

    def __init__(self, n, *, full):
        self.n = n
        self.full = full
        if full:
            self._rows = {k: [] for k in HISTORY_KEYS}
            self._cur = None
        else:
            self.count = np.zeros(n, dtype=np.int64)
            self.correct_count = np.zeros(n, dtype=np.int64)
            self.forgotten = np.zeros(n, dtype=np.int64)
            self.learnt = np.zeros(n, dtype=bool)
            self.gold_mean = np.zeros(n)
            self.gold_m2 = np.zeros(n)
            self.target_mean = np.zeros(n)
            self.target_m2 = np.zeros(n)
            self.js_sum = np.zeros(n)

    def begin_epoch(self):
        if self.full:
            self._cur = {k: np.full(self.n, np.nan) for k in HISTORY_KEYS}

    def end_epoch(self):
        if self.full:
            for k in HISTORY_KEYS:
                self._rows[k].append(self._cur[k])
            self._cur = None

    @staticmethod
    def _welford(idx, c, x, mean, m2):
        old = mean[idx]
        delta = x - old
        new = old + delta / c
        m2[idx] += delta * (x - new)
        mean[idx] = new

    def update(self, idx, gold_proba, correct, target_proba, js):
        """Record one observation for each (unique) row position in ``idx``."""
        if self.full:
            cur = self._cur
            cur["gold_proba"][idx] = gold_proba
            cur["correct"][idx] = correct
            cur["target_proba"][idx] = target_proba
            cur["js_divergence"][idx] = js
            return
        c = self.count[idx] + 1
        self.count[idx] = c
        self._welford(idx, c, gold_proba, self.gold_mean, self.gold_m2)
        self._welford(idx, c, target_proba, self.target_mean, self.target_m2)
        self.js_sum[idx] += js
        self.correct_count[idx] += correct
        self.forgotten[idx] += self.learnt[idx] & ~correct
        self.learnt[idx] = correct

    def history(self):
        if not self.full:
            raise AttributeError("no history is kept in streaming storage")
        if not self._rows["gold_proba"]:
            return {k: np.empty((0, self.n)) for k in HISTORY_KEYS}
        return {k: np.vstack(v) for k, v in self._rows.items()}

    def statistics(self):
        if self.full:
            return statistics_from_history(self.history())
        safe = np.maximum(self.count, 1)
        return assemble_statistics(
            self.count,
            self.gold_mean.copy(),
            np.sqrt(self.gold_m2 / safe),
            self.correct_count,
            self.forgotten,
            self.target_mean.copy(),
            np.sqrt(self.target_m2 / safe),
            self.js_sum / safe,
        )

    def nbytes(self):
        if self.full:
            per = sum(a.nbytes for v in self._rows.values() for a in v)
            return per + (sum(a.nbytes for a in self._cur.values()) if self._cur else 0)
        return sum(
            a.nbytes
            for a in (
                self.count,
                self.correct_count,
                self.forgotten,
                self.learnt,
                self.gold_mean,
                self.gold_m2,
                self.target_mean,
                self.target_m2,
                self.js_sum,
            )
        )
