"""Every public sksoft metric validates its parameters (as imbalanced-learn and
scikit-learn check theirs)."""

from importlib import import_module
from inspect import signature

import pytest
from sklearn.utils._param_validation import (
    generate_invalid_param_val,
    generate_valid_param,
    make_constraint,
)

import sksoft.metrics

PARAM_VALIDATION_FUNCTION_LIST = [
    f"sksoft.metrics.{name}"
    for name in sksoft.metrics.__all__
    if callable(getattr(sksoft.metrics, name))
    and not isinstance(getattr(sksoft.metrics, name), type)
    and name != "get_scorer_names"  # takes no parameters
]


def test_list_covers_the_public_metrics():
    assert "sksoft.metrics.expected_calibration_error" in PARAM_VALIDATION_FUNCTION_LIST
    assert len(PARAM_VALIDATION_FUNCTION_LIST) == len(sksoft.metrics.__all__) - 2


@pytest.mark.parametrize("func_module", PARAM_VALIDATION_FUNCTION_LIST)
def test_function_param_validation(func_module):
    """An informative error is raised when a parameter has a bad type or value."""
    module_name, func_name = func_module.rsplit(".", 1)
    func = getattr(import_module(module_name), func_name)

    func_sig = signature(func)
    func_params = [
        p.name
        for p in func_sig.parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    parameter_constraints = func._skl_parameter_constraints

    required_params = [
        p.name
        for p in func_sig.parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    valid_required_params = {
        name: generate_valid_param(make_constraint(parameter_constraints[name][0]))
        for name in required_params
    }

    unexpected = set(parameter_constraints) - set(func_params)
    missing = set(func_params) - set(parameter_constraints)
    assert not unexpected and not missing, (func_name, unexpected, missing)

    param_with_bad_type = type("BadType", (), {})()
    for param_name in func_params:
        constraints = parameter_constraints[param_name]
        if constraints == "no_validation":
            continue
        match = (
            rf"The '{param_name}' parameter of {func_name} must be .* Got .* instead."
        )
        with pytest.raises(ValueError, match=match):
            func(**{**valid_required_params, param_name: param_with_bad_type})
        for constraint in (make_constraint(c) for c in constraints):
            try:
                bad_value = generate_invalid_param_val(constraint)
            except NotImplementedError:
                continue
            with pytest.raises(ValueError, match=match):
                func(**{**valid_required_params, param_name: bad_value})
