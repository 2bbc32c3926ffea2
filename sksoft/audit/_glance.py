"""The report's "verdicts at a glance": one answer per question of the paper.

Private. Each function reads an :class:`~sksoft.audit.AuditResult` and
returns ``(answer, evidence)``: ``answer`` is one of :data:`ANSWERS` (with a
short reason after "untestable"), ``evidence`` one line of numbers from the
report's tables. :func:`glance_rows` lists the questions in the paper's
order and :func:`glance_lines` writes them as the table at the top of
``report.md``.

Every better / worse here is the report's: the Holm-adjusted seed test **and**
the paired item bootstrap interval excluding 0 (``verdict_both`` of
:meth:`~sksoft.audit.AuditResult.effects`). When the models are not above the
majority-class baseline every row is "untestable".
"""

import math

from ._metrics import CONTROL_METRICS, HEADLINE, HEADLINE_DISAGREE, spread_metrics
from ._test_sets import count_text, per_seed_counts, subset_items_text

# the stability and map verdicts of their own modules, where they exist (they
# land separately; without them the rows are written from what exists)
try:
    from ._stability import stability_verdict
except ImportError:  # pragma: no cover - depends on the merge order
    stability_verdict = None
try:
    from ._maps import map_claim
except ImportError:  # pragma: no cover - depends on the merge order
    map_claim = None

#: the answers a row can give
ANSWERS = ("yes", "no", "untestable", "not shown")

#: the arm whose targets are the human soft labels
HUMAN_ARM = "human_soft"


def _f(x):
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    text = f"{float(x):.3f}"
    return "0.000" if text == "-0.000" else text


def _pct(x):
    return "n/a" if not math.isfinite(x) else f"{100 * x:.1f}%"


def _effect(result, arm, metric, against=None):
    """The effect (or control) row of ``arm`` on ``metric``, or None."""
    if against is None or against == result.reference:
        rows = result.effects()
    else:
        rows = [r for r in result.controls() if r["control"] == against]
    for row in rows:
        if row["arm"] == arm and row["metric"] == metric:
            return row
    return None


def _both(e, holm=True):
    """The difference with both intervals (and the Holm p), in one phrase."""
    if e is None:
        return "n/a"
    text = f"{_f(e['diff'])} [{_f(e['ci_low'])}, {_f(e['ci_high'])}] over seeds"
    if math.isfinite(e.get("boot_ci_low", math.nan)):
        text += f", [{_f(e['boot_ci_low'])}, {_f(e['boot_ci_high'])}] over items"
    return text + (f", Holm p {_f(e['p_holm'])}" if holm else "")


def _mean(result, arm, metric):
    for row in result.summary():
        if row["arm"] == arm and row["metric"] == metric:
            return row["mean"]
    return math.nan


def _answer(e):
    """yes / no / not shown / untestable from one effect's ``verdict_both``."""
    verdict = "n/a" if e is None else e.get("verdict_both", "n/a")
    if verdict == "better":
        return "yes"
    if verdict == "worse":
        return "no"
    if verdict == "n/a":
        return "untestable (one seed: no seed interval)"
    return "not shown"


# ---------------------------------------------------------------- the gate


def majority_gate(result):
    """Evidence that the models are not above the majority baseline, or None.

    Reads the result's one-sided test of the reference arm against the
    majority-class baseline on the test items (``result.above_majority`` and
    ``result.majority_tests()[reference]``: ``accuracy``,
    ``majority_accuracy``, ``p_value``); None when the result has no such
    test or the models are above the baseline.
    """
    if not hasattr(result, "above_majority") or result.above_majority:
        return None
    out = result.majority_tests().get(result.reference, {})
    return (
        f"`{result.reference}` accuracy {_f(out.get('accuracy'))} vs majority "
        f"baseline {_f(out.get('majority_accuracy'))}, one-sided p "
        f"{_f(out.get('p_value'))}"
    )


# ---------------------------------------------------------------- questions


