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
