"""The networks: the default MLP, its dropout, and the stacked MLP of the ensemble.

The plain MLP (:class:`MLP`, ``nn.Linear`` layers) and the stacked one
(:class:`StackedMLP`, parameters ``(M, ...)``) are initialised by the same
function, :func:`init_linear_` (``torch.nn.Linear``'s default initialisation
drawn from a given generator), and drop out with the same arithmetic
(``X * mask / keep`` with ``bernoulli_(keep)`` masks from the fit's generator).
"""

import math
import numbers

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "GeneratorDropout",
    "StackedMLP",
    "dropout_masks",
    "init_layers",
    "init_linear_",
]

#: the default MLP's activations, as functions (the stacked MLP) and modules
ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "gelu": F.gelu}
_ACTIVATION_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


def init_linear_(weight, bias, generator):
    """``torch.nn.Linear``'s default initialisation of ``(out, in)`` ``weight``
    and ``bias``, drawn from ``generator`` (in place)."""
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    fan_in = weight.shape[1]
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    nn.init.uniform_(bias, -bound, bound, generator=generator)


def init_layers(sizes, generator):
    """Weights ``(out, in)`` and biases of ``nn.Linear`` layers, as torch draws them."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        weight, bias = torch.empty(n_out, n_in), torch.empty(n_out)
        init_linear_(weight, bias, generator)
        layers.append((weight, bias))
    return layers


class GeneratorDropout(nn.Module):
    """Dropout whose masks come from a given :class:`torch.Generator`.

    :class:`torch.nn.Dropout` draws its masks from torch's global generator,
    which fits running in several threads of one process share. This module
    draws them from ``generator`` instead; :class:`SoftLabelClassifier` sets
    it to the fit's own generator during training (and back to ``None``
    after), so dropout cannot make concurrent fits differ. With
    ``generator=None`` it behaves like :class:`torch.nn.Dropout`.

    Parameters
    ----------
    p : float, default=0.5
        Probability of zeroing an element during training; the kept elements
        are scaled by ``1 / (1 - p)``.

    Attributes
    ----------
    generator : torch.Generator or None
        The source of the masks (``None``: torch's global generator).

    See Also
    --------
    torch.nn.Dropout : The same operation on the global generator.

    Examples
    --------
    >>> import torch
    >>> from sksoft.classifier import GeneratorDropout
    >>> drop = GeneratorDropout(0.5)
    >>> drop.generator = torch.Generator().manual_seed(0)
    >>> out = drop(torch.ones(1000))
    >>> sorted(set(out.tolist()))
    [0.0, 2.0]
    >>> drop.eval()(torch.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    uses_global_rng = False

    def __init__(self, p=0.5):
        super().__init__()
        if not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability must be in [0, 1]; got {p!r}.")
        self.p = float(p)
        self.generator = None

    def forward(self, X):
        if not self.training or self.p == 0:
            return X
        if self.p == 1:
            return torch.zeros_like(X)
        keep = 1.0 - self.p
        g = self.generator
        if g is None:
            mask = torch.empty_like(X).bernoulli_(keep)
        else:
            mask = torch.empty(X.shape, dtype=X.dtype, device=g.device)
            mask = mask.bernoulli_(keep, generator=g).to(X.device)
        return X * mask / keep

    def extra_repr(self):
        return f"p={self.p}"


class MLP(nn.Module):
    """The default module: a multi-layer perceptron that outputs logits.

    Its dropout draws from the fit's generator (:class:`GeneratorDropout`) and
    :meth:`reset_parameters` initialises the weights from a given generator,
    so it never needs torch's global generator.
    """

    uses_global_rng = False

    def __init__(
        self,
        n_features,
        n_classes,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        device=None,
    ):
        super().__init__()
        activations = _ACTIVATION_MODULES
        if activation not in activations:
            raise ValueError(
                f"module__activation must be one of {sorted(activations)}; got "
                f"{activation!r}."
            )
        layers = []
        n_in = n_features
        for width in hidden_layer_sizes:
            layers.append(nn.Linear(n_in, width, device=device))
            layers.append(activations[activation]())
            if dropout:
                layers.append(GeneratorDropout(dropout))
            n_in = width
        layers.append(nn.Linear(n_in, n_classes, device=device))
        self.layers = nn.Sequential(*layers)

    def reset_parameters(self, generator=None):
        """torch.nn.Linear's default initialisation, drawn from ``generator``."""
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                init_linear_(layer.weight, layer.bias, generator)

    def forward(self, X):
        return self.layers(X)


class StackedMLP:
    """``M`` MLPs as stacked tensors.

    Weights ``(M, in, out)``, biases ``(M, 1, out)``.
    """

    def __init__(self, layers_per_member, activation, dropout, dtype):
        self.weights, self.biases = [], []
        for layer in zip(*layers_per_member):
            W = torch.stack([w.t() for w, _ in layer]).to(dtype).contiguous()
            b = torch.stack([b[None, :] for _, b in layer]).to(dtype).contiguous()
            self.weights.append(W.requires_grad_())
            self.biases.append(b.requires_grad_())
        self.activation = ACTIVATIONS[activation]
        self.dropout = float(dropout)

    def parameters(self):
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def forward(self, h, masks=None):
        """Logits ``(M, B, K)`` of inputs ``(M, B, d)`` (dropout ``masks``)."""
        last = len(self.weights) - 1
        keep = 1.0 - self.dropout
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, W)
            if i < last:
                h = self.activation(h)
                if masks is not None:
                    # GeneratorDropout's arithmetic: X * mask / keep
                    h = torch.zeros_like(h) if keep == 0 else h * masks[i] / keep
        return h


def dropout_masks(model, gens, B, dtype):
    """Per-member 0/1 dropout masks ``(M, B, width)`` per hidden layer.

    Drawn as :class:`~sksoft.classifier.GeneratorDropout` draws them: for each
    member, layer after layer, ``bernoulli_(1 - p)`` of a ``(B, width)`` tensor
    in the model's dtype from the member's fit generator.
    """
    keep = 1.0 - model.dropout
    if keep == 0:  # p == 1: zeros, nothing drawn
        return [None] * (len(model.weights) - 1)
    per_member = [
        [
            torch.empty(B, W.shape[2], dtype=dtype).bernoulli_(keep, generator=g)
            for W in model.weights[:-1]
        ]
        for g in gens
    ]
    return [torch.stack(layer) for layer in zip(*per_member)]
