"""Dawid-Skene soft labels from an annotation table: :func:`dawid_skene`.

Dawid and Skene (1979) model each annotator by a confusion matrix (the
probability of each answer given the true class) and the items by class
priors, and fit both by EM; the E-step posteriors of the true class are soft
labels that weigh annotators by their estimated reliability, where vote
shares (:func:`annotations_to_counts`) weigh every vote alike.
"""

import numbers

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import Bunch

from ..targets import encode_labels
from ..utils._sklearn_compat import HasMethods, Interval, validate_params
from ._annotations import _check_reference_list, _column, _sorted_unique

__all__ = ["dawid_skene"]

# floor of the priors and confusion entries before the logarithm (crowd-kit's)
_EPS = 1e-10


def _m_step(post, item, annot, label, n_annot, k):
    """Class priors and per-annotator confusion matrices from posteriors."""
    priors = post.mean(axis=0)
    # conf[a, c, l] = sum of posteriors P(true c) of a's answers l
    flat = annot * k + label
    conf = np.stack(
        [
            np.bincount(flat, weights=post[item, c], minlength=n_annot * k)
            for c in range(k)
        ],
        axis=1,
    ).reshape(n_annot, k, k)
    conf = np.maximum(conf.transpose(0, 2, 1), _EPS)
    conf /= conf.sum(axis=2, keepdims=True)
    return priors, conf


def _e_step(priors, conf, item, annot, label, n_items):
    """Posteriors of the true class and the mean log-likelihood per answer."""
    k = priors.shape[0]
    log_conf = np.log(conf[annot, :, label])  # (n_answers, k): log P(l | c)
    log_joint = np.tile(np.log(np.maximum(priors, _EPS)), (n_items, 1))
    for c in range(k):
        log_joint[:, c] += np.bincount(item, weights=log_conf[:, c], minlength=n_items)
    log_marginal = logsumexp(log_joint, axis=1, keepdims=True)
    post = np.exp(log_joint - log_marginal)
    return post, float(log_marginal.sum() / item.shape[0])


