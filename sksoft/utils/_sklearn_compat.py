"""The one place where sksoft reaches into scikit-learn's private modules.

scikit-learn's parameter-validation helpers (``sklearn.utils._param_validation``)
and ``_safe_indexing`` are private: they may move or change between releases.
Every sksoft module imports them from here, so a change in scikit-learn is fixed
in one file. Checked against scikit-learn 1.6 (the oldest version sksoft
supports) up to 1.9.

The same pattern (one private compatibility module) is what imbalanced-learn
does with the ``sklearn-compat`` package; sksoft needs too few names to add that
dependency.
"""

from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    Options,
    RealNotInt,
    StrOptions,
    generate_invalid_param_val,
    generate_valid_param,
    make_constraint,
    validate_parameter_constraints,
    validate_params,
)

safe_indexing = _safe_indexing
# generate_invalid_param_val, generate_valid_param and make_constraint serve
# tests/test_public_functions.py only (the check every public function runs).

__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "Options",
    "RealNotInt",
    "StrOptions",
    "generate_invalid_param_val",
    "generate_valid_param",
    "make_constraint",
    "safe_indexing",
    "validate_parameter_constraints",
    "validate_params",
]
