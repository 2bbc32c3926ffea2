"""Tests for sksoft.datasets.fetch_lewidi on the shared copy of the Le-Wi-Di files.

The loader reads the real files of the test-data folder; the reference values
are computed here with an independent parse of the JSON (and the figures of
the data folder's README). Downloads are exercised with a monkeypatched
``urlopen``; nothing touches the network.
"""

import hashlib
import io
import json
import re
import shutil
from urllib.error import URLError

import numpy as np
import pytest

from sksoft.datasets import _base, _lewidi, fetch_lewidi
from sksoft.sources import annotations_to_counts

SIZES = {
    "MD-Agreement": (6592, 1104, 3057),
    "HS-Brexit": (784, 168, 168),
    "ConvAbuse": (2398, 812, 840),
    "ArMIS": (657, 141, 145),
    "Paraphrase": (400, 50, 50),
    "VariErrNLI": (388, 50, 50),
}
FOLDERS = {name: spec[0] for name, spec in _lewidi._SETS.items()}


@pytest.fixture(scope="module")
def lewidi_home(data_dir):
    path = data_dir / "lewidi"
    if not (path / FOLDERS["MD-Agreement"] / "MD-Agreement_train.json").exists():
        pytest.skip(f"Le-Wi-Di files not found under {path}")
    return data_dir


_CACHE = {}


def load(home, name):
    if name not in _CACHE:
        _CACHE[name] = fetch_lewidi(home, name=name, download_if_missing=False)
    return _CACHE[name]


def raw_records(home, name):
    """Independent parse: the records of train, dev, test, in file order."""
    out = []
    for split in ("train", "dev", "test"):
        with open(home / "lewidi" / FOLDERS[name] / f"{name}_{split}.json") as f:
            out += [(split, k, r) for k, r in json.load(f).items()]
    return out


@pytest.mark.parametrize("name", list(SIZES))
def test_sizes_and_splits(lewidi_home, name):
    b = load(lewidi_home, name)
    sizes = tuple(int((b.split == s).sum()) for s in ("train", "dev", "test"))
    assert sizes == SIZES[name]
    n = sum(SIZES[name])
    assert len(b.ids) == n and b.counts.shape[0] == n and len(b.data) == n
    # rows are train, then dev, then test
    assert list(b.split) == sorted(b.split, key=["train", "dev", "test"].index)
    assert b.soft_labels == "human" and "NOT STATED" in b.licence
    assert "NOT STATED" in b.DESCR and "45d7b06" in b.source_url


def test_md_agreement(lewidi_home):
    b = load(lewidi_home, "MD-Agreement")
    assert b.data.shape == (10753,) and b.feature_names == ["text"]
    assert (b.n_annotations == 5).all()  # always 5 crowd labels
    disagreement = (b.counts.min(axis=1) > 0).mean()
    assert round(float(disagreement), 3) == 0.578
    # hard_label is the majority of the five on every item: no independent gold
    np.testing.assert_array_equal(b.target, b.counts.argmax(axis=1))
    assert len(set(b.annotations.annotator)) == 819  # >800 crowd annotators
    assert b.annotator_metadata is None


@pytest.mark.parametrize("name", ["MD-Agreement", "HS-Brexit", "ConvAbuse", "ArMIS"])
def test_binary_sets_against_raw(lewidi_home, name):
    b = load(lewidi_home, name)
    records = raw_records(lewidi_home, name)
    abusive = (lambda v: v < 0) if name == "ConvAbuse" else (lambda v: v == 1)
    for i, (split, key, r) in enumerate(records):
        labels = [int(x) for x in r["annotations"].split(",")]
        ones = sum(abusive(v) for v in labels)
        assert b.counts[i].tolist() == [len(labels) - ones, ones]
        assert b.ids[i] == key and b.split[i] == split
        assert b.target[i] == int(r["hard_label"])
    np.testing.assert_allclose(b.soft_target.sum(axis=1), 1.0)
    # the published soft labels are rounded (to 0.01 or 0.001), not exact
    np.testing.assert_allclose(b.soft_target, b.published_soft_target, atol=0.0051)
    assert b.target.dtype == np.int64
    # where counts are not tied, the published hard label is the majority
    untied = b.counts[:, 0] != b.counts[:, 1]
    np.testing.assert_array_equal(b.target[untied], b.counts[untied].argmax(axis=1))


