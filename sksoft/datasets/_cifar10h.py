"""CIFAR-10H: real human soft labels for the CIFAR-10 test set."""

import os
import pickle
import tarfile

import numpy as np
from sklearn.utils import Bunch

from ..targets import counts_to_proba
from ..utils._sklearn_compat import validate_params
from ._base import RemoteFile, fetch_file, get_data_home

__all__ = ["fetch_cifar10h"]

_C10H_RAW = "https://raw.githubusercontent.com/jcpeterson/cifar-10h/master/data/"

CIFAR10H_COUNTS = RemoteFile(
    filename="cifar10h-counts.npy",
    urls=(_C10H_RAW + "cifar10h-counts.npy",),
    sha256="9b36b4550349af56c79083356312eb4af856cc5fd3caf1f669d40b9d0bbb69ff",
)
CIFAR10H_PROBS = RemoteFile(
    filename="cifar10h-probs.npy",
    urls=(_C10H_RAW + "cifar10h-probs.npy",),
    sha256="436ae98620e00073f9d08585ac870573b588853e7af9f54eb1647408114af77d",
)
# The python-pickle archive of CIFAR-10, md5 as listed by torchvision's CIFAR10.
CIFAR10_ARCHIVE = RemoteFile(
    filename="cifar-10-python.tar.gz",
    urls=("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",),
    md5="c58f30108f718f92721af3b95e74349a",
)

CIFAR10_CLASSES = np.array(
    [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
)

DESCR = """\
CIFAR-10H human soft labels
---------------------------

Human label distributions for the 10,000 images of the CIFAR-10 test set:
every image was classified by 47 to 63 people (511,000 judgements in
all). ``counts`` holds the votes per class and ``soft_target`` the shipped
per-image proportions. Row order is the CIFAR-10 test-set order and class
order CIFAR-10's (airplane, automobile, bird, cat, deer, dog, frog, horse,
ship, truck). With ``images=True`` the CIFAR-10 test images and their gold
labels are loaded from the CIFAR-10 python archive.

**Soft labels: HUMAN** (real annotator votes, not simulated).

:Source: https://github.com/jcpeterson/cifar-10h (labels);
    https://www.cs.toronto.edu/~kriz/cifar.html (images, gold labels).
:Licence: CIFAR-10H is released under Creative Commons BY-NC-SA 4.0
    (CC BY-NC-SA 4.0, https://creativecommons.org/licenses/by-nc-sa/4.0/):
    cite the paper, no commercial use, share derivatives alike. It is
    downloaded, never bundled. CIFAR-10 images: A. Krizhevsky, no explicit
    licence; cite the report.
:Citation: J. C. Peterson, R. M. Battleday, T. L. Griffiths and
    O. Russakovsky, "Human uncertainty makes classification more robust",
    ICCV 2019. A. Krizhevsky, "Learning multiple layers of features from tiny
    images", technical report, University of Toronto, 2009.
"""


def _unpickle(fileobj):
    obj = pickle.load(fileobj, encoding="bytes")
    return {(k.decode() if isinstance(k, bytes) else k): v for k, v in obj.items()}


def _read_cifar10_test(path):
    """Test images (N, 3072 uint8, channel-major), labels and class names."""
    with tarfile.open(path, "r:gz") as tar:
        names = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
        for needed in ("test_batch", "batches.meta"):
            if needed not in names:
                raise OSError(
                    f"{path} has no member {needed!r}; not a CIFAR-10 archive."
                )
        batch = _unpickle(tar.extractfile(names["test_batch"]))
        meta = _unpickle(tar.extractfile(names["batches.meta"]))
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch["labels"], dtype=np.int64)
    label_names = np.array(
        [n.decode() if isinstance(n, bytes) else n for n in meta["label_names"]]
    )
    if data.ndim != 2 or data.shape[1] != 3072 or data.shape[0] != labels.shape[0]:
        raise OSError(
            f"{path}: test_batch holds data of shape {data.shape} and "
            f"{labels.shape[0]} labels; expected (N, 3072) and N."
        )
    return data, labels, label_names


