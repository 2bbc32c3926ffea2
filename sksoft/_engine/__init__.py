"""The training engine shared by :class:`~sksoft.SoftLabelClassifier` and the
batched ensemble (:mod:`sksoft._ensemble`).

One place for the network parts both paths need, so that a batched member
stays equal to the plain fit of its seed by construction rather than by
mirroring:

- :mod:`._random`: the fit's own generator and the order of its first draws;
- :mod:`._modules`: the default MLP, its generator-driven dropout and weight
  initialisation, and the stacked MLP of the ensemble;
- :mod:`._split`: the stratified hold-out split (``train_split=<float>``);
- :mod:`._optim`: the Adam arithmetic (one kernel), the optimizer factory and
  which optimizers can be stacked;
- :mod:`._checks`: the input checks of the batched trainer;
- :mod:`._loop`: the batched training loop;
- :mod:`._skorch_loop`: the lean per-batch members of the classifier's skorch
  loop (:class:`._skorch_loop.LeanLoopMixin`).

Private: nothing here is public API. No module of this package imports
``torch._dynamo`` (torch's own optimizers import it at their first
``add_param_group``); see :class:`._optim.LeanAdam`.
"""

from ._checks import check_dtype, check_ensemble_inputs, check_ensemble_options
from ._loop import TrainOptions, train_ensemble
from ._modules import MLP, GeneratorDropout
from ._optim import ELEMENTWISE_OPTIMIZERS, LeanAdam, make_optimizer
from ._random import draw_fit_seeds, draw_seed, new_generator
from ._skorch_loop import LeanLoopMixin
from ._split import holdout_split

__all__ = [
    "ELEMENTWISE_OPTIMIZERS",
    "MLP",
    "GeneratorDropout",
    "LeanAdam",
    "LeanLoopMixin",
    "TrainOptions",
    "check_dtype",
    "check_ensemble_inputs",
    "check_ensemble_options",
    "draw_fit_seeds",
    "draw_seed",
    "holdout_split",
    "make_optimizer",
    "new_generator",
    "train_ensemble",
]
