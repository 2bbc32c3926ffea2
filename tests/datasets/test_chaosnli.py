"""Tests for sksoft.datasets.fetch_chaosnli on the shared ChaosNLI files.

The loader reads the real jsonl files of the test-data folder; reference
values come from an independent parse of the same lines. The download path
is exercised with a monkeypatched ``urlopen`` serving a zip built here with
the official layout (``chaosNLI_v1.0/*.jsonl`` plus ``__MACOSX`` entries).
"""

import hashlib
import io
import json
import zipfile
from urllib.error import URLError

import numpy as np
import pytest

from sksoft.datasets import _base, _chaosnli, fetch_chaosnli
from sksoft.targets import counts_to_proba

FILES = {
    "snli": "chaosNLI_snli.jsonl",
    "mnli": "chaosNLI_mnli_m.jsonl",
    "alphanli": "chaosNLI_alphanli.jsonl",
}
SIZES = {"snli": 1514, "mnli": 1599, "alphanli": 1532}
# new majority (counts.argmax) vs the original label, as the issue measured
MODE_SHIFT = {"snli": 0.249, "mnli": 0.321, "alphanli": 0.106}


@pytest.fixture(scope="module")
def chaos_dir(data_dir):
    path = data_dir / "chaosnli"
    if not all((path / f).exists() for f in FILES.values()):
        pytest.skip(f"ChaosNLI files not found under {path}")
    return path


def _raw(chaos_dir, subset):
    with open(chaos_dir / FILES[subset], encoding="utf-8") as f:
        return [json.loads(line) for line in f]


class _FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture
def serve(monkeypatch):
    calls = []

    def install(files, fail=False):
        def fake_urlopen(url, timeout=None):
            calls.append(url)
            if fail:
                raise URLError("network is unreachable")
            name = url.rsplit("/", 1)[-1].split("?")[0]
            if name not in files:
                raise URLError(f"404 {name}")
            return _FakeResponse(files[name])

        monkeypatch.setattr(_base, "urlopen", fake_urlopen)
        return calls

    return install


def _zip(chaos_dir, tamper=None, drop=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("__MACOSX/chaosNLI_v1.0/._chaosNLI_snli.jsonl", b"junk")
        zf.writestr("chaosNLI_v1.0/README.txt", (chaos_dir / "README.txt").read_bytes())
        for name in FILES.values():
            if name == drop:
                continue
            raw = (chaos_dir / name).read_bytes()
            if name == tamper:
                raw = raw.replace(b'"label_count": [4,', b'"label_count": [5,', 1)
            zf.writestr(f"chaosNLI_v1.0/{name}", raw)
    return buf.getvalue()


# --------------------------------------------------------------------------
# the real files
# --------------------------------------------------------------------------
@pytest.mark.parametrize("subset", ["snli", "mnli", "alphanli"])
def test_shapes_counts_and_gold(chaos_dir, subset):
    before = sorted(p.name for p in chaos_dir.iterdir())
    b = fetch_chaosnli(data_home=chaos_dir, subset=subset, download_if_missing=False)
    assert sorted(p.name for p in chaos_dir.iterdir()) == before
    rows = _raw(chaos_dir, subset)
    n = SIZES[subset]
    k = 2 if subset == "alphanli" else 3
    assert b.counts.shape == (n, k) and b.counts.dtype == np.int64
    np.testing.assert_array_equal(b.n_annotations, 100)
    np.testing.assert_array_equal(b.counts, [r["label_count"] for r in rows])
    np.testing.assert_allclose(
        b.soft_target, [r["label_dist"] for r in rows], atol=1e-12
    )
    np.testing.assert_allclose(b.soft_target, counts_to_proba(b.counts))
    codes = ["e", "n", "c"] if k == 3 else [1, 2]
    assert b.classes == codes
    # the class order is ChaosNLI's: label_counter keyed by code
    for r, c in zip(rows[:50], b.counts[:50]):
        assert [r["label_counter"].get(str(code), 0) for code in codes] == c.tolist()
    np.testing.assert_array_equal(b.target, [codes.index(r["old_label"]) for r in rows])
    np.testing.assert_array_equal(
        b.majority, [codes.index(r["majority_label"]) for r in rows]
    )
    assert b.ids.tolist() == [r["uid"] for r in rows] and len(set(b.ids)) == n
    # entropy (base 2) of the distribution matches the shipped one
    p = b.soft_target
    h = -(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1)), 0)).sum(axis=1)
    np.testing.assert_allclose(h, [r["entropy"] for r in rows], atol=1e-9)
    assert b.soft_labels == "human" and "HUMAN" in b.DESCR
    assert "CC BY-NC 4.0" in b.licence and "Nie" in b.citation
    assert b.source_url == "https://github.com/easonnie/ChaosNLI"
    assert b.subset == subset


