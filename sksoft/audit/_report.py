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
from pathlib import Path

import numpy as np

from ._metrics import (
    HEADLINE,
    KEY_METRICS,
    METRICS,
    human_labels_name,
    labels_are_simulated,
    reference_name,
    spread_metrics,
)
from ._plots import draw_figures

JSONL_VERSION = 1


def fmt(x):
    """A number as the report writes it: 3 decimals, ``n/a`` for nan/None."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    value = float(x)
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def pct(x):
    """A rate as a percentage with one decimal."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100 * float(x):.1f}%"


def interval(lo, hi):
    return f"[{fmt(lo)}, {fmt(hi)}]"


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
    alignment on training rows), the folds and the settings. Floats are
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
        "gold": result.gold,
        "human": result.human,
        "mode_shift_rate": result.mode_shift_rate,
        "folds": [{"train": tr, "test": te} for tr, te in result.folds],
        "elapsed": result.elapsed,
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
                "history": run["history"],
                "dynamics": run["dynamics"],
            }
            fh.write(json.dumps(_jsonable(record), default=str) + "\n")


# ---------------------------------------------------------------- CSVs


def write_results_csv(result, path):
    """One row per arm and seed: fit time and every metric (nan left empty)."""
    names = list(result.scores)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["arm", "seed", "fit_time_s", *names])
        for run in result.runs:
            row = [run["arm"], run["seed"], repr(float(run["fit_time"]))]
            for name in names:
                v = float(run["metrics"].get(name, math.nan))
                row.append(repr(v) if math.isfinite(v) else "")
            w.writerow(row)


def _num(row, key):
    """A CSV number: ``repr`` precision, empty for nan or a missing value."""
    v = row.get(key, math.nan)
    return repr(float(v)) if v is not None and math.isfinite(v) else ""


def write_effects_csv(result, path):
    """Per arm and metric: mean, std, and the paired difference to the reference."""
    summary, effects, spreads = _tables(result)
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
                "std_ratio",
                "std_ratio_ci_low",
                "std_ratio_ci_high",
            ]
        )
        for key, row in summary.items():
            e = effects.get(key, {})
            s = spreads.get(key, {})
            w.writerow(
                [
                    row["arm"],
                    row["metric"],
                    reference_name(row["metric"], simulated),
                    METRICS[row["metric"]]["better"],
                    _num(row, "mean"),
                    _num(row, "std"),
                    row["n_seeds"],
                    _num(e, "diff"),
                    _num(e, "ci_low"),
                    _num(e, "ci_high"),
                    _num(e, "p_value"),
                    e.get("verdict", ""),
                    _num(s, "ratio"),
                    _num(s, "ci_low"),
                    _num(s, "ci_high"),
                ]
            )


# ---------------------------------------------------------------- report.md


def _md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _cell(summary, name, arm):
    row = summary[(arm, name)]
    return f"{fmt(row['mean'])} ± {fmt(row['std'])}"


def _soft_arms(result):
    """The trained soft-label arms besides the reference, in report order.

    The audit's one list of soft arms (to be read from the arm registry of
    :mod:`sksoft.sources` once it flags them).
    """
    soft = ("human_soft", "human_soft_gold_mode", "smoothed", "teacher")
    return [a for a in result.arms if a in soft and a != result.reference]


