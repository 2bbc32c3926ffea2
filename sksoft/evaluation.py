"""Evaluation of given predictions against human (and gold) labels.

:func:`evaluate_predictions` measures the probabilities of one or more models,
trained anywhere (several seeds of one model are pooled and compared), against
the human soft labels and optional gold labels, on all samples and on the hard
and easy ones, with bootstrap-over-items intervals that are paired across
models. :func:`evaluate_main` is the command-line entry
(``python -m sksoft evaluate``).
"""

import argparse
import math
import numbers
import os
import re
from dataclasses import dataclass, field

import numpy as np
from sklearn.utils import check_random_state

from .audit._plots import figure_grid
from .audit._report import fmt, md_table, pct
from .metrics import (
    ReliabilityDisplay,
    distribution_calibration_error,
    entropy_calibration_error,
    js_divergence,
    kl_divergence,
)
from .metrics._soft import TIE_CONVENTIONS, ranking_match, top1_index
from .sources import apply_temperature
from .targets import check_probabilities, check_soft_targets, hard_sample_mask
from .utils._folders import check_out_folder, write_folder
from .utils._sklearn_compat import Interval, StrOptions, validate_params

__all__ = ["EvaluationResult", "evaluate_main", "evaluate_predictions"]

SUBSETS = ("all", "hard", "easy")
POOLED = "pooled"


def _metric_table():
    rows = [
        # name, better, reference, description
        (
            "top1_agreement_vs_human",
            "higher",
            "human",
            "predicted class = human majority",
        ),
        (
            "ranking_calibration_vs_human",
            "higher",
            "human",
            "RankCS: class ranking matches",
        ),
        (
            "entropy_calibration_error_vs_human",
            "lower",
            "human",
            "EntCE: |H(human) - H(model)|",
        ),
        (
            "distribution_calibration_error_vs_human",
            "lower",
            "human",
            "DistCE: total variation",
        ),
        ("kl_vs_human", "lower", "human", "KL(human || model)"),
        ("jsd_vs_human", "lower", "human", "Jensen-Shannon divergence"),
        ("cross_entropy_vs_human", "lower", "human", "cross-entropy H(human, model)"),
        (
            "ece_vs_human",
            "lower",
            "human",
            "ECE, accuracy = human share of the predicted class",
        ),
        (
            "ece_vs_human_mode",
            "lower",
            "human mode",
            "ECE against the human majority label",
        ),
        ("accuracy_vs_gold", "higher", "gold", "accuracy"),
        ("ece_vs_gold", "lower", "gold", "ECE against the gold labels"),
        ("cross_entropy_vs_gold", "lower", "gold", "log loss against the gold labels"),
    ]
    return {n: {"better": b, "reference": r, "text": t} for n, b, r, t in rows}


#: every metric :func:`evaluate_predictions` reports: direction, reference, text
METRICS = _metric_table()


# ----------------------------------------------------------------- input


def _load_array(path):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"file not found: {path}")
    if path.endswith(".npy"):
        try:
            return np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"cannot read {path} as a numeric .npy array: {exc}")
    if path.endswith(".csv"):
        for skip in (0, 1):  # tolerate one header row
            try:
                arr = np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2)
                break
            except ValueError:
                continue
        else:
            raise ValueError(f"cannot read {path} as a numeric CSV matrix.")
        return arr[:, 0] if arr.shape[1] == 1 else arr
    raise ValueError(f"{path}: only .npy and .csv files are read.")


def _as_input(value):
    if isinstance(value, (str, os.PathLike)):
        return _load_array(value)
    return value


def _check_model_probs(probs):
    """name -> list of validated float64 (n, K) arrays."""
    if not isinstance(probs, dict) or not probs:
        raise ValueError(
            "probs must be a non-empty dict: model name -> array (n_samples, "
            "n_classes), list of such arrays (one per seed) or file path(s)."
        )
    out = {}
    for name, value in probs.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"model names must be non-empty strings; got {name!r}.")
        seeds = [value]
        if isinstance(value, (list, tuple)) and value:
            first = value[0]
            nested = isinstance(first, (str, os.PathLike)) or np.ndim(first) >= 2
            seeds = list(value) if nested else [value]  # else: one matrix as lists
        if not seeds:
            raise ValueError(f"model {name!r} has no predictions.")
        arrays = []
        for i, seed in enumerate(seeds):
            label = f"probs[{name!r}]" + (f"[{i}]" if len(seeds) > 1 else "")
            if isinstance(seed, (str, os.PathLike)):  # errors name the file
                label += f" (file {os.fspath(seed)})"
            arr = np.asarray(_as_input(seed))
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"{label} must be numeric; got dtype {arr.dtype}.")
            arr = check_probabilities(arr, input_name=label)
            arrays.append(np.asarray(arr, dtype=np.float64))
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"the seeds of model {name!r} differ in shape: {shapes}.")
        out[name] = arrays
    return out


