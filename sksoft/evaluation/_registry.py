"""The metric registry: one :class:`MetricSpec` per metric (private).

Both commands score with this table: :func:`sksoft.evaluate_predictions`
(``sksoft evaluate``) computes every ``stage="test"`` spec, and the audit
(:func:`sksoft.audit.run_audit`, through ``sksoft.audit._score``) every spec
whose ``commands`` name it. Everything that names a metric in either report
derives from :data:`METRIC_SPECS`.

**Adding a metric** is one :class:`MetricSpec` in :func:`_specs` (plus its
function in ``_metrics.py`` and its tests); it then shows up in both commands.
"""

from collections.abc import Callable
from dataclasses import dataclass

from . import _metrics as F

#: the commands that score a spec by default
BOTH = ("audit", "evaluate")

#: the item subsets, as the metric table describes them: ``hard`` = the top
#: ``hard_fraction`` by human-label entropy (ties included), ``easy`` = the
#: rest, ``disagree`` = every item with any human disagreement (entropy > 0,
#: :func:`sksoft.targets.hard_sample_mask` with ``hard="disagreement"``: the
#: hard subset of the human-label-variation literature)
SUBSET_TEXT = {
    "all": "all",
    "hard": "hard (top fraction by human entropy)",
    "easy": "easy (not hard)",
    "disagree": "any-disagreement (human entropy > 0)",
}


@dataclass(frozen=True)
class MetricSpec:
    """One metric.

    Parameters
    ----------
    name : str
        Metric name; it ends in its reference (``_vs_gold``, ``_vs_human``,
        ``_vs_human_mode``).
    better : {"higher", "lower"}
        Direction of a better value.
    reference : {"gold", "human", "human_mode", "human_raw"}
        What the predictions are compared with (``"human_raw"``: the human
        distribution over the raw rating scale, ``stage="raw"``).
    text : str
        One-line description (docs table).
    kind : str
        The family of the metric (``"ece"``, ``"kl"``, ...; for the training
        metrics the cartography statistic).
    subset : {"all", "hard", "easy", "disagree"} or None
        The items it is computed on (:data:`SUBSET_TEXT`). None: the audit
        computes it on all test items, ``sksoft evaluate`` on each of all,
        hard, easy and disagree items (its ``subset`` column); a fixed subset
        is part of the name and
        ``sksoft evaluate`` reports it in that subset's rows only.
    stage : {"test", "training", "targets", "heldout"}
        ``"test"``: from predicted probabilities (both commands);
        ``"training"``: from the audit's cartography statistics of the
        training rows (the audit only); ``"targets"``: from the audit's
        targets of an arm on the training rows (the same for every seed;
        ``sksoft/audit/_targets.py``); ``"heldout"``: from the audit's test
        probabilities read against gold and the human labels at once
        (:func:`_metrics.spearman_gold_confidence`; the audit only);
        ``"raw"``: from the test probabilities spread over the raw rating
        scale of classes collapsed from ratings (``sksoft/audit/_raw_scale.py``),
        against the human raw ratings; the audit only, and only when the data
        carry raw ratings (``run_audit(rating_counts=...)``), absent otherwise.
    key : int, default=0
        Position in the audit report's comparison and effects tables (0: only
        in the appendix table).
    spread : int, default=0
        Position in the audit's stability section (0: not there). Of several
        specs with the same position the first one the audit has is used.
    descriptive : bool, default=False
        Reported without a better/worse mark: its differences get no verdict
        and are not tested (``better`` is then only the direction in which
        the quantity is read, e.g. "more aligned").
    score : callable or None
        ``score(reference, y_prob, n_bins, ties) -> float`` on the subset's
        items (``_metrics.py``); None for the training metrics.
    items : callable or None
        The metric as a weighted sum over items (``ItemTerms``) for the paired
        bootstrap over items; None: no bootstrap interval.
    commands : tuple of str, default=("audit", "evaluate")
        The commands that score it (a ``stage="test"`` spec of the audit is
        always in ``evaluate`` too).
    """

    name: str
    better: str
    reference: str
    text: str
    kind: str
    subset: str | None = None
    stage: str = "test"
    key: int = 0
    spread: int = 0
    descriptive: bool = False
    score: Callable | None = None
    items: Callable | None = None
    commands: tuple = BOTH


