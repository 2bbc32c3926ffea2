"""The skorch internals sksoft relies on, in one place.

:class:`sksoft.SoftLabelClassifier` subclasses skorch's ``NeuralNet`` and, for
speed and for scikit-learn compatibility, reaches past skorch's public API. If
a skorch release changes one of the names below, this is the list to walk
through (``tests/test_skorch_compat.py`` checks that they still exist). Checked
against skorch 1.4.0 (``CHECKED_SKORCH_VERSIONS``); the oldest supported
version is tested separately in CI.

Private attributes and methods of ``NeuralNet``
    ``list.__getitem__(history, -1)``
        skorch's ``History`` is a ``list`` of epoch dicts whose ``__getitem__``
        parses key tuples; ``_PassthroughScoring.on_epoch_end`` and
        ``run_single_epoch`` read the last epoch's ``"batches"`` list of dicts
        through the plain list method (no parsing per call). Relies on the
        layout ``history[-1]["batches"] == [{key: value}, ...]``.
    ``net._set_training(training)``
        Switches the modules between train and eval mode; called by
        ``run_single_epoch`` once an epoch and by the prediction path.
    ``net._get_predict_nonlinearity()``
        Overridden (float64 softmax for ``"auto"``) and called by the
        prediction path and by :class:`sksoft.callbacks.TrainingDynamics`.
    ``net._params_to_validate``
        skorch validates the ``prefix__name`` arguments listed here; sksoft
        derives it from the instance (a property) so nothing private leaks
        into ``get_params``.
    ``net._get_param_names()``
        Overridden so that ``get_params`` lists the ``__init__`` parameters
        and the ``prefix__name`` arguments set on the instance.
    ``NeuralNet.__setattr__``
        skorch registers torch modules, criteria and optimizers assigned as
        attributes; sksoft's override stores *parameters* (even a module
        instance) as given and lets skorch register fitted attributes only.
    ``NeuralNet._validate_params``
        skorch's override of sklearn's method (it checks ``prefix__name``
        keys, not ``_parameter_constraints``); sksoft calls sklearn's
        ``validate_parameter_constraints`` itself in ``_check_params``.
    ``PassthroughScoring._is_best_score``
        Used by sksoft's ``_PassthroughScoring`` to record ``<name>_best``.
    ``net.get_params_for_optimizer(prefix, named_parameters)`` and
    ``net.get_all_learnable_params()``
        ``initialize_optimizer`` is overridden to build the optimizer through
        the engine (``sksoft._engine._optim.make_optimizer``); it collects the
        parameter groups and ``optimizer__`` arguments as skorch's does.

Public methods whose *call protocol* sksoft reimplements
    All in one place, :class:`sksoft._engine._skorch_loop.LeanLoopMixin` (the
    lean training loop, a measured speed-up; ``SoftLabelClassifier`` mixes it
    in before ``NeuralNet``):

    ``run_single_epoch(iterator, training, prefix, step_fn, **fit_params)``
        sksoft's own version (fewer callback calls per batch) must make the
        same records (``<prefix>_loss``, ``<prefix>_batch_size`` per batch,
        ``<prefix>_batch_count`` per epoch) and the same ``on_batch_begin`` /
        ``on_batch_end`` calls that skorch's ``fit_loop`` and callbacks expect.
        A callback with a ``_batch_hook_wanted(name, training)`` method
        returning False (sksoft's ``TrainingDynamics(mode="eval")``) is not
        called for that hook.
    ``infer``
        Overridden with skorch's signature and return value; skorch's own
        ``train_step`` (which passes the optimizer a closure),
        ``train_step_single``, ``validation_step`` and ``evaluation_step`` call
        it.
    ``train_step_single`` / ``validation_step``
        skorch's own, relied on to call ``get_loss(y_pred, yi, X=Xi,
        training=...)`` with the batch's target tensor ``yi`` as the iterator
        yielded it: ``get_loss`` reads the batch's sample weights from
        ``yi.sample_weight``.
    ``get_iterator(dataset, training)``
        Builds the iterator from ``iterator_train__*`` / ``iterator_valid__*``
        as skorch's does, and hands the fit's generator to a shuffling one.
    ``EpochScoring.on_batch_end`` / ``BatchScoring.on_batch_end`` and their
    ``on_train`` flag
        sksoft skips these hooks in the phase they do not score, relying on
        skorch's implementations returning at once in that phase.
    ``callbacks="disable"`` and ``callbacks__<name>=None``
        skorch's two ways of switching callbacks off; used by
        :func:`sksoft.callbacks.attach_training_dynamics`, which also works
        around skorch's ``set_params`` not accepting a change from
        ``"disable"`` to a list.

torch internals (``sksoft._engine._optim.LeanAdam``, checked against torch 2.13)
    ``torch.optim.Optimizer.add_param_group.__wrapped__`` and
    ``torch.optim.Optimizer.zero_grad.__wrapped__``
        torch wraps both in ``torch._disable_dynamo``, whose first call
        imports ``torch._dynamo`` (about 1.4 s of CPU per process); LeanAdam
        calls the undecorated functions (``functools.wraps`` chain).
    ``torch.optim.Adam.step.hooked``
        torch's ``Optimizer._patch_step_function`` wraps a class's ``step``
        with its hook runner and marks it ``hooked``; LeanAdam's fallback to
        torch's step strips that wrapper so the hooks run once.
    ``torch.optim.Adam``'s state layout
        ``state[p] == {"step": float32 tensor, "exp_avg", "exp_avg_sq"}``, so
        a ``state_dict`` round-trips between LeanAdam and ``torch.optim.Adam``.
"""

#: skorch versions the internals above were checked against.
CHECKED_SKORCH_VERSIONS = ("1.4.0",)

#: ``(owner, attribute)`` pairs of the skorch internals listed above; the
#: owner is ``"NeuralNet"``, ``"PassthroughScoring"``, ``"EpochScoring"`` or
#: ``"BatchScoring"`` (from ``skorch`` / ``skorch.callbacks``).
SKORCH_INTERNALS = (
    ("NeuralNet", "_set_training"),
    ("NeuralNet", "_get_predict_nonlinearity"),
    ("NeuralNet", "_params_to_validate"),
    ("NeuralNet", "_get_param_names"),
    ("NeuralNet", "_validate_params"),
    ("NeuralNet", "run_single_epoch"),
    ("NeuralNet", "train_step_single"),
    ("NeuralNet", "validation_step"),
    ("NeuralNet", "infer"),
    ("NeuralNet", "get_iterator"),
    ("NeuralNet", "initialize_optimizer"),
    ("NeuralNet", "get_params_for_optimizer"),
    ("NeuralNet", "get_all_learnable_params"),
    ("PassthroughScoring", "_is_best_score"),
    ("EpochScoring", "on_train"),
    ("BatchScoring", "on_train"),
)

#: ``(attribute path, attribute)`` pairs of the torch internals listed above
TORCH_INTERNALS = (
    ("torch.optim.Optimizer.add_param_group", "__wrapped__"),
    ("torch.optim.Optimizer.zero_grad", "__wrapped__"),
)

__all__ = ["CHECKED_SKORCH_VERSIONS", "SKORCH_INTERNALS", "TORCH_INTERNALS"]