def _check_gold(gold, n, classes, k):
    """Gold labels as column positions."""
    gold = np.asarray(_as_input(gold))
    if gold.ndim != 1:
        raise ValueError(f"gold must be 1-D (one label per sample); got {gold.shape}.")
    if gold.shape[0] != n:
        raise ValueError(f"gold has {gold.shape[0]} labels but the models {n} rows.")
    if classes is not None:
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        values = (
            gold.astype(classes.dtype).tolist()
            if classes.dtype.kind == "U"
            else (gold.tolist())
        )
        missing = [v for v in values if v not in lookup]
        if missing:
            raise ValueError(f"gold label {missing[0]!r} is not one of classes.")
        return np.array([lookup[v] for v in values], dtype=np.intp)
    if gold.dtype.kind == "f":
        if not np.isfinite(gold).all() or not np.all(gold == np.round(gold)):
            raise ValueError(
                "gold labels must be integer column positions 0..K-1 (or pass "
                "classes to map names)."
            )
        gold = gold.astype(np.intp)
    if gold.dtype.kind not in "iu":
        raise ValueError(
            "gold labels are not column positions; pass classes (in the column "
            "order of the probabilities) to map them."
        )
    if gold.min() < 0 or gold.max() >= k:
        raise ValueError(f"gold labels must be column positions in 0..{k - 1}.")
    return gold.astype(np.intp)


def _check_inputs(probs, counts, soft_labels, gold, classes):
    models = _check_model_probs(probs)
    first = next(iter(models.values()))[0]
    n, k = first.shape
    for name, arrays in models.items():
        if arrays[0].shape[1] != k:
            raise ValueError(
                f"model {name!r} has {arrays[0].shape[1]} classes but the first "
                f"model has {k}."
            )
        if arrays[0].shape[0] != n:
            raise ValueError(
                f"model {name!r} has {arrays[0].shape[0]} rows but the first "
                f"model has {n}."
            )
    if (counts is None) == (soft_labels is None):
        raise ValueError("pass exactly one of counts and soft_labels (human labels).")
    given = counts if counts is not None else soft_labels
    raw = _as_input(given)
    label = "counts" if counts is not None else "soft_labels"
    if isinstance(given, (str, os.PathLike)):  # errors name the file
        label += f" (file {os.fspath(given)})"
    raw = np.asarray(raw)
    if raw.ndim != 2:
        raise ValueError(
            f"{label} must be 2-D (n_samples, n_classes); got {raw.shape}."
        )
    if raw.shape != (n, k):
        raise ValueError(
            f"{label} has shape {raw.shape} but the probabilities {(n, k)}."
        )
    human = check_soft_targets(raw, counts=counts is not None, input_name=label)
    if classes is not None:
        classes = np.asarray(classes)
        if classes.ndim != 1 or len(classes) != k:
            raise ValueError(f"classes must list {k} names; got {classes.shape}.")
        if len(set(classes.tolist())) != k:
            raise ValueError("classes must be distinct.")
    gold_idx = None if gold is None else _check_gold(gold, n, classes, k)
    return models, np.asarray(human, dtype=np.float64), gold_idx, classes


# ------------------------------------------------------------ temperature


def _temper(p, temperature):
    return np.asarray(apply_temperature(p, float(temperature)), dtype=np.float64)


def _soft_nll(log_p, human, temperature):
    z = log_p / temperature
    z = z - z.max(axis=1, keepdims=True)
    logq = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(np.sum(human * logq, axis=1)))


def _fit_temperature(p, human):
    """Temperature minimising the soft log loss of ``p ** (1/T)`` against human."""
    from scipy.optimize import minimize_scalar

    log_p = np.log(np.clip(p, np.finfo(np.float64).tiny, None))
    res = minimize_scalar(
        lambda t: _soft_nll(log_p, human, math.exp(t)),
        bounds=(math.log(0.05), math.log(20.0)),
        method="bounded",
        options={"xatol": 1e-6},
    )
    return math.exp(res.x)


def _cross_fitted_temperature(p, human, n_folds, rng_seed):
    from sklearn.model_selection import KFold

    out = np.empty_like(p)
    temps = []
    folds = KFold(n_folds, shuffle=True, random_state=rng_seed).split(p)
    for train, test in folds:
        t = _fit_temperature(p[train], human[train])
        temps.append(t)
        out[test] = _temper(p[test], t)
    return out, temps


# --------------------------------------------------------------- metrics


