"""Tests for sksoft.datasets (MNIST, CIFAR-10H, ambiguous digits).

The loaders are exercised on the real files of the test-data folder (fixtures
``mnist_dir`` and ``cifar10h_dir``); the download path is tested with a
monkeypatched ``urlopen`` that serves local bytes, never the network.
"""

import gzip
import hashlib
import io
import os
import pickle
import tarfile
import time
from urllib.error import URLError

import numpy as np
import pytest
from sklearn.datasets import load_digits

from sksoft.datasets import (
    _base,
    _cifar10h,
    fetch_cifar10h,
    fetch_mnist,
    get_data_home,
    make_ambiguous_digits,
)
from sksoft.datasets._base import RemoteFile
from sksoft.sources import mode_shift_mask
from sksoft.targets import counts_to_proba, target_entropy

MNIST_TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture
def serve(monkeypatch):
    """Monkeypatch urlopen: ``serve({basename: bytes})``; records requested urls."""
    calls = []

    def install(files, fail=False):
        def fake_urlopen(url, timeout=None):
            calls.append(url)
            if fail:
                raise URLError("network is unreachable")
            name = url.rsplit("/", 1)[-1]
            if name not in files:
                raise URLError(f"404 {name}")
            return _FakeResponse(files[name])

        monkeypatch.setattr(_base, "urlopen", fake_urlopen)
        return calls

    return install


def _listing(path):
    return sorted((p.name, p.stat().st_mtime_ns) for p in path.iterdir())


# --------------------------------------------------------------------------
# data home
# --------------------------------------------------------------------------
def test_get_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("SKSOFT_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env"
    assert get_data_home(tmp_path / "x") == tmp_path / "x"
    monkeypatch.delenv("SKSOFT_DATA")
    assert get_data_home() == get_data_home("~/sksoft_data")
    assert not (tmp_path / "env").exists()  # never created by a lookup


# --------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------
def test_fetch_mnist_reads_real_test_set(mnist_dir):
    before = _listing(mnist_dir)
    mnist = fetch_mnist(data_home=mnist_dir, download_if_missing=False)
    assert _listing(mnist_dir) == before  # only read
    assert mnist.data.shape == (10000, 784) and mnist.data.dtype == np.float32
    assert mnist.images.shape == (10000, 28, 28) and mnist.images.dtype == np.uint8
    assert mnist.target.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(mnist.target), MNIST_TEST_CLASS_COUNTS)
    assert mnist.data.min() == 0.0 and mnist.data.max() == 1.0
    np.testing.assert_array_equal(
        mnist.data[:5], mnist.images[:5].reshape(5, -1) / np.float32(255)
    )
    # independent parse of the IDX bytes
    with gzip.open(mnist_dir / "t10k-labels-idx1-ubyte.gz") as f:
        raw = f.read()
    np.testing.assert_array_equal(mnist.target, np.frombuffer(raw[8:], np.uint8))
    assert "CC BY-SA 3.0" in mnist.DESCR and mnist.soft_labels is None
    assert mnist.licence == "CC BY-SA 3.0" and "LeCun" in mnist.citation
    X, y = fetch_mnist(data_home=mnist_dir, return_X_y=True)
    np.testing.assert_array_equal(y, mnist.target)
    # a data home holding mnist/ is searched too
    again = fetch_mnist(data_home=mnist_dir.parent, download_if_missing=False)
    np.testing.assert_array_equal(again.target, mnist.target)


def test_fetch_mnist_download_path(mnist_dir, tmp_path, serve):
    files = {p.name: p.read_bytes() for p in mnist_dir.glob("*.gz")}
    calls = serve(files)
    mnist = fetch_mnist(data_home=tmp_path)
    assert len(calls) == 2 and calls[0].startswith("https://")
    for name, data in files.items():
        assert (tmp_path / "mnist" / name).read_bytes() == data
    assert not list((tmp_path / "mnist").glob("*.part"))
    np.testing.assert_array_equal(np.bincount(mnist.target), MNIST_TEST_CLASS_COUNTS)
    fetch_mnist(data_home=tmp_path)  # cached: no new request
    assert len(calls) == 2


