"""The stratified hold-out split of ``train_split=<float>``."""

import numpy as np

from ._random import draw_seed

__all__ = ["holdout_split"]


def holdout_split(y_hard, valid_size, generator):
    """Sorted ``(train, valid)`` positions, or ``(arange(n), None)`` when too small.

    Stratified on ``y_hard`` when every class has two rows and both sides can
    hold every class; plain random otherwise. The split's seed is drawn from
    ``generator`` only when there is a split.
    """
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    n = len(y_hard)
    n_valid = int(np.ceil(valid_size * n))
    if n < 2 or n_valid < 1 or n - n_valid < 1:
        return np.arange(n), None
    seed = draw_seed(generator)
    _, class_counts = np.unique(y_hard, return_counts=True)
    n_present = len(class_counts)
    stratify = (
        class_counts.min() >= 2 and n_valid >= n_present and n - n_valid >= n_present
    )
    cv_cls = StratifiedShuffleSplit if stratify else ShuffleSplit
    cv = cv_cls(n_splits=1, test_size=n_valid, random_state=seed)
    idx_train, idx_valid = next(cv.split(np.zeros((n, 1)), y_hard))
    return np.sort(idx_train), np.sort(idx_valid)
