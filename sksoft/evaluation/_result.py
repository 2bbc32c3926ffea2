"""The result of :func:`sksoft.evaluate_predictions` and its report folder (private).

The report needs neither pandas nor, with ``figures=False``, matplotlib: the
tables are written with the shared helpers of ``_tables.py``, the CSV files with
the :mod:`csv` module.
"""

import csv
import math
import os
from dataclasses import dataclass, field

import numpy as np

from ..metrics import ReliabilityDisplay
from ..targets import hard_sample_mask
from ..utils._extras import require
from ._budget import BUDGET_COLUMNS, budget_figure, budget_section
from ._registry import metric_specs
from ._tables import figure_grid, fmt, md_table, pct

SUBSETS = ("all", "hard", "easy", "disagree")
POOLED = "pooled"


@dataclass
class EvaluationResult:
    """Scores of given predictions, with bootstrap intervals.

    Returned by :func:`evaluate_predictions`; read it with :meth:`to_frame`,
    :meth:`score` or write the report folder with :meth:`write_report`.

    Attributes
    ----------
    models : tuple of str
        Evaluated models in report order, temperature variants included.
    n_seeds : dict
        Model -> number of seeds (prediction sets).
    scores : list of dict
        One row per model, seed (``"pooled"`` or ``"seed0"``, ...), subset
        (``"all"``, ``"hard"``, ``"easy"``, ``"disagree"``: any human
        disagreement, entropy > 0) and metric: ``value``, ``ci_low``,
        ``ci_high`` and the metric's ``reference`` (``"human"``,
        ``"human mode"`` or ``"gold"``).
    differences : list of dict
        Paired model differences ``model - baseline`` (pooled values) with
        bootstrap intervals over the same resampled items.
    hard_mask : ndarray of shape (n_samples,), dtype bool
        The hard samples (highest human entropy, ties at the cut included).
    hard_fraction : float
        The requested share of hard samples.
    hard_share : float
        The actual share (ties make it larger than requested).
    temperatures : dict
        Variant -> temperature applied (a list of per-fold values for a
        cross-fitted ``"fit"``).
    settings : dict
        The arguments that define the numbers (ties, n_bins, bootstrap,
        confidence level, random state), and provenance.
    n_samples, n_classes : int
        Items and classes.
    classes : list or None
        Class names, when given.
    probabilities : dict
        Variant -> list of the evaluated probability arrays (one per seed,
        temperature applied).
    human : ndarray of shape (n_samples, n_classes)
        The human soft labels.
    budget : list of dict or None
        With ``annotators``: one row per model, metric and number of
        annotators ``n`` (the columns of ``budget.csv``: ``mean``, ``std``,
        ``ci_low``, ``ci_high`` over the draws, ``full`` on all votes,
        ``within_tolerance``, ``full_in_interval``); else None.

    See Also
    --------
    evaluate_predictions : Builds this result.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft import evaluate_predictions
    >>> rng = np.random.default_rng(0)
    >>> counts = rng.multinomial(10, [0.5, 0.3, 0.2], size=100)
    >>> result = evaluate_predictions({"m": rng.dirichlet(np.ones(3), size=100)},
    ...                               counts=counts, n_bootstrap=0)
    >>> result.to_frame().shape
    (65, 8)
    >>> round(result.score("m", "top1_agreement_vs_human", subset="hard"), 3)
    0.237
    """

    models: tuple
    n_seeds: dict
    scores: list
    differences: list
    hard_mask: np.ndarray
    hard_fraction: float
    hard_share: float
    temperatures: dict
    settings: dict
    n_samples: int
    n_classes: int
    classes: list
    probabilities: dict = field(repr=False, default_factory=dict)
    human: np.ndarray = field(repr=False, default=None)
    budget: list = field(repr=False, default=None)

    def score(self, model, metric, *, subset="all", seed=POOLED):
        """The value of one metric.

        Parameters
        ----------
        model : str
            A name of :attr:`models`.
        metric : str
            A metric name, e.g. ``"ece_vs_human"``.
        subset : {"all", "hard", "easy", "disagree"}, default="all"
            The samples.
        seed : str, default="pooled"
            ``"pooled"`` (the mean over seeds) or ``"seed0"``, ``"seed1"``, ...

        Returns
        -------
        value : float
        """
        for row in self.scores:
            if (row["model"], row["metric"], row["subset"], row["seed"]) == (
                model,
                metric,
                subset,
                seed,
            ):
                return row["value"]
        raise KeyError((model, metric, subset, seed))

    def to_frame(self, kind="scores"):
        """The scores (or the paired differences) as a long pandas DataFrame.

        Parameters
        ----------
        kind : {"scores", "differences"}, default="scores"
            One row per model, seed, subset and metric, or per model pair,
            subset and metric.

        Returns
        -------
        frame : pandas.DataFrame
        """
        if kind not in ("scores", "differences"):
            raise ValueError(f"kind must be 'scores' or 'differences'; got {kind!r}.")
        pd = require("pandas", "EvaluationResult.to_frame")
        return pd.DataFrame(self.scores if kind == "scores" else self.differences)

    def write_report(self, path, *, figures=True):
        """Write the report folder.

        ``report.md`` (provenance, the actual hard share, what the intervals
        cover, tables by subset, per seed and of the paired differences),
        ``results.csv``, ``differences.csv`` and one reliability diagram per
        model (all vs hard samples, human soft labels) as PNG; with an
        annotation budget also ``budget.csv``, ``budget.png`` (metric vs the
        number of annotators) and a section saying where each metric
        saturates.

        Parameters
        ----------
        path : str or path-like
            The folder (created if needed; files in it are overwritten).
        figures : bool, default=True
            Draw the reliability diagrams (needs matplotlib, ``sksoft[plot]``);
            without them the report says so.

        Returns
        -------
        path : str
            The report folder.
        """
        return _write_report(self, os.fspath(path), figures=figures)


