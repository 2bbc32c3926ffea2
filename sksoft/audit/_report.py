"""Report folder of the audit: report.md, results.csv, effects.csv, runs.jsonl, PNGs.

Private: :meth:`sksoft.audit.AuditResult.write_report` is the entry point. The
report reads the statistics the result computed once (``summary``, ``effects``,
``spreads``, ``curve_spreads``) and takes every metric choice and the wording of
the human-label reference from ``_metrics.py``.

Number formats (the recomputation test relies on them): every metric value,
mean, standard deviation, difference and interval bound is written with
:func:`fmt` (3 decimals, ``n/a`` for nan); rates are written as percentages
with one decimal; counts as integers.
"""

import csv
import json
import math
import numbers
from pathlib import Path

import numpy as np

from ..evaluation import fmt, fmt_sig, interval, md_table, pct  # noqa: F401
from ..sources import SOFT_ARMS
from ._baselines import BASELINE_TEXT, BASELINES
from ._glance import glance_lines
from ._maps import ALIGNMENTS, map_claim
from ._metrics import (
    CONTROL_METRICS,
    HEADLINE,
    HEADLINE_DISAGREE,
    HEADLINES,
    KEY_METRICS,
    human_labels_name,
    labels_are_simulated,
    metric_direction,
    reference_name,
    spread_metrics,
)
from ._plots import draw_figures
from ._stability import design_line
from ._stability import stability_lines as _stability_lines
from ._stats import N_BOOTSTRAP, PLANNED_RATIO, POWER
from ._targets import mean_target_entropy
from ._test_sets import (
    disagreement_count_text,
    mode_shift_text,
    per_seed_counts,
    seed_test_sets,
    sizes_text,
    subsets_coincide,
)

#: from this share of test items with disagreement on, the report says the
#: any-disagreement subset is (almost) every item
ALMOST_ALL = 0.9


def stability_lines(result, part):
    """The stability paragraphs of :mod:`sksoft.audit._stability`."""
    return _stability_lines(result, part, fmt=fmt, pct=pct, md_table=md_table)


JSONL_VERSION = 1


def run_time_line(seconds, *, command=False):
    """The report's run-time line: what was timed, and the wall-clock seconds.

    ``command=True``: the whole ``python -m sksoft audit`` command (the command
    writes this line into the report once everything else is written);
    otherwise :func:`~sksoft.audit.run_audit` alone.
    """
    what = (
        "the whole command: loading the data, training, scoring and writing the report"
        if command
        else "run_audit: checks, training and scoring"
    )
    return f"Run time: {seconds:.1f} s (wall clock of {what})."


def _simulated(result):
    return labels_are_simulated(result.provenance)


def _tables(result):
    """The result's statistics by ``(arm, metric)``: summary, effects, spreads."""

    def by_key(rows):
        return {(r["arm"], r["metric"]): r for r in rows}

    return (
        by_key(result.summary()),
        by_key(result.effects()),
        by_key(result.spreads()),
    )


# ---------------------------------------------------------------- runs.jsonl


def _jsonable(value):
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            # strict JSON: nan / inf become null
            obj = value.astype(object)
            obj[~np.isfinite(value)] = None
            return obj.tolist()
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _classes_json(classes):
    out = []
    for c in np.asarray(classes).tolist():
        out.append(c if isinstance(c, (int, float, str, bool)) else str(c))
    return out


def write_runs_jsonl(result, path):
    """Header line (``type: audit``) then one ``type: run`` line per arm and seed.

    The header holds what every metric needs besides the predictions: the
    test rows, their gold labels (column positions) and human soft labels, the
    hard mask, every row's gold label and human labels (for the cartography
    alignment on training rows), the folds and the settings. A run line also
    holds its post-fit calibration (per fold: the fitted temperature of
    ``gold_temperature``, else null). Floats are
    written with ``repr`` precision, so recomputation is exact; nan is null
    (strict JSON).
    """
    header = {
        "type": "audit",
        "version": JSONL_VERSION,
        "arms": list(result.arms),
        "seeds": list(result.seeds),
        "reference": result.reference,
        "classes": _classes_json(result.classes),
        "params": result.params,
        "provenance": result.provenance,
        "metrics": list(result.scores),
        "test_index": result.test_index,
        "gold_test": result.gold_test,
        "human_test": result.human_test,
        "hard_mask": result.hard_mask.astype(bool),
        "disagree_mask": result.disagree_mask.astype(bool),
        "gold": result.gold,
        "human": result.human,
        "mode_shift_rate": result.mode_shift_rate,
        "hard_share": result.hard_share,
        "n_bootstrap": N_BOOTSTRAP,
        "folds": [{"train": tr, "test": te} for tr, te in result.folds],
        "elapsed": result.elapsed,
        # per fold and arm: the targets' entropy and probability of the map's
        # label on the training rows (the mean target entropies, the targets'
        # alignment and the teacher's temperature recompute from it)
        "arm_targets": result.arm_targets,
    }
    with open(path, "w") as fh:
        fh.write(json.dumps(_jsonable(header), default=str) + "\n")
        for run in result.runs:
            record = {
                "type": "run",
                "arm": run["arm"],
                "seed": run["seed"],
                "fit_time": run["fit_time"],
                "metrics": run["metrics"],
                "proba": run["proba"],
                **(
                    {}
                    if result.seed_splits is None
                    else {
                        "test_index": result.test_set(run["seed"])["test_index"],
                        "folds": [
                            {"train": tr, "test": te}
                            for tr, te in result.test_set(run["seed"])["folds"]
                        ],
                    }
                ),
                "history": run["history"],
                "dynamics": run["dynamics"],
                "calibration": run.get("calibration"),
            }
            fh.write(json.dumps(_jsonable(record), default=str) + "\n")


# ---------------------------------------------------------------- CSVs


def _baseline_csv_rows(result):
    """``results.csv`` rows of the baselines: one per baseline with one split,
    else one per baseline and seed (each seed's split has its own)."""
    rows = []
    for name, b in result.baselines().items():
        if b.get("n_splits", 1) == 1:
            rows.append((name, "", "", "baseline", b["metrics"]))
            continue
        for i, seed in enumerate(result.seeds):
            values = {m: v[i] for m, v in b["seed_metrics"].items()}
            rows.append((name, seed, "", "baseline", values))
    return rows


def write_results_csv(result, path):
    """One row per arm and seed: fit time and every metric (nan left empty).

    Then one row per baseline (``kind`` = ``baseline``: not trained, no seed
    and no fit time; the training-row metrics do not apply and are empty);
    when the seeds draw their own splits, one row per baseline and seed.
    """
    names = list(result.scores)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["arm", "seed", "fit_time_s", "kind", *names])
        rows = [
            (r["arm"], r["seed"], repr(float(r["fit_time"])), "trained", r["metrics"])
            for r in result.runs
        ]
        rows += _baseline_csv_rows(result)
        for arm, seed, fit_time, kind, metrics in rows:
            row = [arm, seed, fit_time, kind]
            for name in names:
                v = float(metrics.get(name, math.nan))
                row.append(repr(v) if math.isfinite(v) else "")
            w.writerow(row)


def _num(row, key):
    """A CSV number: ``repr`` precision, empty for nan or a missing value."""
    v = row.get(key, math.nan)
    if isinstance(v, numbers.Integral):
        return str(v)
    return repr(float(v)) if v is not None and math.isfinite(v) else ""


