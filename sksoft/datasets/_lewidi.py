"""Le-Wi-Di: the Learning With Disagreements shared-task data, with annotator ids."""

import json
import os
import re

import numpy as np
from sklearn.utils import Bunch

from ..sources import annotations_to_counts
from ..utils._sklearn_compat import StrOptions, validate_params
from ._base import RemoteFile, _download, _locate, get_data_home

__all__ = ["fetch_lewidi"]

LEWIDI_REPO = "Le-Wi-Di/le-wi-di.github.io"
LEWIDI_COMMIT = "45d7b06"
LEWIDI_SOURCE = f"https://github.com/{LEWIDI_REPO}"
SPLITS = ("train", "dev", "test")

# name -> (folder in the repository, task, label kind, classes, text fields)
_SETS = {
    "MD-Agreement": (
        "LeWiDi_2-2023/MD-Agreement_dataset",
        "offensiveness detection (English tweets)",
        "binary",
        None,
    ),
    "HS-Brexit": (
        "LeWiDi_2-2023/HS-Brexit_dataset",
        "hate speech detection (English tweets on Brexit)",
        "binary",
        None,
    ),
    "ConvAbuse": (
        "LeWiDi_2-2023/ConvAbuse_dataset",
        "abuse detection in user-agent dialogues (English)",
        "binary",
        ("prev_agent", "prev_user", "agent", "user"),
    ),
    "ArMIS": (
        "LeWiDi_2-2023/ArMIS_dataset",
        "misogyny and sexism detection (Arabic tweets)",
        "binary",
        None,
    ),
    "Paraphrase": (
        "LeWiDi_3-2025/Paraphrase",
        "paraphrase judgement of question pairs, 11-point scale -5..5 (English)",
        "ordinal",
        ("Question1", "Question2"),
    ),
    "VariErrNLI": (
        "LeWiDi_3-2025/VariErrNLI",
        "natural language inference, several labels per annotator (English)",
        "multilabel",
        ("context", "statement"),
    ),
}
LEWIDI_NAMES = tuple(_SETS)
_ALIASES = {name.lower(): name for name in _SETS}

# sha256 of the files at commit 45d7b06 (the shared read-only copy).
_SHA256 = {
    "ArMIS_dev.json": (
        "482112222496c64a704ea22f710bf184196beee848f5109406e3ca6196502526"
    ),
    "ArMIS_test.json": (
        "95498bb854fe476ee33a88cfecb3b05f26e0e1baef6c1083072a56b61586c06a"
    ),
    "ArMIS_train.json": (
        "549dcd92484fa916e4b8076476fba451cda09b8dca0ba501e70cf5a72c1397f7"
    ),
    "ConvAbuse_dev.json": (
        "d95f9e740b07076e070ed47a8e010894d7cdbacb3246c89a000c26a17c61a04e"
    ),
    "ConvAbuse_test.json": (
        "4a88c6cf2530eb3610bd1e9e7291916ad7fdaedc01dca4e68bcc3e846310afd9"
    ),
    "ConvAbuse_train.json": (
        "f68d9c1e234afaf7e582103daac4e0f362da6418be3ff38e6cce76cfa3b674fc"
    ),
    "HS-Brexit_dev.json": (
        "77c17f95985cbb6db47ffcda637e717a9074f2660e15b5c0c1f9006f50da60a7"
    ),
    "HS-Brexit_test.json": (
        "24e5e1615818ff6e3b96e50245cfe10636ef8ec0ea51f2c2a60acb68858fd195"
    ),
    "HS-Brexit_train.json": (
        "d204d83c7b1a73f037b3aff36aac61357c08a96f96292a37ac7655eb562d81fb"
    ),
    "MD-Agreement_dev.json": (
        "b42b6b54015589504de259241e14c17ff605baab4eb146effcb17a95fbfd69f5"
    ),
    "MD-Agreement_test.json": (
        "a30f185ece8bc99a45ce50e0311593ee1a6882a816c93f6915cabd368f3fad53"
    ),
    "MD-Agreement_train.json": (
        "0b100595f7d10fd9b4624c647af2888597472b2dea90643dc788278714f57a6d"
    ),
    "Paraphrase_annotators_meta.json": (
        "a5d56635ea516288e26e162cd5599db95b3fa89dad24fee4f6d5a37ec125a0e4"
    ),
    "Paraphrase_dev.json": (
        "821f8b142d63c9ccc38cb801fa6ca4cdcfe5049c8bfb151c7d7d3dd025db8e03"
    ),
    "Paraphrase_test.json": (
        "5c2396b91ae84edcf64b1b529b8ade83b1fa3a78b4b930cbcf613b917875ae1d"
    ),
    "Paraphrase_train.json": (
        "2ec98bad361732dbb568e4acea339edbbd747299fbd716e99812e4f14042bc53"
    ),
    "VariErrNLI_annotators_meta.json": (
        "3cd41a2a8cad537788b5bdf46b2c9dac3731142a6a9704484b60275fa0b2dc66"
    ),
    "VariErrNLI_dev.json": (
        "6d1b5ca80ee4eb79c608de828b386f524cacddc608d0396464c71d728b369efd"
    ),
    "VariErrNLI_test.json": (
        "872fa56f32a999fd46954cae144528ea7445186cf35ca473fabf6d3eeb43340a"
    ),
    "VariErrNLI_train.json": (
        "466a507dec72eb118d528e52aa5a905cb23a4e5acaf7af02062938ea958d1a0d"
    ),
}

