"""A skorch-based classifier that learns from soft labels.

:class:`SoftLabelClassifier` trains any PyTorch module (by default a small
MLP) on targets given as class labels, as probability rows (e.g. the share of
annotators who chose each class) or, on request, as vote counts. It is a
scikit-learn classifier: it passes sklearn's common estimator checks and works
inside ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``.

Its lean training loop (skorch's per-batch members, reimplemented for speed)
is one mixin, :class:`sksoft._engine._skorch_loop.LeanLoopMixin`. The
members of skorch's ``NeuralNetClassifier`` that the classifier and the mixin
define again are listed, each with its reason, in ``_SKORCH_OVERRIDES`` (a
test keeps the list and the code equal). It relies on
a few skorch internals (``list.__getitem__(history, ...)``,
``_set_training``, ``_get_predict_nonlinearity``, ...): they are listed, with
the skorch versions they were checked against, in
:mod:`sksoft.utils._skorch_compat`.
"""

import copy
import inspect
import numbers
import sys
import threading
import warnings
from contextlib import contextmanager
from types import MappingProxyType

import numpy as np
import torch
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)
from skorch import NeuralNet
from skorch.callbacks import (
    EpochScoring,
    EpochTimer,
    PassthroughScoring,
    PrintLog,
)
from skorch.dataset import Dataset
from skorch.history import History
from skorch.utils import is_dataset
from torch import nn
from torch.utils.data import Subset

from ._engine import MLP as _MLP
from ._engine import (
    GeneratorDropout,
    LeanLoopMixin,
    draw_fit_seeds,
    draw_seed,
    holdout_split,
    make_optimizer,
    new_generator,
)
from .batching import SliceBatchIterator
from .losses import SoftTargetCrossEntropyLoss
from .targets import check_soft_targets
from .utils._compat import fit_loop_routing_kwargs
from .utils._frames import check_frame_columns, frame_classes
from .utils._sklearn_compat import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)

__all__ = ["SKOPS_TRUSTED_TYPES", "GeneratorDropout", "SoftLabelClassifier"]

#: Types a fitted :class:`SoftLabelClassifier` with its default components
#: (module, criterion, optimizer, iterators, dataset and callbacks) holds
#: beyond what :mod:`skops.io` trusts by default: pass them as
#: ``skops.io.load(path, trusted=SKOPS_TRUSTED_TYPES)``. Other components add
#: their own types; ``skops.io.get_untrusted_types(file=path)`` lists them, to
#: be checked before they are trusted.
SKOPS_TRUSTED_TYPES = (
    "functools.partial",
    "skorch.callbacks.logging.EpochTimer",
    "skorch.callbacks.scoring.EpochScoring",
    "skorch.dataset.Dataset",
    "skorch.history.History",
    "skorch.setter.optimizer_setter",
    "skorch.utils._indexing_other",
    "skorch.utils.to_numpy",
    "sksoft.batching.SliceBatchIterator",
    "sksoft.classifier.SoftLabelClassifier",
    "sksoft.classifier._PassthroughScoring",
    "sksoft.classifier._PrintLog",
    "sksoft.classifier._target_argmax_accuracy",
    "sksoft.losses.SoftTargetCrossEntropyLoss",
    "torch.optim.adam.Adam",
)

# Held while a fit seeds and draws from torch's *global* generator (module
# construction; training of a module that may draw from it), so that fits
# running in threads of one process cannot interleave their draws.
_GLOBAL_RNG_LOCK = threading.RLock()


# torch.nn layers whose forward draws random numbers in training mode
_RANDOM_TORCH_LAYERS = (
    nn.modules.dropout._DropoutNd,
    nn.RReLU,
)


def _global_rng_user(module):
    """Why ``module`` may draw from torch's global generator (None if it cannot).

    torch.nn layers are known: dropout layers (with ``p > 0``), ``RReLU`` and
    ``MultiheadAttention`` with dropout draw; the others do not. A module class
    from elsewhere has a forward of its own, which may draw, unless it declares
    ``uses_global_rng = False`` (its children are checked all the same).
    """
    for name, m in module.named_modules():
        cls = type(m)
        where = f"{cls.__name__} ({name})" if name else cls.__name__
        declared = getattr(cls, "uses_global_rng", None)
        if declared is True:
            return f"{where} declares uses_global_rng=True"
        if declared is False:
            continue
        if isinstance(m, _RANDOM_TORCH_LAYERS):
            if getattr(m, "p", 1) > 0 or isinstance(m, nn.RReLU):
                return f"{where} draws from torch's global generator"
            continue
        if isinstance(m, nn.MultiheadAttention) and m.dropout > 0:
            return f"{where} has dropout={m.dropout}"
        if cls.__module__.startswith("torch.nn."):
            continue
        return (
            f"{where} has a forward of its own (set the class attribute "
            "uses_global_rng = False if it draws no random numbers from torch's "
            "global generator)"
        )
    return None


def _check_not_1d_probabilities(y):
    """Clear error for a 1-D float ``y`` of probabilities (binary soft labels)."""
    if y.ndim != 1 or y.dtype.kind != "f" or y.size == 0:
        return
    finite = y[np.isfinite(y)]
    if finite.size and np.any(finite != np.round(finite)):
        if finite.min() >= 0 and finite.max() <= 1:
            raise ValueError(
                "Unknown label type: continuous. A 1-D y holds class labels; "
                "for binary soft labels pass the (n_samples, 2) probability "
                "rows, e.g. np.column_stack([1 - p, p]) for p = P(classes[1])."
            )


def _check_label_vector(y):
    """``y`` as an array; a 1-D (or one-column) ``y`` checked as class labels."""
    y_arr = y.to_numpy() if hasattr(y, "to_numpy") else y
    if sparse.issparse(y_arr):
        return y_arr
    y_arr = np.asarray(y_arr)
    if y_arr.ndim == 1 or (y_arr.ndim == 2 and y_arr.shape[1] == 1):
        if y_arr.dtype.kind in "fc":
            check_array(y_arr, ensure_2d=False, dtype=None, input_name="y")
        _check_not_1d_probabilities(y_arr.ravel())
        check_classification_targets(y_arr.ravel())
    return y_arr