def write_effects_csv(result, path):
    """Per arm and metric: mean, std, and the paired difference to the reference.

    Also the Holm-adjusted p-value and verdict, the bootstrap interval over
    test items, the difference to the temperature control (soft arms, the
    metrics against the human labels) and the seed-spread statistics
    (Pitman-Morgan ratio, interval, p-values, power figures).
    """
    summary, effects, spreads = _tables(result)
    controls = {(r["arm"], r["metric"]): r for r in result.controls()}
    simulated = _simulated(result)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "arm",
                "metric",
                "reference_labels",
                "better",
                "mean",
                "std",
                "n_seeds",
                "diff_vs_" + result.reference,
                "ci_low",
                "ci_high",
                "p_value",
                "verdict",
                "p_holm",
                "verdict_holm",
                "boot_ci_low",
                "boot_ci_high",
                "diff_vs_gold_temperature",
                "control_ci_low",
                "control_ci_high",
                "control_p_value",
                "control_p_holm",
                "control_verdict_holm",
                "control_boot_ci_low",
                "control_boot_ci_high",
                "std_ratio",
                "std_ratio_ci_low",
                "std_ratio_ci_high",
                "std_corr",
                "std_p_value",
                "std_p_holm",
                "std_detectable_ratio",
                "seeds_for_half_std",
                "verdict_both",
                "control_verdict_both",
                "std_sampling_sd",
                "std_testable",
            ]
        )
        for key, row in summary.items():
            e = effects.get(key, {})
            s = spreads.get(key, {})
            c = controls.get(key, {})
            w.writerow(
                [
                    row["arm"],
                    row["metric"],
                    reference_name(row["metric"], simulated),
                    metric_direction(row["metric"]),
                    _num(row, "mean"),
                    _num(row, "std"),
                    row["n_seeds"],
                    _num(e, "diff"),
                    _num(e, "ci_low"),
                    _num(e, "ci_high"),
                    _num(e, "p_value"),
                    e.get("verdict", ""),
                    _num(e, "p_holm"),
                    e.get("verdict_holm", ""),
                    _num(e, "boot_ci_low"),
                    _num(e, "boot_ci_high"),
                    _num(c, "diff"),
                    _num(c, "ci_low"),
                    _num(c, "ci_high"),
                    _num(c, "p_value"),
                    _num(c, "p_holm"),
                    c.get("verdict_holm", ""),
                    _num(c, "boot_ci_low"),
                    _num(c, "boot_ci_high"),
                    _num(s, "ratio"),
                    _num(s, "ci_low"),
                    _num(s, "ci_high"),
                    _num(s, "corr"),
                    _num(s, "p_value"),
                    _num(s, "p_holm"),
                    _num(s, "detectable_ratio"),
                    _num(s, "seeds_for_half"),
                    e.get("verdict_both", ""),
                    c.get("verdict_both", ""),
                    _num(s, "sampling_sd"),
                    "" if "testable" not in s else str(bool(s["testable"])).lower(),
                ]
            )


# ---------------------------------------------------------------- report.md


def _cell(summary, name, arm):
    row = summary[(arm, name)]
    return f"{fmt(row['mean'])} ± {fmt(row['std'])}"


def _soft_arms(result):
    """The trained soft-label arms besides the reference, in report order.

    Soft is the registry's flag (:data:`sksoft.sources.SOFT_ARMS`).
    """
    return [a for a in result.arms if a in SOFT_ARMS and a != result.reference]


def _holm_text(e):
    """``Holm p = 0.012`` (or n/a) for an effect row."""
    return f"Holm p = {fmt(e.get('p_holm', math.nan))}"


def _family_size(result):
    """Number of tests in the report's Holm family (effects and controls)."""
    rows = result.effects() + result.controls()
    return sum(
        1
        for r in rows
        if math.isfinite(r.get("p_holm", math.nan)) and not r.get("holm_twin")
    )


def _verdict_text(e, against):
    """How the reading states one headline effect (both noises, ``verdict_both``)."""
    verdict, raw = e.get("verdict_both", e["verdict_holm"]), e["verdict"]
    if verdict == "better":
        return f"calibrates **better** than `{against}`"
    if verdict == "worse":
        return f"calibrates **worse** than `{against}`"
    if verdict == "n/a":
        return f"cannot be compared (too few seeds for an interval) with `{against}`"
    if e["verdict_holm"] in ("better", "worse"):
        return (
            f"shows **no clear difference** from `{against}`: the Holm-adjusted "
            f"seed test says {e['verdict_holm']}, but the item bootstrap interval "
            "includes 0"
        )
    if raw in ("better", "worse"):
        return (
            f"shows **no clear difference** from `{against}` after Holm's "
            f"adjustment (unadjusted: {raw})"
        )
    return f"shows **no clear difference** (the interval includes 0) from `{against}`"


def _two_intervals(e, prefix="difference "):
    """``diff [t-interval] (seeds), [bootstrap] (test items), Holm p``."""
    text = f"{prefix}{fmt(e['diff'])} {interval(e['ci_low'], e['ci_high'])}"
    text += " over seeds"
    if math.isfinite(e.get("boot_ci_low", math.nan)):
        text += f", {interval(e['boot_ci_low'], e['boot_ci_high'])} over test items"
    return text + f"; {_holm_text(e)}"


def _temperatures(result):
    """The fitted temperature of each seed of the control arm (mean over folds)."""
    out = []
    for run in result.runs:
        if run["arm"] != result.control_arm:
            continue
        temps = [c["temperature"] for c in run.get("calibration") or [] if c]
        if temps:
            out.append(float(np.mean(temps)))
    return out


#: the calibration controls besides the temperature, as the report names them
OTHER_CONTROLS = {
    "gold_vector": "vector scaling (one scale and one intercept per class)",
    "gold_dirichlet": "Dirichlet calibration (a full matrix on log-probabilities, "
    "ODIR-regularised)",
}


def _other_control_lines(result, effects, hname):
    """The vector / Dirichlet controls trained: what they are, their effect."""
    out = []
    for arm, what in OTHER_CONTROLS.items():
        if arm not in result.arms or (arm, HEADLINE) not in effects:
            continue
        out += [
            "",
            f"`{arm}` is the same `gold` model with {what} fitted the same way "
            "(against the same human labels, on the same out-of-fold "
            f"predictions); it changes hard-sample ECE against the {hname} by "
            f"{_two_intervals(effects[(arm, HEADLINE)], prefix='')}. It is in the "
            "effect tables; the soft arms below are compared with "
            f"`{result.control_arm}` only.{_convergence_note(result, arm)}",
        ]
    return out


def _convergence_note(result, arm):
    """How many of ``arm``'s maps stopped at the iteration cap (or nothing)."""
    maps = [
        c
        for run in result.runs
        if run["arm"] == arm
        for c in run.get("calibration") or []
        if c
    ]
    capped = sum(1 for c in maps if c.get("converged") is False)
    if not capped:
        return ""
    return (
        f" {capped} of its {len(maps)} maps stopped at the L-BFGS iteration cap "
        "(1000) before the gradient tolerance 1e-10."
    )


