"""The inputs of :func:`sksoft.evaluate_predictions`: files and arrays (private).

Every check raises a one-line ``ValueError`` naming the argument (and the file);
the command (``sksoft evaluate``) rewrites the argument names into its options.
"""

import csv
import os

import numpy as np

from ..targets import check_probabilities, check_soft_targets


def _read_csv_rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [[c.strip() for c in row] for row in csv.reader(fh)]
    rows = [row for row in rows if any(row)]
    if not rows:
        raise ValueError(f"{path} is empty: no rows to read.")
    return rows


def _numeric_csv(path):
    """A numeric matrix; one header row is tolerated."""
    rows = _read_csv_rows(path)
    for skip in (0, 1):  # tolerate one header row
        try:
            arr = np.asarray([[float(c) for c in row] for row in rows[skip:]])
            if arr.size == 0:
                raise ValueError(f"{path} has a header row but no data rows.")
            break
        except ValueError as exc:
            if "header row but no data" in str(exc):
                raise
            continue
    else:
        raise ValueError(f"cannot read {path} as a numeric CSV matrix.")
    if arr.ndim != 2:
        raise ValueError(f"{path}: every row must have the same number of columns.")
    return arr[:, 0] if arr.shape[1] == 1 else arr


def _check_path(path):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"file not found: {path}")
    if not path.endswith((".npy", ".csv")):
        raise ValueError(f"{path}: only .npy and .csv files are read.")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path} is empty: no rows to read.")
    return path


def load_array(path):
    """A numeric array from a ``.npy`` or ``.csv`` file (one header row allowed)."""
    path = _check_path(path)
    if path.endswith(".npy"):
        try:
            return np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"cannot read {path} as a numeric .npy array: {exc}")
    return _numeric_csv(path)


def load_labels(path):
    """Labels from a ``.npy`` or a one-column ``.csv``: numbers or class names.

    A ``.csv`` is read as text (the first row may be a header: it is dropped
    when it is not a label, see :func:`check_gold`).
    """
    path = _check_path(path)
    if path.endswith(".npy"):
        return load_array(path)
    rows = _read_csv_rows(path)
    if any(len(row) != 1 for row in rows):
        raise ValueError(f"{path}: gold labels must be one column (one per row).")
    return np.array([row[0] for row in rows], dtype=object)


def as_input(value, loader=load_array):
    if isinstance(value, (str, os.PathLike)):
        return loader(value)
    return value


def _seeds_of(value):
    if isinstance(value, (list, tuple)) and value:
        first = value[0]
        nested = isinstance(first, (str, os.PathLike)) or np.ndim(first) >= 2
        return list(value) if nested else [value]  # else: one matrix as lists
    return [value]


def _check_seed(name, seed, i, n_seeds):
    label = f"probs[{name!r}]" + (f"[{i}]" if n_seeds > 1 else "")
    if isinstance(seed, (str, os.PathLike)):  # errors name the file
        label += f" (file {os.fspath(seed)})"
    arr = np.asarray(as_input(seed))
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{label} must be numeric; got dtype {arr.dtype}.")
    arr = check_probabilities(arr, input_name=label)
    return np.asarray(arr, dtype=np.float64)


def check_model_probs(probs):
    """name -> list of validated float64 (n, K) arrays."""
    if not isinstance(probs, dict) or not probs:
        raise ValueError(
            "probs must be a non-empty dict: model name -> array (n_samples, "
            "n_classes), list of such arrays (one per seed) or file path(s)."
        )
    out = {}
    for name, value in probs.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"model names must be non-empty strings; got {name!r}.")
        seeds = _seeds_of(value)
        if not seeds:
            raise ValueError(f"model {name!r} has no predictions.")
        arrays = [_check_seed(name, s, i, len(seeds)) for i, s in enumerate(seeds)]
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"the seeds of model {name!r} differ in shape: {shapes}.")
        out[name] = arrays
    return out


