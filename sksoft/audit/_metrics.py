"""The audit's metric table: one spec per metric (private leaf, no sksoft import).

Everything that names a metric is derived from :data:`METRIC_SPECS`:

- :data:`sksoft.audit.METRICS` (name -> ``better``, ``reference``, ``text``), and
  from it the metric table of the user guide (``docs/conf.py``);
- the names :func:`sksoft.audit.score_predictions` returns (``stage="test"``)
  and the cartography names (``stage="training"``), see ``_score.py``;
- the report's choice of metrics: :data:`KEY_METRICS` (comparison and effects
  tables, metric-spread figure), :data:`HEADLINE` (the plain reading),
  :data:`CONTROL_METRICS` (the comparison with the temperature control) and
  :func:`spread_metrics` (the stability section); ``descriptive`` specs get no
  better/worse mark.

A new metric is one :class:`MetricSpec` here plus, when its ``kind`` is new, one
scoring function in ``_score.py``. The wording of the human-label reference
("simulated" flagged) is here too: :func:`human_labels_name`,
:func:`reference_name`.
"""

from dataclasses import dataclass

#: how each reference is written in the tables (``reference`` of METRICS)
REFERENCE_NAMES = {
    "gold": "gold",
    "human_mode": "human mode",
    "human": "human soft labels",
}