def _control_lines(result, summary, effects, hname):
    """Is the soft-label benefit more than a temperature?"""
    ctrl = result.control_arm
    if ctrl is None or result.reference != "gold":
        return []
    controls = {(r["arm"], r["metric"]): r for r in result.controls()}
    temps = _temperatures(result)
    t_mean, t_sd = (
        (float(np.mean(temps)), float(np.std(temps, ddof=1)))
        if len(temps) > 1
        else (temps[0] if temps else math.nan, math.nan)
    )
    e = effects[(ctrl, HEADLINE)]
    lines = [
        "Is the soft-label benefit more than a temperature? The soft arms are "
        f"compared with `{ctrl}`. "
        f"`{ctrl}` is the `gold` model with one temperature (T = {fmt(t_mean)} ± "
        f"{fmt(t_sd)} over seeds; T > 1 softens the predictions, T < 1 sharpens "
        "them) fitted against "
        f"the {hname} of the training rows on out-of-fold predictions "
        "(cross-fitted; no test row is used). It changes hard-sample ECE against "
        f"the {hname} by {_two_intervals(e, prefix='')}. Each soft arm against it "
        f"(`arm - {ctrl}`, paired by seed, Holm-adjusted with the effects; better "
        "or worse needs the Holm-adjusted seed test and the item bootstrap "
        "interval to exclude 0):",
        "",
    ]
    lines[-1:-1] = _other_control_lines(result, effects, hname)
    metrics = [m for m in CONTROL_METRICS if m in result.scores]
    for arm in _soft_arms(result):
        head = controls[(arm, HEADLINE)]
        better = [m for m in metrics if controls[(arm, m)]["verdict_both"] == "better"]
        worse = [m for m in metrics if controls[(arm, m)]["verdict_both"] == "worse"]
        if better and not worse:
            verdict = "is **better than the temperature control** on " + _names(better)
        elif better:
            verdict = (
                f"is **better** than the temperature control on {_names(better)} "
                f"but **worse** on {_names(worse)}"
            )
        elif worse:
            verdict = "is **worse than the temperature control** on " + _names(worse)
        else:
            verdict = (
                "is **not shown to differ** from the temperature control on any of "
                f"the {len(metrics)} metrics against the {hname}"
            )
        m_arm = fmt(summary[(arm, HEADLINE)]["mean"])
        m_ctrl = fmt(summary[(ctrl, HEADLINE)]["mean"])
        lines.append(
            f"- `{arm}` {verdict}; on hard-sample ECE {m_arm} vs {m_ctrl}, "
            f"{_two_intervals(head)}."
        )
    lines.append("")
    return lines


def _names(items):
    return ", ".join(f"`{n}`" for n in items)


def _cartography_lines(result, summary, effects, hname):
    """Do the soft arms' data maps align with human uncertainty more than gold's?"""
    conf_m, var_m = (
        "carto_spearman_confidence_vs_human",
        "carto_spearman_variability_vs_human",
    )
    ref = result.reference
    simulated = labels_are_simulated(result.provenance)
    # "human uncertainty" is a claim about people: say what it is on simulations
    unc = "simulated human uncertainty" if simulated else "human uncertainty"
    who = "the simulated annotators" if simulated else "people"
    if conf_m not in result.scores or not np.isfinite(result.scores[conf_m]).any():
        return [
            "Training dynamics were not recorded (the estimator is not a skorch "
            f"net), so the data maps' alignment with {unc} is not measured.",
            "",
        ]
    lines = [
        f"Data maps against {unc} (training rows): `{conf_m}` is the "
        f"Spearman correlation of the {hname}' entropy with the cartography "
        "confidence (the mean probability of the gold label over epochs); more "
        "negative means the low-confidence region of the map holds the samples "
        f"{who} disagree on. `{ref}`: {fmt(summary[(ref, conf_m)]['mean'])}.",
        "",
    ]
    target_m = "target_spearman_confidence_vs_human"
    for arm in [*_soft_arms(result)]:
        e = effects[(arm, conf_m)]
        verdict = e["verdict_holm"]
        # a rank correlation on the training rows has no item bootstrap: the
        # verdict rests on the seed test alone, and says so
        only = (
            " on the seed test alone (a rank correlation over training rows has "
            "no item interval)"
            if e.get("verdict_both", "").endswith("(seeds only)")
            else ""
        )
        if verdict == "better":
            text = (
                f"is **more aligned** with {unc} than `{ref}`'s on the training "
                f"rows{only}"
            )
        elif verdict == "worse":
            text = (
                f"is **less aligned** with {unc} than `{ref}`'s on the training "
                f"rows{only}"
            )
        elif verdict == "n/a":
            text = f"cannot be compared with `{ref}`'s (too few seeds)"
        else:
            text = f"is **not shown to align differently** from `{ref}`'s"
        own = ""
        if (arm, target_m) in summary:
            own = f" (its targets alone: {fmt(summary[(arm, target_m)]['mean'])})"
        lines.append(
            f"- `{arm}`'s map {text}: {fmt(summary[(arm, conf_m)]['mean'])}{own}, "
            f"difference {fmt(e['diff'])} {interval(e['ci_low'], e['ci_high'])} "
            f"over seeds; {_holm_text(e)}."
        )
    lines.append("")
    lines += _map_lines(result, unc)
    if var_m in result.scores:
        values = ", ".join(
            f"`{a}` {fmt(summary[(a, var_m)]['mean'])}"
            for a in [ref, *_soft_arms(result)]
        )
        lines.append(
            f"`{var_m}` (Spearman with the cartography variability) is descriptive, "
            "without a better or worse: high variability marks ambiguous samples, "
            "but hard-to-learn ones (low confidence, low variability) can be "
            f"ambiguous too, so neither sign is better. {values}."
        )
        lines.append("")
    if result.control_arm is not None:
        lines.append(
            f"(`{result.control_arm}` trains exactly as `gold`, so its data map is "
            "`gold`'s.)"
        )
        lines.append("")
    return lines


def _spread_text(result, s):
    """One stability metric of one arm, in words."""
    n = len(result.seeds)
    text = (
        f"ratio {fmt(s['ratio'])} {interval(s['ci_low'], s['ci_high'])}, "
        f"Pitman-Morgan p = {fmt(s['p_value'])} (Holm {fmt(s['p_holm'])})"
    )
    det, need = s["detectable_ratio"], s["seeds_for_half"]
    if math.isfinite(det) and det > 0:
        text += (
            f": with {n} seeds and the observed seed correlation {fmt(s['corr'])}, "
            f"{int(100 * POWER)}% power only for a ratio below {fmt(det)} (or "
            f"above {fmt(1 / det)})"
        )
        if math.isfinite(need):
            text += f"; a ratio of {PLANNED_RATIO} needs {int(need)} seeds"
        elif need == math.inf:
            text += f"; a ratio of {PLANNED_RATIO} needs over 100000 seeds"
    elif n < 3:
        text += f"; {n} seeds are too few for the paired test (it needs 3)"
    else:
        text += "; the power is undefined (constant or perfectly correlated values)"
    return text


def _reference_flips(soft, effects):
    """The soft arms better on hard samples against the humans but worse
    overall against gold (the gold reference can disagree in sign)."""
    flips = []
    for arm in soft:
        eh = effects[(arm, HEADLINE)]
        eg = effects.get((arm, "ece_all_vs_gold"))
        if eg is None:
            continue
        if eh["verdict_both"] == "better" and eg["verdict_both"] == "worse":
            flips.append(arm)
    return flips


def _mode_or_uncertainty_lines(result, effects, hname):
    """Mode shift or uncertainty: ``human_mode`` against
    ``human_soft_gold_mode`` (with gold as the reference)."""
    ref = result.reference
    if (
        ref == "gold"
        and "human_mode" in result.arms
        and "human_soft_gold_mode" in result.arms
    ):
        em = effects[("human_mode", HEADLINE)]
        eu = effects[("human_soft_gold_mode", HEADLINE)]
        mode = result.mode_alignment()
        return [
            "Mode shift or uncertainty? `human_mode` (the human majority as "
            "one-hot: the mode shift alone) changes hard-sample ECE against the "
            f"{hname} by {fmt(em['diff'])} {interval(em['ci_low'], em['ci_high'])}; "
            "`human_soft_gold_mode` (the human uncertainty with each row's mode "
            "swapped onto gold, so that gold is a mode of every row) by "
            f"{fmt(eu['diff'])} {interval(eu['ci_low'], eu['ci_high'])}. Gold is "
            "a mode, not always the only one: on "
            f"{mode['gold_second']} of the {mode['shifted']} mode-shifted rows gold "
            "ties with another class, which the argmax rule (ties to the first "
            "class) still ranks first.",
            "",
        ]
    return []


