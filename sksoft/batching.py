"""Fast mini-batches by tensor slicing, with the row positions of each batch.

skorch trains through a :class:`torch.utils.data.DataLoader`, which fetches
every row separately and collates the rows again. For in-memory arrays that is
most of the cost of a small network's epoch. :class:`SliceBatchIterator` instead
draws one permutation per epoch and slices whole batches out of the tensors.
Every batch is an :class:`IndexedBatch`: the usual ``(Xi, yi)`` pair that
also carries ``indices``, the positions of its rows in the ``X`` passed to
``fit`` (training-dynamics callbacks need them).
"""

import numbers

import numpy as np
import torch
from scipy import sparse
from torch.utils.data import Subset
from torch.utils.data.dataloader import default_collate

__all__ = ["IndexedBatch", "SliceBatchIterator"]


class IndexedBatch(tuple):
    """A ``(Xi, yi)`` batch that knows which rows it holds.

    It unpacks like the 2-tuple skorch expects (``Xi, yi = batch``) and carries

    - ``indices``: int64 ndarray, the positions of the batch rows in the ``X``
      passed to ``fit`` (after mapping through any
      :class:`torch.utils.data.Subset` of an internal train/validation split);
    - ``sample_weight``: a float tensor of shape ``(len(batch),)`` or ``None``.

    Parameters
    ----------
    Xi : torch.Tensor or object
        The input rows.
    yi : torch.Tensor or None
        The target rows.
    indices : array-like of int
        Row positions in the original ``X``.
    sample_weight : torch.Tensor, default=None
        Per-row weights of the batch.

    See Also
    --------
    SliceBatchIterator : Yields these batches.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sksoft.batching import IndexedBatch
    >>> batch = IndexedBatch(torch.zeros(2, 3), torch.ones(2), np.array([4, 7]))
    >>> Xi, yi = batch
    >>> tuple(Xi.shape), batch.indices
    ((2, 3), array([4, 7]))
    """

    def __new__(cls, Xi, yi, indices, sample_weight=None):
        self = super().__new__(cls, (Xi, yi))
        self.indices = np.asarray(indices, dtype=np.int64)
        self.sample_weight = sample_weight
        return self

    def __reduce__(self):
        return (type(self), (self[0], self[1], self.indices, self.sample_weight))


def _unwrap_subsets(dataset):
    """Base dataset and the positions (or None for all rows) a Subset chain selects."""
    positions = None
    while isinstance(dataset, Subset):
        idx = np.asarray(dataset.indices, dtype=np.int64)
        positions = idx if positions is None else idx[positions]
        dataset = dataset.dataset
    return dataset, positions


