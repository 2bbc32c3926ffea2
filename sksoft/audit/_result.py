"""``AuditResult``: what :func:`~sksoft.audit.run_audit` returns (private module).

The over-seed statistics (summary, effects with their Holm adjustment and
test-item bootstrap, the comparison with the temperature control, spreads with
the Pitman-Morgan test and its power, loss-curve spreads) are computed once,
when the result is built, and read by the report and the figures; the methods
return copies.
"""

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ..sources import SOFT_ARMS
from ..sources._mode import align_mode
from ..targets import hard_labels
from ..utils._extras import require
from ._baselines import compute_baselines
from ._maps import compute_maps
from ._metrics import (
    CONTROL_METRICS,
    KEY_METRICS,
    METRICS,
    SPECS,
    spread_metrics,
)
from ._report import write_report
from ._score import disagreement_mask, item_terms
from ._stability import (
    pooled_sampling_sd,
    sampling_sd,
    spread_testability,
    union_bootstrap_values,
)
from ._stats import (
    N_BOOTSTRAP,
    PLANNED_RATIO,
    POWER,
    bootstrap_interval,
    curve_spread,
    detectable_ratio,
    holm,
    paired_difference,
    pitman_morgan,
    resample_weights,
    seed_mean_std,
    seeds_needed,
    verdict_at,
    verdict_both,
    weighted_values,
)
from ._stats import verdict as _verdict
from ._test_sets import seed_test_sets, subsets_coincide

#: the arm the soft arms are compared with besides the reference: the gold
#: model with a temperature fitted against the human soft labels
CONTROL_ARM = "gold_temperature"


def _tested_family(rows):
    """The rows of the Holm family: descriptive metrics are not tested; nor are
    comparisons whose values agree seed by seed (a temperature cannot change
    the accuracy)."""
    return [
        r
        for r in rows
        if not r["descriptive"] and not (r["diff"] == 0 and r["sd"] == 0)
    ]


def _disagree_twins(family):
    """``{id(row): its _hard_ twin}`` for the ``_disagree_`` rows of ``family``
    whose ``_hard_`` twin (same arm, same control) is in it."""
    tested = {(r["arm"], r["metric"], r.get("control")): r for r in family}
    twins = {}
    for r in family:
        twin = tested.get(
            (
                r["arm"],
                r["metric"].replace("_disagree_", "_hard_"),
                r.get("control"),
            )
        )
        if "_disagree_" in r["metric"] and twin is not None:
            twins[id(r)] = twin
    return twins


