"""MNIST from its original IDX files."""

import gzip
import os

import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn_compat import StrOptions, validate_params
from ._base import RemoteFile, fetch_file, get_data_home

__all__ = ["fetch_mnist"]

# Mirrors and md5 digests of the gzip files as listed by torchvision's MNIST
# class (torchvision/datasets/mnist.py); the decompressed md5 digests of the
# test files also accept re-compressed copies.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)


def _remote(filename, md5, md5_decompressed=None):
    return RemoteFile(
        filename=filename,
        urls=tuple(m + filename for m in MNIST_MIRRORS),
        md5=md5,
        md5_decompressed=md5_decompressed,
    )


MNIST_FILES = {
    "train": (
        _remote("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        _remote("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ),
    "test": (
        _remote(
            "t10k-images-idx3-ubyte.gz",
            "9fb629c4189551a2d022fa330f9573f3",
            "2646ac647ad5339dbf082846283269ea",
        ),
        _remote(
            "t10k-labels-idx1-ubyte.gz",
            "ec29112dd5afa0611ce80d1b7f02629c",
            "27ae3e4e09519cfbb04c329615203637",
        ),
    ),
}

DESCR = """\
MNIST handwritten digits
------------------------

70,000 greyscale images of 28 x 28 pixels (60,000 train, 10,000 test) of the
digits 0-9, read from the original IDX files.

**Soft labels:** none (MNIST has one gold label per image; build simulated
annotator panels with ``sksoft.sources.simulate_noisy_observer_panel``).

:Source: http://yann.lecun.com/exdb/mnist/ (mirror
    https://ossci-datasets.s3.amazonaws.com/mnist/), checksums as listed by
    torchvision.
:Licence: Creative Commons Attribution-Share Alike 3.0 (CC BY-SA 3.0).
:Citation: Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of
    handwritten digits"; Y. LeCun, L. Bottou, Y. Bengio and P. Haffner,
    "Gradient-based learning applied to document recognition", Proceedings of
    the IEEE 86(11), 1998.
"""


def _read_idx(path, magic, ndim):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    header = 4 * (1 + ndim)
    if len(raw) < header:
        raise OSError(f"{path} is too short to be an IDX file.")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise OSError(
            f"{path} is not an IDX file of the expected kind (magic {found})."
        )
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(shape)):
        raise OSError(
            f"{path}: header announces shape {shape} but holds {data.size} bytes."
        )
    return data.reshape(shape)


@validate_params(
    {
        "data_home": [None, str, os.PathLike],
        "subset": [StrOptions({"train", "test", "all"})],
        "download_if_missing": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_mnist(
    data_home=None, *, subset="test", download_if_missing=True, return_X_y=False
):
    """Load the MNIST handwritten digits (download and cache on first use).

    Files are looked up in ``data_home`` and ``data_home/mnist``; a missing
    file is downloaded into ``data_home/mnist`` from its public home and
    verified against the md5 digest torchvision lists (a gzip file whose
    *decompressed* bytes match the known digest of the test files is accepted
    too). Files already present are only read.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder; default ``SKSOFT_DATA`` or ``~/sksoft_data``
        (:func:`get_data_home`).
    subset : {"test", "train", "all"}, default="test"
        The 10,000 test images, the 60,000 training images or both (train
        first).
    download_if_missing : bool, default=True
        Download missing files; if False a missing file raises ``OSError``.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        data : ndarray of shape (n_samples, 784), dtype float32
            Pixels scaled to [0, 1].
        images : ndarray of shape (n_samples, 28, 28), dtype uint8
            The raw images.
        target : ndarray of shape (n_samples,), dtype int64
            Gold labels 0-9.
        target_names : ndarray of shape (10,)
            The class names (digits 0-9).
        feature_names : list of str
            Pixel names.
        subset : str
            The ``subset`` loaded.
        soft_labels : None
            MNIST has no soft labels.
        licence, citation, source_url : str
            Licence, citation and public home of the data.
        DESCR : str
            Source, licence (CC BY-SA 3.0) and citation.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    OSError
        When a file is missing and cannot be downloaded (offline) or
        ``download_if_missing=False``, or when a file's checksum differs.

    See Also
    --------
    fetch_cifar10h : Images with real human soft labels.
    make_ambiguous_digits : Digits with simulated ambiguity, no download.

    Examples
    --------
    >>> from sksoft.datasets import fetch_mnist
    >>> mnist = fetch_mnist(subset="test")  # doctest: +SKIP
    >>> mnist.data.shape                    # doctest: +SKIP
    (10000, 784)
    """
    home = get_data_home(data_home)
    parts = ("train", "test") if subset == "all" else (subset,)
    images, labels = [], []
    for part in parts:
        img_remote, lab_remote = MNIST_FILES[part]
        img_path = fetch_file(img_remote, home, "mnist", download_if_missing)
        lab_path = fetch_file(lab_remote, home, "mnist", download_if_missing)
        img = _read_idx(img_path, 2051, 3)
        lab = _read_idx(lab_path, 2049, 1)
        if img.shape[0] != lab.shape[0]:
            raise OSError(
                f"{img_path} holds {img.shape[0]} images but {lab_path} holds "
                f"{lab.shape[0]} labels."
            )
        images.append(img)
        labels.append(lab)
    images = np.concatenate(images) if len(images) > 1 else images[0].copy()
    target = np.concatenate(labels).astype(np.int64)
    data = images.reshape(images.shape[0], -1).astype(np.float32) / np.float32(255)
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        images=images,
        target=target,
        target_names=np.arange(10),
        feature_names=[f"pixel_{i}_{j}" for i in range(28) for j in range(28)],
        subset=subset,
        soft_labels=None,
        licence="CC BY-SA 3.0",
        citation=(
            'Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of '
            'handwritten digits".'
        ),
        source_url="http://yann.lecun.com/exdb/mnist/",
        DESCR=DESCR,
    )
