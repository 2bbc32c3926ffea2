"""One evaluation core for ``sksoft evaluate`` and the audit.

:func:`evaluate_predictions` measures the probabilities of one or more models,
trained anywhere (several seeds of one model are pooled and compared), against
the human soft labels and optional gold labels, on all samples and on the hard
and easy ones, with bootstrap-over-items intervals that are paired across
models. The command line is ``python -m sksoft evaluate`` (:mod:`sksoft.cli`).

The package is the layer below the audit (``sksoft.audit`` scores its runs
with it and never the other way round):

- ``_registry``: the one metric table, :data:`METRIC_SPECS` (name, direction,
  reference, subsets, functions); **a new metric is one entry there** (plus
  its function in ``_metrics`` and its tests) and reaches both commands;
- ``_metrics``: how each metric is computed, as a value and as a sum over
  items;
- ``_bootstrap``: the one paired bootstrap over items;
- ``_input``: files and arrays of :func:`evaluate_predictions`;
- ``_core``: :func:`evaluate_predictions` (temperatures by
  :func:`sksoft.calibration.fit_temperature`);
- ``_result``: :class:`EvaluationResult` and its report folder;
- ``_tables``: the number formats, Markdown tables and figure grid both
  reports use.

Besides the public names in ``__all__``, the names below the import block are
the shared core the audit imports (``sksoft.audit`` may import this package,
never its private modules).
"""

from importlib import import_module

from ._bootstrap import (
    ItemTerms,  # noqa: F401
    bootstrap_interval,  # noqa: F401
    paired_bootstrap,  # noqa: F401
    resample_weights,  # noqa: F401
    weighted_values,  # noqa: F401
)
from ._core import REFERENCE_NAMES, evaluate_predictions, score_spec  # noqa: F401
from ._metrics import ENTROPY_DECIMALS, TIE_CONVENTIONS, label_entropy  # noqa: F401
from ._registry import METRIC_SPECS, MetricSpec, metric_specs  # noqa: F401
from ._result import EvaluationResult
from ._tables import figure_grid, fmt, fmt_sig, interval, md_table, pct  # noqa: F401

__all__ = ["EvaluationResult", "evaluate_main", "evaluate_predictions"]

#: every metric :func:`evaluate_predictions` reports: direction, reference, text
METRICS = {
    spec.name: {
        "better": spec.better,
        "reference": REFERENCE_NAMES[spec.reference],
        "text": spec.text,
    }
    for spec in metric_specs("evaluate", stage="test")
}


def __getattr__(name):
    # ``evaluate_main`` is the command line's (sksoft.cli.evaluate, the layer
    # above); the old name keeps working, resolved on first access only (the
    # layout test lists this one alias in its allow-list)
    if name == "evaluate_main":
        return import_module("sksoft.cli.evaluate").evaluate_main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"evaluate_main"})