@pytest.mark.parametrize(
    "name, share, ties",
    [("HS-Brexit", 0.308, 84), ("ConvAbuse", 0.138, 135), ("ArMIS", 0.346, 0)],
)
def test_disagreement_and_ties(lewidi_home, name, share, ties):
    b = load(lewidi_home, name)
    assert round(float((b.counts.min(axis=1) > 0).mean()), 3) == share
    assert int((b.counts[:, 0] == b.counts[:, 1]).sum()) == ties
    # the README's figures are the test split's shares
    test = b.split == "test"
    readme = {"HS-Brexit": 0.310, "ConvAbuse": 0.135, "ArMIS": 0.366}[name]
    assert round(float((b.counts[test].min(axis=1) > 0).mean()), 3) == readme


def test_annotation_table_gives_counts(lewidi_home):
    b = load(lewidi_home, "HS-Brexit")
    t = b.annotations
    assert len(t.item) == len(t.annotator) == len(t.label) == 6 * 1120
    again = annotations_to_counts(
        item=t.item, annotator=t.annotator, label=t.label, classes=[0, 1]
    )
    np.testing.assert_array_equal(again.counts, b.counts)
    # the first item's rows, by hand from the raw record
    r = raw_records(lewidi_home, "HS-Brexit")[0][2]
    rows = t.item == 0
    assert list(t.annotator[rows]) == r["annotators"].split(",")
    assert list(t.label[rows]) == [int(x) for x in r["annotations"].split(",")]
    meta = b.annotator_metadata
    assert list(meta["annotator"]) == [f"Ann{k}" for k in range(1, 7)]
    assert list(meta["group"]) == ["target group"] * 3 + ["control group"] * 3


def test_md_agreement_repeated_annotator(lewidi_home):
    b = load(lewidi_home, "MD-Agreement")
    assert b.n_duplicates == 1
    (i,) = np.flatnonzero((b.split == "test") & (b.ids == "2038"))
    rows = b.annotations.item == i
    assert list(b.annotations.annotator[rows]).count("Ann448") == 2
    assert b.n_annotators[i] == 4 and b.n_annotations[i] == 5
    assert b.counts[i].tolist() == [4, 1]  # both of Ann448's labels count


def test_convabuse_quirks(lewidi_home):
    b = load(lewidi_home, "ConvAbuse")
    records = raw_records(lewidi_home, "ConvAbuse")
    assert b.feature_names == ["prev_agent", "prev_user", "agent", "user"]
    assert b.data.shape == (4050, 4)
    # text is a JSON string of the turns; raw_text keeps it
    split, key, r = records[0]
    assert b.raw_text[0] == r["text"] and isinstance(r["text"], str)
    assert list(b.data[0]) == [json.loads(r["text"])[f] for f in b.feature_names]
    np.testing.assert_array_equal(b.user, b.data[:, 3])
    # severities -3..1 kept in the table and counted per level
    assert set(np.unique(b.annotations.label)) <= {-3, -2, -1, 0, 1}
    assert list(b.severity_levels) == [-3, -2, -1, 0, 1]
    np.testing.assert_array_equal(b.severity_counts[:, :3].sum(axis=1), b.counts[:, 1])
    np.testing.assert_array_equal(b.severity_counts[:, 3:].sum(axis=1), b.counts[:, 0])
    # hard_label: a string, except on 106 items where it is an integer
    kinds = [type(rec["hard_label"]) for _, _, rec in records]
    assert kinds.count(int) == 106 and kinds.count(str) == 4050 - 106
    assert int(b.n_annotations.min()) == 2 and int(b.n_annotations.max()) == 8
    assert len(set(b.annotations.annotator)) == 8


def test_armis(lewidi_home):
    b = load(lewidi_home, "ArMIS")
    assert b.lang == "ar" and (b.n_annotations == 3).all()
    meta = dict(zip(b.annotator_metadata["annotator"], b.annotator_metadata["group"]))
    assert meta == {
        "Ann1": "Moderate_Female",
        "Ann2": "Liberal_Female",
        "Ann3": "Conservative_Male",
    }


def test_paraphrase(lewidi_home):
    b = load(lewidi_home, "Paraphrase")
    assert b.label_kind == "ordinal" and b.target is None
    assert list(b.classes) == list(range(-5, 6)) and b.counts.shape == (500, 11)
    assert b.feature_names == ["Question1", "Question2"]
    split, key, r = raw_records(lewidi_home, "Paraphrase")[0]
    assert b.Question1[0] == r["text"]["Question1"]
    scores = [int(v) for v in r["annotations"].values()]
    assert b.counts[0].tolist() == [scores.count(v) for v in range(-5, 6)]
    np.testing.assert_allclose(b.soft_target, b.published_soft_target, atol=1e-12)
    assert (b.n_annotations == 4).all()


