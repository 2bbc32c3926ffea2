"""Stability over seeds: what can be tested, variance components, churn (private).

- :func:`sampling_sd`: the test-item sampling SD of a metric for one run
  (its item-bootstrap SD); a spread comparison is testable only where a
  seed SD exceeds it (:func:`spread_testability`). With a test set per seed
  the SD compared is :func:`pooled_sampling_sd`, the root mean square over
  the seeds of each seed's own sampling SD.
- :func:`variance_components`: a one-way random-effects decomposition of
  the seed variance into initialisation/order (seeds sharing a split) and
  data (between splits).
- :func:`prediction_churn` and :func:`gold_probability_sd`: per-item
  stability, on the items that are test items of both (or several) seeds.
- :func:`union_bootstrap_values`: the item bootstrap when each seed has
  its own test set.
- :func:`stability_verdict`: the answer "yes / no / untestable" with one
  line of evidence, for the report's glance table.
"""

import math
from itertools import combinations

import numpy as np

from ..sources import HUMAN_SOFT_ARMS
from ._metrics import SPECS, spread_metrics
from ._score import disagreement_mask, item_terms
from ._stats import (
    N_BOOTSTRAP,
    PLANNED_RATIO,
    POWER,
    detectable_ratio,
    resample_weights,
    seeds_needed,
    weighted_values,
)

#: seed correlations at which the report states the spread test's power
POWER_CORRELATIONS = (0.0, 0.3, 0.6, 0.9)


def variance_components(values, groups):
    """One-way random-effects decomposition of ``values`` by ``groups``.

    Parameters
    ----------
    values : array-like of shape (n,)
        One metric per seed.
    groups : array-like of shape (n,)
        The split of each seed (seeds of one split differ only in
        initialisation and batch order).

    Returns
    -------
    dict
        ``ms_between``, ``ms_within`` (mean squares), ``n0`` (the effective
        group size ``(N - sum n_i^2 / N) / (g - 1)``, ``n_i`` for balanced
        groups), ``var_within = ms_within`` (initialisation/order),
        ``var_between = max(0, (ms_between - ms_within) / n0)`` (data),
        their square roots ``sd_within``, ``sd_between`` and ``share_between``
        (``var_between / (var_between + var_within)``); nan entries when
        fewer than 2 groups or no group has 2 values.

    Examples
    --------
    >>> out = variance_components([1.0, 3.0, 5.0, 7.0], [0, 0, 1, 1])
    >>> out["ms_between"], out["ms_within"], out["var_between"]
    (16.0, 2.0, 7.0)
    """
    y = np.asarray(values, dtype=float)
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    keep = np.isfinite(y)
    y, g = y[keep], g[keep]
    nan = dict.fromkeys(
        (
            "ms_between",
            "ms_within",
            "n0",
            "var_within",
            "var_between",
            "sd_within",
            "sd_between",
            "share_between",
        ),
        math.nan,
    )
    n_groups = np.unique(g).size
    N = y.size
    if n_groups < 2 or N - n_groups < 1:
        return {**nan, "n_groups": int(n_groups), "n": int(N)}
    _, g = np.unique(g, return_inverse=True)
    sizes = np.bincount(g).astype(float)
    means = np.bincount(g, weights=y) / sizes
    grand = y.mean()
    ms_b = float((sizes * (means - grand) ** 2).sum() / (n_groups - 1))
    ms_w = float(((y - means[g]) ** 2).sum() / (N - n_groups))
    n0 = float((N - (sizes**2).sum() / N) / (n_groups - 1))
    var_b = max(0.0, (ms_b - ms_w) / n0)
    total = var_b + ms_w
    return {
        "ms_between": ms_b,
        "ms_within": ms_w,
        "n0": n0,
        "var_within": ms_w,
        "var_between": var_b,
        "sd_within": math.sqrt(ms_w),
        "sd_between": math.sqrt(var_b),
        "share_between": var_b / total if total > 0 else math.nan,
        "n_groups": int(n_groups),
        "n": int(N),
    }


