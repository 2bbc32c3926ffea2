"""Non-circular data maps: three alignments with human uncertainty per arm.

The data map's alignment (``carto_spearman_confidence_vs_human``: Spearman of
the human-label entropy with the cartography confidence on the **training**
rows) is partly circular: a model trained on soft targets learns those
targets, so its confidence in the gold label on the rows it was trained on
follows the targets, which follow the human entropy by construction. The
audit therefore sets, side by side for every arm:

``targets``
    ``target_spearman_confidence_vs_human``: the same correlation for the
    targets themselves (training rows): what a model that copies its targets
    reaches;
``map``
    the data map's alignment (training rows, the trained model's dynamics);
``held-out``
    ``spearman_gold_confidence_vs_human``: the test rows' probability of the
    gold label from the trained model against their human entropy: the
    alignment on texts the model never saw.

Intervals: over seeds (Student t, :func:`~sksoft.audit._stats.paired_difference`)
and over items (the audit's bootstrap: the resamples of
:func:`~sksoft.audit._stats.resample_weights`, the test-item resamples being
the same as the audit's other bootstrap intervals on all test items, and the
percentile interval of :func:`~sksoft.audit._stats.bootstrap_interval`); the
Spearman correlation under a resample is :func:`weighted_spearman`. The
training-row intervals over items exist with one fold per split (with ``cv``
every fold has its own training rows, and they are not computed).

Every seed's alignment is computed on its own rows (its test rows, its first
fold's training rows); the statistic is the mean over seeds, as for the
arms' metrics. When the seeds have their own rows (``seed_design="split"``;
the training rows under ``"resample"``), one resample draws rows from the
union of the seeds' sets and each seed reads the draws of its own rows
(:func:`item_groups`; the test rows share the draws of the arms' union
bootstrap, :func:`~sksoft.audit._stability.union_bootstrap_values`), and the
targets' alignment, which then depends on the seed's split, has a seed
interval too.

:func:`map_claim` is the wording rule: the reading says an arm's model
"mirrors human uncertainty more closely" than the reference's only when its
**held-out** alignment is more negative with both intervals excluding 0.
"""

import math
import numbers
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..evaluation import ENTROPY_DECIMALS
from ._score import label_entropy
from ._stats import N_BOOTSTRAP, bootstrap_interval, paired_difference, resample_weights

#: the three alignments, in report order: (key, metric name)
ALIGNMENTS = (
    ("targets", "target_spearman_confidence_vs_human"),
    ("map", "carto_spearman_confidence_vs_human"),
    ("heldout", "spearman_gold_confidence_vs_human"),
)

#: subset code of the training-row resamples (the test-row codes 0, 1, 2 are
#: the audit's all / hard / easy test items)
TRAINING_CODE = 3


def weighted_midranks(x, weights):
    """Midranks of ``x`` in the sample that repeats item ``i`` ``w_i`` times.

    Parameters
    ----------
    x : ndarray of shape (n_items,)
    weights : ndarray of shape (n_resamples, n_items)
        Non-negative counts (a bootstrap resample per row).

    Returns
    -------
    ranks : ndarray of shape (n_resamples, n_items)
        The (average) rank of each item's copies; items with weight 0 get the
        rank they would have, and count for nothing in :func:`weighted_spearman`.
    """
    w = np.asarray(weights, dtype=float)
    return _midranks_t(np.asarray(x, dtype=float), np.ascontiguousarray(w.T)).T


