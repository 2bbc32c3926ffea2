"""sklearn's common estimator checks over every estimator sksoft exports."""

import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksoft.utils._test_common import (
    INIT_PARAMS,
    PER_ESTIMATOR_XFAIL_CHECKS,
    _get_expected_failed_checks,
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
    check(estimator)


def test_estimators_discovered():
    names = {name for name, _ in all_estimators()}
    assert "SoftLabelClassifier" in names
    # only sksoft's own classes, nothing imported from sklearn/skorch
    assert all(cls.__module__.startswith("sksoft.") for _, cls in all_estimators())


def test_no_expected_failures():
    assert not any(PER_ESTIMATOR_XFAIL_CHECKS.values())


@pytest.mark.parametrize("Estimator", sorted(INIT_PARAMS, key=lambda c: c.__name__))
def test_test_settings_are_valid_parameters(Estimator):
    # a typo in the test settings would silently test the defaults
    assert set(INIT_PARAMS[Estimator]) <= set(Estimator().get_params())