_CONVABUSE_LEVELS = np.arange(-3, 2)
_PARAPHRASE_LEVELS = np.arange(-5, 6)
_NLI_LABELS = ("contradiction", "entailment", "neutral")

_CITATIONS = {
    "MD-Agreement": "E. Leonardelli, S. Menini, A. Palmero Aprosio, M. Guerini and "
    'S. Tonelli, "Agreeing to Disagree: Annotating Offensive Language Datasets '
    "with Annotators' Disagreement\", EMNLP 2021.",
    "HS-Brexit": 'S. Akhtar, V. Basile and V. Patti, "Whose Opinions Matter? '
    "Perspective-aware Models to Identify Opinions of Hate Speech Victims in "
    'Abusive Language Detection", arXiv:2106.15896, 2021.',
    "ConvAbuse": 'A. Cercas Curry, G. Abercrombie and V. Rieser, "ConvAbuse: '
    "Data, Analysis, and Benchmarks for Nuanced Abuse Detection in "
    'Conversational AI", EMNLP 2021.',
    "ArMIS": 'D. Almanea and M. Poesio, "ArMIS - The Arabic Misogyny and Sexism '
    'Corpus with Annotator Subjective Disagreements", LREC 2022.',
    "Paraphrase": "The Le-Wi-Di 2025 Paraphrase set (question pairs), shared task "
    "of the 4th Workshop on Perspectivist Approaches to NLP (NLPerspectives 2025).",
    "VariErrNLI": "L. Weber-Genzel, S. Peng, M.-C. de Marneffe and B. Plank, "
    '"VariErr NLI: Separating Annotation Error from Human Label Variation", '
    "ACL 2024.",
}
_TASK_CITATION = (
    "E. Leonardelli, A. Uma, G. Abercrombie, D. Almanea, V. Basile, T. Fornaciari, "
    'B. Plank, V. Rieser and M. Poesio, "SemEval-2023 Task 11: Learning With '
    'Disagreements (LeWiDi)", SemEval 2023.'
)

LEWIDI_LICENCE = (
    "NOT STATED: the repository Le-Wi-Di/le-wi-di.github.io states no licence; "
    "each data set keeps its authors' terms. Use it for research and tests; "
    "sksoft downloads it and never bundles it"
)