def test_fetch_mnist_checksum_mismatch(mnist_dir, tmp_path, serve):
    files = {p.name: b"not the file" for p in mnist_dir.glob("*.gz")}
    calls = serve(files)
    with pytest.raises(OSError, match="wrong checksum"):
        fetch_mnist(data_home=tmp_path)
    assert len(calls) == 2  # both mirrors tried
    assert list((tmp_path / "mnist").iterdir()) == []  # nothing left behind


def test_fetch_mnist_corrupt_cached_file(mnist_dir, tmp_path):
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"junk"))
    with pytest.raises(OSError, match="checksum differs"):
        fetch_mnist(data_home=tmp_path, download_if_missing=False)


def test_fetch_mnist_offline(tmp_path, serve):
    serve({}, fail=True)
    with pytest.raises(OSError, match="no network access"):
        fetch_mnist(data_home=tmp_path)
    with pytest.raises(OSError, match="not found in .*download_if_missing=False"):
        fetch_mnist(data_home=tmp_path / "other", download_if_missing=False)
    assert not (tmp_path / "other").exists()
    with pytest.raises(OSError, match="train-images"):
        fetch_mnist(data_home=tmp_path, subset="train", download_if_missing=False)


def test_checksum_rules(tmp_path, mnist_dir):
    payload = b"idx bytes" * 100
    gz = tmp_path / "f.gz"
    gz.write_bytes(gzip.compress(payload, compresslevel=9))
    raw_md5 = hashlib.md5(gz.read_bytes()).hexdigest()
    raw_sha = hashlib.sha256(gz.read_bytes()).hexdigest()
    inner_md5 = hashlib.md5(payload).hexdigest()
    ok = _base._checksum_ok
    assert ok(gz, RemoteFile("f.gz", (), md5=raw_md5))
    assert ok(gz, RemoteFile("f.gz", (), sha256=raw_sha))
    assert ok(gz, RemoteFile("f.gz", (), md5="0" * 32, md5_decompressed=inner_md5))
    assert not ok(gz, RemoteFile("f.gz", (), md5="0" * 32, md5_decompressed="1" * 32))
    plain = tmp_path / "plain"
    plain.write_bytes(payload)  # not gzip: decompressed digest cannot match
    assert not ok(plain, RemoteFile("plain", (), md5_decompressed=inner_md5))
    # the shared test copy was re-compressed: its gzip md5 is not torchvision's,
    # it is accepted through the md5 of its decompressed bytes
    from sksoft.datasets._mnist import MNIST_FILES

    for remote in MNIST_FILES["test"]:
        path = mnist_dir / remote.filename
        assert hashlib.md5(path.read_bytes()).hexdigest() != remote.md5
        assert ok(path, remote)


def test_fetch_mnist_bad_params(tmp_path):
    with pytest.raises(ValueError, match="subset"):
        fetch_mnist(data_home=tmp_path, subset="valid")


