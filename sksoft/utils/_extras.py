"""Optional dependencies: one check, one line naming what to install (private)."""

from importlib import import_module
from importlib.util import find_spec

#: optional module -> what to install for it
INSTALL = {
    "matplotlib": "sksoft[plot]",
    "pandas": "pandas",
}


def has(module):
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module, what):
    """Import and return ``module``, or raise a one-line ``ImportError``.

    The message names ``what`` needs it and the package to install, e.g.
    ``EvaluationResult.to_frame needs pandas: pip install pandas``.
    """
    try:
        return import_module(module)
    except ImportError:
        raise ImportError(
            f"{what} needs {module}: pip install {INSTALL.get(module, module)}"
        ) from None