def _spread_line(result, arm, spreads, curve, alpha):
    """The reading's seed-spread line of one soft arm."""
    ref = result.reference
    parts = []
    smaller, larger = [], []
    for name in spread_metrics(result.scores):
        s = spreads[(arm, name)]
        parts.append(f"`{name}` " + _spread_text(result, s))
        significant = math.isfinite(s["p_holm"]) and s["p_holm"] <= float(alpha)
        if significant and s["ratio"] < 1:
            smaller.append(name)
        elif significant and s["ratio"] > 1:
            larger.append(name)
    c_arm, c_ref = curve.get(arm, math.nan), curve.get(ref, math.nan)
    curve_txt = f"training-loss curve spread {fmt_sig(c_arm)} vs {fmt_sig(c_ref)}"

    rows = [spreads[(arm, name)] for name in spread_metrics(result.scores)]
    if rows and not any(s.get("testable", True) for s in rows):
        verdict = (
            "its seed spread is **untestable** here ("
            + "; ".join(
                f"`{n}`: {s['untestable_reason']}"
                for n, s in zip(spread_metrics(result.scores), rows)
            )
            + ")"
        )
    elif smaller and larger:
        verdict = (
            f"its seed spread is **smaller** for {_names(smaller)} but "
            f"**larger** for {_names(larger)}"
        )
    elif smaller:
        verdict = f"its seed spread is **smaller** for {_names(smaller)}"
    elif larger:
        verdict = f"its seed spread is **larger**, not smaller, for {_names(larger)}"
    else:
        verdict = (
            "its seed spread is **not shown to differ** (no Holm-adjusted "
            f"Pitman-Morgan p <= {alpha})"
        )
    return f"- `{arm}`: {verdict}; " + "; ".join(parts) + f"; {curve_txt}."


def _reading(result, summary, effects, spreads, curve):
    """The plain reading: calibration on hard samples and seed spread."""
    ref = result.reference
    hname = human_labels_name(_simulated(result))
    lines = []
    soft = _soft_arms(result)
    conf = int(round(100 * result.params["confidence"]))
    alpha = fmt(1 - result.params["confidence"])
    if not soft:
        return ["No soft-label arm was trained, so there is nothing to judge."]
    lines.append(
        f"Judged by the expected calibration error on the hard test samples "
        f"against the {hname} (`{HEADLINE}`, lower is better), paired by seed "
        f"with {conf}% t-intervals over {len(result.seeds)} seeds (unadjusted; "
        f"they cover the seed noise) and {conf}% paired bootstrap intervals over "
        "the test items (they cover the sampling of the test set); a better or "
        f"worse verdict needs both: a Holm-adjusted p <= {alpha} over the "
        f"report's {_family_size(result)} tests and an item interval that "
        "excludes 0:"
    )
    lines.append("")
    lines += _arm_verdict_lines(
        result, summary, effects, soft, HEADLINE, "hard samples"
    )
    lines.append("")
    lines += _disagreement_lines(result, summary, effects, soft)
    lines += _control_lines(result, summary, effects, hname)
    flips = _reference_flips(soft, effects)
    lines += _mode_or_uncertainty_lines(result, effects, hname)
    if flips:
        lines.append(
            "The reference matters: "
            + ", ".join(f"`{a}`" for a in flips)
            + (" calibrates" if len(flips) == 1 else " calibrate")
            + f" better on hard samples against the {hname} but worse "
            "overall against the gold labels (`ece_all_vs_gold`)."
        )
        lines.append("")
    lines += _cartography_lines(result, summary, effects, hname)
    lines.append(
        f"Seed spread (standard deviation over seeds, ratio to `{ref}` with the "
        f"{conf}% Pitman-Morgan interval and test, which account for the pairing "
        f"by seed: every arm of a seed shares its {_seed_shares(result)}):"
    )
    lines.append("")
    lines += [_spread_line(result, arm, spreads, curve, alpha) for arm in soft]
    lines.append("")
    return lines + _interval_cover_lines(result)


def _seed_shares(result):
    """What the arms of one seed share (the pairing of the seed tests)."""
    if result._varying_test_sets():
        return "initialisation, batch order and train/test split"
    return "initialisation and batch order"


def _interval_cover_lines(result):
    """What the seed intervals and the item bootstrap cover, by seed design."""
    n_folds = result.params["n_folds"]
    if result._varying_test_sets():
        folds = (
            "train/test split"
            if n_folds == 1
            else f"{n_folds}-fold partition (cross-validated, out of fold)"
        )
        return [
            "The intervals measure seed-to-seed variation in the model "
            f"initialisation, the batch order and the data: each seed has its own "
            f"{folds}, so they include the sampling of the training and test "
            "rows; they do not include the sampling uncertainty of the human "
            "labels.",
            "",
            f"The bootstrap intervals ({N_BOOTSTRAP} resamples of the rows of the "
            "union of the seeds' test sets, the same draws for both arms and every "
            "seed, each seed scored on its own test items) cover the sampling of "
            "the test items for the trained models, not the seeds, the training "
            "rows or the human labels.",
        ]
    design = (
        "one fixed split and test set"
        if n_folds == 1
        else f"one fixed {n_folds}-fold partition (cross-validated: every sample "
        "is tested once, out of fold)"
    )
    varies = "model initialisation and batch order"
    if result.params.get("seed_design") == "resample":
        varies = "model initialisation, batch order and each seed's training subsample"
    return [
        f"The intervals measure seed-to-seed variation ({varies}) on {design}; "
        "they do not include the sampling uncertainty of the test set or of the "
        "human labels.",
        "",
        f"The bootstrap intervals ({N_BOOTSTRAP} resamples of the test items, the "
        "same items for both arms and every seed) cover the sampling of the test "
        "items for the trained models, not the seeds, the training rows or the "
        "human labels.",
    ]


def disagreement_text(result):
    """The any-disagreement subset in words: its size and how it is counted."""
    if result._varying_test_sets():
        return _disagreement_text_over_seeds(result)
    mask = result.disagree_mask
    n, k = int(mask.sum()), len(result.classes)
    text = (
        f"{n} of {mask.size} test samples ({pct(result.disagree_share)}) have any "
        f"disagreement (human entropy > 0), counted on the {k} classes the audit "
        "was given"
    )
    text += _ordinal_text(result)
    if mask.size and np.array_equal(mask, result.hard_mask):
        text += (
            "; these are exactly the hard (top-fraction) samples, so the "
            "`_disagree_` metrics repeat the `_hard_` ones and are tested once"
        )
    elif mask.size and result.disagree_share >= ALMOST_ALL:
        text += (
            "; this subset holds almost every test sample, so its metrics are "
            "close to the all-samples ones"
        )
    return text


def _ordinal_text(result):
    """How an ordinal scale's ratings count as agreeing (empty without one)."""
    scale = result.provenance.get("ordinal_scale")
    if not scale:
        return ""
    return (
        f" ({scale}: two ratings that fall in one class agree; the raw "
        "scale is not seen unless its counts are passed as the human labels)"
    )


def _disagreement_text_over_seeds(result):
    """:func:`disagreement_text` when each seed has its own test set."""
    c = per_seed_counts(result)
    text = (
        f"{disagreement_count_text(result)} (human entropy > 0), counted on the "
        f"{len(result.classes)} classes the audit was given"
    ) + _ordinal_text(result)
    if c["n_test"].min() > 0 and subsets_coincide(seed_test_sets(result)):
        text += (
            "; in every seed's test set these are exactly the hard (top-"
            "fraction) samples, so the `_disagree_` metrics repeat the `_hard_` "
            "ones and are tested once"
        )
    elif c["n_test"].min() > 0 and c["disagree_share"].min() >= ALMOST_ALL:
        text += (
            "; in every seed's test set this subset holds almost every test "
            "sample, so its metrics are close to the all-samples ones"
        )
    return text


