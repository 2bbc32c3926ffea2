"""Saving a fitted :class:`~sksoft.classifier.SoftLabelClassifier` without pickle.

pickle, joblib and :mod:`skops.io` files of a skorch-based classifier all run
code from the file on loading: skorch stores the module and the optimizer as
pickle bytes, which skops unpickles too, so a crafted file that passes exactly
:data:`~sksoft.classifier.SKOPS_TRUSTED_TYPES` can run any code. This module's
file holds data only: the estimator's parameters as JSON, its fitted
attributes as plain values and the module's weights as tensors, written with
:func:`torch.save` and read back with ``torch.load(weights_only=True)``, which
refuses anything but tensors and plain containers. The classifier is rebuilt
from sksoft's own code: the file names no class or function to import.
"""

import json
import numbers
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from . import __version__
from .classifier import SoftLabelClassifier
from .utils._sklearn_compat import validate_params

__all__ = ["load_classifier", "save_classifier"]

_FORMAT = "sksoft.persistence/1"
#: the classes a file may name: nothing outside this mapping is ever built
_CLASSES = {"SoftLabelClassifier": SoftLabelClassifier}


def _encode(value):
    """A JSON value for a parameter value, or raise TypeError."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufU":
        return {"__array__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"__dict__": {k: _encode(v) for k, v in value.items()}}
    raise TypeError(type(value).__name__)


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_decode(v) for v in value["__tuple__"])
        if "__array__" in value:
            return np.asarray(value["__array__"], dtype=np.dtype(value["dtype"]))
        if "__dict__" in value:
            return {k: _decode(v) for k, v in value["__dict__"].items()}
        raise ValueError(f"unknown value {value!r}")
    return value


def _same(a, b):
    try:
        return a is b or bool(a == b)
    except Exception:  # e.g. arrays: not a default anyway
        return False


def _encode_labels(values):
    values = np.asarray(values)
    if values.dtype.kind == "O":
        if not all(isinstance(v, str) for v in values.tolist()):
            raise TypeError("labels that are neither numbers nor strings")
        return {"values": values.tolist(), "dtype": "object"}
    if values.dtype.kind not in "biufU":
        raise TypeError(f"labels of dtype {values.dtype}")
    return {"values": values.tolist(), "dtype": values.dtype.str}


def _decode_labels(data):
    dtype = object if data["dtype"] == "object" else np.dtype(data["dtype"])
    if dtype is object:
        out = np.empty(len(data["values"]), dtype=object)
        out[:] = [str(v) for v in data["values"]]
        return out
    if dtype.kind not in "biufU":
        raise ValueError(f"labels of dtype {dtype}")
    return np.asarray(data["values"], dtype=dtype)


@validate_params(
    {"estimator": "no_validation", "path": [str, os.PathLike]},
    prefer_skip_nested_validation=True,
)
def save_classifier(estimator, path):
    """Save a fitted SoftLabelClassifier as data only, to load without pickle.

    The file holds the estimator's parameters (JSON), ``classes_``,
    ``n_features_in_`` and ``feature_names_in_``, and the module's
    ``state_dict``; :func:`load_classifier` rebuilds the classifier for
    prediction. The optimizer's state and the training history are not kept:
    continue training (``warm_start``, ``partial_fit``) from a pickle instead.

    Parameters such as ``module``, ``criterion`` or ``optimizer`` are code,
    which the file never holds: a parameter left at its default is rebuilt by
    default; any other value that is not plain data (numbers, strings, lists,
    tuples, dicts, arrays) is recorded by name only, and must be given again to
    :func:`load_classifier`.

    Parameters
    ----------
    estimator : SoftLabelClassifier
        A fitted classifier.
    path : str or path-like
        The file to write (conventionally ``.pt``).

    Returns
    -------
    external : list of str
        The parameters recorded by name only, to pass to
        :func:`load_classifier` (empty for the default components).

    See Also
    --------
    load_classifier : Rebuild the classifier from the file.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sksoft.classifier import SoftLabelClassifier
    >>> from sksoft.persistence import load_classifier, save_classifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3)).astype(np.float32)
    >>> y = rng.dirichlet([1.0, 1.0], size=40)
    >>> clf = SoftLabelClassifier(max_epochs=2, random_state=0, verbose=0)
    >>> clf = clf.fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.pt")
    >>> save_classifier(clf, path)
    []
    >>> loaded = load_classifier(path)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    if type(estimator).__name__ not in _CLASSES or not isinstance(
        estimator, _CLASSES[type(estimator).__name__]
    ):
        raise TypeError(
            f"save_classifier saves a SoftLabelClassifier, not "
            f"{type(estimator).__name__}; for scikit-learn estimators use skops.io"
        )
    check_is_fitted(estimator, ["classes_", "module_"])
    defaults = type(estimator)().get_params(deep=False)
    params, external = {}, []
    for name, value in estimator.get_params(deep=False).items():
        if name in defaults and _same(value, defaults[name]):
            continue
        try:
            params[name] = _encode(value)
        except TypeError:
            external.append(name)
    fitted = {
        "classes_": _encode_labels(estimator.classes_),
        "n_features_in_": int(estimator.n_features_in_),
    }
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in_"] = _encode_labels(estimator.feature_names_in_)
    state = {
        key: tensor.detach().cpu()
        for key, tensor in estimator.module_.state_dict().items()
    }
    torch.save(
        {
            "format": _FORMAT,
            "class": type(estimator).__name__,
            "sksoft_version": __version__,
            "params": json.dumps(params),
            "external": list(external),
            "fitted": json.dumps(fitted),
            "state_dict": state,
        },
        Path(path),
    )
    return external