def _per_sample(p, human, gold, ties, n_bins):
    """Per-sample terms of every metric: means, or binned (ECE) statistics."""
    eps = np.finfo(p.dtype).eps
    logp = np.log(np.clip(p, eps, 1 - eps))
    pred = np.argmax(p, axis=1)  # ties to the first class, as the ECE functions
    conf = p[np.arange(len(p)), pred]
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, n_bins - 1)
    means = {
        "top1_agreement_vs_human": (
            top1_index(human, ties) == top1_index(p, ties)
        ).astype(float),
        "ranking_calibration_vs_human": ranking_match(human, p, ties).astype(float),
        "entropy_calibration_error_vs_human": np.abs(
            entropy_calibration_error(human, p, per_sample=True)
        ),
        "distribution_calibration_error_vs_human": distribution_calibration_error(
            human, p, per_sample=True
        ),
        "kl_vs_human": kl_divergence(human, p, per_sample=True),
        "jsd_vs_human": js_divergence(human, p, per_sample=True),
        "cross_entropy_vs_human": -np.sum(human * logp, axis=1),
    }
    human_mode = np.argmax(human, axis=1)
    binned = {
        "ece_vs_human": human[np.arange(len(p)), pred] - conf,
        "ece_vs_human_mode": (pred == human_mode).astype(float) - conf,
    }
    if gold is not None:
        means["accuracy_vs_gold"] = (pred == gold).astype(float)
        means["cross_entropy_vs_gold"] = -logp[np.arange(len(p)), gold]
        binned["ece_vs_gold"] = (pred == gold).astype(float) - conf
    return means, binned, bins


def _stats(means, binned, bins, n_bins, weights, masks):
    """Metric values for every row of ``weights`` (item multiplicities).

    ``weights`` is ``(B, n)``; returns metric -> subset -> ``(B,)`` values.
    """
    out = {}
    b = weights.shape[0]
    for subset, m in masks.items():
        w = weights * m
        tot = w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            for name, v in means.items():
                finite = np.isfinite(v)  # KL is inf where the model gives 0
                vals = (w @ np.where(finite, v, 0.0)) / tot
                if not finite.all():
                    vals[(w[:, ~finite] > 0).any(axis=1)] = np.inf
                out.setdefault(name, {})[subset] = np.where(tot > 0, vals, np.nan)
            flat = (np.arange(b)[:, None] * n_bins + bins[None, :]).ravel()
            for name, d in binned.items():
                per_bin = np.bincount(
                    flat, weights=(w * d[None, :]).ravel(), minlength=b * n_bins
                ).reshape(b, n_bins)
                vals = np.abs(per_bin).sum(axis=1) / tot
                out.setdefault(name, {})[subset] = np.where(tot > 0, vals, np.nan)
    return out


def _bootstrap_weights(rng, n_bootstrap, n, chunk=200):
    """Item multiplicities of ``n_bootstrap`` resamples, in chunks of rows."""
    for start in range(0, n_bootstrap, chunk):
        size = min(chunk, n_bootstrap - start)
        idx = rng.randint(0, n, size=(size, n))
        flat = (np.arange(size)[:, None] * n + idx).ravel()
        yield np.bincount(flat, minlength=size * n).reshape(size, n).astype(float)


# ---------------------------------------------------------------- result