def _reading(result, summary, effects, spreads, curve):
    """The plain reading: calibration on hard samples and seed spread."""
    ref = result.reference
    hname = human_labels_name(_simulated(result))
    lines = []
    soft = _soft_arms(result)
    conf = int(round(100 * result.params["confidence"]))
    if not soft:
        return ["No soft-label arm was trained, so there is nothing to judge."]
    lines.append(
        f"Judged by the expected calibration error on the hard test samples "
        f"against the {hname} (`{HEADLINE}`, lower is better), paired by seed "
        f"with {conf}% t-intervals over {len(result.seeds)} seeds:"
    )
    lines.append("")
    for arm in soft:
        e = effects[(arm, HEADLINE)]
        m_arm = summary[(arm, HEADLINE)]["mean"]
        m_ref = summary[(ref, HEADLINE)]["mean"]
        verdict = e["verdict"]
        if verdict == "better":
            text = "calibrates **better** than"
        elif verdict == "worse":
            text = "calibrates **worse** than"
        elif verdict == "n/a":
            text = "cannot be compared (one seed: no interval) with"
        else:
            text = "shows **no clear difference** (the interval includes 0) from"
        lines.append(
            f"- `{arm}` {text} `{ref}` on hard samples: {fmt(m_arm)} vs "
            f"{fmt(m_ref)}, difference {fmt(e['diff'])} "
            f"{interval(e['ci_low'], e['ci_high'])}."
        )
    lines.append("")
    # the gold reference can disagree in sign
    flips = []
    for arm in soft:
        eh = effects[(arm, HEADLINE)]
        eg = effects.get((arm, "ece_all_vs_gold"))
        if eg is None:
            continue
        if eh["verdict"] == "better" and eg["verdict"] == "worse":
            flips.append(arm)
    if (
        ref == "gold"
        and "human_mode" in result.arms
        and "human_soft_gold_mode" in result.arms
    ):
        em = effects[("human_mode", HEADLINE)]
        eu = effects[("human_soft_gold_mode", HEADLINE)]
        lines.append(
            "Mode shift or uncertainty? `human_mode` (the human majority as "
            "one-hot: the mode shift alone) changes hard-sample ECE against the "
            f"{hname} by {fmt(em['diff'])} {interval(em['ci_low'], em['ci_high'])}; "
            "`human_soft_gold_mode` (the human uncertainty with every mode moved "
            f"onto gold: no mode shift) by {fmt(eu['diff'])} "
            f"{interval(eu['ci_low'], eu['ci_high'])}."
        )
        lines.append("")
    if flips:
        lines.append(
            "The reference matters: "
            + ", ".join(f"`{a}`" for a in flips)
            + (" calibrates" if len(flips) == 1 else " calibrate")
            + f" better on hard samples against the {hname} but worse "
            "overall against the gold labels (`ece_all_vs_gold`)."
        )
        lines.append("")
    lines.append(
        f"Seed spread (standard deviation over seeds, ratio to `{ref}` with a "
        f"{conf}% F interval):"
    )
    lines.append("")
    for arm in soft:
        parts = []
        smaller, larger = [], []
        for name in spread_metrics(result.scores):
            s = spreads[(arm, name)]
            parts.append(
                f"`{name}` ratio {fmt(s['ratio'])} "
                f"{interval(s['ci_low'], s['ci_high'])}"
            )
            if math.isfinite(s["ci_high"]) and s["ci_high"] < 1:
                smaller.append(name)
            elif math.isfinite(s["ci_low"]) and s["ci_low"] > 1:
                larger.append(name)
        c_arm, c_ref = curve.get(arm, math.nan), curve.get(ref, math.nan)
        curve_txt = f"training-loss curve spread {fmt(c_arm)} vs {fmt(c_ref)}"

        def names(items):
            return ", ".join(f"`{n}`" for n in items)

        if smaller and larger:
            verdict = (
                f"its seed spread is **smaller** for {names(smaller)} but "
                f"**larger** for {names(larger)}"
            )
        elif smaller:
            verdict = f"its seed spread is **smaller** for {names(smaller)}"
        elif larger:
            verdict = f"its seed spread is **larger**, not smaller, for {names(larger)}"
        else:
            verdict = (
                "its seed spread is **not shown to be smaller** (every interval "
                "includes 1)"
            )
        lines.append(f"- `{arm}`: {verdict}; " + "; ".join(parts) + f"; {curve_txt}.")
    lines.append("")
    lines.append(
        "The intervals measure seed-to-seed variation (model initialisation and "
        "batch order) on one fixed split and test set; they do not include the "
        "sampling uncertainty of the test set or of the human labels."
    )
    lines.append("")
    if len(result.seeds) < 5:
        lines.append(
            f"With {len(result.seeds)} seeds the intervals are wide; a spread "
            "ratio in particular needs many more seeds to be shown below 1."
        )
    return lines


