"""The one place where sksoft reaches into scikit-learn's private modules.

scikit-learn's parameter-validation helpers (``sklearn.utils._param_validation``),
``_safe_indexing`` and ``_check_sample_weight`` are private: they may move or
change between releases. Every sksoft module imports them from here, so a change
in scikit-learn is fixed in one file. Checked against scikit-learn 1.6.1 (the
oldest version sksoft supports; CI's oldest-versions job runs it) up to 1.9.

The same pattern (one private compatibility module) is what imbalanced-learn
does with the ``sklearn-compat`` package; sksoft needs too few names to add that
dependency.
"""

import numpy as np
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
from sklearn.utils.validation import _check_sample_weight

safe_indexing = _safe_indexing
# generate_invalid_param_val, generate_valid_param and make_constraint serve
# tests/test_public_functions.py only (the check every public function runs).


def check_sample_weight(sample_weight, X, **kwargs):
    """sklearn's ``_check_sample_weight``, rejecting all-zero weights everywhere.

    scikit-learn rejects weights without a non-zero entry from 1.7 on; 1.6
    accepts them, and a fit then fails later with a message that does not name
    the weights.
    """
    sample_weight = _check_sample_weight(sample_weight, X, **kwargs)
    if sample_weight.size and not np.any(sample_weight != 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "Options",
    "RealNotInt",
    "StrOptions",
    "check_sample_weight",
    "generate_invalid_param_val",
    "generate_valid_param",
    "make_constraint",
    "safe_indexing",
    "validate_parameter_constraints",
    "validate_params",
]
