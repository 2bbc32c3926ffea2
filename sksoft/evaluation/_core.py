"""Evaluation of given predictions against human (and gold) labels (private).

:func:`evaluate_predictions` scores one or more models' probabilities with
every ``stage="test"`` metric of the registry (``_registry.py``) on all, hard
and easy items, and draws one paired bootstrap over items for the intervals.
"""

import math
import numbers
import os

import numpy as np
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state

from ..calibration import fit_temperature
from ..sources import apply_temperature
from ..targets import hard_sample_mask
from ..utils._sklearn_compat import Interval, StrOptions, validate_params
from ._bootstrap import weighted_values
from ._budget import budget_rows
from ._calibrate import CALIBRATORS, cross_fitted_calibration, variant_name
from ._input import as_input, check_inputs
from ._metrics import TIE_CONVENTIONS
from ._registry import metric_specs
from ._result import POOLED, SUBSETS, EvaluationResult

#: resamples drawn at a time (bounded memory on large item sets)
_CHUNK = 200
#: folds of the cross-fitted temperature (``temperature="fit"``)
_N_FOLDS = 5


def score_spec(spec, reference, y_prob, n_bins, ties="sksoft"):
    """The value of one registry metric on some items (nan without items)."""
    if y_prob.shape[0] == 0:
        return math.nan
    return float(spec.score(reference, y_prob, n_bins, ties))


# ------------------------------------------------------------ temperature


def _temper(p, temperature):
    return np.asarray(apply_temperature(p, float(temperature)), dtype=np.float64)


def _cross_fitted_temperature(p, human, n_folds, rng_seed):
    """Each fold scaled with the temperature fitted on the others
    (:func:`sksoft.calibration.fit_temperature`, soft log loss vs human)."""
    out = np.empty_like(p)
    temps = []
    folds = KFold(n_folds, shuffle=True, random_state=rng_seed).split(p)
    for train, test in folds:
        t = fit_temperature(human[train], p[train])
        temps.append(t)
        out[test] = _temper(p[test], t)
    return out, temps


def _calibrated_variants(models, human, calibrate, n_folds, random_state):
    """The ``calibrate`` variant of every model (temperature: as ``"fit"``)."""
    out = []
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    for name, arrays in models.items():
        if calibrate == "temperature":
            fitted = [
                _cross_fitted_temperature(a, human, n_folds, seed) for a in arrays
            ]
            record = [t for _, t in fitted]
        else:
            fitted = [
                cross_fitted_calibration(a, human, calibrate, n_folds, seed)
                for a in arrays
            ]
            record = None
        out.append((variant_name(name, calibrate), [a for a, _ in fitted], record))
    return out


def _variants(models, human, temperature, random_state, calibrate=None, n_folds=5):
    """(name, list of arrays, temperature record) per variant."""
    out = [(name, arrays, None) for name, arrays in models.items()]
    if calibrate is not None:
        if calibrate == "temperature" and temperature == "fit":
            raise ValueError(
                "calibrate='temperature' is temperature='fit' (the same "
                "cross-fitted variant); pass one of them"
            )
        out += _calibrated_variants(models, human, calibrate, n_folds, random_state)
    if temperature is None:
        _check_names(out)
        return out
    for name, arrays in models.items():
        if temperature == "fit":
            seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
            fitted = [
                _cross_fitted_temperature(a, human, _N_FOLDS, seed) for a in arrays
            ]
            out.append(
                (
                    f"{name} (T fitted, cross-fitted)",
                    [a for a, _ in fitted],
                    [t for _, t in fitted],
                )
            )
        else:
            t = float(temperature)
            out.append((f"{name} (T={t:g})", [_temper(a, t) for a in arrays], t))
    _check_names(out)
    return out


def _check_names(variants):
    names = [v[0] for v in variants]
    if len(set(names)) != len(names):
        raise ValueError(
            f"model names collide with temperature or calibration variants: {names}."
        )


# --------------------------------------------------------------- scoring


def _cells(human, gold, hard):
    """(spec, subset, reference on the subset, mask) for every reported value."""
    references = {
        "gold": gold,
        "human": human,
        "human_mode": np.argmax(human, axis=1),  # ties to the first, as hard_labels
    }
    masks = {
        "all": np.ones(len(hard), bool),
        "hard": hard,
        "easy": ~hard,
        # any disagreement (entropy > 0), on the classes given
        "disagree": hard_sample_mask(human, hard="disagreement"),
    }
    out = []
    for spec in metric_specs("evaluate", stage="test"):  # read now: one table
        ref = references[spec.reference]
        if ref is None:
            continue
        for sub in SUBSETS if spec.subset is None else (spec.subset,):
            out.append((spec, sub, ref[masks[sub]], masks[sub]))
    return out


