"""``AuditResult``: what :func:`~sksoft.audit.run_audit` returns (private module).

The over-seed statistics (summary, effects, spreads, loss-curve spreads) are
computed once, when the result is built, and read by the report and the
figures; the methods return copies.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from ._metrics import METRICS
from ._report import write_report
from ._stats import curve_spread, paired_difference, seed_mean_std, spread_ratio
from ._stats import verdict as _verdict


@dataclass(repr=False, eq=False)
class AuditResult:
    """Outcome of :func:`run_audit`.

    Attributes
    ----------
    arms : list of str
        Arms in report order.
    seeds : list of int
        Seeds, one model per arm and seed (and fold).
    reference : str
        The arm every other arm is compared with (``"gold"``, or
        ``"human_mode"`` when no gold labels were given).
    classes : ndarray of shape (n_classes,)
        Class labels in column order.
    test_index : ndarray of shape (n_test,)
        Rows of ``X`` the metrics are computed on (held-out rows, or every row
        with cross-validation: out-of-fold predictions).
    gold_test : ndarray of shape (n_test,) or None
        Gold labels of the test rows as column positions.
    human_test : ndarray of shape (n_test, n_classes)
        Human soft labels of the test rows.
    hard_mask : ndarray of shape (n_test,), dtype bool
        Hard test samples: :func:`sksoft.targets.hard_sample_mask` of
        ``human_test`` with ``hard_fraction``.
    gold : ndarray of shape (n_samples,) or None
        Gold labels of every row as column positions.
    human : ndarray of shape (n_samples, n_classes)
        Human soft labels of every row.
    mode_shift : ndarray of shape (n_samples,), dtype bool
        Rows whose human mode (argmax, ties to the first class) differs from
        the gold label (all False without gold labels).
    folds : list of (ndarray, ndarray)
        ``(train_index, test_index)`` of every fold.
    runs : list of dict
        One record per arm and seed, in arm then seed order: ``arm``, ``seed``,
        ``proba`` (``(n_test, n_classes)`` out-of-fold test probabilities),
        ``metrics`` (name -> float, see ``sksoft.audit.METRICS``), ``history``
        (per fold: ``{"train_loss": [...]}`` or None), ``dynamics`` (per fold:
        per-sample ``confidence``, ``variability``, ``correctness`` of the
        training rows of that fold, or None), ``fit_time`` (seconds, summed
        over folds).
    scores : dict of str to ndarray of shape (n_arms, n_seeds)
        Every metric, arm by seed.
    params : dict
        The settings of the audit (hard_fraction, test_size, cv, n_bins,
        confidence, estimator repr, ...).
    provenance : dict
        What the data is: ``dataset``, ``licence``, ``labels`` (human or
        simulated), as given to :func:`run_audit`.
    elapsed : float
        Wall-clock seconds of the audit.

    See Also
    --------
    run_audit : Builds this result.

    Notes
    -----
    :meth:`summary`, :meth:`effects` (at the audit's ``confidence``),
    :meth:`spreads` and :meth:`curve_spreads` are computed from ``scores`` and
    ``runs`` once, when the result is built.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import run_audit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 3)).astype(np.float32)
    >>> gold = (X[:, 0] > 0).astype(int)
    >>> counts = rng.multinomial(6, [0.5, 0.5], size=90)
    >>> result = run_audit(X, gold, counts, arms=["human_soft"], seeds=2,
    ...                    max_epochs=2)
    >>> result.arms, result.reference
    (['gold', 'human_soft'], 'gold')
    >>> row = [r for r in result.effects() if r["metric"] == "ece_hard_vs_human"][0]
    >>> row["arm"], row["n"]
    ('human_soft', 2)
    """

    arms: list
    seeds: list
    reference: str
    classes: np.ndarray
    test_index: np.ndarray
    gold_test: np.ndarray | None
    human_test: np.ndarray
    hard_mask: np.ndarray
    gold: np.ndarray | None
    human: np.ndarray
    mode_shift: np.ndarray
    folds: list
    runs: list
    scores: dict
    params: dict
    provenance: dict
    elapsed: float
    _summary: list = field(init=False, repr=False)
    _effects: list = field(init=False, repr=False)
    _spreads: list = field(init=False, repr=False)
    _curves: dict = field(init=False, repr=False)

    def __post_init__(self):
        self._summary = self._compute_summary()
        self._effects = self._compute_effects(self.params["confidence"])
        self._spreads = self._compute_spreads(self.params["confidence"])
        self._curves = self._compute_curve_spreads()

    def __repr__(self):
        return (
            f"AuditResult(arms={self.arms}, seeds={self.seeds}, "
            f"n_test={len(self.test_index)}, reference={self.reference!r})"
        )

    @property
    def mode_shift_rate(self):
        """Share of rows whose human mode differs from the gold label."""
        return float(np.mean(self.mode_shift)) if self.gold is not None else math.nan

    # ------------------------------------------------------------ statistics

    def summary(self):
        """Mean and standard deviation (ddof=1) over seeds.

        Returns
        -------
        rows : list of dict
            One row per arm and metric: ``arm``, ``metric``, ``mean``, ``std``,
            ``n_seeds``.
        """
        return [dict(row) for row in self._summary]

    def effects(self, confidence=None):
        """Paired-by-seed differences of each arm to the reference arm.

        Parameters
        ----------
        confidence : float, default=None
            Interval coverage; the audit's ``confidence`` (0.95) by default.

        Returns
        -------
        rows : list of dict
            One row per non-reference arm and metric: ``arm``, ``metric``,
            ``diff`` (mean over seeds of arm - reference), ``ci_low``,
            ``ci_high`` (Student-t interval), ``sd``, ``n``, ``p_value``,
            ``better`` (the metric's direction) and ``verdict``
            (``"better"``, ``"worse"`` or ``"no clear difference"``: whether the
            interval excludes zero, read in the metric's direction).
        """
        if confidence is None or confidence == self.params["confidence"]:
            return [dict(row) for row in self._effects]
        return self._compute_effects(confidence)

    def spreads(self, confidence=None):
        """Seed spread of each arm relative to the reference arm.

        Parameters
        ----------
        confidence : float, default=None
            Interval coverage; the audit's ``confidence`` (0.95) by default.

        Returns
        -------
        rows : list of dict
            One row per non-reference arm and metric: ``arm``, ``metric``,
            ``ratio`` (sd over seeds of the arm / of the reference),
            ``ci_low``, ``ci_high`` (F interval). The spread of the
            training-loss curves is :meth:`curve_spreads`.
        """
        if confidence is None or confidence == self.params["confidence"]:
            return [dict(row) for row in self._spreads]
        return self._compute_spreads(confidence)

    def curve_spreads(self):
        """Across-seed spread of the training-loss curves, per arm and fold.

        Returns
        -------
        dict of str to float
            Arm -> mean over folds of the curve spread of its seeds'
            ``train_loss`` curves (nan without curves or with one seed).
        """
        return dict(self._curves)

    def _compute_summary(self):
        rows = []
        for name, mat in self.scores.items():
            for i, arm in enumerate(self.arms):
                mean, std = seed_mean_std(mat[i])
                rows.append(
                    {
                        "arm": arm,
                        "metric": name,
                        "mean": mean,
                        "std": std,
                        "n_seeds": int(np.isfinite(mat[i]).sum()),
                    }
                )
        return rows

    def _compute_effects(self, confidence):
        ref = self.arms.index(self.reference)
        rows = []
        for name, mat in self.scores.items():
            better = METRICS[name]["better"]
            for i, arm in enumerate(self.arms):
                if i == ref:
                    continue
                eff = paired_difference(mat[i], mat[ref], confidence=confidence)
                rows.append(
                    {
                        "arm": arm,
                        "metric": name,
                        **eff,
                        "better": better,
                        "verdict": _verdict(eff, better),
                    }
                )
        return rows

    def _compute_spreads(self, confidence):
        ref = self.arms.index(self.reference)
        rows = []
        for name, mat in self.scores.items():
            for i, arm in enumerate(self.arms):
                if i == ref:
                    continue
                rows.append(
                    {
                        "arm": arm,
                        "metric": name,
                        **spread_ratio(mat[i], mat[ref], confidence=confidence),
                    }
                )
        return rows

    def _compute_curve_spreads(self):
        out = {}
        for arm in self.arms:
            runs = [r for r in self.runs if r["arm"] == arm]
            values = []
            for f in range(len(self.folds)):
                curves = [
                    r["history"][f]["train_loss"]
                    for r in runs
                    if r["history"]
                    and r["history"][f]
                    and "train_loss" in r["history"][f]
                ]
                values.append(curve_spread(curves))
            values = [v for v in values if math.isfinite(v)]
            out[arm] = float(np.mean(values)) if values else math.nan
        return out

    # ------------------------------------------------------------ output

    def to_frame(self):
        """Per-run metrics as a pandas DataFrame (one row per arm and seed)."""
        import pandas as pd

        rows = [{"arm": r["arm"], "seed": r["seed"], **r["metrics"]} for r in self.runs]
        return pd.DataFrame(rows)

    def write_report(self, path, *, figures=True):
        """Write ``report.md``, ``results.csv``, ``runs.jsonl`` and figures.

        Parameters
        ----------
        path : str or path-like
            Folder (created if missing).
        figures : bool, default=True
            Also draw the PNG figures (needs matplotlib).

        Returns
        -------
        files : list of pathlib.Path
            The files written.
        """
        return write_report(self, path, figures=figures)