@dataclass
class EvaluationResult:
    """Scores of given predictions, with bootstrap intervals.

    Returned by :func:`evaluate_predictions`; read it with :meth:`to_frame`,
    :meth:`score` or write the report folder with :meth:`write_report`.

    Attributes
    ----------
    models : tuple of str
        Evaluated models in report order, temperature variants included.
    n_seeds : dict
        Model -> number of seeds (prediction sets).
    scores : list of dict
        One row per model, seed (``"pooled"`` or ``"seed0"``, ...), subset
        (``"all"``, ``"hard"``, ``"easy"``) and metric: ``value``, ``ci_low``,
        ``ci_high`` and the metric's ``reference`` (``"human"``,
        ``"human mode"`` or ``"gold"``).
    differences : list of dict
        Paired model differences ``model - baseline`` (pooled values) with
        bootstrap intervals over the same resampled items.
    hard_mask : ndarray of shape (n_samples,), dtype bool
        The hard samples (highest human entropy, ties at the cut included).
    hard_fraction : float
        The requested share of hard samples.
    hard_share : float
        The actual share (ties make it larger than requested).
    temperatures : dict
        Variant -> temperature applied (a list of per-fold values for a
        cross-fitted ``"fit"``).
    settings : dict
        The arguments that define the numbers (ties, n_bins, bootstrap,
        confidence level, random state), and provenance.
    n_samples, n_classes : int
        Items and classes.
    classes : list or None
        Class names, when given.
    probabilities : dict
        Variant -> list of the evaluated probability arrays (one per seed,
        temperature applied).
    human : ndarray of shape (n_samples, n_classes)
        The human soft labels.

    See Also
    --------
    evaluate_predictions : Builds this result.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft import evaluate_predictions
    >>> rng = np.random.default_rng(0)
    >>> counts = rng.multinomial(10, [0.5, 0.3, 0.2], size=100)
    >>> result = evaluate_predictions({"m": rng.dirichlet(np.ones(3), size=100)},
    ...                               counts=counts, n_bootstrap=0)
    >>> result.to_frame().shape
    (27, 8)
    >>> round(result.score("m", "top1_agreement_vs_human", subset="hard"), 3)
    0.237
    """

    models: tuple
    n_seeds: dict
    scores: list
    differences: list
    hard_mask: np.ndarray
    hard_fraction: float
    hard_share: float
    temperatures: dict
    settings: dict
    n_samples: int
    n_classes: int
    classes: list
    probabilities: dict = field(repr=False, default_factory=dict)
    human: np.ndarray = field(repr=False, default=None)

    def score(self, model, metric, *, subset="all", seed=POOLED):
        """The value of one metric.

        Parameters
        ----------
        model : str
            A name of :attr:`models`.
        metric : str
            A metric name, e.g. ``"ece_vs_human"``.
        subset : {"all", "hard", "easy"}, default="all"
            The samples.
        seed : str, default="pooled"
            ``"pooled"`` (the mean over seeds) or ``"seed0"``, ``"seed1"``, ...

        Returns
        -------
        value : float
        """
        for row in self.scores:
            if (row["model"], row["metric"], row["subset"], row["seed"]) == (
                model,
                metric,
                subset,
                seed,
            ):
                return row["value"]
        raise KeyError((model, metric, subset, seed))

    def to_frame(self, kind="scores"):
        """The scores (or the paired differences) as a long pandas DataFrame.

        Parameters
        ----------
        kind : {"scores", "differences"}, default="scores"
            One row per model, seed, subset and metric, or per model pair,
            subset and metric.

        Returns
        -------
        frame : pandas.DataFrame
        """
        import pandas as pd

        if kind not in ("scores", "differences"):
            raise ValueError(f"kind must be 'scores' or 'differences'; got {kind!r}.")
        return pd.DataFrame(self.scores if kind == "scores" else self.differences)

    def write_report(self, path):
        """Write the report folder.

        ``report.md`` (provenance, the actual hard share, what the intervals
        cover, tables by subset, per seed and of the paired differences),
        ``results.csv``, ``differences.csv`` and one reliability diagram per
        model (all vs hard samples, human soft labels) as PNG.

        Parameters
        ----------
        path : str or path-like
            The folder (created if needed; files in it are overwritten).

        Returns
        -------
        path : str
            The report folder.
        """
        return _write_report(self, os.fspath(path))


# ------------------------------------------------------------- function