def _resamples(n, n_bootstrap, random_state):
    """Item counts of the bootstrap resamples, in chunks of rows: one
    resampling of the items for every model, seed, metric and subset."""
    if not n_bootstrap:
        return
    rng = check_random_state(random_state)
    for start in range(0, n_bootstrap, _CHUNK):
        size = min(_CHUNK, n_bootstrap - start)
        yield rng.multinomial(n, np.full(n, 1.0 / n), size=size)


def _score_cells(cells, variants, n, settings):
    """Point values ``(n_seeds,)`` and resampled values ``(B, n_seeds)`` (or
    None) of every (variant, metric, subset)."""
    n_bins, ties = settings["n_bins"], settings["ties"]
    point, items = {}, {}
    for name, arrays, _ in variants:
        for spec, sub, ref, mask in cells:
            key = name, spec.name, sub
            point[key] = np.array(
                [score_spec(spec, ref, a[mask], n_bins, ties) for a in arrays]
            )
            if spec.items is not None and mask.any():
                items[key] = [spec.items(ref, a[mask], n_bins, ties) for a in arrays]
    masks = {
        (name, spec.name, sub): mask
        for name, _, _ in variants
        for spec, sub, _, mask in cells
    }
    parts = {key: [] for key in items}
    for w in _resamples(n, settings["n_bootstrap"], settings["random_state"]):
        for key, terms in items.items():
            parts[key].append(weighted_values(terms, w[:, masks[key]]))
    boot = {key: np.concatenate(p) if p else None for key, p in parts.items()}
    return point, boot


def _interval(values, alpha):
    if values is None or not np.isfinite(values).any():
        return math.nan, math.nan
    with np.errstate(invalid="ignore"):  # inf (KL) resamples
        lo, hi = np.nanquantile(values, [alpha, 1 - alpha])
    return float(lo), float(hi)