def _as_tensor(data):
    """Zero-copy tensor view of an array, or None if it cannot be sliced as one."""
    if data is None:
        return None
    if isinstance(data, torch.Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        if not data.flags.writeable:
            # torch warns about read-only memory (e.g. memmaps); copy once.
            data = np.array(data)
        return torch.from_numpy(data)
    return None


def _sparse_tensor(rows):
    """A SciPy sparse batch as a coalesced torch COO tensor (no densifying)."""
    coo = rows.tocoo()
    indices = np.vstack([coo.row, coo.col]).astype(np.int64)
    return torch.sparse_coo_tensor(
        torch.from_numpy(indices),
        torch.from_numpy(np.asarray(coo.data)),
        size=coo.shape,
        is_coalesced=True,  # scipy's CSR rows (sorted indices) give sorted COO
        check_invariants=False,
    )


class SliceBatchIterator:
    """Iterate over a dataset in mini-batches by slicing tensors.

    A drop-in ``iterator_train`` / ``iterator_valid`` for skorch nets: it takes
    the dataset and the batch size and yields :class:`IndexedBatch` objects. For a
    skorch :class:`~skorch.dataset.Dataset` holding arrays or tensors (possibly
    wrapped in :class:`~torch.utils.data.Subset` by a train/validation split) a
    batch is a slice (or one gather) of the whole tensors, never a per-row fetch.
    A SciPy sparse ``X`` is densified batch by batch. Any other dataset falls
    back to fetching rows with ``dataset[i]`` and collating them. With
    ``sparse_batches=True`` a SciPy sparse ``X`` gives torch sparse (COO)
    batches instead, for modules whose first layer is an ``nn.Linear``
    (``torch.nn.functional.linear`` multiplies a sparse batch without
    densifying it).

    Parameters
    ----------
    dataset : torch.utils.data.Dataset
        Usually a :class:`skorch.dataset.Dataset` or a ``Subset`` of one. An
        attribute ``sample_weight`` (array of length ``len(base dataset)``) on the
        base dataset is sliced along with the rows: the batch's
        ``sample_weight``, also set on its target tensor (``yi.sample_weight``),
        so that a net's ``get_loss(y_pred, yi)`` finds it.
    batch_size : int, default=128
        Rows per batch; ``-1`` means the whole dataset in one batch. The last
        batch may be smaller.
    shuffle : bool, default=False
        Draw a new permutation (``torch.randperm``) at the start of every epoch.
    generator : torch.Generator, default=None
        The random generator of the permutations. ``None`` uses torch's global
        generator; a fitted :class:`~sksoft.classifier.SoftLabelClassifier` passes
        its own, seeded per fit, so shuffling never touches the global state.
    drop_last : bool, default=False
        Drop the last, incomplete batch.
    device : str or torch.device, default=None
        Move every batch to this device (``None``: leave it where it is).
    sparse_batches : bool, default=False
        For a SciPy sparse ``X``: yield each batch as a coalesced
        ``torch.sparse_coo_tensor`` instead of densifying it. Ignored for
        dense ``X``.

    See Also
    --------
    IndexedBatch : The batches yielded.
    torch.utils.data.DataLoader : The general-purpose (slower) alternative.

    Notes
    -----
    Every row appears exactly once per epoch (also in the last, partial batch)
    unless ``drop_last=True``. Targets and weights are sliced with the same
    positions as the inputs.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch.dataset import Dataset
    >>> from sksoft.batching import SliceBatchIterator
    >>> ds = Dataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
    >>> it = SliceBatchIterator(ds, batch_size=2)
    >>> len(it)
    3
    >>> [batch.indices.tolist() for batch in it]
    [[0, 1], [2, 3], [4]]
    >>> g = torch.Generator().manual_seed(0)
    >>> it = SliceBatchIterator(ds, batch_size=2, shuffle=True, generator=g)
    >>> sorted(np.concatenate([b.indices for b in it]).tolist())
    [0, 1, 2, 3, 4]
    """

    def __init__(
        self,
        dataset,
        batch_size=128,
        shuffle=False,
        generator=None,
        drop_last=False,
        device=None,
        sparse_batches=False,
    ):
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool):
            raise TypeError(f"batch_size must be an int; got {batch_size!r}.")
        if batch_size == -1:
            batch_size = max(len(dataset), 1)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or -1; got {batch_size}.")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator
        self.drop_last = drop_last
        self.device = device
        self.sparse_batches = bool(sparse_batches)

        base, positions = _unwrap_subsets(dataset)
        self._positions = positions
        self._positions_t = None if positions is None else torch.from_numpy(positions)
        self._n = len(dataset)
        X = getattr(base, "X", None)
        y = getattr(base, "y", None)
        self._X_sparse = sparse.issparse(X)
        self._X = X if self._X_sparse else _as_tensor(X)
        self._y = _as_tensor(y)
        weight = getattr(base, "sample_weight", None)
        self._w = None if weight is None else _as_tensor(np.asarray(weight))
        self._fast = (
            hasattr(base, "X")
            and self._X is not None
            and (y is None or self._y is not None)
        )
        self._base = base

    def __len__(self):
        if self.drop_last:
            return self._n // self.batch_size
        return (self._n + self.batch_size - 1) // self.batch_size

    def _order(self):
        """Row positions in the base dataset, in this epoch's order (or None)."""
        if self.shuffle:
            perm = torch.randperm(self._n, generator=self.generator)
            if self._positions is not None:
                return self._positions_t[perm]
            return perm
        if self._positions is not None:
            return self._positions_t
        return None

    @staticmethod
    def _take(data, idx, start, stop):
        if data is None:
            return None
        if idx is None:
            return data[start:stop]
        return data.index_select(0, idx)

    def _move(self, t):
        if self.device is None or t is None or not isinstance(t, torch.Tensor):
            return t
        return t.to(self.device, non_blocking=True)

    def __iter__(self):
        order = self._order()
        order_np = None if order is None else order.numpy()
        n, bs = self._n, self.batch_size
        stop_at = n - n % bs if self.drop_last else n
        take, move = self._take, self._move
        for start in range(0, stop_at, bs):
            stop = min(start + bs, n)
            if order is None:
                idx = None
                indices = np.arange(start, stop, dtype=np.int64)
            else:
                idx = order[start:stop]
                indices = order_np[start:stop]
            if self._fast:
                if self._X_sparse:
                    rows = self._X[start:stop] if idx is None else self._X[indices]
                    Xi = (
                        _sparse_tensor(rows)
                        if self.sparse_batches
                        else torch.from_numpy(np.asarray(rows.toarray()))
                    )
                else:
                    Xi = take(self._X, idx, start, stop)
                yi = take(self._y, idx, start, stop)
            else:
                Xi, yi = default_collate([self._base[int(i)] for i in indices])
            wi = take(self._w, idx, start, stop)
            if self.device is not None:
                Xi, yi, wi = move(Xi), move(yi), move(wi)
            if wi is not None and isinstance(yi, torch.Tensor):
                yi.sample_weight = wi  # for get_loss(y_pred, yi) (a new view)
            yield IndexedBatch(Xi, yi, indices, sample_weight=wi)
