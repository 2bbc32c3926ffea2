"""PNG figures of the audit report (private; matplotlib imported when drawing).

Every figure names its reference ("vs gold" / "vs human soft labels") and marks
simulated labels, so a figure lifted out of the report still reads correctly.
"""

import math

import numpy as np

from ..cartography import DataMapDisplay
from ..metrics import ReliabilityDisplay
from ..targets import target_entropy
from ._metrics import (
    KEY_METRICS,
    METRICS,
    human_labels_name,
    labels_are_simulated,
    reference_name,
)


def _figure_grid(n_panels, ncols, panel_size, **kwargs):
    """A figure with ``n_panels`` axes in rows of ``ncols``, without pyplot.

    ``panel_size`` is the ``(width, height)`` of one panel in inches; axes past
    ``n_panels`` are hidden. No pyplot means no global backend state: the
    figures are saved to files only, so the report works headless and does not
    touch the backend of an interactive session.
    """
    from matplotlib.figure import Figure

    ncols = min(ncols, n_panels)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    for ax in list(axes.flat)[n_panels:]:
        ax.set_visible(False)
    return fig, axes


def _save(fig, path, title, *, fontsize, top):
    fig.suptitle(title, fontsize=fontsize)
    fig.tight_layout(rect=(0, 0, 1, top))
    fig.savefig(path, dpi=90)


def _human_label(result):
    return human_labels_name(labels_are_simulated(result.provenance), soft=True)


def _pooled(result, arm):
    """Test probabilities of every seed of ``arm`` stacked, with labels repeated."""
    runs = [r for r in result.runs if r["arm"] == arm]
    proba = np.concatenate([r["proba"] for r in runs])
    reps = len(runs)
    human = np.tile(result.human_test, (reps, 1))
    hard = np.tile(result.hard_mask, reps)
    gold = None if result.gold_test is None else np.tile(result.gold_test, reps)
    return proba, gold, human, hard, reps


def reliability_figure(result, arm, path):
    """Reliability diagrams of one arm: (vs gold, vs human) x (all, hard)."""
    proba, gold, human, hard, reps = _pooled(result, arm)
    hname = _human_label(result)
    refs = [("gold labels", gold)] if gold is not None else []
    refs.append((hname, human))
    fig, axes = _figure_grid(2 * len(refs), 2, (6, 4.6))
    for row, (ref_name, y_ref) in enumerate(refs):
        ReliabilityDisplay.from_predictions(
            y_ref,
            proba,
            mask=hard,
            n_bins=result.params["n_bins"],
            reference=ref_name,
            labels=np.arange(proba.shape[1]) if y_ref.ndim == 1 else None,
            name=arm,
            ax=axes[row],
        )
        axes[row, 0].set_title(f"{arm}: all test samples, vs {ref_name}")
        axes[row, 1].set_title(f"{arm}: hard test samples, vs {ref_name}")
    _save(
        fig,
        path,
        f"Reliability of arm '{arm}' ({reps} seeds' test predictions pooled; "
        f"hard = top {100 * result.params['hard_fraction']:.0f}% entropy of the "
        f"{hname})",
        fontsize=12,
        top=0.96,
    )


def data_map_figure(result, path):
    """Data maps of every arm (first seed, first fold), coloured by human entropy."""
    arms = [
        a
        for a in result.arms
        if any(
            r["arm"] == a and r["dynamics"] and r["dynamics"][0] for r in result.runs
        )
    ]
    if not arms:
        return False
    hname = _human_label(result)
    fig, axes = _figure_grid(len(arms), 3, (5.2, 4.6))
    train = result.folds[0][0]
    entropy = target_entropy(result.human[train])
    for ax, arm in zip(axes.flat, arms):
        run = next(r for r in result.runs if r["arm"] == arm)
        dyn = run["dynamics"][0]
        DataMapDisplay.from_statistics(
            {k: np.asarray(v) for k, v in dyn.items()},
            estimator_name=arm,
            ax=ax,
            hue=entropy,
            hue_label=f"entropy of the {hname}",
            cmap="viridis",
        )
        ax.set_title(f"{arm} (seed {run['seed']}), training samples")
    gold_note = "gold label" if result.gold is not None else "human mode"
    _save(
        fig,
        path,
        f"Data maps: confidence and variability of the {gold_note} over epochs, "
        f"colour = entropy of the {hname}",
        fontsize=12,
        top=0.95,
    )
    return True