DESCR = """\
Le-Wi-Di: Learning With Disagreements (HUMAN labels with annotator ids)
-----------------------------------------------------------------------

The data of the Learning With Disagreements shared tasks (SemEval-2023 Task 11,
"Le-Wi-Di 2", and the 2025 edition), from the task's repository
Le-Wi-Di/le-wi-di.github.io at commit 45d7b06, in its official train / dev /
test splits. Every item keeps its individual annotations and the annotators'
ids, so per-annotator ("perspectivist") models can be trained.

**Soft labels: HUMAN** (the real individual annotations, not simulated).

======================  ========================  ==================  ======  ========
name                    labels; annotators        train / dev / test  labels  disagree
======================  ========================  ==================  ======  ========
MD-Agreement            offensive, binary; 819    6,592/1,104/3,057   5       57.8%
HS-Brexit               hate speech, binary; 6    784 / 168 / 168     6       30.8%
ConvAbuse               abuse severity -3..1; 8   2,398 / 812 / 840   2-8     13.8%
ArMIS                   misogyny, binary; 3       657 / 141 / 145     3       34.6%
Paraphrase              ordinal -5..5; 4          400 / 50 / 50       4
VariErrNLI              NLI, multi-label; 4       388 / 50 / 50       1-6
======================  ========================  ==================  ======  ========

(labels: labels per item; disagree: share of all items whose binary
annotations are not unanimous. Per split the figures differ slightly, and the
test split's are those some summaries quote: HS-Brexit
30.7 / 31.0 / 31.0%, ConvAbuse 13.6 / 14.5 / 13.5%, ArMIS 34.1 / 34.8 / 36.6%.)

What the loader returns, and how:

- ``counts`` come from the per-annotator table (``annotations``, one row per
  item, annotator and label) through :func:`sksoft.sources.annotations_to_counts`;
  ``soft_target`` is ``counts`` over the number of annotations (exact), not
  the published ``soft_label``, which is rounded to two or three decimals in
  HS-Brexit, ConvAbuse, ArMIS and VariErrNLI (off by up to 0.005; kept as
  ``published_soft_target``).
- Binary sets: classes ``[0, 1]``. ``target`` is the published ``hard_label``
  (the majority); on ties (84 HS-Brexit and 135 ConvAbuse items) the task
  drew it at random. On MD-Agreement and ArMIS there are no ties and
  ``hard_label`` is the majority on every item: no independent gold.
- ConvAbuse: the annotations are abuse severities -3..1 (-3..-1 abusive);
  ``severity_counts`` counts them per level (``severity_levels``) and
  ``counts`` collapses them to [not abusive (0..1), abusive (-3..-1)], as the
  task's ``soft_label`` does. The annotation table keeps the severities.
  ``text`` is a JSON string of the four turns; it is parsed into the columns
  ``prev_agent, prev_user, agent, user`` (``raw_text`` keeps the string).
- Paraphrase: ordinal classes -5..5 (11 columns); no ``hard_label`` is
  published, so ``target`` is None.
- VariErrNLI: an annotator may give several of contradiction, entailment,
  neutral; ``counts[i, k]`` is the number of annotators who gave label ``k``
  and ``soft_target[i, k]`` its share of the item's annotators (the task's
  per-label binary distribution ``soft_label[k]["1"]``): rows do not sum to 1.
  ``target`` is None.
- Annotator metadata (``annotator_metadata``, columns as a dict of arrays,
  ``pandas.DataFrame(...)``-ready): the 2025 ``*_annotators_meta.json``
  (gender, age, nationality, education); HS-Brexit's groups (target / control
  group) and ArMIS's (e.g. ``Moderate_Female``) from ``other_info``; None for
  MD-Agreement and ConvAbuse.

Quirks handled:

- The two 2025 ``*_annotators_meta.json`` files have trailing commas (a
  strict JSON parser refuses them): they are removed before parsing.
- ``hard_label`` is a string (``"0"``), except on 106 ConvAbuse items where
  it is an integer: both are read.
- Item ids restart in every split (dev and test ids repeat train ids), so
  ``ids`` is unique only within a split; the annotation table's ``item`` is
  the row index into the returned arrays.
- MD-Agreement test item 2038 lists annotator Ann448 twice (both labels 0);
  the task counts both (5 labels), so do ``counts``; ``n_duplicates`` says how
  many such repeated (item, annotator) rows there are.
- ConvAbuse has 1,050 items with only 2 annotations (its readme says min 3).

:Source: https://github.com/Le-Wi-Di/le-wi-di.github.io at commit 45d7b06, the
    files ``LeWiDi_2-2023/<Name>_dataset/<Name>_{train,dev,test}.json`` and
    ``LeWiDi_3-2025/<Name>/...`` (each checked against its sha256).
:Licence: NOT STATED. The repository states no licence; each data set keeps
    its authors' terms. Use it for research and tests; sksoft downloads it and
    never bundles it.
:Citation: the task (Leonardelli et al., SemEval 2023) and the data set's own
    paper (``citation``).
"""


