"""Discover the estimators, displays and functions that sksoft defines.

Only public modules are walked (a module path with a ``._`` part is private and
skipped, as in scikit-learn's ``sklearn.utils.discovery``), and only the names a
module exports in ``__all__`` count.

The common-check test (``tests/test_common.py``) runs sklearn's estimator
checks over :func:`all_estimators`, so a new estimator is checked without being
registered anywhere. Adapted from scikit-learn's ``sklearn.utils.discovery`` and
the scikit-learn-contrib project template.
"""

import inspect
import pkgutil
import warnings
from importlib import import_module
from operator import itemgetter
from pathlib import Path

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

__all__ = ["all_displays", "all_estimators", "all_functions"]

_PACKAGE = "sksoft"
# ``tests`` folders and ``__main__`` (running it starts the command line)
_MODULES_TO_IGNORE = {"tests", "__main__"}


def _walk_modules():
    """Import and yield every public module of the package (sorted)."""
    root = str(Path(__file__).resolve().parent.parent)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        names = [
            name
            for _, name, _ in pkgutil.walk_packages(path=[root], prefix=_PACKAGE + ".")
            if not any(part in _MODULES_TO_IGNORE for part in name.split("."))
            # private modules are skipped, as sklearn's discovery does: what
            # they define is public only through a public module's re-export
            and "._" not in name
        ]
        for name in sorted(names):
            yield import_module(name)


def _public_members(predicate):
    """(name, object) pairs that public sksoft modules export.

    A module's public names are its ``__all__`` (every public sksoft module
    has one), else its names without a leading underscore; so a kernel that
    a public module imports from a shared private module (``sksoft._rows``,
    ``sksoft._dynamics``) is not mistaken for public API.
    """
    found = set()
    for module in _walk_modules():
        exported = getattr(module, "__all__", None)
        for name, obj in inspect.getmembers(module, predicate):
            if name.startswith("_"):
                continue
            if exported is not None and name not in exported:
                continue
            if not getattr(obj, "__module__", "").startswith(_PACKAGE + "."):
                continue  # imported from another package (sklearn, skorch, ...)
            found.add((name, obj))
    return sorted(found, key=itemgetter(0))


def all_estimators(type_filter=None):
    """Every public estimator class that sksoft defines.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "cluster", "transformer"} or list \
            of such str, default=None
        Keep only estimators of these kinds; ``None`` keeps all of them.

    Returns
    -------
    estimators : list of tuple
        ``(name, class)`` pairs sorted by name. Abstract classes and classes
        imported from other packages are left out.

    See Also
    --------
    all_displays : The display classes.
    all_functions : The public functions.

    Examples
    --------
    >>> from sksoft.utils.discovery import all_estimators
    >>> names = [name for name, _ in all_estimators(type_filter="classifier")]
    >>> "SoftLabelClassifier" in names
    True
    """

    def is_abstract(cls):
        return bool(getattr(cls, "__abstractmethods__", None))

    estimators = [
        (name, cls)
        for name, cls in _public_members(inspect.isclass)
        if issubclass(cls, BaseEstimator) and not is_abstract(cls)
    ]
    if type_filter is None:
        return estimators

    filters = {
        "classifier": ClassifierMixin,
        "regressor": RegressorMixin,
        "transformer": TransformerMixin,
        "cluster": ClusterMixin,
    }
    wanted = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = [kind for kind in wanted if kind not in filters]
    if unknown:
        raise ValueError(
            "type_filter must be 'classifier', 'regressor', 'transformer', "
            f"'cluster' or None; got {unknown!r}."
        )
    mixins = tuple(filters[kind] for kind in wanted)
    return [(name, cls) for name, cls in estimators if issubclass(cls, mixins)]


def all_displays():
    """Every public display class (name ending in ``Display``) of sksoft.

    Returns
    -------
    displays : list of tuple
        ``(name, class)`` pairs sorted by name.

    See Also
    --------
    all_estimators : The estimator classes.

    Examples
    --------
    >>> from sksoft.utils.discovery import all_displays
    >>> all(name.endswith("Display") for name, _ in all_displays())
    True
    """
    return [
        (name, cls)
        for name, cls in _public_members(inspect.isclass)
        if name.endswith("Display")
    ]


def all_functions():
    """Every public function that sksoft defines.

    Returns
    -------
    functions : list of tuple
        ``(name, function)`` pairs sorted by name.

    See Also
    --------
    all_estimators : The estimator classes.

    Examples
    --------
    >>> from sksoft.utils.discovery import all_functions
    >>> "check_soft_targets" in dict(all_functions())
    True
    """
    return _public_members(inspect.isfunction)
