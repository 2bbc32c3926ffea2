"""A testbed with known ambiguity: clean digits and blends of two digits."""

import numbers

import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.utils import Bunch, check_random_state

from ..sources import simulate_noisy_observer_panel
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)

__all__ = ["make_ambiguous_digits"]

DESCR = """\
Ambiguous digits (SIMULATED soft labels)
----------------------------------------

A testbed with known ambiguity built from scikit-learn's bundled 8 x 8
handwritten digits (1,797 images; no download). The bundled digits are split
at random into a *reference* pool and an *item* pool. Items are either clean
digits of the item pool or pixel-wise blends ``w * a + (1 - w) * b`` of two
item-pool digits of different classes, with a mixing weight ``w`` above 1/2:

- ``target`` (gold) is the class of the dominant source digit ``a``;
- ``mixture`` is the generative mixture ``w e_a + (1 - w) e_b`` (one-hot for
  clean digits);
- ``counts`` / ``soft_target`` are the votes of a SIMULATED "noisy observer"
  panel (``sksoft.sources.simulate_noisy_observer_panel``): each simulated
  observer sees a perturbed copy of the image and votes the class that a
  reference classifier, fitted on the reference pool only (disjoint from the
  items), predicts. The vote spread follows how ambiguous the image is, and
  the majority can differ from gold. These labels are human-LIKE, not human.

The item pool is partitioned by source digit, stratified by class, into
``n_groups`` disjoint groups *before* blending, and every item (clean or
blended) is built from the digits of one group only: ``groups`` holds each
item's group. Within a group a digit may appear clean and inside blends;
across groups no source digit is shared, and reference-pool digits are never
used. ``split`` is a fixed train/test split by group (the last
``round(test_size * n_groups)`` groups are "test"), so no test item shares a
source digit with a training item; any group-aware splitter
(``GroupKFold``, ``GroupShuffleSplit``) on ``groups`` has the same property.
A random row split would not: blends reuse digits, so test items would share
sources with training items.

**Soft labels: SIMULATED** (noisy-observer panel).

:Source: UCI ML hand-written digits (Optical Recognition of Handwritten
    Digits), as bundled with scikit-learn (``sklearn.datasets.load_digits``).
:Licence: CC BY 4.0 (UCI Machine Learning Repository); the blending and the
    simulated panel are sksoft's (BSD-3-Clause).
:Citation: E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten
    Digits", UCI Machine Learning Repository, 1998.
"""


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 2, None, closed="left")],
        "ambiguous_fraction": [Interval(numbers.Real, 0, 1, closed="both")],
        "mixing_range": [tuple, list],
        "n_annotators": [Interval(numbers.Integral, 1, None, closed="left")],
        "perturbation": [StrOptions({"noise", "blur", "occlusion"}), callable],
        "strength": [Interval(numbers.Real, 0, None, closed="left")],
        "reference_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "reference_estimator": [None, HasMethods(["fit", "predict"])],
        "n_groups": [Interval(numbers.Integral, 2, None, closed="left")],
        "test_size": [Interval(numbers.Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_ambiguous_digits(
    n_samples=1500,
    ambiguous_fraction=0.3,
    *,
    mixing_range=(0.5, 0.8),
    n_annotators=6,
    perturbation="noise",
    strength=0.25,
    reference_fraction=0.3,
    reference_estimator=None,
    n_groups=10,
    test_size=0.3,
    random_state=None,
):
    """Clean and blended handwritten digits with SIMULATED human-like soft labels.

    No download: built from :func:`sklearn.datasets.load_digits`. Takes well
    under a second at the default size; it is the embedded default data set
    of the sksoft audit.

    Parameters
    ----------
    n_samples : int, default=1500
        Number of items.
    ambiguous_fraction : float in [0, 1], default=0.3
        Share of items that are blends of two digits of different classes.
        The clean items are drawn without replacement from the item pool, so
        ``round(n_samples * (1 - ambiguous_fraction))`` may not exceed its
        size (about 1,250 with the default ``reference_fraction``), and
        neither may any group's share of them exceed the group's digits.
    mixing_range : tuple (low, high), default=(0.5, 0.8)
        The weight ``w`` of the dominant digit is uniform on ``(low, high)``,
        with ``0.5 <= low < high <= 1``.
    n_annotators : int, default=6
        Simulated observers per item.
    perturbation : {"noise", "blur", "occlusion"} or callable, default="noise"
        What each simulated observer sees (see
        :func:`~sksoft.sources.simulate_noisy_observer_panel`).
    strength : float >= 0, default=0.25
        Perturbation strength (for ``"noise"``: the noise standard deviation
        as a share of the 0-16 pixel range).
    reference_fraction : float in (0, 1), default=0.3
        Share of the 1,797 bundled digits that only train the reference
        classifier (disjoint from every item).
    reference_estimator : classifier, default=None
        Reference classifier of the simulated observers (cloned and fitted on
        the reference pool). Default: ``SVC(gamma="scale")``.
    n_groups : int >= 2, default=10
        The item pool is partitioned into this many disjoint groups of source
        digits (stratified by class) before blending; each item is built from
        one group's digits, and clean items and blends are each spread evenly
        over the groups. At most ``n_samples``.
    test_size : float in (0, 1), default=0.3
        Share of the groups (``round(test_size * n_groups)``, at least one and
        at most ``n_groups - 1``) whose items form the "test" side of
        ``split``.
    random_state : int, RandomState instance or None, default=None
        Seed of the split, the blends and the panel.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        data : ndarray of shape (n_samples, 64)
            Pixels in [0, 16] (as :func:`~sklearn.datasets.load_digits`).
        images : ndarray of shape (n_samples, 8, 8)
            The same pixels as 8 x 8 images.
        target : ndarray of shape (n_samples,), dtype int64
            Gold label: the class of the dominant source digit.
        soft_target : ndarray of shape (n_samples, 10)
            SIMULATED panel proportions ``counts / n_annotators``.
        counts : ndarray of shape (n_samples, 10), dtype int64
            SIMULATED noisy-observer votes.
        mixture : ndarray of shape (n_samples, 10)
            Generative mixture ``w e_a + (1 - w) e_b`` (one-hot when clean).
        mixing_weight : ndarray of shape (n_samples,)
            ``w`` (1.0 for clean items).
        is_ambiguous : ndarray of shape (n_samples,), dtype bool
            True for blends.
        source_index : ndarray of shape (n_samples, 2), dtype int64
            Indices into ``load_digits()`` of the source digits (second
            column -1 for clean items).
        reference_index : ndarray
            Indices into ``load_digits()`` of the reference pool.
        groups : ndarray of shape (n_samples,), dtype int64
            The source-digit group (0 to ``n_groups - 1``) each item is built
            from; items of different groups share no source digit. Pass it to
            a group-aware splitter (``GroupKFold``, ``GroupShuffleSplit``).
        split : ndarray of shape (n_samples,), dtype object
            ``"train"`` or ``"test"``: a fixed split by group, with no source
            digit shared across it.
        reference_estimator : estimator
            The fitted reference classifier.
        target_names : ndarray of shape (10,)
            The class names (digits 0-9).
        feature_names : list of str
            Pixel names.
        soft_labels : str
            ``"simulated"``.
        licence, citation, source_url : str
            Licence, citation and home of the source digits.
        DESCR : str
            Description of the data set.

    See Also
    --------
    sksoft.sources.simulate_noisy_observer_panel : The simulated panel.
    sksoft.sources.make_supervision_arms : Build the comparison arms from it.

    Examples
    --------
    >>> from sksoft.datasets import make_ambiguous_digits
    >>> d = make_ambiguous_digits(n_samples=300, random_state=0)
    >>> d.data.shape, d.counts.shape, int(d.is_ambiguous.sum())
    ((300, 64), (300, 10), 90)
    >>> bool((d.counts.sum(axis=1) == 6).all()), d.soft_labels
    (True, 'simulated')

    Split by source digit: the fixed ``split``, or any group-aware splitter on
    ``groups``; either way no test item shares a source digit with training.

    >>> train, test = d.split == "train", d.split == "test"
    >>> int(train.sum()), int(test.sum())
    (210, 90)
    >>> shared = set(d.source_index[train].ravel()) & set(d.source_index[test].ravel())
    >>> shared - {-1}
    set()
    >>> from sklearn.model_selection import GroupKFold
    >>> folds = GroupKFold(n_splits=5).split(d.data, d.target, groups=d.groups)
    """
    low, high = (float(v) for v in mixing_range) if len(mixing_range) == 2 else (0, -1)
    if not 0.5 <= low < high <= 1.0:
        raise ValueError(
            f"mixing_range must be (low, high) with 0.5 <= low < high <= 1; got "
            f"{tuple(mixing_range)}."
        )
    rng = check_random_state(random_state)
    digits = load_digits()
    X_all, y_all = digits.data, digits.target.astype(np.int64)
    n_all = y_all.shape[0]
    perm = rng.permutation(n_all)
    n_ref = int(round(reference_fraction * n_all))
    ref_idx, pool = np.sort(perm[:n_ref]), perm[n_ref:]
    if np.unique(y_all[ref_idx]).size < 10 or pool.size < 2:
        raise ValueError("reference_fraction leaves a class or the item pool empty.")

    n_amb = int(round(ambiguous_fraction * n_samples))
    n_clean = n_samples - n_amb
    if n_clean > pool.size:
        raise ValueError(
            f"{n_clean} clean items requested but the item pool holds only "
            f"{pool.size} distinct digits; lower n_samples, raise "
            "ambiguous_fraction or lower reference_fraction."
        )
    if n_groups > min(n_samples, pool.size):
        raise ValueError(
            f"n_groups={n_groups} exceeds n_samples={n_samples} or the "
            f"{pool.size} digits of the item pool; every group needs an item "
            "and a digit."
        )
    # partition the item pool by source digit BEFORE blending: deal the
    # class-sorted (randomly ordered within class) digits round-robin
    dealt = pool[np.argsort(y_all[pool], kind="stable")]
    pool_group = np.arange(dealt.size) % n_groups
    # items dealt round-robin over the groups (clean ones, then blends, from a
    # random start): every kind and every group's total differ by at most one
    item_group = (np.arange(n_samples) + rng.randint(n_groups)) % n_groups
    n_clean_g = np.bincount(item_group[:n_clean], minlength=n_groups)
    n_amb_g = np.bincount(item_group[n_clean:], minlength=n_groups)
    clean_idx, a, b = [], [], []
    for g in range(n_groups):
        members = dealt[pool_group == g]
        if n_clean_g[g] > members.size:
            raise ValueError(
                f"group {g} needs {n_clean_g[g]} clean items but holds only "
                f"{members.size} distinct digits; lower n_samples or n_groups, "
                "or raise ambiguous_fraction."
            )
        if n_amb_g[g] and np.unique(y_all[members]).size < 2:
            raise ValueError(
                f"group {g} holds digits of fewer than two classes and cannot "
                "hold blends; lower n_groups."
            )
        clean_idx.append(rng.choice(members, size=n_clean_g[g], replace=False))
        # blends: dominant digit a, other digit b of a different class
        a_g = rng.choice(members, size=n_amb_g[g])
        b_g = rng.choice(members, size=n_amb_g[g])
        same = y_all[a_g] == y_all[b_g]
        while same.any():
            b_g[same] = rng.choice(members, size=int(same.sum()))
            same = y_all[a_g] == y_all[b_g]
        a.append(a_g)
        b.append(b_g)
    groups_clean = np.repeat(np.arange(n_groups), n_clean_g)
    groups_amb = np.repeat(np.arange(n_groups), n_amb_g)
    clean_idx, a, b = np.concatenate(clean_idx), np.concatenate(a), np.concatenate(b)
    w = rng.uniform(low, high, size=n_amb)
    X_blend = w[:, None] * X_all[a] + (1.0 - w[:, None]) * X_all[b]

    data = np.vstack([X_all[clean_idx], X_blend])
    target = np.concatenate([y_all[clean_idx], y_all[a]])
    weight = np.concatenate([np.ones(n_clean), w])
    source = np.column_stack(
        [np.concatenate([clean_idx, a]), np.concatenate([np.full(n_clean, -1), b])]
    ).astype(np.int64)
    groups = np.concatenate([groups_clean, groups_amb]).astype(np.int64)
    mixture = np.zeros((n_samples, 10))
    rows = np.arange(n_samples)
    mixture[rows, target] = weight
    mixture[rows[n_clean:], y_all[b]] += 1.0 - w
    is_amb = np.zeros(n_samples, dtype=bool)
    is_amb[n_clean:] = True

    order = rng.permutation(n_samples)  # interleave clean and blended items
    data, target, weight = data[order], target[order], weight[order]
    source, mixture, is_amb = source[order], mixture[order], is_amb[order]
    groups = groups[order]
    n_test_groups = min(max(int(round(test_size * n_groups)), 1), n_groups - 1)
    split = np.where(groups >= n_groups - n_test_groups, "test", "train").astype(object)

    if reference_estimator is None:
        from sklearn.svm import SVC

        reference_estimator = SVC(gamma="scale")
    ref = clone(reference_estimator).fit(X_all[ref_idx], y_all[ref_idx])
    counts = simulate_noisy_observer_panel(
        ref,
        data,
        n_annotators=n_annotators,
        perturbation=perturbation,
        strength=strength,
        image_shape=(8, 8),
        feature_range=(0.0, 16.0),
        random_state=rng,
    )
    return Bunch(
        data=data,
        images=data.reshape(-1, 8, 8),
        target=target,
        soft_target=counts / counts.sum(axis=1, keepdims=True),
        counts=counts,
        mixture=mixture,
        mixing_weight=weight,
        is_ambiguous=is_amb,
        source_index=source,
        reference_index=ref_idx,
        groups=groups,
        split=split,
        reference_estimator=ref,
        target_names=np.arange(10),
        feature_names=list(digits.feature_names),
        soft_labels="simulated",
        licence=(
            "CC BY 4.0 (UCI digits); the blends and the simulated panel are "
            "sksoft's (BSD-3-Clause)"
        ),
        citation=(
            'E. Alpaydin and C. Kaynak, "Optical Recognition of Handwritten '
            'Digits", UCI Machine Learning Repository, 1998.'
        ),
        source_url="https://archive.ics.uci.edu/dataset/80",
        DESCR=DESCR,
    )
