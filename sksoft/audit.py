"""The soft-label audit: one model, several kinds of supervision, several seeds.

:func:`run_audit` trains the same estimator under each *supervision arm*
(``gold``, ``human_mode``, ``human_soft``, ``human_soft_gold_mode``,
``smoothed``, ``teacher``; see :func:`sksoft.sources.make_supervision_arms`)
and each seed, and measures every run on held-out samples against the gold
labels **and** against the human soft labels. :class:`AuditResult` holds the
per-run records, the over-seed statistics and writes the report folder that
``python -m sksoft audit`` produces.
"""

import math
import numbers
import time

import numpy as np
from torch import nn

from ._audit_stats import curve_spread, paired_difference, seed_mean_std, spread_ratio
from .sources import ARM_NAMES, GOLD_ARMS
from .targets import check_soft_targets, hard_labels, hard_sample_mask
from .utils._sklearn_compat import HasMethods, Interval, validate_params

__all__ = [
    "ARMS",
    "METRICS",
    "AuditResult",
    "SmallCNN",
    "default_estimator",
    "run_audit",
    "score_predictions",
]

#: the supervision arms, in report order (those of :mod:`sksoft.sources`)
ARMS = ARM_NAMES
#: soft-label arms the report's reading judges against ``gold``
SOFT_ARMS = ("human_soft", "human_soft_gold_mode", "smoothed", "teacher")


def _metric_table():
    rows = []

    def add(name, better, reference, text):
        rows.append((name, better, reference, text))

    add("accuracy_vs_gold", "higher", "gold", "accuracy, all test samples")
    add("accuracy_vs_human_mode", "higher", "human mode", "accuracy, all test samples")
    for ref, rname in (("gold", "gold"), ("human", "human soft labels")):
        for kind, kname in (("ece", "ECE"), ("mce", "MCE")):
            for subset in ("all", "hard", "easy"):
                add(
                    f"{kind}_{subset}_vs_{ref}",
                    "lower",
                    rname,
                    f"{kname} (uniform bins, max-probability), {subset} test samples",
                )
    for subset in ("all", "hard"):
        add(
            f"cross_entropy_{subset}_vs_human",
            "lower",
            "human soft labels",
            f"cross-entropy H(human, model), {subset} test samples",
        )
        add(
            f"kl_{subset}_vs_human",
            "lower",
            "human soft labels",
            f"KL(human || model), {subset} test samples",
        )
        add(
            f"jsd_{subset}_vs_human",
            "lower",
            "human soft labels",
            f"Jensen-Shannon divergence, {subset} test samples",
        )
    add(
        "entropy_calibration_error_vs_human",
        "lower",
        "human soft labels",
        "mean |human entropy - model entropy| (Baan et al., 2022)",
    )
    add(
        "ranking_calibration_vs_human",
        "higher",
        "human soft labels",
        "share of samples whose class ranking matches the human one",
    )
    add(
        "distribution_calibration_error_vs_human",
        "lower",
        "human soft labels",
        "mean total variation distance to the human labels",
    )
    add(
        "spearman_entropy_vs_human",
        "higher",
        "human soft labels",
        "Spearman(human entropy, model entropy), test samples",
    )
    add(
        "spearman_confidence_vs_human",
        "lower",
        "human soft labels",
        "Spearman(human entropy, model confidence), test samples",
    )
    add(
        "carto_spearman_confidence_vs_human",
        "lower",
        "human soft labels",
        "Spearman(human entropy, cartography confidence), training samples",
    )
    add(
        "carto_spearman_variability_vs_human",
        "higher",
        "human soft labels",
        "Spearman(human entropy, cartography variability), training samples",
    )
    return {name: {"better": b, "reference": r, "text": t} for name, b, r, t in rows}


#: every metric the audit records per run: direction, reference and description
METRICS = _metric_table()


# ---------------------------------------------------------------- estimator


def _as_model_input(X):
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


class SmallCNN(nn.Module):
    """The audit's default image module: two convolution blocks and a linear head.

    ``Conv(3x3, width) - ReLU - MaxPool(2) - Conv(3x3, 2 width) - ReLU -
    AdaptiveAvgPool(4) - Dropout - Linear``; outputs logits, so it plugs into
    :class:`sksoft.SoftLabelClassifier` (``module=SmallCNN``,
    ``module__in_channels=...``, ``module__n_classes=...``). Works for any image
    size of at least 4 x 4.

    Parameters
    ----------
    in_channels : int, default=1
        Image channels.
    n_classes : int, default=10
        Outputs.
    width : int, default=16
        Channels of the first convolution.
    dropout : float, default=0.25
        Dropout before the linear head.

    Examples
    --------
    >>> import torch
    >>> from sksoft.audit import SmallCNN
    >>> SmallCNN(in_channels=3, n_classes=4)(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 4])
    """

    def __init__(self, in_channels=1, n_classes=10, width=16, dropout=0.25):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(2 * width * 16, n_classes),
        )

    def forward(self, X):
        return self.head(self.features(X))


