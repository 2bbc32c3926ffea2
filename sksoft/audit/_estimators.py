"""The audit's default models and what it needs to know about skorch nets (private).

The only module of the audit package that imports torch (and skorch) when it is
imported; ``sksoft.audit`` loads it on first use of :class:`SmallCNN`,
:func:`default_estimator` or :func:`~sksoft.audit.run_audit`.
"""

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNet
from torch import nn

from ..callbacks import TrainingDynamics, attach_training_dynamics
from ..classifier import SoftLabelClassifier


class SmallCNN(nn.Module):
    """The audit's default image module: two convolution blocks and a linear head.

    ``Conv(3x3, width) - ReLU - MaxPool(2) - Conv(3x3, 2 width) - ReLU -
    AdaptiveAvgPool(4) - Dropout - Linear``; outputs logits, so it plugs into
    :class:`sksoft.SoftLabelClassifier` (``module=SmallCNN``,
    ``module__in_channels=...``, ``module__n_classes=...``). Works for any image
    size of at least 4 x 4.

    Parameters
    ----------
    in_channels : int, default=1
        Image channels.
    n_classes : int, default=10
        Outputs.
    width : int, default=16
        Channels of the first convolution.
    dropout : float, default=0.25
        Dropout before the linear head.

    Examples
    --------
    >>> import torch
    >>> from sksoft.audit import SmallCNN
    >>> SmallCNN(in_channels=3, n_classes=4)(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 4])
    """

    def __init__(self, in_channels=1, n_classes=10, width=16, dropout=0.25):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(2 * width * 16, n_classes),
        )

    def forward(self, X):
        return self.head(self.features(X))


def default_estimator(X, n_classes, *, max_epochs=40):
    """The audit's default estimator for model input ``X``.

    A :class:`sksoft.SoftLabelClassifier` (Adam, learning rate 1e-3, batches of
    64, no internal validation split) whose module suits the input: for 2-D
    features a pipeline of a :class:`~sklearn.preprocessing.StandardScaler` and
    an MLP with one hidden layer of 100 units; for images ``(n, C, H, W)`` a
    small CNN (two convolution blocks of 16 and 32 channels, dropout 0.25).

    Parameters
    ----------
    X : ndarray
        Model input as :func:`run_audit` prepares it (float32).
    n_classes : int
        Number of classes.
    max_epochs : int, default=40
        Training epochs.

    Returns
    -------
    estimator : Pipeline or SoftLabelClassifier
        Unfitted.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import default_estimator
    >>> est = default_estimator(np.zeros((5, 64), np.float32), 10, max_epochs=3)
    >>> [type(step).__name__ for _, step in est.steps]
    ['StandardScaler', 'SoftLabelClassifier']
    >>> cnn = default_estimator(np.zeros((5, 1, 28, 28), np.float32), 10)
    >>> type(cnn).__name__, cnn.module.__name__
    ('SoftLabelClassifier', 'SmallCNN')
    """
    common = dict(
        max_epochs=max_epochs,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    if X.ndim == 4:
        return SoftLabelClassifier(
            module=SmallCNN,
            module__in_channels=int(X.shape[1]),
            module__n_classes=int(n_classes),
            **common,
        )
    return make_pipeline(
        StandardScaler(), SoftLabelClassifier(hidden_layer_sizes=(100,), **common)
    )


def default_teacher(X):
    """Teacher for image input: PCA to 50 components, then logistic regression.

    ``None`` for 2-D features: :func:`sksoft.sources.make_supervision_arms`'
    default (scaled logistic regression).
    """
    if X.ndim == 2:
        return None
    n_components = int(min(50, np.prod(X.shape[1:]), X.shape[0] // 2))
    return make_pipeline(
        PCA(n_components=n_components, random_state=0),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )


def describe(estimator):
    """Short readable description of an estimator for the report."""
    steps = getattr(estimator, "steps", None)
    if steps:
        return " -> ".join(describe(step) for _, step in steps)
    if isinstance(estimator, NeuralNet):
        module = estimator.module
        if module is None:
            sizes = getattr(estimator, "hidden_layer_sizes", None)
            module_txt = f"MLP{tuple(sizes)}" if sizes is not None else "default"
        else:
            module_txt = getattr(module, "__name__", type(module).__name__)
        opt = getattr(estimator.optimizer, "__name__", str(estimator.optimizer))
        return (
            f"{type(estimator).__name__}(module={module_txt}, optimizer={opt}, "
            f"lr={estimator.lr}, max_epochs={estimator.max_epochs}, "
            f"batch_size={estimator.batch_size})"
        )
    return " ".join(repr(estimator).split())


def find_net(estimator):
    """The skorch net inside ``estimator`` (itself or a Pipeline's last step).

    Returns ``(net, prefix)``: the net and the parameter prefix that reaches it
    (``""`` or ``"<step>__"``); ``(None, None)`` when there is no net.
    """
    if isinstance(estimator, NeuralNet):
        return estimator, ""
    steps = getattr(estimator, "steps", None)
    if steps and isinstance(steps[-1][1], NeuralNet):
        return steps[-1][1], steps[-1][0] + "__"
    return None, None


#: name of the audit's dynamics recorder among a net's callbacks
DYNAMICS_CALLBACK = "audit_dynamics"


def attach_dynamics(estimator, gold_train):
    """Add the audit's :class:`~sksoft.callbacks.TrainingDynamics` recorder.

    The recorder (``mode="train"`` for a :class:`~sksoft.SoftLabelClassifier`,
    ``"eval"`` for other nets, streaming storage, the gold labels of the
    training rows) is attached with
    :func:`sksoft.callbacks.attach_training_dynamics` under the name
    :data:`DYNAMICS_CALLBACK`, so ``callbacks`` means what it means there: the
    net's callbacks are kept, and ``callbacks="disable"`` makes the recorder
    the net's only callback (no loss scoring, so no loss curves). Returns
    False when ``estimator`` holds no skorch net.
    """
    net, _ = find_net(estimator)
    if net is None:
        return False
    mode = "train" if isinstance(net, SoftLabelClassifier) else "eval"
    recorder = TrainingDynamics(mode=mode, storage="streaming", gold_labels=gold_train)
    attach_training_dynamics(net, recorder, name=DYNAMICS_CALLBACK)
    return True
