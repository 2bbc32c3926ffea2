"""The soft-label audit: one model, several kinds of supervision, several seeds.

:func:`run_audit` trains the same estimator under each *supervision arm*
(``gold``, ``human_mode``, ``human_soft``, ``human_soft_gold_mode``,
``smoothed``, ``teacher``; see :func:`sksoft.sources.make_supervision_arms`)
and each seed, and measures every run on held-out samples against the gold
labels **and** against the human soft labels. :class:`AuditResult` holds the
per-run records, the over-seed statistics and writes the report folder that
``python -m sksoft audit`` produces.

The package's modules are the stages of the job (see the contributors'
architecture page): ``_data`` (the command's data) -> ``_run`` (``run_audit``:
validate, split, build targets, fit, score, package) -> ``_worker`` (one fit) ->
``_result`` (``AuditResult``) -> ``_report`` and ``_plots`` (the report folder),
on the shared tables ``_metrics`` (one spec per metric), ``_score``, ``_stats``
and ``_estimators`` (the default models, the only module importing torch).
Importing ``sksoft.audit`` loads neither torch nor matplotlib: ``SmallCNN``,
``default_estimator`` and ``run_audit`` load on first use.
"""

from importlib import import_module

from ..sources import ARM_NAMES
from ._metrics import METRICS
from ._result import AuditResult
from ._score import score_predictions

__all__ = [
    "ARMS",
    "METRICS",
    "AuditResult",
    "SmallCNN",
    "default_estimator",
    "default_text_estimator",
    "run_audit",
    "score_predictions",
]

#: the supervision arms, in report order (those of :mod:`sksoft.sources`)
ARMS = ARM_NAMES

# torch-backed names load on first access (PEP 562); the names after
# ``run_audit`` serve the command (``sksoft.cli``) and are not in ``__all__``
_LAZY = {
    "SmallCNN": "._estimators",
    "default_estimator": "._estimators",
    "default_text_estimator": "._estimators",
    "run_audit": "._run",
    "as_model_input": "._run",
    "default_max_epochs": "._estimators",
    "DATASETS": "._data",
    "MODELS": "._data",
    "TEXT_MODELS": "._data",
    "check_model_kind": "._data",
    "check_text_extra": "._data",
    "UsageError": "._data",
    "load_audit_data": "._data",
    "run_time_line": "._report",
}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
