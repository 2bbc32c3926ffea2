"""PNG figures of the audit report (private; matplotlib imported when drawing).

Every figure names its reference ("vs gold" / "vs human soft labels") and marks
simulated labels, so a figure lifted out of the report still reads correctly.
"""

from pathlib import Path

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs

from ..cartography import DataMapDisplay
from ..evaluation import figure_grid
from ..metrics import ReliabilityDisplay
from ..targets import target_entropy
from ._metrics import (
    KEY_METRICS,
    human_labels_name,
    labels_are_simulated,
    metric_direction,
    reference_name,
)


def _label_outer(axes, n_panels, xlabel, ylabel):
    """Axis labels on the outer panels of a shared-axes grid only.

    A panel whose neighbour below is hidden (the last row is not full) keeps
    its x tick labels and x label, so every column shows its x scale.
    """
    nrows, ncols = axes.shape
    for i, ax in enumerate(axes.flat):
        if i >= n_panels:
            continue
        row, col = divmod(i, ncols)
        bottom = row == nrows - 1 or i + ncols >= n_panels
        ax.tick_params(labelbottom=bottom, labelleft=col == 0)
        ax.set_xlabel(xlabel if bottom else "")
        ax.set_ylabel(ylabel if col == 0 else "")


def _save(fig, path, title, *, fontsize, top, w_pad=None):
    """Title, lay out and save ``fig``; return it (tests read its artists).

    ``w_pad`` (in font sizes) widens the gap between columns, for panels with
    a second y axis on the right whose label would meet the neighbour's.
    """
    fig.suptitle(title, fontsize=fontsize)
    if fig.get_layout_engine() is None:
        fig.tight_layout(rect=(0, 0, 1, top), w_pad=w_pad)
    fig.savefig(path, dpi=90)
    return fig


def _human_label(result):
    return human_labels_name(labels_are_simulated(result.provenance), soft=True)


def _pooled(result, arm):
    """Test probabilities of every seed of ``arm`` stacked, with labels repeated."""
    runs = [r for r in result.runs if r["arm"] == arm]
    proba = np.concatenate([r["proba"] for r in runs])
    reps = len(runs)
    sets = [result.test_set(r["seed"]) for r in runs]  # each seed's test rows
    human = np.concatenate([t["human_test"] for t in sets])
    hard = np.concatenate([t["hard_mask"] for t in sets])
    gold = (
        None
        if result.gold_test is None
        else np.concatenate([t["gold_test"] for t in sets])
    )
    return proba, gold, human, hard, reps


def reliability_figure(result, arm, path):
    """Reliability diagrams of one arm: (vs gold, vs human) x (all, hard).

    Each figure function saves its PNG and returns the matplotlib Figure (None
    when there is nothing to draw).
    """
    proba, gold, human, hard, reps = _pooled(result, arm)
    hname = _human_label(result)
    refs = [("gold labels", gold)] if gold is not None else []
    refs.append((hname, human))
    fig, axes = figure_grid(2 * len(refs), 2, (6, 4.6))
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
    return _save(
        fig,
        path,
        f"Reliability of arm '{arm}' ("
        + (f"{reps} seeds' test predictions pooled" if reps > 1 else "one seed")
        + "; "
        f"hard = top {100 * result.params['hard_fraction']:.0f}% entropy of the "
        f"{hname})",
        fontsize=12,
        top=0.96,
        w_pad=3.0,  # the count axis of the left panel vs the right one's label
    )


