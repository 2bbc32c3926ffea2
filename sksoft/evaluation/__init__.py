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


def evaluate_main(argv=None):
    """Command-line entry of ``python -m sksoft evaluate``.

    Kept for callers of ``sksoft.evaluation.evaluate_main``; the command lives in
    :mod:`sksoft.cli` (:func:`sksoft.cli.evaluate.evaluate_main`), the layer
    above, which is imported here on call only.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
        0 on success, 2 on bad input (a one-line error on stderr, nothing
        written).

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sksoft.evaluation import evaluate_main
    >>> d = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> np.save(os.path.join(d, "p.npy"), rng.dirichlet(np.ones(3), size=60))
    >>> np.save(os.path.join(d, "c.npy"), rng.multinomial(5, [0.5, 0.3, 0.2], 60))
    >>> evaluate_main(["--probs", "m=" + os.path.join(d, "p.npy"), "--counts",
    ...                os.path.join(d, "c.npy"), "--n-bootstrap", "20",
    ...                "--out", os.path.join(d, "report")])
    0
    >>> sorted(os.listdir(os.path.join(d, "report")))[:3]
    ['differences.csv', 'reliability_00.png', 'report.md']
    """
    from ..cli.evaluate import evaluate_main as main  # the layer above, on call

    return main(argv)