def _positions(index, rows):
    """Positions of ``rows`` in the sorted ``index``."""
    return np.searchsorted(index, rows)


def prediction_churn(probas, test_indices):
    """Share of items whose predicted class differs between two seeds.

    For every pair of seeds, on the items that are test items of both, the
    share whose argmax (ties to the first class) differs; averaged over the
    pairs (pairs without a common item are skipped).

    Parameters
    ----------
    probas : list of ndarray of shape (n_test_s, n_classes)
        One run per seed.
    test_indices : list of ndarray of shape (n_test_s,)
        The sorted rows of each run's probabilities.

    Returns
    -------
    churn : float
        nan with fewer than two seeds.
    n_pairs : int

    Examples
    --------
    >>> import numpy as np
    >>> p1 = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> p2 = np.array([[0.3, 0.7], [0.1, 0.9]])
    >>> prediction_churn([p1, p2], [np.array([0, 1, 2]), np.array([1, 2])])
    (0.5, 1)
    """
    shares = []
    preds = [np.argmax(p, axis=1) for p in probas]
    for a, b in combinations(range(len(probas)), 2):
        common = np.intersect1d(test_indices[a], test_indices[b])
        if common.size == 0:
            continue
        pa = preds[a][_positions(test_indices[a], common)]
        pb = preds[b][_positions(test_indices[b], common)]
        shares.append(float(np.mean(pa != pb)))
    return (float(np.mean(shares)) if shares else math.nan), len(shares)


def gold_probability_sd(probas, test_indices, labels):
    """Mean over items of the SD (ddof=1) over seeds of the label's probability.

    Each item counts over the seeds in which it is a test item (at least two).

    Parameters
    ----------
    probas, test_indices
        As for :func:`prediction_churn`.
    labels : ndarray of shape (n_samples,)
        Column of each row's reference label (gold, or the human mode).

    Returns
    -------
    sd : float
        nan when no item is a test item of two seeds.
    n_items : int

    Examples
    --------
    >>> import numpy as np
    >>> p1 = np.array([[0.9, 0.1], [0.2, 0.8]])
    >>> p2 = np.array([[0.7, 0.3], [0.4, 0.6]])
    >>> sd, n = gold_probability_sd([p1, p2], [np.array([0, 1])] * 2,
    ...                             np.array([0, 1]))
    >>> round(sd, 6), n
    (0.141421, 2)
    """
    labels = np.asarray(labels)
    n = labels.size
    values = [[] for _ in range(n)]
    for p, idx in zip(probas, test_indices):
        got = p[np.arange(idx.size), labels[idx]]
        for row, v in zip(idx.tolist(), got.tolist()):
            values[row].append(v)
    sds = [np.std(v, ddof=1) for v in values if len(v) >= 2]
    return (float(np.mean(sds)) if sds else math.nan), len(sds)


def sampling_sd(name, y_prob, gold, human, hard, *, n_bins=15, random_state=0):
    """Test-item sampling SD of metric ``name`` for one run (item bootstrap).

    The standard deviation (ddof=1) of the metric over :data:`N_BOOTSTRAP`
    resamples of the run's test items (within the metric's subset); nan for
    a metric that is not a sum over items (see
    :func:`~sksoft.audit._score.item_terms`).

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    >>> gold = np.array([0, 1, 1, 1])
    >>> human = np.array([[0.7, 0.3], [0.5, 0.5], [0.4, 0.6], [0.2, 0.8]])
    >>> sd = sampling_sd("accuracy_vs_gold", p, gold, human, np.zeros(4, bool))
    >>> 0.1 < sd < 0.35  # sqrt(0.75 * 0.25 / 4) = 0.217
    True
    """
    terms = item_terms(name, y_prob, gold, human, hard, n_bins=n_bins)
    if terms is None or terms.terms.size < 2:
        return math.nan
    rng = np.random.default_rng([int(random_state), 17])
    w = resample_weights(terms.terms.size, N_BOOTSTRAP, rng)
    return float(np.std(weighted_values([terms], w)[:, 0], ddof=1))


