"""What a seed varies: the audit's seed designs and duplicate-aware splits (private).

Three designs (``run_audit(seed_design=...)``):

- ``"init"``: one split for every seed; a seed changes the model's
  initialisation and batch order only (the audit before this option).
- ``"split"``: each seed also draws its own train/test split (stratified on
  gold, group-aware with groups; with ``cv``, its own fold partition), with
  the same ``test_size``. All arms of a seed share that seed's split, so
  the pairing by seed stays valid.
- ``"resample"``: one test set; each seed trains on its own random
  subsample of the training rows (:data:`RESAMPLE_SHARE` of them, stratified,
  whole groups): the design for a data set with a fixed (official) test set.

``inits_per_split`` seeds in a row share one split (or resample): seeds
``0..r-1`` the first, ``r..2r-1`` the second, ...; the spread over seeds can
then be decomposed into initialisation/order and data
(:func:`sksoft.audit._stability.variance_components`).

Texts that are identical after case and whitespace normalisation
(:func:`normalise_text`) form groups (:func:`duplicate_groups`), merged with
the user's groups (:func:`combine_groups`), so a duplicate never sits on both
sides of a split.
"""

import numbers

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from sklearn.model_selection import GroupShuffleSplit, train_test_split
from sklearn.utils import check_random_state

from ._estimators import find_net
from ._metrics import labels_are_simulated

SEED_DESIGNS = ("init", "split", "resample")

#: share of the training rows each seed of the ``"resample"`` design trains
#: on: ``1 - 1/e``, the expected share of distinct rows in a bootstrap
#: resample, drawn without replacement (a row drawn twice would sit on both
#: sides of the inner splits of the calibration arms and of a validation split)
RESAMPLE_SHARE = 1.0 - np.exp(-1.0)


def normalise_text(text):
    """``text`` lower-cased with every run of whitespace one space, stripped.

    Examples
    --------
    >>> normalise_text("  Hello,\\tWORLD \\n")
    'hello, world'
    """
    return " ".join(str(text).lower().split())


def duplicate_groups(X):
    """Group codes of texts equal after :func:`normalise_text` (all columns).

    Parameters
    ----------
    X : ndarray of shape (n_samples,) or (n_samples, n_columns), dtype object
        Texts (a row of several columns is one text: every column must match).

    Returns
    -------
    codes : ndarray of shape (n_samples,)
        Equal codes for duplicate rows, codes ``0..G-1`` in order of first
        appearance.
    n_duplicate_groups : int
        Groups of at least two rows.
    n_duplicate_rows : int
        Rows in those groups.

    Examples
    --------
    >>> import numpy as np
    >>> codes, g, r = duplicate_groups(np.array(["A b", "c", "a  B"], object))
    >>> codes.tolist(), g, r
    ([0, 1, 0], 1, 2)
    """
    X = np.asarray(X, dtype=object)
    rows = X[:, None] if X.ndim == 1 else X
    keys = ["\x1f".join(normalise_text(v) for v in row) for row in rows]
    first = {}
    codes = np.fromiter(
        (first.setdefault(k, len(first)) for k in keys), np.int64, len(keys)
    )
    sizes = np.bincount(codes)
    return codes, int((sizes > 1).sum()), int(sizes[sizes > 1].sum())


def combine_groups(*codes):
    """Connected components of several groupings: rows sharing any group join.

    ``None`` entries are skipped; returns None when all are None.

    Examples
    --------
    >>> import numpy as np
    >>> combine_groups(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2])).tolist()
    [0, 0, 0, 1]
    """
    codes = [np.asarray(c, dtype=np.int64) for c in codes if c is not None]
    if not codes:
        return None
    n = codes[0].size
    rows, cols, offset = [], [], n
    for c in codes:
        rows.append(np.arange(n))
        cols.append(offset + c)
        offset += int(c.max()) + 1
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    graph = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(offset, offset))
    _, labels = connected_components(graph, directed=False)
    _, out = np.unique(labels[:n], return_inverse=True)
    # codes in order of first appearance
    order = {}
    return np.fromiter((order.setdefault(v, len(order)) for v in out), np.int64, n)


def group_stratified_split(strat, groups, test_size, random_state):
    """``(train, test)`` keeping groups whole, stratified on each group's first row.

    For groups that are mostly single rows (duplicate texts): the groups are
    split like rows with :func:`~sklearn.model_selection.train_test_split`
    (stratified on the label of each group's first row when every class has
    two groups), so the test share of *groups* is ``test_size``.
    """
    codes = np.asarray(groups)
    uniq, first = np.unique(codes, return_index=True)
    labels = np.asarray(strat)[first]
    _, counts = np.unique(labels, return_counts=True)
    train_g, test_g = train_test_split(
        np.arange(first.size),
        test_size=test_size,
        random_state=random_state,
        stratify=labels if counts.min() >= 2 else None,
    )
    is_test = np.isin(codes, uniq[test_g])
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def split_seed(random_state, split_id):
    """The integer seed of split ``split_id`` drawn from the audit's ``random_state``.

    Examples
    --------
    >>> split_seed(0, 3) == split_seed(0, 3) != split_seed(1, 3)
    True
    """
    if isinstance(random_state, numbers.Integral):
        base = int(random_state)
    else:  # None or a RandomState: one draw fixes every split
        base = int(check_random_state(random_state).randint(2**31 - 1))
    return int(np.random.SeedSequence([base, int(split_id)]).generate_state(1)[0])