# --------------------------------------------------------------------------
# CIFAR-10H
# --------------------------------------------------------------------------
def test_fetch_cifar10h_labels(cifar10h_dir):
    before = _listing(cifar10h_dir)
    c = fetch_cifar10h(data_home=cifar10h_dir, images=False, download_if_missing=False)
    assert _listing(cifar10h_dir) == before
    assert c.counts.shape == (10000, 10) and c.counts.dtype == np.int64
    probs = np.load(cifar10h_dir / "cifar10h-probs.npy")
    np.testing.assert_allclose(counts_to_proba(c.counts), probs, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(c.soft_target, probs)
    assert c.n_annotations.min() == 47 and c.n_annotations.max() == 63
    assert c.data is None and c.target is None and c.images is None
    assert c.target_names[3] == "cat" and c.soft_labels == "human"
    assert "CC BY-NC-SA 4.0" in c.DESCR and "HUMAN" in c.DESCR
    assert "Peterson" in c.DESCR
    assert "CC BY-NC-SA 4.0" in c.licence and "Peterson" in c.citation
    assert c.source_url == "https://github.com/jcpeterson/cifar-10h"


def _standin_archive(path, n=10000, seed=0):
    """A tar.gz with CIFAR-10's python-pickle layout and deterministic pixels."""
    rng = np.random.default_rng(seed)
    data = ((np.arange(n)[:, None] * 7 + np.arange(3072)[None, :]) % 256).astype(
        np.uint8
    )
    labels = rng.integers(0, 10, size=n).tolist()
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": labels, b"data": data}
    meta = {b"label_names": [n.encode() for n in _cifar10h.CIFAR10_CLASSES]}
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for name, obj in (("test_batch", batch), ("batches.meta", meta)):
            raw = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return data, np.asarray(labels)


@pytest.fixture(scope="module")
def cifar_home(tmp_path_factory, cifar10h_dir):
    home = tmp_path_factory.mktemp("c10h")
    for name in ("cifar10h-counts.npy", "cifar10h-probs.npy"):
        os.symlink(cifar10h_dir / name, home / name)
    data, labels = _standin_archive(home / "cifar-10-python.tar.gz")
    md5 = hashlib.md5((home / "cifar-10-python.tar.gz").read_bytes()).hexdigest()
    return home, data, labels, md5


def test_fetch_cifar10h_with_standin_images(cifar_home, monkeypatch):
    home, data, labels, md5 = cifar_home
    # the stand-in is not the real archive: its checksum is refused...
    with pytest.raises(OSError, match="checksum differs"):
        fetch_cifar10h(data_home=home, download_if_missing=False)
    # ...unless the expected digest is the stand-in's
    fake = RemoteFile("cifar-10-python.tar.gz", ("https://invalid/",), md5=md5)
    monkeypatch.setattr(_cifar10h, "CIFAR10_ARCHIVE", fake)
    c = fetch_cifar10h(data_home=home, download_if_missing=False)
    np.testing.assert_array_equal(c.target, labels)
    assert c.data.shape == (10000, 3072) and c.data.dtype == np.float32
    np.testing.assert_allclose(c.data, data / 255.0, rtol=1e-6)
    assert c.images.shape == (10000, 32, 32, 3)
    # channel-major rows: pixel (h, w) of channel ch is data[ch * 1024 + h * 32 + w]
    i, h, w, ch = 1234, 5, 17, 2
    assert c.images[i, h, w, ch] == data[i, ch * 1024 + h * 32 + w]
    assert c.target_names.tolist() == _cifar10h.CIFAR10_CLASSES.tolist()


def test_fetch_cifar10h_row_mismatch(tmp_path, cifar10h_dir, monkeypatch):
    for name in ("cifar10h-counts.npy", "cifar10h-probs.npy"):
        os.symlink(cifar10h_dir / name, tmp_path / name)
    _standin_archive(tmp_path / "cifar-10-python.tar.gz", n=12)
    md5 = hashlib.md5((tmp_path / "cifar-10-python.tar.gz").read_bytes()).hexdigest()
    monkeypatch.setattr(
        _cifar10h,
        "CIFAR10_ARCHIVE",
        RemoteFile("cifar-10-python.tar.gz", ("https://invalid/",), md5=md5),
    )
    with pytest.raises(OSError, match="holds 12 images but CIFAR-10H has 10000"):
        fetch_cifar10h(data_home=tmp_path)


def test_fetch_cifar10h_download_path(cifar10h_dir, tmp_path, serve):
    files = {p.name: p.read_bytes() for p in cifar10h_dir.glob("*.npy")}
    calls = serve(files)
    c = fetch_cifar10h(data_home=tmp_path, images=False)
    assert sorted(u.rsplit("/", 1)[-1] for u in calls) == sorted(files)
    assert all(
        u.startswith("https://raw.githubusercontent.com/jcpeterson/") for u in calls
    )
    assert (tmp_path / "cifar10h" / "cifar10h-counts.npy").exists()
    assert c.counts.sum() == np.load(cifar10h_dir / "cifar10h-counts.npy").sum()
    # the images archive is not served: offline error names it
    with pytest.raises(OSError, match="cifar-10-python.tar.gz"):
        fetch_cifar10h(data_home=tmp_path, images=True)
    # tampered label file: sha256 refused
    bad = dict(files)
    raw = bytearray(files["cifar10h-probs.npy"])
    raw[-5] ^= 0xFF  # flip one byte of the last probability
    bad["cifar10h-probs.npy"] = bytes(raw)
    serve(bad)
    with pytest.raises(OSError, match="wrong checksum"):
        fetch_cifar10h(data_home=tmp_path / "fresh", images=False)


# --------------------------------------------------------------------------
# ambiguous digits
# --------------------------------------------------------------------------
def test_make_ambiguous_digits_defaults_fast_and_consistent(capsys):
    t0 = time.perf_counter()
    d = make_ambiguous_digits(random_state=0)
    elapsed = time.perf_counter() - t0
    assert elapsed < 15  # < 5 s on a quiet machine; generous for a loaded CI
    n = 1500
    assert d.data.shape == (n, 64) and d.images.shape == (n, 8, 8)
    assert d.counts.shape == (n, 10) and d.counts.dtype == np.int64
    np.testing.assert_array_equal(d.counts.sum(axis=1), 6)
    np.testing.assert_allclose(d.soft_target, d.counts / 6)
    assert d.is_ambiguous.sum() == 450
    digits = load_digits()
    a, b = d.source_index[:, 0], d.source_index[:, 1]
    # gold = class of the dominant source digit
    np.testing.assert_array_equal(d.target, digits.target[a])
    clean = ~d.is_ambiguous
    np.testing.assert_array_equal(d.data[clean], digits.data[a[clean]])
    assert np.all(b[clean] == -1) and np.all(d.mixing_weight[clean] == 1.0)
    amb = d.is_ambiguous
    w = d.mixing_weight[amb][:, None]
    np.testing.assert_allclose(
        d.data[amb], w * digits.data[a[amb]] + (1 - w) * digits.data[b[amb]]
    )
    assert np.all(digits.target[a[amb]] != digits.target[b[amb]])
    assert np.all((w > 0.5) & (w < 0.8))
    # generative mixture
    np.testing.assert_allclose(d.mixture.sum(axis=1), 1.0)
    np.testing.assert_array_equal(d.mixture.argmax(axis=1), d.target)
    np.testing.assert_allclose(d.mixture[amb, digits.target[b[amb]]], 1 - w[:, 0])
    # clean items are distinct; reference pool disjoint from every source digit
    assert len(np.unique(a[clean])) == clean.sum()
    assert not np.isin(d.source_index, d.reference_index).any()
    # simulated labels: blends more uncertain, majority differs from gold on a share
    h = target_entropy(d.counts, counts=True)
    shift = mode_shift_mask(d.counts, d.target, counts=True)
    with capsys.disabled():
        print(
            f"\n[make_ambiguous_digits defaults] {elapsed:.2f} s; mean entropy clean "
            f"{h[clean].mean():.3f} blends {h[amb].mean():.3f}; majority != gold "
            f"{shift.mean():.1%} (clean {shift[clean].mean():.1%}, blends "
            f"{shift[amb].mean():.1%})"
        )
    assert h[amb].mean() > 2 * h[clean].mean()
    assert 0 < shift[clean].mean() < shift[amb].mean() < 0.6
    assert d.soft_labels == "simulated" and "SIMULATED" in d.DESCR
    assert "CC BY 4.0" in d.DESCR
    assert "CC BY 4.0" in d.licence and "Alpaydin" in d.citation


def test_make_ambiguous_digits_reproducible_and_options():
    a = make_ambiguous_digits(n_samples=200, random_state=3)
    b = make_ambiguous_digits(n_samples=200, random_state=3)
    for key in (
        "data",
        "target",
        "counts",
        "mixture",
        "source_index",
        "groups",
        "split",
    ):
        np.testing.assert_array_equal(a[key], b[key])
    c = make_ambiguous_digits(n_samples=200, random_state=4)
    assert not np.array_equal(a.counts, c.counts)
    only_clean = make_ambiguous_digits(
        n_samples=100, ambiguous_fraction=0.0, strength=0.0, random_state=0
    )
    # no perturbation: unanimous panels
    np.testing.assert_array_equal(only_clean.counts.max(axis=1), 6)
    blur = make_ambiguous_digits(
        n_samples=100, perturbation="blur", strength=1.0, n_annotators=4, random_state=0
    )
    np.testing.assert_array_equal(blur.counts.sum(axis=1), 4)
    more = make_ambiguous_digits(n_samples=2000, ambiguous_fraction=0.5, random_state=0)
    assert more.data.shape == (2000, 64)


def _shared_source_rate(source_index, is_ambiguous, train, test):
    """Share of test items (and of test blends) with a source digit in train."""
    in_train = set(source_index[train].ravel().tolist()) - {-1}
    shared = np.array(
        [bool(set(row.tolist()) & in_train) for row in source_index[test]]
    )
    return shared.mean(), shared[is_ambiguous[test]].mean()


def test_make_ambiguous_digits_split_shares_no_source_digit():
    from sklearn.model_selection import GroupKFold, train_test_split

    d = make_ambiguous_digits(random_state=0)
    train = np.flatnonzero(d.split == "train")
    test = np.flatnonzero(d.split == "test")
    assert set(d.split) == {"train", "test"} and train.size + test.size == 1500
    assert test.size == 450  # 3 of the 10 groups
    assert _shared_source_rate(d.source_index, d.is_ambiguous, train, test) == (0, 0)
    # the test side holds clean items and blends in the overall proportion
    assert d.is_ambiguous[test].mean() == pytest.approx(0.3, abs=0.01)
    assert np.unique(d.target[test]).size == 10
    # groups: disjoint sets of source digits, evenly filled
    np.testing.assert_array_equal(np.bincount(d.groups), 150)
    for g in range(10):
        inside = set(d.source_index[d.groups == g].ravel().tolist()) - {-1}
        outside = set(d.source_index[d.groups != g].ravel().tolist()) - {-1}
        assert not inside & outside
    # any group-aware splitter on `groups` is leak-free too...
    for tr, te in GroupKFold(5).split(d.data, d.target, d.groups):
        assert _shared_source_rate(d.source_index, d.is_ambiguous, tr, te) == (0, 0)
    # ...while a random row split is not (the leakage this split removes)
    tr, te = train_test_split(
        np.arange(1500), test_size=0.3, random_state=0, stratify=d.target
    )
    items, blends = _shared_source_rate(d.source_index, d.is_ambiguous, tr, te)
    assert items > 0.3 and blends > 0.8
    other = make_ambiguous_digits(
        n_samples=200, n_groups=4, test_size=0.5, random_state=1
    )
    assert (other.split == "test").sum() == 100 and other.groups.max() == 3


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_groups=1), "n_groups"),
        (dict(n_samples=5, n_groups=6), "n_groups=6 exceeds"),
        (dict(test_size=0.0), "test_size"),
        (dict(test_size=1.0), "test_size"),
        (dict(n_samples=1800, ambiguous_fraction=0.0), "item pool holds only"),
        (dict(mixing_range=(0.4, 0.8)), "mixing_range"),
        (dict(mixing_range=(0.8, 0.6)), "mixing_range"),
        (dict(mixing_range=(0.6,)), "mixing_range"),
        (dict(ambiguous_fraction=1.5), "ambiguous_fraction"),
        (dict(n_samples=0), "n_samples"),
        (dict(strength=-0.1), "strength"),
    ],
)
def test_make_ambiguous_digits_bad_params(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_ambiguous_digits(**kwargs)
