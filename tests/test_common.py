"""sklearn's common estimator checks over every estimator sksoft exports."""

import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksoft.utils._test_common import (
    INIT_PARAMS,
    PER_ESTIMATOR_CHECK_PARAMS,
    PER_ESTIMATOR_XFAIL_CHECKS,
    _construct_instances,
    _get_expected_failed_checks,
    _instance_for_check,
    _tested_estimators,
)
from sksoft.utils.discovery import all_estimators


@pytest.fixture(autouse=True)
def one_torch_thread():
    # tiny networks: one thread is fastest and immune to a busy machine
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@parametrize_with_checks(
    list(_tested_estimators()),
    expected_failed_checks=_get_expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(_instance_for_check(estimator, check))


def test_estimators_discovered():
    names = {name for name, _ in all_estimators()}
    assert "SoftLabelClassifier" in names
    # only sksoft's own classes, nothing imported from sklearn/skorch
    assert all(cls.__module__.startswith("sksoft.") for _, cls in all_estimators())


def test_no_expected_failures():
    assert not any(PER_ESTIMATOR_XFAIL_CHECKS.values())


def test_checked_at_default_settings():
    assert not INIT_PARAMS
    for name, Estimator in all_estimators():
        est = next(_construct_instances(Estimator))
        assert est.get_params(deep=False) == Estimator().get_params(deep=False), name


@pytest.mark.parametrize(
    "Estimator", sorted(PER_ESTIMATOR_CHECK_PARAMS, key=lambda c: c.__name__)
)
def test_per_check_settings_are_valid_parameters(Estimator):
    # a typo in the per-check settings would silently test the defaults
    for params in PER_ESTIMATOR_CHECK_PARAMS[Estimator].values():
        assert set(params) <= set(Estimator().get_params())
