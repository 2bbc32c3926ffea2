"""Torch criteria for soft targets.

The criteria here work on *logits* (unnormalised scores) and accept either
probability targets of shape ``(n, K)`` or integer class indices of shape
``(n,)``, so the same criterion serves hard and soft supervision.
"""

from torch import nn
from torch.nn import functional as F

__all__ = ["SoftTargetCrossEntropyLoss"]

_REDUCTIONS = ("mean", "sum", "none")


class SoftTargetCrossEntropyLoss(nn.Module):
    """Cross-entropy between soft targets and the softmax of logits.

    For logits :math:`z_i` and a target distribution :math:`y_i` over ``K``
    classes the per-sample loss is

    .. math::

        \\ell_i = -\\sum_{k=1}^{K} \\tilde y_{ik} \\log \\operatorname{softmax}(z_i)_k,
        \\qquad \\tilde y_i = (1 - \\varepsilon)\\, y_i + \\varepsilon / K,

    where :math:`\\varepsilon` is ``label_smoothing``. Integer targets are read
    as one-hot rows. The loss is minimal (equal to the target entropy) when the
    predicted distribution equals the smoothed target.

    Parameters
    ----------
    label_smoothing : float, default=0.0
        Share :math:`\\varepsilon \\in [0, 1]` of the target mass spread
        uniformly over the classes, as in :func:`torch.nn.functional.cross_entropy`.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"mean"`` averages over the samples, ``"sum"`` sums them and
        ``"none"`` returns the per-sample losses (shape ``(n,)``), e.g. to apply
        sample weights.

    See Also
    --------
    torch.nn.CrossEntropyLoss : The torch criterion; this one agrees with it on
        probability targets and additionally validates them.
    sksoft.classifier.SoftLabelClassifier : Uses this criterion by default.

    Notes
    -----
    Targets may have any floating dtype; they are cast to the dtype of the
    logits. The criterion does not renormalise targets: rows must already be
    probability vectors (the classifier validates them once, with
    :func:`sksoft.targets.check_soft_targets`, before training). Extra leading
    dimensions are not supported: logits must be ``(n, K)``.

    References
    ----------
    .. [1] Szegedy et al., "Rethinking the Inception Architecture for Computer
       Vision", CVPR 2016 (label smoothing).
    .. [2] Peterson et al., "Human uncertainty makes classification more
       robust", ICCV 2019 (training on human soft labels).

    Examples
    --------
    >>> import torch
    >>> from sksoft.losses import SoftTargetCrossEntropyLoss
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 0.0]])
    >>> target = torch.tensor([[0.75, 0.25], [0.5, 0.5]])
    >>> SoftTargetCrossEntropyLoss()(logits, target)
    tensor(0.6600)
    >>> SoftTargetCrossEntropyLoss(reduction="none")(logits, torch.tensor([0, 1]))
    tensor([0.1269, 0.6931])
    """

    def __init__(self, label_smoothing=0.0, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"reduction must be one of {_REDUCTIONS}; got {reduction!r}."
            )
        label_smoothing = float(label_smoothing)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(
                f"label_smoothing must be in [0, 1]; got {label_smoothing!r}."
            )
        self.label_smoothing = label_smoothing
        self.reduction = reduction

    def forward(self, input, target, *, reduction=None):
        """Compute the loss.

        Parameters
        ----------
        input : torch.Tensor of shape (n_samples, n_classes)
            Logits.
        target : torch.Tensor of shape (n_samples, n_classes) or (n_samples,)
            Probability rows, or integer class indices.
        reduction : {"mean", "sum", "none"}, default=None
            Overrides the ``reduction`` of the criterion for this call.

        Returns
        -------
        loss : torch.Tensor
            A scalar, or the per-sample losses of shape ``(n_samples,)`` when
            ``reduction="none"``.
        """
        if input.ndim != 2:
            raise ValueError(
                "SoftTargetCrossEntropyLoss expects logits of shape "
                f"(n_samples, n_classes); got shape {tuple(input.shape)}."
            )
        if target.ndim == 1 and not target.is_floating_point():
            target = target.long()
        else:
            if target.shape != input.shape:
                raise ValueError(
                    f"target of shape {tuple(target.shape)} does not match logits "
                    f"of shape {tuple(input.shape)}; pass (n_samples, n_classes) "
                    "probabilities or (n_samples,) integer class indices."
                )
            if target.dtype != input.dtype:
                target = target.to(input.dtype)
        # torch's fused kernel computes exactly the formula above for
        # probability and index targets alike.
        return F.cross_entropy(
            input,
            target,
            reduction=self.reduction if reduction is None else reduction,
            label_smoothing=self.label_smoothing,
        )

    def extra_repr(self):
        return f"label_smoothing={self.label_smoothing}, reduction={self.reduction!r}"
