"""The supervision arms of the controlled comparison, as a registry.

One place per arm: :data:`ARM_REGISTRY` maps each arm name to an
:class:`ArmSpec` (its builder, whether it needs gold labels or inputs ``X``,
whether its targets are soft, a one-line description, and an optional
post-fit calibration step). :data:`ARM_NAMES`, :data:`GOLD_ARMS` and
:data:`SOFT_ARMS` are derived from it, and :func:`make_supervision_arms`
builds any subset of it, so adding an arm is one builder function and one
:func:`_register` call in this file.
"""

import numbers
import warnings
from collections.abc import Callable
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..calibration import fit_dirichlet, fit_temperature, temperature_scale
from ..model_selection import SoftStratifiedKFold
from ..targets import check_soft_targets, hard_labels
from ..utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from ._dawid_skene import dawid_skene
from ._mode import align_mode, gold_indices, mode_one_hot
from ._synthetic import apply_temperature, smooth_labels, teacher_soft_labels

__all__ = [
    "ARM_NAMES",
    "ARM_REGISTRY",
    "DEFAULT_ARMS",
    "GOLD_ARMS",
    "SOFT_ARMS",
    "ArmSpec",
    "PostFit",
    "make_supervision_arms",
]


class ArmSpec(NamedTuple):
    """One supervision arm of the registry (a read-only record).

    Attributes
    ----------
    name : str
        The arm's name (its key in :data:`ARM_REGISTRY`).
    build : callable
        ``build(inputs) -> ndarray of shape (n_samples, n_classes)``; ``inputs``
        carries the validated human soft labels (``inputs.human``), the gold
        column positions (``inputs.gold``, ``None`` without gold),
        ``inputs.gold_one_hot``, ``inputs.aligned`` (the human soft labels
        with their mode moved onto gold), ``inputs.X``, the keyword options of
        :func:`make_supervision_arms` (``inputs.options``) and the ``info``
        dict the builder may add entries to.
    needs_gold : bool
        Whether the targets are built from the gold labels.
    soft : bool
        Whether the targets are soft (not one-hot) rows.
    description : str
        One line for documentation and reports.
    needs_X : bool, default=False
        Whether the builder needs the inputs ``X``.
    calibrate : callable or None, default=None
        A post-fit step that the audit's worker applies after fitting the
        model on the arm's targets:
        ``calibrate(fit_predict, human, gold, options) -> PostFit``.
        ``fit_predict(train, test)`` fits a fresh clone of the model (same
        estimator, same seed) on the arm's targets of the training rows at
        positions ``train`` and returns its probabilities on the training
        rows at positions ``test``; ``human`` and ``gold`` are the human soft
        labels and gold column positions of the training rows; ``options``
        holds ``calibration_cv`` and ``random_state``. The returned
        :class:`PostFit` maps the model's test probabilities to the arm's.
        ``None``: the arm's probabilities are the model's own.
    calibration_splits : callable or None, default=None
        ``calibration_splits(human, gold, options) -> list of (train, test)``:
        the ``fit_predict(train, test)`` calls that ``calibrate`` makes, in
        advance, so that the audit can train those inner fits of all seeds
        together (as batched ensembles) and serve ``calibrate`` their
        predictions; a call it did not announce is fitted on its own. ``None``:
        every inner fit of ``calibrate`` runs on its own. Arms whose targets
        and splits are equal (``gold_temperature``, ``gold_vector`` and
        ``gold_dirichlet``) share their inner fits in the audit.
    default : bool, default=True
        Whether the arm is built and trained when no arm list is given
        (:data:`DEFAULT_ARMS`); an optional arm (``teacher_unmatched``,
        ``gold_vector``, ...) is built only when asked for by name.
    needs_annotations : bool, default=False
        Whether the builder needs the per-annotator table (``annotations``
        of :func:`make_supervision_arms`).
    human : bool, default=False
        Whether the arm's soft targets carry the human labels' uncertainty
        (``human_soft``, ``human_soft_gold_mode``, ``human_dawid_skene``), as
        opposed to a synthetic one (``smoothed``, ``teacher``): the arms the
        audit's "more stable?" question is asked of.
    """

    name: str
    build: Callable
    needs_gold: bool
    soft: bool
    description: str
    needs_X: bool = False
    calibrate: Callable | None = None
    calibration_splits: Callable | None = None
    default: bool = True
    needs_annotations: bool = False
    human: bool = False