def _disagreement_lines(result, summary, effects, soft):
    """The headline on the paper's hard subset: any disagreement."""
    if HEADLINE_DISAGREE not in result.scores:
        return []
    lines = [
        "On the paper's hard subset, any disagreement "
        f"(`{HEADLINE_DISAGREE}`): {disagreement_text(result)}.",
        "",
    ]
    lines += _arm_verdict_lines(
        result, summary, effects, soft, HEADLINE_DISAGREE, "the items with disagreement"
    )
    lines.append("")
    return lines


def _arm_verdict_lines(result, summary, effects, soft, metric, where):
    """One bullet per soft arm: its verdict against the reference on ``metric``
    (``where``: the subset in words), both means and both intervals."""
    ref = result.reference
    m_ref = summary[(ref, metric)]["mean"]
    return [
        f"- `{arm}` {_verdict_text(effects[(arm, metric)], ref)} on {where}: "
        f"{fmt(summary[(arm, metric)]['mean'])} vs {fmt(m_ref)}, "
        f"{_two_intervals(effects[(arm, metric)])}."
        for arm in soft
    ]


def _effect_cell(e, marks=True):
    """``diff [t-interval] mark``: ▲/▼ when the difference survives both noises
    (Holm-adjusted seed test and item bootstrap, ``verdict_both``), △/▽ when
    only the unadjusted seed interval excludes 0; no mark with ``marks=False``
    (the directional reading is withheld)."""
    if e["descriptive"] or not marks:
        mark = ""
    else:
        mark = {"better": " ▲", "worse": " ▼"}.get(e.get("verdict_both"), "")
        if not mark:
            mark = {"better": " △", "worse": " ▽"}.get(e["verdict"], "")
    return f"{fmt(e['diff'])} {interval(e['ci_low'], e['ci_high'])}{mark}"


def _seed_noise(result):
    """What the t-interval over seeds covers, in the cells' legend."""
    if result._varying_test_sets():
        return (
            "it covers the seed noise, which with a split per seed includes the "
            "sampling of the training and test rows"
        )
    return "it covers the seed noise only"


def _marks_legend(result, conf):
    if not _marks(result):
        return (
            f"Cells: mean difference over seeds and its unadjusted {conf}% "
            f"t-interval ({_seed_noise(result)}). Marks withheld: the "
            "reference arm is not shown to be above the majority baseline (see "
            "Baselines), so no difference is read as better or worse."
        )
    return (
        f"Cells: mean difference over seeds and its unadjusted {conf}% t-interval "
        f"({_seed_noise(result)}). ▲ = better than the reference, ▼ = "
        "worse, when the difference survives both noises: the seed test after "
        f"Holm's adjustment over the report's {_family_size(result)} tests (these "
        "effects and the comparison with the temperature control; Holm p <= "
        f"{fmt(1 - result.params['confidence'])}) **and** the {conf}% paired "
        f"bootstrap interval over the test items ({N_BOOTSTRAP} resamples, in "
        "`effects.csv`) excludes 0 on the same side; △ / ▽ = the unadjusted seed "
        "interval excludes 0 but the Holm-adjusted test or the item interval "
        "does not confirm it; no mark = no clear difference. Metrics that are not "
        "sums over test items (the Spearman and cartography correlations) have "
        "no item interval and so at most △ / ▽. Descriptive metrics "
        "(`carto_spearman_variability_vs_human`) get no mark."
    )


def _headline_table(result, effects, conf, metric=HEADLINE):
    """The headline effects with both intervals, each labelled with its cover."""
    if metric not in result.scores:
        return []
    rows = []
    for a in result.arms:
        if a == result.reference:
            continue
        e = effects[(a, metric)]
        rows.append(_headline_row(f"`{a}` - `{result.reference}`", e))
    for c in result.controls():
        if c["metric"] == metric:
            rows.append(_headline_row(f"`{c['arm']}` - `{c['control']}`", c))
    if not rows:
        return []
    items = (
        "hard test items (top fraction)"
        if metric == HEADLINE
        else "test items with any disagreement"
    )
    cover = (
        f"The t-interval ({conf}%, over seeds, unadjusted) covers seed-to-seed "
        f"variation on the fixed test set; the bootstrap interval ({conf}%, "
        f"{N_BOOTSTRAP} resamples of the {items}, the same items for both "
        "arms and every seed, then averaged over seeds) covers the sampling of the "
        "test items for the trained models. A better/worse verdict needs both."
    )
    if result._varying_test_sets():
        cover = (
            f"The t-interval ({conf}%, over seeds, unadjusted) covers seed-to-seed "
            "variation in the initialisation, the batch order and the data split "
            "(each seed its own training and test rows); the bootstrap interval "
            f"({conf}%, {N_BOOTSTRAP} resamples of the rows of the union of the "
            "seeds' test sets, the same draws for both arms and every seed, each "
            f"seed scored on its own {items}, then averaged over seeds) covers the "
            "sampling of the test items for the trained models. A better/worse "
            "verdict needs both."
        )
    return [
        f"### Headline effects: `{metric}`, two intervals",
        "",
        cover,
        "",
        md_table(
            [
                "difference",
                "mean",
                f"{conf}% t-interval over seeds",
                "Holm p",
                f"{conf}% bootstrap over test items",
            ],
            rows,
        ),
        "",
    ]


def _headline_row(label, e):
    return [
        label,
        fmt(e["diff"]),
        interval(e["ci_low"], e["ci_high"]),
        fmt(e["p_holm"]),
        interval(e["boot_ci_low"], e["boot_ci_high"]),
    ]


def _control_table(result, conf):
    """Soft arms minus the temperature control, on the human-label metrics."""
    controls = result.controls()
    if not controls:
        return []
    metrics = [m for m in CONTROL_METRICS if m in result.scores]
    by_key = {(r["arm"], r["metric"]): r for r in controls}
    arms = [a for a in result.soft_arms() if (a, metrics[0]) in by_key]
    ctrl = controls[0]["control"]
    return [
        f"### Soft arms vs the temperature control: arm - `{ctrl}`",
        "",
        f"`{ctrl}` = the `gold` model with one temperature fitted against the "
        "human soft labels of the training rows (cross-fitted). Same cells and "
        "marks as above.",
        "",
        md_table(
            ["arm", *metrics],
            [
                [
                    f"`{a}`",
                    *[_effect_cell(by_key[(a, m)], _marks(result)) for m in metrics],
                ]
                for a in arms
            ],
        ),
        "",
    ]


def _test_rows(result, prov, hname):
    """The provenance rows on the test set: sizes, disagreement, mode shift.

    With a split per seed they are stated over the seeds' test sets
    (:mod:`sksoft.audit._test_sets`), else on the one test set.
    """
    mode_label = (
        f"mode-shift rate ({prov.get('mode_shift', 'human mode != gold')}): "
        "all / test / hard test"
    )
    if result._varying_test_sets():
        return [
            ("test samples / hard test samples", sizes_text(result, hname)),
            ("test samples with any disagreement", disagreement_text(result)),
            (mode_label, mode_shift_text(result)),
        ]
    n_test = len(result.test_index)
    n_hard = int(result.hard_mask.sum())
    mode_test = (
        float(np.mean(result.mode_shift[result.test_index]))
        if result.gold is not None
        else math.nan
    )
    mode_hard = (
        float(np.mean(result.mode_shift[result.test_index][result.hard_mask]))
        if result.gold is not None and n_hard
        else math.nan
    )
    return [
        (
            "test samples / hard test samples",
            f"{n_test} / {n_hard} (hard = the {pct(result.params['hard_fraction'])}"
            f" with the highest entropy of the {hname}, ties included: "
            f"actually {pct(result.hard_share)} of the test samples)",
        ),
        ("test samples with any disagreement", disagreement_text(result)),
        (
            mode_label,
            f"{pct(result.mode_shift_rate)} / {pct(mode_test)} / {pct(mode_hard)}",
        ),
    ]


