"""Tests for sksoft.losses against torch's own cross-entropy."""

import numpy as np
import pytest
import torch
from sklearn.metrics import log_loss
from torch.nn import functional as F

from sksoft.losses import SoftTargetCrossEntropyLoss


@pytest.fixture
def logits_targets():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(17, 4, generator=g, dtype=torch.float64)
    target = torch.softmax(torch.randn(17, 4, generator=g, dtype=torch.float64), 1)
    return logits, target


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.5])
def test_matches_torch_cross_entropy_probability_targets(
    logits_targets, reduction, label_smoothing
):
    logits, target = logits_targets
    ours = SoftTargetCrossEntropyLoss(
        label_smoothing=label_smoothing, reduction=reduction
    )
    expected = F.cross_entropy(
        logits, target, reduction=reduction, label_smoothing=label_smoothing
    )
    torch.testing.assert_close(ours(logits, target), expected)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_matches_torch_cross_entropy_index_targets(
    logits_targets, reduction, label_smoothing
):
    logits, _ = logits_targets
    idx = torch.arange(17) % 4
    ours = SoftTargetCrossEntropyLoss(
        label_smoothing=label_smoothing, reduction=reduction
    )
    expected = F.cross_entropy(
        logits, idx, reduction=reduction, label_smoothing=label_smoothing
    )
    torch.testing.assert_close(ours(logits, idx), expected)


def test_one_hot_equals_sklearn_log_loss(logits_targets):
    logits, _ = logits_targets
    labels = np.arange(17) % 4
    one_hot = F.one_hot(torch.as_tensor(labels), 4).to(torch.float64)
    proba = torch.softmax(logits, 1).numpy()
    value = SoftTargetCrossEntropyLoss()(logits, one_hot).item()
    assert value == pytest.approx(log_loss(labels, proba, labels=range(4)), rel=1e-10)


def test_gradients_match_torch(logits_targets):
    logits, target = logits_targets
    a = logits.clone().requires_grad_(True)
    b = logits.clone().requires_grad_(True)
    SoftTargetCrossEntropyLoss(label_smoothing=0.1)(a, target).backward()
    F.cross_entropy(b, target, label_smoothing=0.1).backward()
    torch.testing.assert_close(a.grad, b.grad)


def test_minimum_is_target_entropy():
    # The loss equals the target entropy when the prediction equals the target.
    target = torch.tensor([[0.2, 0.3, 0.5]], dtype=torch.float64)
    loss = SoftTargetCrossEntropyLoss()(torch.log(target), target).item()
    entropy = -(target * torch.log(target)).sum().item()
    assert loss == pytest.approx(entropy, rel=1e-12)


def test_float32_targets_cast_to_logit_dtype():
    logits = torch.zeros(2, 2, dtype=torch.float64)
    target = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float32)
    out = SoftTargetCrossEntropyLoss(reduction="none")(logits, target)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out, torch.full((2,), np.log(2.0), dtype=torch.float64))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"reduction": "avg"}, "reduction"),
        ({"label_smoothing": -0.1}, "label_smoothing"),
        ({"label_smoothing": 1.5}, "label_smoothing"),
    ],
)
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SoftTargetCrossEntropyLoss(**kwargs)


def test_bad_shapes():
    loss = SoftTargetCrossEntropyLoss()
    with pytest.raises(ValueError, match="does not match"):
        loss(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match="logits of shape"):
        loss(torch.zeros(3), torch.zeros(3))


@pytest.mark.parametrize("label_smoothing", [0.0, 0.25])
def test_hand_formula_numpy(label_smoothing):
    # independent reference: numpy log-softmax and the smoothed-target formula
    rng = np.random.default_rng(3)
    z = rng.normal(size=(9, 5))
    y = rng.dirichlet(np.ones(5), size=9)
    log_p = z - z.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    y_s = (1 - label_smoothing) * y + label_smoothing / 5
    expected = -(y_s * log_p).sum(1)
    loss = SoftTargetCrossEntropyLoss(label_smoothing=label_smoothing, reduction="none")
    out = loss(torch.from_numpy(z), torch.from_numpy(y)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # per-call reduction override
    mean = loss(torch.from_numpy(z), torch.from_numpy(y), reduction="mean").item()
    assert mean == pytest.approx(expected.mean(), rel=1e-12)
