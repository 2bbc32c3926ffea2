"""Frozen text features computed once per audit, not once per run (private).

A pipeline that starts with a frozen sentence embedder
(:func:`~sksoft.audit._estimators.is_frozen_text_step`: its ``fit`` learns
nothing) gives the same features whichever rows it is fitted on, so
:func:`~sksoft.audit.run_audit` computes them once, for every text, before
the split's runs: each run then trains only the rest of the pipeline (a
scaler and an MLP, which the batched-ensemble path can train), on the cached
matrix. Leaking nothing: no statistic of the test rows enters the features.
"""

import time

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from ._estimators import is_frozen_text_step


def split_frozen_text_step(estimator):
    """``(frozen step, rest)`` of a Pipeline led by a frozen embedder, or None.

    ``rest`` is the Pipeline of the remaining steps (the last step alone when
    only one remains).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import default_text_estimator
    >>> from sksoft.audit._frozen import split_frozen_text_step
    >>> est = default_text_estimator(np.array(["a"], dtype=object), 2,
    ...                              model="minilm-mlp")
    >>> frozen, rest = split_frozen_text_step(est)
    >>> type(frozen).__name__, [type(s).__name__ for _, s in rest.steps]
    ('SentenceEmbeddingTransformer', ['StandardScaler', 'SoftLabelClassifier'])
    >>> split_frozen_text_step(default_text_estimator(
    ...     np.array(["a"], dtype=object), 2)) is None
    True
    """
    if not isinstance(estimator, Pipeline) or len(estimator.steps) < 2:
        return None
    first = estimator.steps[0][1]
    if not is_frozen_text_step(first):
        return None
    rest = estimator.steps[1:]
    return first, (Pipeline(rest) if len(rest) > 1 else rest[0][1])


def compute_frozen_features(frozen, X):
    """The frozen step's features of every row of ``X`` (float32), and a note.

    One ``fit`` and one ``transform`` over all texts: each distinct text is
    embedded once (or read from the step's disk cache).
    """
    start = time.perf_counter()
    step = clone(frozen)
    features = np.ascontiguousarray(step.fit(X).transform(X), dtype=np.float32)
    seconds = time.perf_counter() - start
    note = (
        f"{type(frozen).__name__} ({features.shape[1]} features) computed once for "
        f"all {features.shape[0]} items before the runs, in {seconds:.1f} s "
        "(frozen: its fit learns nothing, so no test statistic enters them)"
    )
    return features, note