@validate_params(
    {
        "data": [None, HasMethods(["__getitem__"])],
        "item": [None, "array-like", str, numbers.Integral],
        "annotator": [None, "array-like", str, numbers.Integral],
        "label": [None, "array-like", str, numbers.Integral],
        "classes": [None, "array-like"],
        "items": [None, "array-like"],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def dawid_skene(
    data=None,
    *,
    item="item",
    annotator="annotator",
    label="label",
    classes=None,
    items=None,
    max_iter=100,
    tol=1e-5,
):
    r"""Dawid-Skene posteriors of the true class: soft labels from annotators.

    Fits the Dawid and Skene (1979) model of a long annotation table (one row
    per ``(item, annotator, label)`` answer, the table of
    :func:`annotations_to_counts`) by EM and returns the posterior
    probability of each item's true class.

    Parameters
    ----------
    data : pandas.DataFrame, mapping of columns or None, default=None
        The long table, one row per answer. When ``None``, ``item``,
        ``annotator`` and ``label`` are the columns themselves.
    item : str, int or array-like, default="item"
        Column name of the item identifier (or the column).
    annotator : str, int or array-like, default="annotator"
        Column name of the annotator identifier (or the column).
    label : str, int or array-like, default="label"
        Column name of the answer (or the column).
    classes : array-like of shape (n_classes,), default=None
        Class labels in column order; default: the sorted labels of the table.
    items : array-like of shape (n_items,), default=None
        Item identifiers in row order of the result; default: the sorted items
        of the table. Every item needs at least one answer.
    max_iter : int, default=100
        Maximum number of EM iterations (E-steps after the initialisation).
    tol : float >= 0, default=1e-5
        EM stops when the mean log-likelihood per answer rises by less than
        ``tol`` in an iteration.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        With keys

        proba : ndarray of shape (n_items, n_classes)
            Posterior of the true class per item (rows in ``item_ids``
            order): the Dawid-Skene soft labels.
        classes : ndarray of shape (n_classes,)
            Class labels in column order of ``proba``.
        item_ids : ndarray of shape (n_items,)
            Item identifiers in row order of ``proba``.
        annotator_ids : ndarray of shape (n_annotators,)
            Annotator identifiers in the order of ``confusion``.
        priors : ndarray of shape (n_classes,)
            Fitted class priors.
        confusion : ndarray of shape (n_annotators, n_classes, n_classes)
            ``confusion[a, c, l]``: the fitted probability that annotator
            ``a`` answers ``l`` when the true class is ``c`` (rows sum to 1).
        n_iter : int
            EM iterations run.
        converged : bool
            Whether the tolerance was reached before ``max_iter``.
        log_likelihood : float
            Mean log-likelihood per answer of the data under the parameters
            of the last E-step (EM never lowers it).

    Raises
    ------
    ValueError
        For an empty table, columns of unequal length or with missing values,
        an unknown class or item, or an item without answers.

    See Also
    --------
    annotations_to_counts : Vote counts (every vote weighs the same).

    Notes
    -----
    The posteriors start from the vote shares of each item (majority-vote
    initialisation, as Dawid and Skene and crowd-kit do). The M-step sets the
    priors to the mean posterior and ``confusion[a, c, l]`` proportional to
    the summed posterior mass of class ``c`` over ``a``'s answers ``l``
    (floored at ``1e-10``); the E-step sets

    .. math::

        P(z_i = c) \propto \pi_c \prod_{(a, l) \in \text{answers}(i)}
        \theta^{(a)}_{c l}.

    An annotator may answer an item more than once; every answer counts.

    Dawid and Skene, "Maximum likelihood estimation of observer error-rates
    using the EM algorithm", Applied Statistics 28(1), 1979.

    Examples
    --------
    >>> from sksoft.sources import dawid_skene
    >>> res = dawid_skene(
    ...     item=[0, 0, 0, 1, 1, 1, 2, 2, 2],
    ...     annotator=["a", "b", "c"] * 3,
    ...     label=[0, 0, 1, 1, 1, 1, 0, 0, 0],
    ... )
    >>> res.proba.shape, res.confusion.shape
    ((3, 2), (3, 2, 2))
    >>> res.proba.argmax(axis=1).tolist()
    [0, 1, 0]
    """
    item_col = _column(data, item, "item")
    annot_col = _column(data, annotator, "annotator")
    label_col = _column(data, label, "label")
    lengths = {
        "item": item_col.shape[0],
        "annotator": annot_col.shape[0],
        "label": label_col.shape[0],
    }
    if len(set(lengths.values())) != 1:
        raise ValueError(f"the annotation columns differ in length: {lengths}.")
    if item_col.shape[0] == 0:
        raise ValueError("the annotation table is empty: it has 0 rows.")
    classes = (
        _sorted_unique(label_col, "label")
        if classes is None
        else _check_reference_list(classes, "classes")
    )
    items = (
        _sorted_unique(item_col, "item")
        if items is None
        else _check_reference_list(items, "items")
    )
    label_code = encode_labels(label_col, classes, name="label").astype(np.int64)
    item_code = encode_labels(
        item_col, items, name="item", classes_name="the items"
    ).astype(np.int64)
    annotators = _sorted_unique(annot_col, "annotator")
    annot_code = np.searchsorted(annotators, annot_col).astype(np.int64)
    n_items, k, n_annot = items.shape[0], classes.shape[0], annotators.shape[0]

    counts = np.bincount(item_code * k + label_code, minlength=n_items * k).reshape(
        n_items, k
    )
    totals = counts.sum(axis=1)
    if (totals == 0).any():
        row = int(np.flatnonzero(totals == 0)[0])
        raise ValueError(
            f"item {items[row]!r} (row {row} of items) has no answer; drop it "
            "from items."
        )
    post = counts / totals[:, None]
    priors, conf = _m_step(post, item_code, annot_code, label_code, n_annot, k)
    loglik, converged, n_iter = -np.inf, False, 0
    for n_iter in range(1, max_iter + 1):
        post, new = _e_step(priors, conf, item_code, annot_code, label_code, n_items)
        priors, conf = _m_step(post, item_code, annot_code, label_code, n_annot, k)
        if new - loglik < tol:
            converged = True
            loglik = new
            break
        loglik = new
    return Bunch(
        proba=post,
        classes=classes,
        item_ids=items,
        annotator_ids=annotators,
        priors=priors,
        confusion=conf,
        n_iter=n_iter,
        converged=converged,
        log_likelihood=loglik,
    )