def data_map_figure(result, path):
    """Data maps of every arm (first seed, first fold), coloured by human entropy.

    The panels share their axes and one colour bar (the colour is the same
    human entropy of the same training rows in every panel), so the arms'
    maps compare at a glance.
    """
    arms = [
        a
        for a in result.arms
        if any(
            r["arm"] == a and r["dynamics"] and r["dynamics"][0] for r in result.runs
        )
    ]
    if not arms:
        return None
    hname = _human_label(result)
    fig, axes = figure_grid(
        len(arms), 3, (4.6, 4.0), layout="constrained", sharex=True, sharey=True
    )
    train = result.folds[0][0]
    entropy = target_entropy(result.human[train])
    # one colour scale for every panel (the hue is the same array in each)
    norm = {"vmin": 0.0, "vmax": max(float(entropy.max()), 1e-12)}
    xmax = 0.0
    for ax, arm in zip(axes.flat, arms):
        run = next(r for r in result.runs if r["arm"] == arm and r["dynamics"][0])
        dyn = {key: np.asarray(v) for key, v in run["dynamics"][0].items()}
        disp = DataMapDisplay.from_statistics(
            dyn,
            estimator_name=arm,
            ax=ax,
            hue=entropy,
            cmap="viridis",
            scatter_kwargs=norm,
        )
        disp.colorbar_.remove()  # one shared colour bar below
        xmax = max(xmax, float(np.nanmax(dyn["variability"])))
        ax.set_title(f"{arm} (seed {run['seed']})", fontsize=11)
    axes[0, 0].set_xlim(0, max(xmax, 0.2) * 1.05 + 1e-3)  # shared by all panels
    _label_outer(axes, len(arms), "variability", "confidence")
    bar = fig.colorbar(
        disp.scatter_, ax=[ax for ax in axes.flat if ax.get_visible()], shrink=0.9
    )
    bar.set_label(f"entropy of the {hname} (nats)", fontsize=9)
    gold_note = "gold label" if result.gold is not None else "human mode"
    return _save(
        fig,
        path,
        "Data maps of the training samples: mean (confidence) and standard "
        f"deviation (variability) over epochs\nof the probability of the "
        f"{gold_note}; colour = entropy of the {hname}",
        fontsize=11,
        top=0.95,
    )


def _spread_points(mat, x):
    """The spread figure's dots ``(x, y)`` and bars ``(x, mean, sd)`` of a panel.

    Row ``i`` of ``mat`` (one arm's per-seed values; non-finite ones left out)
    gives dots jittered around ``x[i]`` and a bar at ``x[i] + 0.25``: the mean
    and the standard deviation (ddof=1; 0 for one value). An arm without a
    finite value gives neither.
    """
    dx, dy, bx, bm, bs = [], [], [], [], []
    for i in range(len(x)):
        vals = mat[i][np.isfinite(mat[i])]
        if vals.size == 0:
            continue
        jitter = np.linspace(-0.12, 0.12, vals.size) if vals.size > 1 else [0.0]
        dx.append(x[i] + np.asarray(jitter, dtype=float))
        dy.append(vals)
        bx.append(x[i] + 0.25)
        bm.append(vals.mean())
        bs.append(np.std(vals, ddof=1) if vals.size > 1 else 0.0)
    join = (lambda parts: np.concatenate(parts)) if dx else (lambda _: np.empty(0))
    return (join(dx), join(dy)), (np.asarray(bx), np.asarray(bm), np.asarray(bs))


def metric_spread_figure(result, path, metrics):
    """Per metric: each seed's value per arm, with the mean and +/- 1 std."""
    metrics = [m for m in metrics if m in result.scores]
    simulated = labels_are_simulated(result.provenance)
    fig, axes = figure_grid(len(metrics), 3, (5.4, 3.8))
    x = np.arange(len(result.arms))
    for ax, name in zip(axes.flat, metrics):
        mat = result.scores[name]
        # one scatter and one errorbar per panel (all arms at once): a figure
        # of a few artists draws and lays out several times faster than one
        # of two per arm, and looks the same
        dots, bars = _spread_points(mat, x)
        if dots[0].size:
            ax.scatter(*dots, s=18, color="C0", zorder=3)
        if bars[0].size:
            ax.errorbar(
                *bars[:2],
                yerr=bars[2],
                fmt="s",
                color="C3",
                capsize=4,
                markersize=5,
                zorder=4,
            )
        direction = metric_direction(name)
        if direction != "descriptive":
            direction += " is better"
        ax.set_title(
            f"{name}\n(vs {reference_name(name, simulated)}; {direction})",
            fontsize=9,
        )
        ref = result.arms.index(result.reference)
        ref_vals = mat[ref][np.isfinite(mat[ref])]
        if ref_vals.size:
            ax.axhline(ref_vals.mean(), color="0.45", ls=":", lw=1.2, zorder=1)
        ax.set_xticks(x)
        ax.set_xticklabels(result.arms, rotation=30, ha="right", fontsize=8)
        ax.get_xticklabels()[ref].set_fontweight("bold")
        ax.grid(axis="y", alpha=0.3)
    return _save(
        fig,
        path,
        f"Spread over {len(result.seeds)} seeds: dots = seeds, square = mean "
        f"+/- 1 std (ddof=1); dotted line = mean of the reference arm "
        f"'{result.reference}' (bold)",
        fontsize=12,
        top=0.95,
    )


