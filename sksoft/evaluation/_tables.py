"""Report-table and figure helpers shared by both reports (private).

The number formats of ``sksoft evaluate`` and of the audit's report (the
recomputation tests rely on them): every value with :func:`fmt` (3 decimals,
``n/a`` for nan), spreads with :func:`fmt_sig`, rates with :func:`pct`; tables
with :func:`md_table`; figures on :func:`figure_grid` (matplotlib without
pyplot, loaded on first use).
"""

import math


def fmt(x):
    """A number as the report writes it: 3 decimals, ``n/a`` for nan/None."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    value = float(x)
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def fmt_sig(x):
    """A small positive quantity (a spread) with 3 significant digits.

    ``fmt`` would write a spread of 0.0004 as 0.000, as if the seeds agreed.
    """
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    value = float(x)
    return f"{value:.3f}" if abs(value) >= 0.1 or value == 0 else f"{value:.3g}"


def pct(x):
    """A rate as a percentage with one decimal."""
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{100 * float(x):.1f}%"


def interval(lo, hi):
    """An interval ``[lo, hi]`` in :func:`fmt`."""
    return f"[{fmt(lo)}, {fmt(hi)}]"


def md_table(header, rows):
    """A Markdown table: a header row, then one row per item of ``rows``."""
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def figure_grid(n_panels, ncols, panel_size, *, layout=None, **kwargs):
    """A figure with ``n_panels`` axes in rows of ``ncols``, without pyplot.

    ``panel_size`` is the ``(width, height)`` of one panel in inches; axes past
    ``n_panels`` are hidden. ``layout="constrained"`` for figures with a
    colour bar shared by several axes (``_save`` then leaves the layout to
    matplotlib). No pyplot means no global backend state: the figures are
    saved to files only, so the report works headless and does not touch the
    backend of an interactive session.
    """
    from matplotlib.figure import Figure

    ncols = min(ncols, n_panels)
    nrows = math.ceil(n_panels / ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout=layout)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    for ax in list(axes.flat)[n_panels:]:
        ax.set_visible(False)
    return fig, axes