class PostFit(NamedTuple):
    """What an arm's ``calibrate`` step returns.

    Attributes
    ----------
    apply : callable
        ``apply(proba) -> proba``: the fitted model's probabilities to the
        arm's probabilities (rows of the same shape).
    info : dict
        Fitted values recorded with the run (e.g. ``{"temperature": T}``).
    """

    apply: Callable
    info: dict


class _ArmInputs:
    """What the builders read; derived quantities are computed once, lazily."""

    def __init__(self, human, gold, X, options):
        self.human = human
        self.gold = gold
        self.X = X
        self.options = options
        self.info = {}

    @cached_property
    def gold_one_hot(self):
        n, k = self.human.shape
        out = np.zeros((n, k))
        out[np.arange(n), self.gold] = 1.0
        return out

    @cached_property
    def aligned(self):
        return align_mode(self.human, self.gold)

    @cached_property
    def teacher_oof(self):
        """The teacher's cross-fitted soft labels (temperature 1), fitted once."""
        return _cross_fit_teacher(self)


_REGISTRY = {}


def _register(
    name,
    *,
    needs_gold,
    soft,
    description,
    needs_X=False,
    calibrate=None,
    calibration_splits=None,
    default=True,
    needs_annotations=False,
    human=False,
):
    """Decorator: add the builder below it to the registry under ``name``."""

    def decorator(build):
        _REGISTRY[name] = ArmSpec(
            name,
            build,
            needs_gold,
            soft,
            description,
            needs_X,
            calibrate,
            calibration_splits,
            default,
            needs_annotations,
            human,
        )
        return build

    return decorator


#: folds of the cross-fitted temperature of ``gold_temperature`` (the default
#: ``cv`` of :class:`~sksoft.calibration.TemperatureScalingClassifier`)
CALIBRATION_CV = 5


def calibration_folds(gold, n_splits, random_state):
    """The folds of a cross-fitted calibration step over the training rows.

    :class:`~sksoft.model_selection.SoftStratifiedKFold` ``(n_splits,
    shuffle=True, random_state=random_state)`` stratified on the gold labels
    (column positions ``gold``); the same folds as the ``teacher`` arm's
    cross-fitting with the same ``random_state``, and the same for the three
    calibration controls (``gold_temperature``, ``gold_vector``,
    ``gold_dirichlet``).
    """
    n = len(gold)
    if n < n_splits:
        raise ValueError(
            f"the calibration controls (gold_temperature, gold_vector, "
            f"gold_dirichlet) cross-fit their calibrator over {n_splits} folds "
            f"of the training rows but there are only {n}; use more data or "
            "leave them out of the arms."
        )
    one_hot = np.zeros((n, int(np.max(gold)) + 1))
    one_hot[np.arange(n), gold] = 1.0
    cv = SoftStratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    return list(cv.split(np.zeros((n, 1)), one_hot))


def _temperature_splits(human, gold, options):
    """The inner fits of :func:`_temperature_step`: :func:`calibration_folds`."""
    return calibration_folds(gold, options["calibration_cv"], options["random_state"])