def write_report_md(result, path, figures):
    prov = result.provenance
    ref = result.reference
    simulated = _simulated(result)
    hname = human_labels_name(simulated)
    summary, effects, spreads = _tables(result)
    curve = result.curve_spreads()
    n = len(result.human)
    n_test = len(result.test_index)
    n_hard = int(result.hard_mask.sum())
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
    L.append("## Provenance")
    L.append("")
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
    prov_rows += [
        ("samples / classes", f"{n} / {len(result.classes)}"),
        (
            "test samples / hard test samples",
            f"{n_test} / {n_hard} (hard = the {pct(result.params['hard_fraction'])}"
            f" with the highest entropy of the {hname}, ties included)",
        ),
        (
            f"mode-shift rate ({prov.get('mode_shift', 'human mode != gold')}): "
            "all / test / hard test",
            f"{pct(result.mode_shift_rate)} / {pct(mode_test)} / {pct(mode_hard)}",
        ),
        ("arms / seeds", f"{', '.join(result.arms)} / {result.seeds}"),
        (
            "evaluation",
            (
                f"held-out split, test_size={result.params['test_size']}"
                if result.params["n_folds"] == 1
                else f"out-of-fold predictions, {result.params['n_folds']} folds"
            ),
        ),
        ("estimator", f"`{' '.join(result.params['estimator'].split())}`"),
    ]
    L.append(_md_table(["item", "value"], prov_rows))
    L.append("")
    L.append("## Reading")
    L.append("")
    L += _reading(result, summary, effects, spreads, curve)
    L.append("")
    L.append("## Comparison (mean ± std over seeds)")
    L.append("")
    key = [m for m in KEY_METRICS if m in result.scores]
    L.append(
        "Each column names its reference: `_vs_gold` = against the gold labels, "
        f"`_vs_human` = against the {hname} (a calibration bin's accuracy is the "
        "mean human probability of the predicted class), `_vs_human_mode` = "
        "against the human majority label. `all` / `hard` / `easy` = test "
        "subsets. std uses ddof=1."
    )
    L.append("")
    L.append(
        _md_table(
            ["arm", *key],
            [[f"`{a}`", *[_cell(summary, m, a) for m in key]] for a in result.arms],
        )
    )
    L.append("")
    L.append(f"## Effects: arm - `{ref}`, paired by seed ({conf}% t-interval)")
    L.append("")
    rows = []
    for a in result.arms:
        if a == ref:
            continue
        cells = []
        for m in key:
            e = effects[(a, m)]
            mark = {"better": " ▲", "worse": " ▼"}.get(e["verdict"], "")
            cells.append(
                f"{fmt(e['diff'])} {interval(e['ci_low'], e['ci_high'])}{mark}"
            )
        rows.append([f"`{a}`", *cells])
    L.append(
        "▲ = better than the reference (interval excludes 0 in the metric's good "
        "direction), ▼ = worse; no mark = no clear difference."
    )
    L.append("")
    L.append(_md_table(["arm", *key], rows))
    L.append("")
    L.append("## Stability over seeds")
    L.append("")
    L.append(
        f"Standard deviation over seeds and its ratio to `{ref}` ({conf}% F "
        "interval); training-loss curve spread = mean over epochs of the "
        "across-seed standard deviation of the training loss (each arm's loss "
        "against its own targets)."
    )
    L.append("")
    srows = []
    for a in result.arms:
        row = [f"`{a}`"]
        for m in spread_metrics(result.scores):
            std = summary[(a, m)]["std"]
            if a == ref:
                row += [fmt(std), "1 (reference)"]
            else:
                s = spreads[(a, m)]
                row += [
                    fmt(std),
                    f"{fmt(s['ratio'])} {interval(s['ci_low'], s['ci_high'])}",
                ]
        row.append(fmt(curve.get(a, math.nan)))
        srows.append(row)
    sheader = ["arm"]
    for m in spread_metrics(result.scores):
        sheader += [f"std {m}", f"ratio {m}"]
    sheader.append("train-loss curve spread")
    L.append(_md_table(sheader, srows))
    L.append("")
    if figures:
        L.append("## Figures")
        L.append("")
        for name, title, caption in figures:
            L.append(f"![{title}]({name})")
            L.append("")
            L.append(f"*{caption}*")
            L.append("")
    L.append("## All metrics (mean ± std over seeds)")
    L.append("")
    L.append(
        _md_table(
            ["metric", "reference", "better", *[f"`{a}`" for a in result.arms]],
            [
                [
                    f"`{m}`",
                    reference_name(m, simulated),
                    METRICS[m]["better"],
                    *[_cell(summary, m, a) for a in result.arms],
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
        f"`{ref}` with its interval and p-value, and the seed-spread ratio.\n"
        "- `runs.jsonl`: a header line (test rows, gold labels, human soft labels, "
        "hard mask, folds, settings) and one line per run with the per-sample "
        "test probabilities, training-loss curves and cartography statistics: "
        "every number above can be recomputed from it with `sksoft.metrics`."
    )
    L.append("")
    L.append(
        f"Metric definitions: {len(result.scores)} metrics, see "
        "`sksoft.audit.METRICS`. Run time: "
        f"{result.elapsed:.0f} s."
    )
    L.append("")
    Path(path).write_text("\n".join(L), encoding="utf-8")


def write_report(result, path, *, figures=True):
    """Write the whole report folder; return the files written."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    written = []
    figs = []
    if figures:
        figs = draw_figures(result, path)
        written += [path / fig[0] for fig in figs]
    write_runs_jsonl(result, path / "runs.jsonl")
    write_results_csv(result, path / "results.csv")
    write_effects_csv(result, path / "effects.csv")
    write_report_md(result, path / "report.md", figs)
    written += [
        path / f for f in ("runs.jsonl", "results.csv", "effects.csv", "report.md")
    ]
    return written
