"""Annotations -> counts: :func:`annotations_to_counts`."""

import numbers

import numpy as np
from sklearn.utils import Bunch

from ..targets import encode_labels
from ..utils._sklearn_compat import (
    HasMethods,
    StrOptions,
    validate_params,
)

__all__ = [
    "annotations_to_counts",
]


def _is_missing(value):
    """True for None, NaN, NaT and pandas.NA."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses bool()
        return True


def _py(value):
    """A numpy scalar as the python value, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _column(data, key, name):
    """A column of the annotation table as a 1-D numpy array."""
    if data is None:
        values = key
    else:
        try:
            values = data[key]
        except (KeyError, IndexError, TypeError) as exc:
            cols = list(getattr(data, "columns", getattr(data, "keys", list)()))
            raise ValueError(
                f"the annotation table has no {name} column {key!r}; its columns "
                f"are {cols}."
            ) from exc
    if hasattr(values, "to_numpy"):
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(
            f"the {name} column must be 1-D; got an array of shape {arr.shape}."
        )
    if arr.dtype.kind == "f":
        bad = np.isnan(arr)
    elif arr.dtype.kind in "OUSMm":
        bad = np.fromiter((_is_missing(v) for v in arr), bool, count=arr.size)
    else:
        bad = np.zeros(arr.shape, bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"the {name} column has a missing value (NaN/None) at row {row}; drop "
            "or fill incomplete annotation rows first."
        )
    return arr


def _sorted_unique(values, name):
    try:
        return np.unique(values)
    except TypeError as exc:
        raise ValueError(
            f"the {name} values have mixed, unorderable types; pass {name}s "
            "explicitly to fix their order."
        ) from exc


def _check_reference_list(values, name):
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array; got shape {arr.shape}."
        )
    try:
        n_unique = np.unique(arr).size
    except TypeError:
        n_unique = len(set(arr.tolist()))
    if n_unique != arr.size:
        raise ValueError(f"{name} contains duplicates.")
    return arr


