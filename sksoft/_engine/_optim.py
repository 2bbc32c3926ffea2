"""The optimizer path: one Adam kernel, the optimizer factory, stackable optimizers.

Both training paths build their optimizer with :func:`make_optimizer`. A plain
``torch.optim.Adam`` (no weight decay, amsgrad or maximize: the default) gets
the arithmetic of :func:`adam_update`, the element-wise kernels of torch's
single-tensor Adam (its CPU default) in the same order with the same scalars,
so the parameters are the same bit for bit (``tests/test_ensemble.py`` and
``tests/_engine/test_optim.py`` check it against ``torch.optim.Adam``):

- :class:`_PlainAdam` for the batched ensemble: lists of stacked tensors and
  a reused denominator buffer, no parameter groups or state lookups (on the
  audit's default MLP the step costs about a quarter less);
- :class:`LeanAdam` for :class:`~sksoft.SoftLabelClassifier`: a
  ``torch.optim.Adam`` (parameter groups, ``state_dict``, schedulers and
  skorch's ``optimizer__`` setters work as before) whose default-configuration
  CPU step runs the same kernel. It never imports ``torch._dynamo``: torch's
  ``Optimizer.add_param_group`` / ``zero_grad`` (``torch._disable_dynamo``)
  and ``Adam.step`` (``_use_grad_for_differentiable``) import it on their
  first call, about 1.4 s of CPU in every fresh worker process. Any other
  configuration steps through torch's own ``Adam.step``.
"""

import numbers

import torch

__all__ = [
    "ELEMENTWISE_OPTIMIZERS",
    "LeanAdam",
    "adam_update",
    "is_plain_adam",
    "make_optimizer",
]

#: optimizers whose update of a parameter element reads only that element's
#: gradient and state (so a stacked step equals the members' separate steps)
ELEMENTWISE_OPTIMIZERS = (
    torch.optim.Adam,
    torch.optim.AdamW,
    torch.optim.SGD,
    torch.optim.RMSprop,
    torch.optim.Adagrad,
)

#: Adam arguments the lean path accepts, with the values it accepts
_PLAIN_ADAM_VALUES = {
    "weight_decay": (0,),
    "amsgrad": (False,),
    "foreach": (None, False),
    "maximize": (False,),
    "capturable": (False,),
    "differentiable": (False,),
    "fused": (None, False),
    "decoupled_weight_decay": (False,),
}


#: parameter-group keys that do not change the arithmetic of a step
_GROUP_BOOKKEEPING = ("params", "initial_lr")


def _scalar(value):
    return value is None or isinstance(value, numbers.Real)  # bools too


def is_plain_adam(optimizer, options):
    """Whether ``optimizer(params, **options)`` is a default-arithmetic Adam.

    ``options`` may hold ``lr``, ``betas``, ``eps`` and the keys of
    ``_PLAIN_ADAM_VALUES`` (at their accepted values).
    """
    if optimizer is not torch.optim.Adam:
        return False
    extra = dict(options)
    betas = tuple(extra.pop("betas", (0.9, 0.999)))
    eps = extra.pop("eps", 1e-8)
    lr = extra.pop("lr", 1e-3)
    return (
        len(betas) == 2
        and all(isinstance(b, numbers.Real) for b in (*betas, eps, lr))
        and all(
            key in _PLAIN_ADAM_VALUES
            and _scalar(value)
            and value in _PLAIN_ADAM_VALUES[key]
            for key, value in extra.items()
        )
    )


