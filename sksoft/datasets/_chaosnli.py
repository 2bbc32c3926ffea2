"""ChaosNLI: 100 new human labels for each of 4,645 NLI development items."""

import json
import os

import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn_compat import StrOptions, validate_params
from ._base import RemoteFile, fetch_from_archive, get_data_home

__all__ = ["fetch_chaosnli"]

CHAOSNLI_SOURCE = "https://github.com/easonnie/ChaosNLI"
# The download linked from the README of easonnie/ChaosNLI (``?dl=1`` asks
# Dropbox for the file itself). The zip's own digest is not published; the
# extracted files are checked against the sha256 of the official v1.0 files.
CHAOSNLI_ZIP = RemoteFile(
    filename="chaosNLI_v1.0.zip",
    urls=("https://www.dropbox.com/s/h4j7dqszmpt2679/chaosNLI_v1.0.zip?dl=1",),
)
CHAOSNLI_FILES = {
    "snli": RemoteFile(
        filename="chaosNLI_snli.jsonl",
        urls=CHAOSNLI_ZIP.urls,
        sha256="99f9015ddda7d85f66a087452bc30d53974314fe27e7d589e2f41ad44bd509c1",
    ),
    "mnli": RemoteFile(
        filename="chaosNLI_mnli_m.jsonl",
        urls=CHAOSNLI_ZIP.urls,
        sha256="8eb49b589488e7b1a9ec95fb8a864bd50f0509b4f808eed0aed3f8167617664d",
    ),
    "alphanli": RemoteFile(
        filename="chaosNLI_alphanli.jsonl",
        urls=CHAOSNLI_ZIP.urls,
        sha256="f55817ecc11a02ba3030cd7d2c567d23843456809020723abad53f4fde024c9e",
    ),
}
# label codes as in the files, in ChaosNLI's own order, and their names
_CLASSES = {
    "nli": (["e", "n", "c"], ["entailment", "neutral", "contradiction"]),
    "alphanli": ([1, 2], ["hyp1", "hyp2"]),
}
_FIELDS = {
    "nli": ("premise", "hypothesis"),
    "alphanli": ("obs1", "obs2", "hyp1", "hyp2"),
}
_OLD_NAMES = {"entailment": 0, "neutral": 1, "contradiction": 2}

CHAOSNLI_LICENCE = (
    "CC BY-NC 4.0 (Creative Commons Attribution-NonCommercial 4.0): cite the "
    "paper, no commercial use; downloaded, never bundled"
)
CHAOSNLI_CITATION = (
    'Y. Nie, X. Zhou and M. Bansal, "What Can We Learn from Collective Human '
    'Opinions on Natural Language Inference Data?", EMNLP 2020.'
)

DESCR = """\
ChaosNLI (HUMAN label distributions)
------------------------------------

100 new human labels for each of 1,514 SNLI, 1,599 MNLI (matched) and 1,532
alphaNLI development items, chosen for low agreement among the original
annotators (Nie, Zhou & Bansal, EMNLP 2020): an existing data set
re-annotated, so the original label, the new majority and the new
distribution can be compared.

**Soft labels: HUMAN** (100 real annotations per item, not simulated).

What the loader returns, and how:

- ``counts`` / ``soft_target``: the new labels, in ChaosNLI's own class order
  (``label_count``): [entailment, neutral, contradiction] for SNLI and MNLI,
  [1, 2] (hypothesis 1, hypothesis 2) for alphaNLI. ``classes`` holds the
  codes of the files (``"e", "n", "c"`` or ``1, 2``), ``target_names`` their
  names.
- ``target`` (gold): the ORIGINAL data set label (``old_label``).
- ``majority``: the new majority as published (``majority_label``). On the 14
  SNLI, 14 MNLI and 8 alphaNLI items whose top counts tie, it is ChaosNLI's
  choice, which is not always the first tied class (3, 7 and 4 items differ
  from ``counts.argmax(axis=1)``).
- Mode shifts (new majority vs original label): 24.9% (SNLI), 32.1% (MNLI),
  10.6% (alphaNLI) with ``counts.argmax(axis=1)``; 25.0%, 31.8% and 10.6%
  with the published ``majority``.
- ``old_counts`` (SNLI, MNLI): the original individual annotations
  (``old_labels``) counted in the same class order. Seven SNLI items list only
  four original annotations instead of five: their row sums to 4
  (``n_old_annotations``); no item lacks them altogether. In every item the
  original label is the choice of exactly three original annotators. None for
  alphaNLI (one original label per item).
- ``data``: the text fields side by side (``feature_names``): premise and
  hypothesis, or for alphaNLI obs1, obs2, hyp1, hyp2 (the texts as published,
  unchanged).

:Source: https://github.com/easonnie/ChaosNLI (the ``chaosNLI_v1.0.zip``
    linked from its README; extracted files checked against their sha256).
:Licence: Creative Commons Attribution-NonCommercial 4.0 (CC BY-NC 4.0):
    cite the paper; no commercial use. Downloaded, never bundled.
:Citation: Y. Nie, X. Zhou and M. Bansal, "What Can We Learn from Collective
    Human Opinions on Natural Language Inference Data?", EMNLP 2020. The items
    come from SNLI (Bowman et al., EMNLP 2015), MultiNLI (Williams et al.,
    NAACL 2018) and alphaNLI (Bhagavatula et al., ICLR 2020).
"""