def pooled_sampling_sd(runs, arm, test_sets, name, *, n_bins=15, random_state=0):
    """Test-item sampling SD of ``name`` when each seed has its own test set.

    The root mean square over the seeds of the per-seed sampling SDs,
    ``sqrt(mean_s sd_s ** 2)``, where ``sd_s`` is :func:`sampling_sd` of
    ``arm``'s run of seed ``s`` on that seed's own test set: the square root
    of the mean test-item sampling variance of one seed's metric, the noise a
    seed SD is compared with (:func:`spread_testability`). Seeds whose SD is
    undefined (a subset of fewer than 2 items) are left out; nan when none
    is defined. With one test set the audit uses :func:`sampling_sd` of the
    first run instead.

    Parameters
    ----------
    runs : list of dict
        The audit's runs (``arm``, ``seed``, ``proba``).
    arm : str
        The arm whose runs are resampled (the reference).
    test_sets : dict
        seed -> dict with ``gold_test``, ``human_test``, ``hard_mask``.
    name : str
        The metric.

    Examples
    --------
    >>> import numpy as np
    >>> human = np.array([[0.7, 0.3], [0.5, 0.5], [0.4, 0.6], [0.2, 0.8]])
    >>> ts = {"gold_test": np.array([0, 1, 1, 1]), "human_test": human,
    ...       "hard_mask": np.zeros(4, bool)}
    >>> p = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]])
    >>> runs = [{"arm": "gold", "seed": s, "proba": p} for s in (0, 1)]
    >>> one = sampling_sd("accuracy_vs_gold", p, ts["gold_test"], human,
    ...                   ts["hard_mask"])
    >>> both = pooled_sampling_sd(runs, "gold", {0: ts, 1: ts}, "accuracy_vs_gold")
    >>> bool(np.isclose(both, one))  # two equal SDs: their RMS is the SD
    True
    """
    sds = []
    for run in runs:
        if run["arm"] != arm:
            continue
        ts = test_sets[run["seed"]]
        sds.append(
            sampling_sd(
                name,
                run["proba"],
                ts["gold_test"],
                ts["human_test"],
                ts["hard_mask"],
                n_bins=n_bins,
                random_state=random_state,
            )
        )
    sds = np.asarray(sds, float)
    sds = sds[np.isfinite(sds)]
    return float(np.sqrt(np.mean(sds**2))) if sds.size else math.nan


def sampling_sd_text(result, noise, names, fmt):
    """The report's sentence on the test-item sampling SD a seed SD must exceed.

    ``noise``: metric -> its sampling SD (the spreads' ``sampling_sd``);
    ``fmt``: the report's number formatter.
    """
    values = ", ".join(f"`{m}` {fmt(noise[m])}" for m in names)
    ref = result.reference
    if result._varying_test_sets():
        what = (
            "the root mean square over the "
            f"{len(result.seeds)} seeds of the item-bootstrap SD of the metric "
            f"for `{ref}`'s run on that seed's own test set, sqrt(mean over "
            f"seeds of SD^2): {values}); below it the seeds differ by less than "
            "one test set's own noise."
        )
    else:
        what = (
            f"the item-bootstrap SD of the metric for `{ref}`'s first run: "
            f"{values}); below it the seeds differ by less than the test set's "
            "own noise."
        )
    return (
        "Tested family of spread metrics: "
        + ", ".join(f"`{m}`" for m in names)
        + f" for every arm against `{ref}` (Holm-adjusted together; the "
        "verdict at the top reads the arms trained on human soft labels, "
        + ", ".join(f"`{a}`" for a in HUMAN_SOFT_ARMS)
        + ", while the synthetic controls' rows are context). "
        "A comparison is tested only where it is testable: the larger of the two "
        "seed SDs must exceed the metric's test-item sampling SD (" + what
    )