@pytest.mark.parametrize("subset", ["snli", "mnli", "alphanli"])
def test_mode_shift_rates(chaos_dir, subset):
    b = fetch_chaosnli(data_home=chaos_dir, subset=subset)
    shift = b.counts.argmax(axis=1) != b.target
    assert shift.mean() == pytest.approx(MODE_SHIFT[subset], abs=0.0005)
    # the published majority differs from argmax only where the top counts tie
    top = np.sort(b.counts, axis=1)
    tie = top[:, -1] == top[:, -2]
    differs = b.majority != b.counts.argmax(axis=1)
    assert not (differs & ~tie).any()
    assert (b.counts[np.arange(len(b.majority)), b.majority] == top[:, -1]).all()
    expected = {"snli": (14, 3), "mnli": (14, 7), "alphanli": (8, 4)}[subset]
    assert (tie.sum(), differs.sum()) == expected


@pytest.mark.parametrize("subset", ["snli", "mnli"])
def test_texts_and_original_labels(chaos_dir, subset):
    b = fetch_chaosnli(data_home=chaos_dir, subset=subset)
    rows = _raw(chaos_dir, subset)
    assert b.feature_names == ["premise", "hypothesis"]
    assert b.data.shape == (SIZES[subset], 2) and b.data.dtype == object
    assert b.premise.tolist() == [r["example"]["premise"] for r in rows]
    assert b.hypothesis.tolist() == [r["example"]["hypothesis"] for r in rows]
    np.testing.assert_array_equal(b.data[:, 0], b.premise)
    assert b.target_names.tolist() == ["entailment", "neutral", "contradiction"]
    names = ["entailment", "neutral", "contradiction"]
    ref = np.array([[r["old_labels"].count(c) for c in names] for r in rows])
    np.testing.assert_array_equal(b.old_counts, ref)
    np.testing.assert_array_equal(b.n_old_annotations, b.old_counts.sum(axis=1))
    short = b.n_old_annotations == 4
    assert short.sum() == (7 if subset == "snli" else 0)
    assert set(b.n_old_annotations[~short]) == {5}
    # every original label is the choice of exactly three original annotators
    np.testing.assert_array_equal(b.old_counts[np.arange(len(b.target)), b.target], 3)


def test_alphanli_fields(chaos_dir):
    b = fetch_chaosnli(data_home=chaos_dir, subset="alphanli")
    rows = _raw(chaos_dir, "alphanli")
    assert b.feature_names == ["obs1", "obs2", "hyp1", "hyp2"]
    assert b.data.shape == (1532, 4)
    for j, field in enumerate(b.feature_names):
        assert b[field].tolist() == [r["example"][field] for r in rows]
        np.testing.assert_array_equal(b.data[:, j], b[field])
    assert b.old_counts is None and b.n_old_annotations is None
    assert b.target_names.tolist() == ["hyp1", "hyp2"]
    assert "premise" not in b


def test_parent_folder_and_unzipped_layout(chaos_dir, tmp_path):
    b = fetch_chaosnli(data_home=chaos_dir.parent, download_if_missing=False)
    assert b.counts.shape == (1514, 3)
    nested = tmp_path / "chaosnli" / "chaosNLI_v1.0"
    nested.mkdir(parents=True)
    (nested / FILES["mnli"]).symlink_to(chaos_dir / FILES["mnli"])
    m = fetch_chaosnli(data_home=tmp_path, subset="mnli", download_if_missing=False)
    assert m.counts.shape == (1599, 3)


