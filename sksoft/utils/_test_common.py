"""Fast test instances of the sksoft estimators for sklearn's common checks.

``tests/test_common.py`` builds every estimator found by
:func:`sksoft.utils.discovery.all_estimators` with the parameters below and
runs :func:`sklearn.utils.estimator_checks.parametrize_with_checks` on it.
Following imbalanced-learn's ``instance_generator``, the test settings live in
one dict, and so would documented expected failures (there are none).

Why the settings differ from the defaults
-----------------------------------------
``SoftLabelClassifier``: a few full-batch epochs keep each fit in milliseconds.
Full batches (``batch_size=-1``) without an internal validation split
(``train_split=None``) in float64 are also what makes integer sample weights
equivalent to repeated samples to the ``rtol=1e-7`` of
``check_sample_weight_equivalence_*``: with mini-batches or a random hold-out,
repeating a sample changes the batches and the split (for any stochastic
trainer), and in float32 the different summation order of the weighted and the
repeated data alone moves the probabilities by a few 1e-7.

``CartographyTransformer``: the same fast classifier for three epochs, with a
fixed ``random_state`` so that refits are identical (``check_fit_idempotent``,
``check_transformer_general`` compare two fits).
"""

from ..cartography import CartographyTransformer
from ..classifier import SoftLabelClassifier
from .discovery import all_estimators

# Parameters of the test instance of each estimator (other estimators of the
# package may add an entry for theirs). Estimators without an entry are built
# with their defaults.
INIT_PARAMS = {
    SoftLabelClassifier: dict(
        max_epochs=10,
        lr=0.05,
        batch_size=-1,
        train_split=None,
        hidden_layer_sizes=(16,),
        dtype="float64",
    ),
    CartographyTransformer: dict(
        estimator=SoftLabelClassifier(
            max_epochs=3, lr=0.05, batch_size=-1, hidden_layer_sizes=(8,)
        ),
        random_state=0,
    ),
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


def _get_expected_failed_checks(estimator):
    """The expected failures of ``estimator`` (``{check_name: reason}``)."""
    return PER_ESTIMATOR_XFAIL_CHECKS.get(type(estimator), {})