def spread_testability(sd_arm, sd_ref, noise_sd, *, convex=False, design="init"):
    """Whether a seed-spread comparison can be read, and why not.

    Testable when the larger of the two seed SDs exceeds the metric's
    test-item sampling SD ``noise_sd``: below it, the seeds differ by less
    than the test set's own sampling noise, and a ratio of two such spreads
    says nothing about how stable the arms are on new data.

    Returns
    -------
    testable : bool
    reason : str
        Empty when testable.

    Examples
    --------
    >>> spread_testability(0.01, 0.02, 0.006)
    (True, '')
    >>> spread_testability(0.0006, 0.0019, 0.006)[0]
    False
    """
    if not math.isfinite(noise_sd):
        return False, "no test-item sampling SD for this metric"
    if not (math.isfinite(sd_arm) and math.isfinite(sd_ref)):
        return False, "the seed SD is undefined (fewer than 2 seeds)"
    top = max(sd_arm, sd_ref)
    if top > noise_sd:
        return True, ""
    why = (
        f"seed SDs ({sd_arm:.2g}, reference {sd_ref:.2g}) below the test-item "
        f"sampling SD {noise_sd:.2g}"
    )
    if design == "init" and convex:
        why += (
            "; the model has no hidden layer (one optimum) and a seed changes "
            "only its initialisation and batch order"
        )
    elif design == "init":
        why += "; a seed changes only initialisation and batch order"
    return False, why


def union_bootstrap_values(
    runs, arms, seeds, test_sets, name, weights, *, n_bins, random_state=0
):
    """``(1 + N_BOOTSTRAP, n_arms, n_seeds)`` values of ``name`` when test sets vary.

    One resample draws rows from the union of the seeds' test sets (with
    replacement); each seed's metric is then that resample's weighted metric
    over its own test items (its subset), the same weights for every arm.
    Seeds sharing test items share their draws, as the single-test-set
    bootstrap does; with one test set for all seeds it is that bootstrap
    over the test set (with the subset's size left random).

    ``test_sets``: seed -> dict with ``test_index``, ``gold_test``,
    ``human_test``, ``hard_mask``. ``weights``: a cache (filled here under
    ``"union"``). Returns None when the metric has no item terms.
    """
    union = np.unique(np.concatenate([test_sets[s]["test_index"] for s in seeds]))
    if "union" not in weights:
        rng = np.random.default_rng([int(random_state), 99])
        weights["union"] = resample_weights(union.size, N_BOOTSTRAP, rng).astype(
            np.int32
        )
    subset = SPECS[name].subset
    out = np.empty((1 + N_BOOTSTRAP, len(arms), len(seeds)))
    for j, seed in enumerate(seeds):
        ts = test_sets[seed]
        hard = ts["hard_mask"]
        if subset == "disagree":
            mask = disagreement_mask(ts["human_test"])
        else:
            mask = {None: None, "all": None, "hard": hard, "easy": ~hard}[subset]
        rows = ts["test_index"] if mask is None else ts["test_index"][mask]
        cols = _positions(union, rows)
        items = []
        for arm in arms:
            run = next(r for r in runs if r["arm"] == arm and r["seed"] == seed)
            terms = item_terms(
                name,
                run["proba"],
                ts["gold_test"],
                ts["human_test"],
                hard,
                n_bins=n_bins,
            )
            if terms is None:
                return None
            items.append(terms)
        w = np.vstack([np.ones(cols.size), weights["union"][:, cols]])
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, :, j] = weighted_values(items, w)
    return out