def _json_rows(path):
    """The records of a ``.jsonl`` file (blank lines skipped)."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for k, line in enumerate(f):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise OSError(f"{path}, line {k + 1}: not JSON ({exc}).") from None
    if not rows:
        raise OSError(f"{path} holds no items.")
    return rows


def _record_counts(row, codes):
    """A record's new label counts, checked against its ``label_counter``."""
    c = row["label_count"]
    if len(c) != len(codes) or any(not isinstance(v, int) for v in c):
        raise ValueError(f"label_count {c!r}")
    if [row["label_counter"].get(str(code), 0) for code in codes] != c:
        raise ValueError("label_count differs from label_counter")
    return c


def _record_texts(row, fields):
    """A record's texts, one per field, each a non-empty string."""
    texts = []
    for field in fields:
        text = row["example"][field]
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"empty or non-string {field}")
        texts.append(text)
    return texts


def _read_jsonl(path, subset):
    kind = "alphanli" if subset == "alphanli" else "nli"
    codes, _ = _CLASSES[kind]
    fields = _FIELDS[kind]
    rows = _json_rows(path)
    n = len(rows)
    counts = np.zeros((n, len(codes)), dtype=np.int64)
    target = np.empty(n, dtype=np.int64)
    majority = np.empty(n, dtype=np.int64)
    texts = np.empty((n, len(fields)), dtype=object)
    ids = np.empty(n, dtype=object)
    old_counts = None if kind == "alphanli" else np.zeros((n, 3), dtype=np.int64)
    for i, row in enumerate(rows):
        try:
            counts[i] = _record_counts(row, codes)
            target[i] = codes.index(row["old_label"])
            majority[i] = codes.index(row["majority_label"])
            ids[i] = row["uid"]
            texts[i] = _record_texts(row, fields)
            if old_counts is not None:
                for label in row.get("old_labels") or []:
                    old_counts[i, _OLD_NAMES[label]] += 1
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise OSError(
                f"{path}, item {i + 1}: malformed ChaosNLI record ({exc!r})."
            ) from None
    if (counts.sum(axis=1) == 0).any():
        raise OSError(f"{path}: an item has no new labels.")
    if len(set(ids)) != n:
        raise OSError(f"{path}: duplicate uids.")
    return ids, texts, counts, target, majority, old_counts