def _temperature_step(fit_predict, human, gold, options):
    """Cross-fitted temperature against the human soft labels of the training rows.

    Every training row gets an out-of-fold probability from a clone fitted
    on the other folds (:func:`calibration_folds`); one temperature is fitted
    on these against the rows' human soft labels
    (:func:`~sksoft.calibration.fit_temperature`) and applied to the model
    fitted on all training rows (:func:`~sksoft.calibration.temperature_scale`):
    scikit-learn's ``ensemble=False`` cross-fitting. No test row is used.
    """
    folds = _temperature_splits(human, gold, options)
    oof = np.empty(human.shape, dtype=np.float64)
    for train, test in folds:
        oof[test] = fit_predict(train, test)
    temperature = fit_temperature(human, oof)
    return PostFit(
        apply=lambda proba: temperature_scale(proba, temperature),
        info={"temperature": temperature, "n_folds": len(folds)},
    )


def _out_of_fold(fit_predict, human, gold, options):
    """Out-of-fold probabilities of every training row (:func:`calibration_folds`)."""
    folds = _temperature_splits(human, gold, options)
    oof = np.empty(human.shape, dtype=np.float64)
    for train, test in folds:
        oof[test] = fit_predict(train, test)
    return oof, len(folds)


def _apply_map(proba, coef, intercept):
    """``softmax(W log(p + 1e-12) + b)``, as the library's calibrators apply it."""
    # the calibrators' features: log(p + 1e-12), as scikit-learn converts them
    z = np.log(np.asarray(proba, dtype=np.float64) + 1e-12) @ coef.T + intercept
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _map_step(diagonal):
    """The post-fit step of ``gold_vector`` (``diagonal``) or ``gold_dirichlet``."""

    def step(fit_predict, human, gold, options):
        """Cross-fitted vector scaling / Dirichlet map against the human labels.

        The out-of-fold probabilities of :func:`_temperature_step` (the same
        folds and inner fits); the map is
        :func:`~sksoft.calibration.fit_dirichlet` of them against the rows'
        human soft labels (default ODIR strengths ``1e-2``), applied to the
        model fitted on all training rows. No test row is used.
        """
        oof, n_folds = _out_of_fold(fit_predict, human, gold, options)
        # fit_dirichlet's tolerances are tight (gtol 1e-10): a map that stops
        # at its iteration cap is recorded as such instead of warning per run
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            coef, intercept = fit_dirichlet(human, oof, diagonal=diagonal)
        converged = True
        for w in caught:
            if issubclass(w.category, ConvergenceWarning):
                converged = False
            else:  # any other warning is passed on
                warnings.warn(w.message, w.category, stacklevel=2)
        return PostFit(
            apply=lambda proba: _apply_map(proba, coef, intercept),
            info={
                "method": "vector" if diagonal else "dirichlet",
                "coef": coef,
                "intercept": intercept,
                "n_folds": n_folds,
                "converged": converged,
            },
        )

    return step


# ---------------------------------------------------------------- the arms
# (registration order is the canonical order of ARM_NAMES)
@_register("gold", needs_gold=True, soft=False, description="one-hot gold labels")
def _build_gold(inputs):
    return inputs.gold_one_hot


@_register(
    "gold_temperature",
    needs_gold=True,
    soft=False,
    description="the gold model with a temperature fitted against the human soft "
    "labels of the training rows (cross-fitted)",
    calibrate=_temperature_step,
    calibration_splits=_temperature_splits,
)
def _build_gold_temperature(inputs):
    return inputs.gold_one_hot


@_register(
    "gold_vector",
    needs_gold=True,
    soft=False,
    description="the gold model with vector scaling fitted against the human soft "
    "labels of the training rows (cross-fitted; gold_temperature's inner fits)",
    calibrate=_map_step(diagonal=True),
    calibration_splits=_temperature_splits,
    default=False,
)
def _build_gold_vector(inputs):
    return inputs.gold_one_hot


@_register(
    "gold_dirichlet",
    needs_gold=True,
    soft=False,
    description="the gold model with Dirichlet calibration (ODIR) fitted against "
    "the human soft labels of the training rows (cross-fitted; gold_temperature's "
    "inner fits)",
    calibrate=_map_step(diagonal=False),
    calibration_splits=_temperature_splits,
    default=False,
)
def _build_gold_dirichlet(inputs):
    return inputs.gold_one_hot


