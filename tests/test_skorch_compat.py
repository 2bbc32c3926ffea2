"""The skorch internals listed in sksoft.utils._skorch_compat still exist."""

import inspect

import pytest
import skorch
from skorch import NeuralNet
from skorch.callbacks import BatchScoring, EpochScoring, PassthroughScoring
from skorch.history import History

from sksoft.utils._skorch_compat import (
    CHECKED_SKORCH_VERSIONS,
    SKORCH_INTERNALS,
    TORCH_INTERNALS,
)

OWNERS = {
    "NeuralNet": NeuralNet,
    "PassthroughScoring": PassthroughScoring,
    "EpochScoring": EpochScoring,
    "BatchScoring": BatchScoring,
}


@pytest.mark.parametrize("owner, name", SKORCH_INTERNALS)
def test_skorch_internal_exists(owner, name):
    cls = OWNERS[owner]
    if name == "on_train":  # an __init__ argument stored on the instance
        assert "on_train" in inspect.signature(cls).parameters
    elif name in ("_optimizers", "_params_to_validate"):  # set by __init__
        assert hasattr(NeuralNet(module=None, criterion=None), name)
    else:
        assert hasattr(cls, name), f"skorch {skorch.__version__}: {owner}.{name}"


def test_history_is_a_list_of_epoch_dicts():
    # list.__getitem__(history, -1)["batches"] is the last epoch's batch list
    history = History()
    history.new_epoch()
    history.new_batch()
    history.record_batch("train_loss", 0.5)
    assert isinstance(history, list)
    assert list.__getitem__(history, -1)["batches"] == [{"train_loss": 0.5}]


def test_run_single_epoch_signature():
    params = list(inspect.signature(NeuralNet.run_single_epoch).parameters)
    assert params == ["self", "iterator", "training", "prefix", "step_fn", "fit_params"]


def test_checked_versions_are_listed():
    assert CHECKED_SKORCH_VERSIONS and all(
        v.count(".") == 2 for v in CHECKED_SKORCH_VERSIONS
    )


@pytest.mark.parametrize("path, name", TORCH_INTERNALS)
def test_torch_internal_exists(path, name):
    import functools

    import torch

    obj = functools.reduce(getattr, path.split(".")[1:], torch)
    assert hasattr(obj, name), f"torch {torch.__version__}: {path}.{name}"


def test_adam_step_is_hooked_once_an_optimizer_exists():
    import torch

    from sksoft._engine._optim import LeanAdam

    LeanAdam([torch.zeros(1, requires_grad=True)])
    assert getattr(LeanAdam.step, "hooked", False)
    assert hasattr(LeanAdam.step, "__wrapped__")