def _subset_items(result, metric, mask):
    """``(n, items, none)`` of the hard-sample row's subset: its largest count,
    its size in words and the words when it is empty. With a test set per
    seed they are stated per seed (:mod:`sksoft.audit._test_sets`)."""
    if not result._varying_test_sets():
        n = int(mask.sum())
        items = f"{n} of {mask.size} test items ({_pct(n / mask.size) if n else ''})"
        return n, items, f"0 of {mask.size} test items"
    which = "hard" if metric == HEADLINE else "disagree"
    c = per_seed_counts(result)
    none = f"0 of {count_text(c['n_test'])} test items per seed"
    return int(c[f"n_{which}"].max()), subset_items_text(result, which), none


def hard_sample_calibration(result, metric=HEADLINE):
    """Do human soft labels calibrate better on hard samples?

    ``human_soft - reference`` on ``metric`` (``ece_hard_vs_human``: the top
    fraction by human entropy; ``ece_disagree_vs_human``: any disagreement):
    "yes" when better on both noises, "no" when worse, "not shown" otherwise.
    """
    if HUMAN_ARM not in result.arms or HUMAN_ARM == result.reference:
        return "untestable (`human_soft` not trained)", "no human-soft-label arm"
    if metric == HEADLINE:
        mask = result.hard_mask
        subset = "hard"
    else:
        mask = result.disagree_mask
        subset = "with disagreement"
    n, items, none = _subset_items(result, metric, mask)
    e = _effect(result, HUMAN_ARM, metric)
    if e is None or n == 0 or not math.isfinite(e["diff"]):
        return (
            f"untestable (no test item {subset})",
            f"`{metric}`: {none} {subset}",
        )
    ref = result.reference
    evidence = (
        f"`{metric}` on {items}: "
        f"{_f(_mean(result, HUMAN_ARM, metric))} vs `{ref}` "
        f"{_f(_mean(result, ref, metric))}, {_both(e)}"
    )
    return _answer(e), evidence


def more_than_temperature(result):
    """Is the human-soft-label benefit more than a temperature?

    ``human_soft - gold_temperature`` on the metrics against the human labels
    (:data:`~sksoft.audit._metrics.CONTROL_METRICS`): "yes" when better on
    some and worse on none, "no" when worse on some and better on none; when
    they disagree, the headline metric (hard-sample ECE against the human
    labels, the paper's question) decides where it is marked, and the evidence
    lists both sides; "not shown" when none differs, or they disagree and the
    headline is not marked.
    """
    ctrl = result.control_arm
    missing = _temperature_control_missing(result, ctrl)
    if missing is not None:
        return missing
    metrics = [m for m in CONTROL_METRICS if m in result.scores]
    rows = {m: _effect(result, HUMAN_ARM, m, ctrl) for m in metrics}
    rows = {m: r for m, r in rows.items() if r is not None}
    better = [m for m, r in rows.items() if r["verdict_both"] == "better"]
    worse = [m for m, r in rows.items() if r["verdict_both"] == "worse"]
    evidence = _temperature_evidence(ctrl, rows, better, worse)
    if len(result.seeds) < 2:
        return "untestable (one seed: no seed interval)", evidence
    if better and not worse:
        return "yes", evidence
    if worse and not better:
        return "no", evidence
    return _mixed_answer(better, worse), evidence


def _mixed_answer(better, worse):
    """The answer when ``human_soft`` is better on some metrics and worse on
    others: the headline metric decides where it is marked ("yes" better, "no"
    worse), "not shown" where it is not (or no metric is marked at all)."""
    if HEADLINE in better:
        return "yes"
    if HEADLINE in worse:
        return "no"
    return "not shown"


def _temperature_control_missing(result, ctrl):
    """``(answer, why)`` when the temperature comparison cannot be made, else None."""
    if ctrl is None or result.reference != "gold":
        why = (
            "no gold labels (the control is the gold model)"
            if result.reference != "gold"
            else "`gold_temperature` is not among the arms"
        )
        return "untestable (no temperature control)", why
    if HUMAN_ARM not in result.arms:
        return "untestable (`human_soft` not trained)", "no human-soft-label arm"
    return None


def _temperature_evidence(ctrl, rows, better, worse):
    """The evidence line: the headline effect to the control, and the metrics
    on which ``human_soft`` is better or worse than it."""
    head = rows.get(HEADLINE)
    evidence = f"`{HUMAN_ARM}` - `{ctrl}`"
    if head is not None:
        evidence += f" on `{HEADLINE}` {_both(head)}"
    return evidence + (
        f"; better on {len(better)} of {len(rows)} human-label metrics"
        + (f" ({', '.join(f'`{m}`' for m in better)})" if better else "")
        + f", worse on {len(worse)}"
        + (f" ({', '.join(f'`{m}`' for m in worse)})" if worse else "")
    )