@_register(
    "human_mode",
    needs_gold=False,
    soft=False,
    description="one-hot human majority vote (ties to the first class)",
)
def _build_human_mode(inputs):
    return mode_one_hot(inputs.human)


@_register(
    "human_soft",
    needs_gold=False,
    soft=True,
    human=True,
    description="the human soft labels",
)
def _build_human_soft(inputs):
    return inputs.human


@_register(
    "human_soft_gold_mode",
    needs_gold=True,
    soft=True,
    human=True,
    description="human soft labels with each row's mode swapped onto gold",
)
def _build_human_soft_gold_mode(inputs):
    return inputs.aligned[0]


@_register(
    "smoothed",
    needs_gold=True,
    soft=True,
    description="label smoothing of gold (by default to the human mean entropy)",
)
def _build_smoothed(inputs):
    epsilon = inputs.options["epsilon"]
    if epsilon is None:
        out, eps = smooth_labels(
            inputs.gold_one_hot, reference=inputs.human, return_epsilon=True
        )
    else:
        out, eps = smooth_labels(inputs.gold_one_hot, epsilon, return_epsilon=True)
    inputs.info["epsilon"] = eps
    return out


def _cross_fit_teacher(inputs):
    """Out-of-fold ``predict_proba`` of the teacher on the gold labels (T = 1)."""
    opts = inputs.options
    teacher = opts["teacher"]
    if teacher is None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        teacher = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    try:
        return teacher_soft_labels(
            teacher,
            inputs.X,
            inputs.gold,
            cv=opts["teacher_cv"],
            classes=np.arange(inputs.human.shape[1]),
            random_state=opts["random_state"],
        )
    except ValueError as exc:  # e.g. too few samples per class for the folds
        folds = opts["teacher_cv"]
        folds = f"{folds}-fold " if isinstance(folds, int) else ""
        raise ValueError(
            f"the 'teacher' arm cannot cross-fit its teacher ({folds}on "
            f"{len(inputs.gold)} training samples): {' '.join(str(exc).split())} "
            "Use more samples or leave 'teacher' out of the arms."
        ) from exc


@_register(
    "teacher",
    needs_gold=True,
    soft=True,
    needs_X=True,
    description="cross-fitted soft labels of a classifier trained on gold, "
    "rescaled by one temperature to the human mean entropy (by default)",
)
def _build_teacher(inputs):
    t = inputs.teacher_oof
    if inputs.options["teacher_temperature"] == "match":
        t, temp = apply_temperature(t, reference=inputs.human, return_temperature=True)
    else:
        temp = float(inputs.options["teacher_temperature"])
        t = apply_temperature(t, temp)
    inputs.info["teacher_temperature"] = temp
    return t


@_register(
    "human_dawid_skene",
    needs_gold=False,
    soft=True,
    human=True,
    description="Dawid-Skene posteriors of the per-annotator table of the "
    "training rows (needs the table: the Le-Wi-Di sets)",
    default=False,
    needs_annotations=True,
)
def _build_human_dawid_skene(inputs):
    table = inputs.options["annotations"]
    n = inputs.human.shape[0]
    try:
        res = dawid_skene(table, classes=inputs.options["classes"], items=np.arange(n))
    except ValueError as exc:
        raise ValueError(
            f"the 'human_dawid_skene' arm cannot fit Dawid-Skene on the "
            f"annotation table: {' '.join(str(exc).split())}"
        ) from exc
    inputs.info["dawid_skene_iterations"] = int(res.n_iter)
    return np.asarray(res.proba, dtype=np.float64)


@_register(
    "teacher_unmatched",
    needs_gold=True,
    soft=True,
    needs_X=True,
    description="the teacher's cross-fitted soft labels as they are (temperature "
    "1, not entropy-matched); optional",
    default=False,
)
def _build_teacher_unmatched(inputs):
    return inputs.teacher_oof