def resolve_seed_design(seed_design, provenance, *, fixed_test=False):
    """The design to run: ``"auto"`` is ``"split"`` for human labels, else ``"init"``.

    Human labels are those whose ``provenance["labels"]`` does not say
    "simulated" (a registered data set states it, :mod:`sksoft.datasets`);
    with a fixed (official) test set ``"auto"`` resamples the training rows
    instead, and ``"split"`` is refused.
    """
    if seed_design == "auto":
        prov = dict(provenance or {})
        human = "labels" in prov and not labels_are_simulated(prov)
        if not human:
            return "init"
        return "resample" if fixed_test else "split"
    if seed_design == "split" and fixed_test:
        raise ValueError(
            "seed_design='split' draws a new test set per seed, but the test set "
            "is fixed (an official split): use seed_design='resample'"
        )
    return seed_design


def split_ids(seeds, inits_per_split):
    """Split index of each seed: ``inits_per_split`` seeds in a row share one.

    Examples
    --------
    >>> split_ids([0, 1, 2, 3, 4], 2)
    [0, 0, 1, 1, 2]
    """
    return [j // int(inits_per_split) for j in range(len(seeds))]


def resample_folds(folds, strat, groups, random_state):
    """Each fold's training rows subsampled to :data:`RESAMPLE_SHARE` (test rows kept).

    Stratified on ``strat``; with groups, whole groups are drawn
    (:class:`~sklearn.model_selection.GroupShuffleSplit`, the share is then
    of the groups).
    """
    out = []
    for f, (train, test) in enumerate(folds):
        rs = split_seed(random_state, f)
        if groups is not None:
            gss = GroupShuffleSplit(
                n_splits=1, train_size=RESAMPLE_SHARE, random_state=rs
            )
            keep, _ = next(gss.split(train, strat[train], groups[train]))
        else:
            _, counts = np.unique(strat[train], return_counts=True)
            keep, _ = train_test_split(
                np.arange(train.size),
                train_size=RESAMPLE_SHARE,
                random_state=rs,
                stratify=strat[train] if counts.min() >= 2 else None,
            )
        out.append((np.sort(train[keep]), test))
    return out


def seed_folds(
    design,
    seeds,
    inits_per_split,
    make_folds,
    base_folds,
    *,
    strat,
    groups,
    random_state,
):
    """Every distinct fold list and the one each seed uses.

    Parameters
    ----------
    design : {"init", "split", "resample"}
    seeds : list of int
    inits_per_split : int
    make_folds : callable
        ``make_folds(random_state) -> [(train, test)]``: the audit's split.
    base_folds : list of (ndarray, ndarray)
        The folds of the audit's ``random_state`` (the ``"init"`` split).

    Returns
    -------
    folds : list of (ndarray, ndarray)
        Every fold of every distinct split, concatenated.
    fold_ids : dict of int to tuple of int
        Seed -> positions in ``folds`` of its folds.
    seed_split : dict of int to int
        Seed -> its split index.
    """
    ids = split_ids(seeds, inits_per_split) if design != "init" else [0] * len(seeds)
    folds, first = [], {}
    for seed, j in zip(seeds, ids):
        if j in first:
            continue
        if design == "init":
            these = base_folds
        elif design == "split":
            these = make_folds(split_seed(random_state, j))
        else:
            these = resample_folds(
                base_folds, strat, groups, split_seed(random_state, 1000 + j)
            )
        first[j] = tuple(range(len(folds), len(folds) + len(these)))
        folds.extend(these)
    fold_ids = {seed: first[j] for seed, j in zip(seeds, ids)}
    return folds, fold_ids, dict(zip(seeds, ids))


def is_convex_model(estimator):
    """Whether ``estimator`` is (or ends in) a soft-label net without hidden layer.

    Such a model (multinomial logistic regression on its features) has one
    optimum: a seed changes only its path there, not where it ends.
    """
    net, _ = find_net(estimator)
    if net is None or getattr(net, "module", None) is not None:
        return False
    sizes = getattr(net, "hidden_layer_sizes", None)
    return sizes is not None and len(tuple(sizes)) == 0


def fixed_folds(test_rows, n, *, cv=None, dup_codes=None):
    """``([(train, test)], n_dropped)`` of a fixed (official) test set.

    ``test_rows``: boolean mask of the test rows. Training rows whose text
    duplicates a test text (equal ``dup_codes``) are left out of training,
    so no duplicate sits on both sides; ``n_dropped`` counts them.
    """
    mask = np.asarray(test_rows)
    if mask.ndim == 2 and mask.shape[1] == 1:
        mask = mask.ravel()
    if mask.shape != (n,) or mask.dtype != bool:
        raise ValueError(
            f"test_rows must be a boolean mask of length {n} (True = a test row), "
            f"got dtype {mask.dtype} and shape {mask.shape}"
        )
    if cv is not None:
        raise ValueError("test_rows fixes the test set; it cannot be used with cv")
    test = np.flatnonzero(mask)
    train = np.flatnonzero(~mask)
    dropped = 0
    if dup_codes is not None:
        clash = np.isin(dup_codes[train], dup_codes[test])
        dropped = int(clash.sum())
        train = train[~clash]
    if test.size < 2 or train.size < 2:
        raise ValueError(
            f"test_rows leaves {train.size} training and {test.size} test rows; "
            "each side needs at least 2"
        )
    return [(train, test)], dropped