@validate_params(
    {
        "data_home": [None, str, os.PathLike],
        "images": ["boolean"],
        "download_if_missing": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_cifar10h(data_home=None, *, images=True, download_if_missing=True):
    """Load the CIFAR-10H human soft labels, with the CIFAR-10 test images.

    Files are looked up in ``data_home`` and ``data_home/cifar10h``; missing
    ones are downloaded into ``data_home/cifar10h`` (label files from the
    CIFAR-10H GitHub repository, checked against their sha256; the CIFAR-10
    python archive, checked against the md5 torchvision lists). Files already
    present are only read.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder; default ``SKSOFT_DATA`` or ``~/sksoft_data``.
    images : bool, default=True
        Also load the CIFAR-10 test images and gold labels (a 163 MB archive).
        With False, ``data``, ``images`` and ``target`` are None.
    download_if_missing : bool, default=True
        Download missing files; if False a missing file raises ``OSError``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        counts : ndarray of shape (10000, 10), dtype int64
            Human votes per class.
        soft_target : ndarray of shape (10000, 10), dtype float64
            The shipped human proportions (``counts`` normalised per row).
        n_annotations : ndarray of shape (10000,)
            Votes per image (47 to 63).
        data : ndarray of shape (10000, 3072), dtype float32, or None
            Pixels in [0, 1], CIFAR-10's channel-major order (1024 red, 1024
            green, 1024 blue values per image).
        images : ndarray of shape (10000, 32, 32, 3), dtype uint8, or None
            The raw images.
        target : ndarray of shape (10000,), dtype int64, or None
            CIFAR-10 gold labels.
        target_names : ndarray of shape (10,)
            Class names.
        soft_labels : str
            ``"human"``.
        licence, citation, source_url : str
            Licence, citation and public home of the labels.
        DESCR : str
            Source, licence (CC BY-NC-SA 4.0) and citations.

    Raises
    ------
    OSError
        When a file is missing and cannot be downloaded, a checksum differs,
        or the files disagree (row counts, rows that do not normalise to the
        shipped probabilities).

    See Also
    --------
    fetch_mnist, make_ambiguous_digits

    Examples
    --------
    >>> from sksoft.datasets import fetch_cifar10h
    >>> c10h = fetch_cifar10h(images=False)  # doctest: +SKIP
    >>> c10h.counts.shape                    # doctest: +SKIP
    (10000, 10)
    """
    home = get_data_home(data_home)
    counts_path = fetch_file(CIFAR10H_COUNTS, home, "cifar10h", download_if_missing)
    probs_path = fetch_file(CIFAR10H_PROBS, home, "cifar10h", download_if_missing)
    counts = np.load(counts_path, allow_pickle=False).astype(np.int64)
    probs = np.load(probs_path, allow_pickle=False).astype(np.float64)
    if counts.shape != probs.shape or counts.ndim != 2:
        raise OSError(
            f"CIFAR-10H counts {counts.shape} and probabilities {probs.shape} differ."
        )
    if not np.allclose(counts_to_proba(counts), probs, rtol=0, atol=1e-12):
        raise OSError("CIFAR-10H counts do not normalise to the shipped probabilities.")
    data = images_arr = target = None
    target_names = CIFAR10_CLASSES.copy()
    if images:
        archive = fetch_file(CIFAR10_ARCHIVE, home, "cifar10h", download_if_missing)
        raw, target, target_names = _read_cifar10_test(archive)
        if raw.shape[0] != counts.shape[0]:
            raise OSError(
                f"the CIFAR-10 test batch holds {raw.shape[0]} images but CIFAR-10H "
                f"has {counts.shape[0]} rows."
            )
        data = raw.astype(np.float32) / np.float32(255)
        images_arr = raw.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return Bunch(
        counts=counts,
        soft_target=probs,
        n_annotations=counts.sum(axis=1),
        data=data,
        images=images_arr,
        target=target,
        target_names=target_names,
        soft_labels="human",
        licence=(
            "CC BY-NC-SA 4.0 (CIFAR-10H labels): cite the paper, no commercial "
            "use, share alike; downloaded, never bundled"
        ),
        citation=(
            "J. C. Peterson, R. M. Battleday, T. L. Griffiths and O. Russakovsky, "
            '"Human uncertainty makes classification more robust", ICCV 2019.'
        ),
        source_url="https://github.com/jcpeterson/cifar-10h",
        DESCR=DESCR,
    )