def mode_or_uncertainty(result):
    """Is the benefit the uncertainty (rather than the corrected labels)?

    ``human_soft_gold_mode`` keeps the human uncertainty with gold as a mode
    of every row (no label is corrected); ``human_mode`` is the mode shift
    alone. "yes" when ``human_soft_gold_mode`` calibrates better than gold on
    the hard samples, "no" when it does not but ``human_mode`` does (the
    benefit is the corrected labels), "not shown" when neither does.
    """
    arms = ("human_mode", "human_soft_gold_mode")
    missing = [a for a in arms if a not in result.arms]
    if result.reference != "gold" or missing:
        return (
            "untestable (needs gold labels and the arms `human_mode`, "
            "`human_soft_gold_mode`)",
            "no gold labels"
            if result.reference != "gold"
            else "not among the arms: " + ", ".join(f"`{a}`" for a in missing),
        )
    em = _effect(result, "human_mode", HEADLINE)
    eu = _effect(result, "human_soft_gold_mode", HEADLINE)
    evidence = (
        f"`{HEADLINE}` - `gold`: `human_soft_gold_mode` (uncertainty, gold modes) "
        f"{_both(eu)}; `human_mode` (mode shift alone) {_both(em)}"
    )
    if result.mode_alignment()["shifted"] == 0:
        return "untestable (no mode shift: the human mode is gold on every row)", (
            evidence
        )
    au, am = _answer(eu), _answer(em)
    if au.startswith("untestable"):
        return au, evidence
    if au == "yes":
        return "yes", evidence
    if am == "yes":
        return "no", evidence
    return "not shown", evidence


def stability(result):
    """Is soft-label training more stable over seeds?

    ``sksoft.audit._stability.stability_verdict`` when it exists (it checks
    that a seed spread is testable against the test-item sampling noise);
    otherwise the Holm-adjusted Pitman-Morgan tests of ``human_soft``
    (fewer than three seeds: untestable).
    """
    if stability_verdict is not None:
        return stability_verdict(result)
    if HUMAN_ARM not in result.arms:
        return "untestable (`human_soft` not trained)", "no human-soft-label arm"
    if len(result.seeds) < 3:
        return (
            "untestable (fewer than 3 seeds)",
            f"{len(result.seeds)} seeds; the paired spread test needs 3",
        )
    alpha = 1.0 - result.params["confidence"]
    names = spread_metrics(result.scores)
    rows = [r for r in result.spreads() if r["arm"] == HUMAN_ARM]
    rows = [r for r in rows if r["metric"] in names and math.isfinite(r["p_holm"])]
    if not rows:
        return "untestable (no spread test defined)", "constant values over seeds"
    parts = [
        f"`{r['metric']}` SD ratio {_f(r['ratio'])} [{_f(r['ci_low'])}, "
        f"{_f(r['ci_high'])}], Holm p {_f(r['p_holm'])}"
        for r in rows
    ]
    evidence = (
        f"`{HUMAN_ARM}` / `{result.reference}`: "
        + "; ".join(parts)
        + " (the seed SD is not checked against the test-item sampling SD)"
    )
    sig = [r for r in rows if r["p_holm"] <= alpha]
    if any(r["ratio"] > 1 for r in sig):
        return "no", evidence
    if sig:
        return "yes", evidence
    return "not shown", evidence


def _heldout_maps(result):
    """The maps row from the held-out alignment (``result.map_alignment()``)."""
    maps = result.map_alignment()
    diff = maps.get("diffs", {}).get(HUMAN_ARM, {}).get("heldout")
    if diff is None:
        return None
    rows = maps["rows"]
    ref = result.reference

    def mean(arm, key):
        return _f(rows.get(arm, {}).get(key, {}).get("mean", math.nan))

    claim = map_claim(diff)
    answer = {"more": "yes", "less": "no", "not shown": "not shown"}.get(
        claim, "untestable (too few seeds for an interval)"
    )
    evidence = (
        f"held-out (test confidence in gold vs human entropy): `{HUMAN_ARM}` "
        f"{mean(HUMAN_ARM, 'heldout')} vs `{ref}` {mean(ref, 'heldout')}, "
        f"{_both(diff, holm=False)}; "
        f"training-row map {mean(HUMAN_ARM, 'map')}, the targets themselves "
        f"{mean(HUMAN_ARM, 'targets')}"
    )
    return answer, evidence