def _check_logits_shape(y_pred, y_true):
    """A clear error when the module's outputs are not one logit per class."""
    if y_pred.shape != y_true.shape and y_true.ndim == 2:
        n_classes = y_true.shape[1]
        raise ValueError(
            f"The module returned outputs of shape {tuple(y_pred.shape)} for "
            f"a batch of {y_true.shape[0]} samples; it must return logits of "
            f"shape ({y_true.shape[0]}, {n_classes}), one per class of "
            f"classes_ ({n_classes} classes). Set the module's number of "
            f"outputs (e.g. module__n_classes={n_classes})."
        )


def _weighted_mean(loss, sample_weight):
    """Mean of per-sample ``loss`` values, weighted (a scalar loss as it is)."""
    if loss.ndim == 0:
        if sample_weight is not None:
            raise ValueError(
                "sample_weight needs a criterion that returns per-sample "
                "losses (reduction='none'); the criterion returned a scalar."
            )
        return loss
    if sample_weight is None:
        return loss.mean()
    return (loss * sample_weight.to(loss.dtype)).mean()


def _softmax_float64(logits):
    """Softmax over the last dimension, computed in float64."""
    return torch.softmax(logits.to(torch.float64), dim=-1)


def _target_argmax_accuracy(net, X, y):
    """Accuracy of ``net.predict(X)`` against the argmax of soft targets ``y``."""
    y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if y.ndim == 2:
        y = net.classes_[np.argmax(y, axis=1)]
    return accuracy_score(y, net.predict(X))


class _PrintLog(PrintLog):
    """skorch's PrintLog that does not format the table when nothing is printed.

    ``sink=None`` (the default) prints to stdout when the net is verbose, as
    skorch's ``sink=print`` does, without storing the builtin ``print`` in the
    fitted estimator (one type less for ``skops.io`` to trust).
    """

    def __init__(
        self,
        keys_ignored=None,
        sink=None,
        tablefmt="simple",
        floatfmt=".4f",
        stralign="right",
    ):
        super().__init__(
            keys_ignored=keys_ignored,
            sink=sink,
            tablefmt=tablefmt,
            floatfmt=floatfmt,
            stralign=stralign,
        )

    def _prints(self):
        return self.sink is None or self.sink is print

    def _sink(self, text, verbose):
        if not self._prints():
            self.sink(text)
        elif verbose:
            print(text)

    def on_epoch_end(self, net, **kwargs):
        if self._prints() and not net.verbose:
            return
        super().on_epoch_end(net, **kwargs)
        if self.sink is None:
            sys.stdout.flush()


class _PassthroughScoring(PassthroughScoring):
    """skorch's PassthroughScoring reading the batch records directly."""

    def on_epoch_end(self, net, **kwargs):
        history = net.history
        if type(history) is not History:
            return super().on_epoch_end(net, **kwargs)
        bs_key = "train_batch_size" if self.on_train else "valid_batch_size"
        batches = list.__getitem__(history, -1)["batches"]
        pairs = [(b[bs_key], b[self.name]) for b in batches if self.name in b]
        if not pairs:  # e.g. no validation data
            return
        weights, scores = zip(*pairs)
        score_avg = float(np.average(scores, weights=weights))
        is_best = self._is_best_score(score_avg)
        if is_best:
            self.best_score_ = score_avg
        history.record(self.name, score_avg)
        if is_best is not None:
            history.record(self.name + "_best", bool(is_best))


#: Every member of skorch's ``NeuralNetClassifier`` that :class:`SoftLabelClassifier`
#: or one of sksoft's mixins in its MRO (:class:`~sksoft._engine.LeanLoopMixin`)
#: defines again, with the reason (``tests/test_classifier_overrides.py`` checks
#: that the overrides are exactly these). Members that scikit-learn generates for
#: every subclass (``set_score_request`` from ``score``'s ``sample_weight``) are
#: not overrides. skorch's own ``fit_loop``, ``train_step``, ``train_step_single``,
#: ``validation_step``, ``evaluation_step``, ``get_dataset``, ``forward_iter`` and
#: ``initialize`` are used as they are.
_SKORCH_OVERRIDES = MappingProxyType(
    {
        # sklearn estimator protocol
        "__init__": "explicit parameters with sksoft's defaults, stored only",
        "__setattr__": "parameters (even a module instance) are stored as given",
        "_get_param_names": "__init__ and prefix__name parameters, no private state",
        "set_params": "sklearn's store-only semantics before the first fit",
        "__repr__": "sklearn's repr (changed parameters), not skorch's module dump",
        "__sklearn_tags__": "sparse X is accepted",
        # training entry points
        "fit": "checks soft targets and weights; owns the fit's generator",
        "partial_fit": "as fit, for one epoch, without a split, with classes",
        # components
        "_default_callbacks": "losses and valid_acc on soft targets; silent log",
        "initialize_module": "the default MLP from the data; weights from the seed",
        "initialize_criterion": "reduction='none' (weights) and label_smoothing",
        "initialize_optimizer": "a plain Adam is the engine's LeanAdam kernel",
        "get_split_datasets": "weights on the dataset; the engine's hold-out split",
        "get_loss": "weighted mean of per-sample soft losses; output-shape error",
        # the lean loop (LeanLoopMixin)
        "get_iterator": "the training iterator shuffles with the fit's generator",
        "run_single_epoch": "only batch-hook callbacks called; records per epoch",
        "infer": "tensors straight to the module; a clear wrong-shape error",
        # prediction
        "_get_predict_nonlinearity": "'auto' is a float64 softmax of the logits",
        "predict_proba": "validates X (fitted sample shape, dtype, sparse)",
        "predict": "classes_[argmax] (skorch's NeuralNet returns probabilities)",
        "score": "accuracy against the argmax of soft targets",
    }
)