def _loss_curves(result, arm):
    """The first fold's training-loss curves of ``arm``, one row per seed."""
    curves = [
        np.asarray(r["history"][0]["train_loss"], dtype=float)
        for r in result.runs
        if r["arm"] == arm
        and r["history"]
        and r["history"][0]
        and r["history"][0].get("train_loss")
    ]
    if not curves:
        return None
    n_epochs = min(c.size for c in curves)
    return np.stack([c[:n_epochs] for c in curves])


def training_curves_figure(result, path):
    """Training loss over epochs per arm, and the seeds' spread around it.

    Left: the mean over seeds of each arm's training loss with the min-max
    band of the seeds. Right: the spread itself, the standard deviation over
    seeds at each epoch (ddof=1); its mean over epochs is the report's
    training-loss curve spread. Seeds differ far less than the loss falls, so
    the spread needs its own axis to be seen at all.
    """
    from matplotlib.ticker import MaxNLocator

    curves = {a: _loss_curves(result, a) for a in result.arms}
    curves = {a: c for a, c in curves.items() if c is not None}
    if not curves:
        return None
    n_seeds = max(c.shape[0] for c in curves.values())
    fig, axes = figure_grid(2, 2, (6.4, 4.4))
    level, spread = axes[0]
    for i, (arm, mat) in enumerate(curves.items()):
        color = f"C{i % 10}"
        epochs = np.arange(1, mat.shape[1] + 1)
        level.plot(epochs, mat.mean(axis=0), color=color, lw=1.6, label=arm)
        level.fill_between(
            epochs, mat.min(axis=0), mat.max(axis=0), color=color, alpha=0.25, lw=0
        )
        if mat.shape[0] > 1:
            sd = mat.std(axis=0, ddof=1)
            spread.plot(
                epochs,
                sd,
                color=color,
                lw=1.6,
                marker="o",
                markersize=3,
                label=f"{arm} (mean {sd.mean():.3f})",
            )
    level.set_title(
        "training loss: mean over seeds, band = min to max"
        if n_seeds > 1
        else "training loss (one seed)",
        fontsize=10,
    )
    level.set_ylabel("training loss (against the arm's own targets)", fontsize=9)
    level.legend(fontsize=8)
    spread.set_title(
        "spread between seeds: standard deviation over seeds (ddof=1)", fontsize=10
    )
    spread.set_ylabel("SD of the training loss over seeds", fontsize=9)
    if n_seeds > 1:
        spread.legend(fontsize=8, title="arm (mean over epochs)", title_fontsize=8)
        spread.set_ylim(bottom=0)
    else:
        spread.text(
            0.5,
            0.5,
            "one seed: no spread between seeds",
            ha="center",
            va="center",
            transform=spread.transAxes,
        )
        spread.set_yticks([])
    for ax in (level, spread):
        ax.set_xlabel("epoch")
        ax.set_xlim(level.get_xlim())
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    fold_note = "; first fold" if len(result.folds) > 1 else ""
    return _save(
        fig,
        path,
        f"Training-loss curves over {n_seeds} seed{'s' if n_seeds > 1 else ''}"
        f"{fold_note} (soft targets have an entropy floor, so levels differ "
        "between arms: compare the spread)",
        fontsize=11,
        top=0.92,
    )


# rough CPU seconds of each figure (VADER, 16k items, 2-core machine): the
# draws are dealt out to the jobs longest first, so that they end together
_COST = {"data_map_figure": 3.0, "reliability_figure": 2.0, "metric_spread_figure": 2.0}