def _midranks_t(x, wt):
    """:func:`weighted_midranks` on transposed weights ``(n_items, n_resamples)``
    (items along the rows, so that the gathers copy whole rows)."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    sorted_w = wt[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    if starts.size == xs.size:  # no ties: every item its own group
        group_weight = sorted_w
    else:
        group_weight = np.add.reduceat(sorted_w, starts, axis=0)
    # midrank = weight before the group + (group weight + 1) / 2; the running
    # sum row by row (numpy's cumsum along the rows is several times slower)
    mid = (group_weight + 1.0) / 2.0
    before = np.zeros(wt.shape[1])
    for row, weight in zip(mid, group_weight):
        row += before
        before += weight
    if starts.size != xs.size:
        mid = mid[np.repeat(np.arange(starts.size), np.diff(np.r_[starts, xs.size]))]
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    return mid[inverse]


class _Resamples:
    """Transposed resample counts and the centred midranks of one fixed ``x``
    (the human entropies), computed once for every run they are paired with."""

    def __init__(self, x, weights):
        self.wt = np.ascontiguousarray(np.asarray(weights, dtype=float).T)
        self.total = self.wt.sum(axis=0)
        self.dx = self._centred(_midranks_t(np.asarray(x, dtype=float), self.wt))
        self.wdx = self.wt * self.dx
        self.vx = np.einsum("ij,ij->j", self.wdx, self.dx)

    def _centred(self, ranks):
        # a resample that draws none of these items (a seed's own items under
        # the union bootstrap) has total 0: its correlation is nan
        with np.errstate(invalid="ignore", divide="ignore"):
            ranks -= np.einsum("ij,ij->j", self.wt, ranks) / self.total
        return ranks

    def spearman(self, y):
        """Spearman of ``(x, y)`` under every resample: ``(n_resamples,)``."""
        dy = self._centred(_midranks_t(np.asarray(y, dtype=float), self.wt))
        cov = np.einsum("ij,ij->j", self.wdx, dy)
        dy *= dy
        vy = np.einsum("ij,ij->j", self.wt, dy)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho = cov / np.sqrt(self.vx * vy)
        return np.where((self.vx > 0) & (vy > 0), rho, np.nan)


def weighted_spearman(x, y, weights):
    """Spearman's rho of ``(x, y)`` in every resample at once.

    The correlation of the sample that repeats item ``i`` ``w_i`` times
    (ties by midranks, as :func:`scipy.stats.spearmanr`): the Pearson
    correlation of :func:`weighted_midranks` weighted by the counts.

    Parameters
    ----------
    x, y : ndarray of shape (n_items,)
    weights : ndarray of shape (n_resamples, n_items)

    Returns
    -------
    rho : ndarray of shape (n_resamples,)
        nan where a side is constant in the resample.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit._maps import weighted_spearman
    >>> x, y = np.array([1., 2., 3., 4.]), np.array([1., 3., 2., 4.])
    >>> weighted_spearman(x, y, np.ones((1, 4)))  # scipy: 0.8
    array([0.8])
    """
    return _Resamples(x, weights).spearman(y)


def _seed_interval(values, confidence):
    """Mean over seeds and its t-interval (the paired difference to 0)."""
    v = np.asarray(values, dtype=float)
    return paired_difference(v, np.zeros_like(v), confidence=confidence)


def _percentile(values, confidence):
    """The percentile interval of bootstrap values ``(1 + B, n_seeds)``."""
    return bootstrap_interval(values, np.zeros_like(values), confidence=confidence)


def _finite(values):
    """Bootstrap values that exist and are finite throughout."""
    return values is not None and bool(np.isfinite(values).all())


def _split_of(result, seed):
    """The split index of ``seed`` (0 when every seed shares one)."""
    return result.seed_splits[seed]["split"] if result.seed_splits else 0


def _label(ts):
    """Test-row labels the held-out confidence reads: gold, else the human mode."""
    if ts["gold_test"] is not None:
        return ts["gold_test"]
    return np.argmax(ts["human_test"], axis=1)


def _cached(resamples, y, cache):
    """``resamples.spearman(y)``, once per distinct ``y`` (``gold_temperature``'s
    data map is ``gold``'s)."""
    key = np.asarray(y, dtype=float).tobytes()
    if key not in cache:
        cache[key] = resamples.spearman(y)
    return cache[key]


def item_groups(rows, draw):
    """The seeds grouped by their item set, with each set's resample counts.

    Parameters
    ----------
    rows : dict of int to ndarray
        Seed -> the rows of its items (its test rows, or its training rows).
    draw : callable
        ``draw(n) -> (n_resamples, n)`` resample counts of ``n`` items.

    Returns
    -------
    groups : list of (list of int, ndarray, ndarray)
        Per distinct item set, in order of first seed: its seeds, its rows and
        its counts ``(1 + n_resamples, n_rows)`` (a row of ones, then the
        resamples). With one item set the resamples are ``draw(n_rows)`` in the
        rows' order; with several, ``draw`` is over the sorted union of the
        sets and each set takes its rows' columns (the union bootstrap: seeds
        that share an item share its draws).
    n_items : int
        Items in the union.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit._maps import item_groups
    >>> rows = {0: np.array([0, 1]), 1: np.array([1, 2]), 2: np.array([0, 1])}
    >>> groups, n = item_groups(rows, lambda n: np.arange(n)[None] + 10)
    >>> [(g[0], g[2].tolist()) for g in groups], n
    ([([0, 2], [[1.0, 1.0], [10.0, 11.0]]), ([1], [[1.0, 1.0], [11.0, 12.0]])], 3)
    """
    sets = {}
    for seed, r in rows.items():
        key = np.asarray(r).tobytes()
        sets.setdefault(key, ([], np.asarray(r)))[0].append(seed)
    if len(sets) == 1:
        ((seeds, r),) = sets.values()
        return [(seeds, r, np.vstack([np.ones(r.size), draw(r.size)]))], r.size
    union = np.unique(np.concatenate([r for _, r in sets.values()]))
    w = draw(union.size)
    groups = []
    for seeds, r in sets.values():
        cols = np.searchsorted(union, r)
        groups.append((seeds, r, np.vstack([np.ones(r.size), w[:, cols]])))
    return groups, int(union.size)


def _heldout_y(result, run):
    """The held-out probability of the label of one run (its own test rows)."""
    label = _label(result.test_set(run["seed"]))
    return run["proba"][np.arange(label.size), label]


def _map_y(result, run):
    """The data map's confidence of one run's training rows (first fold), or None."""
    if not run["dynamics"] or run["dynamics"][0] is None:
        return None
    return run["dynamics"][0]["confidence"]


def _target_y(result, run):
    """The probability of the label in ``run``'s arm's targets, or None.

    ``arm_targets`` lists every fold of the audit, split by split; a seed's
    first fold is at ``split * n_folds``.
    """
    entry = result.arm_targets.get(run["arm"])
    if not entry:
        return None
    fold = _split_of(result, run["seed"]) * len(result.folds)
    return np.round(entry["label_probability"][fold], ENTROPY_DECIMALS)


def _group_values(result, groups, y_of):
    """Per key and arm, ``(1 + B, n_seeds)`` alignments under the resamples.

    ``groups``: :func:`item_groups` of the seeds' items; ``y_of``: key ->
    ``f(result, run)``, the run's per-item values paired with the human
    entropy (None: missing, and the arm's entry is None).
    """
    runs = {(r["arm"], r["seed"]): r for r in result.runs}
    columns = {key: {arm: {} for arm in result.arms} for key in y_of}

    def one_group(group):
        seeds, rows, weights = group
        resamples = _Resamples(label_entropy(result.human[rows]), weights)
        cache, out = {}, []
        for key, f in y_of.items():
            for arm in result.arms:
                for seed in seeds:
                    y = f(result, runs[(arm, seed)])
                    value = None if y is None else _cached(resamples, y, cache)
                    out.append((key, arm, seed, value))
        return out

    # the groups are independent and each is computed whole by one thread (the
    # large numpy steps release the GIL), so the values do not depend on the
    # number of threads; results are taken in the groups' order
    with ThreadPoolExecutor(max_workers=_n_threads(result, len(groups))) as pool:
        for out in pool.map(one_group, groups):
            for key, arm, seed, value in out:
                columns[key][arm][seed] = value
    return {
        key: {
            arm: None
            if any(cols[s] is None for s in result.seeds)
            else np.stack([cols[s] for s in result.seeds], axis=1)
            for arm, cols in by_arm.items()
        }
        for key, by_arm in columns.items()
    }


def _n_threads(result, n_groups):
    """Threads for the per-group alignments: the audit's ``n_jobs`` (None: 1;
    negative: counted back from the CPUs, as joblib), at most 4 (each group's
    resample arrays take several hundred MB) and at most one per group."""
    n_jobs = result.params.get("n_jobs")
    if n_jobs is None:
        n = 1
    elif n_jobs < 0:
        n = max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    else:
        n = n_jobs
    return max(1, min(n, 4, n_groups))


def _draw(seed, code):
    """Resample counts of ``n`` items from the audit's stream ``code``."""

    def draw(n):
        return resample_weights(n, N_BOOTSTRAP, np.random.default_rng([seed, code]))

    return draw


def _item_values(result, seed):
    """The alignments under the item resamples, and the item counts.

    Test items: with one test set, the audit's resamples of all test items
    (subset code 0, as ``_result.py``); with a test set per seed, its union
    resamples (:func:`~sksoft.audit._stability.union_bootstrap_values`,
    code 99). Training items (one fold per split only): the resamples of
    the training rows (code :data:`TRAINING_CODE`), over their union when the
    seeds have their own.
    """
    tests = {s: result.test_set(s)["test_index"] for s in result.seeds}
    code = 99 if result._varying_test_sets() else 0
    test_groups, n_test = item_groups(tests, _draw(seed, code))
    values = _group_values(result, test_groups, {"heldout": _heldout_y})
    counts = {"n_test_items": n_test, "n_test_sets": len(test_groups)}
    counts["n_train_items"] = counts["n_train_sets"] = None
    if len(result.folds) == 1:
        trains = {s: result.test_set(s)["folds"][0][0] for s in result.seeds}
        train_groups, n_train = item_groups(trains, _draw(seed, TRAINING_CODE))
        values.update(
            _group_values(result, train_groups, {"map": _map_y, "targets": _target_y})
        )
        if len(train_groups) == 1:  # the targets do not depend on the seed
            values["targets"] = {
                a: v if v is None else v[:, :1] for a, v in values["targets"].items()
            }
        counts["n_train_items"], counts["n_train_sets"] = n_train, len(train_groups)
    return values, counts


def _alignment_row(result, i, values, confidence, seed_targets):
    """The three alignments of arm ``i``: mean, seed and item intervals."""
    arm = result.arms[i]
    row = {}
    for key, name in ALIGNMENTS:
        mat = result.scores.get(name)
        entry = {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan}
        if mat is not None:
            seeds = _seed_interval(mat[i], confidence)
            entry["mean"] = seeds["diff"]
            if key != "targets" or seed_targets:
                entry["ci_low"], entry["ci_high"] = seeds["ci_low"], seeds["ci_high"]
        boot = values.get(key, {}).get(arm)
        entry["boot_ci_low"] = entry["boot_ci_high"] = math.nan
        if _finite(boot):
            b = _percentile(boot, confidence)
            entry["boot_ci_low"], entry["boot_ci_high"] = b["ci_low"], b["ci_high"]
        row[key] = entry
    return row


def _alignment_diffs(result, i, values, confidence):
    """``arm - reference`` of the map and held-out alignments of arm ``i``."""
    arm, ref = result.arms[i], result.reference
    j = result.arms.index(ref)
    out = {}
    for key, name in ALIGNMENTS[1:]:
        mat = result.scores.get(name)
        if mat is None:
            continue
        eff = paired_difference(mat[i], mat[j], confidence=confidence)
        entry = {k: eff[k] for k in ("diff", "ci_low", "ci_high")}
        a, b = values.get(key, {}).get(arm), values.get(key, {}).get(ref)
        entry["boot_ci_low"] = entry["boot_ci_high"] = math.nan
        if _finite(a) and _finite(b):
            boot = bootstrap_interval(a, b, confidence=confidence)
            entry["boot_ci_low"], entry["boot_ci_high"] = (
                boot["ci_low"],
                boot["ci_high"],
            )
        out[key] = entry
    return out


def compute_maps(result):
    """The three alignments of every arm, and the held-out and map differences.

    Parameters
    ----------
    result : AuditResult

    Returns
    -------
    dict
        ``rows``: per arm, ``{key: {"mean", "ci_low", "ci_high",
        "boot_ci_low", "boot_ci_high"}}`` for ``targets`` (a seed interval
        only when the seeds have their own training rows: with one split the
        targets do not depend on the seed), ``map`` and ``heldout``;
        ``diffs``: per non-reference arm, ``{key: {"diff", "ci_low",
        "ci_high", "boot_ci_low", "boot_ci_high"}}`` of ``arm - reference``
        for ``map`` and ``heldout``; ``n_train_items`` and ``n_test_items``
        (items in the union of the seeds' sets; ``n_train_items`` None with
        several folds per split), ``n_train_sets`` and ``n_test_sets``
        (distinct item sets). Empty without the held-out metric.

    Notes
    -----
    Every seed's alignment is computed on its own items (its test rows;
    its first fold's training rows) and the statistic is the mean over
    seeds, as the arms' metrics are. The item intervals resample the union
    of the seeds' item sets once for every seed and arm (:func:`item_groups`),
    so seeds that share an item share its draws; with one item set this is
    the plain item bootstrap of that set.
    """
    if ALIGNMENTS[2][1] not in result.scores:
        return {}
    confidence = result.params["confidence"]
    seed = result.params.get("random_state", 0)
    seed = int(seed) if isinstance(seed, numbers.Integral) else 0
    values, counts = _item_values(result, seed)
    seed_targets = (counts["n_train_sets"] or 1) > 1
    rows = {
        arm: _alignment_row(result, i, values, confidence, seed_targets)
        for i, arm in enumerate(result.arms)
    }
    diffs = {
        arm: _alignment_diffs(result, i, values, confidence)
        for i, arm in enumerate(result.arms)
        if arm != result.reference
    }
    return {"rows": rows, "diffs": diffs, **counts}


def map_claim(diff, *, decimals=3):
    """The wording rule of the held-out alignment of one arm against the reference.

    Parameters
    ----------
    diff : dict
        ``arm - reference`` of the held-out alignment: ``diff``, ``ci_low``,
        ``ci_high`` (over seeds), ``boot_ci_low``, ``boot_ci_high`` (over test
        items).
    decimals : int, default=3
        The report's precision: a bound excludes 0 only when it is not 0 at
        this many decimals (an interval printed as ``[-0.052, 0.000]`` does
        not count as excluding 0).

    Returns
    -------
    {"more", "less", "not shown", "untestable"}
        ``"more"``: the arm's held-out confidence mirrors human uncertainty
        more closely (more negative) with **both** intervals below 0;
        ``"less"``: both above 0; ``"untestable"``: an interval is missing
        (too few seeds); otherwise ``"not shown"``.

    Examples
    --------
    >>> from sksoft.audit._maps import map_claim
    >>> map_claim({"ci_low": -.1, "ci_high": -.02, "boot_ci_low": -.08,
    ...            "boot_ci_high": .01})
    'not shown'
    """
    bounds = [
        diff.get(k, math.nan)
        for k in ("ci_low", "ci_high", "boot_ci_low", "boot_ci_high")
    ]
    if not all(math.isfinite(b) for b in bounds):
        return "untestable"
    lo, hi, blo, bhi = (round(b, decimals) for b in bounds)
    if hi < 0 and bhi < 0:
        return "more"
    if lo > 0 and blo > 0:
        return "less"
    return "not shown"