class SoftLabelClassifier(ClassifierMixin, LeanLoopMixin, NeuralNet):
    """Neural-network classifier trained on soft labels (skorch-based).

    ``y`` may be class labels, an ``(n_samples, n_classes)`` matrix of
    probability rows (soft labels, e.g. the share of annotators who chose each
    class) or, with ``counts=True``, vote counts. The network is trained with
    the soft-target cross-entropy
    (:class:`~sksoft.losses.SoftTargetCrossEntropyLoss`), optionally smoothed
    and sample-weighted. Without a ``module`` a multi-layer perceptron is built
    from the number of features and classes; any :class:`torch.nn.Module` that
    maps a batch of ``X`` to logits can be used instead (e.g. a CNN on images
    given as a 4-D float array).

    Parameters
    ----------
    module : torch.nn.Module class or instance, default=None
        The network; it must return logits of shape ``(batch, n_classes)``.
        ``None`` builds an MLP with ``hidden_layer_sizes`` (its ``activation``
        and ``dropout`` can be set with ``module__activation="tanh"`` and
        ``module__dropout=0.2``). A class is instantiated at every fit with the
        ``module__*`` parameters; an instance is deep-copied at every fit, so each
        fit starts from its initial weights.
    criterion : torch criterion class or instance, default=SoftTargetCrossEntropyLoss
        The loss on logits and probability targets. A class accepting
        ``reduction`` is built with ``reduction="none"`` so sample weights can be
        applied; one accepting ``label_smoothing`` receives ``label_smoothing``.
    optimizer : torch optimizer class, default=torch.optim.Adam
        Optimizer; its parameters can be set as ``optimizer__<name>``.
    lr : float, default=0.001
        Learning rate.
    max_epochs : int, default=50
        Number of epochs of :meth:`fit`.
    batch_size : int, default=128
        Mini-batch size for training and prediction; ``-1`` uses all samples.
    hidden_layer_sizes : tuple of int, default=(100,)
        Widths of the hidden layers of the default MLP (ignored with a
        ``module``).
    label_smoothing : float, default=0.0
        Share of the target mass spread uniformly over the classes during
        training (see :class:`~sksoft.losses.SoftTargetCrossEntropyLoss`).
    classes : array-like of shape (n_classes,), default=None
        The class labels, in the column order of a 2-D ``y``. ``None`` means the
        sorted label set for 1-D ``y``, the column names of a pandas DataFrame
        ``y`` and ``arange(n_classes)`` for another 2-D ``y``. Binary soft
        labels are 2-D too: ``np.column_stack([1 - p, p])`` (a 1-D float ``y``
        of fractions raises an error saying so).
    counts : bool, default=False
        Read a 2-D ``y`` as vote counts (normalised per row) instead of
        probabilities. Integer matrices are never read as counts silently.
    train_split : float, callable or None, default=0.2
        Internal validation split. A float is the validation share of a
        hold-out split stratified on the target argmax (plain random when a
        class is too small to stratify); a callable is called as
        ``train_split(dataset, y_hard, **fit_params)`` with the hard labels
        (target argmax) and must return ``(dataset_train, dataset_valid)``, so
        skorch's ``ValidSplit(5, stratified=True)`` works; ``None`` trains on all
        samples without validation.
    random_state : int, RandomState instance or None, default=None
        Seeds a :class:`torch.Generator` owned by the fit, which draws the
        weight initialisation, dropout, shuffling and the validation split.
        With an int, repeated fits give identical results, in the same process,
        in worker processes (with the same number of torch threads) and in
        concurrent threads (see *Randomness and threads* in the Notes).
    dtype : {"float32", "float64"}, default="float32"
        Floating-point type of the inputs, targets, sample weights and the
        module's parameters. ``"float64"`` costs speed and gives exactly
        reproducible arithmetic comparisons (e.g. weights versus repetition).
    iterator_train : class, default=SliceBatchIterator
        Batch iterator for training (see :class:`~sksoft.batching.SliceBatchIterator`).
    iterator_valid : class, default=SliceBatchIterator
        Batch iterator for validation and prediction.
    dataset : class, default=skorch.dataset.Dataset
        Dataset class wrapping ``X`` and the soft targets.
    callbacks : list of callbacks, "disable" or None, default=None
        Extra skorch callbacks, added to the default ones (epoch timer,
        ``train_loss``, ``valid_loss``, ``valid_acc`` and the print log).
    predict_nonlinearity : "auto", callable or None, default="auto"
        Maps module outputs to probabilities. ``"auto"`` is the softmax over the
        last dimension (computed in float64); ``None`` uses the outputs as they
        are.
    warm_start : bool, default=False
        Continue training from the fitted weights on the next :meth:`fit`.
    verbose : int, default=0
        Print the epoch log when positive.
    device : str or torch.device, default="cpu"
        Device of the module and the batches.
    compile : bool, default=False
        Compile the module with :func:`torch.compile`.
    use_caching : bool or "auto", default="auto"
        Let scoring callbacks reuse the validation predictions.
    torch_load_kwargs : dict, default=None
        Passed to :func:`torch.load` when unpickling.
    **kwargs
        skorch-style component parameters such as ``module__dropout``,
        ``optimizer__weight_decay``, ``iterator_train__drop_last`` or
        ``callbacks__print_log__floatfmt``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the columns of :meth:`predict_proba`.
    n_features_in_ : int
        Number of features (for 2-D ``X``; the size of axis 1 otherwise).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a pandas ``X``, when it has string column names.
    module_ : torch.nn.Module
        The trained network.
    criterion_ : torch.nn.Module
        The initialised criterion.
    optimizer_ : torch.optim.Optimizer
        The initialised optimizer.
    history_ : skorch.history.History
        Per-epoch and per-batch records (also available as ``history``).
    generator_ : torch.Generator
        A copy of the fit's random generator in its final state (the
        estimator stores only the state, so it pickles without torch types
        other than the module's).

    See Also
    --------
    sksoft.losses.SoftTargetCrossEntropyLoss : The default criterion.
    sksoft.batching.SliceBatchIterator : The default batch iterator.
    sksoft.targets.check_soft_targets : How ``y`` is validated.
    skorch.NeuralNetClassifier : skorch's classifier for hard labels.

    Notes
    -----
    **Targets.** ``y`` is validated by :func:`~sksoft.targets.check_soft_targets`
    and turned into float probability rows: labels become one-hot rows, an
    ``(n, 1)`` array is read as labels with a ``DataConversionWarning``. During
    fit, callbacks receive these rows as ``y`` in ``on_train_begin``; batches are
    :class:`~sksoft.batching.IndexedBatch` objects whose ``indices`` are the row
    positions in the ``X`` passed to ``fit``.

    **Loss and weights.** The per-sample soft cross-entropy is weighted by
    ``sample_weight / mean(sample_weight)`` and averaged per batch, an unbiased
    estimate of the weighted mean loss; with one batch per epoch (``batch_size=-1``)
    and no validation split, integer weights are equivalent to repeating samples.

    **Predictions.** :meth:`predict_proba` returns float64 rows summing to one,
    :meth:`predict_log_proba` their logarithm (a float64 log-softmax),
    :meth:`decision_function` the logits (for two classes, as sklearn, the 1-D
    log-odds of ``classes_[1]``),
    :meth:`predict` returns ``classes_[argmax]`` (ties go to the first class) and
    :meth:`score` is the accuracy against the argmax of the targets, so it
    accepts the same ``y`` as :meth:`fit`.

    **Inputs.** ``X`` may be a NumPy array, a pandas DataFrame, a CPU tensor, a
    SciPy sparse matrix (densified batch by batch, never as a whole) or, with a
    custom module, an array of more than two dimensions (e.g. images
    ``(n, channels, height, width)``). Input, targets and weights are cast to
    ``dtype`` (float32 by default). Prediction requires samples of the fit's
    shape (images stay images), and a module that cannot take the batches or
    returns the wrong number of outputs raises a ``ValueError`` naming the
    shapes and the module parameter to change.

    **Randomness and threads.** No draw of a fit comes from torch's global
    generator while other code may use it: the module is built (weights
    initialised) with the global generator seeded from ``random_state`` under
    a process-wide lock, and the default MLP's dropout
    (:class:`GeneratorDropout`), shuffling and the validation split draw from
    the fit's own generator. Fits in threads (joblib's ``threading`` backend,
    Dask workers with several threads) therefore equal serial fits. A module
    that may draw from the global generator in ``forward`` (``torch.nn.Dropout``,
    ``RReLU``, or any module class of its own that does not declare the class
    attribute ``uses_global_rng = False``) trains with the global generator
    seeded and the lock held: such fits run one at a time in a process, with a
    ``UserWarning`` when one has to wait for another, and stay reproducible
    unless code outside sksoft draws from torch's global generator in another
    thread at the same time. Use a process-based backend (joblib's default
    ``loky``) to run those in parallel.

    **partial_fit** trains one epoch over the given samples, without an
    internal validation split, initialising the network on the first call.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.classifier import SoftLabelClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)).astype(np.float32)
    >>> p1 = 1 / (1 + np.exp(-3 * X[:, 0]))
    >>> y_soft = np.column_stack([1 - p1, p1])  # soft labels
    >>> clf = SoftLabelClassifier(max_epochs=30, lr=0.01, random_state=0)
    >>> clf.fit(X, y_soft).classes_
    array([0, 1])
    >>> clf.predict_proba(X[:2]).sum(axis=1)
    array([1., 1.])
    >>> clf.score(X, y_soft) > 0.9
    True
    """

    _parameter_constraints = {
        "module": [None, callable],
        "criterion": [callable],
        "optimizer": [callable],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "batch_size": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Options(numbers.Integral, {-1}),
        ],
        "hidden_layer_sizes": [
            "array-like",
            Interval(numbers.Integral, 1, None, closed="left"),
        ],
        "label_smoothing": [Interval(numbers.Real, 0, 1, closed="both")],
        "classes": [None, "array-like"],
        "counts": ["boolean"],
        "train_split": [None, Interval(numbers.Real, 0, 1, closed="neither"), callable],
        "random_state": ["random_state"],
        "dtype": [StrOptions({"float32", "float64"})],
        "iterator_train": [callable],
        "iterator_valid": [callable],
        "dataset": [callable],
        "callbacks": [None, list, StrOptions({"disable"})],
        "predict_nonlinearity": [None, StrOptions({"auto"}), callable],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "device": [None, str, torch.device],
        "compile": ["boolean"],
        "use_caching": ["boolean", StrOptions({"auto"})],
        "torch_load_kwargs": [None, dict],
    }

    # skorch reads these before the first fit; class-level defaults keep
    # ``__init__`` free of fitted (``*_``) attributes.
    initialized_ = False
    history_ = None
    virtual_params_ = MappingProxyType({})  # read-only; replaced in initialize

    # overrides skorch: sklearn's protocol: explicit parameters, stored only
    def __init__(
        self,
        module=None,
        *,
        criterion=SoftTargetCrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.001,
        max_epochs=50,
        batch_size=128,
        hidden_layer_sizes=(100,),
        label_smoothing=0.0,
        classes=None,
        counts=False,
        train_split=0.2,
        random_state=None,
        dtype="float32",
        iterator_train=SliceBatchIterator,
        iterator_valid=SliceBatchIterator,
        dataset=Dataset,
        callbacks=None,
        predict_nonlinearity="auto",
        warm_start=False,
        verbose=0,
        device="cpu",
        compile=False,
        use_caching="auto",
        torch_load_kwargs=None,
        **kwargs,
    ):
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.hidden_layer_sizes = hidden_layer_sizes
        self.label_smoothing = label_smoothing
        self.classes = classes
        self.counts = counts
        self.train_split = train_split
        self.random_state = random_state
        self.dtype = dtype
        self.iterator_train = iterator_train
        self.iterator_valid = iterator_valid
        self.dataset = dataset
        self.callbacks = callbacks
        self.predict_nonlinearity = predict_nonlinearity
        self.warm_start = warm_start
        self.verbose = verbose
        self.device = device
        self.compile = compile
        self.use_caching = use_caching
        self.torch_load_kwargs = torch_load_kwargs
        vars(self).update(kwargs)

    # ------------------------------------------------------------------
    # parameters: sklearn semantics on top of skorch's dunder parameters
    # ------------------------------------------------------------------
    @classmethod
    def _init_param_names(cls):
        names = cls.__dict__.get("_init_param_names_cache")
        if names is None:
            sig = inspect.signature(cls.__init__)
            names = frozenset(
                p.name
                for p in sig.parameters.values()
                if p.name != "self" and p.kind != p.VAR_KEYWORD
            )
            cls._init_param_names_cache = names
        return names

    # overrides skorch: parameters (even a module instance) are stored as given
    def __setattr__(self, name, attr):
        # Parameters (e.g. a module *instance*) are stored as given; skorch's
        # registration of torch components only concerns fitted attributes.
        if not name.endswith("_") and (
            "__" in name or name in self._init_param_names()
        ):
            object.__setattr__(self, name, attr)
        else:
            super().__setattr__(name, attr)

    # overrides skorch: get_params lists __init__ and prefix__name arguments
    def _get_param_names(self):
        names = set(self._init_param_names())
        names.update(
            k for k in vars(self) if not k.startswith("_") and not k.endswith("_")
        )
        return sorted(names)

    # overrides skorch: sklearn semantics before the first fit (store, check at fit)
    def set_params(self, **params):
        """Set parameters (sklearn semantics; skorch's once initialised).

        Before the first fit the values are only stored (and validated by the
        next fit), as sklearn requires; afterwards skorch's ``set_params``
        re-initialises the affected components (module, criterion, optimizer,
        callbacks).

        Parameters
        ----------
        **params : dict
            Parameter names and values, including skorch's ``prefix__name``
            forms (``module__dropout``, ``optimizer__momentum``,
            ``callbacks__print_log``, ...).

        Returns
        -------
        self : SoftLabelClassifier
            This estimator.
        """
        if self.initialized_:
            return super().set_params(**params)
        plain = {k: v for k, v in params.items() if "__" not in k}
        BaseEstimator.set_params(self, **plain)
        for key, value in params.items():
            if "__" in key:
                setattr(self, key, value)
        return self

    @property
    def _params_to_validate(self):
        # skorch validates the extra (``prefix__name``) arguments; derive them
        # from the instance instead of storing a private set that would leak
        # into ``get_params``.
        init = set(self._init_param_names())
        return {
            k
            for k in vars(self)
            if k not in init and not k.startswith("_") and not k.endswith("_")
        }

    def _check_params(self):
        validate_parameter_constraints(
            self._parameter_constraints,
            self.get_params(deep=False),
            caller_name=type(self).__name__,
        )
        device = str(self.device) if self.device is not None else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(
                f"device={self.device!r}, but CUDA is not available to this torch "
                f"({torch.__version__}: built without CUDA, or no GPU visible); "
                "use device='cpu'."
            )
        if device.startswith("mps") and not torch.backends.mps.is_available():
            raise ValueError(
                f"device={self.device!r}, but MPS is not available; use device='cpu'."
            )
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
        if any(
            not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 1
            for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive ints; got "
                f"{self.hidden_layer_sizes!r}."
            )
        return sizes

    # ------------------------------------------------------------------
    # components
    # ------------------------------------------------------------------
    # overrides skorch: scores against the target argmax; silent, lean logs
    @property
    def _default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", _PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", _PassthroughScoring(name="valid_loss")),
            (
                "valid_acc",
                EpochScoring(
                    _target_argmax_accuracy, name="valid_acc", lower_is_better=False
                ),
            ),
            ("print_log", _PrintLog()),
        ]

    # overrides skorch: the default MLP from the data; weights from the fit's seed
    def initialize_module(self):
        """Build the module: the default MLP, a new instance or a copy.

        The default MLP is initialised from a generator seeded by the fit's
        generator. A module class is instantiated with torch's global generator
        seeded from the fit's generator, while a process-wide lock is held, so
        the weight initialisation depends only on ``random_state``, also when
        fits run concurrently in threads (unless code outside sksoft seeds or
        draws from the global generator in another thread meanwhile).
        """
        seed = getattr(self, "_init_seed", None)
        if seed is None:  # e.g. initialize() or set_params() outside fit
            seed = self._draw_seed(self._new_generator())
        if self.module is None:  # initialised from its own generator
            return self._build_module(seed)
        self._acquire_global_rng(
            f"building module={getattr(self.module, '__name__', self.module)!r} "
            "draws its initial weights from it"
        )
        try:
            with self._seeded_global_rng(seed):
                return self._build_module(seed)
        finally:
            _GLOBAL_RNG_LOCK.release()

    def _build_module(self, seed):
        kwargs = self.get_params_for("module")
        if self.module is None:
            if not hasattr(self, "n_features_in_") or not hasattr(self, "classes_"):
                raise ValueError(
                    "The default module is built in fit from the data; call fit "
                    "instead of initialize, or pass a module."
                )
            sizes = self.hidden_layer_sizes
            sizes = (sizes,) if isinstance(sizes, numbers.Integral) else tuple(sizes)
            # built without drawing (meta device), then initialised
            module = nn.utils.skip_init(
                _MLP,
                self.n_features_in_,
                len(self.classes_),
                hidden_layer_sizes=sizes,
                **kwargs,
            )
            module.reset_parameters(torch.Generator().manual_seed(seed))
            self.module_ = module
        elif isinstance(self.module, nn.Module) and not kwargs:
            self.module_ = copy.deepcopy(self.module)
        else:
            self.module_ = self.initialized_instance(self.module, kwargs)
        if self.dtype != "float32":
            self.module_ = self.module_.to(getattr(torch, self.dtype))
        return self

    # overrides skorch: per-sample reduction (sample weights), label_smoothing
    def initialize_criterion(self):
        """Build the criterion (per-sample reduction so weights can be applied)."""
        kwargs = self.get_params_for("criterion")
        criterion = self.criterion
        if isinstance(criterion, type):
            try:
                params = inspect.signature(criterion).parameters
            except (TypeError, ValueError):  # pragma: no cover - builtins
                params = {}
            if "reduction" in params and "reduction" not in kwargs:
                kwargs["reduction"] = "none"
            if "label_smoothing" in params and "label_smoothing" not in kwargs:
                kwargs["label_smoothing"] = self.label_smoothing
            elif self.label_smoothing and "label_smoothing" not in params:
                raise ValueError(
                    f"label_smoothing={self.label_smoothing} needs a criterion "
                    f"that accepts label_smoothing; {criterion.__name__} does not."
                )
        self.criterion_ = self.initialized_instance(criterion, kwargs)
        return self

    # overrides skorch: the engine's optimizer path (one Adam kernel)
    def initialize_optimizer(self, triggered_directly=None):
        """Build the optimizer through the engine (``make_optimizer``).

        Overrides skorch: a plain ``torch.optim.Adam`` becomes the engine's
        ``LeanAdam`` (a ``torch.optim.Adam``; the batched ensemble's Adam
        arithmetic, and no ``torch._dynamo`` import in a worker); any other
        optimizer is built as skorch builds it.
        """
        args, kwargs = self.get_params_for_optimizer(
            "optimizer", self.get_all_learnable_params()
        )
        lr = kwargs.pop("lr", self.lr)
        self.optimizer_ = make_optimizer(self.optimizer, *args, lr, kwargs)
        return self

    # overrides skorch: 'auto' is a float64 softmax
    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity == "auto":
            self.check_is_fitted()
            return _softmax_float64
        return super()._get_predict_nonlinearity()

    # ------------------------------------------------------------------
    # randomness owned by the fit
    # ------------------------------------------------------------------
    def _new_generator(self):
        """A torch.Generator seeded from ``random_state`` (no global RNG read)."""
        return new_generator(self.random_state)

    def _draw_seed(self, generator=None):
        return draw_seed(self._generator if generator is None else generator)

    @property
    def generator_(self):
        """A copy of the fit's random generator, in its state after the fit.

        The fitted estimator stores the generator's state (a uint8 array), not
        a :class:`torch.Generator`; ``partial_fit`` and ``warm_start`` fits
        continue from it.
        """
        state = self.__dict__.get("_generator_state")
        if state is None:
            raise AttributeError(f"{type(self).__name__} has no generator_ before fit.")
        generator = torch.Generator()
        generator.set_state(torch.from_numpy(np.array(state, dtype=np.uint8)))
        return generator

    def _acquire_global_rng(self, why):
        """Take the process-wide lock of torch's global generator.

        Waiting means another fit in a thread of this process holds it; the
        fits then run one at a time, which keeps them reproducible: say so.
        """
        if _GLOBAL_RNG_LOCK.acquire(blocking=False):
            return
        warnings.warn(
            f"{type(self).__name__} needs torch's global random generator "
            f"({why}) while another fit in a thread of this process holds it; "
            "this fit waits for it, so such fits run one at a time (results "
            "stay reproducible). For parallel fits use a process-based joblib "
            "backend (loky), or a module that declares uses_global_rng = False "
            "and draws dropout from sksoft.classifier.GeneratorDropout.",
            UserWarning,
            stacklevel=5,
        )
        _GLOBAL_RNG_LOCK.acquire()

    def _seeded_global_rng(self, seed):
        """Fork torch's global RNG and seed it (call with the lock held)."""
        cuda = str(self.device).startswith("cuda") and torch.cuda.is_available()
        devices = None if cuda else []

        @contextmanager
        def ctx():
            with torch.random.fork_rng(devices=devices):
                torch.random.default_generator.manual_seed(seed)
                if cuda:
                    torch.cuda.manual_seed_all(seed)
                yield

        return ctx()

    @contextmanager
    def _training_rng(self, seed):
        """The global-RNG context of the training loop.

        A module that cannot draw from torch's global generator (the default
        MLP, torch.nn layers without randomness, classes declaring
        ``uses_global_rng = False``) trains without touching it, concurrently
        with other fits. Any other module trains with the global generator
        seeded from the fit's generator while the process-wide lock is held:
        concurrent fits in threads then run one at a time (with a warning) and
        stay reproducible.
        """
        for m in self.module_.modules():
            if isinstance(m, GeneratorDropout):
                m.generator = self._generator
        reason = _global_rng_user(self.module_)
        if reason is None and not (
            isinstance(self.iterator_train, type)
            and issubclass(self.iterator_train, SliceBatchIterator)
        ):
            reason = f"iterator_train={self.iterator_train!r} may draw from it"
        try:
            if reason is None:
                yield
                return
            self._acquire_global_rng(f"the module may draw from it: {reason}")
            try:
                with self._seeded_global_rng(seed):
                    yield
            finally:
                _GLOBAL_RNG_LOCK.release()
        finally:
            for m in self.module_.modules():
                if isinstance(m, GeneratorDropout):
                    m.generator = None

    # ------------------------------------------------------------------
    # validation of the training data
    # ------------------------------------------------------------------
    def _validate_X(self, X, reset):
        raw_shape = getattr(X, "shape", None)
        if not isinstance(raw_shape, tuple):
            raw_shape = None
        fitted_shape = self.__dict__.get("_sample_shape")
        if (
            not reset
            and fitted_shape is not None
            and raw_shape is not None
            and len(raw_shape) >= 2  # 1-D X: sklearn's "Reshape your data"
            and tuple(raw_shape[1:]) != fitted_shape
            # 2-D against 2-D: sklearn's own n_features_in_ message
            and not (len(raw_shape) == 2 and len(fitted_shape) == 1)
        ):
            raise ValueError(
                f"X has samples of shape {tuple(raw_shape[1:])} (X of shape "
                f"{tuple(raw_shape)}), but {type(self).__name__} was fitted on "
                f"samples of shape {fitted_shape}; pass X in the fit's shape, "
                f"e.g. X.reshape(-1, {', '.join(map(str, fitted_shape))})."
            )
        X = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse="csr",
            dtype=(np.float32, np.float64),
            allow_nd=True,
        )
        if sparse.issparse(X):
            X = X.astype(self.dtype)
            X.sort_indices()
        else:
            X = np.ascontiguousarray(X, dtype=self.dtype)
        if reset:
            self._sample_shape = tuple(X.shape[1:])
        if self.module is None and X.ndim != 2:
            raise ValueError(
                f"The default MLP needs 2-D X; got shape {X.shape}. Pass a module "
                "(e.g. a CNN) for inputs with more dimensions."
            )
        return X

    def _validate_training_data(self, X, y, sample_weight, *, reset, classes=None):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        X = self._validate_X(X, reset)
        y_arr = _check_label_vector(y)
        classes_arg = (
            self._classes_to_fit(y, classes)
            if reset
            else self._fitted_classes(y, classes)
        )
        Y, classes_out = check_soft_targets(
            y_arr, classes=classes_arg, counts=self.counts, return_classes=True
        )
        check_consistent_length(X, Y)
        sw = None
        if sample_weight is not None:
            sw = self._check_sample_weight(sample_weight, Y.shape[0])
        if reset:
            self._check_two_classes(Y, sw, classes_out)
            self.classes_ = np.asarray(classes_out)
        if sw is not None:
            sw = (sw / sw.mean()).astype(self.dtype)
        return X, Y.astype(self.dtype), sw

    def _classes_to_fit(self, y, classes):
        """The classes of a first fit: ``classes``, the parameter or y's columns."""
        if classes is not None and self.classes is not None:
            if not np.array_equal(np.asarray(classes), np.asarray(self.classes)):
                raise ValueError(
                    f"classes={list(classes)} differs from the classes parameter "
                    f"{list(self.classes)}."
                )
        classes_arg = classes if classes is not None else self.classes
        if classes_arg is None:  # a DataFrame's column names name the classes
            return frame_classes(y)
        check_frame_columns(y, classes_arg, "classes")
        return classes_arg

    def _fitted_classes(self, y, classes):
        """``classes_``, after checking that ``y`` and ``classes`` agree with it."""
        check_frame_columns(y, self.classes_, "the fitted classes_")
        if classes is not None and not np.array_equal(
            np.asarray(classes), self.classes_
        ):
            raise ValueError(
                f"classes={list(classes)} differs from the fitted classes_ "
                f"{self.classes_.tolist()}."
            )
        return self.classes_

    def _check_two_classes(self, Y, sw, classes_out):
        """At least two classes carry (weighted) target mass."""
        mass = Y.sum(axis=0) if sw is None else sw @ Y
        present = np.flatnonzero(mass > 0)
        if present.size < 2:
            what = "sample-weighted target mass" if sw is not None else "samples"
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes with {what}; "
                f"got 1 class ({classes_out[present].tolist()}; classes: "
                f"{np.asarray(classes_out).tolist()})."
            )

    @staticmethod
    def _check_sample_weight(sample_weight, n_samples):
        if isinstance(sample_weight, numbers.Number):
            sw = np.full(n_samples, float(sample_weight))
        else:
            if hasattr(sample_weight, "to_numpy"):
                sample_weight = sample_weight.to_numpy()
            sw = np.asarray(sample_weight, dtype=np.float64)
        if sw.ndim != 1 or sw.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight must have shape ({n_samples},); got {sw.shape}."
            )
        if not np.isfinite(sw).all():
            raise ValueError("sample_weight contains NaN or infinity.")
        if (sw < 0).any():
            raise ValueError("sample_weight contains negative values.")
        if not sw.any():
            raise ValueError(
                "sample_weight must contain at least one non-zero weight; all "
                "weights are zero."
            )
        return sw

    # ------------------------------------------------------------------
    # fitting
    # ------------------------------------------------------------------
    # overrides skorch: checks soft targets and weights; owns the fit's generator
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Initialise the network and train it for ``max_epochs`` epochs.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data (or an array with more dimensions for a custom
            module).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, probability rows or (with ``counts=True``) counts.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        **fit_params : dict
            Passed to the module's ``forward`` and to a callable
            ``train_split``.

        Returns
        -------
        self : SoftLabelClassifier
            The fitted classifier.
        """
        self._check_params()
        reset = not (self.warm_start and self.initialized_)
        X, Y, sw = self._validate_training_data(X, y, sample_weight, reset=reset)
        self._train(X, Y, sw, reset=reset, epochs=None, routing="fit", **fit_params)
        return self

    # overrides skorch: as fit, one epoch, with the classes argument
    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train one epoch over the given samples, initialising on first call.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels, probability rows or (with ``counts=True``) counts.
        classes : array-like of shape (n_classes,), default=None
            All class labels, needed on the first call when later calls may
            bring labels missing from the first ``y``. Later calls must give the
            same classes or ``None``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights (relative within this call).
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : SoftLabelClassifier
            The updated classifier.
        """
        self._check_params()
        reset = not self.initialized_
        X, Y, sw = self._validate_training_data(
            X, y, sample_weight, reset=reset, classes=classes
        )
        self._train(
            X,
            Y,
            sw,
            reset=reset,
            epochs=1,
            routing="partial_fit",
            split=False,
            **fit_params,
        )
        return self

    def _train(self, X, Y, sw, *, reset, epochs, routing, split=True, **fit_params):
        if reset or self.__dict__.get("_generator_state") is None:
            self._generator = self._new_generator()
        else:
            self._generator = self.generator_
        self._fit_sample_weight = sw
        self._fit_use_split = split
        try:
            self._init_seed, train_seed = draw_fit_seeds(self._generator)
            if reset:
                self.initialize()
            with self._training_rng(train_seed):
                self.notify("on_train_begin", X=X, y=Y)
                try:
                    self.fit_loop(
                        X,
                        Y,
                        epochs=epochs,
                        **fit_loop_routing_kwargs(routing),
                        **fit_params,
                    )
                except KeyboardInterrupt:
                    pass
                self.notify("on_train_end", X=X, y=Y)
        finally:
            self._generator_state = self._generator.get_state().numpy()
            for name in ("_generator", "_init_seed", "_fit_sample_weight"):
                self.__dict__.pop(name, None)
            self.__dict__.pop("_fit_use_split", None)

    # overrides skorch: the fit's sample weights on the dataset; the engine's
    # hold-out split, stratified on the argmax
    def get_split_datasets(self, X, y=None, **fit_params):
        """The fit's dataset (with its sample weights) and its validation split.

        A float ``train_split`` is the engine's stratified hold-out split
        (:func:`sksoft._engine._split.holdout_split`) on the target argmax.
        """
        dataset = self.get_dataset(X, y)
        sw = getattr(self, "_fit_sample_weight", None)
        if y is not None and sw is not None and not is_dataset(X):
            dataset.sample_weight = sw
        split = self.train_split
        if split is None or not getattr(self, "_fit_use_split", True) or y is None:
            return dataset, None
        y_hard = np.argmax(np.asarray(y), axis=1)
        if isinstance(split, numbers.Real):
            idx_train, idx_valid = holdout_split(y_hard, float(split), self._generator)
            if idx_valid is None:
                return dataset, None
            return Subset(dataset, idx_train), Subset(dataset, idx_valid)
        return split(dataset, y_hard, **fit_params)

    # overrides skorch: weighted mean of per-sample soft losses; output-shape error
    def get_loss(self, y_pred, y_true, X=None, training=False, sample_weight=None):
        """Weighted mean of the per-sample criterion values of a batch.

        Parameters
        ----------
        y_pred : torch.Tensor of shape (batch, n_classes)
            Logits (the first element is used if the module returns a tuple).
        y_true : torch.Tensor of shape (batch, n_classes)
            Soft targets.
        X : object, default=None
            The batch input (unused).
        training : bool, default=False
            Whether this is a training step (unused).
        sample_weight : torch.Tensor of shape (batch,), default=None
            Sample weights, already divided by their mean over the fit data.
            ``None`` reads them from ``y_true.sample_weight``, where
            :class:`~sksoft.batching.SliceBatchIterator` puts a weighted batch's
            weights (skorch's ``train_step_single`` and ``validation_step``
            pass no weights).

        Returns
        -------
        loss : torch.Tensor
            A scalar.
        """
        if isinstance(y_pred, tuple):
            y_pred = y_pred[0]
        if sample_weight is None:
            sample_weight = getattr(y_true, "sample_weight", None)
        if not isinstance(y_true, torch.Tensor):
            y_true = torch.as_tensor(np.asarray(y_true))
        _check_logits_shape(y_pred, y_true)
        if y_true.is_cpu != y_pred.is_cpu:
            y_true = y_true.to(y_pred.device)
        criterion = self.criterion_
        if (
            sample_weight is None
            and type(criterion) is SoftTargetCrossEntropyLoss
            and criterion.reduction == "none"
        ):
            # unweighted: torch's fused mean is one autograd node less
            return criterion(y_pred, y_true, reduction="mean")
        return _weighted_mean(criterion(y_pred, y_true), sample_weight)

    # ------------------------------------------------------------------
    # prediction
    # ------------------------------------------------------------------
    def _prepare_predict_X(self, X):
        check_is_fitted(self)
        if is_dataset(X):
            return X
        return self._validate_X(X, reset=False)

    # overrides skorch: float64 rows from the module outputs, batch by batch
    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows summing to one (float64 with the default nonlinearity), columns
            in the order of ``classes_``.
        """
        return super().predict_proba(self._prepare_predict_X(X))

    def _module_outputs(self, X):
        """Module outputs (the first element of a tuple) for ``X``, batch by batch."""
        X = self._prepare_predict_X(X)
        self._set_training(False)
        for yp in self.forward_iter(X, training=False):
            yield yp[0] if isinstance(yp, tuple) else yp

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        With the default ``predict_nonlinearity="auto"`` it is the log-softmax
        of the logits computed in float64 (finite where :meth:`predict_proba`
        underflows to 0); otherwise ``log(predict_proba(X))``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        if self.predict_nonlinearity != "auto":
            with np.errstate(divide="ignore"):
                return np.log(self.predict_proba(X))
        out = [
            torch.log_softmax(yp.to(torch.float64), dim=-1).detach().cpu().numpy()
            for yp in self._module_outputs(X)
        ]
        return np.concatenate(out, axis=0)

    def decision_function(self, X):
        """Logits, in scikit-learn's ``decision_function`` form.

        For more than two classes the ``(n_samples, n_classes)`` logits (float64):
        their argmax is :meth:`predict`, and their softmax is
        :meth:`predict_proba`. For two classes, as sklearn's binary classifiers,
        a 1-D score: the log-odds ``logit_1 - logit_0`` of ``classes_[1]``,
        positive where :meth:`predict` gives ``classes_[1]``. With a
        ``predict_nonlinearity`` other than ``"auto"`` the module outputs need
        not be logits, so :meth:`predict_log_proba` takes their place.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            1-D for two classes.
        """
        if self.predict_nonlinearity == "auto":
            scores = np.concatenate(
                [
                    yp.to(torch.float64).detach().cpu().numpy()
                    for yp in self._module_outputs(X)
                ],
                axis=0,
            )
        else:
            scores = self.predict_log_proba(X)
        if scores.shape[1] == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    # overrides skorch: classes_[argmax] (skorch's NeuralNet returns the probabilities)
    def predict(self, X):
        """Predicted class labels, ``classes_[argmax(predict_proba(X))]``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_`` (ties go to the first class).
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # overrides skorch: accuracy against the argmax of soft targets
    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` against the argmax of the targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels, probability rows or (with ``counts=True``) counts; soft rows
            count as their argmax class (ties to the first class).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Weighted share of samples whose predicted class is the target's
            most probable class.
        """
        check_is_fitted(self)
        check_frame_columns(y, self.classes_, "the fitted classes_")
        Y = check_soft_targets(y, classes=self.classes_, counts=self.counts)
        y_hard = self.classes_[np.argmax(Y, axis=1)]
        return float(
            accuracy_score(y_hard, self.predict(X), sample_weight=sample_weight)
        )

    # overrides skorch: sklearn's repr (changed parameters), not skorch's module dump
    def __repr__(self):
        # sklearn's repr (changed parameters only), not skorch's module dump
        return BaseEstimator.__repr__(self)

    # overrides skorch: sparse X (ClassifierMixin: y required, single output)
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
