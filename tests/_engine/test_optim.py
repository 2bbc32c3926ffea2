"""Tests of the engine's optimizer path (sksoft._engine._optim)."""

import copy

import pytest
import torch

from sksoft._engine._optim import (
    LeanAdam,
    _PlainAdam,
    adam_update,
    is_plain_adam,
    make_optimizer,
)


def _params(dtype=torch.float32, seed=0):
    gen = torch.Generator().manual_seed(seed)
    shapes = [(7, 3), (3,), (3, 2)]
    return [torch.randn(s, generator=gen, dtype=dtype) for s in shapes], gen


def _run(opt_params, opt, grads_per_step):
    for grads in grads_per_step:
        opt.zero_grad()
        for p, g in zip(opt_params, grads):
            p.grad = g.clone()
        opt.step()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("kw", [{}, {"betas": (0.8, 0.99), "eps": 1e-6}])
def test_lean_adam_equals_torch_adam_bit_for_bit(dtype, kw):
    start, gen = _params(dtype)
    grads = [[torch.randn_like(p) for p in start] for _ in range(25)]
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    lean = make_optimizer(torch.optim.Adam, ours, 0.01, kw)
    assert type(lean) is LeanAdam and isinstance(lean, torch.optim.Adam)
    _run(ours, lean, grads)
    _run(theirs, torch.optim.Adam(theirs, lr=0.01, **kw), grads)
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)


def test_lean_adam_state_dict_round_trips_with_torch_adam():
    start, _ = _params()
    grads = [[torch.randn_like(p) for p in start] for _ in range(10)]
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    lean = LeanAdam(ours, lr=0.01)
    ref = torch.optim.Adam(theirs, lr=0.01)
    _run(ours, lean, grads[:5])
    _run(theirs, ref, grads[:5])
    # torch's Adam continues from the lean optimizer's state and vice versa
    ref.load_state_dict(copy.deepcopy(lean.state_dict()))
    assert lean.state_dict()["state"][0]["step"].dtype == torch.float32
    _run(ours, lean, grads[5:])
    _run(theirs, ref, grads[5:])
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)


@pytest.mark.parametrize("kw", [{"weight_decay": 0.1}, {"amsgrad": True}])
def test_lean_adam_steps_other_groups_as_torch_adam(kw):
    # a group that the lean path cannot take (set after construction) goes
    # through torch's own step, with the same result as torch.optim.Adam
    start, _ = _params()
    grads = [[torch.randn_like(p) for p in start] for _ in range(5)]
    ours = [p.clone().requires_grad_() for p in start]
    theirs = [p.clone().requires_grad_() for p in start]
    lean = LeanAdam(ours, lr=0.01)
    lean.param_groups[0].update(kw)
    _run(ours, lean, grads)
    _run(theirs, torch.optim.Adam(theirs, lr=0.01, **kw), grads)
    for a, b in zip(ours, theirs):
        assert torch.equal(a, b)


def test_lean_adam_runs_step_hooks_once():
    (p, *_), _ = _params()
    p.requires_grad_()
    opt = LeanAdam([p], lr=0.1)
    calls = []
    opt.register_step_pre_hook(lambda *a: calls.append("pre"))
    opt.register_step_post_hook(lambda *a: calls.append("post"))
    p.grad = torch.ones_like(p)
    opt.step()
    assert calls == ["pre", "post"]


def test_make_optimizer_choices():
    params = [torch.zeros(3, requires_grad=True)]
    assert isinstance(
        make_optimizer(torch.optim.Adam, params, 0.1, {}, stacked=True), _PlainAdam
    )
    assert type(make_optimizer(torch.optim.Adam, params, 0.1, {"amsgrad": True})) is (
        torch.optim.Adam
    )
    assert type(make_optimizer(torch.optim.SGD, params, 0.1, {})) is torch.optim.SGD
    assert not is_plain_adam(torch.optim.Adam, {"lr": torch.tensor(0.1)})
    assert not is_plain_adam(torch.optim.AdamW, {})


def test_adam_update_by_hand():
    # one step from zero state: m = (1 - b1) g, v = (1 - b2) g^2, bias-corrected
    # update = lr * g / (|g| + eps) (to float64 rounding)
    p = torch.tensor([1.0, -2.0], dtype=torch.float64)
    g = torch.tensor([0.5, -4.0], dtype=torch.float64)
    m, v = torch.zeros_like(p), torch.zeros_like(p)
    adam_update([p], [g], [m], [v], 1.0, 0.1, (0.9, 0.999), 1e-8, [None])
    expected = torch.tensor([1.0, -2.0], dtype=torch.float64) - 0.1 * g / (
        g.abs() + 1e-8
    )
    assert torch.allclose(p, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])  # lean kernel / torch's step
def test_lean_adam_step_with_closure_equals_closure_then_step(weight_decay):
    # skorch's train_step hands the optimizer a closure (zero_grad, forward,
    # backward); the step must equal calling it first and stepping after
    start, gen = _params()
    x = torch.randn(5, 7, generator=gen)
    ours = [p.clone().requires_grad_() for p in start]
    ref = [p.clone().requires_grad_() for p in start]
    kw = {"weight_decay": weight_decay}
    opt_ours = LeanAdam(ours, lr=0.01, **kw)
    opt_ref = LeanAdam(ref, lr=0.01, **kw)
    assert all(map(LeanAdam._lean, opt_ours.param_groups)) == (weight_decay == 0)

    def loss_of(params):
        w1, b, w2 = params
        return ((x @ w1 + b) @ w2).square().mean()

    calls = []

    def closure():
        calls.append(torch.is_grad_enabled())
        opt_ours.zero_grad()
        loss = loss_of(ours)
        loss.backward()
        return loss

    for _ in range(4):
        with torch.no_grad():  # the closure enables gradients itself
            loss = opt_ours.step(closure)
        opt_ref.zero_grad()
        ref_loss = loss_of(ref)
        ref_loss.backward()
        opt_ref.step()
        assert torch.equal(loss, ref_loss)
    assert calls == [True] * 4
    for a, b in zip(ours, ref):
        assert torch.equal(a, b)