# ------------------------------------------------------- derived constants
#: The arm registry: name -> :class:`ArmSpec`, in canonical order (read-only).
ARM_REGISTRY = MappingProxyType(_REGISTRY)

#: Names of the arms of the controlled comparison, in their canonical order.
ARM_NAMES = tuple(ARM_REGISTRY)

#: The arms built and trained when no arm list is given (``default=True`` in
#: the registry), in canonical order; the others are built only by name.
DEFAULT_ARMS = tuple(name for name, spec in ARM_REGISTRY.items() if spec.default)

#: The arms whose targets are built from the gold labels (the others need only
#: the human labels).
GOLD_ARMS = frozenset(name for name, spec in ARM_REGISTRY.items() if spec.needs_gold)

#: The arms whose targets are soft rows, in canonical order.
SOFT_ARMS = tuple(name for name, spec in ARM_REGISTRY.items() if spec.soft)

#: The soft arms whose targets carry the human labels' uncertainty (``human``
#: in the registry), in canonical order; the others are synthetic controls.
HUMAN_SOFT_ARMS = tuple(
    name for name, spec in ARM_REGISTRY.items() if spec.soft and spec.human
)


@validate_params(
    {
        "y_soft": ["array-like"],
        "gold": ["array-like", None],
        "X": [None, "array-like", "sparse matrix"],
        "classes": [None, "array-like"],
        "counts": ["boolean"],
        "arms": [None, list, tuple],
        "epsilon": [None, Interval(numbers.Real, 0, 1, closed="both")],
        "teacher": [None, HasMethods(["fit", "predict_proba"])],
        "teacher_cv": [
            None,
            Interval(numbers.Integral, 2, None, closed="left"),
            "cv_object",
        ],
        "teacher_temperature": [
            Interval(numbers.Real, 0, None, closed="neither"),
            StrOptions({"match"}),
        ],
        "random_state": ["random_state"],
        "return_info": ["boolean"],
        "annotations": [None, HasMethods(["__getitem__"])],
    },
    prefer_skip_nested_validation=False,
)
def make_supervision_arms(
    y_soft,
    gold,
    *,
    X=None,
    classes=None,
    counts=False,
    arms=None,
    epsilon=None,
    teacher=None,
    teacher_cv=5,
    teacher_temperature="match",
    random_state=None,
    return_info=False,
    annotations=None,
):
    """Build the supervision arms of the controlled soft-label comparison.

    The arms are the entries of :data:`ARM_REGISTRY` (eleven today; the seven
    of :data:`DEFAULT_ARMS` by default). All arms
    are ``(n_samples, n_classes)`` probability matrices over the same rows and
    columns, so a study trains the same model on each and compares:

    ``gold``
        One-hot of the gold labels.
    ``gold_temperature``
        The gold targets again; the arm's model is then temperature-scaled by
        its post-fit step (``ARM_REGISTRY["gold_temperature"].calibrate``,
        which the audit applies): one temperature, cross-fitted over
        :data:`CALIBRATION_CV` folds of the training rows against their human
        soft labels. The control for "is the soft-label benefit more than a
        temperature?".
    ``gold_vector``, ``gold_dirichlet`` (opt-in)
        The gold targets again, calibrated after the fit like
        ``gold_temperature`` but by vector scaling or Dirichlet calibration
        (:func:`~sksoft.calibration.fit_dirichlet`) on the same out-of-fold
        predictions.
    ``human_mode``
        One-hot of the human majority vote (mode of ``y_soft``, ties to the
        first class). Differs from ``gold`` on mode-shifted items.
    ``human_soft``
        The human soft labels themselves (``y_soft`` normalised).
    ``human_soft_gold_mode``
        ``human_soft`` with each row's mode swapped onto gold
        (:func:`align_mode`): the human *uncertainty* without the mode shift.
    ``smoothed``
        Label smoothing of ``gold`` with ``epsilon``; by default the epsilon
        that makes the mean entropy equal that of ``human_soft``
        (:func:`smooth_labels`): the same amount of uncertainty, spread
        uniformly.
    ``teacher``
        Cross-fitted soft labels of a classifier trained on the gold labels
        (:func:`teacher_soft_labels`), rescaled by one temperature so that
        their mean entropy equals that of ``human_soft`` (the default
        ``teacher_temperature="match"``; :func:`apply_temperature`): a
        synthetic control with the humans' amount of uncertainty, as
        ``smoothed``; needs ``X``.
    ``teacher_unmatched``
        The same cross-fitted soft labels at temperature 1 (not in
        :data:`DEFAULT_ARMS`: built only when named); needs ``X``.
    ``human_dawid_skene`` (opt-in)
        Dawid-Skene posteriors (:func:`dawid_skene`) of the per-annotator
        table ``annotations``; needs it.

    Parameters
    ----------
    y_soft : array-like of shape (n_samples, n_classes)
        Human (or simulated human-like) soft labels, or vote counts with
        ``counts=True``.
    gold : array-like of shape (n_samples,) or None
        Gold labels, elements of ``classes``. ``None`` when there are none:
        then only the arms that need no gold label (``needs_gold=False`` in
        :data:`ARM_REGISTRY`: ``human_mode`` and ``human_soft``) can be built.
    X : array-like of shape (n_samples, n_features), default=None
        Inputs, needed only for the ``teacher`` arm.
    classes : array-like of shape (n_classes,), default=None
        Column labels of ``y_soft``; ``arange(n_classes)`` by default.
    counts : bool, default=False
        Read ``y_soft`` as vote counts.
    arms : list or tuple of str, default=None
        Subset of :data:`ARM_NAMES` to build (returned in canonical order).
        Default: :data:`DEFAULT_ARMS`, or its gold-free arms when ``gold`` is
        None.
    epsilon : float in [0, 1], default=None
        Smoothing of the ``smoothed`` arm; ``None`` matches the mean entropy of
        ``human_soft``.
    teacher : classifier, default=None
        Classifier with ``predict_proba`` for the ``teacher`` arm. Default:
        ``LogisticRegression(max_iter=1000)`` on standardised inputs.
    teacher_cv : int, cross-validation generator or iterable, default=5
        Folds of the cross-fitting.
    teacher_temperature : float > 0 or "match", default="match"
        Temperature of the ``teacher`` arm's probabilities; ``"match"`` solves
        for the temperature that gives the mean entropy of ``human_soft`` (on
        the rows given, that is the training rows in the audit; the teacher's
        probabilities are out-of-fold, so no row's own label is used twice).
        ``teacher_unmatched`` always has temperature 1.

        .. versionchanged:: 0.2
           The default was ``1.0`` (an unmatched teacher, now the
           ``teacher_unmatched`` arm).
    random_state : int, RandomState instance or None, default=None
        Fold shuffling of the teacher.
    return_info : bool, default=False
        Also return a dict with ``epsilon``, ``teacher_temperature``,
        ``mode_changed`` (rows swapped by :func:`align_mode`),
        ``mode_shift_rate`` (share of rows whose human mode differs from gold)
        and ``classes``; entries that do not apply (no ``smoothed`` or
        ``teacher`` arm, no gold) are ``None``; with ``human_dawid_skene``
        also ``dawid_skene_iterations``.
    annotations : pandas.DataFrame or mapping of columns, default=None
        The per-annotator table of the rows for ``human_dawid_skene``: columns
        ``item`` (the row position in ``y_soft``, 0-based), ``annotator`` and
        ``label`` (elements of ``classes``), one row per answer.

    Returns
    -------
    arms : dict of str to ndarray of shape (n_samples, n_classes)
        Keyed by the arm names, in the order of :data:`ARM_NAMES`.
    info : dict
        Only when ``return_info=True``.

    See Also
    --------
    ARM_REGISTRY : The arms, their flags and builders.
    align_mode, smooth_labels, teacher_soft_labels, mode_one_hot

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.sources import make_supervision_arms
    >>> y_soft = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.3, 0.6, 0.1]])
    >>> arms = make_supervision_arms(y_soft, [0, 2, 0],
    ...                              arms=["gold", "human_mode",
    ...                                    "human_soft_gold_mode"])
    >>> list(arms)
    ['gold', 'human_mode', 'human_soft_gold_mode']
    >>> arms["human_soft_gold_mode"][2]
    array([0.6, 0.3, 0.1])
    >>> list(make_supervision_arms(y_soft, None))  # no gold: the gold-free arms
    ['human_mode', 'human_soft']
    """
    y_arr = y_soft.to_numpy() if hasattr(y_soft, "to_numpy") else np.asarray(y_soft)
    if y_arr.ndim != 2:
        raise ValueError(
            f"y_soft must be a 2-D (n_samples, n_classes) matrix; got shape "
            f"{y_arr.shape}."
        )
    if arms is None:
        arms = DEFAULT_ARMS
        if gold is None:
            arms = tuple(a for a in arms if not ARM_REGISTRY[a].needs_gold)
    _check_arms(
        arms,
        has_gold=gold is not None,
        has_X=X is not None,
        has_annotations=annotations is not None,
    )
    p, classes_out = check_soft_targets(
        y_arr, classes=classes, counts=counts, return_classes=True, input_name="y_soft"
    )
    g = None if gold is None else gold_indices(gold, classes_out, p.shape[0])
    options = {
        "epsilon": epsilon,
        "teacher": teacher,
        "teacher_cv": teacher_cv,
        "teacher_temperature": teacher_temperature,
        "random_state": random_state,
        "annotations": annotations,
        "classes": classes_out,
    }
    inputs = _ArmInputs(p, g, X, options)
    info = {
        "classes": classes_out,
        "epsilon": None,
        "teacher_temperature": None,
        "mode_changed": None,
        "mode_shift_rate": None,
    }
    if g is not None:
        info["mode_changed"] = inputs.aligned[1]
        info["mode_shift_rate"] = float(np.mean(hard_labels(p) != g))
    built = {
        name: ARM_REGISTRY[name].build(inputs) for name in ARM_NAMES if name in arms
    }
    info.update(inputs.info)
    return (built, info) if return_info else built