def data_maps(result):
    """Do the data maps mirror human uncertainty?

    From the held-out alignment when the result has it
    (``result.map_alignment()`` and ``sksoft.audit._maps.map_claim``: yes
    only when ``human_soft``'s test confidence follows the human entropy
    more closely than the reference's with both intervals excluding 0);
    otherwise only the training-row alignment is measured, which is circular
    (the soft targets themselves carry the human entropy), so the answer is
    "untestable" with that alignment as the evidence.
    """
    if (
        map_claim is not None
        and hasattr(result, "map_alignment")
        and HUMAN_ARM in result.arms
        and HUMAN_ARM != result.reference
    ):
        row = _heldout_maps(result)
        if row is not None:
            return row
    name = "carto_spearman_confidence_vs_human"
    if name not in result.scores or not any(
        math.isfinite(v) for v in result.scores[name].ravel()
    ):
        return (
            "untestable (no training dynamics)",
            "the estimator records no data map",
        )
    e = _effect(result, HUMAN_ARM, name) if HUMAN_ARM in result.arms else None
    evidence = "training rows only"
    if e is not None:
        evidence += (
            f": `{HUMAN_ARM}` {_f(_mean(result, HUMAN_ARM, name))} vs "
            f"`{result.reference}` {_f(_mean(result, result.reference, name))} "
            f"(`{name}`), {_both(e)}"
        )
    evidence += "; no held-out alignment measured"
    return (
        "untestable (training-row alignment only: circular, the soft targets "
        "themselves carry the human entropy)",
        evidence,
    )


# ---------------------------------------------------------------- the table


def _hard_label(result):
    return f"top {_pct(result.params['hard_fraction'])} by human entropy"


def glance_rows(result):
    """``[(question, answer, evidence)]`` in the paper's order.

    When the models are not above the majority baseline
    (:func:`majority_gate`), every answer is "untestable (model not above
    the majority baseline)" with the gate's evidence.
    """
    questions = [
        (
            "Hard-sample calibration: do human soft labels calibrate better on "
            f"hard samples ({_hard_label(result)})?",
            lambda: hard_sample_calibration(result, HEADLINE),
        ),
        (
            "Hard-sample calibration: do human soft labels calibrate better on "
            "the items with any disagreement?",
            lambda: hard_sample_calibration(result, HEADLINE_DISAGREE),
        ),
        (
            "More than a temperature: are human soft labels better than the "
            "temperature control?",
            lambda: more_than_temperature(result),
        ),
        (
            "Mode shift or uncertainty: is the benefit the uncertainty (not the "
            "corrected labels)?",
            lambda: mode_or_uncertainty(result),
        ),
        (
            "Stability: is human-soft-label training more stable across seeds?",
            lambda: stability(result),
        ),
        (
            "Data maps: do the data maps mirror human uncertainty?",
            lambda: data_maps(result),
        ),
    ]
    gate = majority_gate(result)
    if gate is not None:
        return [
            (q, "untestable (model not above the majority baseline)", gate)
            for q, _ in questions
        ]
    return [(q, *answer()) for q, answer in questions]


def glance_lines(result, table):
    """The "Verdicts at a glance" section of ``report.md``.

    ``table(header, rows)`` writes a markdown table (the report's
    ``md_table``).
    """
    conf = int(round(100 * result.params["confidence"]))
    rows = [[q, f"**{a}**", ev] for q, a, ev in glance_rows(result)]
    return [
        "## Verdicts at a glance",
        "",
        f"Yes / no need the difference to survive both noises: the seed test "
        f"(Holm-adjusted over the report's tests) and the {conf}% paired "
        'bootstrap interval over the test items; "not shown" = no clear '
        'difference; "untestable" = this run cannot answer (the reason is '
        "given). The evidence and the long text are below.",
        "",
        table(["question", "answer", "evidence"], rows),
        "",
    ]
