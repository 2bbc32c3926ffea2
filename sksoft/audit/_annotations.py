"""The audit's training-side human labels: annotation budgets and the annotator table.

:func:`budget_labels` gives the human soft labels the arms are trained (and the
calibration controls fitted) on when the audit simulates a budget of ``n``
annotators per item (``run_audit(..., annotators=n)``): one
:func:`~sksoft.sources.subsample_annotations` draw of the vote counts.
:class:`AnnotationTable` holds the per-annotator table of the rows (for the
``human_dawid_skene`` arm) and cuts it to a fold's training rows.
"""

import numpy as np

from ..sources import subsample_annotations
from ..targets import counts_to_proba, encode_labels

__all__ = ["AnnotationTable", "budget_labels"]


def budget_labels(human, counts, annotators, random_state):
    """The ``n``-annotator soft labels of every row, or None without a budget.

    Parameters
    ----------
    human : array-like of shape (n_samples, n_classes)
        The audit's human labels as given (vote counts are needed).
    counts : bool or None
        ``run_audit``'s ``counts`` (None: integer matrices are counts).
    annotators : int or None
        Votes kept per item (items with fewer keep all of theirs).
    random_state : int
        Seed of the draw (the audit's ``random_state``).

    Returns
    -------
    soft : ndarray of shape (n_samples, n_classes) or None
        ``counts_to_proba(subsample_annotations(human, annotators,
        random_state=random_state))``: one draw over all rows, so every fold's
        training rows see the same votes.
    """
    if annotators is None:
        return None
    arr = np.asarray(human)
    is_counts = arr.dtype.kind in "iu" if counts is None else bool(counts)
    if not is_counts:
        raise ValueError(
            f"annotators={annotators} subsamples each item's votes, so the human "
            "labels must be vote counts (integer matrix or counts=True), not soft "
            "labels"
        )
    return counts_to_proba(
        subsample_annotations(arr, int(annotators), random_state=random_state)
    )


class AnnotationTable:
    """The per-annotator table of the audit's rows, checked once.

    Parameters
    ----------
    table : pandas.DataFrame or mapping of columns
        Columns ``item`` (the row position in ``X``, 0-based), ``annotator``
        and ``label`` (an element of ``classes``), one row per answer.
    n_samples : int
        Rows of the audit.
    classes : ndarray of shape (n_classes,)
        The audit's class labels.
    """

    def __init__(self, table, n_samples, classes):
        try:
            cols = {
                key: np.asarray(table[key]) for key in ("item", "annotator", "label")
            }
        except (KeyError, IndexError, TypeError):
            raise ValueError(
                "annotations must be a table with the columns 'item', 'annotator' "
                "and 'label' (one row per answer)"
            ) from None
        lengths = {len(v) for v in cols.values()}
        if len(lengths) != 1 or 0 in lengths:
            raise ValueError(
                "annotations: the columns 'item', 'annotator' and 'label' must be "
                "non-empty and of equal length"
            )
        item = cols["item"]
        if item.dtype.kind not in "iu" or item.min() < 0 or item.max() >= n_samples:
            raise ValueError(
                f"annotations: 'item' must hold row positions 0..{n_samples - 1} "
                "of the audit's data (integers)"
            )
        # labels as column positions: the arms are built on positions
        self.label = encode_labels(
            cols["label"], classes, name="annotation label"
        ).astype(np.int64)
        self.item = item.astype(np.int64)
        self.annotator = cols["annotator"]
        self.n_samples = n_samples

    def rows(self, index):
        """The answers on the rows ``index``, items renumbered ``0..len(index)-1``.

        Labels are column positions ``0..n_classes-1``.
        """
        index = np.asarray(index, dtype=np.int64)
        position = np.full(self.n_samples, -1, dtype=np.int64)
        position[index] = np.arange(index.size)
        keep = position[self.item] >= 0
        return {
            "item": position[self.item[keep]],
            "annotator": self.annotator[keep],
            "label": self.label[keep],
        }