#: kind -> (scorer, item function) of the test metrics
_FUNCTIONS = {
    "accuracy": (F.accuracy, F.accuracy_items),
    "top1_agreement": (F.top1_agreement, F.top1_agreement_items),
    "ece": (F.ece, F.ece_items),
    "mce": (F.mce, None),
    "cross_entropy": (F.cross_entropy, F.cross_entropy_items),
    "kl": (F.kl, F.kl_items),
    "jsd": (F.jsd, F.jsd_items),
    "entropy_calibration_error": (
        F.entropy_calibration_error,
        F.entropy_calibration_error_items,
    ),
    "ranking_calibration": (F.ranking_calibration, F.ranking_calibration_items),
    "distribution_calibration_error": (
        F.distribution_calibration_error,
        F.distribution_calibration_error_items,
    ),
    "spearman_entropy": (F.spearman_entropy, None),
    "spearman_confidence": (F.spearman_confidence, None),
    "ordinal_wasserstein": (F.ordinal_wasserstein, None),
}


def _spec(name, better, reference, text, kind, **kw):
    score, items = _FUNCTIONS.get(kind, (None, None))
    return MetricSpec(
        name, better, reference, text, kind, score=score, items=items, **kw
    )


def _audit_specs():
    specs = [
        _spec(
            "accuracy_vs_gold",
            "higher",
            "gold",
            "accuracy, all test samples",
            "accuracy",
            key=1,
            spread=2,
        ),
        _spec(
            "accuracy_vs_human_mode",
            "higher",
            "human_mode",
            "accuracy, all test samples",
            "accuracy",
            key=2,
            spread=2,
        ),
    ]
    key = {
        "ece_all_vs_gold": 3,
        "ece_hard_vs_gold": 4,
        "ece_all_vs_human": 5,
        "ece_hard_vs_human": 6,
        "ece_disagree_vs_human": 7,
        "ece_easy_vs_human": 8,
        "kl_hard_vs_human": 9,
        "kl_disagree_vs_human": 10,
        "jsd_all_vs_human": 11,
    }
    for ref in ("gold", "human"):
        for kind, kname in (("ece", "ECE"), ("mce", "MCE")):
            for subset in ("all", "hard", "easy", "disagree"):
                name = f"{kind}_{subset}_vs_{ref}"
                specs.append(
                    _spec(
                        name,
                        "lower",
                        ref,
                        f"{kname} (uniform bins, max-probability), "
                        f"{SUBSET_TEXT[subset]} test samples",
                        kind,
                        subset=subset,
                        key=key.get(name, 0),
                        spread=1 if name == "ece_hard_vs_human" else 0,
                    )
                )
    for subset in ("all", "hard", "disagree"):
        for kind, text in (
            ("cross_entropy", "cross-entropy H(human, model)"),
            ("kl", "KL(human || model)"),
            ("jsd", "Jensen-Shannon divergence"),
        ):
            name = f"{kind}_{subset}_vs_human"
            specs.append(
                _spec(
                    name,
                    "lower",
                    "human",
                    f"{text}, {SUBSET_TEXT[subset]} test samples",
                    kind,
                    subset=subset,
                    key=key.get(name, 0),
                )
            )
    specs += [
        _spec(
            "entropy_calibration_error_vs_human",
            "lower",
            "human",
            "mean |human entropy - model entropy| (Baan et al., 2022)",
            "entropy_calibration_error",
        ),
        _spec(
            "ranking_calibration_vs_human",
            "higher",
            "human",
            "share of samples whose class ranking matches the human one",
            "ranking_calibration",
        ),
        _spec(
            "distribution_calibration_error_vs_human",
            "lower",
            "human",
            "mean total variation distance to the human labels",
            "distribution_calibration_error",
        ),
        _spec(
            "spearman_entropy_vs_human",
            "higher",
            "human",
            "Spearman(human entropy, model entropy), test samples",
            "spearman_entropy",
        ),
        _spec(
            "spearman_confidence_vs_human",
            "lower",
            "human",
            "Spearman(human entropy, model confidence), test samples",
            "spearman_confidence",
            key=12,
        ),
        _spec(
            "spearman_gold_confidence_vs_human",
            "lower",
            "human",
            "Spearman(human entropy, model probability of the gold label), test "
            "samples: the held-out counterpart of the data map's alignment",
            "spearman_gold_confidence",
            stage="heldout",
            commands=("audit",),
        ),
        _spec(
            "target_spearman_confidence_vs_human",
            "lower",
            "human",
            "Spearman(human entropy, the targets' probability of the gold label), "
            "training samples: what a model that copies its targets reaches",
            "target_confidence",
            stage="targets",
            commands=("audit",),
        ),
        _spec(
            "carto_spearman_confidence_vs_human",
            "lower",
            "human",
            "Spearman(human entropy, cartography confidence), training samples",
            "confidence",
            stage="training",
            key=13,
            commands=("audit",),
        ),
        _spec(
            "carto_spearman_variability_vs_human",
            "higher",
            "human",
            "Spearman(human entropy, cartography variability), training samples; "
            "descriptive (no better or worse)",
            "variability",
            stage="training",
            key=14,
            descriptive=True,
            commands=("audit",),
        ),
    ]
    specs += [
        _spec(
            f"wasserstein_{subset}_vs_human_raw",
            "lower",
            "human_raw",
            "1-D Wasserstein distance (in scale points) between the human raw "
            "ratings and the class probabilities spread over the raw scale by "
            "the training rows' within-class rating shares, "
            f"{SUBSET_TEXT[subset]} test samples",
            "ordinal_wasserstein",
            subset=subset,
            stage="raw",
            commands=("audit",),
        )
        for subset in ("all", "hard", "easy")
    ]
    return specs