def test_bad_params(tmp_path):
    with pytest.raises(ValueError, match="subset"):
        fetch_chaosnli(data_home=tmp_path, subset="anli")
    with pytest.raises(ValueError, match="download_if_missing"):
        fetch_chaosnli(data_home=tmp_path, download_if_missing="no")


# --------------------------------------------------------------------------
# files: checksum, download, offline
# --------------------------------------------------------------------------
def test_shared_copies_match_the_official_checksums(chaos_dir):
    for subset, name in FILES.items():
        digest = hashlib.sha256((chaos_dir / name).read_bytes()).hexdigest()
        assert digest == _chaosnli.CHAOSNLI_FILES[subset].sha256


def test_corrupt_copy_refused(chaos_dir, tmp_path):
    raw = (chaos_dir / FILES["snli"]).read_bytes().replace(b"[4, 67", b"[5, 66", 1)
    (tmp_path / FILES["snli"]).write_bytes(raw)
    with pytest.raises(OSError, match="checksum differs"):
        fetch_chaosnli(data_home=tmp_path, download_if_missing=False)


def test_download_path(chaos_dir, tmp_path, serve):
    calls = serve({"chaosNLI_v1.0.zip": _zip(chaos_dir)})
    b = fetch_chaosnli(data_home=tmp_path, subset="mnli")
    assert len(calls) == 1
    assert calls[0].startswith("https://www.dropbox.com/s/h4j7dqszmpt2679/")
    folder = tmp_path / "chaosnli"
    # all three files extracted (one download serves every subset), zip deleted
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES.values())
    for name in FILES.values():
        assert (folder / name).read_bytes() == (chaos_dir / name).read_bytes()
    assert b.counts.shape == (1599, 3)
    fetch_chaosnli(data_home=tmp_path, subset="alphanli")
    fetch_chaosnli(data_home=tmp_path, subset="snli")
    assert len(calls) == 1  # cached


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(tamper=FILES["snli"]), "chaosNLI_snli.jsonl: checksum mismatch"),
        (dict(drop=FILES["alphanli"]), "no member 'chaosNLI_alphanli.jsonl'"),
    ],
)
def test_download_with_wrong_contents_refused(
    chaos_dir, tmp_path, serve, kwargs, match
):
    serve({"chaosNLI_v1.0.zip": _zip(chaos_dir, **kwargs)})
    with pytest.raises(OSError, match=match):
        fetch_chaosnli(data_home=tmp_path, subset="mnli")
    assert list((tmp_path / "chaosnli").iterdir()) == []  # nothing kept


def test_download_not_a_zip(tmp_path, serve):
    serve({"chaosNLI_v1.0.zip": b"<html>dropbox page</html>"})
    with pytest.raises(OSError, match="not a zip file"):
        fetch_chaosnli(data_home=tmp_path)
    assert list((tmp_path / "chaosnli").iterdir()) == []


def test_offline_error(tmp_path, serve):
    serve({}, fail=True)
    with pytest.raises(OSError, match="no network access"):
        fetch_chaosnli(data_home=tmp_path, subset="alphanli")
    with pytest.raises(OSError, match="not found in .*download_if_missing=False"):
        fetch_chaosnli(data_home=tmp_path / "none", download_if_missing=False)
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize(
    "line, match",
    [
        ('{"uid": "a"}', "malformed"),
        ("not json", "not JSON"),
    ],
)
def test_malformed_records(tmp_path, monkeypatch, line, match):
    path = tmp_path / FILES["snli"]
    path.write_text(line + "\n", encoding="utf-8")
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    files = dict(_chaosnli.CHAOSNLI_FILES)
    files["snli"] = _base.RemoteFile(FILES["snli"], (), sha256=sha)
    monkeypatch.setattr(_chaosnli, "CHAOSNLI_FILES", files)
    with pytest.raises(OSError, match=match):
        fetch_chaosnli(data_home=tmp_path, download_if_missing=False)