def _check_arms(arms, *, has_gold, has_X, has_annotations=False):
    """Known arms, none built from gold without gold, none needing X without X."""
    unknown = [a for a in arms if a not in ARM_REGISTRY]
    if unknown:
        raise ValueError(
            f"unknown arm name(s) {unknown}; choose among {list(ARM_NAMES)}."
        )
    if len(arms) == 0:
        raise ValueError("arms is empty; choose among " + str(list(ARM_NAMES)) + ".")
    chosen = [ARM_REGISTRY[name] for name in ARM_NAMES if name in arms]
    needs = [] if has_gold else [spec.name for spec in chosen if spec.needs_gold]
    if needs:
        raise ValueError(
            f"the arm(s) {needs} are built from gold labels and gold is None; "
            f"without gold only {_gold_free()} can be built."
        )
    for spec in chosen:
        if spec.needs_X and not has_X:
            raise ValueError(
                f"the {spec.name!r} arm needs the inputs X; pass X or leave "
                f"{spec.name!r} out of arms."
            )
        if spec.needs_annotations and not has_annotations:
            raise ValueError(
                f"the {spec.name!r} arm needs the per-annotator table (item, "
                "annotator, label), which this data does not have (the Le-Wi-Di "
                f"sets do); pass annotations or leave {spec.name!r} out of arms."
            )


def _gold_free():
    return [name for name, spec in ARM_REGISTRY.items() if not spec.needs_gold]
