"""Tests for sksoft.batching."""

import pickle

import numpy as np
import pytest
import torch
from scipy import sparse
from skorch.dataset import Dataset, ValidSplit
from torch.utils.data import Subset, TensorDataset

from sksoft.batching import IndexedBatch, SliceBatchIterator


def _data(n=23, d=3):
    X = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = np.eye(4, dtype=np.float32)[np.arange(n) % 4]
    return X, y


def test_indexed_batch_is_a_pair():
    b = IndexedBatch(torch.ones(2, 1), torch.zeros(2), [3, 5], sample_weight=None)
    Xi, yi = b
    assert len(b) == 2 and isinstance(b, tuple)
    assert b.indices.dtype == np.int64
    np.testing.assert_array_equal(b.indices, [3, 5])
    b2 = pickle.loads(pickle.dumps(b))
    np.testing.assert_array_equal(b2.indices, [3, 5])


@pytest.mark.parametrize("batch_size", [1, 4, 5, 23, 100, -1])
@pytest.mark.parametrize("shuffle", [False, True])
def test_each_row_exactly_once_per_epoch(batch_size, shuffle):
    X, y = _data()
    g = torch.Generator().manual_seed(1)
    it = SliceBatchIterator(
        Dataset(X, y), batch_size=batch_size, shuffle=shuffle, generator=g
    )
    for _ in range(3):
        batches = list(it)
        assert len(batches) == len(it)
        idx = np.concatenate([b.indices for b in batches])
        assert sorted(idx.tolist()) == list(range(23))
        for b in batches:
            # the rows of the batch are the rows named by its indices
            np.testing.assert_array_equal(b[0].numpy(), X[b.indices])
            np.testing.assert_array_equal(b[1].numpy(), y[b.indices])
        if not shuffle:
            assert idx.tolist() == list(range(23))


def test_drop_last():
    X, y = _data()
    it = SliceBatchIterator(Dataset(X, y), batch_size=5, drop_last=True)
    assert len(it) == 4
    assert [len(b.indices) for b in it] == [5, 5, 5, 5]


def test_shuffle_is_reproducible_and_independent_of_global_rng():
    X, y = _data()
    ds = Dataset(X, y)

    def order(seed):
        g = torch.Generator().manual_seed(seed)
        it = SliceBatchIterator(ds, batch_size=4, shuffle=True, generator=g)
        return [np.concatenate([b.indices for b in it]) for _ in range(2)]

    state = torch.random.get_rng_state()
    a = order(3)
    torch.manual_seed(12345)
    b = order(3)
    torch.random.set_rng_state(state)
    for ea, eb in zip(a, b):
        np.testing.assert_array_equal(ea, eb)
    assert not np.array_equal(a[0], a[1])  # a new permutation every epoch
    assert not np.array_equal(order(4)[0], a[0])


def test_indices_map_through_validsplit_subsets():
    X, y = _data(40)
    ds = Dataset(X, y)
    train, valid = ValidSplit(4)(ds, None)
    assert isinstance(train, Subset)
    g = torch.Generator().manual_seed(0)
    for part in (train, valid):
        it = SliceBatchIterator(part, batch_size=3, shuffle=True, generator=g)
        idx = np.concatenate([b.indices for b in it])
        assert sorted(idx.tolist()) == sorted(np.asarray(part.indices).tolist())
        for b in it:
            np.testing.assert_array_equal(b[0].numpy(), X[b.indices])


def test_nested_subsets():
    X, y = _data(30)
    inner = Subset(Dataset(X, y), np.arange(10, 30))
    outer = Subset(inner, [0, 5, 19])
    it = SliceBatchIterator(outer, batch_size=2)
    assert np.concatenate([b.indices for b in it]).tolist() == [10, 15, 29]


def test_sample_weight_sliced_with_rows():
    X, y = _data()
    ds = Dataset(X, y)
    ds.sample_weight = np.arange(23, dtype=np.float32)
    g = torch.Generator().manual_seed(0)
    for b in SliceBatchIterator(ds, batch_size=4, shuffle=True, generator=g):
        np.testing.assert_array_equal(b.sample_weight.numpy(), b.indices)