# ---------------------------------------------------------------- report


def _fmt(x):
    """The reports' number format (:func:`fmt`),
    except that an infinite value stays ``inf`` (a KL divergence where a model
    gives probability 0 to a class humans chose)."""
    if x is not None and math.isinf(float(x)):
        return "inf" if x > 0 else "-inf"
    return fmt(x)


def _reliability_figures(result, path):
    """One figure per model: all samples vs hard samples, human reference.

    Drawn on the shared figure helper (a matplotlib ``Figure`` without
    pyplot: no global backend state, headless).
    """
    files = []
    n_bins = result.settings["n_bins"]
    for i, name in enumerate(result.models):
        arrays = result.probabilities[name]
        p = np.concatenate(arrays)  # seeds stacked: every seed's predictions
        human = np.tile(result.human, (len(arrays), 1))
        mask = np.tile(result.hard_mask, len(arrays))
        fig, axes = figure_grid(2, 2, (5.6, 4.4))
        ReliabilityDisplay.from_predictions(
            human, p, mask=mask, n_bins=n_bins, name=name, ax=axes[0]
        )
        axes[0, 0].set_title(f"{name}: all items, vs human soft labels")
        axes[0, 1].set_title(f"{name}: hard items, vs human soft labels")
        seeds = f"; {len(arrays)} seeds' predictions pooled" if len(arrays) > 1 else ""
        fig.suptitle(
            f"Reliability of {name} (hard = top {pct(result.hard_fraction)} "
            f"human-label entropy, ties included: {pct(result.hard_share)} of the "
            f"items{seeds})"
        )
        fig.tight_layout(rect=(0, 0, 1, 0.94), w_pad=3.0)
        fname = f"reliability_{i:02d}.png"
        fig.savefig(os.path.join(path, fname), dpi=90)
        files.append((name, fname))
    return files


def _temperature_text(value):
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_temperature_text(v) for v in value) + "]"
    return _fmt(value)


def _disagreement_text(result):
    """The ``disagree`` subset: its size, and that it counts the given classes."""
    mask = hard_sample_mask(result.human, hard="disagreement")
    text = (
        f"{int(mask.sum())} of {mask.size} ({pct(float(mask.mean()))}; the "
        "`disagree` subset: human entropy > 0, counted on the "
        f"{result.n_classes} classes given, so ratings collapsed to classes "
        "agree within a class)"
    )
    if mask.mean() >= 0.9:
        text += "; almost every item, so `disagree` is close to `all`"
    return text


def _provenance_table(result):
    """The provenance as the audit report writes it: an item | value table."""
    st = result.settings
    classes = f" ({', '.join(map(str, result.classes))})" if result.classes else ""
    n_hard = int(result.hard_mask.sum())
    rows = [
        ("samples / classes", f"{result.n_samples} / {result.n_classes}{classes}"),
        ("labels", f"human (given as {st['human_labels']})"),
        (
            "gold labels",
            "given" if st["gold"] else "not given (no `*_vs_gold` metric)",
        ),
        (
            "models (seeds)",
            ", ".join(f"{m} ({result.n_seeds[m]})" for m in result.models),
        ),
        (
            "samples / hard samples",
            f"{result.n_samples} / {n_hard} (hard = the "
            f"{pct(result.hard_fraction)} with the highest entropy of the human "
            f"soft labels, ties included: actual share {result.hard_share:.3f})",
        ),
        ("samples with any disagreement", _disagreement_text(result)),
        (
            "tie rule (top-1 agreement, RankCS) / ECE bins",
            f"`{st['ties']}` / {st['n_bins']} uniform",
        ),
        (
            "temperature asked / applied",
            f"{st['temperature']!r} / "
            + ", ".join(
                f"{m}: {_temperature_text(t)}" for m, t in result.temperatures.items()
            ),
        ),
        *_calibration_rows(st),
        (
            "intervals",
            f"{100 * st['confidence_level']:g}% percentile bootstrap over items, "
            f"{st['n_bootstrap']} resamples, random_state={st['random_state']}",
        ),
    ]
    return md_table(["item", "value"], rows)