def power_rows(n, *, confidence=0.95, correlations=POWER_CORRELATIONS):
    """The spread test's power over a range of seed correlations.

    Returns
    -------
    rows : list of dict
        Per correlation: ``corr``, ``detectable_ratio`` (the SD ratio with
        80% power at ``n`` seeds) and ``seeds_for_half`` (seeds for 80% power
        at an SD ratio of 0.5).
    """
    return [
        {
            "corr": float(c),
            "detectable_ratio": detectable_ratio(
                n, c, power=POWER, confidence=confidence
            ),
            "seeds_for_half": seeds_needed(
                PLANNED_RATIO, c, power=POWER, confidence=confidence
            ),
        }
        for c in correlations
    ]


def _runs_of(result, arm):
    runs = [r for r in result.runs if r["arm"] == arm]
    return [r["proba"] for r in runs], [
        result.test_set(r["seed"])["test_index"] for r in runs
    ]


def item_stability(result):
    """Per arm: prediction churn and per-item SD of the reference label's probability.

    The reference label is gold (the human mode without gold labels).

    Returns
    -------
    dict of str to dict
        Arm -> ``churn``, ``n_pairs``, ``label_prob_sd``, ``n_items``.
    """
    labels = result.gold if result.gold is not None else np.argmax(result.human, 1)
    out = {}
    for arm in result.arms:
        probas, idx = _runs_of(result, arm)
        churn, pairs = prediction_churn(probas, idx)
        sd, items = gold_probability_sd(probas, idx, labels)
        out[arm] = {
            "churn": churn,
            "n_pairs": pairs,
            "label_prob_sd": sd,
            "n_items": items,
        }
    return out


def seed_variance_components(result):
    """Variance components of each arm and spread metric, or {} when not measured.

    Measured when the seeds draw splits (or resamples) and at least two seeds
    share one (``inits_per_split >= 2``) across at least two splits.
    """
    split_of = result.params.get("seed_split")
    if not split_of or len(set(split_of)) < 2 or len(set(split_of)) == len(split_of):
        return {}
    out = {}
    for name in spread_metrics(result.scores):
        for i, arm in enumerate(result.arms):
            out[(arm, name)] = variance_components(result.scores[name][i], split_of)
    return out


def stability_verdict(result):
    """ "yes" / "no" / "untestable": is soft-label training more stable over seeds?

    From the rows of :meth:`AuditResult.spreads` of the arms whose targets
    carry the human uncertainty (``HUMAN_SOFT_ARMS`` of the arm registry:
    ``human_soft``, ``human_soft_gold_mode``, ``human_dawid_skene``; the
    synthetic controls ``smoothed`` and ``teacher`` are in the report's
    stability table but do not answer the question) on
    :func:`~sksoft.audit._metrics.spread_metrics`, only the testable rows:
    "yes" when some testable row has a Holm-adjusted Pitman-Morgan
    p at most ``1 - confidence`` with a ratio below 1 and none with a ratio
    above 1; "no" when some testable row shows a larger spread; "not shown"
    when rows are testable but none differs (the glance's wording for no clear
    difference); "untestable" when no row is testable or no
    human-soft-label arm was trained.

    Returns
    -------
    answer : str
    evidence : str
        One line.
    """
    alpha = 1.0 - result.params["confidence"]
    names = spread_metrics(result.scores)
    human = set(result.soft_arms()) & set(HUMAN_SOFT_ARMS)
    rows = [r for r in result.spreads() if r["arm"] in human and r["metric"] in names]
    design = result.params.get("seed_design", "init")
    if not rows:
        return "untestable", "no human-soft-label arm was trained"
    tested = [r for r in rows if r.get("testable")]
    if not tested:
        return "untestable", _untestable_evidence(rows, names, design)
    return _tested_verdict(tested, len(rows), design, alpha)


