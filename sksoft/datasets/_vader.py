"""The VADER sentiment corpora: short texts with 15 to 99 raw human ratings each."""

import html
import json
import numbers
import os
import tarfile

import numpy as np
from sklearn.utils import Bunch

from ..utils._sklearn_compat import Interval, StrOptions, validate_params
from ._base import RemoteFile, fetch_file, get_data_home

__all__ = ["fetch_vader_sentiment"]

VADER_URL = (
    "https://raw.githubusercontent.com/cjhutto/vaderSentiment/master/"
    "additional_resources/hutto_ICWSM_2014.tar.gz"
)
VADER_SOURCE = "https://github.com/cjhutto/vaderSentiment"
VADER_ARCHIVE = RemoteFile(
    filename="hutto_ICWSM_2014.tar.gz",
    urls=(VADER_URL,),
    sha256="d5bb07d87474b3eb8d30b4deccbc23f19d742a6c5718fbacc65485b70b95c5fa",
)

VADER_CORPORA = (
    "tweets",
    "nytEditorialSnippets",
    "movieReviewSnippets",
    "amazonReviewSnippets",
)
RATING_LEVELS = np.arange(-4, 5)
VADER_CLASSES = np.array(["negative", "neutral", "positive"])

VADER_LICENCE = (
    "MIT (the vaderSentiment package, which distributes the corpora); whether "
    "the texts themselves may be redistributed is not stated, so sksoft "
    "downloads them and never bundles them"
)
VADER_CITATION = (
    'C. J. Hutto and E. Gilbert, "VADER: A Parsimonious Rule-based Model for '
    'Sentiment Analysis of Social Media Text", Eighth International AAAI '
    "Conference on Weblogs and Social Media (ICWSM-14), 2014."
)

DESCR = """\
VADER sentiment corpora (HUMAN ratings)
---------------------------------------

The four sentence-level corpora of Hutto & Gilbert (ICWSM 2014): 4,200 tweets
(and tweet-like texts), 5,190 New York Times editorial snippets, 10,605
movie-review snippets (from Pang & Lee's reviews) and 3,708 Amazon
product-review snippets (from Hu & Liu), 23,703 texts in all. Every text was
rated by 15 to 99 independent raters on a 9-point scale from -4 (extremely
negative) to +4 (extremely positive).

**Soft labels: HUMAN** (the raw per-rater ratings, not simulated).

What the loader returns, and how:

- ``rating_counts``: the raw ratings of ``<corpus>_anonDataRatings.txt``
  counted per level -4..+4 (the primary data).
- ``counts`` / ``soft_target``: those ratings collapsed to three classes
  (negative, neutral, positive): a rating ``r`` is *neutral* when
  ``|r| <= neutral_band``, *negative* when ``r < -neutral_band`` and
  *positive* when ``r > neutral_band`` (default ``neutral_band=0``: only 0 is
  neutral).
- ``target`` (gold): the corpus's own published ground truth, the mean rating
  of ``<corpus>_GroundTruth.txt`` (``published_mean``), put through the same
  rule on the continuous scale: positive when ``mean >= neutral_band + 0.5``,
  negative when ``mean <= -(neutral_band + 0.5)``, neutral otherwise (the mean
  rounded to the nearest rating level, halves away from zero, then collapsed
  like a rating).
- Quirk, 199 tweets: their published mean differs from the mean of their raw
  ratings (by 0.003 to 1.13; never in sign; all have 92 to 99 ratings). The
  raw ratings stay the primary data (``counts``, ``mean_rating``); gold stays
  the *published* mean, as for every other item, and ``gold_mean_mismatch``
  marks these items. With ``neutral_band=0`` none of the 199 would change
  gold class if the raw mean were used instead (9 would with
  ``neutral_band=1``).
- Quirk, byte-order mark: the Amazon ratings file starts with a UTF-8 BOM; it
  is removed (otherwise the first id would not match).
- Quirk, HTML entities: 237 texts hold entities such as ``&amp;``, ``&lt;``,
  ``&gt;``, ``&#39;``, and 16 of them are escaped twice (``&amp;amp;``,
  ``&amp;#38;``); :func:`html.unescape` is applied until the text no longer
  changes, so no entity is left.
- Quirk, invalid bytes: each file is decoded as UTF-8; bytes that are not
  valid UTF-8 are replaced by U+FFFD and counted in ``n_invalid_bytes``. The
  eight corpus files of the published tarball decode cleanly (0 such bytes):
  the invalid bytes of the tarball lie in its ``_README_.txt`` and lexicon,
  which the loader does not read.
- Lines end in CR LF; the CR is removed. Items are matched between the two
  files of a corpus by id (the Amazon files list 21 ids in a different order);
  row order is the GroundTruth file's, corpora in the order requested.

:Source: the file ``additional_resources/hutto_ICWSM_2014.tar.gz`` of
    https://github.com/cjhutto/vaderSentiment (checked against its sha256).
:Licence: the vaderSentiment package is MIT-licensed; the texts come from
    Twitter, the New York Times, Rotten Tomatoes reviews (Pang & Lee) and
    Amazon reviews (Hu & Liu), and their redistribution terms are not stated:
    sksoft downloads them, never bundles them. Cite the paper.
:Citation: C. J. Hutto and E. Gilbert, "VADER: A Parsimonious Rule-based Model
    for Sentiment Analysis of Social Media Text", ICWSM-14, 2014.
"""