def _as_position(value, k):
    """``value`` as a column position 0..k-1, or None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(number) or number != int(number):
        return None
    return int(number) if 0 <= number < k else None


def _key(value):
    """A label as text, ``3`` and ``3.0`` alike."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return (
        str(int(number))
        if np.isfinite(number) and number == int(number)
        else str(value)
    )


def _by_names(values, classes):
    lookup = {_key(c): i for i, c in enumerate(classes.tolist())}
    return [lookup.get(_key(v)) for v in values]


def _map_gold(values, classes, k):
    """Column positions of ``values``: class names, else positions."""
    if classes is not None:
        names = _by_names(values, classes)
        if all(i is not None for i in names):
            return names
    positions = [_as_position(v, k) for v in values]
    if all(i is not None for i in positions):
        return positions
    bad = next(
        v
        for i, v in enumerate(values)
        if positions[i] is None and (classes is None or names[i] is None)
    )
    if classes is None:
        raise ValueError(
            f"gold label {bad!r} is not a column position 0..{k - 1}; pass "
            "classes (in the column order of the probabilities) to map class "
            "names."
        )
    raise ValueError(
        f"gold label {bad!r} is not one of classes nor a column position 0..{k - 1}."
    )


def check_gold(gold, n, classes, k):
    """Gold labels as column positions (``intp``).

    Labels are class names (of ``classes``) or column positions ``0..K-1``;
    a ``.csv`` may start with one header row.
    """
    gold = np.asarray(as_input(gold, load_labels))
    if gold.ndim != 1:
        raise ValueError(f"gold must be 1-D (one label per sample); got {gold.shape}.")
    values = gold.tolist()
    if len(values) == n + 1 and gold.dtype == object:
        try:  # a header row of a .csv
            return np.array(_map_gold(values[1:], classes, k), dtype=np.intp)
        except ValueError:
            pass
    if len(values) != n:
        raise ValueError(f"gold has {len(values)} labels but the models {n} rows.")
    return np.array(_map_gold(values, classes, k), dtype=np.intp)


def _check_classes(classes, k):
    if classes is None:
        return None
    classes = np.asarray(classes)
    if classes.ndim != 1 or len(classes) != k:
        raise ValueError(f"classes must list {k} names; got {classes.shape}.")
    if len(set(classes.tolist())) != k:
        raise ValueError("classes must be distinct.")
    return classes


def _check_same_shape(models):
    first = next(iter(models.values()))[0]
    n, k = first.shape
    for name, arrays in models.items():
        if arrays[0].shape[1] != k:
            raise ValueError(
                f"model {name!r} has {arrays[0].shape[1]} classes but the first "
                f"model has {k}."
            )
        if arrays[0].shape[0] != n:
            raise ValueError(
                f"model {name!r} has {arrays[0].shape[0]} rows but the first "
                f"model has {n}."
            )
    return n, k


def _check_human(counts, soft_labels, n, k):
    if (counts is None) == (soft_labels is None):
        raise ValueError("pass exactly one of counts and soft_labels (human labels).")
    given = counts if counts is not None else soft_labels
    label = "counts" if counts is not None else "soft_labels"
    if isinstance(given, (str, os.PathLike)):  # errors name the file
        label += f" (file {os.fspath(given)})"
    raw = np.asarray(as_input(given))
    if raw.ndim != 2:
        raise ValueError(
            f"{label} must be 2-D (n_samples, n_classes); got {raw.shape}."
        )
    if raw.shape != (n, k):
        raise ValueError(
            f"{label} has shape {raw.shape} but the probabilities {(n, k)}."
        )
    human = check_soft_targets(raw, counts=counts is not None, input_name=label)
    return np.asarray(human, dtype=np.float64)


def check_inputs(probs, counts, soft_labels, gold, classes):
    """Validated ``(models, human, gold positions or None, classes or None)``."""
    models = check_model_probs(probs)
    n, k = _check_same_shape(models)
    human = _check_human(counts, soft_labels, n, k)
    classes = _check_classes(classes, k)
    gold_idx = None if gold is None else check_gold(gold, n, classes, k)
    return models, human, gold_idx, classes