def _variants(models, human, temperature, random_state):
    """(name, base model, list of arrays, temperature record) per variant."""
    out = [(name, name, arrays, None) for name, arrays in models.items()]
    if temperature is None:
        return out
    for name, arrays in models.items():
        if temperature == "fit":
            seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
            tempered, temps = [], []
            for a in arrays:
                t_arr, t = _cross_fitted_temperature(a, human, 5, seed)
                tempered.append(t_arr)
                temps.append(t)
            out.append((f"{name} (T fitted, cross-fitted)", name, tempered, temps))
        else:
            t = float(temperature)
            out.append((f"{name} (T={t:g})", name, [_temper(a, t) for a in arrays], t))
    return out


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
        Seeds the resampling (and the folds of ``temperature="fit"``).

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
    Every metric is named by its reference: ``*_vs_human`` against the human
    soft labels, ``ece_vs_human_mode`` against the human majority label (the
    ECE of Baan et al., 2022), ``*_vs_gold`` against the gold labels.
    The ``"pooled"`` value of a model is the mean of its per-seed values.

    The intervals resample the items with replacement (``n_bootstrap``
    times); the same resampled items are used for every model, seed and
    metric, so the intervals of model differences are paired. They cover the
    sampling of items only: they say how much the numbers could change on
    another sample of items from the same population, not how much they vary
    over training seeds (the per-seed rows show that). The hard samples are
    fixed on the full data; a resample's hard subset is its resampled hard
    items.

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
    models, human, gold_idx, classes = _check_inputs(
        probs, counts, soft_labels, gold, classes
    )
    n, k = human.shape
    hard = hard_sample_mask(human, hard_fraction=hard_fraction)
    masks = {
        "all": np.ones(n),
        "hard": hard.astype(float),
        "easy": (~hard).astype(float),
    }
    variants = _variants(models, human, temperature, random_state)
    names = [v[0] for v in variants]
    if len(set(names)) != len(names):
        raise ValueError(f"model names collide with temperature variants: {names}.")

    terms = {}  # (variant, seed index) -> per-sample terms
    for name, _, arrays, _ in variants:
        for s, a in enumerate(arrays):
            terms[name, s] = _per_sample(a, human, gold_idx, ties, n_bins)
    ident = np.ones((1, n))
    point = {key: _stats(*t, n_bins, ident, masks) for key, t in terms.items()}

    boot = {key: {} for key in terms}
    if n_bootstrap:
        rng = check_random_state(random_state)
        chunks = {key: [] for key in terms}
        for w in _bootstrap_weights(rng, n_bootstrap, n):
            for key, t in terms.items():
                chunks[key].append(_stats(*t, n_bins, w, masks))
        for key, parts in chunks.items():
            for metric in parts[0]:
                boot[key][metric] = {
                    sub: np.concatenate([p[metric][sub] for p in parts])
                    for sub in SUBSETS
                }
    alpha = (1 - confidence_level) / 2

    def interval(values):
        if values is None or not np.isfinite(values).any():
            return math.nan, math.nan
        with np.errstate(invalid="ignore"):  # inf (KL) resamples
            lo, hi = np.nanquantile(values, [alpha, 1 - alpha])
        return float(lo), float(hi)

    scores, pooled_boot = [], {}
    for name, _, arrays, _ in variants:
        metrics = list(point[name, 0])
        for metric in metrics:
            for sub in SUBSETS:
                per_seed = [point[name, s][metric][sub][0] for s in range(len(arrays))]
                seeds_boot = [
                    boot[name, s].get(metric, {}).get(sub) for s in range(len(arrays))
                ]
                pb = None if seeds_boot[0] is None else np.mean(seeds_boot, axis=0)
                pooled_boot[name, metric, sub] = pb
                rows = [(POOLED, float(np.mean(per_seed)), pb)]
                if len(arrays) > 1:
                    rows += [
                        (f"seed{s}", float(v), seeds_boot[s])
                        for s, v in enumerate(per_seed)
                    ]
                for seed, value, b in rows:
                    lo, hi = interval(b)
                    scores.append(
                        {
                            "model": name,
                            "seed": seed,
                            "subset": sub,
                            "metric": metric,
                            "reference": METRICS[metric]["reference"],
                            "value": value,
                            "ci_low": lo,
                            "ci_high": hi,
                        }
                    )
    pooled = {
        (r["model"], r["metric"], r["subset"]): r["value"]
        for r in scores
        if r["seed"] == POOLED
    }
    differences = []
    for i, a in enumerate(names):
        for b in names[:i]:
            for metric, sub in ((m, s) for m in point[a, 0] for s in SUBSETS):
                ba, bb = pooled_boot[a, metric, sub], pooled_boot[b, metric, sub]
                lo, hi = interval(None if ba is None else ba - bb)
                differences.append(
                    {
                        "model": a,
                        "baseline": b,
                        "subset": sub,
                        "metric": metric,
                        "reference": METRICS[metric]["reference"],
                        "difference": pooled[a, metric, sub] - pooled[b, metric, sub],
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
    return EvaluationResult(
        models=tuple(names),
        n_seeds={v[0]: len(v[2]) for v in variants},
        scores=scores,
        differences=differences,
        hard_mask=hard,
        hard_fraction=float(hard_fraction),
        hard_share=float(hard.mean()),
        temperatures={v[0]: v[3] for v in variants},
        settings={
            "ties": ties,
            "n_bins": int(n_bins),
            "temperature": temperature,
            "n_bootstrap": int(n_bootstrap),
            "confidence_level": float(confidence_level),
            "random_state": random_state
            if isinstance(random_state, (int, type(None)))
            else repr(random_state),
            "human_labels": "counts" if counts is not None else "soft labels",
            "gold": gold is not None,
        },
        n_samples=int(n),
        n_classes=int(k),
        classes=None if classes is None else classes.tolist(),
        probabilities={v[0]: v[2] for v in variants},
        human=human,
    )


# ---------------------------------------------------------------- report


def _fmt(x):
    """The audit report's number format (:func:`sksoft.audit._report.fmt`),
    except that an infinite value stays ``inf`` (a KL divergence where a model
    gives probability 0 to a class humans chose)."""
    if x is not None and math.isinf(float(x)):
        return "inf" if x > 0 else "-inf"
    return fmt(x)


def _reliability_figures(result, path):
    """One figure per model: all samples vs hard samples, human reference.

    Drawn on the audit's figure helper (a matplotlib ``Figure`` without
    pyplot: no global backend state, headless).
    """
    files = []
    n_bins = result.settings["n_bins"]
    for i, name in enumerate(result.models):
        arrays = result.probabilities[name]
        p = np.concatenate(arrays)  # seeds stacked: every seed's predictions
        human = np.tile(result.human, (len(arrays), 1))
        mask = np.tile(result.hard_mask, len(arrays))
        fig, axes = figure_grid(2, 2, (5.6, 4.4))
        ReliabilityDisplay.from_predictions(
            human, p, mask=mask, n_bins=n_bins, name=name, ax=axes[0]
        )
        axes[0, 0].set_title(f"{name}: all items, vs human soft labels")
        axes[0, 1].set_title(f"{name}: hard items, vs human soft labels")
        seeds = f"; {len(arrays)} seeds' predictions pooled" if len(arrays) > 1 else ""
        fig.suptitle(
            f"Reliability of {name} (hard = top {pct(result.hard_fraction)} "
            f"human-label entropy, ties included: {pct(result.hard_share)} of the "
            f"items{seeds})"
        )
        fig.tight_layout(rect=(0, 0, 1, 0.94), w_pad=3.0)
        fname = f"reliability_{i:02d}.png"
        fig.savefig(os.path.join(path, fname), dpi=90)
        files.append((name, fname))
    return files


def _temperature_text(value):
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_temperature_text(v) for v in value) + "]"
    return _fmt(value)


def _provenance_table(result):
    """The provenance as the audit report writes it: an item | value table."""
    st = result.settings
    classes = f" ({', '.join(map(str, result.classes))})" if result.classes else ""
    n_hard = int(result.hard_mask.sum())
    rows = [
        ("samples / classes", f"{result.n_samples} / {result.n_classes}{classes}"),
        ("labels", f"human (given as {st['human_labels']})"),
        (
            "gold labels",
            "given" if st["gold"] else "not given (no `*_vs_gold` metric)",
        ),
        (
            "models (seeds)",
            ", ".join(f"{m} ({result.n_seeds[m]})" for m in result.models),
        ),
        (
            "samples / hard samples",
            f"{result.n_samples} / {n_hard} (hard = the "
            f"{pct(result.hard_fraction)} with the highest entropy of the human "
            f"soft labels, ties included: actual share {result.hard_share:.3f})",
        ),
        (
            "tie rule (top-1 agreement, RankCS) / ECE bins",
            f"`{st['ties']}` / {st['n_bins']} uniform",
        ),
        (
            "temperature asked / applied",
            f"{st['temperature']!r} / "
            + ", ".join(
                f"{m}: {_temperature_text(t)}" for m, t in result.temperatures.items()
            ),
        ),
        (
            "intervals",
            f"{100 * st['confidence_level']:g}% percentile bootstrap over items, "
            f"{st['n_bootstrap']} resamples, random_state={st['random_state']}",
        ),
    ]
    return md_table(["item", "value"], rows)


def _write_report(result, path):
    os.makedirs(path, exist_ok=True)
    frame = result.to_frame()
    frame.to_csv(os.path.join(path, "results.csv"), index=False)
    result.to_frame("differences").to_csv(
        os.path.join(path, "differences.csv"), index=False
    )
    st = result.settings
    level = f"{100 * st['confidence_level']:g}%"
    out = [
        "# Evaluation of given predictions",
        "",
        "Produced by `sksoft.evaluate_predictions`. Every metric is named by its "
        "reference: `*_vs_human` = human soft labels, `*_vs_human_mode` = the "
        "human majority label, `*_vs_gold` = the gold labels.",
        "",
        "## Provenance",
        "",
        _provenance_table(result),
        "",
        "## What the intervals cover",
        "",
        "Each interval resamples the **items** with replacement; every model, "
        "seed and metric is measured on the same resampled items, so the "
        "intervals of the differences below are paired. They cover item "
        "sampling only, not training-seed variation (the per-seed table shows "
        "that). `pooled` is the mean of a model's per-seed values.",
    ]
    for sub in SUBSETS:
        out += ["", f"## Scores, {sub} samples (pooled over seeds)", ""]
        rows = []
        for metric, meta in METRICS.items():
            sel = frame[
                (frame.metric == metric)
                & (frame.subset == sub)
                & (frame.seed == POOLED)
            ]
            if sel.empty:
                continue
            cells = [
                f"{_fmt(r.value)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
                for r in sel.itertuples()
            ]
            rows.append([f"`{metric}`", meta["better"]] + cells)
        out.append(md_table(["metric", "better"] + list(result.models), rows))
    seeded = frame[(frame.seed != POOLED) & (frame.subset == "all")]
    if not seeded.empty:
        out += ["", "## Per seed, all samples", ""]
        table = seeded.pivot_table(
            index=["model", "seed"], columns="metric", values="value", sort=False
        )
        cols = [m for m in METRICS if m in table.columns]
        rows = [
            [m, s] + [_fmt(table.loc[(m, s), c]) for c in cols] for m, s in table.index
        ]
        out.append(md_table(["model", "seed"] + [f"`{c}`" for c in cols], rows))
    diffs = result.to_frame("differences")
    if not diffs.empty:
        out += [
            "",
            f"## Paired differences (model - baseline, pooled, {level} interval)",
            "",
        ]
        rows = [
            [
                r.model,
                r.baseline,
                r.subset,
                f"`{r.metric}`",
                f"{_fmt(r.difference)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]",
            ]
            for r in diffs.itertuples()
        ]
        out.append(
            md_table(["model", "baseline", "subset", "metric", "difference"], rows)
        )
    figs = _reliability_figures(result, path)
    out += ["", "## Reliability diagrams (human soft labels, all vs hard)", ""]
    out += [f"![{name}]({fname})" for name, fname in figs]
    with open(os.path.join(path, "report.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    return path


# ------------------------------------------------------------------- CLI

#: the ``--help`` epilog of ``python -m sksoft evaluate``: the file formats
FILE_FORMATS = """\
files (every file has the same n rows, one per item, in the same order):
  --probs NAME=PATH[,PATH...]  one model's predicted probabilities, (n, K):
        a .npy (numpy.save) 2-D float array, or a .csv with one row per item
        and one column per class (an optional header row is skipped); rows
        are probabilities (>= 0, summing to 1), columns in class order.
        Several paths are the model's seeds (pooled and compared); repeat
        --probs for more models (compared pairwise).
  --counts PATH  human vote counts (n, K), non-negative, at least one vote
        per row; OR --soft-labels PATH  human label distributions (n, K),
        rows summing to 1. Same formats as --probs.
  --gold PATH  optional gold labels (n,), .npy or a one-column .csv: column
        positions 0..K-1, or class names listed in --classes.
writes to --out: report.md, results.csv, differences.csv and one
  reliability_NN.png per model (all vs hard samples, human soft labels).
"""


def _parse_probs(specs):
    probs = {}
    for spec in specs:
        name, sep, paths = spec.partition("=")
        if not sep or not name or not paths:
            raise ValueError(f"--probs expects NAME=PATH[,PATH...]; got {spec!r}.")
        if name in probs:
            raise ValueError(f"--probs names model {name!r} twice.")
        files = [p for p in paths.split(",") if p]
        probs[name] = files if len(files) > 1 else files[0]
    return probs


class _OneLineParser(argparse.ArgumentParser):
    """Errors in one line on stderr, exit code 2 (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser():
    p = _OneLineParser(
        prog="sksoft evaluate",
        description=DESCRIPTION,
        epilog=FILE_FORMATS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return _add_arguments(p)


#: the description of ``python -m sksoft evaluate``
DESCRIPTION = (
    "Evaluate given predicted probabilities (of models trained anywhere) "
    "against human labels, and gold labels if given: every metric named by its "
    "reference, on all, hard and easy items, with bootstrap intervals over "
    "items; writes a report folder to --out."
)


def _add_arguments(p):
    """Add the options of ``evaluate`` to an argparse parser (or subparser)."""
    p.add_argument(
        "--probs",
        action="append",
        required=True,
        metavar="NAME=PATH[,PATH...]",
        help="a model's probabilities (.npy/.csv); several paths are its seeds; "
        "repeat for more models",
    )
    human = p.add_mutually_exclusive_group(required=True)
    human.add_argument("--counts", metavar="PATH", help="human vote counts (.npy/.csv)")
    human.add_argument(
        "--soft-labels", metavar="PATH", help="human soft labels (.npy/.csv)"
    )
    p.add_argument(
        "--gold", metavar="PATH", help="gold labels (.npy/.csv, one per item)"
    )
    p.add_argument("--classes", help="comma-separated class names, in the column order")
    p.add_argument(
        "--hard-fraction",
        type=float,
        default=0.2,
        help="share of items with the highest human-label entropy counted as "
        "hard, ties included (0.2)",
    )
    p.add_argument(
        "--n-bins",
        type=int,
        default=15,
        help="uniform confidence bins of the ECEs (15)",
    )
    p.add_argument(
        "--ties",
        choices=TIE_CONVENTIONS,
        default="sksoft",
        help="tie rule of top-1 agreement and RankCS (sksoft; baan2022: the "
        "published code's)",
    )
    p.add_argument(
        "--temperature",
        default=None,
        help="also evaluate each model scaled by a temperature > 0, or 'fit' "
        "(fitted against the human labels, cross-fitted over 5 folds)",
    )
    p.add_argument(
        "--n-bootstrap",
        type=int,
        default=1000,
        help="bootstrap resamples of the items for the intervals (1000; 0: none)",
    )
    p.add_argument(
        "--random-state", type=int, default=0, help="seed of the resampling (0)"
    )
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out folder"
    )
    return p


def _check_options(args):
    """The option checks that need no file, in the command's terms."""
    if not 0.0 < args.hard_fraction < 1.0:
        raise ValueError("--hard-fraction must be in (0, 1)")
    if args.n_bins < 1:
        raise ValueError("--n-bins must be at least 1")
    if args.n_bootstrap < 0:
        raise ValueError("--n-bootstrap must be at least 0")
    temperature = args.temperature
    if temperature is not None and temperature != "fit":
        try:
            temperature = float(temperature)
        except ValueError:
            temperature = math.nan
        if not (math.isfinite(temperature) and temperature > 0):
            raise ValueError(
                f"--temperature must be a number > 0 or 'fit'; got {args.temperature!r}"
            )
    classes = None
    if args.classes is not None:
        classes = [c.strip() for c in args.classes.split(",")]
        if not all(classes):
            raise ValueError(f"--classes has an empty name: {args.classes!r}")
    return temperature, classes, check_out_folder(args.out, args.overwrite)


#: the function's words for its arguments, and the command's words for them
_CLI_TERMS = (
    ("pass counts=True", "pass the file with --counts"),
    ("pass classes", "pass --classes"),
    ("soft_labels (file", "--soft-labels (file"),
    ("counts (file", "--counts (file"),
)


def _cli_terms(exc):
    """An error of :func:`evaluate_predictions` in the command's terms, one line.

    ``probs['m'][1] (file p.npy)`` becomes ``--probs m, seed 1 (file p.npy)``;
    hints naming a function argument name the option instead.
    """
    msg = " ".join(str(exc).split())
    for library, command in _CLI_TERMS:
        msg = msg.replace(library, command)
    return re.sub(
        r"probs\[(['\"])(.*?)\1\](?:\[(\d+)\])?",
        lambda m: f"--probs {m[2]}" + (f", seed {m[3]}" if m[3] else ""),
        msg,
    )


def _run_command(args, prog="sksoft evaluate"):
    """Run the parsed ``evaluate`` command: the exit status, 0 or 2.

    Bad options, unreadable or inconsistent files: one line on stderr, exit
    code 2, nothing written. The report is written into a new folder next to
    ``--out`` and moved into place when complete.
    """
    import sys

    try:
        temperature, classes, out = _check_options(args)
        result = evaluate_predictions(
            _parse_probs(args.probs),
            counts=args.counts,
            soft_labels=args.soft_labels,
            gold=args.gold,
            classes=classes,
            hard_fraction=args.hard_fraction,
            n_bins=args.n_bins,
            ties=args.ties,
            temperature=temperature,
            n_bootstrap=args.n_bootstrap,
            random_state=args.random_state,
        )
        write_folder(out, result.write_report)
    except (ValueError, TypeError, OSError) as exc:
        print(f"{prog}: error: {_cli_terms(exc)}", file=sys.stderr)
        return 2
    print(f"{prog}: report written to {out / 'report.md'}", file=sys.stderr)
    return 0


def evaluate_main(argv=None):
    """Command-line entry of ``python -m sksoft evaluate``.

    The same command as ``python -m sksoft evaluate`` (:func:`sksoft.cli.main`
    with ``"evaluate"`` first), for callers that hold only the evaluate
    arguments.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
        0 on success, 2 on bad input (a one-line error on stderr, nothing
        written).

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sksoft.evaluation import evaluate_main
    >>> d = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> np.save(os.path.join(d, "p.npy"), rng.dirichlet(np.ones(3), size=60))
    >>> np.save(os.path.join(d, "c.npy"), rng.multinomial(5, [0.5, 0.3, 0.2], 60))
    >>> evaluate_main(["--probs", "m=" + os.path.join(d, "p.npy"), "--counts",
    ...                os.path.join(d, "c.npy"), "--n-bootstrap", "20",
    ...                "--out", os.path.join(d, "report")])
    0
    >>> sorted(os.listdir(os.path.join(d, "report")))[:3]
    ['differences.csv', 'reliability_00.png', 'report.md']
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed its one line (or --help)
        return 0 if exc.code == 0 else 2
    return _run_command(args)