@validate_params(
    {
        "data": [None, HasMethods(["__getitem__"])],
        "item": [None, "array-like", str, numbers.Integral],
        "annotator": [None, "array-like", str, numbers.Integral],
        "label": [None, "array-like", str, numbers.Integral],
        "classes": [None, "array-like"],
        "items": [None, "array-like"],
        "duplicates": [StrOptions({"raise", "first", "last", "count"})],
        "missing": [StrOptions({"raise", "zero"})],
    },
    prefer_skip_nested_validation=True,
)
def annotations_to_counts(
    data=None,
    *,
    item="item",
    annotator="annotator",
    label="label",
    classes=None,
    items=None,
    duplicates="raise",
    missing="raise",
):
    """Count the votes of a long annotation table per item and class.

    Parameters
    ----------
    data : pandas.DataFrame, mapping of columns or None, default=None
        The long table, one row per annotation. When ``None``, ``item``,
        ``annotator`` and ``label`` are the columns themselves (array-likes of
        equal length).
    item : str, int or array-like, default="item"
        Column name of the item identifier (or the column when ``data=None``).
    annotator : str, int, array-like or None, default="annotator"
        Column name of the annotator identifier (or the column). ``None``
        means anonymous annotations: no duplicate check is possible.
    label : str, int or array-like, default="label"
        Column name of the chosen class label (or the column).
    classes : array-like of shape (n_classes,), default=None
        Class labels in column order. Default: the sorted set of labels in the
        table (a class nobody chose then gets no column, so pass ``classes``
        whenever the class set is known). A label outside ``classes`` is an
        error.
    items : array-like of shape (n_items,), default=None
        Item identifiers in row order of the result (for example the order of
        your feature matrix). Default: the sorted set of items in the table.
        An item of the table outside ``items`` is an error.
    duplicates : {"raise", "first", "last", "count"}, default="raise"
        Policy for several rows with the same ``(item, annotator)`` pair:
        raise, keep the first or the last of them (table order), or count
        every row.
    missing : {"raise", "zero"}, default="raise"
        Policy for an item of ``items`` that has no annotation: raise, or keep
        an all-zero row (then turn counts into probabilities with a
        ``prior > 0`` in :func:`~sksoft.targets.counts_to_proba`).

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys

        counts : ndarray of shape (n_items, n_classes), dtype int64
            Votes per item (rows in ``items`` order) and class (columns in
            ``classes`` order).
        classes : ndarray of shape (n_classes,)
            The class order of the columns.
        item_ids : ndarray of shape (n_items,)
            The item order of the rows (named ``item_ids`` because
            ``Bunch.items`` is the dict method).
        n_annotations : ndarray of shape (n_items,), dtype int64
            Number of annotations counted per item (``counts.sum(axis=1)``).
        n_duplicates : int
            Number of rows that repeated an earlier ``(item, annotator)`` pair
            (dropped unless ``duplicates="count"``).

    Raises
    ------
    ValueError
        For an empty table, columns of unequal length or not 1-D, missing
        values (NaN/None) in a column, an unknown class or item, duplicate
        ``(item, annotator)`` rows with ``duplicates="raise"`` and items without
        annotations with ``missing="raise"``.

    See Also
    --------
    sksoft.targets.counts_to_proba : Turn the counts into probability rows.
    simulate_multinomial_panel : Simulated counts from given probabilities.

    Examples
    --------
    >>> from sksoft.sources import annotations_to_counts
    >>> res = annotations_to_counts(
    ...     item=["a", "a", "a", "b", "b"],
    ...     annotator=[1, 2, 3, 1, 2],
    ...     label=["cat", "dog", "cat", "dog", "dog"],
    ...     classes=["cat", "dog", "fox"],
    ... )
    >>> res.counts
    array([[2, 1, 0],
           [0, 2, 0]])
    >>> res.item_ids, res.n_annotations
    (array(['a', 'b'], dtype='<U1'), array([3, 2]))
    """
    item_col = _column(data, item, "item")
    label_col = _column(data, label, "label")
    annot_col = None if annotator is None else _column(data, annotator, "annotator")
    n = item_col.shape[0]
    lengths = {"item": n, "label": label_col.shape[0]}
    if annot_col is not None:
        lengths["annotator"] = annot_col.shape[0]
    if len(set(lengths.values())) != 1:
        raise ValueError(f"the annotation columns differ in length: {lengths}.")
    if n == 0:
        raise ValueError("the annotation table is empty: it has 0 rows.")

    if classes is None:
        classes = _sorted_unique(label_col, "label")
    else:
        classes = _check_reference_list(classes, "classes")
    if items is None:
        items = _sorted_unique(item_col, "item")
    else:
        items = _check_reference_list(items, "items")

    label_code = encode_labels(label_col, classes, name="label")
    item_code = encode_labels(item_col, items, name="item", classes_name="the items")

    keep = np.ones(n, dtype=bool)
    n_duplicates = 0
    if annot_col is not None:
        _, annot_code = np.unique(
            np.asarray([str(type(v)) + repr(v) for v in annot_col.tolist()])
            if annot_col.dtype.kind == "O"
            else annot_col,
            return_inverse=True,
        )
        annot_code = annot_code.ravel()
        n_annot = int(annot_code.max()) + 1
        pair = item_code.astype(np.int64) * n_annot + annot_code
        order = np.argsort(pair, kind="stable")
        sorted_pair = pair[order]
        repeat = np.zeros(n, dtype=bool)
        repeat[1:] = sorted_pair[1:] == sorted_pair[:-1]
        n_duplicates = int(repeat.sum())
        if n_duplicates:
            if duplicates == "raise":
                pos = int(np.flatnonzero(repeat)[0])
                first, second = sorted(order[pos - 1 : pos + 1])
                raise ValueError(
                    f"annotator {_py(annot_col[second])!r} labelled item "
                    f"{_py(item_col[second])!r} more than once (rows {first} and "
                    f"{second}; {n_duplicates} duplicate row(s) in all). Pass "
                    "duplicates='first', 'last' or 'count' to choose a policy."
                )
            if duplicates == "first":
                keep[order[repeat]] = False
            elif duplicates == "last":
                last = np.zeros(n, dtype=bool)
                last[:-1] = sorted_pair[:-1] == sorted_pair[1:]
                keep[order[last]] = False

    n_items, n_classes = items.shape[0], classes.shape[0]
    flat = item_code[keep].astype(np.int64) * n_classes + label_code[keep]
    counts = np.bincount(flat, minlength=n_items * n_classes).reshape(
        n_items, n_classes
    )
    counts = counts.astype(np.int64)
    n_annotations = counts.sum(axis=1)
    empty = n_annotations == 0
    if empty.any() and missing == "raise":
        row = int(np.flatnonzero(empty)[0])
        raise ValueError(
            f"item {_py(items[row])!r} (row {row} of items; {int(empty.sum())} item(s) "
            "in all) has no annotation. Pass missing='zero' to keep all-zero rows."
        )
    return Bunch(
        counts=counts,
        classes=classes,
        item_ids=items,
        n_annotations=n_annotations,
        n_duplicates=n_duplicates,
    )