def _provenance_rows(result, prov, hname):
    """The report's provenance table: the data, the split, the runs."""
    n = len(result.human)
    prov_rows = [
        ("data set", prov.get("title", prov.get("dataset", "n/a"))),
        ("licence", prov.get("licence", "n/a")),
        ("labels", prov.get("labels", "n/a")),
    ]
    # the real data sets' source, citation and what gold is (text loaders)
    prov_rows += [
        (key, prov[key]) for key in ("source", "citation", "gold") if key in prov
    ]
    if "subsample" in prov:
        prov_rows.append(("subsample", prov["subsample"]))
    if result.params.get("annotators") is not None:
        n_ann = result.params["annotators"]
        prov_rows.append(
            (
                "training labels",
                f"{n_ann} annotators per item: the arms built from the human labels "
                "and the calibration controls read one draw of "
                f"{n_ann} of each training item's votes (subsample_annotations; "
                "items with fewer keep all); the test rows are scored against all "
                "annotators",
            )
        )
    prov_rows += [
        ("samples / classes", f"{n} / {len(result.classes)}"),
        *_test_rows(result, prov, hname),
        ("arms / seeds", f"{', '.join(result.arms)} / {result.seeds}"),
        ("seed design", design_line(result)),
        (
            "evaluation",
            (
                "the data's official split (its test set held out)"
                if result.params.get("official_split")
                else f"held-out split, test_size={result.params['test_size']}"
                if result.params["n_folds"] == 1
                else f"cross-validated: out-of-fold predictions, "
                f"{result.params['n_folds']} folds (every sample tested once)"
            ),
        ),
        ("estimator", f"`{' '.join(result.params['estimator'].split())}`"),
        (
            "baselines (not trained)",
            "; ".join(f"`{n}` = {BASELINE_TEXT[n]}" for n in BASELINES)
            + (
                " (of the gold labels)"
                if result.gold is not None
                else " (of the human modes; the prior = the mean human soft label)"
            ),
        ),
    ]
    if result.arm_targets:
        prov_rows.append(_target_entropy_row(result, hname))
    # frozen text features and a majority gold (sksoft.audit._frozen, _majority)
    for key, label in (
        ("frozen_features", "text features"),
        ("majority_gold", "gold and mode shift"),
    ):
        if result.params.get(key):
            prov_rows.append((label, result.params[key]))
    return prov_rows


def _target_entropy_row(result, hname):
    """Mean target entropy of the human labels and of every arm (nats)."""
    temps = result.arm_targets.get("teacher_temperature")
    parts = [f"{hname} {fmt(mean_target_entropy(result.arm_targets, 'human'))}"]
    for arm in result.arms:
        text = f"`{arm}` {fmt(mean_target_entropy(result.arm_targets, arm))}"
        if arm == "teacher" and temps:
            text += f" (temperature {fmt(float(np.mean(temps)))})"
        parts.append(text)
    return ("mean target entropy, training rows (nats)", "; ".join(parts))


# ---------------------------------------------------------------- baselines


def _marks(result):
    """Whether the report gives directional marks and verdicts: only when the
    reference arm is above the majority baseline."""
    return result.above_majority


def _baseline_warning(result):
    """The report's opening warning when the models are not above the
    majority baseline (nothing otherwise)."""
    if result.above_majority:
        return []
    t = result.majority_tests()[result.reference]
    return [
        f"> **Warning: the models are not shown to be above the majority "
        f"baseline.** `{result.reference}` is right on {pct(t['accuracy'])} of "
        f"the test items{_gate_items(result, t)} against "
        f"{pct(t['majority_accuracy'])} for always "
        f"predicting the most frequent training label; where they differ it is "
        f"better on {t['n_better']} items and worse on {t['n_worse']} (exact "
        f"one-sided sign test p = {fmt(t['p_value'])}). The comparisons below "
        "are of models that have not learned the task, so the report gives no "
        "directional reading: verdicts and marks are withheld; the numbers are "
        "shown as measured.",
        "",
    ]


def _gate_items(result, t):
    """What the gate's items are when the seeds have their own test sets
    (empty with one test set, where they are the test items)."""
    if not result._varying_test_sets():
        return ""
    return (
        f" (the {t['n_items']} items of the union of the {len(result.seeds)} "
        "seeds' test sets, each averaged over the seeds that test it)"
    )


def _gate_pairing(result):
    """How the gate pairs the seeds with the majority prediction."""
    if result._varying_test_sets():
        n = result.majority_tests()[result.reference]["n_items"]
        return (
            f"the items are the {n} rows in the union of the seeds' test sets; "
            "each item's correctness is averaged over the seeds whose test set "
            "holds it, and so is the majority prediction's, each seed's own "
            "(estimated on that seed's training rows; the items are the sampling "
            "unit; the accuracies below are the means over these items, so they "
            "can differ from the comparison table's means over seeds)"
        )
    if result.baselines()["majority"].get("n_splits", 1) > 1:
        return (
            "each test item's correctness is averaged over the seeds, and so is "
            "the majority prediction's, each seed's own (estimated on that "
            "seed's training rows; the items are the sampling unit)"
        )
    return (
        "each test item's correctness is averaged over the seeds "
        "(the items are the sampling unit)"
    )


def _baseline_estimate(result):
    """Where the baselines are estimated and how they are summarised."""
    if result.baselines()["majority"].get("n_splits", 1) == 1:
        return (
            "estimated on each fold's training rows and scored like the arms "
            "(rows marked *baseline* in the tables above; not trained, no seeds, "
        )
    return (
        "estimated on each fold's training rows of each seed's split, scored on "
        "that seed's test rows like the arms and summarised over the seeds as "
        "they are (mean ± std; the differences to the reference paired by seed; "
        "rows marked *baseline* in the tables above; not trained, "
    )


def _withheld_reading(result):
    t = result.majority_tests()[result.reference]
    return [
        "Withheld: the reference arm is not shown to be above the majority "
        f"baseline (one-sided sign test p = {fmt(t['p_value'])}, see "
        "Baselines), so no better/worse verdict is given for calibration, the "
        "temperature control, the mode shift, the data maps or the seed "
        "spread. A calibration difference between models that do not beat "
        "a constant prediction says nothing about learning from soft labels."
    ]


def _baseline_label(name):
    return f"`{name}` (baseline)"


def _baseline_value(b, m):
    """One baseline cell: its value with one split, else ``mean ± std`` over seeds."""
    mean = b["metrics"].get(m, math.nan)
    if b.get("n_splits", 1) == 1 or not math.isfinite(mean):
        return fmt(mean)
    return f"{fmt(mean)} ± {fmt(b['std'].get(m, math.nan))}"


def _baseline_cells(result, names):
    """Comparison-table rows of the baselines: one value each with one split
    (no seeds), else mean ± std over the seeds' splits."""
    rows = []
    for name, b in result.baselines().items():
        cells = [_baseline_value(b, m) for m in names]
        rows.append([_baseline_label(name), *cells])
    return rows