def test_variernli_multilabel(lewidi_home):
    b = load(lewidi_home, "VariErrNLI")
    assert b.label_kind == "multilabel" and b.target is None
    assert list(b.classes) == ["contradiction", "entailment", "neutral"]
    for i, (_, _, r) in enumerate(raw_records(lewidi_home, "VariErrNLI")):
        given = {a: v.split(",") for a, v in r["annotations"].items()}
        want = [sum(c in v for v in given.values()) for c in b.classes]
        assert b.counts[i].tolist() == want
        assert b.n_annotators[i] == len(given)
        assert b.n_annotations[i] == r["number of annotations"]
    np.testing.assert_allclose(b.soft_target, b.counts / b.n_annotators[:, None])
    np.testing.assert_allclose(b.soft_target, b.published_soft_target, atol=0.0051)
    assert (b.soft_target.sum(axis=1) > 1).any()  # several labels: not a distribution


@pytest.mark.parametrize("name", ["Paraphrase", "VariErrNLI"])
def test_metadata_trailing_commas(lewidi_home, name):
    path = lewidi_home / "lewidi" / FOLDERS[name] / f"{name}_annotators_meta.json"
    text = path.read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)  # the quirk: a strict parser refuses the file
    strict = json.loads(re.sub(r",(\s*})", r"\1", text))
    meta = load(lewidi_home, name).annotator_metadata
    assert list(meta["annotator"]) == sorted(strict)
    for k, ann in enumerate(meta["annotator"]):
        assert meta["gender"][k] == strict[ann]["Gender"]
        assert meta["age"][k] == strict[ann]["Age"]
        assert meta["nationality"][k] == strict[ann]["Nationality"]
        assert meta["education"][k] == strict[ann]["Education"]


def test_checksums_match_the_shared_copy(lewidi_home):
    for name, folder in FOLDERS.items():
        for path in (lewidi_home / "lewidi" / folder).glob("*.json"):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert _lewidi._SHA256[path.name] == digest


def test_layouts_and_aliases(lewidi_home, tmp_path):
    # a folder holding one set's files directly, and the lewidi/ folder itself
    folder = lewidi_home / "lewidi" / FOLDERS["ArMIS"]
    direct = fetch_lewidi(folder, name="armis", download_if_missing=False)
    via_lewidi = fetch_lewidi(
        lewidi_home / "lewidi", name="ArMIS", download_if_missing=False
    )
    np.testing.assert_array_equal(direct.counts, via_lewidi.counts)
    assert direct.name == "ArMIS"


def test_offline_error(tmp_path):
    with pytest.raises(OSError, match="download_if_missing=False"):
        fetch_lewidi(tmp_path, name="ArMIS", download_if_missing=False)


def test_no_network_error(tmp_path, monkeypatch):
    def offline(url, timeout=None):
        raise URLError("no network")

    monkeypatch.setattr(_base, "urlopen", offline)
    with pytest.raises(OSError, match="no network access"):
        fetch_lewidi(tmp_path, name="ArMIS")
    assert not list(tmp_path.rglob("*.json"))


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_download_checks_sha256(lewidi_home, tmp_path, monkeypatch):
    folder = lewidi_home / "lewidi" / FOLDERS["ArMIS"]
    seen = []

    def fake(url, timeout=None):
        seen.append(url)
        return _FakeResponse((folder / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(_base, "urlopen", fake)
    b = fetch_lewidi(tmp_path, name="ArMIS")
    assert len(b.ids) == 943 and len(seen) == 3
    assert all(
        u.startswith(
            "https://raw.githubusercontent.com/Le-Wi-Di/le-wi-di.github.io/"
            "45d7b06/LeWiDi_2-2023/ArMIS_dataset/"
        )
        for u in seen
    )
    assert (tmp_path / "lewidi" / FOLDERS["ArMIS"] / "ArMIS_dev.json").is_file()

    # a corrupted download is refused and leaves nothing behind
    other = tmp_path / "other"
    monkeypatch.setattr(
        _base, "urlopen", lambda url, timeout=None: _FakeResponse(b"{}")
    )
    with pytest.raises(OSError, match="wrong checksum"):
        fetch_lewidi(other, name="ArMIS")
    assert not list(other.rglob("*.json"))


def test_corrupt_local_copy(lewidi_home, tmp_path):
    folder = lewidi_home / "lewidi" / FOLDERS["ArMIS"]
    for f in folder.glob("*.json"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "ArMIS_dev.json").write_text("{}")
    with pytest.raises(OSError, match="checksum differs"):
        fetch_lewidi(tmp_path, name="ArMIS", download_if_missing=False)


@pytest.mark.parametrize(
    "kwargs", [{"name": "MD_Agreement"}, {"name": "CSC"}, {"download_if_missing": 1}]
)
def test_bad_parameters(kwargs, tmp_path):
    with pytest.raises(ValueError):
        fetch_lewidi(tmp_path, **kwargs)