def _untestable_evidence(rows, names, design):
    """The evidence line when no spread comparison is testable.

    Cites the first spread metric (hard-sample ECE), ``human_soft`` if trained.
    """
    first = [r for r in rows if r["metric"] == names[0]] or rows
    r = next((x for x in first if x["arm"] == "human_soft"), first[0])
    return (
        f"{len(rows)} spread comparisons, none testable ({design} seeds): "
        f"`{r['arm']}` `{r['metric']}`: {r['untestable_reason']}"
    )


def _cite_spread(r):
    """One spread row in the verdict's words: ratio, interval, Holm p."""
    return (
        f"`{r['arm']}` `{r['metric']}` SD ratio {r['ratio']:.2f} "
        f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}], Holm p {r['p_holm']:.3g}"
    )


def _tested_verdict(tested, n_rows, design, alpha):
    """``(answer, evidence)`` of :func:`stability_verdict` from the testable rows."""
    sig = [r for r in tested if math.isfinite(r["p_holm"]) and r["p_holm"] <= alpha]
    smaller = [r for r in sig if r["ratio"] < 1]
    larger = [r for r in sig if r["ratio"] > 1]
    head = f"{len(tested)} of {n_rows} spread comparisons testable ({design} seeds)"
    if smaller and not larger:
        return "yes", f"{head}; smaller: {_cite_spread(smaller[0])}"
    if larger:
        return "no", f"{head}; larger: {_cite_spread(larger[0])}"
    best = min(tested, key=lambda r: r["p_holm"] if math.isfinite(r["p_holm"]) else 2)
    return "not shown", f"{head}; none differs (lowest: {_cite_spread(best)})"


# ---------------------------------------------------------------- report

#: what each design varies, in the report's words
DESIGN_TEXT = {
    "init": (
        "one train/test split for every seed: a seed changes the model's "
        "initialisation and batch order only"
    ),
    "split": (
        "each seed draws its own train/test split (stratified, groups and "
        "duplicate texts kept whole) besides its initialisation and batch order"
    ),
    "resample": (
        "one test set; each seed trains on its own random subsample of the "
        "training rows (1 - 1/e of them, stratified, without replacement) "
        "besides its initialisation and batch order"
    ),
}


def design_line(result):
    """One sentence: what a seed varies in this audit (and the duplicate groups)."""
    p = result.params
    design = p.get("seed_design", "init")
    text = f"Seed design `{design}`: {DESIGN_TEXT[design]}"
    r = p.get("inits_per_split")
    if design != "init" and r and r > 1:
        text += f"; {r} seeds in a row share one split (initialisation within data)"
    text += "."
    if p.get("duplicate_groups"):
        text += (
            f" {p['duplicate_groups']} groups of identical texts (after case and "
            f"whitespace normalisation; {p['duplicate_rows']} rows) are kept on "
            "one side of every split."
        )
    return text


def stability_lines(result, part, *, fmt, pct, md_table):
    """The report's stability paragraphs.

    ``part="head"`` (before the spread table): the seed design and the
    tested family; ``"tail"``: which comparisons are testable, power over
    seed correlations, variance components, per-item stability and the
    verdict.
    ``fmt``, ``pct`` and ``md_table`` are the report's number and table
    formatters (:mod:`sksoft.audit._report`, which calls this).
    """

    names = spread_metrics(result.scores)
    spreads = {(r["arm"], r["metric"]): r for r in result.spreads()}
    if part == "head":
        return _family_lines(result, names, spreads, fmt)
    L = _testability_lines(names, spreads, md_table)
    L += _power_lines(len(result.seeds), result.params["confidence"], fmt, md_table)
    L += _variance_component_lines(result, fmt, pct, md_table)
    L += _item_stability_lines(result, fmt, md_table)
    answer, evidence = stability_verdict(result)
    L.append(f"Stability verdict: **{answer}** ({evidence}).")
    L.append("")
    return L


