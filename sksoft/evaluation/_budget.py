"""Annotation budgets of ``sksoft evaluate --annotators`` (private).

:func:`budget_rows` measures every metric against human labels built from
``n`` annotators per item, over repeated draws
(:func:`sksoft.sources.annotation_budget_curve`, itself
:func:`sksoft.sources.subsample_annotations`), and :func:`saturation` reads
where each metric stops changing. The report writes ``budget.csv``, the
figure ``budget.png`` and a section (:func:`budget_section`).
"""

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..sources import annotation_budget_curve
from ..targets import counts_to_proba, hard_sample_mask
from ._registry import metric_specs
from ._tables import figure_grid, fmt, md_table

__all__ = ["SATURATION_TOLERANCE", "budget_rows", "budget_section", "saturation"]

#: relative distance to the all-annotator value under which a metric counts
#: as saturated (:func:`saturation`)
SATURATION_TOLERANCE = 0.05

#: the columns of ``budget.csv``
BUDGET_COLUMNS = (
    "model",
    "metric",
    "subset",
    "reference",
    "n_annotators",
    "mean_annotations",
    "mean",
    "std",
    "ci_low",
    "ci_high",
    "full",
    "within_tolerance",
    "full_in_interval",
)


def budget_specs():
    """The registry's test metrics that depend on the human labels."""
    return [
        spec
        for spec in metric_specs("evaluate", stage="test")
        if spec.reference in ("human", "human_mode")
    ]


def _reference(spec, soft):
    return np.argmax(soft, axis=1) if spec.reference == "human_mode" else soft


