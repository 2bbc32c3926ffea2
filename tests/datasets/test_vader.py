"""Tests for sksoft.datasets.fetch_vader_sentiment on the shared VADER tarball.

The real tarball of the test-data folder is read through the loader; the
reference values are computed here from the raw bytes with an independent
parse. Downloads are exercised with a monkeypatched ``urlopen``.
"""

import hashlib
import html
import io
import json
import tarfile
from urllib.error import URLError

import numpy as np
import pytest

from sksoft.datasets import _base, _vader, fetch_vader_sentiment
from sksoft.datasets._base import RemoteFile

TARBALL = "hutto_ICWSM_2014.tar.gz"
N_ITEMS = {
    "tweets": 4200,
    "nytEditorialSnippets": 5190,
    "movieReviewSnippets": 10605,
    "amazonReviewSnippets": 3708,
}
RATERS = {
    "tweets": (20, 99),
    "nytEditorialSnippets": (20, 20),
    "movieReviewSnippets": (15, 29),
    "amazonReviewSnippets": (20, 20),
}


@pytest.fixture(scope="module")
def vader_dir(data_dir):
    path = data_dir / "vader"
    if not (path / TARBALL).exists():
        pytest.skip(f"VADER tarball not found under {path}")
    return path


@pytest.fixture(scope="module")
def vader(vader_dir):
    return fetch_vader_sentiment(data_home=vader_dir, download_if_missing=False)


@pytest.fixture(scope="module")
def raw_members(vader_dir):
    """Raw bytes of the corpus files, by basename (independent of the loader)."""
    out = {}
    with tarfile.open(vader_dir / TARBALL) as tar:
        for m in tar.getmembers():
            if m.isfile() and m.name.endswith(".txt"):
                out[m.name.rsplit("/", 1)[-1]] = tar.extractfile(m).read()
    return out


def _reference(raw_members, corpus):
    """Hand parse: {id: (published mean, text)} and {id: ratings list}."""
    gt = raw_members[f"{corpus}_GroundTruth.txt"].decode("utf-8-sig")
    ra = raw_members[f"{corpus}_anonDataRatings.txt"].decode("utf-8-sig")
    truth = {}
    for line in gt.splitlines():
        item, mean, text = line.split("\t")
        truth[item] = (float(mean), text)
    ratings = {
        line.split("\t")[0]: json.loads(line.split("\t")[3]) for line in ra.splitlines()
    }
    return truth, ratings


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
            name = url.rsplit("/", 1)[-1]
            if name not in files:
                raise URLError(f"404 {name}")
            return _FakeResponse(files[name])

        monkeypatch.setattr(_base, "urlopen", fake_urlopen)
        return calls

    return install


# --------------------------------------------------------------------------
# the real corpora
# --------------------------------------------------------------------------
def test_shapes_and_corpora(vader, vader_dir):
    n = 23703
    assert vader.data.shape == (n,) and vader.data.dtype == object
    assert all(isinstance(t, str) and t.strip() for t in vader.data)
    assert vader.counts.shape == (n, 3) and vader.counts.dtype == np.int64
    assert vader.rating_counts.shape == (n, 9)
    np.testing.assert_array_equal(vader.rating_levels, np.arange(-4, 5))
    assert vader.target_names.tolist() == ["negative", "neutral", "positive"]
    assert vader.corpora == list(N_ITEMS)
    for corpus, size in N_ITEMS.items():
        rows = vader.corpus == corpus
        assert rows.sum() == size
        lo, hi = RATERS[corpus]
        assert vader.n_annotations[rows].min() == lo
        assert vader.n_annotations[rows].max() == hi
        assert len(set(vader.ids[rows])) == size  # ids unique within a corpus
    np.testing.assert_array_equal(vader.counts.sum(axis=1), vader.n_annotations)
    np.testing.assert_array_equal(vader.rating_counts.sum(axis=1), vader.n_annotations)
    np.testing.assert_allclose(vader.soft_target.sum(axis=1), 1.0)
    assert vader.soft_labels == "human" and "HUMAN" in vader.DESCR
    assert "MIT" in vader.licence and "Hutto" in vader.citation
    assert vader.source_url == "https://github.com/cjhutto/vaderSentiment"


