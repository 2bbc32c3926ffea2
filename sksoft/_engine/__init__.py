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
- :mod:`._loop`: the batched training loop.

Private: nothing here is public API. No module of this package imports
``torch._dynamo`` (torch's own optimizers import it at their first
``add_param_group``); see :class:`._optim.LeanAdam`.
"""