@validate_params(
    {
        "data_home": [None, str, os.PathLike],
        "subset": [StrOptions({"snli", "mnli", "alphanli"})],
        "download_if_missing": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_chaosnli(data_home=None, *, subset="snli", download_if_missing=True):
    """Load one ChaosNLI subset: NLI items with 100 new human labels each.

    The subset's jsonl file is looked up in ``data_home``,
    ``data_home/chaosnli`` and the unzipped layout
    ``data_home/chaosnli/chaosNLI_v1.0`` (and ``data_home/chaosNLI_v1.0``).
    When missing, the official ``chaosNLI_v1.0.zip`` is downloaded, its three
    jsonl files are extracted into ``data_home/chaosnli`` and each is checked
    against its sha256 (a mismatch is refused), then the zip is deleted.
    Present files are only read.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder; default ``SKSOFT_DATA`` or ``~/sksoft_data``
        (:func:`get_data_home`).
    subset : {"snli", "mnli", "alphanli"}, default="snli"
        ChaosNLI-SNLI (1,514 items), ChaosNLI-MNLI (matched, 1,599) or
        ChaosNLI-alphaNLI (1,532).
    download_if_missing : bool, default=True
        Download the archive when a file is missing; if False a missing file
        raises ``OSError``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        data : ndarray of shape (n_samples, 2) or (n_samples, 4), dtype object
            The texts, columns ``feature_names``.
        feature_names : list of str
            ``["premise", "hypothesis"]``, or for alphaNLI
            ``["obs1", "obs2", "hyp1", "hyp2"]``.
        premise, hypothesis : ndarray of shape (n_samples,), dtype object
            SNLI and MNLI only: the columns of ``data``.
        obs1, obs2, hyp1, hyp2 : ndarray of shape (n_samples,), dtype object
            alphaNLI only: the columns of ``data``.
        counts : ndarray of shape (n_samples, n_classes), dtype int64
            New human labels per class (100 per item), in ChaosNLI's order.
        soft_target : ndarray of shape (n_samples, n_classes)
            ``counts`` normalised per row.
        target : ndarray of shape (n_samples,), dtype int64
            Gold: the original data set label (``old_label``), as an index
            into ``classes``.
        majority : ndarray of shape (n_samples,), dtype int64
            The published new majority (``majority_label``).
        classes : list
            Label codes of the files: ``["e", "n", "c"]`` or ``[1, 2]``.
        target_names : ndarray of shape (n_classes,)
            ``["entailment", "neutral", "contradiction"]`` or
            ``["hyp1", "hyp2"]``.
        old_counts : ndarray of shape (n_samples, 3), dtype int64, or None
            SNLI/MNLI: the original annotators' labels per class (rows sum to
            5, or 4 for seven SNLI items); None for alphaNLI.
        n_old_annotations : ndarray of shape (n_samples,) or None
            Row sums of ``old_counts``.
        n_annotations : ndarray of shape (n_samples,), dtype int64
            New labels per item (100).
        ids : ndarray of shape (n_samples,), dtype object
            The items' ``uid`` (the SNLI/MNLI ``pairID``, the alphaNLI story
            id with the hypothesis pair).
        subset : str
            The ``subset`` loaded.
        soft_labels : str
            ``"human"``.
        licence, citation, source_url : str
            Licence (CC BY-NC 4.0), citation and public home of the data.
        DESCR : str
            Full description: class order, gold, majority and every quirk.

    Raises
    ------
    OSError
        When a file is missing and cannot be downloaded (offline) or
        ``download_if_missing=False``, when a checksum differs, or when a
        record is malformed.

    See Also
    --------
    fetch_vader_sentiment : Short texts with 15 to 99 human ratings each.
    fetch_cifar10h : Images with human soft labels.

    Examples
    --------
    >>> from sksoft.datasets import fetch_chaosnli
    >>> snli = fetch_chaosnli(subset="snli")  # doctest: +SKIP
    >>> snli.data.shape, snli.counts.shape, snli.classes  # doctest: +SKIP
    ((1514, 2), (1514, 3), ['e', 'n', 'c'])
    >>> float((snli.counts.argmax(axis=1) != snli.target).mean())  # doctest: +SKIP
    0.249...
    """
    home = get_data_home(data_home)
    remote = CHAOSNLI_FILES[subset]
    others = [r for name, r in CHAOSNLI_FILES.items() if name != subset]
    paths = fetch_from_archive(
        CHAOSNLI_ZIP,
        [remote],
        home,
        "chaosnli",
        download_if_missing,
        extra=("chaosnli/chaosNLI_v1.0", "chaosNLI_v1.0"),
        also=others,
    )
    ids, texts, counts, target, majority, old_counts = _read_jsonl(
        paths[remote.filename], subset
    )
    kind = "alphanli" if subset == "alphanli" else "nli"
    codes, names = _CLASSES[kind]
    fields = list(_FIELDS[kind])
    n_annotations = counts.sum(axis=1)
    bunch = Bunch(
        data=texts,
        feature_names=fields,
        counts=counts,
        soft_target=counts / n_annotations[:, None],
        target=target,
        majority=majority,
        classes=list(codes),
        target_names=np.array(names),
        old_counts=old_counts,
        n_old_annotations=None if old_counts is None else old_counts.sum(axis=1),
        n_annotations=n_annotations,
        ids=ids,
        subset=subset,
        soft_labels="human",
        licence=CHAOSNLI_LICENCE,
        citation=CHAOSNLI_CITATION,
        source_url=CHAOSNLI_SOURCE,
        DESCR=DESCR,
    )
    for j, field in enumerate(fields):
        bunch[field] = texts[:, j]
    return bunch