def test_ratings_match_an_independent_parse(vader, raw_members):
    for corpus in N_ITEMS:
        truth, ratings = _reference(raw_members, corpus)
        rows = np.flatnonzero(vader.corpus == corpus)
        # row order: the GroundTruth file's
        assert vader.ids[rows].tolist() == list(truth)
        for i in rows[:: max(1, rows.size // 300)]:
            r = np.asarray(ratings[vader.ids[i]])
            np.testing.assert_array_equal(
                vader.rating_counts[i], [(r == v).sum() for v in range(-4, 5)]
            )
            np.testing.assert_array_equal(
                vader.counts[i], [(r < 0).sum(), (r == 0).sum(), (r > 0).sum()]
            )
            assert vader.mean_rating[i] == pytest.approx(r.mean(), abs=1e-12)
            assert vader.published_mean[i] == truth[vader.ids[i]][0]


def test_byte_order_mark_removed(vader, raw_members):
    raw = raw_members["amazonReviewSnippets_anonDataRatings.txt"]
    assert raw.startswith(b"\xef\xbb\xbf")
    first = raw[3:].split(b"\t", 1)[0].decode()
    amazon = vader.corpus == "amazonReviewSnippets"
    assert first == "1_1" and "1_1" in set(vader.ids[amazon])
    assert not any(i.startswith("\ufeff") for i in vader.ids)
    # the first line's ratings are those of item 1_1
    ratings = json.loads(raw[3:].split(b"\r\n", 1)[0].split(b"\t")[3])
    i = np.flatnonzero(amazon & (vader.ids == "1_1"))[0]
    assert vader.n_annotations[i] == len(ratings) == 20
    assert vader.mean_rating[i] == pytest.approx(np.mean(ratings))


def test_html_entities_unescaped(vader, raw_members):
    truth, _ = _reference(raw_members, "tweets")
    assert "&amp;" in truth["3"][1]
    i = np.flatnonzero((vader.corpus == "tweets") & (vader.ids == "3"))[0]
    assert vader.data[i] == html.unescape(truth["3"][1].rstrip("\r"))
    assert "17 deep last night & the love" in vader.data[i]
    # no entity survives, including the texts escaped twice
    assert not any("&amp;" in t or "&#" in t or "&lt;" in t for t in vader.data)
    nyt = np.flatnonzero(
        (vader.corpus == "nytEditorialSnippets") & (vader.ids == "416_2")
    )
    assert "&amp;amp;" in raw_members["nytEditorialSnippets_GroundTruth.txt"].decode()
    assert vader.data[nyt[0]].startswith("A.T.&T. handled")
    assert not any(t.endswith("\r") for t in vader.data)


def test_no_invalid_bytes_in_corpus_files(vader, raw_members):
    # the corpus files decode as strict UTF-8; the README does not
    for corpus in N_ITEMS:
        for kind in ("GroundTruth", "anonDataRatings"):
            raw_members[f"{corpus}_{kind}.txt"].decode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        raw_members["_README_.txt"].decode("utf-8")
    assert vader.n_invalid_bytes == 0
    assert not any("\ufffd" in t for t in vader.data)


def test_gold_rule_and_the_199_mismatched_tweets(vader):
    m = vader.published_mean
    expected = np.where(m >= 0.5, 2, np.where(m <= -0.5, 0, 1))
    np.testing.assert_array_equal(vader.target, expected)
    mismatch = vader.gold_mean_mismatch
    assert mismatch.sum() == 199
    assert set(vader.corpus[mismatch]) == {"tweets"}
    diff = np.abs(vader.published_mean - vader.mean_rating)
    assert diff[mismatch].min() > 1e-3 and diff[mismatch].max() < 1.2
    assert diff[~mismatch].max() < 1e-6
    assert (np.sign(vader.published_mean) == np.sign(vader.mean_rating))[mismatch].all()
    assert vader.n_annotations[mismatch].min() >= 92
    # with neutral_band=0 the raw mean would give the same gold for all 199
    raw_gold = np.where(
        vader.mean_rating >= 0.5, 2, np.where(vader.mean_rating <= -0.5, 0, 1)
    )
    assert (raw_gold == vader.target)[mismatch].all()
    # items with a published mean of exactly +-0.5 go to the polar class
    half = np.isclose(np.abs(m), 0.5)
    assert half.sum() > 0
    assert set(vader.target[half & (m > 0)]) == {2}
    assert set(vader.target[half & (m < 0)]) == {0}


def test_ambiguity_and_mode_shift_rates(vader):
    share = vader.counts.max(axis=1) / vader.n_annotations
    assert (share < 0.6).mean() == pytest.approx(0.111, abs=0.001)
    majority = vader.counts.argmax(axis=1)
    assert 0.03 < (majority != vader.target).mean() < 0.1


def test_neutral_band(vader_dir, vader):
    wide = fetch_vader_sentiment(data_home=vader_dir, neutral_band=1)
    rc = vader.rating_counts
    np.testing.assert_array_equal(
        wide.counts,
        np.column_stack([rc[:, :3].sum(1), rc[:, 3:6].sum(1), rc[:, 6:].sum(1)]),
    )
    m = wide.published_mean
    np.testing.assert_array_equal(
        wide.target, np.where(m >= 1.5, 2, np.where(m <= -1.5, 0, 1))
    )
    assert (
        wide.neutral_band == 1 and (wide.target == 1).sum() > (vader.target == 1).sum()
    )
    np.testing.assert_array_equal(wide.rating_counts, vader.rating_counts)


def test_corpora_selection_and_order(vader_dir, vader):
    sub = fetch_vader_sentiment(
        data_home=vader_dir, corpora=["amazonReviewSnippets", "tweets"]
    )
    assert sub.data.shape == (3708 + 4200,)
    assert sub.corpus[0] == "amazonReviewSnippets" and sub.corpus[-1] == "tweets"
    tw = fetch_vader_sentiment(data_home=vader_dir, corpora="tweets")
    np.testing.assert_array_equal(tw.counts, vader.counts[vader.corpus == "tweets"])
    np.testing.assert_array_equal(tw.data, sub.data[3708:])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(corpora="imdb"), "corpora"),
        (dict(corpora=["tweets", "imdb"]), "corpora"),
        (dict(corpora=["tweets", "tweets"]), "corpora"),
        (dict(corpora=[]), "corpora"),
        (dict(neutral_band=4), "neutral_band"),
        (dict(neutral_band=-1), "neutral_band"),
        (dict(neutral_band=0.5), "neutral_band"),
    ],
)
def test_bad_params(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        fetch_vader_sentiment(data_home=tmp_path, download_if_missing=False, **kwargs)


# --------------------------------------------------------------------------
# files: checksum, download, offline
# --------------------------------------------------------------------------
def test_corrupt_copy_refused(vader_dir, tmp_path):
    raw = bytearray((vader_dir / TARBALL).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (tmp_path / TARBALL).write_bytes(bytes(raw))
    with pytest.raises(OSError, match="checksum differs"):
        fetch_vader_sentiment(data_home=tmp_path, download_if_missing=False)


def test_download_path(vader_dir, tmp_path, serve):
    calls = serve({TARBALL: (vader_dir / TARBALL).read_bytes()})
    v = fetch_vader_sentiment(data_home=tmp_path, corpora="nytEditorialSnippets")
    assert calls == [_vader.VADER_URL]
    assert calls[0].startswith(
        "https://raw.githubusercontent.com/cjhutto/vaderSentiment/"
    )
    assert calls[0].endswith("/additional_resources/hutto_ICWSM_2014.tar.gz")
    assert (tmp_path / "vader" / TARBALL).exists()
    assert v.data.shape == (5190,)
    fetch_vader_sentiment(data_home=tmp_path, corpora="tweets")  # cached
    assert len(calls) == 1
    # a tampered download is refused and not kept
    serve({TARBALL: b"not a tarball"})
    with pytest.raises(OSError, match="wrong checksum"):
        fetch_vader_sentiment(data_home=tmp_path / "fresh")
    assert list((tmp_path / "fresh" / "vader").iterdir()) == []


def test_offline_error(tmp_path, serve):
    serve({}, fail=True)
    with pytest.raises(OSError, match="no network access"):
        fetch_vader_sentiment(data_home=tmp_path)
    with pytest.raises(OSError, match="not found in .*download_if_missing=False"):
        fetch_vader_sentiment(data_home=tmp_path / "none", download_if_missing=False)
    assert not (tmp_path / "none").exists()


# --------------------------------------------------------------------------
# quirks on a stand-in tarball
# --------------------------------------------------------------------------
def _standin(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, raw in files.items():
            info = tarfile.TarInfo(f"hutto_ICWSM_2014/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _use_standin(monkeypatch, tmp_path, files):
    sha = _standin(tmp_path / TARBALL, files)
    monkeypatch.setattr(
        _vader, "VADER_ARCHIVE", RemoteFile(TARBALL, ("https://invalid/",), sha256=sha)
    )


def test_invalid_bytes_replaced_and_counted(tmp_path, monkeypatch):
    gt = b"1\t2.0\tcaf\xe9 &amp;amp; cr\xe8me\r\n2\t-1.0\tbad\r\n"
    ra = b"\xef\xbb\xbf1\t2.0\t0\t[2, 2]\r\n2\t-1.0\t0\t[-1, -1]"
    _use_standin(
        monkeypatch,
        tmp_path,
        {"tweets_GroundTruth.txt": gt, "tweets_anonDataRatings.txt": ra},
    )
    v = fetch_vader_sentiment(data_home=tmp_path, corpora="tweets")
    assert v.n_invalid_bytes == 2
    assert v.data.tolist() == ["caf\ufffd & cr\ufffdme", "bad"]
    np.testing.assert_array_equal(v.target, [2, 0])
    np.testing.assert_array_equal(v.counts, [[0, 0, 2], [2, 0, 0]])


@pytest.mark.parametrize(
    "ra, match",
    [
        (b"1\t2.0\t0\t[2, 2]\r\n3\t-1.0\t0\t[-1]", "same ids"),
        (b"1\t2.0\t0\t[2, 9]\r\n2\t-1.0\t0\t[-1]", "integers in -4..4"),
        (b"1\t2.0\t0\t[]\r\n2\t-1.0\t0\t[-1]", "integers in -4..4"),
        (b"1\t2.0\t[2, 2]\r\n2\t-1.0\t0\t[-1]", "fields"),
    ],
)
def test_malformed_files(tmp_path, monkeypatch, ra, match):
    gt = b"1\t2.0\tgood\r\n2\t-1.0\tbad"
    _use_standin(
        monkeypatch,
        tmp_path,
        {"tweets_GroundTruth.txt": gt, "tweets_anonDataRatings.txt": ra},
    )
    with pytest.raises(OSError, match=match):
        fetch_vader_sentiment(data_home=tmp_path, corpora="tweets")
    with pytest.raises(OSError, match="no member"):
        fetch_vader_sentiment(data_home=tmp_path, corpora="nytEditorialSnippets")