@validate_params({"path": [str, os.PathLike]}, prefer_skip_nested_validation=True)
def load_classifier(path, **params):
    """Load a classifier written by :func:`save_classifier`; runs no pickle.

    The file is read with ``torch.load(weights_only=True)``: a file holding
    anything but tensors and plain containers (a pickled object, whose
    loading would run code) is refused before any of it is built.

    Parameters
    ----------
    path : str or path-like
        The file.
    **params : dict
        Parameters to set, among them those the file records by name only
        (a ``module`` class of your own, another ``optimizer``...): they come
        from your code, never from the file.

    Returns
    -------
    estimator : SoftLabelClassifier
        The classifier, ready to predict.

    See Also
    --------
    save_classifier : Write the file.

    Examples
    --------
    >>> import pickle, tempfile, os
    >>> from sksoft.persistence import load_classifier
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.pt")
    >>> with open(path, "wb") as f:
    ...     pickle.dump(object(), f)
    >>> load_classifier(path)
    Traceback (most recent call last):
    ...
    ValueError: ... is not a sksoft classifier file (or holds code, refused): ...
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():  # torch's note on a pickle protocol
            warnings.simplefilter("ignore", UserWarning)
            data = torch.load(path, weights_only=True, map_location="cpu")
    except FileNotFoundError:
        raise
    except Exception as exc:  # UnpicklingError, RuntimeError, EOFError...
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ValueError(
            f"{str(path)!r} is not a sksoft classifier file (or holds code, "
            f"refused): {first}"
        ) from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ValueError(f"{str(path)!r} is not a sksoft classifier file")
    cls = _CLASSES.get(data.get("class"))
    if cls is None:
        raise ValueError(f"{str(path)!r} names an unknown class {data.get('class')!r}")
    missing = [name for name in data["external"] if name not in params]
    if missing:
        raise ValueError(
            f"{str(path)!r} was saved with parameters that are code, which the "
            f"file does not hold: pass {', '.join(missing)} to load_classifier"
        )
    saved = {k: _decode(v) for k, v in json.loads(data["params"]).items()}
    estimator = cls(**{**saved, **params})
    fitted = json.loads(data["fitted"])
    estimator.classes_ = _decode_labels(fitted["classes_"])
    estimator.n_features_in_ = int(fitted["n_features_in_"])
    if "feature_names_in_" in fitted:
        estimator.feature_names_in_ = _decode_labels(fitted["feature_names_in_"])
    estimator.initialize()
    estimator.module_.load_state_dict(data["state_dict"])
    return estimator
