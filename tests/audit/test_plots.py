"""Tests of the audit's figures (sksoft/audit/_plots.py).

The figures are read back through their matplotlib artists and compared with
the numbers recomputed from the runs (numpy, ``sksoft.targets``): a figure that
hides the seed spread, draws the maps on different scales or names the wrong
reference fails here.
"""

import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from sksoft.audit import run_audit  # noqa: E402
from sksoft.audit._plots import (  # noqa: E402
    data_map_figure,
    draw_figures,
    metric_spread_figure,
    reliability_figure,
    training_curves_figure,
)
from sksoft.datasets import make_ambiguous_digits  # noqa: E402
from sksoft.targets import target_entropy  # noqa: E402

ARMS = ["gold", "human_mode", "human_soft", "human_soft_gold_mode", "smoothed"]


@pytest.fixture(scope="module")
def digits():
    bunch = make_ambiguous_digits(random_state=0)
    idx = np.random.default_rng(0).choice(len(bunch.target), 150, replace=False)
    return bunch.data[idx], bunch.target[idx], bunch.counts[idx]


@pytest.fixture(scope="module")
def result(digits):
    """Five arms (one panel short of two full rows of three), three seeds."""
    X, gold, counts = digits
    return run_audit(
        X,
        gold,
        counts,
        arms=ARMS,
        seeds=3,
        max_epochs=4,
        n_jobs=1,
        provenance={"dataset": "digits", "labels": "simulated (test panel)"},
    )


@pytest.fixture(scope="module")
def one_seed(digits):
    X, _, counts = digits
    return run_audit(
        X, None, counts, arms=["human_mode", "human_soft"], seeds=[4], cv=2,
        max_epochs=3, n_jobs=1,
    )  # fmt: skip


def _curves(result, arm):
    runs = [r for r in result.runs if r["arm"] == arm]
    return np.array([r["history"][0]["train_loss"] for r in runs])


def test_training_curves_show_the_seed_spread(result, tmp_path):
    fig = training_curves_figure(result, tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 0
    level, spread = fig.axes[:2]
    # left: one mean line per arm, and a min-max band around it
    means = {line.get_label(): line.get_ydata() for line in level.get_lines()}
    assert list(means) == ARMS
    bands = level.collections
    assert len(bands) == len(ARMS)
    for arm, band in zip(ARMS, bands):
        curves = _curves(result, arm)
        np.testing.assert_allclose(means[arm], curves.mean(axis=0))
        ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
        assert ys.min() == pytest.approx(curves.min())
        assert ys.max() == pytest.approx(curves.max())
    # right: the spread on its own axis, equal to the report's curve spread
    spreads = result.curve_spreads()
    lines = spread.get_lines()
    assert len(lines) == len(ARMS)
    for arm, line in zip(ARMS, lines):
        sd = np.std(_curves(result, arm), axis=0, ddof=1)
        np.testing.assert_allclose(line.get_ydata(), sd)
        assert sd.mean() == pytest.approx(spreads[arm])
        assert line.get_label() == f"{arm} (mean {spreads[arm]:.3f})"
    # the spread axis is scaled to the spread, not to the loss (else invisible)
    top = max(np.std(_curves(result, a), axis=0, ddof=1).max() for a in ARMS)
    assert spread.get_ylim()[0] == 0 and spread.get_ylim()[1] < 3 * top
    assert "3 seeds" in fig._suptitle.get_text()


def test_training_curves_with_one_seed_say_so(one_seed, tmp_path):
    fig = training_curves_figure(one_seed, tmp_path / "t.png")
    level, spread = fig.axes[:2]
    assert len(spread.get_lines()) == 0
    assert "one seed" in spread.texts[0].get_text()
    assert "one seed" in level.get_title()
    assert "first fold" in fig._suptitle.get_text()  # cv=2: fold 1 of 2 drawn


def test_data_maps_share_axes_and_one_colour_scale(result, tmp_path):
    fig = data_map_figure(result, tmp_path / "d.png")
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title() for ax in panels] == [f"{a} (seed 0)" for a in ARMS]
    first = panels[0]
    for ax in panels[1:]:
        assert first.get_shared_x_axes().joined(first, ax)
        assert first.get_shared_y_axes().joined(first, ax)
    # the shared x range holds every arm's points
    var_max = max(
        float(np.max(r["dynamics"][0]["variability"]))
        for r in result.runs
        if r["seed"] == 0
    )
    assert first.get_xlim()[0] == 0 and first.get_xlim()[1] >= var_max
    # one colour bar, one colour scale: the entropy of the training rows
    colorbars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(colorbars) == 1
    entropy = target_entropy(result.human[result.folds[0][0]])
    for ax in panels:
        (scatter,) = ax.collections
        assert scatter.norm.vmin == 0 and scatter.norm.vmax == pytest.approx(
            entropy.max()
        )
        np.testing.assert_allclose(scatter.get_array(), entropy)
    assert "simulated" in colorbars[0].get_ylabel()
    # inner panels carry no repeated labels; the panel above the empty slot
    # (5 arms in rows of 3) keeps its x scale
    # (the first major tick's label: works on every supported matplotlib)
    shown = {
        ax.get_title(): bool(ax.xaxis.get_major_ticks()[0].label1.get_visible())
        for ax in panels
    }
    assert shown == {
        "gold (seed 0)": False,
        "human_mode (seed 0)": False,
        "human_soft (seed 0)": True,
        "human_soft_gold_mode (seed 0)": True,
        "smoothed (seed 0)": True,
    }
    assert [ax.get_ylabel() for ax in panels] == [
        "confidence",
        "",
        "",
        "confidence",
        "",
    ]


