"""Class names from the columns of a DataFrame ``y`` (private).

A pandas (or polars) DataFrame of soft targets names its classes by its
columns; the estimators and :func:`sksoft.model_selection.cross_val_predict`
take those names as ``classes_`` when no ``classes`` is given.
"""

import numpy as np


def frame_classes(y):
    """Column names of a 2-D DataFrame ``y`` of several columns, else None.

    Examples
    --------
    >>> import pandas as pd
    >>> from sksoft.utils._frames import frame_classes
    >>> frame_classes(pd.DataFrame({"cat": [0.2], "dog": [0.8]})).tolist()
    ['cat', 'dog']
    >>> frame_classes([[0.2, 0.8]]) is None
    True
    """
    columns = getattr(y, "columns", None)
    if columns is None or len(columns) < 2 or getattr(y, "ndim", 2) != 2:
        return None
    return np.asarray(list(columns))


def check_frame_columns(y, classes, what):
    """Refuse a DataFrame ``y`` whose columns are ``classes`` in another order.

    Other column names (e.g. ``"p_cat"``) are read by position.

    Examples
    --------
    >>> import pandas as pd
    >>> from sksoft.utils._frames import check_frame_columns
    >>> y = pd.DataFrame({"dog": [0.8], "cat": [0.2]})
    >>> check_frame_columns(y, ["cat", "dog"], "classes")
    Traceback (most recent call last):
    ...
    ValueError: The columns of the y DataFrame ['dog', 'cat'] are classes ...
    """
    names = frame_classes(y)
    if names is None:
        return
    classes = np.asarray(classes)
    try:
        same_set = names.shape == classes.shape and set(names.tolist()) == set(
            classes.tolist()
        )
    except TypeError:  # unhashable names
        return
    if same_set and names.tolist() != classes.tolist():
        raise ValueError(
            f"The columns of the y DataFrame {names.tolist()} are {what} "
            f"{classes.tolist()} in another order; reorder the columns."
        )