def _calibration_rows(st):
    """The provenance row of ``calibrate`` (none without it)."""
    method = st.get("calibrate")
    if method is None:
        return []
    what = {
        "temperature": "one temperature (fit_temperature)",
        "vector": "vector scaling (fit_dirichlet, diagonal)",
        "dirichlet": "Dirichlet calibration (fit_dirichlet, ODIR 1e-2)",
    }[method]
    return [
        (
            "calibration",
            f"{what} fitted against the human soft labels, cross-fitted over "
            f"{st['calibration_cv']} folds of the items (each fold mapped by the "
            "calibrator fitted on the others)",
        )
    ]


def _write_csv(path, rows, header):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _csv_value(v) for k, v in r.items()} for r in rows)


def _csv_value(value):
    """As pandas' ``to_csv`` writes it: nan empty, floats in full."""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return value


SCORE_COLUMNS = (
    "model",
    "seed",
    "subset",
    "metric",
    "reference",
    "value",
    "ci_low",
    "ci_high",
)
DIFFERENCE_COLUMNS = (
    "model",
    "baseline",
    "subset",
    "metric",
    "reference",
    "difference",
    "ci_low",
    "ci_high",
)


def _score_tables(result):
    out = []
    pooled = {
        (r["model"], r["metric"], r["subset"]): r
        for r in result.scores
        if r["seed"] == POOLED
    }
    for sub in SUBSETS:
        out += ["", f"## Scores, {sub} samples (pooled over seeds)", ""]
        rows = []
        for spec in _reported(result):
            cells = [pooled.get((m, spec.name, sub)) for m in result.models]
            if cells[0] is None:
                continue
            cells = [
                f"{_fmt(r['value'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
                for r in cells
            ]
            rows.append([f"`{spec.name}`", spec.better] + cells)
        out.append(md_table(["metric", "better"] + list(result.models), rows))
    return out


def _reported(result):
    """The registry specs that have rows in ``result``, in registry order."""
    names = {r["metric"] for r in result.scores}
    return [s for s in metric_specs("evaluate", stage="test") if s.name in names]


def _seed_table(result):
    values = {
        (r["model"], r["seed"], r["metric"]): r["value"]
        for r in result.scores
        if r["seed"] != POOLED and r["subset"] == "all"
    }
    if not values:
        return []
    present = {key[2] for key in values}
    cols = [s.name for s in _reported(result) if s.name in present]
    index = list(dict.fromkeys((m, s) for m, s, _ in values))
    rows = [
        [m, s] + [_fmt(values.get((m, s, c), math.nan)) for c in cols] for m, s in index
    ]
    header = ["model", "seed"] + [f"`{c}`" for c in cols]
    return ["", "## Per seed, all samples", "", md_table(header, rows)]


def _difference_table(result, level):
    if not result.differences:
        return []
    rows = [
        [
            r["model"],
            r["baseline"],
            r["subset"],
            f"`{r['metric']}`",
            f"{_fmt(r['difference'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
        ]
        for r in result.differences
    ]
    header = ["model", "baseline", "subset", "metric", "difference"]
    return [
        "",
        f"## Paired differences (model - baseline, pooled, {level} interval)",
        "",
        md_table(header, rows),
    ]


def _write_report(result, path, *, figures=True):
    os.makedirs(path, exist_ok=True)
    _write_csv(os.path.join(path, "results.csv"), result.scores, SCORE_COLUMNS)
    _write_csv(
        os.path.join(path, "differences.csv"), result.differences, DIFFERENCE_COLUMNS
    )
    st = result.settings
    level = f"{100 * st['confidence_level']:g}%"
    out = [
        "# Evaluation of given predictions",
        "",
        "Produced by `sksoft.evaluate_predictions`. Every metric is named by its "
        "reference: `*_vs_human` = human soft labels, `*_vs_human_mode` = the "
        "human majority label, `*_vs_gold` = the gold labels.",
        "",
        "## Provenance",
        "",
        _provenance_table(result),
        "",
        "## What the intervals cover",
        "",
        "Each interval resamples the **items** with replacement; every model, "
        "seed and metric is measured on the same resampled items, so the "
        "intervals of the differences below are paired. They cover item "
        "sampling only, not training-seed variation (the per-seed table shows "
        "that). `pooled` is the mean of a model's per-seed values. Metrics "
        "that are not sums over items (the MCE, the Spearman correlations) "
        "have no interval (`n/a`).",
    ]
    out += _score_tables(result)
    out += _seed_table(result)
    out += _difference_table(result, level)
    if result.budget is not None:
        _write_csv(os.path.join(path, "budget.csv"), result.budget, BUDGET_COLUMNS)
        if figures:
            budget_figure(result.budget, os.path.join(path, "budget.png"))
        out += [
            "",
            *budget_section(
                result.budget,
                st["n_draws"],
                st["confidence_level"],
                figure=figures,
            ),
        ]
    out += ["", "## Reliability diagrams (human soft labels, all vs hard)", ""]
    if figures:
        figs = _reliability_figures(result, path)
        out += [f"![{name}]({fname})" for name, fname in figs]
    else:
        out.append("Not drawn (no matplotlib: install `sksoft[plot]` for the figures).")
    with open(os.path.join(path, "report.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    return path