@pytest.mark.parametrize("batch_size", [4, -1])
def test_target_tensor_carries_the_batch_weights(batch_size):
    # skorch's train_step_single passes only yi to get_loss: the weights ride on it
    X, y = _data()
    ds = Dataset(X, y)
    ds.sample_weight = np.arange(23, dtype=np.float32)
    it = SliceBatchIterator(ds, batch_size=23 if batch_size == -1 else batch_size)
    for b in it:
        assert b[1].sample_weight is b.sample_weight
        np.testing.assert_array_equal(b[1].sample_weight.numpy(), b.indices)
    # a view per batch: the dataset's own target tensor carries nothing
    assert not hasattr(it._y, "sample_weight")
    unweighted = next(iter(SliceBatchIterator(Dataset(X, y), batch_size=4)))
    assert not hasattr(unweighted[1], "sample_weight")


def test_sparse_X_densified_per_batch():
    X, y = _data()
    Xs = sparse.csr_matrix(X)
    g = torch.Generator().manual_seed(0)
    for b in SliceBatchIterator(
        Dataset(Xs, y), batch_size=6, shuffle=True, generator=g
    ):
        assert isinstance(b[0], torch.Tensor)
        np.testing.assert_array_equal(b[0].numpy(), X[b.indices])


def test_generic_dataset_fallback():
    X, y = _data(9)
    ds = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    batches = list(SliceBatchIterator(ds, batch_size=4))
    assert [len(b.indices) for b in batches] == [4, 4, 1]
    np.testing.assert_array_equal(batches[1][0].numpy(), X[4:8])


def test_unsliced_batches_are_views():
    X, y = _data()
    ds = Dataset(X, y)
    first = next(iter(SliceBatchIterator(ds, batch_size=5)))
    assert first[0].data_ptr() == torch.from_numpy(X).data_ptr()


@pytest.mark.parametrize("bad", [0, -2])
def test_bad_batch_size(bad):
    X, y = _data()
    with pytest.raises(ValueError, match="batch_size"):
        SliceBatchIterator(Dataset(X, y), batch_size=bad)
    with pytest.raises(TypeError, match="batch_size"):
        SliceBatchIterator(Dataset(X, y), batch_size=2.5)


def test_sparse_batches_are_torch_sparse_rows():
    rng = np.random.default_rng(0)
    Xs = sparse.random(
        23, 40, density=0.1, format="csr", dtype=np.float32, random_state=0
    )
    Xs.sort_indices()
    y = rng.random((23, 3)).astype(np.float32)
    g = torch.Generator().manual_seed(0)
    seen = []
    for b in SliceBatchIterator(
        Dataset(Xs, y), batch_size=6, shuffle=True, generator=g, sparse_batches=True
    ):
        assert b[0].layout == torch.sparse_coo and b[0].is_coalesced()
        assert len(b[0]) == len(b.indices)
        np.testing.assert_array_equal(b[0].to_dense().numpy(), Xs[b.indices].toarray())
        seen.extend(b.indices.tolist())
    assert sorted(seen) == list(range(23))
    # dense X ignores the option
    dense = next(
        iter(SliceBatchIterator(Dataset(Xs.toarray(), y), sparse_batches=True))
    )
    assert dense[0].layout == torch.strided


def test_sparse_batches_fit_like_dense_batches():
    from sksoft import SoftLabelClassifier

    rng = np.random.default_rng(1)
    Xs = sparse.random(
        60, 30, density=0.2, format="csr", dtype=np.float32, random_state=1
    )
    y = rng.dirichlet(np.ones(3), size=60)
    kw = dict(hidden_layer_sizes=(), max_epochs=5, batch_size=8, random_state=0)
    dense = SoftLabelClassifier(**kw).fit(Xs, y)
    sp = SoftLabelClassifier(
        **kw, iterator_train__sparse_batches=True, iterator_valid__sparse_batches=True
    ).fit(Xs, y)
    np.testing.assert_allclose(sp.predict_proba(Xs), dense.predict_proba(Xs), atol=1e-5)
    batch = next(iter(sp.get_iterator(sp.get_dataset(Xs.astype(np.float32), y))))
    assert batch[0].layout == torch.sparse_coo  # the sparse path was taken
