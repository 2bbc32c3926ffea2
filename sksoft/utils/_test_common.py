"""Fast test instances of the sksoft estimators for sklearn's common checks.

``tests/test_common.py`` builds every estimator found by
:func:`sksoft.utils.discovery.all_estimators` with the parameters below and
runs :func:`sklearn.utils.estimator_checks.parametrize_with_checks` on it.
Following imbalanced-learn's ``instance_generator``, the test settings live in
one dict, and so would documented expected failures (there are none).

Every estimator is checked at its default settings
---------------------------------------------------
``INIT_PARAMS`` is empty: the instances are the defaults. As in sklearn's own
``PER_ESTIMATOR_CHECK_PARAMS``, a check may run on an instance with other
settings when the check itself needs them, and the reason is written next to
the entry:

``SoftLabelClassifier`` in ``check_sample_weight_equivalence_*``: those checks
demand that integer sample weights equal repeated samples to ``rtol=1e-7``.
Mini-batch training with shuffling and a random hold-out cannot give that for
any stochastic trainer (repeating a sample changes the batches and the split),
and in float32 the different summation order alone moves the probabilities by
a few 1e-7. Full batches (``batch_size=-1``) without an internal validation
split in float64 make the weighted and the repeated fit the same optimisation
problem, which is what the check is about (sklearn checks ``MLPClassifier``
with ``solver="lbfgs"`` for the same reason).

``SoftLabelClassifier`` in ``check_methods_subset_invariance``: float32 matrix
products round differently for different batch shapes (a few 1e-7 relative),
and the binary ``decision_function`` (the log-odds ``logit_1 - logit_0``) is
near 0 for uncertain samples, where that rounding exceeds the check's
``rtol=1e-7``. In float64 the methods are invariant to that tolerance.
"""

from sklearn.base import clone

from ..classifier import SoftLabelClassifier
from .discovery import all_estimators

# Parameters of the test instance of each estimator, {Estimator: params}. Kept
# empty: every estimator is checked at its defaults.
INIT_PARAMS = {}

_FULL_BATCH = dict(batch_size=-1, train_split=None, dtype="float64")

# Settings for single checks, {Estimator: {check_name: params}} (see the module
# docstring for the reasons).
PER_ESTIMATOR_CHECK_PARAMS = {
    SoftLabelClassifier: {
        "check_sample_weight_equivalence_on_dense_data": _FULL_BATCH,
        "check_sample_weight_equivalence_on_sparse_data": _FULL_BATCH,
        "check_methods_subset_invariance": dict(dtype="float64"),
    },
}

# Documented expected failures, {Estimator: {check_name: reason}}. Kept empty:
# every estimator passes every applicable check.
PER_ESTIMATOR_XFAIL_CHECKS = {}


def _construct_instances(Estimator):
    """Yield the test instance(s) of ``Estimator``."""
    yield Estimator(**INIT_PARAMS.get(Estimator, {}))


def _tested_estimators(type_filter=None):
    """Yield a test instance of every estimator sksoft defines."""
    for _, Estimator in all_estimators(type_filter=type_filter):
        yield from _construct_instances(Estimator)


def _check_name(check):
    """Name of a check yielded by ``parametrize_with_checks``."""
    func = getattr(check, "func", check)
    return getattr(func, "__name__", str(func))


def _instance_for_check(estimator, check):
    """``estimator``, or a clone with the settings ``check`` needs."""
    params = PER_ESTIMATOR_CHECK_PARAMS.get(type(estimator), {}).get(_check_name(check))
    return clone(estimator).set_params(**params) if params else estimator


def _get_expected_failed_checks(estimator):
    """The expected failures of ``estimator`` (``{check_name: reason}``)."""
    return PER_ESTIMATOR_XFAIL_CHECKS.get(type(estimator), {})