@torch.no_grad()
def adam_update(params, grads, exp_avgs, exp_avg_sqs, step, lr, betas, eps, denoms):
    """One Adam step of torch's single-tensor kernel (no weight decay) in place.

    ``step`` is the step number after this step (a float, as torch reads its
    float32 step tensor); ``denoms``: buffers for the denominators, or
    ``None`` entries for new tensors (the values are the same).
    """
    beta1, beta2 = betas
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5
    for p, grad, m, v, denom in zip(params, grads, exp_avgs, exp_avg_sqs, denoms):
        m.lerp_(grad, 1 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        denom = torch.sqrt(v) if denom is None else torch.sqrt(v, out=denom)
        denom.div_(bias_correction2_sqrt).add_(eps)
        p.addcdiv_(m, denom, value=-step_size)


class _PlainAdam:
    """The batched ensemble's Adam: :func:`adam_update` on stacked tensors."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.step_count = 0
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self._denom = [torch.empty_like(p) for p in self.params]

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            p.grad = None

    def step(self):
        self.step_count += 1
        adam_update(
            self.params,
            [p.grad for p in self.params],
            self.exp_avg,
            self.exp_avg_sq,
            float(self.step_count),
            self.lr,
            self.betas,
            self.eps,
            self._denom,
        )


def _undecorated(method):
    """A torch optimizer method without its wrappers (``__wrapped__`` chain)."""
    while hasattr(method, "__wrapped__"):
        method = method.__wrapped__
    return method


def _unhooked(step):
    """``step`` without the hook wrapper torch's optimizers patch into it."""
    while getattr(step, "hooked", False):
        step = step.__wrapped__
    return step


class LeanAdam(torch.optim.Adam):
    """``torch.optim.Adam`` that runs :func:`adam_update` for plain CPU groups.

    The same parameters, state (``step``, ``exp_avg``, ``exp_avg_sq``, laid
    out as torch lays them out, so ``state_dict`` round-trips with
    ``torch.optim.Adam``) and hooks; the step of a group with default
    arithmetic on CPU tensors runs the shared kernel (after the closure, when
    one is given, is called as torch's step calls it), any other group torch's
    own step. Neither path through the default configuration
    imports ``torch._dynamo``.
    """

    def add_param_group(self, param_group):
        # torch's is wrapped in torch._disable_dynamo, which imports dynamo
        _undecorated(torch.optim.Optimizer.add_param_group)(self, param_group)

    def zero_grad(self, set_to_none=True):
        # same wrapper as add_param_group
        _undecorated(torch.optim.Optimizer.zero_grad)(self, set_to_none)

    def step(self, closure=None):
        """One step: the closure first, as torch's, then the shared kernel (torch's
        own step for a group it cannot take)."""
        loss = None
        if closure is not None:  # skorch's train_step passes one
            with torch.enable_grad():
                loss = closure()
        if not all(map(self._lean, self.param_groups)):
            _unhooked(torch.optim.Adam.step)(self)
            return loss
        with torch.no_grad():
            for group in self.param_groups:
                self._lean_group_step(group)
        return loss

    @staticmethod
    def _lean(group):
        options = {k: v for k, v in group.items() if k not in _GROUP_BOOKKEEPING}
        return is_plain_adam(torch.optim.Adam, options) and all(
            p.device.type == "cpu"
            and not torch.is_complex(p)
            and (p.grad is None or not p.grad.is_sparse)
            for p in group["params"]
        )

    def _lean_group_step(self, group):
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        states = [self.state[p] for p in params]
        for p, state in zip(params, states):
            if not state:  # as torch.optim.Adam._init_group
                state["step"] = torch.tensor(0.0, dtype=_scalar_dtype())
                state["exp_avg"] = torch.zeros_like(
                    p, memory_format=torch.preserve_format
                )
                state["exp_avg_sq"] = torch.zeros_like(
                    p, memory_format=torch.preserve_format
                )
        steps = set()
        for state in states:
            state["step"] += 1
            steps.add(state["step"].item())
        if len(steps) != 1:  # pragma: no cover - parameters of one group differ
            raise RuntimeError("LeanAdam: parameters of a group at different steps")
        adam_update(
            params,
            [p.grad for p in params],
            [s["exp_avg"] for s in states],
            [s["exp_avg_sq"] for s in states],
            steps.pop(),
            group["lr"],
            tuple(group["betas"]),
            group["eps"],
            [None] * len(params),
        )


def _scalar_dtype():
    # torch.optim.optimizer._get_scalar_dtype: float64 under a float64 default
    return (
        torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    )


def make_optimizer(optimizer, params, lr, optimizer_params, *, stacked=False):
    """The optimizer of a fit: the lean Adam for a plain Adam, else the class.

    ``stacked=True`` (the batched ensemble): :class:`_PlainAdam` over the
    stacked tensors; otherwise :class:`LeanAdam`, a ``torch.optim.Adam``.
    """
    options = dict(optimizer_params)
    if not is_plain_adam(optimizer, {**options, "lr": lr}):
        return optimizer(params, lr=lr, **options)
    if stacked:
        betas = tuple(float(b) for b in options.get("betas", (0.9, 0.999)))
        return _PlainAdam(params, lr, betas, float(options.get("eps", 1e-8)))
    return LeanAdam(params, lr=lr, **options)
