"""Tests of ReliabilityDisplay (sklearn's Display pattern)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sksoft.metrics import (
    ReliabilityDisplay,
    expected_calibration_error,
    hard_sample_calibration_error,
)
from sksoft.targets import hard_sample_mask

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def soft_problem():
    rng = np.random.default_rng(0)
    soft = rng.dirichlet(np.ones(3) * 0.6, size=400)
    logits = np.log(soft + 0.05) * 2.5  # over-confident predictions
    p = np.exp(logits)
    return soft, p / p.sum(axis=1, keepdims=True)


def test_from_predictions_soft_reference_two_panels(soft_problem):
    soft, p = soft_problem
    disp = ReliabilityDisplay.from_predictions(soft, p, n_bins=10, hard_fraction=0.25)
    assert disp.reference == "human soft labels"
    assert len(disp.ax_) == 2 and len(disp.count_ax_) == 2
    assert disp.ece == pytest.approx(expected_calibration_error(soft, p, n_bins=10))
    assert disp.hard_ece == pytest.approx(
        hard_sample_calibration_error(soft, p, n_bins=10, hard_fraction=0.25)
    )
    assert disp.bin_count.sum() == 400
    assert disp.hard_bin_count.sum() == hard_sample_mask(soft, hard_fraction=0.25).sum()
    # the reference is named in the figure and the ECE in the legend
    assert "human soft labels" in disp.figure_._suptitle.get_text()
    assert "human soft labels" in disp.ax_[0].get_ylabel()
    legend = [t.get_text() for t in disp.ax_[1].get_legend().get_texts()]
    assert any(f"ECE = {disp.hard_ece:.3f}" in t for t in legend)
    assert "Hard samples" in disp.ax_[1].get_title()
    # one accuracy bar and one gap bar per non-empty bin
    filled = int((disp.bin_count > 0).sum())
    assert len(disp.ax_[0].patches) == 2 * filled
    heights = sorted(b.get_height() for b in disp.ax_[0].patches[:filled])
    np.testing.assert_allclose(heights, np.sort(disp.bin_accuracy[disp.bin_count > 0]))


def test_from_estimator_gold_labels_one_panel():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    disp = ReliabilityDisplay.from_estimator(clf, X, y, n_bins=8)
    assert disp.reference == "gold labels"
    assert len(disp.ax_) == 1
    assert disp.estimator_name == "LogisticRegression"
    assert disp.ece == pytest.approx(
        expected_calibration_error(y, clf.predict_proba(X), n_bins=8)
    )
    assert "gold labels" in disp.figure_._suptitle.get_text()


def test_gold_reference_with_routed_soft_target_and_given_axes(soft_problem):
    soft, p = soft_problem
    gold = soft.argmax(axis=1)
    fig, axes = plt.subplots(1, 2)
    disp = ReliabilityDisplay.from_predictions(
        gold, p, soft_target=soft, ax=axes, name="model", strategy="quantile"
    )
    assert disp.figure_ is fig and list(disp.ax_) == list(axes)
    assert disp.reference == "gold labels"
    assert disp.hard_ece == pytest.approx(
        hard_sample_calibration_error(gold, p, soft_target=soft, strategy="quantile")
    )
    with pytest.raises(ValueError, match="ax must hold 2 axes"):
        disp.plot(ax=axes[0])


def test_plot_from_constructor_and_bad_input():
    disp = ReliabilityDisplay(
        np.linspace(0, 1, 3),
        np.array([0.3, 0.8]),
        np.array([0.4, 0.6]),
        np.array([5, 5]),
        0.15,
    )
    out = disp.plot(show_counts=False)
    assert out is disp and disp.count_ax_ == []
    with pytest.raises(ValueError, match="same length"):
        ReliabilityDisplay.from_predictions([0, 1], [[0.5, 0.5]] * 3)


def _temperature(soft, t):
    p = np.exp(np.log(soft + 0.05) * t)
    return p / p.sum(axis=1, keepdims=True)


def _extent(artist, renderer):
    return artist.get_window_extent(renderer)


@pytest.mark.parametrize("axes", [None, "constrained", "tight"])
def test_panels_do_not_overlap(soft_problem, axes):
    soft, p = soft_problem
    ax = None
    if axes is not None:
        layout = "constrained" if axes == "constrained" else None
        ax = plt.subplots(1, 2, figsize=(10, 4.6), layout=layout)[1]
    disp = ReliabilityDisplay.from_predictions(soft, p, n_bins=10, ax=ax)
    fig = disp.figure_
    if axes == "tight":  # what the audit's figures do after plotting
        fig.tight_layout()
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    left_count_label = _extent(disp.count_ax_[0].yaxis.label, renderer)
    right_label = _extent(disp.ax_[1].yaxis.label, renderer)
    right_ticks = disp.ax_[1].yaxis.get_tightbbox(renderer)
    assert not left_count_label.overlaps(right_label)
    assert not left_count_label.overlaps(right_ticks)
    assert (
        not disp.count_ax_[0]
        .get_tightbbox(renderer)
        .overlaps(disp.ax_[1].get_tightbbox(renderer))
    )
    # the legend is inside the figure, and off the bars when there is room
    legend = _extent(disp.ax_[0].get_legend(), renderer)
    assert fig.bbox.contains(legend.x0, legend.y0)
    if axes != "tight":
        assert not legend.overlaps(disp.ax_[0].get_window_extent(renderer))


def test_several_models_on_one_axes(soft_problem):
    soft, _ = soft_problem
    fig, axes = plt.subplots(1, 2, layout="constrained")
    names = ["overconfident", "underconfident", "identity"]
    for name, t in zip(names, [2.5, 0.6, 1.0]):
        disp = ReliabilityDisplay.from_predictions(
            soft, _temperature(soft, t), n_bins=10, name=name, ax=axes
        )
    for axis in axes:
        labels = [t.get_text() for t in axis.get_legend().get_texts()]
        for name in names:  # one legend entry per model
            assert sum(label.startswith(f"{name} (ECE") for label in labels) == 1
        assert labels.count("perfect calibration") == 1
        handles = {h.get_label(): h for h in axis.get_legend_handles_labels()[0]}
        colours = []
        for label, handle in handles.items():
            if label.split(" (ECE")[0] in names:
                artist = handle.patches[0] if hasattr(handle, "patches") else handle
                colours.append(
                    matplotlib.colors.to_hex(
                        artist.get_facecolor()
                        if hasattr(handle, "patches")
                        else artist.get_color(),
                        keep_alpha=False,
                    )
                )
        assert len(set(colours)) == 3
    # one count axis per panel, shared by the models
    assert len(fig.axes) == 4 and len(disp.count_ax_) == 2
    top = disp.count_ax_[0].get_ylim()[1]
    assert top >= 3 * disp.bin_count.max()


def test_gap_bars_when_accuracy_exceeds_confidence(soft_problem):
    soft, _ = soft_problem
    p = _temperature(soft, 0.6)  # under-confident
    disp = ReliabilityDisplay.from_predictions(soft, p, n_bins=10, mask=None)
    filled = disp.bin_count > 0
    conf, acc = disp.bin_confidence[filled], disp.bin_accuracy[filled]
    assert (acc > conf).any()
    axis = disp.ax_[0]
    bars = axis.patches[: filled.sum()]
    gaps = axis.patches[filled.sum() :]
    # every gap segment spans [min, max] of confidence and accuracy
    spans = sorted((g.get_y(), g.get_y() + g.get_height()) for g in gaps)
    want = sorted(zip(np.minimum(conf, acc), np.maximum(conf, acc)))
    np.testing.assert_allclose(spans, want)
    bar_colour = matplotlib.colors.to_rgb(bars[0].get_facecolor())
    for g in gaps:
        assert matplotlib.colors.to_rgb(g.get_facecolor()) != bar_colour
        assert g.get_zorder() > bars[0].get_zorder()
    labels = [t.get_text() for t in axis.get_legend().get_texts()]
    assert "gap: accuracy > confidence" in labels


def test_binary_1d_labels_positive_class():
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    y = (x + rng.normal(size=300) > 0).astype(int)
    p1 = 1 / (1 + np.exp(-x))
    disp = ReliabilityDisplay.from_predictions(y, p1, n_bins=10)
    assert disp.variant == "positive-class"
    assert "positive class" in disp.ax_[0].get_xlabel()
    assert disp.ax_[0].get_ylabel() == "Fraction of positives vs gold labels"
    assert disp.ece == pytest.approx(expected_calibration_error(y, p1, n_bins=10))
    two = ReliabilityDisplay.from_predictions(
        y, np.column_stack([1 - p1, p1]), n_bins=10
    )
    assert two.variant == "top-label"
    assert two.ax_[0].get_xlabel().startswith("Confidence")
    assert two.ax_[0].get_ylabel() == "Accuracy vs gold labels"
    with pytest.raises(ValueError, match="kind must be"):
        two.plot(kind="curve")


def test_disagreement_subset_panel():
    rng = np.random.default_rng(3)
    votes = rng.integers(0, 3, size=200)  # dissenting votes out of 4
    soft = np.column_stack([4 - votes, votes]) / 4.0
    p = rng.dirichlet(np.ones(2) * 2, size=200)
    disp = ReliabilityDisplay.from_predictions(soft, p, n_bins=10, hard="disagreement")
    assert disp.hard_bin_count.sum() == (votes > 0).sum()
    assert disp.hard_ece == pytest.approx(
        expected_calibration_error(soft[votes > 0], p[votes > 0], n_bins=10)
    )
    assert "any human disagreement" in disp.ax_[1].get_title()