def _holm_adjust(family, rows, twins, *, alpha):
    """Holm-adjust the p-values of ``family`` in place, then give each twin
    among ``rows`` its ``_hard_`` twin's adjusted p (and verdict)."""
    adjusted = holm([r["p_value"] for r in family])
    for row, p in zip(family, adjusted):
        row["p_holm"] = float(p)
        row["verdict_holm"] = verdict_at(row["diff"], p, row["better"], alpha=alpha)
    for row in rows:
        if id(row) in twins:
            p = twins[id(row)]["p_holm"]
            row["p_holm"] = p
            row["holm_twin"] = twins[id(row)]["metric"]
            row["verdict_holm"] = verdict_at(row["diff"], p, row["better"], alpha=alpha)


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
    seed_splits : dict or None
        Under a seed design that varies the data (``params["seed_design"]``
        ``"split"`` or ``"resample"``): seed -> ``split`` (its split index),
        ``folds``, ``test_index``, ``gold_test``, ``human_test``,
        ``hard_mask`` of that seed (:meth:`test_set`); ``test_index``,
        ``gold_test``, ``human_test``, ``hard_mask`` and ``folds`` above are
        then the first seed's (every statistic over seeds reads each seed's
        own). None under ``"init"`` (one split).
    arm_targets : dict, default={}
        What the arms' targets are on the training rows, per fold
        (``sksoft/audit/_targets.py``): ``{"human": {"entropy": [...]}, arm:
        {"entropy": [...], "label_probability": [...]}, ...,
        "teacher_temperature": [...] or None}``.

    See Also
    --------
    run_audit : Builds this result.

    Notes
    -----
    :meth:`summary`, :meth:`effects` (at the audit's ``confidence``),
    :meth:`controls`, :meth:`spreads`, :meth:`curve_spreads` and
    :meth:`mode_alignment` are computed from ``scores`` and ``runs`` once,
    when the result is built.

    Multiplicity: the report marks the effects of the key metrics (every
    non-reference arm, :data:`~sksoft.audit._metrics.KEY_METRICS` except the
    descriptive ones) and the comparisons with the temperature control
    (:meth:`controls`); these p-values form one family, adjusted by Holm's
    step-down method (``p_holm``, ``verdict_holm``). The Pitman-Morgan tests
    of the stability section (every non-reference arm, the stability
    metrics) form a second family. Comparisons whose values agree seed by
    seed (``gold_temperature``'s accuracy and data map are ``gold``'s) are
    not tests and stay out of both families; nor is a ``_disagree_`` metric
    whose items are exactly the hard ones (it repeats its ``_hard_`` twin,
    whose adjusted p it takes: ``holm_twin``). The intervals stay unadjusted.

    Verdicts: the report's marks and better / worse read ``verdict_both``,
    which needs the Holm-adjusted seed test **and** the paired item
    bootstrap interval to exclude 0 on the same side
    (:func:`~sksoft.audit._stats.verdict_both`).

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
    seed_splits: dict | None = None
    arm_targets: dict = field(default_factory=dict)
    _summary: list = field(init=False, repr=False)
    _effects: list = field(init=False, repr=False)
    _controls: list = field(init=False, repr=False)
    _spreads: list = field(init=False, repr=False)
    _curves: dict = field(init=False, repr=False)
    _mode: dict = field(init=False, repr=False)
    _boot_values: dict = field(init=False, repr=False)
    _baselines: dict = field(init=False, repr=False)
    _maps: dict = field(init=False, repr=False)

    def __post_init__(self):
        confidence = self.params["confidence"]
        self._boot_values = {}
        self._summary = self._compute_summary()
        self._effects, self._controls = self._compute_effects(confidence)
        self._spreads = self._compute_spreads(confidence)
        self._curves = self._compute_curve_spreads()
        self._mode = self._compute_mode_alignment()
        self._baselines = self._compute_baselines(confidence)
        self._maps = compute_maps(self)

    def __repr__(self):
        return (
            f"AuditResult(arms={self.arms}, seeds={self.seeds}, "
            f"n_test={len(self.test_index)}, reference={self.reference!r})"
        )

    def test_set(self, seed):
        """The test rows of ``seed``'s runs and what they are scored against.

        Returns
        -------
        dict
            ``test_index``, ``gold_test``, ``human_test``, ``hard_mask``,
            ``folds``: the seed's own under a design that varies the split,
            else the audit's single split.
        """
        if self.seed_splits is not None and seed in self.seed_splits:
            return dict(self.seed_splits[seed])
        return {
            "test_index": self.test_index,
            "gold_test": self.gold_test,
            "human_test": self.human_test,
            "hard_mask": self.hard_mask,
            "folds": self.folds,
        }

    def _varying_test_sets(self):
        """Whether the seeds' test sets differ (a ``"split"`` design, one split)."""
        if self.seed_splits is None:
            return False
        first = self.test_index
        return any(
            not np.array_equal(v["test_index"], first)
            for v in self.seed_splits.values()
        )

    @property
    def mode_shift_rate(self):
        """Share of rows whose human mode differs from the gold label."""
        return float(np.mean(self.mode_shift)) if self.gold is not None else math.nan

    @property
    def hard_share(self):
        """Actual share of hard test samples (ties make it exceed hard_fraction)."""
        return float(np.mean(self.hard_mask)) if self.hard_mask.size else math.nan

    @property
    def disagree_mask(self):
        """Test samples with any human disagreement (human entropy > 0).

        The ``*_disagree_*`` metrics' subset:
        :func:`sksoft.targets.hard_sample_mask` of ``human_test`` with
        ``hard="disagreement"``, on the classes the audit was given.
        """
        return disagreement_mask(self.human_test)

    @property
    def disagree_share(self):
        """Share of test samples with any human disagreement."""
        mask = self.disagree_mask
        return float(np.mean(mask)) if mask.size else math.nan

    @property
    def control_arm(self):
        """The temperature control arm when it was trained, else None."""
        return CONTROL_ARM if CONTROL_ARM in self.arms else None

    def soft_arms(self):
        """The trained soft-label arms besides the reference, in report order."""
        return [a for a in self.arms if a in SOFT_ARMS and a != self.reference]

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
            ``ci_high`` (Student-t interval, unadjusted: covers the seed
            noise), ``sd``, ``n``, ``p_value``, ``better`` (the metric's
            direction), ``descriptive``, ``verdict`` (``"better"``,
            ``"worse"`` or ``"no clear difference"``: whether the unadjusted
            interval excludes zero, read in the metric's direction;
            ``"descriptive"`` for descriptive metrics), ``p_holm`` and
            ``verdict_holm`` (Holm-adjusted over the report's family, see
            Notes; nan and ``"n/a"`` outside it), ``boot_ci_low``,
            ``boot_ci_high`` (paired bootstrap over test items, see
            :meth:`controls`; nan where not computed) and ``verdict_both``
            (the report's marks and verdicts: ``verdict_holm`` when the
            bootstrap interval also excludes 0 on its side, else ``"no clear
            difference"``; ``"better (seeds only)"`` / ``"worse (seeds
            only)"`` for metrics without an item bootstrap, see
            :func:`~sksoft.audit._stats.verdict_both`).
        """
        if confidence is None or confidence == self.params["confidence"]:
            return [dict(row) for row in self._effects]
        return self._compute_effects(confidence)[0]

    def controls(self, confidence=None):
        """Differences of each soft arm to the temperature control arm.

        ``arm - gold_temperature`` paired by seed on the key metrics against
        the human soft labels: whether the soft-label benefit is more than a
        temperature fitted to the same human labels.

        Parameters
        ----------
        confidence : float, default=None
            Interval coverage; the audit's ``confidence`` (0.95) by default.

        Returns
        -------
        rows : list of dict
            The keys of :meth:`effects`, plus ``control`` (the arm compared
            with). Empty without the ``gold_temperature`` arm.

        Notes
        -----
        ``boot_ci_low`` / ``boot_ci_high`` (here and in :meth:`effects`): a
        paired bootstrap over the test items with 1000 resamples, for the
        metrics that are sums over items (accuracy, binned ECE, KL, JSD): each
        resample draws the items (within the metric's subset, the hard set
        held fixed) once for both arms and every seed, and its statistic is
        the mean over seeds of the difference. It covers the sampling of the
        test items for the trained models; the t-interval covers the seeds.
        """
        if confidence is None or confidence == self.params["confidence"]:
            return [dict(row) for row in self._controls]
        return self._compute_effects(confidence)[1]

    def mode_alignment(self):
        """How far ``human_soft_gold_mode`` moves the modes onto gold.

        Returns
        -------
        dict
            ``shifted`` (rows whose human mode is not gold) and
            ``gold_second`` (of those, the rows whose aligned label still
            has another class first under the argmax rule, ties to the first
            class: gold ties with it, so gold is *a* mode but not the
            argmax). Both 0 without gold labels.
        """
        return dict(self._mode)

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
            ``ci_low``, ``ci_high`` (the Pitman-Morgan interval, paired by
            seed), ``corr`` (correlation of the arm's and the reference's
            per-seed values), ``statistic``, ``p_value`` (Pitman-Morgan
            test of equal spread), ``n``, and for the stability metrics
            (:func:`~sksoft.audit._metrics.spread_metrics`) ``p_holm``
            (Holm-adjusted over those tests), ``detectable_ratio`` (the SD
            ratio below which the test has 80% power with these seeds, at
            the observed ``corr``) and ``seeds_for_half`` (seeds for 80%
            power at an SD ratio of 0.5); nan elsewhere. ``sampling_sd``
            (the metric's test-item bootstrap SD for the reference arm's
            first run; with a test set per seed the root mean square over
            the seeds of each seed's own,
            :func:`~sksoft.audit._stability.pooled_sampling_sd`),
            ``testable`` and ``untestable_reason``
            (:func:`~sksoft.audit._stability.spread_testability`: only
            testable rows are in the Holm family and get a ``p_holm``). The
            spread of the training-loss curves is :meth:`curve_spreads`.
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

    def _difference(self, name, arm, against, confidence):
        mat = self.scores[name]
        i, j = self.arms.index(arm), self.arms.index(against)
        better = METRICS[name]["better"]
        descriptive = METRICS[name]["descriptive"]
        eff = paired_difference(mat[i], mat[j], confidence=confidence)
        return {
            "arm": arm,
            "metric": name,
            **eff,
            "better": better,
            "descriptive": descriptive,
            "verdict": "descriptive" if descriptive else _verdict(eff, better),
            "p_holm": math.nan,
            "verdict_holm": "descriptive" if descriptive else "n/a",
            "boot_ci_low": math.nan,
            "boot_ci_high": math.nan,
        }

    def _compute_effects(self, confidence):
        """Effects to the reference and to the control, Holm and bootstrap."""
        effects = [
            self._difference(name, arm, self.reference, confidence)
            for name in self.scores
            for arm in self.arms
            if arm != self.reference
        ]
        controls = self._control_effects(confidence)
        key = set(KEY_METRICS)
        family = _tested_family([r for r in effects if r["metric"] in key] + controls)
        # a ``_disagree_`` metric on the same items as its ``_hard_`` twin (every
        # item with disagreement is in the top fraction and back) is the same
        # hypothesis: tested once, and the twin's adjusted p is its own
        twins = {}
        if subsets_coincide(seed_test_sets(self)):
            twins = _disagree_twins(family)
            family = [r for r in family if id(r) not in twins]
        _holm_adjust(family, effects + controls, twins, alpha=1.0 - confidence)
        # the resamples of each subset, drawn once for both families and not
        # kept: (n_resamples, n_test) counts
        weights = {}
        self._bootstrap(
            [r for r in effects if r["metric"] in key],
            self.reference,
            confidence,
            weights,
        )
        self._bootstrap(controls, CONTROL_ARM, confidence, weights)
        # the marks and the reading's verdicts: Holm-adjusted seed test and an
        # item bootstrap interval excluding 0 (``verdict_both``)
        for row in effects + controls:
            row["verdict_both"] = verdict_both(
                row["verdict_holm"],
                row["boot_ci_low"],
                row["boot_ci_high"],
                row["better"],
            )
        return effects, controls

    def _control_effects(self, confidence):
        """The soft arms' effects to the calibration control (none without it)."""
        if self.control_arm is None:
            return []
        return [
            {
                **self._difference(name, arm, CONTROL_ARM, confidence),
                "control": CONTROL_ARM,
            }
            for name in CONTROL_METRICS
            if name in self.scores
            for arm in self.soft_arms()
        ]

    def _bootstrap(self, rows, against, confidence, weights):
        """Fill ``boot_ci_low`` / ``boot_ci_high`` of ``rows`` (arm - ``against``)."""
        seed = self.params.get("random_state", 0)
        seed = int(seed) if isinstance(seed, numbers.Integral) else 0
        codes = {None: 0, "all": 0, "hard": 1, "easy": 2, "disagree": 4}
        cache = self._boot_values  # the values do not depend on the confidence
        for row in rows:
            name = row["metric"]
            if name not in cache:
                cache[name] = self._bootstrap_values(name, seed, codes, weights)
            values = cache[name]
            if values is None:
                continue
            i, j = self.arms.index(row["arm"]), self.arms.index(against)
            boot = bootstrap_interval(values[:, i], values[:, j], confidence=confidence)
            row["boot_ci_low"], row["boot_ci_high"] = boot["ci_low"], boot["ci_high"]

    def _bootstrap_values(self, name, seed, codes, weights):
        """``(1 + N_BOOTSTRAP, n_arms, n_seeds)`` values of one metric, or None.

        ``weights``: the resamples drawn so far, by subset code (filled here).
        When the seeds have their own test sets, the resamples are drawn
        from their union (:func:`~sksoft.audit._stability.union_bootstrap_values`).
        """
        if self._varying_test_sets():
            return union_bootstrap_values(
                self.runs,
                self.arms,
                self.seeds,
                {s: self.test_set(s) for s in self.seeds},
                name,
                weights,
                n_bins=self.params["n_bins"],
                random_state=seed,
            )
        items = []
        for arm in self.arms:
            for run in [r for r in self.runs if r["arm"] == arm]:
                terms = item_terms(
                    name,
                    run["proba"],
                    self.gold_test,
                    self.human_test,
                    self.hard_mask,
                    n_bins=self.params["n_bins"],
                )
                if terms is None:
                    return None
                items.append(terms)
        n_items = items[0].terms.size
        # the same resamples for every metric on the same subset
        code = codes[SPECS[name].subset]
        if code not in weights:
            rng = np.random.default_rng([seed, code])
            weights[code] = resample_weights(n_items, N_BOOTSTRAP, rng)
        values = weighted_values(items, np.vstack([np.ones(n_items), weights[code]]))
        return values.reshape(values.shape[0], len(self.arms), -1)

    def _compute_spreads(self, confidence):
        ref = self.arms.index(self.reference)
        stable = set(spread_metrics(self.scores))
        noise = {name: self._sampling_sd(name) for name in stable}
        convex = bool(self.params.get("convex_model", False))
        design = self.params.get("seed_design", "init")
        rows = []
        for name, mat in self.scores.items():
            for i, arm in enumerate(self.arms):
                if i == ref:
                    continue
                pm = pitman_morgan(mat[i], mat[ref], confidence=confidence)
                row = {
                    "arm": arm,
                    "metric": name,
                    **pm,
                    "p_holm": math.nan,
                    "detectable_ratio": math.nan,
                    "seeds_for_half": math.nan,
                }
                row["tested"] = name in stable and not np.array_equal(mat[i], mat[ref])
                row["sampling_sd"] = noise.get(name, math.nan)
                row["testable"], row["untestable_reason"] = False, "not a spread metric"
                if name in stable:
                    row["testable"], row["untestable_reason"] = spread_testability(
                        seed_mean_std(mat[i])[1],
                        seed_mean_std(mat[ref])[1],
                        noise[name],
                        convex=convex,
                        design=design,
                    )
                    if not row["tested"]:
                        row["testable"] = False
                        row["untestable_reason"] = "equal to the reference seed by seed"
                    row["tested"] = row["testable"]
                    row["detectable_ratio"] = detectable_ratio(
                        pm["n"], pm["corr"], power=POWER, confidence=confidence
                    )
                    row["seeds_for_half"] = seeds_needed(
                        PLANNED_RATIO, pm["corr"], power=POWER, confidence=confidence
                    )
                rows.append(row)
        family = [r for r in rows if r.pop("tested")]
        for row, p in zip(family, holm([r["p_value"] for r in family])):
            row["p_holm"] = float(p)
        return rows

    def _sampling_sd(self, name):
        """Item-bootstrap SD of ``name`` for the reference arm's first seed;
        with a test set per seed the root mean square over the seeds of each
        seed's own (:func:`~sksoft.audit._stability.pooled_sampling_sd`)."""
        seed = self.params.get("random_state", 0)
        if self._varying_test_sets():
            return pooled_sampling_sd(
                self.runs,
                self.reference,
                {s: self.test_set(s) for s in self.seeds},
                name,
                n_bins=self.params["n_bins"],
                random_state=seed if isinstance(seed, numbers.Integral) else 0,
            )
        run = next(r for r in self.runs if r["arm"] == self.reference)
        ts = self.test_set(run["seed"])
        return sampling_sd(
            name,
            run["proba"],
            ts["gold_test"],
            ts["human_test"],
            ts["hard_mask"],
            n_bins=self.params["n_bins"],
            random_state=seed if isinstance(seed, numbers.Integral) else 0,
        )

    def _compute_mode_alignment(self):
        if self.gold is None:
            return {"shifted": 0, "gold_second": 0}
        aligned, _ = align_mode(self.human, self.gold)
        second = self.mode_shift & (hard_labels(aligned) != self.gold)
        return {
            "shifted": int(self.mode_shift.sum()),
            "gold_second": int(second.sum()),
        }

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

    def baselines(self):
        """The untrained baselines (``sksoft/audit/_baselines.py``).

        Returns
        -------
        dict
            ``{name: {"proba": (n_test, K), "metrics": {name: value},
            "effects": {metric: row}, ...}}`` for ``majority`` and
            ``class_prior``, estimated on each fold's training rows of each
            seed's split (:func:`~sksoft.audit._baselines.compute_baselines`:
            ``metrics`` is the mean over seeds, its value with one split;
            ``std``, ``seed_metrics``, ``probas`` per seed, ``n_splits``); an
            effects row is ``baseline - reference`` paired by seed (``diff``,
            ``ci_low``, ``ci_high``: the paired t-interval; untested, outside
            every Holm family).
        """
        return {name: dict(v) for name, v in self._baselines["baselines"].items()}

    def majority_tests(self):
        """Each trained arm against the majority baseline (exact sign test).

        Returns
        -------
        dict of str to dict
            Arm -> :func:`~sksoft.audit._baselines.majority_test` on the
            union of the seeds' test rows, each seed's predictions against
            its own split's majority prediction (labels: gold, the human mode
            without gold).
        """
        return {arm: dict(t) for arm, t in self._baselines["tests"].items()}

    @property
    def above_majority(self):
        """Whether the reference arm is above the majority baseline (one-sided
        sign test at ``1 - confidence``); the report's gate."""
        return self._baselines["tests"][self.reference]["above"]

    def map_alignment(self):
        """The three alignments with human uncertainty per arm.

        Returns
        -------
        dict
            :func:`~sksoft.audit._maps.compute_maps`: the targets' own, the
            data map's (training rows) and the held-out alignment, with
            intervals over seeds and items, and the ``arm - reference``
            differences of the last two.
        """
        return {
            k: (dict(v) if isinstance(v, dict) else v) for k, v in self._maps.items()
        }

    def _compute_baselines(self, confidence):
        return compute_baselines(self, confidence)

    # ------------------------------------------------------------ output

    def to_frame(self):
        """Per-run metrics as a pandas DataFrame (one row per arm and seed)."""
        pd = require("pandas", "AuditResult.to_frame")

        rows = [{"arm": r["arm"], "seed": r["seed"], **r["metrics"]} for r in self.runs]
        return pd.DataFrame(rows)

    def write_report(self, path, *, figures=True, n_jobs=None):
        """Write ``report.md``, ``results.csv``, ``runs.jsonl`` and figures.

        Parameters
        ----------
        path : str or path-like
            Folder (created if missing).
        figures : bool, default=True
            Also draw the PNG figures (needs matplotlib).
        n_jobs : int, default=None
            Figures drawn at a time, in joblib workers (``None``: one, unless
            a ``joblib.parallel_config`` context says otherwise; ``-1``: all
            cores). The files do not depend on it.

        Returns
        -------
        files : list of pathlib.Path
            The files written.
        """
        if n_jobs is not None and (
            isinstance(n_jobs, bool)
            or not isinstance(n_jobs, numbers.Integral)
            or n_jobs == 0
        ):
            raise ValueError(f"n_jobs must be None or a non-zero int; got {n_jobs!r}.")
        return write_report(self, path, figures=figures, n_jobs=n_jobs)