def _score_rows(variants, cells, point, boot, alpha):
    rows = []
    for name, arrays, _ in variants:
        for spec, sub, _, _ in cells:
            key = name, spec.name, sub
            b = boot.get(key)
            seeds = [
                (
                    POOLED,
                    float(np.mean(point[key])),
                    None if b is None else b.mean(axis=1),
                )
            ]
            if len(arrays) > 1:
                seeds += [
                    (f"seed{s}", float(v), None if b is None else b[:, s])
                    for s, v in enumerate(point[key])
                ]
            for seed, value, values in seeds:
                lo, hi = _interval(values, alpha)
                rows.append(
                    {
                        "model": name,
                        "seed": seed,
                        "subset": sub,
                        "metric": spec.name,
                        "reference": REFERENCE_NAMES[spec.reference],
                        "value": value,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
    return rows


def _difference_rows(names, cells, point, boot, alpha):
    rows = []
    for i, a in enumerate(names):
        for b in names[:i]:
            for spec, sub, _, _ in cells:
                ka, kb = (a, spec.name, sub), (b, spec.name, sub)
                ba, bb = boot.get(ka), boot.get(kb)
                diff = None if ba is None else ba.mean(axis=1) - bb.mean(axis=1)
                lo, hi = _interval(diff, alpha)
                rows.append(
                    {
                        "model": a,
                        "baseline": b,
                        "subset": sub,
                        "metric": spec.name,
                        "reference": REFERENCE_NAMES[spec.reference],
                        "difference": float(np.mean(point[ka]) - np.mean(point[kb])),
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
    return rows


#: how ``sksoft evaluate`` writes each reference (its ``reference`` column)
REFERENCE_NAMES = {"gold": "gold", "human": "human", "human_mode": "human mode"}


def _settings(ties, n_bins, temperature, n_bootstrap, confidence_level, random_state):
    return {
        "ties": ties,
        "n_bins": int(n_bins),
        "temperature": temperature,
        "n_bootstrap": int(n_bootstrap),
        "confidence_level": float(confidence_level),
        "random_state": random_state
        if isinstance(random_state, (int, type(None)))
        else repr(random_state),
    }


@validate_params(
    {
        "probs": [dict],
        "counts": ["array-like", str, os.PathLike, None],
        "soft_labels": ["array-like", str, os.PathLike, None],
        "gold": ["array-like", str, os.PathLike, None],
        "classes": ["array-like", None],
        "hard_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_bins": [Interval(numbers.Integral, 1, None, closed="left")],
        "ties": [StrOptions(set(TIE_CONVENTIONS))],
        "temperature": [
            Interval(numbers.Real, 0, None, closed="neither"),
            StrOptions({"fit"}),
            None,
        ],
        "n_bootstrap": [Interval(numbers.Integral, 0, None, closed="left")],
        "confidence_level": [Interval(numbers.Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "calibrate": [StrOptions(set(CALIBRATORS)), None],
        "calibration_cv": [Interval(numbers.Integral, 2, None, closed="left")],
        "annotators": ["array-like", None],
        "n_draws": [Interval(numbers.Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def evaluate_predictions(
    probs,
    *,
    counts=None,
    soft_labels=None,
    gold=None,
    classes=None,
    hard_fraction=0.2,
    n_bins=15,
    ties="sksoft",
    temperature=None,
    n_bootstrap=1000,
    confidence_level=0.95,
    random_state=0,
    calibrate=None,
    calibration_cv=5,
    annotators=None,
    n_draws=20,
):
    """Evaluate given predicted probabilities against human and gold labels.

    Parameters
    ----------
    probs : dict
        Model name -> predicted probabilities: an array of shape
        ``(n_samples, n_classes)``, a list of such arrays (one per seed of the
        model), or path(s) to ``.npy`` / ``.csv`` files holding them. Rows
        must be probabilities (non-negative, summing to 1); they are not
        renormalised.
    counts : array-like of shape (n_samples, n_classes) or path, default=None
        Human vote counts per class (the human soft labels are the normalised
        rows). Pass exactly one of ``counts`` and ``soft_labels``.
    soft_labels : array-like of shape (n_samples, n_classes) or path, default=None
        Human soft labels (probability rows).
    gold : array-like of shape (n_samples,) or path, default=None
        Gold labels: column positions, or labels of ``classes``. Adds the
        ``*_vs_gold`` metrics.
    classes : array-like of shape (n_classes,), default=None
        Class names in the column order of the probabilities.
    hard_fraction : float in (0, 1), default=0.2
        Target share of hard samples: those with the highest human entropy
        (:func:`sksoft.targets.hard_sample_mask`, ties at the cut included,
        so the actual share, reported as ``hard_share``, can be larger).
    n_bins : int, default=15
        Uniform confidence bins of the ECEs (Baan et al. use 10).
    ties : {"sksoft", "baan2022"}, default="sksoft"
        Tie convention of the top-1 agreement and RankCS, see
        :func:`sksoft.metrics.ranking_calibration_score`.
    temperature : float > 0, "fit" or None, default=None
        Also evaluate a temperature-scaled variant of every model
        (``p ** (1/T)`` renormalised, i.e. ``softmax(logits / T)``): a fixed
        temperature (Baan et al. use 2), or ``"fit"``: the temperature
        minimising the soft log loss against the human labels. Fitting on the
        evaluation items themselves leaks the labels into the predictions, so
        ``"fit"`` is **cross-fitted**: the items are split into 5 folds and
        each fold is scaled with the temperature fitted on the other four.
        Better still, fit a temperature on held-out data and pass it.
    n_bootstrap : int, default=1000
        Bootstrap resamples of the items for the intervals (0: none).
    confidence_level : float in (0, 1), default=0.95
        Level of the percentile intervals.
    random_state : int, RandomState instance or None, default=0
        Seeds the resampling (and the folds of ``temperature="fit"`` and
        ``calibrate``, and the draws of ``annotators``).
    calibrate : {"temperature", "vector", "dirichlet"} or None, default=None
        Also evaluate a calibrated variant of every model, fitted against the
        human soft labels and **cross-fitted** over the items: they are split
        into ``calibration_cv`` folds (``KFold(shuffle=True)``) and each fold
        is mapped by the calibrator fitted on the others:
        :func:`sksoft.calibration.fit_temperature` (``"temperature"``, the
        variant of ``temperature="fit"``) or
        :func:`sksoft.calibration.fit_dirichlet` (``"vector"``: diagonal,
        vector scaling; ``"dirichlet"``: the full ODIR-regularised map). The
        variant is named e.g. ``"m (Dirichlet, cross-fitted)"``.
    calibration_cv : int >= 2, default=5
        Folds of ``calibrate`` (``temperature="fit"`` uses 5).
    annotators : array-like of int, default=None
        Annotation budgets, e.g. ``[1, 3, 5, 10, 20, 50]``: every metric
        against the human labels (``*_vs_human``, ``*_vs_human_mode``) is
        measured against labels built from ``n`` annotators per item, over
        ``n_draws`` draws of ``n`` of each item's votes
        (:func:`sksoft.sources.annotation_budget_curve`); the result's
        ``budget`` rows, and the report's ``budget.csv``, ``budget.png`` and
        saturation section. Needs ``counts``.
    n_draws : int, default=20
        Draws per ``n`` of ``annotators``.

    Returns
    -------
    result : EvaluationResult

    Raises
    ------
    ValueError
        On unreadable files, arrays that are not 2-D probability rows (NaN,
        inf, negative, rows not summing to 1), a different number of classes
        or rows between models, seeds and labels, labels outside the classes,
        or both/neither of ``counts`` and ``soft_labels``.

    See Also
    --------
    sksoft.metrics.ranking_calibration_score, sksoft.metrics.top1_agreement_score
    sksoft.metrics.expected_calibration_error

    Notes
    -----
    The metrics are those of the one metric registry
    (:data:`sksoft.evaluation.METRIC_SPECS`) that need no training dynamics:
    the metrics of the audit (:data:`sksoft.audit.METRICS`) and a few of this
    function's own. Every metric is named by its reference: ``*_vs_human``
    against the human soft labels, ``*_vs_human_mode`` against the human
    majority label (``ece_vs_human_mode`` is the ECE of Baan et al., 2022),
    ``*_vs_gold`` against the gold labels. A metric whose name holds a subset
    (``ece_hard_vs_gold``) is reported for that subset only; the others on
    all, hard and easy items.
    The ``"pooled"`` value of a model is the mean of its per-seed values.

    The intervals resample the items with replacement (``n_bootstrap``
    times); the same resampled items are used for every model, seed and
    metric, so the intervals of model differences are paired. They cover the
    sampling of items only: they say how much the numbers could change on
    another sample of items from the same population, not how much they vary
    over training seeds (the per-seed rows show that). The hard samples are
    fixed on the full data; a resample's hard subset is its resampled hard
    items. Metrics that are not sums over items (the MCE, the Spearman
    correlations) get no interval (``nan``).

    ``temperature="fit"`` uses :func:`sksoft.calibration.fit_temperature`
    (the audit's temperature fit; temperatures in :math:`[e^{-10}, e^{10}]`).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft import evaluate_predictions
    >>> rng = np.random.default_rng(0)
    >>> counts = rng.multinomial(10, [0.5, 0.3, 0.2], size=200)
    >>> probs = {"a": rng.dirichlet(np.ones(3), size=200)}
    >>> result = evaluate_predictions(probs, counts=counts, n_bootstrap=50)
    >>> round(result.score("a", "distribution_calibration_error_vs_human"), 3)
    0.389
    >>> result.hard_share  # 10 votes: entropies tie, so 20% asked, 38% hard
    0.38
    >>> row = result.to_frame().query(
    ...     "metric == 'ece_vs_human' and subset == 'hard'").iloc[0]
    >>> bool(row.ci_low <= row.value <= row.ci_high)
    True
    """
    if annotators is not None and counts is None:
        raise ValueError(
            "annotators subsamples each item's votes, so it needs the human vote "
            "counts (counts=), not soft labels"
        )
    models, human, gold_idx, classes = check_inputs(
        probs, counts, soft_labels, gold, classes
    )
    n, k = human.shape
    hard = hard_sample_mask(human, hard_fraction=hard_fraction)
    variants = _variants(
        models, human, temperature, random_state, calibrate, calibration_cv
    )
    settings = _settings(
        ties, n_bins, temperature, n_bootstrap, confidence_level, random_state
    )
    cells = _cells(human, gold_idx, hard)
    point, boot = _score_cells(
        cells, variants, n, {**settings, "random_state": random_state}
    )
    alpha = (1 - confidence_level) / 2
    names = [v[0] for v in variants]
    budget = None
    if annotators is not None:
        budget = budget_rows(
            {v[0]: v[1] for v in variants},
            np.asarray(as_input(counts)),
            annotators,
            hard=hard,
            n_bins=n_bins,
            ties=ties,
            n_draws=n_draws,
            confidence=confidence_level,
            random_state=random_state,
        )
    return EvaluationResult(
        models=tuple(names),
        n_seeds={v[0]: len(v[1]) for v in variants},
        scores=_score_rows(variants, cells, point, boot, alpha),
        differences=_difference_rows(names, cells, point, boot, alpha),
        hard_mask=hard,
        hard_fraction=float(hard_fraction),
        hard_share=float(hard.mean()),
        temperatures={v[0]: v[2] for v in variants},
        settings={
            **settings,
            "human_labels": "counts" if counts is not None else "soft labels",
            "gold": gold is not None,
            "calibrate": calibrate,
            "calibration_cv": int(calibration_cv),
            "n_draws": int(n_draws),
        },
        n_samples=int(n),
        n_classes=int(k),
        classes=None if classes is None else classes.tolist(),
        probabilities={v[0]: v[1] for v in variants},
        human=human,
        budget=budget,
    )