def _describe(estimator):
    """Short readable description of an estimator for the report."""
    from skorch import NeuralNet

    steps = getattr(estimator, "steps", None)
    if steps:
        return " -> ".join(_describe(step) for _, step in steps)
    if isinstance(estimator, NeuralNet):
        module = estimator.module
        if module is None:
            sizes = getattr(estimator, "hidden_layer_sizes", None)
            module_txt = f"MLP{tuple(sizes)}" if sizes is not None else "default"
        else:
            module_txt = getattr(module, "__name__", type(module).__name__)
        opt = getattr(estimator.optimizer, "__name__", str(estimator.optimizer))
        return (
            f"{type(estimator).__name__}(module={module_txt}, optimizer={opt}, "
            f"lr={estimator.lr}, max_epochs={estimator.max_epochs}, "
            f"batch_size={estimator.batch_size})"
        )
    return " ".join(repr(estimator).split())


def _default_teacher(X):
    """Teacher for image input: PCA to 50 components, then logistic regression."""
    if X.ndim == 2:
        return None  # make_supervision_arms' default (scaled logistic regression)
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    n_components = int(min(50, np.prod(X.shape[1:]), X.shape[0] // 2))
    return make_pipeline(
        PCA(n_components=n_components, random_state=0),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )


def default_estimator(X, n_classes, *, max_epochs=40):
    """The audit's default estimator for model input ``X``.

    A :class:`sksoft.SoftLabelClassifier` (Adam, learning rate 1e-3, batches of
    64, no internal validation split) whose module suits the input: for 2-D
    features a pipeline of a :class:`~sklearn.preprocessing.StandardScaler` and
    an MLP with one hidden layer of 100 units; for images ``(n, C, H, W)`` a
    small CNN (two convolution blocks of 16 and 32 channels, dropout 0.25).

    Parameters
    ----------
    X : ndarray
        Model input as :func:`run_audit` prepares it (float32).
    n_classes : int
        Number of classes.
    max_epochs : int, default=40
        Training epochs.

    Returns
    -------
    estimator : Pipeline or SoftLabelClassifier
        Unfitted.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import default_estimator
    >>> est = default_estimator(np.zeros((5, 64), np.float32), 10, max_epochs=3)
    >>> [type(step).__name__ for _, step in est.steps]
    ['StandardScaler', 'SoftLabelClassifier']
    >>> cnn = default_estimator(np.zeros((5, 1, 28, 28), np.float32), 10)
    >>> type(cnn).__name__, cnn.module.__name__
    ('SoftLabelClassifier', 'SmallCNN')
    """
    import torch

    from .classifier import SoftLabelClassifier

    common = dict(
        max_epochs=max_epochs,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    if X.ndim == 4:
        return SoftLabelClassifier(
            module=SmallCNN,
            module__in_channels=int(X.shape[1]),
            module__n_classes=int(n_classes),
            **common,
        )
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        StandardScaler(), SoftLabelClassifier(hidden_layer_sizes=(100,), **common)
    )


def _find_net(estimator):
    """The skorch net inside ``estimator`` (itself or a Pipeline's last step)."""
    from skorch import NeuralNet

    if isinstance(estimator, NeuralNet):
        return estimator, ""
    steps = getattr(estimator, "steps", None)
    if steps and isinstance(steps[-1][1], NeuralNet):
        return steps[-1][1], steps[-1][0] + "__"
    return None, None


# ---------------------------------------------------------------- one run


def _fit_one(estimator, X, Y, train_idx, test_idx, gold_train, seed, dynamics):
    """Fit one clone on ``X[train_idx]`` with targets ``Y`` and predict the test rows.

    Runs in a joblib worker: pins torch to one thread and seeds the estimator,
    so the result is the same under every backend.
    """
    import torch
    from sklearn.base import clone

    prev_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        est = clone(estimator)
        # seed every random_state of the estimator (nested ones included) that
        # is None or an int; the torch generator is forked and seeded too, so
        # a module drawing from torch's global generator is reproducible
        seeded = {
            key: seed
            for key, value in est.get_params(deep=True).items()
            if (key == "random_state" or key.endswith("__random_state"))
            and not key.startswith("callbacks__")
            and (value is None or isinstance(value, numbers.Integral))
        }
        est.set_params(**seeded)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return _fit_predict(est, X, Y, train_idx, test_idx, gold_train, dynamics)
    finally:
        torch.set_num_threads(prev_threads)


def _fit_predict(est, X, Y, train_idx, test_idx, gold_train, dynamics):
    """Fit ``est`` (with the dynamics recorder when it is a net) and predict."""
    net, prefix = _find_net(est)
    recorder = None
    if net is not None and dynamics:
        from .callbacks import TrainingDynamics
        from .classifier import SoftLabelClassifier

        mode = "train" if isinstance(net, SoftLabelClassifier) else "eval"
        recorder = TrainingDynamics(
            mode=mode, storage="streaming", gold_labels=gold_train
        )
        callbacks = net.get_params().get("callbacks")
        callbacks = [] if callbacks in (None, "disable") else list(callbacks)
        callbacks.append(("audit_dynamics", recorder))
        est.set_params(**{f"{prefix}callbacks": callbacks})
    start = time.perf_counter()
    est.fit(X[train_idx], Y)
    fit_time = time.perf_counter() - start
    proba = np.asarray(est.predict_proba(X[test_idx]), dtype=np.float64)
    net, _ = _find_net(est)
    out = {"proba": proba, "fit_time": fit_time, "history": None, "dynamics": None}
    if net is not None:
        hist = net.history_ if hasattr(net, "history_") else net.history
        out["history"] = {
            key: [float(v) for v in hist[:, key]]
            for key in ("train_loss", "valid_loss")
            if len(hist) and key in hist[-1]
        }
        if recorder is not None:
            rec = dict(net.callbacks_)["audit_dynamics"]
            stats = rec.get_statistics()
            out["dynamics"] = {
                key: np.asarray(stats[key], dtype=np.float64)
                for key in ("confidence", "variability", "correctness")
            }
    return out


def _keyed_fit(key, *args):
    return key, _fit_one(*args)


# ---------------------------------------------------------------- scoring


def score_predictions(y_prob, gold, human, hard, *, n_bins=15):
    """Every test-set metric of one run, computed with :mod:`sksoft.metrics`.

    Parameters
    ----------
    y_prob : ndarray of shape (n_samples, n_classes)
        Predicted probabilities on the test samples.
    gold : ndarray of shape (n_samples,) or None
        Gold labels as column positions; ``None`` skips the ``*_vs_gold``
        metrics.
    human : ndarray of shape (n_samples, n_classes)
        Human soft labels (probability rows).
    hard : ndarray of shape (n_samples,), dtype bool
        The hard samples (:func:`sksoft.targets.hard_sample_mask` of ``human``).
    n_bins : int, default=15
        Bins of the calibration errors (uniform, max-probability).

    Returns
    -------
    scores : dict
        Metric name -> float, names as in ``sksoft.audit.METRICS`` (the cartography
        entries excepted).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import score_predictions
    >>> human = np.array([[0.9, 0.1], [0.5, 0.5], [0.2, 0.8], [0.6, 0.4]])
    >>> proba = np.array([[0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.7, 0.3]])
    >>> hard = np.array([False, True, False, True])
    >>> s = score_predictions(proba, np.array([0, 0, 1, 0]), human, hard, n_bins=5)
    >>> s["accuracy_vs_gold"], round(s["kl_all_vs_human"], 4)
    (1.0, 0.0264)
    """
    from . import metrics as M

    out = {}
    labels = np.arange(y_prob.shape[1])  # gold subsets may miss a class
    pred = np.argmax(y_prob, axis=1)
    human_mode = np.argmax(human, axis=1)  # ties to the first class, as hard_labels
    if gold is not None:
        out["accuracy_vs_gold"] = float(np.mean(pred == gold))
    out["accuracy_vs_human_mode"] = float(np.mean(pred == human_mode))
    subsets = {"all": np.ones(len(hard), bool), "hard": hard, "easy": ~hard}
    refs = {"human": human}
    if gold is not None:
        refs = {"gold": gold, "human": human}
    for ref, y_ref in refs.items():
        for subset, mask in subsets.items():
            for kind, fn in (
                ("ece", M.expected_calibration_error),
                ("mce", M.max_calibration_error),
            ):
                name = f"{kind}_{subset}_vs_{ref}"
                if not mask.any():
                    out[name] = math.nan
                    continue
                extra = {"labels": labels} if ref == "gold" else {}
                out[name] = float(fn(y_ref[mask], y_prob[mask], n_bins=n_bins, **extra))
    for subset in ("all", "hard"):
        mask = subsets[subset]
        out[f"cross_entropy_{subset}_vs_human"] = float(
            M.soft_log_loss(human[mask], y_prob[mask])
        )
        out[f"kl_{subset}_vs_human"] = float(M.kl_divergence(human[mask], y_prob[mask]))
        out[f"jsd_{subset}_vs_human"] = float(
            M.js_divergence(human[mask], y_prob[mask])
        )
    out["entropy_calibration_error_vs_human"] = float(
        M.entropy_calibration_error(human, y_prob)
    )
    out["ranking_calibration_vs_human"] = float(
        M.ranking_calibration_score(human, y_prob)
    )
    out["distribution_calibration_error_vs_human"] = float(
        M.distribution_calibration_error(human, y_prob)
    )
    for predicted in ("entropy", "confidence"):
        try:
            value = M.uncertainty_alignment(
                human, y_prob, method="spearman", predicted=predicted
            )
        except ValueError:  # constant entropy or confidence: undefined
            value = math.nan
        out[f"spearman_{predicted}_vs_human"] = float(value)
    return out


def _cartography_alignment(confidence, variability, human_entropy):
    """Spearman correlations of cartography statistics with human entropy.

    Returns
    -------
    dict
        ``carto_spearman_confidence_vs_human`` and
        ``carto_spearman_variability_vs_human``, from
        :func:`sksoft.cartography.human_alignment_summary`.
    """
    from .cartography import human_alignment_summary

    summary = human_alignment_summary(
        {"confidence": confidence, "variability": variability}, human_entropy
    )
    return {
        "carto_spearman_confidence_vs_human": float(summary["spearman"]["confidence"]),
        "carto_spearman_variability_vs_human": float(
            summary["spearman"]["variability"]
        ),
    }


# ---------------------------------------------------------------- the result


class AuditResult:
    """Outcome of :func:`run_audit`.

    Attributes
    ----------
    arms : list of str
        Arms in report order.
    seeds : list of int
        Seeds, one model per arm and seed (and fold).
    reference : str
        The arm every other arm is compared with (``"gold"``, or
        ``"human_mode"`` when no gold labels were given).
    classes : ndarray of shape (n_classes,)
        Class labels in column order.
    test_index : ndarray of shape (n_test,)
        Rows of ``X`` the metrics are computed on (held-out rows, or every row
        with cross-validation: out-of-fold predictions).
    gold_test : ndarray of shape (n_test,) or None
        Gold labels of the test rows as column positions.
    human_test : ndarray of shape (n_test, n_classes)
        Human soft labels of the test rows.
    hard_mask : ndarray of shape (n_test,), dtype bool
        Hard test samples: :func:`sksoft.targets.hard_sample_mask` of
        ``human_test`` with ``hard_fraction``.
    gold : ndarray of shape (n_samples,) or None
        Gold labels of every row as column positions.
    human : ndarray of shape (n_samples, n_classes)
        Human soft labels of every row.
    mode_shift : ndarray of shape (n_samples,), dtype bool
        Rows whose human mode (argmax, ties to the first class) differs from
        the gold label (all False without gold labels).
    folds : list of (ndarray, ndarray)
        ``(train_index, test_index)`` of every fold.
    runs : list of dict
        One record per arm and seed, in arm then seed order: ``arm``, ``seed``,
        ``proba`` (``(n_test, n_classes)`` out-of-fold test probabilities),
        ``metrics`` (name -> float, see ``sksoft.audit.METRICS``), ``history``
        (per fold: ``{"train_loss": [...]}`` or None), ``dynamics`` (per fold:
        per-sample ``confidence``, ``variability``, ``correctness`` of the
        training rows of that fold, or None), ``fit_time`` (seconds, summed
        over folds).
    scores : dict of str to ndarray of shape (n_arms, n_seeds)
        Every metric, arm by seed.
    params : dict
        The settings of the audit (hard_fraction, test_size, cv, n_bins,
        confidence, estimator repr, ...).
    provenance : dict
        What the data is: ``dataset``, ``licence``, ``labels`` (human or
        simulated), as given to :func:`run_audit`.
    elapsed : float
        Wall-clock seconds of the audit.

    See Also
    --------
    run_audit : Builds this result.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import run_audit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(90, 3)).astype(np.float32)
    >>> gold = (X[:, 0] > 0).astype(int)
    >>> counts = rng.multinomial(6, [0.5, 0.5], size=90)
    >>> result = run_audit(X, gold, counts, arms=["human_soft"], seeds=2,
    ...                    max_epochs=2)
    >>> result.arms, result.reference
    (['gold', 'human_soft'], 'gold')
    >>> row = [r for r in result.effects() if r["metric"] == "ece_hard_vs_human"][0]
    >>> row["arm"], row["n"]
    ('human_soft', 2)
    """

    def __init__(self, **attrs):
        for key, value in attrs.items():
            setattr(self, key, value)

    def __repr__(self):
        return (
            f"AuditResult(arms={self.arms}, seeds={self.seeds}, "
            f"n_test={len(self.test_index)}, reference={self.reference!r})"
        )

    @property
    def mode_shift_rate(self):
        """Share of rows whose human mode differs from the gold label."""
        return float(np.mean(self.mode_shift)) if self.gold is not None else math.nan

    def summary(self):
        """Mean and standard deviation (ddof=1) over seeds.

        Returns
        -------
        rows : list of dict
            One row per arm and metric: ``arm``, ``metric``, ``mean``, ``std``,
            ``n_seeds``.
        """
        rows = []
        for name, mat in self.scores.items():
            for i, arm in enumerate(self.arms):
                mean, std = seed_mean_std(mat[i])
                rows.append(
                    {
                        "arm": arm,
                        "metric": name,
                        "mean": mean,
                        "std": std,
                        "n_seeds": int(np.isfinite(mat[i]).sum()),
                    }
                )
        return rows

    def effects(self, confidence=None):
        """Paired-by-seed differences of each arm to the reference arm.

        Parameters
        ----------
        confidence : float, default=None
            Interval coverage; the audit's ``confidence`` (0.95) by default.

        Returns
        -------
        rows : list of dict
            One row per non-reference arm and metric: ``arm``, ``metric``,
            ``diff`` (mean over seeds of arm - reference), ``ci_low``,
            ``ci_high`` (Student-t interval), ``sd``, ``n``, ``p_value``,
            ``better`` (the metric's direction) and ``verdict``
            (``"better"``, ``"worse"`` or ``"no clear difference"``: whether the
            interval excludes zero, read in the metric's direction).
        """
        confidence = self.params["confidence"] if confidence is None else confidence
        ref = self.arms.index(self.reference)
        rows = []
        for name, mat in self.scores.items():
            better = METRICS[name]["better"]
            for i, arm in enumerate(self.arms):
                if i == ref:
                    continue
                eff = paired_difference(mat[i], mat[ref], confidence=confidence)
                rows.append(
                    {
                        "arm": arm,
                        "metric": name,
                        **eff,
                        "better": better,
                        "verdict": _verdict(eff, better),
                    }
                )
        return rows

    def spreads(self, confidence=None):
        """Seed spread of each arm relative to the reference arm.

        Returns
        -------
        rows : list of dict
            ``arm``, ``metric``, ``ratio`` (sd over seeds of the arm / of the
            reference), ``ci_low``, ``ci_high`` (F interval), and the
            ``curve_spread`` of the training-loss curves: the mean over epochs
            of the across-seed standard deviation (metric ``"train_loss_curve"``,
            ratio = arm / reference).
        """
        confidence = self.params["confidence"] if confidence is None else confidence
        ref = self.arms.index(self.reference)
        rows = []
        for name, mat in self.scores.items():
            for i, arm in enumerate(self.arms):
                if i == ref:
                    continue
                rows.append(
                    {
                        "arm": arm,
                        "metric": name,
                        **spread_ratio(mat[i], mat[ref], confidence=confidence),
                    }
                )
        return rows

    def curve_spreads(self):
        """Across-seed spread of the training-loss curves, per arm and fold.

        Returns
        -------
        dict of str to float
            Arm -> mean over folds of the curve spread of its seeds'
            ``train_loss`` curves (nan without curves or with one seed).
        """
        out = {}
        for arm in self.arms:
            runs = [r for r in self.runs if r["arm"] == arm]
            values = []
            for f in range(len(self.folds)):
                curves = [
                    r["history"][f]["train_loss"]
                    for r in runs
                    if r["history"]
                    and r["history"][f]
                    and "train_loss" in r["history"][f]
                ]
                values.append(curve_spread(curves))
            values = [v for v in values if math.isfinite(v)]
            out[arm] = float(np.mean(values)) if values else math.nan
        return out

    def to_frame(self):
        """Per-run metrics as a pandas DataFrame (one row per arm and seed)."""
        import pandas as pd

        rows = [{"arm": r["arm"], "seed": r["seed"], **r["metrics"]} for r in self.runs]
        return pd.DataFrame(rows)

    def write_report(self, path, *, figures=True):
        """Write ``report.md``, ``results.csv``, ``runs.jsonl`` and figures.

        Parameters
        ----------
        path : str or path-like
            Folder (created if missing).
        figures : bool, default=True
            Also draw the PNG figures (needs matplotlib).

        Returns
        -------
        files : list of pathlib.Path
            The files written.
        """
        from ._report import write_report

        return write_report(self, path, figures=figures)


def _verdict(eff, better):
    lo, hi = eff["ci_low"], eff["ci_high"]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    if better == "lower":
        if hi < 0:
            return "better"
        if lo > 0:
            return "worse"
    else:
        if lo > 0:
            return "better"
        if hi < 0:
            return "worse"
    return "no clear difference"


# ---------------------------------------------------------------- validation


def _check_inputs(X, gold, human, counts, classes):
    X = _as_model_input(X)
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
    k = human_p.shape[1]
    if k < 2:
        raise ValueError("the human labels need at least 2 classes")
    if classes is None:
        classes = np.arange(k)
    classes = np.asarray(classes)
    if classes.shape != (k,):
        raise ValueError(
            f"K mismatch: {classes.size} classes given but the human labels have "
            f"{k} columns"
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
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        try:
            gold_pos = np.array([lookup[g] for g in gold.tolist()], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(
                f"K mismatch: gold label {exc.args[0]!r} is not one of the {k} "
                f"classes {classes.tolist()} of the human labels"
            ) from None
    return X, gold_pos, human_p, classes


def _make_folds(n, strat, test_size, cv, random_state):
    from sklearn.model_selection import StratifiedKFold, train_test_split

    _, class_counts = np.unique(strat, return_counts=True)
    if cv is None:
        stratify = strat if class_counts.min() >= 2 else None
        train, test = train_test_split(
            np.arange(n),
            test_size=test_size,
            random_state=random_state,
            stratify=stratify,
        )
        return [(np.sort(train), np.sort(test))]
    if isinstance(cv, numbers.Integral):
        if cv < 2:
            raise ValueError(f"cv must be at least 2, got {cv}")
        cv = StratifiedKFold(cv, shuffle=True, random_state=random_state)
    folds = [
        (np.sort(np.asarray(tr)), np.sort(np.asarray(te)))
        for tr, te in cv.split(np.zeros((n, 1)), strat)
    ]
    test_all = np.concatenate([te for _, te in folds])
    if test_all.size != n or np.unique(test_all).size != n:
        raise ValueError(
            "cv must put every sample in exactly one test fold (a partition, like "
            "KFold), so that every sample gets one out-of-fold prediction"
        )
    return folds


def _build_arms(arms, X_train, gold_train, human_train, *, teacher, random_state):
    """Targets of each arm on the training rows, from :mod:`sksoft.sources`."""
    from .sources import make_supervision_arms, mode_one_hot

    if gold_train is None:  # only the arms that need no gold label
        built = {"human_mode": mode_one_hot(human_train), "human_soft": human_train}
    else:
        built = make_supervision_arms(
            human_train,
            gold_train,
            X=X_train.reshape(len(X_train), -1) if "teacher" in arms else None,
            arms=arms,
            teacher=teacher,
            random_state=random_state,
        )
    return {arm: np.asarray(built[arm], dtype=np.float64) for arm in arms}


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
        "counts": ["boolean", None],
        "classes": ["array-like", None],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "teacher": [HasMethods(["fit", "predict_proba"]), None],
        "n_bins": [Interval(numbers.Integral, 1, None, closed="left")],
        "confidence": [Interval(numbers.Real, 0, 1, closed="neither")],
        "record_dynamics": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "provenance": [dict, None],
        "progress": [callable, None],
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
    counts=None,
    classes=None,
    max_epochs=None,
    teacher=None,
    n_bins=15,
    confidence=0.95,
    record_dynamics=True,
    n_jobs=None,
    random_state=0,
    provenance=None,
    progress=None,
):
    """Train one model per supervision arm and seed and compare them.

    The controlled audit of soft-label training: the same estimator is trained
    on the same training rows under each kind of supervision (arm), once per
    seed, and every run is measured on held-out rows against the gold labels
    and against the human soft labels, overall and on the hard samples (those
    humans disagree on most).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or image array
        Features, or images ``(n, H, W)``, ``(n, C, H, W)`` or ``(n, H, W, C)``
        (uint8 images are scaled to [0, 1]).
    gold : array-like of shape (n_samples,) or None
        Gold labels, values of ``classes``. ``None`` is allowed only with
        arms that need no gold label (``human_mode``, ``human_soft``); the
        reference arm is then ``human_mode`` and no ``*_vs_gold`` metric is
        computed.
    human : array-like of shape (n_samples, n_classes)
        Human labels: soft labels (rows summing to 1) or vote counts.
    estimator : estimator, default=None
        Any classifier whose ``fit`` accepts ``(n, K)`` soft targets and that
        has ``predict_proba`` (a :class:`sksoft.SoftLabelClassifier`, a
        :class:`sksoft.ExpansionClassifier`, or a Pipeline ending in one).
        Cloned for every run; its ``random_state`` is set to the run's seed.
        Training dynamics and loss curves are recorded when it is (or ends in)
        a skorch net. ``None``: :func:`default_estimator` (MLP for 2-D
        features, a small CNN for images) with ``max_epochs``.
    arms : list of str, default=None
        Arms to train, from ``sksoft.audit.ARMS``; ``None`` means all six (or the two
        that need no gold label when ``gold`` is None). The reference arm is
        always included.
    seeds : int or sequence of int, default=5
        Seeds of the runs (an int ``s`` means ``range(s)``). The data split
        and the arms' targets do not depend on the seed; the model's
        initialisation and batch order do.
    hard_fraction : float in (0, 1), default=0.2
        Share of test samples with the highest human-label entropy that are
        "hard" (:func:`sksoft.targets.hard_sample_mask`, ties included).
    test_size : float, default=0.3
        Held-out share (stratified on the gold label) when ``cv`` is None.
    cv : int or cross-validation splitter, default=None
        Instead of one split, use out-of-fold predictions of every sample: an
        int is a shuffled :class:`~sklearn.model_selection.StratifiedKFold`;
        a splitter must partition the samples.
    counts : bool, default=None
        Read ``human`` as vote counts; by default integer matrices are counts
        and float matrices soft labels.
    classes : array-like of shape (n_classes,), default=None
        Class labels in column order of ``human``; ``arange(n_classes)`` by
        default.
    max_epochs : int, default=None
        Epochs of the default estimator (ignored with ``estimator``): 40 for
        2-D features, 12 for images.
    teacher : estimator, default=None
        Classifier for the ``teacher`` arm's cross-fitted soft labels, passed to
        :func:`sksoft.sources.make_supervision_arms` (on flattened inputs).
        ``None``: that function's default (standardised logistic regression)
        for 2-D features; PCA to 50 components then logistic regression for
        images.
    n_bins : int, default=15
        Bins of the calibration errors.
    confidence : float, default=0.95
        Coverage of the intervals.
    record_dynamics : bool, default=True
        Record training dynamics (:class:`sksoft.callbacks.TrainingDynamics`)
        when the estimator is a skorch net.
    n_jobs : int, default=None
        Runs in parallel through joblib (any backend, e.g. Dask's). Each run
        uses one torch thread and its own seed, so results do not depend on
        the backend or ``n_jobs``.
    random_state : int, default=0
        Seed of the data split and of the arms' construction.
    provenance : dict, default=None
        Description of the data for the report: ``dataset``, ``licence``,
        ``labels`` ("human ..." or "simulated ...").
    progress : callable, default=None
        Called once when training starts (``done=0``) and after each finished
        run with a dict (``arm``, ``seed``, ``fold``, ``done``, ``total``); the
        command passes a progress bar.

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
    interval. These intervals measure seed-to-seed variation on one split and
    test set, not the sampling uncertainty of the test set (use ``cv`` and
    more data for that).

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
    >>> sorted(result.effects()[0])[:3]
    ['arm', 'better', 'ci_high']
    """
    start = time.perf_counter()
    X, gold_pos, human_p, classes = _check_inputs(X, gold, human, counts, classes)
    n, k = human_p.shape
    if isinstance(seeds, numbers.Integral):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {seeds}")
        seeds = list(range(int(seeds)))
    seeds = [int(s) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError("seeds must be a non-empty list of distinct integers")
    if not 0 < hard_fraction < 1:
        raise ValueError(f"hard_fraction must be in (0, 1), got {hard_fraction}")
    if cv is None and not 0 < test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    reference = "gold" if gold_pos is not None else "human_mode"
    if arms is None:
        arms = list(ARMS) if gold_pos is not None else ["human_mode", "human_soft"]
    arms = [str(a) for a in arms]
    unknown = [a for a in arms if a not in ARMS]
    if unknown:
        raise ValueError(f"unknown arm {unknown[0]!r}; choose from {list(ARMS)}")
    if len(set(arms)) != len(arms):
        raise ValueError("arms lists an arm twice")
    if gold_pos is None:
        needs = [a for a in arms if a in GOLD_ARMS]
        if needs:
            raise ValueError(
                f"arm {needs[0]!r} needs gold labels, which were not given"
            )
    if reference not in arms:
        arms = [reference, *arms]
    arms = [a for a in ARMS if a in arms]
    if len(arms) < 2:
        raise ValueError("the audit needs at least one arm besides the reference")

    mode = hard_labels(human_p)  # positions, ties to the first class
    strat = gold_pos if gold_pos is not None else mode
    folds = _make_folds(n, strat, test_size, cv, random_state)
    test_index = np.sort(np.concatenate([te for _, te in folds]))
    human_test = human_p[test_index]
    gold_test = None if gold_pos is None else gold_pos[test_index]
    hard = hard_sample_mask(human_test, hard_fraction=hard_fraction)
    mode_shift = np.zeros(n, bool) if gold_pos is None else (mode != gold_pos)

    if estimator is None:
        if max_epochs is None:
            max_epochs = 40 if X.ndim == 2 else 12
        estimator = default_estimator(X, k, max_epochs=max_epochs)
    if teacher is None and "teacher" in arms:
        teacher = _default_teacher(X)

    # targets of every arm, per fold (independent of the seed)
    targets = []
    for train, _ in folds:
        targets.append(
            _build_arms(
                arms,
                X[train],
                None if gold_pos is None else gold_pos[train],
                human_p[train],
                teacher=teacher,
                random_state=random_state,
            )
        )

    from joblib import Parallel, delayed

    tasks = [
        (arm, seed, f) for arm in arms for seed in seeds for f in range(len(folds))
    ]
    jobs = (
        delayed(_keyed_fit)(
            (arm, seed, f),
            estimator,
            X,
            targets[f][arm],
            folds[f][0],
            folds[f][1],
            None if gold_pos is None else gold_pos[folds[f][0]],
            seed,
            record_dynamics,
        )
        for arm, seed, f in tasks
    )
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    outputs = {}
    if progress is not None:
        progress(
            {"arm": None, "seed": None, "fold": None, "done": 0, "total": len(tasks)}
        )
    for i, (key, out) in enumerate(parallel(jobs)):
        outputs[key] = out
        if progress is not None:
            arm, seed, f = key
            progress(
                {
                    "arm": arm,
                    "seed": seed,
                    "fold": f,
                    "done": i + 1,
                    "total": len(tasks),
                }
            )

    pos_in_test = np.empty(n, dtype=np.int64)
    pos_in_test[test_index] = np.arange(test_index.size)
    human_entropy = _human_entropy(human_p)
    runs = []
    for arm in arms:
        for seed in seeds:
            proba = np.empty((test_index.size, k))
            history, dynamics, fit_time = [], [], 0.0
            for f, (train, test) in enumerate(folds):
                out = outputs[(arm, seed, f)]
                if out["proba"].shape != (test.size, k):
                    raise ValueError(
                        f"the estimator predicted probabilities of shape "
                        f"{out['proba'].shape} for {test.size} rows and {k} classes"
                    )
                proba[pos_in_test[test]] = out["proba"]
                history.append(out["history"])
                dynamics.append(out["dynamics"])
                fit_time += out["fit_time"]
            metrics = score_predictions(
                proba, gold_test, human_test, hard, n_bins=n_bins
            )
            carto = [
                _cartography_alignment(
                    d["confidence"], d["variability"], human_entropy[train]
                )
                for d, (train, _) in zip(dynamics, folds)
                if d is not None
            ]
            for name in (
                "carto_spearman_confidence_vs_human",
                "carto_spearman_variability_vs_human",
            ):
                metrics[name] = (
                    float(np.mean([c[name] for c in carto])) if carto else math.nan
                )
            runs.append(
                {
                    "arm": arm,
                    "seed": seed,
                    "proba": proba,
                    "metrics": metrics,
                    "history": history,
                    "dynamics": dynamics,
                    "fit_time": fit_time,
                }
            )
    names = [m for m in METRICS if m in runs[0]["metrics"]]
    scores = {
        name: np.array(
            [[r["metrics"][name] for r in runs if r["arm"] == arm] for arm in arms],
            dtype=float,
        )
        for name in names
    }
    params = {
        "hard_fraction": float(hard_fraction),
        "test_size": None if cv is not None else float(test_size),
        "cv": None if cv is None else repr(cv),
        "n_folds": len(folds),
        "n_bins": int(n_bins),
        "confidence": float(confidence),
        "random_state": random_state,
        "estimator": _describe(estimator),
        "teacher": "default" if teacher is None else _describe(teacher),
        "max_epochs": max_epochs,
        "n_jobs": n_jobs,
    }
    return AuditResult(
        arms=arms,
        seeds=seeds,
        reference=reference,
        classes=classes,
        test_index=test_index,
        gold_test=gold_test,
        human_test=human_test,
        hard_mask=hard,
        gold=gold_pos,
        human=human_p,
        mode_shift=mode_shift,
        folds=folds,
        runs=runs,
        scores=scores,
        params=params,
        provenance=dict(provenance or {}),
        elapsed=time.perf_counter() - start,
    )


def _human_entropy(human_p):
    from .targets import target_entropy

    return target_entropy(human_p)