def _baseline_effect_rows(result, names):
    """Effects-table rows: baseline - reference, untested (no marks)."""
    rows = []
    for name, b in result.baselines().items():
        cells = []
        for m in names:
            e = b["effects"].get(m)
            cells.append(
                "n/a"
                if e is None or not math.isfinite(e["diff"])
                else f"{fmt(e['diff'])} {interval(e['ci_low'], e['ci_high'])}"
            )
        rows.append([f"`{name}` (baseline, untested)", *cells])
    return rows


def _baseline_section(result):
    """Each trained arm against the majority baseline: the exact sign test."""
    tests = result.majority_tests()
    label = "gold" if result.gold is not None else "the human mode"
    rows = [
        [
            f"`{arm}`",
            pct(t["accuracy"]),
            pct(t["majority_accuracy"]),
            f"{t['n_better']} / {t['n_worse']}",
            fmt(t["p_value"]),
        ]
        for arm, t in tests.items()
    ]
    alpha = fmt(1 - result.params["confidence"])
    ref_t = tests[result.reference]
    verdict = (
        f"`{result.reference}` is above the majority baseline"
        if ref_t["above"]
        else f"`{result.reference}` is **not shown** to be above the majority "
        "baseline: the report withholds its directional reading"
    )
    prior = result.baselines()["class_prior"]["metrics"].get(HEADLINE, math.nan)
    beaten = [
        a
        for a in result.arms
        if (a, HEADLINE) in _tables(result)[0]
        and _tables(result)[0][(a, HEADLINE)]["mean"] > prior
    ]
    note = []
    if math.isfinite(prior) and beaten:
        note = [
            f"The constant `class_prior` prediction has a lower `{HEADLINE}` "
            f"({fmt(prior)}) than {_names(beaten)}: a calibration error alone "
            "does not show that a model learned anything; read it next to the "
            "accuracy and the divergences.",
            "",
        ]
    return [
        "## Baselines",
        "",
        *note,
        "Two predictions that learn nothing from the inputs, "
        + _baseline_estimate(result)
        + "never the reference, outside every Holm family): "
        + "; ".join(f"`{n}` = {BASELINE_TEXT[n]}" for n in BASELINES)
        + ". Is each arm above the majority baseline? Accuracy against "
        f"{label}; {_gate_pairing(result)}, and the exact one-sided sign test "
        "counts the items on which the arm is more / less often right than the "
        "majority prediction (McNemar's exact test with one seed); p unadjusted, "
        f"the gate is the reference arm at p <= {alpha}: {verdict}.",
        "",
        md_table(
            [
                "arm",
                "accuracy",
                "majority accuracy",
                "items better / worse",
                "one-sided p",
            ],
            rows,
        ),
        "",
    ]


# ---------------------------------------------------------------- data maps


def _alignment_cell(entry, seeds=True):
    """``mean [seeds] / [items]`` of one alignment."""
    text = fmt(entry["mean"])
    if seeds and math.isfinite(entry.get("ci_low", math.nan)):
        text += f" {interval(entry['ci_low'], entry['ci_high'])}"
    if math.isfinite(entry.get("boot_ci_low", math.nan)):
        text += f" / {interval(entry['boot_ci_low'], entry['boot_ci_high'])}"
    return text


def _maps_items(maps):
    """The maps table's item resamples: which rows, and how seeds share them."""
    n_train, n_test = maps["n_train_items"], maps["n_test_items"]

    def rows(n, sets, what):
        if (sets or 1) == 1:
            return f"the {n} {what} rows"
        return f"the {n} rows in the union of the seeds' {sets} {what} sets"

    test = rows(n_test, maps.get("n_test_sets"), "test")
    if n_train:
        train = rows(n_train, maps.get("n_train_sets"), "training")
        text = (
            f"{N_BOOTSTRAP} resamples of {train} (targets, map) and of {test} "
            "(held-out)"
        )
    else:
        text = (
            f"{N_BOOTSTRAP} resamples of {test} (held-out only: with "
            "cross-validation each fold has its own training rows)"
        )
    if max(maps.get("n_test_sets") or 1, maps.get("n_train_sets") or 1) == 1:
        return text + "; the same items for every seed and arm"
    return (
        text + "; each seed's alignment on its own rows, the same draws for every "
        "seed and arm, the statistic the mean over seeds"
    )


def _targets_seeds(maps):
    """Whether the targets' alignment has a seed interval."""
    if (maps.get("n_train_sets") or 1) == 1:
        return "no seed"
    return "its t-interval over seeds, whose splits give the targets their rows"


def _maps_table(result, conf):
    """The three alignments per arm and the held-out difference to the reference."""
    maps = result.map_alignment()
    if (
        not maps
        or not np.isfinite(
            result.scores.get(ALIGNMENTS[1][1], np.full(1, np.nan))
        ).any()
    ):
        return []
    ref = result.reference
    who = (
        "the simulated annotators"
        if labels_are_simulated(result.provenance)
        else "people"
    )
    rows = []
    for arm in result.arms:
        r = maps["rows"][arm]
        d = maps["diffs"].get(arm, {}).get("heldout")
        rows.append(
            [
                f"`{arm}`",
                _alignment_cell(r["targets"]),
                _alignment_cell(r["map"]),
                _alignment_cell(r["heldout"]),
                "" if d is None else _alignment_cell({"mean": d["diff"], **d}),
            ]
        )
    items = _maps_items(maps)
    return [
        "### Data maps: the targets, the map and held-out rows",
        "",
        "Spearman correlation of the human-label entropy with the probability of "
        f"the gold label (more negative = low confidence where {who} disagree): "
        "of the **targets** themselves on the training rows "
        "(`target_spearman_confidence_vs_human`: what a model that copies its "
        f"targets reaches; {_targets_seeds(maps)}), of the trained model's "
        "**data map** on the "
        "training rows (`carto_spearman_confidence_vs_human`), and of its "
        "predictions on the **held-out** test rows "
        f"(`spearman_gold_confidence_vs_human`). Cells: mean, its {conf}% "
        f"t-interval over seeds, then / the {conf}% bootstrap interval over items "
        f"({items}; percentile "
        "intervals: near -1 the resampled correlations lean towards 0, so an "
        "interval can miss its point estimate). n/a for targets "
        "that give every row the same probability of gold (one-hot, uniform "
        "smoothing).",
        "",
        md_table(
            [
                "arm",
                "targets (training)",
                "data map (training)",
                "held-out (test)",
                f"held-out: arm - `{ref}`",
            ],
            rows,
        ),
        "",
    ]


def _map_lines(result, unc):
    """The reading's held-out check of each soft arm's map (the wording rule)."""
    maps = result.map_alignment()
    if not maps:
        return []
    ref = result.reference
    lines = [
        "Are the maps more than their targets? On the training rows a model "
        "learns its targets, so a soft arm's map inherits their alignment; the "
        "held-out rows, which no model saw, decide whether its confidence "
        f"mirrors {unc} (both the seed and the item interval of the difference "
        f"to `{ref}` must exclude 0):",
        "",
    ]
    for arm in _soft_arms(result):
        r = maps["rows"][arm]
        d = maps["diffs"][arm]["heldout"]
        claim = map_claim(d)
        text = {
            "more": f"**mirrors {unc} more closely** than `{ref}`'s on held-out rows",
            "less": f"mirrors {unc} **less closely** than `{ref}`'s on held-out rows",
            "not shown": f"is **not shown** to track {unc} more closely than "
            f"`{ref}`'s on held-out rows",
            "untestable": f"cannot be compared with `{ref}`'s on held-out rows "
            "(too few seeds for an interval)",
        }[claim]
        lines.append(
            f"- `{arm}`: targets {fmt(r['targets']['mean'])}, map "
            f"{fmt(r['map']['mean'])} (training rows), held-out "
            f"{fmt(r['heldout']['mean'])} against `{ref}`'s "
            f"{fmt(maps['rows'][ref]['heldout']['mean'])}: its model {text}, "
            f"difference {fmt(d['diff'])} {interval(d['ci_low'], d['ci_high'])} "
            f"over seeds, {interval(d['boot_ci_low'], d['boot_ci_high'])} over "
            "test items."
        )
    lines.append("")
    return lines


