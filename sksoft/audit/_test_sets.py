"""The seeds' test sets described together: sizes, subset shares, mode shift.

Private. With one test set for every seed (``seed_design="init"`` or
``"resample"``, or a ``"split"`` audit with one split) the report states its
counts as they are. When each seed draws its own train/test split
(:meth:`~sksoft.audit.AuditResult._varying_test_sets`), no single seed's
test set is "the" test set: the report states, over the seeds,

- the per-seed test size and hard-subset size (a range when they differ)
  and the number of distinct items in the union of the seeds' test sets;
- the shares of hard items and of items with any disagreement: the mean
  over seeds of each seed's share, with the range over seeds;
- the mode-shift rate of the test rows and of the hard test rows: the mean
  over seeds of each seed's rate, with the range.

:func:`per_seed_counts` computes these numbers, the ``*_text`` functions
write them; :func:`subsets_coincide` says whether the ``_disagree_`` and
``_hard_`` metrics read the same items in every seed's test set (then they
are one hypothesis, tested once).
"""

import math

import numpy as np

from ..evaluation import pct
from ._score import disagreement_mask


def seed_test_sets(result):
    """Each seed's test set (:meth:`~sksoft.audit.AuditResult.test_set`), in
    seed order."""
    return [result.test_set(s) for s in result.seeds]


def subsets_coincide(test_sets):
    """Whether the items with any disagreement are exactly the hard items in
    every test set.

    Parameters
    ----------
    test_sets : list of dict
        Each with ``human_test`` (its human soft labels) and ``hard_mask``.

    Returns
    -------
    bool
        True when, in every test set, the disagreement mask (human entropy >
        0) equals the hard mask: the ``_disagree_`` metrics then repeat the
        ``_hard_`` ones seed by seed. With one test set for every seed this
        is the check on that test set.

    Examples
    --------
    >>> import numpy as np
    >>> ts = {"human_test": np.array([[1.0, 0.0], [0.5, 0.5]]),
    ...       "hard_mask": np.array([False, True])}
    >>> subsets_coincide([ts])
    True
    >>> other = {**ts, "hard_mask": np.array([True, True])}
    >>> subsets_coincide([ts, other])
    False
    """
    return all(
        np.array_equal(disagreement_mask(ts["human_test"]), ts["hard_mask"])
        for ts in test_sets
    )


def _share(mask):
    return float(np.mean(mask)) if mask.size else math.nan


def per_seed_counts(result):
    """The seeds' test sets in numbers, one entry per seed (seed order).

    Returns
    -------
    dict
        ``n_test``, ``n_hard``, ``n_disagree`` (int arrays), ``hard_share``,
        ``disagree_share``, ``mode_test``, ``mode_hard`` (float arrays; the
        mode-shift rates are nan without gold labels or without hard items),
        ``n_union`` (distinct rows over the seeds' test sets), ``n_union_hard``
        (distinct rows hard in at least one seed) and ``n_union_disagree``
        (distinct rows with any disagreement).
    """
    sets = seed_test_sets(result)
    out = {k: [] for k in ("n_test", "n_hard", "n_disagree")}
    out.update({k: [] for k in ("hard_share", "disagree_share")})
    out.update({k: [] for k in ("mode_test", "mode_hard")})
    for ts in sets:
        hard = np.asarray(ts["hard_mask"], bool)
        dis = disagreement_mask(ts["human_test"])
        out["n_test"].append(len(ts["test_index"]))
        out["n_hard"].append(int(hard.sum()))
        out["n_disagree"].append(int(dis.sum()))
        out["hard_share"].append(_share(hard))
        out["disagree_share"].append(_share(dis))
        shifted = (
            result.mode_shift[ts["test_index"]] if result.gold is not None else None
        )
        out["mode_test"].append(math.nan if shifted is None else _share(shifted))
        out["mode_hard"].append(
            math.nan if shifted is None or not hard.any() else _share(shifted[hard])
        )
    out = {k: np.asarray(v) for k, v in out.items()}
    union = np.unique(np.concatenate([ts["test_index"] for ts in sets]))
    out["n_union"] = int(union.size)
    out["n_union_hard"] = int(
        np.unique(
            np.concatenate([ts["test_index"][ts["hard_mask"]] for ts in sets])
        ).size
    )
    out["n_union_disagree"] = int(disagreement_mask(result.human[union]).sum())
    return out


def count_text(values):
    """One count, or ``min–max`` when the seeds' counts differ.

    >>> count_text([5, 5]), count_text([4, 6, 5])
    ('5', '4–6')
    """
    lo, hi = int(np.min(values)), int(np.max(values))
    return str(lo) if lo == hi else f"{lo}–{hi}"


def share_text(values):
    """The mean over seeds of a per-seed share, with its range over seeds.

    >>> share_text([0.2, 0.25, 0.3])
    'mean 25.0%, range 20.0%–30.0% over the 3 seeds'
    >>> share_text([0.2, 0.2])
    '20.0% in each of the 2 seeds'
    """
    v = np.asarray(values, float)
    if not np.isfinite(v).any():
        return "n/a"
    v = v[np.isfinite(v)]
    lo, hi = pct(float(np.min(v))), pct(float(np.max(v)))
    if lo == hi:
        return f"{lo} in each of the {v.size} seeds"
    return f"mean {pct(float(np.mean(v)))}, range {lo}–{hi} over the {v.size} seeds"


def mean_share(values):
    """The mean over seeds of a per-seed share (nan ones left out)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return float(np.mean(v)) if v.size else math.nan


def sizes_text(result, hname):
    """The provenance table's test and hard-test sizes under varying splits."""
    c = per_seed_counts(result)
    return (
        f"{count_text(c['n_test'])} / {count_text(c['n_hard'])} per seed's test "
        f"set ({len(result.seeds)} seeds, each its own split; "
        f"{c['n_union']} distinct items in the union of their test sets, "
        f"{c['n_union_hard']} of them hard in at least one seed; hard = the "
        f"{pct(result.params['hard_fraction'])} with the highest entropy of the "
        f"{hname} within each seed's test set, ties included: actually "
        f"{share_text(c['hard_share'])})"
    )


def disagreement_count_text(result):
    """How many test samples have any disagreement, over the seeds' test sets."""
    c = per_seed_counts(result)
    return (
        f"{count_text(c['n_disagree'])} of {count_text(c['n_test'])} test "
        f"samples per seed ({share_text(c['disagree_share'])}; "
        f"{c['n_union_disagree']} of the {c['n_union']} distinct items in the "
        "union of the seeds' test sets) have any disagreement"
    )


def mode_shift_text(result):
    """The mode-shift rates all / test / hard test under varying splits."""
    c = per_seed_counts(result)
    return (
        f"{pct(result.mode_shift_rate)} / {pct(mean_share(c['mode_test']))} / "
        f"{pct(mean_share(c['mode_hard']))} (test and hard test: the mean over "
        "the seeds of each seed's test set's rate; test "
        f"{share_text(c['mode_test'])}, hard test {share_text(c['mode_hard'])})"
    )


def subset_items_text(result, subset):
    """``"n of m test items per seed (mean x%, ...)"`` for the glance table.

    ``subset``: ``"hard"`` or ``"disagree"``.
    """
    c = per_seed_counts(result)
    n = c["n_hard"] if subset == "hard" else c["n_disagree"]
    share = c["hard_share"] if subset == "hard" else c["disagree_share"]
    return (
        f"{count_text(n)} of {count_text(c['n_test'])} test items per seed "
        f"({share_text(share)})"
    )
