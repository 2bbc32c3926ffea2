"""Reliability diagram for all samples and the hard samples, side by side."""

import weakref

import numpy as np

from ._calibration import _calibration_bins, _hardness_mask, _reduce_bins
from ._validation import _as_array

# What each matplotlib Axes already holds (models drawn, its count axis), so that
# repeated ``plot(ax=ax)`` calls pick new colours and draw shared parts once.
_AXES_STATE = weakref.WeakKeyDictionary()
# Model colours: the default cycle without orange and red, which mark the gaps.
_MODEL_COLORS = ["C0", "C2", "C4", "C5", "C6", "C8", "C9", "C7", "C1", "C3"]


def _is_soft(y):
    y = _as_array(y)
    return y.ndim == 2 and y.shape[1] > 1


class ReliabilityDisplay:
    """Reliability diagram: per-bin accuracy against confidence.

    Follows sklearn's ``Display`` pattern: build it with
    :meth:`from_estimator` or :meth:`from_predictions` (which compute the bins
    and call :meth:`plot`), or from precomputed bins. Each panel shows the
    accuracy of every confidence bin as bars, the gap to the bin's mean
    confidence (hatched), the number of samples per bin (right axis) and the
    ECE in the legend. When hardness is known (soft ``y_true``,
    ``soft_target`` or ``mask``) a second panel shows the hard samples only.
    Every figure names its reference (gold labels or human soft labels).
    Drawing more models on the same axes (``plot(ax=...)`` or
    ``from_predictions(..., ax=...)``) adds each as a line in its own colour
    with one legend entry.

    Parameters
    ----------
    bin_edges : ndarray of shape (n_bins + 1,)
        Bin edges on [0, 1].
    bin_confidence, bin_accuracy : ndarray of shape (n_bins,)
        Mean confidence and accuracy of each bin (NaN for empty bins).
    bin_count : ndarray of shape (n_bins,)
        Samples per bin.
    ece : float
        Expected calibration error of all samples.
    hard_bin_confidence, hard_bin_accuracy, hard_bin_count : ndarray, default=None
        The same for the hard samples.
    hard_ece : float, default=None
        ECE of the hard samples.
    hard_bin_edges : ndarray of shape (n_bins + 1,), default=None
        Bin edges of the hard panel (they differ with ``strategy="quantile"``);
        ``bin_edges`` when None.
    reference : str, default="gold labels"
        What accuracy is measured against ("gold labels" or
        "human soft labels"); shown in the figure.
    estimator_name : str, default=None
        Name shown in the legend.
    hard_fraction : float or "disagreement", default=None
        Target share of hard samples, shown in the panel title, or
        ``"disagreement"`` when the hard samples are those with any human
        disagreement.
    variant : {"top-label", "positive-class"}, default="top-label"
        What was binned: the top-label confidence against accuracy, or (for a
        binary 1-D ``y_prob``) the positive-class probability against the
        fraction of positives; sets the axis labels.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes
        The reliability panels (one or two).
    count_ax_ : list of matplotlib Axes
        The twin axes holding the bin counts.
    figure_ : matplotlib Figure

    See Also
    --------
    expected_calibration_error : The number in the legend.
    hard_sample_calibration_error : The number in the hard-sample legend.
    sklearn.calibration.CalibrationDisplay : sklearn's binary calibration curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sksoft.metrics import ReliabilityDisplay
    >>> rng = np.random.default_rng(0)
    >>> soft = rng.dirichlet(np.ones(3), size=200)
    >>> y_prob = rng.dirichlet(np.ones(3), size=200)
    >>> disp = ReliabilityDisplay.from_predictions(soft, y_prob, n_bins=10)
    >>> disp.reference, len(disp.ax_)
    ('human soft labels', 2)

    Two models on the same axes:

    >>> import matplotlib.pyplot as plt
    >>> fig, axes = plt.subplots(1, 2, layout="constrained")
    >>> for name, p in [("random", y_prob), ("oracle", soft)]:
    ...     disp = ReliabilityDisplay.from_predictions(
    ...         soft, p, n_bins=10, name=name, ax=axes)
    >>> [t.get_text() for t in axes[0].get_legend().get_texts()
    ...  if "ECE" in t.get_text()]
    ['oracle (ECE = 0.000)', 'random (ECE = 0.2...)']
    """

    def __init__(
        self,
        bin_edges,
        bin_confidence,
        bin_accuracy,
        bin_count,
        ece,
        *,
        hard_bin_confidence=None,
        hard_bin_accuracy=None,
        hard_bin_count=None,
        hard_ece=None,
        hard_bin_edges=None,
        reference="gold labels",
        estimator_name=None,
        hard_fraction=None,
        variant="top-label",
    ):
        self.bin_edges = bin_edges
        self.bin_confidence = bin_confidence
        self.bin_accuracy = bin_accuracy
        self.bin_count = bin_count
        self.ece = ece
        self.hard_bin_confidence = hard_bin_confidence
        self.hard_bin_accuracy = hard_bin_accuracy
        self.hard_bin_count = hard_bin_count
        self.hard_ece = hard_ece
        self.hard_bin_edges = hard_bin_edges
        self.reference = reference
        self.estimator_name = estimator_name
        self.hard_fraction = hard_fraction
        self.variant = variant

    def _panels(self):
        panels = [
            (
                "All samples",
                self.bin_edges,
                self.bin_confidence,
                self.bin_accuracy,
                self.bin_count,
                self.ece,
            )
        ]
        if self.hard_bin_accuracy is not None:
            if self.hard_fraction is None:
                share = ""
            elif isinstance(self.hard_fraction, str):
                share = ", any human disagreement"
            else:
                share = f", top {self.hard_fraction:.0%} human entropy"
            panels.append(
                (
                    f"Hard samples{share}",
                    self.bin_edges
                    if self.hard_bin_edges is None
                    else self.hard_bin_edges,
                    self.hard_bin_confidence,
                    self.hard_bin_accuracy,
                    self.hard_bin_count,
                    self.hard_ece,
                )
            )
        return panels

    def plot(self, *, ax=None, name=None, show_counts=True, kind="auto"):
        """Plot the reliability diagram(s).

        Call it again with the same ``ax`` (or pass ``ax`` to
        :meth:`from_predictions`) to compare several models on one figure, as
        with sklearn's displays: each model gets its own colour and one legend
        entry, and the diagonal and the count axis are drawn once.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One axes per panel (one, or two with hard samples). ``None``
            creates a new figure with the panels side by side, in
            matplotlib's constrained layout so that no label of one panel
            runs into the next. On given axes the figure's layout is left
            alone: give the figure ``layout="constrained"`` (the legends then
            go below the panels) or call ``fig.tight_layout()`` after plotting.
        name : str, default=None
            Legend name of the model; defaults to ``estimator_name``.
        show_counts : bool, default=True
            Draw the number of samples per bin on a twin right axis.
        kind : {"auto", "bar", "line"}, default="auto"
            ``"bar"``: accuracy bars with the gap to the mean confidence
            hatched (red above the bar when confidence exceeds accuracy,
            orange as the top of the bar when accuracy exceeds confidence). ``"line"``:
            accuracy against mean confidence as a line with markers, which
            stays readable with several models on one axes. ``"auto"`` draws
            bars on an empty axes and a line on an axes that already holds a
            reliability diagram.

        Returns
        -------
        display : ReliabilityDisplay
            The object, with ``ax_``, ``count_ax_`` and ``figure_`` set.
        """
        import matplotlib.pyplot as plt

        if kind not in ("auto", "bar", "line"):
            raise ValueError(f"kind must be 'auto', 'bar' or 'line'; got {kind!r}.")
        if self.variant not in ("top-label", "positive-class"):
            raise ValueError(
                "variant must be 'top-label' or 'positive-class'; got "
                f"{self.variant!r}."
            )
        panels = self._panels()
        if ax is None:
            fig, axes = plt.subplots(
                1,
                len(panels),
                figsize=(5.6 * len(panels), 5.2),
                squeeze=False,
                layout="constrained",
            )
            axes = axes[0]
        else:
            axes = np.atleast_1d(np.asarray(ax, dtype=object)).ravel()
            if len(axes) != len(panels):
                raise ValueError(
                    f"ax must hold {len(panels)} axes (one per panel: "
                    f"{[p[0] for p in panels]}); got {len(axes)}."
                )
            fig = axes[0].figure
        # a layout engine (ours, or constrained/tight on the given figure) makes
        # room for a legend below each panel
        legend_below = fig.get_layout_engine() is not None
        name = self.estimator_name if name is None else name
        if self.variant == "positive-class":
            xlabel = "Predicted probability of the positive class"
            ylabel = f"Fraction of positives vs {self.reference}"
            words = ("mean predicted probability", "predicted", "observed")
        else:
            xlabel = "Confidence (mean top-label probability in bin)"
            ylabel = f"Accuracy vs {self.reference}"
            words = ("mean confidence", "confidence", "accuracy")
        count_axes = []
        for axis, (title, edges, conf, acc, count, ece) in zip(axes, panels):
            state = _AXES_STATE.setdefault(axis, {"n_models": 0, "count_ax": None})
            color = _MODEL_COLORS[state["n_models"] % len(_MODEL_COLORS)]
            panel_kind = kind
            if kind == "auto":
                panel_kind = "bar" if state["n_models"] == 0 else "line"
            edges, count = np.asarray(edges), np.asarray(count)
            conf, acc = np.asarray(conf), np.asarray(acc)
            filled = count > 0
            label = f"{name} (ECE = {ece:.3f})" if name else f"ECE = {ece:.3f}"
            _, existing = axis.get_legend_handles_labels()
            if "perfect calibration" not in existing:
                axis.plot(
                    [0, 1], [0, 1], "k--", lw=1, label="perfect calibration", zorder=1
                )
            if panel_kind == "bar":
                self._draw_bars(
                    axis, edges, conf, acc, filled, color, label, existing, words
                )
            else:
                axis.plot(
                    conf[filled],
                    acc[filled],
                    "s-",
                    color=color,
                    ms=4,
                    lw=1.5,
                    label=label,
                    zorder=5,
                )
            axis.set(xlim=(0, 1), ylim=(0, 1), xlabel=xlabel, ylabel=ylabel)
            if state["n_models"] == 0:
                axis.set_title(f"{title} (n = {int(np.sum(count))})")
            if show_counts:
                cax = state["count_ax"]
                if cax is None:
                    cax = axis.twinx()
                    cax.set_ylabel("Samples per bin", color="tab:gray")
                    cax.tick_params(axis="y", colors="tab:gray")
                    cax.set_ylim(0, 1)
                    state["count_ax"] = cax
                cax.step(
                    edges,
                    np.r_[count, count[-1]],
                    where="post",
                    color="tab:gray" if state["n_models"] == 0 else color,
                    lw=1.2,
                    alpha=0.8,
                )
                top = max(1, np.max(count)) * 3
                cax.set_ylim(0, max(cax.get_ylim()[1], top))
                count_axes.append(cax)
            state["n_models"] += 1
            if legend_below:  # never hides bars or the count line
                axis.legend(
                    loc="upper center",
                    bbox_to_anchor=(0.5, -0.14),
                    fontsize=8,
                    ncol=2,
                    frameon=False,
                )
            else:  # a figure without layout engine has no room below
                axis.legend(loc="upper left", fontsize=8)
        fig.suptitle(f"Reliability diagram, reference: {self.reference}")
        self.ax_ = axes
        self.count_ax_ = count_axes
        self.figure_ = fig
        return self

    @staticmethod
    def _draw_bars(axis, edges, conf, acc, filled, color, label, existing, words):
        centers = 0.5 * (edges[:-1] + edges[1:])
        widths = np.diff(edges)
        axis.bar(
            centers[filled],
            acc[filled],
            width=widths[filled],
            align="center",
            color=color,
            edgecolor="black",
            linewidth=0.6,
            alpha=0.85,
            label=label,
            zorder=2,
        )
        gap = conf[filled] - acc[filled]
        low = np.minimum(conf[filled], acc[filled])
        # over-confident bins: the gap sits on top of the bar; under-confident
        # bins: it is the top of the bar itself, drawn opaque so it reads as a
        # separate segment rather than a tint of the bar's colour
        for side, colour, fill, text in (
            (gap >= 0, "tab:red", (1.0, 0.8, 0.8), f"gap: {words[1]} > {words[2]}"),
            (gap < 0, "tab:orange", (1.0, 0.9, 0.7), f"gap: {words[2]} > {words[1]}"),
        ):
            if not side.any():
                continue
            axis.bar(
                centers[filled][side],
                np.abs(gap[side]),
                bottom=low[side],
                width=widths[filled][side],
                facecolor=fill,
                hatch="//",
                edgecolor=colour,
                linewidth=0.8,
                label=None if text in existing else text,
                zorder=3,
            )
        axis.plot(
            conf[filled],
            conf[filled],
            "o",
            color="black",
            ms=3,
            zorder=4,
            label=None if words[0] in existing else words[0],
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_prob,
        *,
        soft_target=None,
        mask=None,
        hard_fraction=0.2,
        hard="top_fraction",
        n_bins=15,
        strategy="uniform",
        labels=None,
        sample_weight=None,
        reference=None,
        name=None,
        ax=None,
        show_counts=True,
        kind="auto",
    ):
        """Plot reliability diagrams from predicted probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
            Gold labels or human soft labels (the calibration reference).
        y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
            Predicted probabilities. A 1-D array is the positive-class column
            of a binary problem; it is drawn as positive-class calibration
            (predicted probability against the fraction of positives), as the
            metrics measure it.
        soft_target : array-like of shape (n_samples, n_classes), default=None
            Human soft labels defining the hard samples when ``y_true`` is hard.
        mask : array-like of bool of shape (n_samples,), default=None
            Explicit hard-sample mask.
        hard_fraction : float in (0, 1), default=0.2
            Share of hard samples (highest human entropy).
        hard : {"top_fraction", "disagreement"}, default="top_fraction"
            Hard samples: the ``hard_fraction`` share, or every sample with
            any human disagreement (see :func:`sksoft.targets.hard_sample_mask`).
        n_bins : int, default=15
            Number of bins.
        strategy : {"uniform", "quantile"}, default="uniform"
            Equal-width or equal-mass bins.
        labels : array-like of shape (n_classes,), default=None
            Class labels in the column order of ``y_prob``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        reference : str, default=None
            Reference name shown; ``"human soft labels"`` for a soft ``y_true``,
            else ``"gold labels"``.
        name : str, default=None
            Model name for the legend.
        ax : matplotlib Axes or array of Axes, default=None
            Where to draw (one per panel).
        show_counts : bool, default=True
            Draw the bin counts.
        kind : {"auto", "bar", "line"}, default="auto"
            Bars or a line; see :meth:`plot`.

        Returns
        -------
        display : ReliabilityDisplay
        """
        if reference is None:
            reference = "human soft labels" if _is_soft(y_true) else "gold labels"
        bins = _calibration_bins(
            y_true,
            y_prob,
            n_bins=n_bins,
            strategy=strategy,
            labels=labels,
            sample_weight=sample_weight,
        )
        ece = _reduce_bins(bins, "l1", "size")
        kwargs = {}
        if mask is not None or soft_target is not None or _is_soft(y_true):
            n = bins.count.sum().astype(int)
            sel = _hardness_mask(y_true, soft_target, mask, hard_fraction, n, hard)
            yt = _as_array(y_true)[sel]
            w = None if sample_weight is None else _as_array(sample_weight)[sel]
            hbins = _calibration_bins(
                yt,
                _as_array(y_prob)[sel],
                n_bins=n_bins,
                strategy=strategy,
                labels=labels,
                sample_weight=w,
            )
            kwargs = dict(
                hard_bin_confidence=hbins.mean_confidence,
                hard_bin_accuracy=hbins.mean_accuracy,
                hard_bin_count=hbins.count,
                hard_ece=_reduce_bins(hbins, "l1", "size"),
                hard_fraction=(
                    None
                    if mask is not None
                    else (hard_fraction if hard == "top_fraction" else hard)
                ),
            )
            kwargs["hard_bin_edges"] = hbins.edges
        disp = cls(
            bins.edges,
            bins.mean_confidence,
            bins.mean_accuracy,
            bins.count,
            ece,
            reference=reference,
            estimator_name=name,
            variant="positive-class" if _as_array(y_prob).ndim == 1 else "top-label",
            **kwargs,
        )
        return disp.plot(ax=ax, name=name, show_counts=show_counts, kind=kind)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        soft_target=None,
        mask=None,
        hard_fraction=0.2,
        hard="top_fraction",
        n_bins=15,
        strategy="uniform",
        sample_weight=None,
        reference=None,
        name=None,
        ax=None,
        show_counts=True,
        kind="auto",
    ):
        """Plot reliability diagrams of a fitted classifier.

        The top-label confidence of ``estimator.predict_proba(X)`` is binned;
        the estimator's ``classes_`` give the column order.

        Parameters
        ----------
        estimator : fitted classifier with ``predict_proba``
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Gold labels or human soft labels.
        soft_target, mask, hard_fraction, hard, n_bins, strategy, \
sample_weight, reference, ax, show_counts, kind
            As in :meth:`from_predictions`.
        name : str, default=None
            Legend name; the estimator's class name by default.

        Returns
        -------
        display : ReliabilityDisplay
        """
        y_prob = estimator.predict_proba(X)
        labels = getattr(estimator, "classes_", None)
        if name is None:
            name = type(estimator).__name__
        return cls.from_predictions(
            y,
            y_prob,
            soft_target=soft_target,
            mask=mask,
            hard_fraction=hard_fraction,
            hard=hard,
            n_bins=n_bins,
            strategy=strategy,
            labels=None if _is_soft(y) else labels,
            sample_weight=sample_weight,
            reference=reference,
            name=name,
            ax=ax,
            show_counts=show_counts,
            kind=kind,
        )