def _decode(raw):
    """UTF-8 text of ``raw`` without BOM; invalid bytes become U+FFFD (counted)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), 0
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        # each invalid byte (or truncated sequence) is one U+FFFD not in the input
        n_bad = text.count("\ufffd") - raw.count("\ufffd".encode())
        return text, n_bad


def _unescape(text):
    """HTML-unescape until stable: some texts are escaped twice (``&amp;amp;``)."""
    for _ in range(5):
        new = html.unescape(text)
        if new == text:
            break
        text = new
    return text


def _lines(text, path, n_fields):
    rows = []
    for k, line in enumerate(text.split("\n")):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != n_fields:
            raise OSError(
                f"{path}, line {k + 1}: {len(parts)} tab-separated fields, "
                f"expected {n_fields}."
            )
        rows.append(parts)
    return rows


def _read_corpus(tar, members, corpus, archive):
    """Texts, published means, ratings counts, means and ids of one corpus."""
    n_bad = 0
    out = {}
    for kind, n_fields in (("GroundTruth", 3), ("anonDataRatings", 4)):
        name = f"{corpus}_{kind}.txt"
        if name not in members:
            raise OSError(f"{archive} has no member {name!r}; not the VADER tarball.")
        text, bad = _decode(tar.extractfile(members[name]).read())
        n_bad += bad
        out[kind] = _lines(text, f"{archive}:{name}", n_fields)
    ids, published, texts = [], [], []
    for item_id, mean, text in out["GroundTruth"]:
        ids.append(item_id.strip())
        published.append(float(mean))
        texts.append(_unescape(text))
    ratings = {}
    for item_id, _mean, _std, raw in out["anonDataRatings"]:
        values = json.loads(raw)
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, int) and -4 <= v <= 4 for v in values)
        ):
            raise OSError(
                f"{archive}: ratings of {corpus} item {item_id!r} are not a "
                "non-empty list of integers in -4..4."
            )
        ratings[item_id.strip()] = values
    if len(ratings) != len(out["anonDataRatings"]) or set(ratings) != set(ids):
        raise OSError(
            f"{archive}: the GroundTruth and ratings files of {corpus} do not list "
            "the same ids."
        )
    if len(set(ids)) != len(ids):
        raise OSError(f"{archive}: duplicate ids in {corpus}_GroundTruth.txt.")
    rating_counts = np.zeros((len(ids), RATING_LEVELS.size), dtype=np.int64)
    for i, item_id in enumerate(ids):
        rating_counts[i] = np.bincount(
            np.asarray(ratings[item_id]) + 4, minlength=RATING_LEVELS.size
        )
    return ids, texts, np.asarray(published), rating_counts, n_bad


def _collapse(rating_counts, neutral_band):
    """Votes per class (negative, neutral, positive) from counts per level."""
    lo, hi = 4 - neutral_band, 5 + neutral_band  # column of -band, one past +band
    return np.column_stack(
        [
            rating_counts[:, :lo].sum(axis=1),
            rating_counts[:, lo:hi].sum(axis=1),
            rating_counts[:, hi:].sum(axis=1),
        ]
    ).astype(np.int64)


def _gold_from_mean(mean, neutral_band):
    edge = neutral_band + 0.5
    return np.where(mean >= edge, 2, np.where(mean <= -edge, 0, 1)).astype(np.int64)


@validate_params(
    {
        "data_home": [None, str, os.PathLike],
        "corpora": [None, StrOptions(set(VADER_CORPORA)), list, tuple],
        "neutral_band": [Interval(numbers.Integral, 0, 3, closed="both")],
        "download_if_missing": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_vader_sentiment(
    data_home=None, *, corpora=None, neutral_band=0, download_if_missing=True
):
    """Load the VADER sentiment corpora: texts with their raw human ratings.

    23,703 short English texts (tweets, New York Times editorial snippets,
    movie-review and Amazon-review snippets), each rated by 15 to 99 people on
    a 9-point scale -4..+4 (Hutto & Gilbert, ICWSM 2014). The tarball is
    looked up in ``data_home`` and ``data_home/vader``; when missing it is
    downloaded into ``data_home/vader`` from the vaderSentiment GitHub
    repository and checked against its sha256. A present file is only read.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Data folder; default ``SKSOFT_DATA`` or ``~/sksoft_data``
        (:func:`get_data_home`).
    corpora : str or list of str, default=None
        Which corpora to load, in this order: any of ``"tweets"``,
        ``"nytEditorialSnippets"``, ``"movieReviewSnippets"``,
        ``"amazonReviewSnippets"``. None loads all four in that order.
    neutral_band : int in [0, 3], default=0
        Ratings ``r`` with ``|r| <= neutral_band`` count as *neutral*, lower
        ones as *negative*, higher ones as *positive*. The gold label applies
        the same rule to the published mean rating: positive when
        ``mean >= neutral_band + 0.5``, negative when
        ``mean <= -(neutral_band + 0.5)``, neutral otherwise.
    download_if_missing : bool, default=True
        Download the tarball when missing; if False a missing file raises
        ``OSError``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        data : ndarray of shape (n_samples,), dtype object
            The texts (str, HTML entities unescaped).
        target : ndarray of shape (n_samples,), dtype int64
            Gold class (0 negative, 1 neutral, 2 positive) from the published
            mean rating (see ``neutral_band``).
        target_names : ndarray of shape (3,)
            ``["negative", "neutral", "positive"]``.
        counts : ndarray of shape (n_samples, 3), dtype int64
            Human votes per class (the ratings collapsed by ``neutral_band``).
        soft_target : ndarray of shape (n_samples, 3)
            ``counts`` normalised per row.
        rating_counts : ndarray of shape (n_samples, 9), dtype int64
            Raw ratings counted per level, columns ``rating_levels``.
        rating_levels : ndarray of shape (9,)
            The levels -4..+4.
        n_annotations : ndarray of shape (n_samples,), dtype int64
            Raters per text (15 to 99).
        mean_rating : ndarray of shape (n_samples,)
            Mean of the raw ratings.
        published_mean : ndarray of shape (n_samples,)
            The mean rating of the corpus's GroundTruth file (gold's source).
        gold_mean_mismatch : ndarray of shape (n_samples,), dtype bool
            True where ``published_mean`` differs from ``mean_rating`` by more
            than 1e-6 (199 tweets).
        corpus : ndarray of shape (n_samples,), dtype object
            The corpus of each text.
        ids : ndarray of shape (n_samples,), dtype object
            Item ids as published (unique within a corpus, not across).
        corpora : list of str
            The corpora loaded, in row order.
        neutral_band : int
            The ``neutral_band`` used.
        n_invalid_bytes : int
            Invalid UTF-8 sequences replaced by U+FFFD (one per invalid byte
            or truncated sequence; 0 in the published files).
        soft_labels : str
            ``"human"``.
        licence, citation, source_url : str
            Licence, citation and public home of the data.
        DESCR : str
            Full description: the collapse and gold rules and every quirk
            handled.

    Raises
    ------
    OSError
        When the tarball is missing and cannot be downloaded (offline) or
        ``download_if_missing=False``, when its checksum differs, or when its
        files are malformed.

    See Also
    --------
    fetch_chaosnli : Text pairs with 100 human labels each.
    fetch_cifar10h : Images with human soft labels.

    Examples
    --------
    >>> from sksoft.datasets import fetch_vader_sentiment
    >>> vader = fetch_vader_sentiment()  # doctest: +SKIP
    >>> vader.data.shape, vader.counts.shape  # doctest: +SKIP
    ((23703,), (23703, 3))
    >>> int(vader.n_annotations.min()), int(vader.n_annotations.max())  # doctest: +SKIP
    (15, 99)
    """
    if corpora is None:
        corpora = list(VADER_CORPORA)
    elif isinstance(corpora, str):
        corpora = [corpora]
    else:
        corpora = list(corpora)
        unknown = [c for c in corpora if c not in VADER_CORPORA]
        if unknown or not corpora or len(set(corpora)) != len(corpora):
            raise ValueError(
                f"corpora must be a non-empty list of distinct names among "
                f"{list(VADER_CORPORA)}; got {corpora!r}."
            )
    home = get_data_home(data_home)
    archive = fetch_file(VADER_ARCHIVE, home, "vader", download_if_missing)
    ids, texts, published, rating_counts, corpus, n_bad = [], [], [], [], [], 0
    with tarfile.open(archive, "r:gz") as tar:
        members = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
        for name in corpora:
            c_ids, c_texts, c_pub, c_counts, c_bad = _read_corpus(
                tar, members, name, archive
            )
            ids += c_ids
            texts += c_texts
            published.append(c_pub)
            rating_counts.append(c_counts)
            corpus += [name] * len(c_ids)
            n_bad += c_bad
    rating_counts = np.vstack(rating_counts)
    published = np.concatenate(published)
    n_annotations = rating_counts.sum(axis=1)
    mean_rating = rating_counts @ RATING_LEVELS / n_annotations
    counts = _collapse(rating_counts, neutral_band)
    return Bunch(
        data=np.array(texts, dtype=object),
        target=_gold_from_mean(published, neutral_band),
        target_names=VADER_CLASSES.copy(),
        counts=counts,
        soft_target=counts / n_annotations[:, None],
        rating_counts=rating_counts,
        rating_levels=RATING_LEVELS.copy(),
        n_annotations=n_annotations,
        mean_rating=mean_rating,
        published_mean=published,
        gold_mean_mismatch=np.abs(published - mean_rating) > 1e-6,
        corpus=np.array(corpus, dtype=object),
        ids=np.array(ids, dtype=object),
        corpora=corpora,
        neutral_band=int(neutral_band),
        n_invalid_bytes=int(n_bad),
        soft_labels="human",
        licence=VADER_LICENCE,
        citation=VADER_CITATION,
        source_url=VADER_SOURCE,
        DESCR=DESCR,
    )