def _evaluate_specs():
    """The metrics of ``sksoft evaluate`` that the audit does not record.

    Named without a subset: ``sksoft evaluate`` computes each on all, hard and
    easy items.
    """
    rows = [
        # name, better, reference, text, kind
        (
            "top1_agreement_vs_human",
            "higher",
            "human",
            "predicted class = human majority",
            "top1_agreement",
        ),
        ("kl_vs_human", "lower", "human", "KL(human || model)", "kl"),
        ("jsd_vs_human", "lower", "human", "Jensen-Shannon divergence", "jsd"),
        (
            "cross_entropy_vs_human",
            "lower",
            "human",
            "cross-entropy H(human, model)",
            "cross_entropy",
        ),
        (
            "ece_vs_human",
            "lower",
            "human",
            "ECE, accuracy = human share of the predicted class",
            "ece",
        ),
        (
            "ece_vs_human_mode",
            "lower",
            "human_mode",
            "ECE against the human majority label",
            "ece",
        ),
        ("ece_vs_gold", "lower", "gold", "ECE against the gold labels", "ece"),
        (
            "cross_entropy_vs_gold",
            "lower",
            "gold",
            "log loss against the gold labels",
            "cross_entropy",
        ),
    ]
    return [_spec(*row, commands=("evaluate",)) for row in rows]


def _specs():
    return tuple(_audit_specs() + _evaluate_specs())


#: one spec per metric, in report order
METRIC_SPECS = _specs()


def metric_specs(command, *, stage=None):
    """The specs ``command`` scores (``"audit"`` or ``"evaluate"``), in order.

    Read at call time, so a spec added to :data:`METRIC_SPECS` (e.g. by a
    test) reaches both commands.
    """
    return tuple(
        s
        for s in METRIC_SPECS
        if command in s.commands and (stage is None or s.stage == stage)
    )