def _draw(calls, result):
    """Draw figures in a worker; whether each drew anything (no Figure back).

    ``calls`` is ``[(func, args)]``: one task draws several figures, so the
    result (tens of MB for a real data set) is sent once per task, not once
    per figure.
    """
    return [func(result, *args) is not None for func, args in calls]


def _deal(costs, n_tasks):
    """Indices of ``costs`` dealt to ``n_tasks`` tasks, longest first (LPT).

    A function of the costs and ``n_tasks`` only; empty tasks are dropped.
    """
    loads = [[0.0, []] for _ in range(max(1, n_tasks))]
    for k in sorted(range(len(costs)), key=lambda k: (-costs[k], k)):
        load = min(loads, key=lambda t: t[0])
        load[0] += costs[k]
        load[1].append(k)
    return [idx for _, idx in loads if idx]


def draw_figures(result, folder, *, n_jobs=None):
    """Draw every figure into ``folder``; return ``[(file, title, caption)]``.

    ``n_jobs`` figures are drawn at a time (joblib; ``None``: one, unless a
    ``joblib.parallel_config`` says otherwise), in ``n_jobs`` tasks of several
    figures each (the result is sent to a worker once per task). Each figure
    is drawn by the same code from the same result wherever it runs, so the
    files do not depend on ``n_jobs``.
    """
    folder = Path(folder)
    calls = [
        (
            f"reliability_{arm}.png",
            reliability_figure,
            (arm, folder / f"reliability_{arm}.png"),
        )
        for arm in result.arms
    ]
    calls += [
        ("data_maps.png", data_map_figure, (folder / "data_maps.png",)),
        (
            "metric_spread.png",
            metric_spread_figure,
            (folder / "metric_spread.png", KEY_METRICS),
        ),
        (
            "training_curves.png",
            training_curves_figure,
            (folder / "training_curves.png",),
        ),
    ]
    tasks = _deal(
        [_COST.get(func.__name__, 1.0) for _, func, _ in calls],
        min(effective_n_jobs(n_jobs), len(calls)),
    )
    drawn = Parallel(n_jobs=n_jobs)(
        delayed(_draw)([calls[k][1:] for k in idx], result) for idx in tasks
    )
    drew = {
        calls[k][0]: ok for idx, oks in zip(tasks, drawn) for k, ok in zip(idx, oks)
    }
    hname = _human_label(result)
    n_seeds = len(result.seeds)
    out = []
    refs = (
        f"against the gold labels (top) and against the {hname} (bottom)"
        if result.gold is not None
        else f"against the {hname}"
    )
    pooled = (
        f"The test predictions of the {n_seeds} seeds are pooled, so the ECE in a "
        "legend is that of the pooled predictions; the tables average the "
        "per-seed ECEs."
        if n_seeds > 1
        else "One seed: nothing is pooled."
    )
    for arm in result.arms:
        name = f"reliability_{arm}.png"
        out.append(
            (
                name,
                f"Reliability of {arm}",
                f"Reliability diagrams of `{arm}`: all test samples (left) and the "
                f"hard ones (right), {refs}. {pooled}",
            )
        )
    gold_note = "gold label" if result.gold is not None else "human mode"
    if drew["data_maps.png"]:
        out.append(
            (
                "data_maps.png",
                "Data maps",
                "Data maps of every arm (first seed), on shared axes: confidence "
                f"and variability of the {gold_note} over the training epochs, "
                f"each training sample coloured by the entropy of its {hname}.",
            )
        )
    out.append(
        (
            "metric_spread.png",
            "Metric spread over seeds",
            f"Metric spread over the {n_seeds} seeds: one dot per seed, the square "
            "and bar are the mean and +/- 1 standard deviation, the dotted line "
            f"the mean of the reference arm `{result.reference}`; each panel "
            "names the labels it is measured against.",
        )
    )
    if drew["training_curves.png"]:
        out.append(
            (
                "training_curves.png",
                "Training-loss curves",
                "Left: each arm's training loss per epoch, the mean over seeds "
                "with the band from the lowest to the highest seed (each arm's "
                "loss is against its own targets, so the levels do not compare). "
                "Right: the spread between seeds, the standard deviation over "
                "seeds per epoch; its mean over epochs is the curve spread of "
                "the stability table.",
            )
        )
    return out
