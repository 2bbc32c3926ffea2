"""The audit's view of the metric registry (private; no torch, no matplotlib).

The metrics themselves are one table for both commands:
:data:`sksoft.evaluation.METRIC_SPECS` (``sksoft/evaluation/_registry.py``).
Everything the audit names is derived from its specs there:

- :data:`sksoft.audit.METRICS` (name -> ``better``, ``reference``, ``text``), and
  from it the metric table of the user guide (``docs/conf.py``);
- the names :func:`sksoft.audit.score_predictions` returns (``stage="test"``)
  and the cartography names (``stage="training"``), see ``_score.py``;
- the report's choice of metrics: :data:`KEY_METRICS` (comparison and effects
  tables, metric-spread figure), :data:`HEADLINE` (the plain reading),
  :data:`CONTROL_METRICS` (the comparison with the temperature control) and
  :func:`spread_metrics` (the stability section); ``descriptive`` specs get no
  better/worse mark.

The wording of the human-label reference ("simulated" flagged) is here too:
:func:`human_labels_name`, :func:`reference_name`.
"""

from ..evaluation import MetricSpec, metric_specs  # noqa: F401

#: how each reference is written in the tables (``reference`` of METRICS)
REFERENCE_NAMES = {
    "gold": "gold",
    "human_mode": "human mode",
    "human": "human soft labels",
    "human_raw": "human raw ratings",
}

#: the audit's specs, in report order
METRIC_SPECS = metric_specs("audit")
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
#: the headline metric the plain reading judges calibration by (hard = the top
#: fraction by human entropy)
HEADLINE = "ece_hard_vs_human"
#: the headline on the paper's hard subset, any disagreement (entropy > 0); the
#: report gives its headline on both subsets
HEADLINE_DISAGREE = "ece_disagree_vs_human"
#: both headlines, top fraction first
HEADLINES = (HEADLINE, HEADLINE_DISAGREE)

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
#: can recompute them from per-item terms (``_score.item_terms``): the specs
#: with an ``items`` function
BOOTSTRAP_KINDS = frozenset(s.kind for s in METRIC_SPECS if s.items is not None)


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