@dataclass(frozen=True)
class MetricSpec:
    """One metric of the audit.

    Parameters
    ----------
    name : str
        Metric name; it ends in its reference (``_vs_gold``, ``_vs_human``,
        ``_vs_human_mode``).
    better : {"higher", "lower"}
        Direction of a better value.
    reference : {"gold", "human", "human_mode"}
        What the predictions are compared with.
    text : str
        One-line description (docs table).
    kind : str
        How it is computed: a key of the scoring table of ``_score.py``.
    subset : {"all", "hard", "easy"} or None
        Test samples it is computed on (None: all, not part of the name).
    stage : {"test", "training", "targets"}
        ``"test"``: from the test probabilities (:func:`score_predictions`);
        ``"training"``: from the cartography statistics of the training rows;
        ``"targets"``: from the arm's targets on the training rows (the same
        for every seed; ``_targets.py``).
    key : int, default=0
        Position in the report's comparison and effects tables (0: only in
        the appendix table).
    spread : int, default=0
        Position in the stability section (0: not there). Of several specs
        with the same position the first one the audit has is used.
    descriptive : bool, default=False
        Reported without a better/worse mark: its differences get no verdict
        and are not tested (``better`` is then only the direction in which
        the quantity is read, e.g. "more aligned").
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


def _specs():
    specs = [
        MetricSpec(
            "accuracy_vs_gold",
            "higher",
            "gold",
            "accuracy, all test samples",
            kind="accuracy",
            key=1,
            spread=2,
        ),
        MetricSpec(
            "accuracy_vs_human_mode",
            "higher",
            "human_mode",
            "accuracy, all test samples",
            kind="accuracy",
            key=2,
            spread=2,
        ),
    ]
    key = {
        "ece_all_vs_gold": 3,
        "ece_hard_vs_gold": 4,
        "ece_all_vs_human": 5,
        "ece_hard_vs_human": 6,
        "ece_easy_vs_human": 7,
        "kl_hard_vs_human": 8,
        "jsd_all_vs_human": 9,
    }
    for ref in ("gold", "human"):
        for kind, kname in (("ece", "ECE"), ("mce", "MCE")):
            for subset in ("all", "hard", "easy"):
                name = f"{kind}_{subset}_vs_{ref}"
                specs.append(
                    MetricSpec(
                        name,
                        "lower",
                        ref,
                        f"{kname} (uniform bins, max-probability), {subset} "
                        "test samples",
                        kind=kind,
                        subset=subset,
                        key=key.get(name, 0),
                        spread=1 if name == "ece_hard_vs_human" else 0,
                    )
                )
    for subset in ("all", "hard"):
        for kind, text in (
            ("cross_entropy", "cross-entropy H(human, model)"),
            ("kl", "KL(human || model)"),
            ("jsd", "Jensen-Shannon divergence"),
        ):
            name = f"{kind}_{subset}_vs_human"
            specs.append(
                MetricSpec(
                    name,
                    "lower",
                    "human",
                    f"{text}, {subset} test samples",
                    kind=kind,
                    subset=subset,
                    key=key.get(name, 0),
                )
            )
    specs += [
        MetricSpec(
            "entropy_calibration_error_vs_human",
            "lower",
            "human",
            "mean |human entropy - model entropy| (Baan et al., 2022)",
            kind="entropy_calibration_error",
        ),
        MetricSpec(
            "ranking_calibration_vs_human",
            "higher",
            "human",
            "share of samples whose class ranking matches the human one",
            kind="ranking_calibration",
        ),
        MetricSpec(
            "distribution_calibration_error_vs_human",
            "lower",
            "human",
            "mean total variation distance to the human labels",
            kind="distribution_calibration_error",
        ),
        MetricSpec(
            "spearman_entropy_vs_human",
            "higher",
            "human",
            "Spearman(human entropy, model entropy), test samples",
            kind="spearman_entropy",
        ),
        MetricSpec(
            "spearman_confidence_vs_human",
            "lower",
            "human",
            "Spearman(human entropy, model confidence), test samples",
            kind="spearman_confidence",
            key=10,
        ),
        MetricSpec(
            "spearman_gold_confidence_vs_human",
            "lower",
            "human",
            "Spearman(human entropy, model probability of the gold label), test "
            "samples: the held-out counterpart of the data map's alignment",
            kind="spearman_gold_confidence",
        ),
        MetricSpec(
            "target_spearman_confidence_vs_human",
            "lower",
            "human",
            "Spearman(human entropy, the targets' probability of the gold label), "
            "training samples: what a model that copies its targets reaches",
            kind="target_confidence",
            stage="targets",
        ),
        MetricSpec(
            "carto_spearman_confidence_vs_human",
            "lower",
            "human",
            "Spearman(human entropy, cartography confidence), training samples",
            kind="confidence",
            stage="training",
            key=11,
        ),
        MetricSpec(
            "carto_spearman_variability_vs_human",
            "higher",
            "human",
            "Spearman(human entropy, cartography variability), training samples; "
            "descriptive (no better or worse)",
            kind="variability",
            stage="training",
            key=12,
            descriptive=True,
        ),
    ]
    return tuple(specs)


#: one spec per metric, in report order
METRIC_SPECS = _specs()
#: name -> spec
SPECS = {spec.name: spec for spec in METRIC_SPECS}

#: every metric the audit records per run: direction, reference, description
#: and whether it is descriptive (reported without a better/worse mark)
METRICS = {
    spec.name: {
        "better": spec.better,
        "reference": REFERENCE_NAMES[spec.reference],
        "text": spec.text,
        "descriptive": spec.descriptive,
    }
    for spec in METRIC_SPECS
}

#: metrics in the report's comparison and effects tables, in column order
KEY_METRICS = tuple(
    spec.name for spec in sorted(METRIC_SPECS, key=lambda s: s.key) if spec.key
)
#: the headline metric the plain reading judges calibration by
HEADLINE = "ece_hard_vs_human"

#: the metrics on which the soft arms are compared with the temperature control
#: (``gold_temperature``): the key metrics against the human soft labels
CONTROL_METRICS = tuple(
    name
    for name in KEY_METRICS
    if SPECS[name].reference == "human"
    and SPECS[name].stage == "test"
    and not SPECS[name].descriptive
)

#: the spec kinds that are sums over test items, so a bootstrap over test items
#: can recompute them from per-item terms (``_score.item_terms``)
BOOTSTRAP_KINDS = frozenset({"accuracy", "ece", "kl", "jsd"})


def spread_metrics(available):
    """The metrics of the stability section among ``available`` names.

    One metric per ``spread`` position, the first one available: hard-sample
    ECE against the human labels, then accuracy against gold (against the
    human mode without gold labels).
    """
    chosen = {}
    for spec in METRIC_SPECS:
        if spec.spread and spec.name in available:
            chosen.setdefault(spec.spread, spec.name)
    return [chosen[pos] for pos in sorted(chosen)]


# ---------------------------------------------------------------- wording


def labels_are_simulated(provenance):
    """Whether the provenance's ``labels`` say the human labels are simulated."""
    return "simulated" in str(provenance.get("labels", "")).lower()


def human_labels_name(simulated, *, soft=False):
    """How the report and figures name the human labels.

    ``"human labels"`` or ``"human soft labels"`` (``soft=True``), with
    ``"simulated "`` in front when the labels are simulated.
    """
    text = "human soft labels" if soft else "human labels"
    return "simulated " + text if simulated else text


def metric_direction(metric):
    """Which way ``metric`` is better (``METRICS[metric]["better"]``), or
    ``"descriptive"`` for a metric that gets no better/worse mark."""
    info = METRICS[metric]
    return "descriptive" if info["descriptive"] else info["better"]


def reference_name(metric, simulated):
    """The reference of ``metric`` as the report writes it (simulated flagged)."""
    ref = METRICS[metric]["reference"]
    if ref.startswith("human") and simulated:
        return "simulated " + ref
    return ref