def _family_lines(result, names, spreads, fmt):
    """The head: the seed design and the tested family of spread metrics."""
    noise = {
        m: next(
            (r["sampling_sd"] for (a, mm), r in spreads.items() if mm == m), math.nan
        )
        for m in names
    }
    return [design_line(result), "", sampling_sd_text(result, noise, names, fmt), ""]


def _testability_lines(names, spreads, md_table):
    """Which spread comparisons are testable (and why not), as a table."""
    rows = []
    for (arm, m), r in spreads.items():
        if m not in names:
            continue
        rows.append(
            [
                f"`{arm}`",
                f"`{m}`",
                "yes" if r["testable"] else "untestable",
                r["untestable_reason"] or "",
            ]
        )
    return [
        "### Testability, power and per-item stability",
        "",
        "Which spread comparisons are testable (seed SD against the test-item "
        "sampling SD):",
        "",
        md_table(["arm", "metric", "testable", "why not"], rows),
        "",
    ]


def _power_lines(n, conf, fmt, md_table):
    """The spread test's power with ``n`` seeds over a range of seed correlations."""
    power = power_rows(n, confidence=conf)
    L = [
        f"Power of the spread test with these {n} seeds over a range of seed "
        "correlations (the observed ones are in the table above): detectable = "
        f"the SD ratio below which the test has {int(100 * POWER)}% power; seeds "
        f"for {PLANNED_RATIO} = seeds that {int(100 * POWER)}% power at a ratio "
        f"of {PLANNED_RATIO} needs.",
        "",
    ]
    L.append(
        md_table(
            ["seed correlation", "detectable ratio", f"seeds for {PLANNED_RATIO}"],
            [
                [
                    fmt(p["corr"]),
                    fmt(p["detectable_ratio"]),
                    str(int(p["seeds_for_half"]))
                    if math.isfinite(p["seeds_for_half"])
                    else "n/a",
                ]
                for p in power
            ],
        )
    )
    L.append("")
    return L


def _variance_component_lines(result, fmt, pct, md_table):
    """The variance components over the splits (none when not measured)."""
    comps = seed_variance_components(result)
    if not comps:
        return []
    crow = [
        [
            f"`{arm}`",
            f"`{m}`",
            fmt(c["sd_within"]),
            fmt(c["sd_between"]),
            pct(c["share_between"]),
        ]
        for (arm, m), c in comps.items()
    ]
    return [
        "Variance components (one-way random effects over the splits: "
        "within a split the seeds differ in initialisation and batch order, "
        "between splits also in the data, training and test rows): SD "
        "within / between splits and the data's share of the variance. "
        "Seeds that share a split are not independent draws of the data; "
        "the spread tests above treat every seed as one draw.",
        "",
        md_table(["arm", "metric", "SD init/order", "SD data", "data share"], crow),
        "",
    ]


def _item_stability_lines(result, fmt, md_table):
    """Per-item stability (churn, SD of the label's probability) and, with a
    split per seed, what the intervals cover."""
    items = item_stability(result)
    design = result.params.get("seed_design", "init")
    where = (
        "on the items that are test items of both seeds"
        if result._varying_test_sets()
        else "on the test items"
    )
    label = "gold label" if result.gold is not None else "human mode"
    L = [
        f"Per-item stability: churn = share of items whose predicted class "
        f"differs between two seeds ({where}), mean over seed pairs; SD p(label) "
        f"= mean over items of the SD over seeds of the {label}'s probability.",
        "",
        md_table(
            ["arm", "churn", "SD p(label)", "items"],
            [
                [f"`{a}`", fmt(v["churn"]), fmt(v["label_prob_sd"]), str(v["n_items"])]
                for a, v in items.items()
            ],
        ),
        "",
    ]
    if design == "split" and result._varying_test_sets():
        L.append(
            "With a split per seed the t-intervals over seeds cover the sampling "
            "of the test items too; the item bootstrap draws rows from the union "
            "of the seeds' test sets, each seed scored on its own test items "
            "with the same draws."
        )
        L.append("")
    return L
