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
    x = np.asarray(x, dtype=float)
    w = np.asarray(weights, dtype=float)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    group_weight = np.add.reduceat(w[:, order], starts, axis=1)
    mid = np.cumsum(group_weight, axis=1) - group_weight + (group_weight + 1.0) / 2.0
    sizes = np.diff(np.r_[starts, xs.size])
    ranks = np.empty_like(w)
    ranks[:, order] = mid[:, np.repeat(np.arange(starts.size), sizes)]
    return ranks


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
    w = np.asarray(weights, dtype=float)
    rx, ry = weighted_midranks(x, w), weighted_midranks(y, w)
    total = w.sum(axis=1, keepdims=True)
    dx = rx - (w * rx).sum(axis=1, keepdims=True) / total
    dy = ry - (w * ry).sum(axis=1, keepdims=True) / total
    vx, vy = (w * dx * dx).sum(axis=1), (w * dy * dy).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (w * dx * dy).sum(axis=1) / np.sqrt(vx * vy)
    return np.where((vx > 0) & (vy > 0), rho, np.nan)


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


def _heldout_values(result, arm, weights):
    """``(1 + B, n_seeds)``: the held-out alignment of ``arm``'s seeds."""
    h = label_entropy(result.human_test)
    label = _label(result)
    rows = np.arange(label.size)
    runs = [r for r in result.runs if r["arm"] == arm]
    return np.stack(
        [weighted_spearman(h, r["proba"][rows, label], weights) for r in runs], axis=1
    )


def _map_values(result, arm, weights, h_train):
    """``(1 + B, n_seeds)``: the data-map alignment of ``arm``'s seeds, or None."""
    runs = [r for r in result.runs if r["arm"] == arm]
    if not runs or any(not r["dynamics"] or r["dynamics"][0] is None for r in runs):
        return None
    return np.stack(
        [
            weighted_spearman(h_train, r["dynamics"][0]["confidence"], weights)
            for r in runs
        ],
        axis=1,
    )


def _target_values(result, arm, weights, h_train):
    """``(1 + B, 1)``: the targets' alignment of ``arm`` (no seed), or None."""
    entry = result.arm_targets.get(arm)
    if not entry:
        return None
    return weighted_spearman(h_train, entry["label_probability"][0], weights)[:, None]


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
    w_test = np.vstack([np.ones(n_test), w_test])
    one_split = len(result.folds) == 1
    train = result.folds[0][0]
    h_train = label_entropy(result.human[train])
    w_train = None
    if one_split:
        rng = np.random.default_rng([seed, TRAINING_CODE])
        w_train = resample_weights(train.size, N_BOOTSTRAP, rng)
        w_train = np.vstack([np.ones(train.size), w_train])
    values = {}
    rows = {}
    for i, arm in enumerate(result.arms):
        vals = {"heldout": _heldout_values(result, arm, w_test)}
        if one_split:
            vals["map"] = _map_values(result, arm, w_train, h_train)
            vals["targets"] = _target_values(result, arm, w_train, h_train)
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
