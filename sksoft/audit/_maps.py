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
training-row intervals over items exist with one split (with ``cv`` every
fold has its own training rows, and they are not computed).

:func:`map_claim` is the wording rule: the reading says an arm's model
"mirrors human uncertainty more closely" than the reference's only when its
**held-out** alignment is more negative with both intervals excluding 0.
"""

import math
import numbers

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


def _label(result):
    """Test-row labels the held-out confidence reads: gold, else the human mode."""
    if result.gold_test is not None:
        return result.gold_test
    return np.argmax(result.human_test, axis=1)


def _cached(resamples, y, cache):
    """``resamples.spearman(y)``, once per distinct ``y`` (``gold_temperature``'s
    data map is ``gold``'s)."""
    key = np.asarray(y, dtype=float).tobytes()
    if key not in cache:
        cache[key] = resamples.spearman(y)
    return cache[key]


def _heldout_values(result, arm, resamples, cache):
    """``(1 + B, n_seeds)``: the held-out alignment of ``arm``'s seeds."""
    label = _label(result)
    rows = np.arange(label.size)
    seeds = result.first_split_seeds()
    runs = [r for r in result.runs if r["arm"] == arm and r["seed"] in seeds]
    return np.stack(
        [_cached(resamples, r["proba"][rows, label], cache) for r in runs], axis=1
    )


def _map_values(result, arm, resamples, cache):
    """``(1 + B, n_seeds)``: the data-map alignment of ``arm``'s seeds, or None."""
    seeds = result.first_split_seeds()
    runs = [r for r in result.runs if r["arm"] == arm and r["seed"] in seeds]
    if not runs or any(not r["dynamics"] or r["dynamics"][0] is None for r in runs):
        return None
    return np.stack(
        [_cached(resamples, r["dynamics"][0]["confidence"], cache) for r in runs],
        axis=1,
    )


def _target_values(result, arm, resamples, cache):
    """``(1 + B, 1)``: the targets' alignment of ``arm`` (no seed), or None."""
    entry = result.arm_targets.get(arm)
    if not entry:
        return None
    prob = np.round(entry["label_probability"][0], ENTROPY_DECIMALS)
    return _cached(resamples, prob, cache)[:, None]


def compute_maps(result):
    """The three alignments of every arm, and the held-out and map differences.

    Parameters
    ----------
    result : AuditResult

    Returns
    -------
    dict
        ``rows``: per arm, ``{key: {"mean", "ci_low", "ci_high",
        "boot_ci_low", "boot_ci_high"}}`` for ``targets`` (no seed interval:
        the targets do not depend on the seed), ``map`` and ``heldout``;
        ``diffs``: per non-reference arm, ``{key: {"diff", "ci_low",
        "ci_high", "boot_ci_low", "boot_ci_high"}}`` of ``arm - reference``
        for ``map`` and ``heldout``; ``n_train_items`` and ``n_test_items``.
        Empty without the held-out metric.
    """
    if ALIGNMENTS[2][1] not in result.scores:
        return {}
    confidence = result.params["confidence"]
    seed = result.params.get("random_state", 0)
    seed = int(seed) if isinstance(seed, numbers.Integral) else 0
    n_test = len(result.test_index)
    # the audit's resamples of all test items (subset code 0, as _result.py)
    w_test = resample_weights(n_test, N_BOOTSTRAP, np.random.default_rng([seed, 0]))
    test_resamples = _Resamples(
        label_entropy(result.human_test), np.vstack([np.ones(n_test), w_test])
    )
    one_split = len(result.folds) == 1
    train = result.folds[0][0]
    if one_split:
        rng = np.random.default_rng([seed, TRAINING_CODE])
        w_train = resample_weights(train.size, N_BOOTSTRAP, rng)
        train_resamples = _Resamples(
            label_entropy(result.human[train]),
            np.vstack([np.ones(train.size), w_train]),
        )
    values = {}
    rows = {}
    test_cache, train_cache = {}, {}
    for i, arm in enumerate(result.arms):
        vals = {"heldout": _heldout_values(result, arm, test_resamples, test_cache)}
        if one_split:
            vals["map"] = _map_values(result, arm, train_resamples, train_cache)
            vals["targets"] = _target_values(result, arm, train_resamples, train_cache)
        values[arm] = vals
        row = {}
        for key, name in ALIGNMENTS:
            mat = result.scores.get(name)
            entry = {"mean": math.nan, "ci_low": math.nan, "ci_high": math.nan}
            if mat is not None:
                seeds = _seed_interval(mat[i], confidence)
                entry["mean"] = seeds["diff"]
                if key != "targets":
                    entry["ci_low"], entry["ci_high"] = (
                        seeds["ci_low"],
                        seeds["ci_high"],
                    )
            boot = vals.get(key)
            entry["boot_ci_low"] = entry["boot_ci_high"] = math.nan
            if _finite(boot):
                b = _percentile(boot, confidence)
                entry["boot_ci_low"], entry["boot_ci_high"] = b["ci_low"], b["ci_high"]
            row[key] = entry
        rows[arm] = row
    ref = result.reference
    diffs = {}
    for i, arm in enumerate(result.arms):
        if arm == ref:
            continue
        out = {}
        for key, name in ALIGNMENTS[1:]:
            mat = result.scores.get(name)
            if mat is None:
                continue
            j = result.arms.index(ref)
            eff = paired_difference(mat[i], mat[j], confidence=confidence)
            entry = {k: eff[k] for k in ("diff", "ci_low", "ci_high")}
            a, b = values[arm].get(key), values[ref].get(key)
            entry["boot_ci_low"] = entry["boot_ci_high"] = math.nan
            if (
                a is not None
                and b is not None
                and np.isfinite(a).all()
                and np.isfinite(b).all()
            ):
                boot = bootstrap_interval(a, b, confidence=confidence)
                entry["boot_ci_low"], entry["boot_ci_high"] = (
                    boot["ci_low"],
                    boot["ci_high"],
                )
            out[key] = entry
        diffs[arm] = out
    return {
        "rows": rows,
        "diffs": diffs,
        "n_train_items": int(train.size) if one_split else None,
        "n_test_items": n_test,
    }


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