def _remote(folder, filename):
    path = f"{folder}/{filename}"
    return RemoteFile(
        filename=filename,
        urls=(
            f"https://raw.githubusercontent.com/{LEWIDI_REPO}/{LEWIDI_COMMIT}/{path}",
            f"https://github.com/{LEWIDI_REPO}/raw/{LEWIDI_COMMIT}/{path}",
        ),
        sha256=_SHA256[filename],
    )


def _fetch(remote, home, folder, download_if_missing):
    subdir = f"lewidi/{folder}"
    extra = (folder, folder.split("/", 1)[1])
    path = _locate(remote, home, subdir, extra)
    if path is not None:
        return path
    if not download_if_missing:
        searched = ", ".join(
            str(p) for p in [home, home / subdir] + [home / e for e in extra]
        )
        raise OSError(
            f"{remote.filename} was not found in {searched} and "
            f"download_if_missing=False. Download it from {remote.urls[0]} or "
            "call again with download_if_missing=True."
        )
    return _download(remote, home / subdir)


def _read_json(path, lenient=False):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if lenient:  # trailing commas before } or ] (the 2025 metadata files)
        text = re.sub(r",(\s*[}\]])", r"\1", text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OSError(f"{path}: not valid JSON ({exc}).") from None


def _split_list(value, path, item):
    if not isinstance(value, str) or not value.strip():
        raise OSError(f"{path}, item {item!r}: expected a comma-separated string.")
    return [v.strip() for v in value.split(",")]


def _read_2023(name, record, path, key, fields):
    """(texts, raw text, annotators, labels, hard label, published p) of one item."""
    annotators = _split_list(record["annotators"], path, key)
    labels = [int(v) for v in _split_list(record["annotations"], path, key)]
    if len(labels) != len(annotators) or len(labels) != record["number of annotations"]:
        raise OSError(
            f"{path}, item {key!r}: {len(labels)} annotations, "
            f"{len(annotators)} annotators, 'number of annotations' "
            f"{record['number of annotations']}."
        )
    levels = _CONVABUSE_LEVELS if fields else (0, 1)
    if any(v not in levels for v in labels):
        raise OSError(f"{path}, item {key!r}: annotation outside {list(levels)}.")
    raw = record["text"]
    if fields:  # ConvAbuse: the text is a JSON string of the turns
        turns = json.loads(raw)
        texts = [turns[f] for f in fields]
    else:
        texts = [raw]
    if not all(isinstance(t, str) for t in texts):
        raise OSError(f"{path}, item {key!r}: a text is not a string.")
    hard = int(record["hard_label"])  # "0" (str) or, in ConvAbuse, sometimes 0
    sl = record["soft_label"]
    return texts, raw, annotators, labels, hard, [float(sl["0"]), float(sl["1"])]


def _read_2025(name, record, path, key, fields):
    texts = [record["text"][f] for f in fields]
    if not all(isinstance(t, str) for t in texts):
        raise OSError(f"{path}, item {key!r}: a text is not a string.")
    annotations = record["annotations"]
    annotators, labels = [], []
    for ann, value in annotations.items():
        for label in _split_list(value, path, key):
            annotators.append(ann)
            labels.append(int(label) if name == "Paraphrase" else label)
    if len(annotations) != record["number of annotators"]:
        raise OSError(f"{path}, item {key!r}: 'number of annotators' differs.")
    if len(labels) != record["number of annotations"]:
        raise OSError(f"{path}, item {key!r}: 'number of annotations' differs.")
    sl = record["soft_label"]
    if name == "Paraphrase":
        published = [float(sl[str(v)]) for v in _PARAPHRASE_LEVELS]
    else:
        published = [float(sl[label]["1"]) for label in _NLI_LABELS]
    return texts, None, annotators, labels, None, published


def _metadata_2023(name, other_info, table_annotator, item_annotators):
    """Annotator groups from other_info (HS-Brexit, ArMIS), as columns."""
    groups = {}
    if name == "ArMIS":
        for info in other_info:
            for ann, group in info.items():
                groups.setdefault(ann, set()).add(group)
    elif name == "HS-Brexit":
        for info, anns in zip(other_info, item_annotators):
            names = _split_list(info["annotators group"], "HS-Brexit", "other_info")
            for ann, g in zip(anns, names):
                groups.setdefault(ann, set()).add(info.get(g, g))
    else:
        return None
    annotators = sorted(groups, key=lambda a: (len(a), a))
    if any(len(groups[a]) != 1 for a in annotators):
        raise OSError(f"{name}: an annotator is in several groups.")
    return {
        "annotator": np.array(annotators, dtype=object),
        "group": np.array([groups[a].pop() for a in annotators], dtype=object),
    }


def _metadata_2025(meta):
    annotators = sorted(meta, key=lambda a: (len(a), a))
    columns = sorted({c for a in annotators for c in meta[a]})
    out = {"annotator": np.array(annotators, dtype=object)}
    for c in columns:
        out[c.lower()] = np.array([meta[a].get(c) for a in annotators], dtype=object)
    return out


@validate_params(
    {
        "data_home": [None, str, os.PathLike],
        "name": [StrOptions(set(_SETS) | set(_ALIASES))],
        "download_if_missing": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_lewidi(data_home=None, *, name="MD-Agreement", download_if_missing=True):
    """Load one Le-Wi-Di data set: texts, splits, human labels and annotator ids.

    The files of the set (train, dev and test, and for the 2025 sets the
    annotator metadata) are looked up in ``data_home``,
    ``data_home/lewidi/<folder>`` and ``data_home/<folder>``, where
    ``<folder>`` is the repository path (``LeWiDi_2-2023/MD-Agreement_dataset``,
    ``LeWiDi_3-2025/Paraphrase``...), so a copy of the repository, of its
    ``lewidi/`` layout or of one data set's folder all work. A missing file is
    downloaded from the task's repository at commit 45d7b06 into
    ``data_home/lewidi/<folder>`` and checked against its sha256. Present
    files are only read.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder; default ``SKSOFT_DATA`` or ``~/sksoft_data``
        (:func:`get_data_home`).
    name : str, default="MD-Agreement"
        ``"MD-Agreement"``, ``"HS-Brexit"``, ``"ConvAbuse"``, ``"ArMIS"``
        (2023, binary), ``"Paraphrase"`` (2025, ordinal -5..5) or
        ``"VariErrNLI"`` (2025, multi-label NLI); lower case also accepted
        (``"md-agreement"``).
    download_if_missing : bool, default=True
        Download missing files; if False a missing file raises ``OSError``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        data : ndarray of shape (n_samples,) or (n_samples, n_fields), dtype object
            The texts: 1-D for the tweet sets; 2-D with columns
            ``feature_names`` for ConvAbuse (four turns), Paraphrase
            (two questions) and VariErrNLI (context, statement).
        feature_names : list of str
            ``["text"]`` or the column names of ``data``.
        raw_text : ndarray of shape (n_samples,) or None
            ConvAbuse: the published JSON string of the turns; else None.
        split : ndarray of shape (n_samples,), dtype object
            The official split of each row: ``"train"``, ``"dev"``, ``"test"``
            (rows in that order).
        ids : ndarray of shape (n_samples,), dtype object
            Published item ids (unique within a split only).
        counts : ndarray of shape (n_samples, n_classes), dtype int64
            Human labels per class, from ``annotations``.
        soft_target : ndarray of shape (n_samples, n_classes)
            ``counts / n_annotators[:, None]`` (VariErrNLI: per-label shares,
            rows need not sum to 1).
        published_soft_target : ndarray of shape (n_samples, n_classes)
            The published ``soft_label`` (rounded in some sets).
        target : ndarray of shape (n_samples,), dtype int64, or None
            Binary sets: the published ``hard_label`` (majority); None for
            Paraphrase and VariErrNLI.
        classes : ndarray of shape (n_classes,)
            ``[0, 1]``, ``-5..5`` (Paraphrase) or the NLI label names.
        target_names : ndarray of shape (n_classes,)
            Class names.
        label_kind : str
            ``"binary"``, ``"ordinal"`` or ``"multilabel"``.
        n_annotators : ndarray of shape (n_samples,), dtype int64
            Annotators of each item.
        n_annotations : ndarray of shape (n_samples,), dtype int64
            Labels given to each item (more than ``n_annotators`` only in
            VariErrNLI).
        annotations : :class:`~sklearn.utils.Bunch`
            The long annotation table: ``item`` (row index into ``data``),
            ``annotator`` (id such as ``"Ann423"``, shared across the items of
            one set), ``label`` (as published: 0/1, a ConvAbuse severity -3..1,
            a Paraphrase score -5..5 or an NLI label name); arrays of equal
            length. ``pandas.DataFrame(dict(annotations))`` makes a frame.
        n_duplicates : int
            Table rows repeating an (item, annotator) pair with one label each
            (1 in MD-Agreement); VariErrNLI's several labels per annotator are
            not counted here.
        annotator_metadata : dict of ndarray or None
            Per annotator: ``annotator`` and ``group`` (HS-Brexit, ArMIS) or
            ``gender``, ``age``, ``nationality``, ``education`` (2025 sets);
            None for MD-Agreement and ConvAbuse.
        severity_counts, severity_levels : ndarray or None
            ConvAbuse: annotations per severity -3..1 and those levels.
        other_info : ndarray of shape (n_samples,), dtype object
            The published ``other_info`` dicts (domain, explanations, other
            annotations...).
        lang : str
            ``"en"`` or ``"ar"`` (ArMIS).
        name, task, edition : str
            The set, its task and ``"2023"`` or ``"2025"``.
        soft_labels : str
            ``"human"``.
        licence, citation, source_url : str
            Licence (NOT STATED by the repository), citations and the public
            home.
        DESCR : str
            Full description: sizes, how counts and gold are built, quirks.

    Raises
    ------
    OSError
        When a file is missing and cannot be downloaded (offline) or
        ``download_if_missing=False``, when a checksum differs, or when a
        record is malformed.

    See Also
    --------
    sksoft.sources.annotations_to_counts : The annotation table -> counts.
    fetch_chaosnli : NLI pairs with 100 human labels each.

    Examples
    --------
    >>> from sksoft.datasets import fetch_lewidi
    >>> md = fetch_lewidi(name="MD-Agreement")  # doctest: +SKIP
    >>> md.data.shape, md.counts.shape  # doctest: +SKIP
    ((10753,), (10753, 2))
    >>> [int((md.split == s).sum()) for s in ("train", "dev", "test")]  # doctest: +SKIP
    [6592, 1104, 3057]
    """
    name = _ALIASES.get(name, name)
    folder, task, kind, fields = _SETS[name]
    edition = "2023" if folder.startswith("LeWiDi_2") else "2025"
    home = get_data_home(data_home)
    paths = {
        split: _fetch(
            _remote(folder, f"{name}_{split}.json"), home, folder, download_if_missing
        )
        for split in SPLITS
    }
    meta = None
    if edition == "2025":
        meta_path = _fetch(
            _remote(folder, f"{name}_annotators_meta.json"),
            home,
            folder,
            download_if_missing,
        )
        meta = _read_json(meta_path, lenient=True)

    reader = _read_2023 if edition == "2023" else _read_2025
    text_fields = list(fields) if fields else ["text"]
    items = _read_items(name, paths, reader, fields)
    texts, raw_texts, splits, ids = items.texts, items.raw, items.splits, items.ids
    hard, published, other = items.hard, items.published, items.other
    item_annotators, langs = items.annotators, items.langs
    t_item, t_ann, t_label = items.t_item, items.t_ann, items.t_label
    n = len(ids)
    t_item = np.asarray(t_item, dtype=np.int64)
    t_ann = np.asarray(t_ann, dtype=object)
    t_label = np.asarray(t_label, dtype=np.int64 if name != "VariErrNLI" else object)
    n_annotators = np.array([len(set(a)) for a in item_annotators], dtype=np.int64)
    n_labels = np.bincount(t_item, minlength=n).astype(np.int64)

    result, severity_counts, severity_levels = _label_counts(
        name, kind, t_item, t_ann, t_label, n
    )
    counts = result.counts
    if name == "VariErrNLI":
        n_duplicates = 0
        denominator = n_annotators  # per-label share of the item's annotators
    else:
        n_duplicates = result.n_duplicates
        denominator = result.n_annotations
    classes = np.asarray(result.classes)
    target_names = _TARGET_NAMES.get(name, [str(c) for c in classes])

    if edition == "2023":
        metadata = _metadata_2023(name, other, t_ann, item_annotators)
        target = np.asarray(hard, dtype=np.int64)
    else:
        metadata = _metadata_2025(meta)
        target = None
    if len(langs) != 1:
        raise OSError(f"{name}: the items give several languages {sorted(langs)}.")
    data = np.empty((n, len(text_fields)), dtype=object)
    for i, row in enumerate(texts):
        data[i] = row
    bunch = Bunch(
        data=data[:, 0] if fields is None else data,
        feature_names=text_fields,
        raw_text=np.array(raw_texts, dtype=object) if name == "ConvAbuse" else None,
        split=np.array(splits, dtype=object),
        ids=np.array(ids, dtype=object),
        counts=counts,
        soft_target=counts / denominator[:, None],
        published_soft_target=np.asarray(published, dtype=float),
        target=target,
        classes=classes,
        target_names=np.array(target_names),
        label_kind=kind,
        n_annotators=n_annotators,
        n_annotations=n_labels,
        annotations=Bunch(item=t_item, annotator=t_ann, label=t_label),
        n_duplicates=int(n_duplicates),
        annotator_metadata=metadata,
        severity_counts=severity_counts,
        severity_levels=severity_levels,
        other_info=np.array(other + [None], dtype=object)[:-1],
        lang=langs.pop(),
        name=name,
        task=task,
        edition=edition,
        soft_labels="human",
        licence=LEWIDI_LICENCE,
        citation=_CITATIONS[name] + " Task: " + _TASK_CITATION,
        source_url=f"{LEWIDI_SOURCE}/tree/{LEWIDI_COMMIT}/{folder}",
        DESCR=DESCR,
    )
    if fields is not None:
        for j, field in enumerate(text_fields):
            bunch[field] = data[:, j]
    return bunch


#: the class names of the binary sets (the others name theirs by value)
_TARGET_NAMES = {
    "MD-Agreement": ["not offensive", "offensive"],
    "HS-Brexit": ["not hate speech", "hate speech"],
    "ConvAbuse": ["not abusive", "abusive"],
    "ArMIS": ["not misogynistic", "misogynistic"],
}


def _read_items(name, paths, reader, fields):
    """Every item of the split files, in split and file order.

    A :class:`~sklearn.utils.Bunch` of lists: per item ``texts``, ``raw``,
    ``splits``, ``ids``, ``hard``, ``published``, ``other``, ``annotators``;
    the annotation table ``t_item``, ``t_ann``, ``t_label`` (one entry per
    label); ``langs``, the set of the items' languages. A malformed record is
    an ``OSError`` naming its file and item.
    """
    texts, raw_texts, splits, ids, hard, published, other = [], [], [], [], [], [], []
    t_item, t_ann, t_label, item_annotators, langs = [], [], [], [], set()
    for split in SPLITS:
        path = paths[split]
        records = _read_json(path)
        if not isinstance(records, dict) or not records:
            raise OSError(f"{path}: expected a non-empty JSON object of items.")
        for key, record in records.items():
            try:
                if record.get("split") != split:
                    raise ValueError(f"split {record.get('split')!r} in {split} file")
                row = reader(name, record, path, key, fields)
            except (KeyError, ValueError, TypeError, AttributeError) as exc:
                raise OSError(
                    f"{path}, item {key!r}: malformed Le-Wi-Di record ({exc!r})."
                ) from None
            item_texts, raw, annotators, labels, hard_label, pub = row
            i = len(ids)
            texts.append(item_texts)
            raw_texts.append(raw)
            splits.append(split)
            ids.append(str(key))
            hard.append(hard_label)
            published.append(pub)
            other.append(record.get("other_info"))
            langs.add(str(record.get("lang")))
            item_annotators.append(annotators)
            t_item += [i] * len(labels)
            t_ann += annotators
            t_label += labels
    return Bunch(
        texts=texts,
        raw=raw_texts,
        splits=splits,
        ids=ids,
        hard=hard,
        published=published,
        other=other,
        annotators=item_annotators,
        langs=langs,
        t_item=t_item,
        t_ann=t_ann,
        t_label=t_label,
    )


def _label_counts(name, kind, t_item, t_ann, t_label, n):
    """``(result, severity_counts, severity_levels)`` of the annotation table.

    ``result``: :func:`~sksoft.sources.annotations_to_counts` on the set's
    classes (ConvAbuse: abusive = a severity below 0, its five severity
    levels counted apart; the others ``None``).
    """
    severity_counts = severity_levels = None
    if name == "ConvAbuse":
        severity_levels = _CONVABUSE_LEVELS.copy()
        severity_counts = annotations_to_counts(
            item=t_item,
            annotator=t_ann,
            label=t_label,
            classes=severity_levels,
            items=np.arange(n),
            duplicates="count",
        ).counts
        result = annotations_to_counts(
            item=t_item,
            annotator=t_ann,
            label=(t_label < 0).astype(np.int64),
            classes=[0, 1],
            items=np.arange(n),
            duplicates="count",
        )
    else:
        classes = {
            "binary": [0, 1],
            "ordinal": _PARAPHRASE_LEVELS,
            "multilabel": list(_NLI_LABELS),
        }[kind]
        result = annotations_to_counts(
            item=t_item,
            annotator=t_ann,
            label=t_label,
            classes=classes,
            items=np.arange(n),
            duplicates="count",
        )
    return result, severity_counts, severity_levels