def _stability_table(result, summary, spreads, curve):
    """The seed-spread table: per arm and metric, the std and its ratio."""
    ref = result.reference
    srows = []
    for a in result.arms:
        row = [f"`{a}`"]
        for m in spread_metrics(result.scores):
            std = summary[(a, m)]["std"]
            if a == ref:
                row += [fmt(std), "1 (reference)", "", "", ""]
            else:
                s = spreads[(a, m)]
                need = s["seeds_for_half"]
                row += [
                    fmt(std),
                    f"{fmt(s['ratio'])} {interval(s['ci_low'], s['ci_high'])}",
                    f"{fmt(s['p_value'])} [{fmt(s['p_holm'])}]",
                    fmt(s["detectable_ratio"]),
                    str(int(need)) if math.isfinite(need) else "n/a",
                ]
        row.append(fmt_sig(curve.get(a, math.nan)))
        srows.append(row)
    sheader = ["arm"]
    for m in spread_metrics(result.scores):
        sheader += [
            f"std {m}",
            f"ratio {m}",
            "p [Holm]",
            "detectable",
            f"seeds for {PLANNED_RATIO}",
        ]
    sheader.append("train-loss curve spread")
    return md_table(sheader, srows)


def _figure_lines(figures):
    """The figures section (nothing without figures)."""
    if not figures:
        return []
    L = ["## Figures", ""]
    for name, title, caption in figures:
        L += [f"![{title}]({name})", "", f"*{caption}*", ""]
    return L


def write_report_md(result, path, figures):
    prov = result.provenance
    ref = result.reference
    simulated = _simulated(result)
    hname = human_labels_name(simulated)
    summary, effects, spreads = _tables(result)
    curve = result.curve_spreads()
    conf = int(round(100 * result.params["confidence"]))
    L = []
    L.append(f"# Soft-label audit: {prov.get('dataset', 'data')}")
    L.append("")
    if simulated:
        L.append(
            "> **The human labels in this audit are simulated**: "
            f'{prov.get("labels")}. Read "human" below as "simulated '
            'human-like annotators".'
        )
        L.append("")
    L += _baseline_warning(result)
    L += glance_lines(result, md_table)
    L.append("## Provenance")
    L.append("")
    prov_rows = _provenance_rows(result, prov, hname)
    L.append(md_table(["item", "value"], prov_rows))
    L.append("")
    L.append("## Reading")
    L.append("")
    if _marks(result):
        L += _reading(result, summary, effects, spreads, curve)
    else:
        L += _withheld_reading(result)
    L.append("")
    L.append("## Comparison (mean ± std over seeds)")
    L.append("")
    key = [m for m in KEY_METRICS if m in result.scores]
    L.append(
        "Each column names its reference: `_vs_gold` = against the gold labels, "
        f"`_vs_human` = against the {hname} (a calibration bin's accuracy is the "
        "mean human probability of the predicted class), `_vs_human_mode` = "
        "against the human majority label. Test subsets: `all`; `hard` = the top "
        "fraction by human-label entropy (ties included), `easy` = the rest; "
        "`disagree` = every sample with any human disagreement (entropy > 0). "
        "std uses ddof=1."
    )
    L.append("")
    L.append(
        md_table(
            ["arm", *key],
            [[f"`{a}`", *[_cell(summary, m, a) for m in key]] for a in result.arms]
            + _baseline_cells(result, key),
        )
    )
    L.append("")
    L.append(f"## Effects: arm - `{ref}`, paired by seed ({conf}% t-interval)")
    L.append("")
    rows = [
        [f"`{a}`", *[_effect_cell(effects[(a, m)], _marks(result)) for m in key]]
        for a in result.arms
        if a != ref
    ]
    L.append(_marks_legend(result, conf))
    L.append("")
    L.append(md_table(["arm", *key], rows + _baseline_effect_rows(result, key)))
    L.append("")
    for metric in HEADLINES:
        L += _headline_table(result, effects, conf, metric)
    L += _control_table(result, conf)
    L += _maps_table(result, conf)
    L += _baseline_section(result)
    L.append("## Stability over seeds")
    L.append("")
    L.append(
        f"Standard deviation over seeds and its ratio to `{ref}` with the {conf}% "
        "Pitman-Morgan interval (unadjusted), which accounts for the pairing by "
        "seed; p = the Pitman-Morgan test of equal spread (in brackets Holm-"
        "adjusted over the testable comparisons; n/a: untestable, see the "
        "table above, or not a test); detectable = the SD ratio below which "
        f"(or above whose inverse) the test has {int(100 * POWER)}% power with "
        f"these {len(result.seeds)} seeds at the observed seed correlation; "
        f"seeds for {PLANNED_RATIO} = the number of seeds that {int(100 * POWER)}% "
        f"power at an SD ratio of {PLANNED_RATIO} would need. Training-loss curve "
        "spread = mean over epochs of the across-seed standard deviation of the "
        "training loss (each arm's loss against its own targets)."
    )
    L.append("")
    L += stability_lines(result, "head")
    L.append(_stability_table(result, summary, spreads, curve))
    L.append("")
    L += stability_lines(result, "tail")
    L += _figure_lines(figures)
    L.append("## All metrics (mean ± std over seeds)")
    L.append("")
    L.append(
        md_table(
            [
                "metric",
                "reference",
                "better",
                *[f"`{a}`" for a in result.arms],
                *[_baseline_label(b) for b in BASELINES],
            ],
            [
                [
                    f"`{m}`",
                    reference_name(m, simulated),
                    metric_direction(m),
                    *[_cell(summary, m, a) for a in result.arms],
                    *[_baseline_value(b, m) for b in result.baselines().values()],
                ]
                for m in result.scores
            ],
        )
    )
    L.append("")
    L.append("## Files")
    L.append("")
    L.append(
        "- `results.csv`: every metric of every run (arm x seed).\n"
        "- `effects.csv`: per arm and metric the mean, std, paired difference to "
        f"`{ref}` with its interval, p-value, Holm-adjusted p-value and bootstrap "
        "interval, the verdict that survives both noises (`verdict_both`), the "
        "difference to the temperature control, and the seed-spread "
        "ratio with its Pitman-Morgan interval, p-values and power figures.\n"
        "- `runs.jsonl`: a header line (test rows, gold labels, human soft labels, "
        "hard mask, disagreement mask, folds, settings) and one line per run with "
        "the per-sample test probabilities, training-loss curves and cartography "
        "statistics: "
        "every number above can be recomputed from it with `sksoft.metrics`."
    )
    L.append("")
    L.append(
        f"Metric definitions: {len(result.scores)} metrics, see `sksoft.audit.METRICS`."
    )
    L.append("")
    L.append(run_time_line(result.elapsed))
    L.append("")
    Path(path).write_text("\n".join(L), encoding="utf-8")


def write_report(result, path, *, figures=True, n_jobs=None):
    """Write the whole report folder; return the files written."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    written = []
    figs = []
    if figures:
        figs = draw_figures(result, path, n_jobs=n_jobs)
        written += [path / fig[0] for fig in figs]
    write_runs_jsonl(result, path / "runs.jsonl")
    write_results_csv(result, path / "results.csv")
    write_effects_csv(result, path / "effects.csv")
    write_report_md(result, path / "report.md", figs)
    written += [
        path / f for f in ("runs.jsonl", "results.csv", "effects.csv", "report.md")
    ]
    return written