def budget_rows(
    models,
    counts,
    n_values,
    *,
    hard,
    n_bins,
    ties,
    n_draws,
    confidence,
    random_state,
):
    """One row per model, metric and ``n``: the curve over ``n_draws`` draws.

    Every metric and model sees the same draws (one seed for all of them).
    A metric whose name holds a subset (``ece_hard_vs_human``) is computed on
    that subset, the hard items fixed from all annotators (as the evaluation
    fixes them); the others on all items. A model's value is the mean over
    its seeds, as the evaluation's pooled value.
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    masks = {None: np.ones(len(hard), bool), "all": np.ones(len(hard), bool)}
    masks.update(hard=hard, easy=~hard)
    # the items with any disagreement, fixed from all annotators as ``hard``
    masks["disagree"] = hard_sample_mask(
        counts_to_proba(np.asarray(counts)), hard="disagreement"
    )
    rows = []
    for spec in budget_specs():
        mask = masks[spec.subset]
        for name, arrays in models.items():
            stacked = np.stack([np.asarray(a)[mask] for a in arrays])

            def metric(soft, y_prob, spec=spec):
                ref = _reference(spec, soft)
                return float(
                    np.mean([spec.score(ref, a, n_bins, ties) for a in y_prob])
                )

            curve = _curve(
                metric, stacked, counts[mask], n_values, n_draws, confidence, seed
            )
            within = _within(curve.mean, curve.full)
            for j, n in enumerate(curve.n_values):
                rows.append(
                    {
                        "model": name,
                        "metric": spec.name,
                        "subset": spec.subset or "all",
                        "reference": spec.reference.replace("_", " "),
                        "n_annotators": int(n),
                        "mean_annotations": float(curve.mean_annotations[j]),
                        "mean": float(curve.mean[j]),
                        "std": float(curve.std[j]),
                        "ci_low": float(curve.lower[j]),
                        "ci_high": float(curve.upper[j]),
                        "full": float(curve.full),
                        "within_tolerance": bool(within[j]),
                        "full_in_interval": bool(
                            curve.lower[j] <= curve.full <= curve.upper[j]
                        ),  # False where undefined (nan)
                    }
                )
    return rows


def _curve(metric, y_prob, counts, n_values, n_draws, confidence, seed):
    """:func:`annotation_budget_curve` one ``n`` at a time, nan where undefined.

    A metric can be undefined at small ``n`` (a Spearman correlation with the
    human-label entropy when one vote per item makes every entropy 0): that
    ``n`` gets nan values instead of failing the whole curve.
    """
    full = metric(counts_to_proba(counts), y_prob)
    keys = ("mean", "std", "lower", "upper", "mean_annotations")
    out = {key: [] for key in keys}
    ns = np.asarray(n_values)
    for n in ns:
        try:
            c = annotation_budget_curve(
                metric,
                y_prob,
                counts,
                [int(n)],
                n_draws=n_draws,
                confidence=confidence,
                random_state=seed,
            )
        except ValueError as exc:
            if "finite number" not in str(exc):
                raise
            c = None
        for key in keys:
            if c is not None:
                out[key].append(float(c[key][0]))
            elif key == "mean_annotations":
                out[key].append(float(np.minimum(n, counts.sum(axis=1)).mean()))
            else:
                out[key].append(np.nan)
    return Bunch(
        n_values=ns.astype(np.int64),
        full=float(full),
        **{key: np.array(val) for key, val in out.items()},
    )


def _within(mean, full, tol=SATURATION_TOLERANCE):
    """Whether each mean is within ``tol`` of ``full`` (relative to ``|full|``)."""
    if not np.isfinite(full):
        return np.zeros(len(mean), dtype=bool)
    scale = abs(full) if full != 0 else 1.0
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(mean) - full) <= tol * scale


def saturation(rows):
    """``{(model, metric): n}``: where each curve saturates (None: not in the grid).

    The rule: the smallest ``n`` of the grid whose mean over draws is within
    :data:`SATURATION_TOLERANCE` (5%) of the all-annotator value, relative to
    that value's magnitude, at that ``n`` and at every larger ``n`` of the
    grid.
    """
    out = {}
    curves = {}
    for row in rows:
        curves.setdefault((row["model"], row["metric"]), []).append(row)
    for key, curve in curves.items():
        curve = sorted(curve, key=lambda r: r["n_annotators"])
        n_sat = None
        for row in reversed(curve):
            if not row["within_tolerance"]:
                break
            n_sat = row["n_annotators"]
        out[key] = n_sat
    return out


def budget_section(rows, n_draws, confidence, figure):
    """The report's section on the annotation budget (Markdown lines)."""
    sat = saturation(rows)
    grid = sorted({r["n_annotators"] for r in rows})
    by_key = {(r["model"], r["metric"], r["n_annotators"]): r for r in rows}
    max_votes = max(
        r["mean_annotations"] for r in rows if r["n_annotators"] == grid[-1]
    )
    lines = [
        "## Annotation budget: how many annotators does each metric need?",
        "",
        f"Every metric against the human labels built from n annotators per item "
        f"(n in {', '.join(map(str, grid))}; an item with fewer votes keeps all of "
        f"them; at n = {grid[-1]} items keep {fmt(max_votes)} votes on average), "
        f"over {n_draws} draws of n of each item's votes without replacement "
        f"(`budget.csv`: mean, sd and the central {round(100 * confidence)}% of "
        "the draws; the same draws for every metric and model). The hard items "
        "are those of all annotators.",
        "",
        "**Saturation rule**: a metric saturates at the smallest n of the grid "
        f"whose mean over draws is within {round(100 * SATURATION_TOLERANCE)}% "
        "of its all-annotator value (relative to that value's magnitude) at that "
        "n and at every larger n of the grid; 'not within the grid' otherwise. "
        "`budget.csv` also says whether the all-annotator value lies in each "
        "n's draw interval (`full_in_interval`).",
        "",
    ]
    header = ["model", "metric", "saturates at n", *[f"n={n}" for n in grid], "all"]
    table = []
    for (model, metric), n_sat in sat.items():
        first = by_key[(model, metric, grid[0])]
        table.append(
            [
                model,
                f"`{metric}`",
                "not within the grid" if n_sat is None else str(n_sat),
                *[fmt(by_key[(model, metric, n)]["mean"]) for n in grid],
                fmt(first["full"]),
            ]
        )
    lines += [md_table(header, table), ""]
    if figure:
        lines += ["![metric vs annotators](budget.png)", ""]
    else:
        lines += ["Figure not drawn (no matplotlib, or figures turned off).", ""]
    return lines


def budget_figure(rows, path):
    """``budget.png``: each metric's mean and draw interval against n."""
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, axes = figure_grid(len(metrics), 4, (3.2, 2.6))
    for ax, metric in zip(axes.flat, metrics):
        for model in models:
            curve = [r for r in rows if r["metric"] == metric and r["model"] == model]
            n = [r["n_annotators"] for r in curve]
            line = ax.plot(n, [r["mean"] for r in curve], marker="o", ms=3, label=model)
            ax.fill_between(
                n,
                [r["ci_low"] for r in curve],
                [r["ci_high"] for r in curve],
                color=line[0].get_color(),
                alpha=0.2,
            )
            ax.axhline(curve[0]["full"], color=line[0].get_color(), ls=":", lw=1)
        ax.set_xscale("log")
        grid = sorted({r["n_annotators"] for r in rows})
        ax.set_xticks(grid, [str(n) for n in grid])
        ax.minorticks_off()
        ax.set_title(metric, fontsize=8)
        ax.set_xlabel("annotators per item", fontsize=7)
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