def metric_spread_figure(result, path, metrics):
    """Per metric: each seed's value per arm, with the mean and +/- 1 std."""
    metrics = [m for m in metrics if m in result.scores]
    simulated = labels_are_simulated(result.provenance)
    fig, axes = _figure_grid(len(metrics), 3, (5.4, 3.8))
    x = np.arange(len(result.arms))
    for ax, name in zip(axes.flat, metrics):
        mat = result.scores[name]
        for i in range(len(result.arms)):
            vals = mat[i][np.isfinite(mat[i])]
            if vals.size == 0:
                continue
            jitter = np.linspace(-0.12, 0.12, vals.size) if vals.size > 1 else [0.0]
            ax.scatter(x[i] + np.asarray(jitter), vals, s=18, color="C0", zorder=3)
            sd = np.std(vals, ddof=1) if vals.size > 1 else 0.0
            ax.errorbar(
                x[i] + 0.25,
                vals.mean(),
                yerr=sd,
                fmt="s",
                color="C3",
                capsize=4,
                markersize=5,
                zorder=4,
            )
        ax.set_title(
            f"{name}\n(vs {reference_name(name, simulated)}; "
            f"{METRICS[name]['better']} is better)",
            fontsize=9,
        )
        ax.set_xticks(x)
        ax.set_xticklabels(result.arms, rotation=30, ha="right", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    _save(
        fig,
        path,
        f"Spread over {len(result.seeds)} seeds: dots = seeds, square = mean "
        "+/- 1 std (ddof=1)",
        fontsize=12,
        top=0.95,
    )


def training_curves_figure(result, path):
    """Training loss per epoch of every seed, one panel per arm (first fold)."""
    arms = [
        a
        for a in result.arms
        if any(r["arm"] == a and r["history"] and r["history"][0] for r in result.runs)
    ]
    if not arms:
        return False
    fig, axes = _figure_grid(len(arms), 3, (5.0, 3.6), sharex=True)
    curves = result.curve_spreads()
    for ax, arm in zip(axes.flat, arms):
        for run in (r for r in result.runs if r["arm"] == arm):
            loss = run["history"][0].get("train_loss") if run["history"][0] else None
            if loss:
                ax.plot(
                    np.arange(1, len(loss) + 1),
                    loss,
                    lw=1.2,
                    label=f"seed {run['seed']}",
                )
        ax.set_title(f"{arm}: curve spread {curves[arm]:.3f}", fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (vs the arm's own targets)", fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    _save(
        fig,
        path,
        "Training-loss curves across seeds (soft targets have an entropy floor, "
        "so levels differ between arms; compare the spread)",
        fontsize=11,
        top=0.94,
    )
    return True


def draw_figures(result, folder):
    """Draw every figure into ``folder``; return ``[(file, title, caption)]``."""
    hname = _human_label(result)
    n_seeds = len(result.seeds)
    out = []
    for arm in result.arms:
        name = f"reliability_{arm}.png"
        reliability_figure(result, arm, folder / name)
        out.append(
            (
                name,
                f"Reliability of {arm}",
                f"Reliability diagrams of `{arm}`: all test samples (left) and the "
                f"hard ones (right), against the gold labels (top) and against the "
                f"{hname} (bottom). The test predictions of the {n_seeds} seeds are "
                "pooled, so the ECE in a legend is that of the pooled predictions; "
                "the tables average the per-seed ECEs.",
            )
        )
    if data_map_figure(result, folder / "data_maps.png"):
        out.append(
            (
                "data_maps.png",
                "Data maps",
                "Data maps of every arm (first seed): confidence and variability of "
                "the gold label over the training epochs, each training sample "
                f"coloured by the entropy of its {hname}.",
            )
        )
    metric_spread_figure(result, folder / "metric_spread.png", KEY_METRICS)
    out.append(
        (
            "metric_spread.png",
            "Metric spread over seeds",
            f"Metric spread over the {n_seeds} seeds: one dot per seed, the square "
            "and bar are the mean and +/- 1 standard deviation; each panel names "
            "its reference.",
        )
    )
    if training_curves_figure(result, folder / "training_curves.png"):
        out.append(
            (
                "training_curves.png",
                "Training-loss curves",
                "Training loss per epoch of every seed, one panel per arm (each "
                "arm's loss is against its own targets, so compare the spread "
                "between seeds, not the levels).",
            )
        )
    return out