def test_data_maps_without_gold_name_the_human_mode(one_seed, tmp_path):
    fig = data_map_figure(one_seed, tmp_path / "d.png")
    assert "human mode" in fig._suptitle.get_text()


def test_metric_spread_marks_the_reference_mean(result, tmp_path):
    names = ["ece_hard_vs_human", "accuracy_vs_gold"]
    fig = metric_spread_figure(result, tmp_path / "m.png", names)
    for ax, name in zip(fig.axes, names):
        (ref_line,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
        assert ref_line.get_ydata()[0] == pytest.approx(
            result.scores[name][0].mean()  # gold is the first arm
        )
        assert name in ax.get_title()
        ticks = ax.get_xticklabels()
        assert ticks[0].get_text() == "gold" and ticks[0].get_fontweight() == "bold"
    assert "vs simulated human soft labels" in fig.axes[0].get_title()
    assert "vs gold" in fig.axes[1].get_title()


def test_metric_spread_titles_give_the_direction_or_descriptive(result, tmp_path):
    # a descriptive metric (no better or worse in the report) gets no direction
    names = [
        "ece_hard_vs_human",
        "accuracy_vs_gold",
        "carto_spearman_variability_vs_human",
    ]
    fig = metric_spread_figure(result, tmp_path / "m.png", names)
    titles = {ax.get_title().split("\n")[0]: ax.get_title() for ax in fig.axes}
    assert set(names) <= set(titles)
    assert titles["ece_hard_vs_human"].endswith("; lower is better)")
    assert titles["accuracy_vs_gold"].endswith("; higher is better)")
    var = titles["carto_spearman_variability_vs_human"]
    assert var.endswith("; descriptive)") and "better" not in var


def test_reliability_titles_name_the_reference(result, one_seed, tmp_path):
    fig = reliability_figure(result, "human_soft", tmp_path / "r.png")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == [
        "human_soft: all test samples, vs gold labels",
        "human_soft: hard test samples, vs gold labels",
        "human_soft: all test samples, vs simulated human soft labels",
        "human_soft: hard test samples, vs simulated human soft labels",
    ]
    assert "3 seeds' test predictions pooled" in fig._suptitle.get_text()
    fig = reliability_figure(one_seed, "human_soft", tmp_path / "r1.png")
    assert "(one seed;" in fig._suptitle.get_text()
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert all("vs human soft labels" in t for t in titles)  # not simulated


def test_draw_figures_captions(result, one_seed, tmp_path):
    files = draw_figures(result, tmp_path)
    names = [f[0] for f in files]
    assert names == [f"reliability_{a}.png" for a in ARMS] + [
        "data_maps.png",
        "metric_spread.png",
        "training_curves.png",
    ]
    assert all((tmp_path / n).stat().st_size > 0 for n in names)
    captions = dict((f[0], f[2]) for f in files)
    assert "against the gold labels (top)" in captions["reliability_gold.png"]
    assert "mean of the reference arm `gold`" in captions["metric_spread.png"]
    out = tmp_path / "one"
    out.mkdir()
    captions = {f[0]: f[2] for f in draw_figures(one_seed, out)}
    cap = captions["reliability_human_soft.png"]
    assert "gold" not in cap and "One seed" in cap
    assert "human mode over the training epochs" in captions["data_maps.png"]
    assert math.isnan(one_seed.curve_spreads()["human_soft"])


def test_reliability_axis_labels_do_not_overlap(result, tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = reliability_figure(result, "gold", tmp_path / "r.png")
    renderer = FigureCanvasAgg(fig).get_renderer()
    labels = [
        ax.yaxis.label.get_window_extent(renderer)
        for ax in fig.axes
        if ax.get_visible() and ax.yaxis.label.get_text()
    ]
    assert len(labels) >= 8  # accuracy and count axis of four panels
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not a.overlaps(b)


def test_figures_do_not_depend_on_n_jobs(result, tmp_path):
    # drawn in two joblib worker processes, the files are byte for byte those
    # drawn in this process (and the captions the same)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    files_one = draw_figures(result, one)
    files_two = draw_figures(result, two, n_jobs=2)
    assert files_one == files_two
    for name, _, _ in files_one:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


@pytest.mark.parametrize("n_jobs", [0, 1.5, "2", True])
def test_write_report_rejects_bad_n_jobs(result, tmp_path, n_jobs):
    with pytest.raises(ValueError, match="n_jobs must be None or a non-zero int"):
        result.write_report(tmp_path, n_jobs=n_jobs)


def test_deal_longest_first_by_hand():
    from sksoft.audit._plots import _deal

    # by hand, longest first: 5 (item 1) -> task 0; 3 (item 2) -> task 1;
    # 2 (item 0) -> task 1 (load 3 < 5); 2 (item 3): loads 5 and 5 tie, the
    # first task takes it
    assert _deal([2.0, 5.0, 3.0, 2.0], 2) == [[1, 3], [2, 0]]
    assert _deal([1.0, 1.0, 1.0], 1) == [[0, 1, 2]]
    assert _deal([1.0], 4) == [[0]]  # empty tasks dropped
    every = sorted(k for idx in _deal([3.0, 1.0, 2.0, 2.0, 1.0], 3) for k in idx)
    assert every == [0, 1, 2, 3, 4]


def test_spread_points_by_hand():
    from sksoft.audit._plots import _spread_points

    mat = np.array([[1.0, 3.0, np.nan], [np.nan, np.nan, np.nan], [2.0, np.inf, 4.0]])
    (dx, dy), (bx, bm, bs) = _spread_points(mat, np.arange(3))
    np.testing.assert_allclose(dx, [-0.12, 0.12, 1.88, 2.12])
    np.testing.assert_allclose(dy, [1.0, 3.0, 2.0, 4.0])
    np.testing.assert_allclose(bx, [0.25, 2.25])
    np.testing.assert_allclose(bm, [2.0, 3.0])
    np.testing.assert_allclose(bs, [np.sqrt(2.0), np.sqrt(2.0)])  # ddof=1
    (dx, dy), (bx, _, bs) = _spread_points(np.array([[5.0]]), np.arange(1))
    assert dx.tolist() == [0.0] and bs.tolist() == [0.0]
    (dx, _), (bx, _, _) = _spread_points(np.full((2, 2), np.nan), np.arange(2))
    assert dx.size == 0 and bx.size == 0
