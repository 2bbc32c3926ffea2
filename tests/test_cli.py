"""Tests of the ``sksoft audit`` command (sksoft.cli, python -m sksoft)."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sksoft.cli import ProgressBar, main

TINY = ["--seeds", "2", "--epochs", "2", "--max-samples", "200", "--n-jobs", "1"]


@pytest.fixture(autouse=True)
def _run_in_empty_dir(tmp_path_factory, monkeypatch):
    """Run every test from an empty folder: the default --out is relative."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _assert_one_line_error(code, err, match):
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "error" in lines[0] and match in lines[0], lines[0]


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.fixture
def user_data(tmp_path):
    """A small user data set: 2-D features, gold labels and vote counts."""
    rng = np.random.default_rng(0)
    n, k = 120, 3
    gold = np.arange(n) % k
    X = rng.normal(size=(n, 4)) + gold[:, None]
    p = np.full((n, k), 0.1)
    p[np.arange(n), gold] = 0.8
    counts = np.stack([rng.multinomial(5, row) for row in p])
    return X, gold, counts


# ---------------------------------------------------------------- end to end


def test_python_m_sksoft_audit_end_to_end(tmp_path):
    out = tmp_path / "report"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sksoft",
            "audit",
            "--arms",
            "gold,human_soft,smoothed",
            *TINY,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "6/6 runs" in proc.stderr and "left" in proc.stderr  # progress bar
    expected = {
        "report.md",
        "results.csv",
        "effects.csv",
        "runs.jsonl",
        "command.json",
        "reliability_gold.png",
        "reliability_human_soft.png",
        "reliability_smoothed.png",
        "data_maps.png",
        "metric_spread.png",
        "training_curves.png",
    }
    assert {p.name for p in out.iterdir()} == expected
    assert _leftovers(tmp_path) == []
    for name in expected:
        if name.endswith(".png"):
            from matplotlib.image import imread

            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            img = imread(out / name)
            assert img.shape[0] > 200 and img.shape[1] > 300
    md = (out / "report.md").read_text()
    assert md.startswith("# Soft-label audit: ambiguous-digits")
    assert "simulated" in md and "mode-shift rate" in md
    assert "200 of 1500" in md  # the subsample is stated
    with open(out / "results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["arm"], r["seed"]) for r in rows] == [
        (a, s) for a in ("gold", "human_soft", "smoothed") for s in ("0", "1")
    ]
    lines = (out / "runs.jsonl").read_text().splitlines()

    def no_nan(token):
        raise AssertionError(f"runs.jsonl is not strict JSON: {token}")

    for line in lines:  # strict JSON: nan is written as null
        json.loads(line, parse_constant=no_nan)
    header = json.loads(lines[0])
    assert header["type"] == "audit" and len(lines) == 1 + 6
    assert header["provenance"]["labels"].startswith("simulated")
    run = json.loads(lines[1])
    assert np.array(run["proba"]).shape == (len(header["test_index"]), 10)
    command = json.loads((out / "command.json").read_text())
    assert command["argv"][:2] == ["sksoft", "audit"]
    assert command["settings"]["arms"] == ["gold", "human_soft", "smoothed"]
    assert command["settings"]["seeds"] == [0, 1]
    assert command["settings"]["epochs"] == 2
    assert set(command["versions"]) >= {"sksoft", "torch", "scikit-learn"}


def test_user_npz_and_csv(tmp_path, user_data, capsys):
    X, gold, counts = user_data
    npz = tmp_path / "mine.npz"
    np.savez(npz, data=X, target=gold, counts=counts)
    code, _, err = _run(
        [
            "audit",
            "--dataset",
            str(npz),
            "--arms",
            "gold,human_mode,human_soft",
            *TINY,
            "--out",
            str(tmp_path / "a"),
            "--quiet",
        ],
        capsys,
    )
    assert code == 0, err
    header = json.loads((tmp_path / "a" / "runs.jsonl").read_text().splitlines()[0])
    assert header["provenance"]["dataset"] == "mine.npz"
    assert header["arms"] == ["gold", "human_mode", "human_soft"]
    np.testing.assert_allclose(header["human"], counts / counts.sum(1, keepdims=True))

    names = ["cat", "dog", "emu"]
    path = tmp_path / "mine.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["f1", "f2", "f3", "f4", "target", *[f"count_{c}" for c in names]])
        for x, g, c in zip(X, gold, counts):
            w.writerow([*x, names[g], *c])
    code, _, err = _run(
        [
            "audit",
            "--dataset",
            str(path),
            "--arms",
            "gold,human_soft",
            *TINY,
            "--out",
            str(tmp_path / "b"),
            "--quiet",
            "--no-figures",
        ],
        capsys,
    )
    assert code == 0, err
    header = json.loads((tmp_path / "b" / "runs.jsonl").read_text().splitlines()[0])
    assert header["classes"] == names
    assert np.array_equal(header["gold"], gold)
    assert not list((tmp_path / "b").glob("*.png"))


def test_user_data_without_gold_runs_the_human_arms(tmp_path, user_data, capsys):
    X, _, counts = user_data
    npz = tmp_path / "nogold.npz"
    np.savez(npz, data=X, soft_target=counts / counts.sum(1, keepdims=True))
    code, _, err = _run(
        [
            "audit",
            "--dataset",
            str(npz),
            "--arms",
            "human_mode,human_soft",
            *TINY,
            "--out",
            str(tmp_path / "r"),
            "--quiet",
            "--no-figures",
        ],
        capsys,
    )
    assert code == 0, err
    md = (tmp_path / "r" / "report.md").read_text()
    assert "arm - `human_mode`" in md


def test_overwrite(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "old.txt").write_text("old")
    argv = [
        "audit",
        "--arms",
        "gold,human_soft",
        *TINY,
        "--out",
        str(out),
        "--quiet",
        "--no-figures",
    ]
    code, _, err = _run(argv, capsys)
    _assert_one_line_error(code, err, "exists and is not empty")
    assert (out / "old.txt").exists()
    code, _, err = _run([*argv, "--overwrite"], capsys)
    assert code == 0, err
    assert not (out / "old.txt").exists() and (out / "report.md").exists()
    assert _leftovers(tmp_path) == []


def test_failure_while_writing_leaves_nothing(tmp_path, capsys, monkeypatch):
    from sksoft.audit import AuditResult

    def broken(self, path, *, figures=True):
        (path / "report.md").write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditResult, "write_report", broken)
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="disk full"):
        main(
            ["audit", "--arms", "gold,human_soft", *TINY, "--out", str(out), "--quiet"]
        )
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "args, match",
    [
        (["--arms", "gold,bogus"], "unknown arm 'bogus'"),
        (["--arms", "gold"], "at least one arm besides gold"),
        (["--arms", "gold,gold"], "lists an arm twice"),
        (["--seeds", "0"], "--seeds must be at least 1"),
        (["--seeds", "a,b"], "--seeds must be a count"),
        (["--epochs", "0"], "--epochs must be at least 1"),
        (["--hard-fraction", "1.5"], "--hard-fraction must be in (0, 1)"),
        (["--test-size", "0"], "--test-size must be in (0, 1)"),
        (["--n-jobs", "0"], "--n-jobs must not be 0"),
        (["--cv", "1"], "--cv must be at least 2"),
        (["--dataset", "nosuchset"], "is neither one of"),
        (["--epochs", "x"], "invalid int value"),
        (["--bogus-flag"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_exit_2_one_line(tmp_path, capsys, args, match):
    out = tmp_path / "r"
    code, stdout, err = _run(["audit", *args, "--out", str(out)], capsys)
    _assert_one_line_error(code, err, match)
    assert not out.exists()
    assert stdout == ""


def _write_npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def test_bad_data_exit_2_one_line(tmp_path, user_data, capsys):
    X, gold, counts = user_data
    cases = [
        (dict(target=gold, counts=counts), "no 'data' key"),
        (dict(data=X, target=gold), "no human labels"),
        (
            dict(data=X, target=gold, counts=counts, soft_target=counts / 5.0),
            "both 'counts' and 'soft_target'",
        ),
        (
            dict(data=X, target=gold, counts=counts, classes=np.arange(4)),
            "K mismatch: 4 classes but 3 human-label columns",
        ),
        (
            dict(data=X, target=np.where(gold == 2, 3, gold), counts=counts),
            "K mismatch: gold label 3",
        ),
        (dict(data=X[:-1], target=gold, counts=counts), "119 feature rows but 120"),
        (dict(data=X, target=gold, counts=-counts), "negative"),
        (dict(data=X, counts=counts), "arm 'gold' needs gold labels"),
    ]
    for i, (arrays, match) in enumerate(cases):
        path = _write_npz(tmp_path / f"bad{i}.npz", **arrays)
        out = tmp_path / f"r{i}"
        code, _, err = _run(
            ["audit", "--dataset", path, *TINY, "--out", str(out)], capsys
        )
        _assert_one_line_error(code, err, match)
        assert not out.exists()

    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("f1,target,count_a,count_b\n1.0,a,3,2\nxx,b,1,4\n")
    code, _, err = _run(
        ["audit", "--dataset", str(bad_csv), *TINY, "--out", str(tmp_path / "c")],
        capsys,
    )
    _assert_one_line_error(code, err, "feature column 'f1' row 3 is not a number")
    no_labels = tmp_path / "nolabels.csv"
    no_labels.write_text("f1,target\n1.0,a\n2.0,b\n")
    code, _, err = _run(
        ["audit", "--dataset", str(no_labels), "--out", str(tmp_path / "d")], capsys
    )
    _assert_one_line_error(code, err, "no human-label columns")
    wrong = tmp_path / "data.txt"
    wrong.write_text("1,2\n")
    code, _, err = _run(["audit", "--dataset", str(wrong)], capsys)
    _assert_one_line_error(code, err, "must end in .npz or .csv")
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("dataset", ["cifar10h", "mnist"])
def test_missing_real_data_is_a_one_line_error(tmp_path, capsys, dataset):
    # an empty data home and --offline (tests never download)
    out = tmp_path / "r"
    code, _, err = _run(
        [
            "audit",
            "--dataset",
            dataset,
            "--offline",
            "--data-home",
            str(tmp_path / "empty"),
            "--out",
            str(out),
        ],
        capsys,
    )
    _assert_one_line_error(code, err, f"cannot load {dataset}")
    assert not out.exists()


def test_no_command_prints_help(capsys):
    code, _, err = _run([], capsys)
    assert code == 2 and "audit" in err
    code, out, _ = _run(["audit", "--help"], capsys)
    assert code == 0 and "--hard-fraction" in out


# ---------------------------------------------------------------- progress bar


def test_progress_bar_text():
    stream = io.StringIO()
    bar = ProgressBar(3, stream=stream, width=8)
    bar({"done": 0, "total": 4})
    bar({"arm": "gold", "seed": 0, "done": 1})
    bar({"arm": "gold", "seed": 1, "done": 2})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # not a terminal: one line per finished run
    assert lines[0].startswith("audit [##......] 1/4 runs")
    assert lines[1].startswith("audit [####....] 2/4 runs")
    assert "left" in lines[1] and "gold seed=1" in lines[1]


def test_mnist_with_a_simulated_panel(mnist_dir, tmp_path, capsys):
    out = tmp_path / "r"
    code, _, err = _run(
        [
            "audit",
            "--dataset",
            "mnist",
            "--data-home",
            str(mnist_dir.parent),
            "--offline",
            "--max-samples",
            "120",
            "--epochs",
            "1",
            "--seeds",
            "2",
            "--arms",
            "gold,human_soft",
            "--n-jobs",
            "1",
            "--quiet",
            "--no-figures",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    header = json.loads((out / "runs.jsonl").read_text().splitlines()[0])
    assert header["provenance"]["labels"].startswith("simulated")
    assert "CC BY-SA 3.0" in header["provenance"]["licence"]
    assert "SmallCNN" in header["params"]["estimator"]
    human = np.array(header["human"])
    assert human.shape == (120, 10)
    # six simulated votes per image: probabilities are multiples of 1/6
    np.testing.assert_allclose(human * 6, np.round(human * 6), atol=1e-9)
    assert "120 of 10000" in (out / "report.md").read_text()


def test_cifar10h_human_labels_with_standin_images(
    cifar10h_dir, tmp_path, capsys, monkeypatch
):
    """CIFAR-10H's real human labels with a generated stand-in image archive."""
    import hashlib
    import pickle
    import tarfile

    from sksoft.datasets import _base, _cifar10h

    home = tmp_path / "home"
    home.mkdir()
    for name in ("cifar10h-counts.npy", "cifar10h-probs.npy"):
        os.symlink(cifar10h_dir / name, home / name)
    rng = np.random.default_rng(0)
    batch = {
        b"batch_label": b"testing batch 1 of 1",
        b"labels": rng.integers(0, 10, size=10000).tolist(),
        b"data": rng.integers(0, 256, size=(10000, 3072), dtype=np.uint8),
    }
    meta = {b"label_names": [c.encode() for c in _cifar10h.CIFAR10_CLASSES]}
    archive = home / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        for name, obj in (("test_batch", batch), ("batches.meta", meta)):
            raw = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()
    monkeypatch.setattr(
        _cifar10h,
        "CIFAR10_ARCHIVE",
        _base.RemoteFile("cifar-10-python.tar.gz", ("https://invalid/",), md5=md5),
    )
    out = tmp_path / "r"
    code, _, err = _run(
        [
            "audit",
            "--dataset",
            "cifar10h",
            "--data-home",
            str(home),
            "--offline",
            "--max-samples",
            "100",
            "--epochs",
            "1",
            "--seeds",
            "2",
            "--arms",
            "gold,human_soft",
            "--n-jobs",
            "1",
            "--quiet",
            "--no-figures",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    header = json.loads((out / "runs.jsonl").read_text().splitlines()[0])
    assert header["provenance"]["labels"].startswith("human")
    assert "CC BY-NC-SA 4.0" in header["provenance"]["licence"]
    assert "SmallCNN" in header["params"]["estimator"]
    counts = np.load(cifar10h_dir / "cifar10h-counts.npy")
    human = np.array(header["human"])
    # the rows are real CIFAR-10H distributions
    probs = counts / counts.sum(1, keepdims=True)
    assert all(np.isclose(probs, row).all(axis=1).any() for row in human[:5])
    md = (out / "report.md").read_text()
    assert "simulated" not in md.lower()
    assert "against the human labels" in md


def test_cv_and_arm_without_gold_in_the_list(tmp_path, capsys):
    out = tmp_path / "r"
    code, _, err = _run(
        [
            "audit",
            "--arms",
            "human_soft",
            "--cv",
            "2",
            "--seeds",
            "2",
            "--epochs",
            "1",
            "--max-samples",
            "120",
            "--n-jobs",
            "1",
            "--no-figures",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    assert "8/8 runs" in err  # gold added as the reference: 2 arms x 2 seeds x 2 folds
    header = json.loads((out / "runs.jsonl").read_text().splitlines()[0])
    assert header["arms"] == ["gold", "human_soft"]
    assert len(header["folds"]) == 2 and len(header["test_index"]) == 120
    assert "out-of-fold predictions, 2 folds" in (out / "report.md").read_text()


@pytest.mark.parametrize("cv", [None, "3"])
def test_default_data_split_shares_no_source_digit(tmp_path, capsys, cv):
    # the default data's split (and every cv fold) is by source-digit group:
    # no test item (clean or blend) is built from a digit a training item uses
    from sksoft.datasets import make_ambiguous_digits

    out = tmp_path / "r"
    argv = ["audit", "--arms", "gold,human_soft", "--seeds", "1", "--epochs", "1"]
    argv += ["--n-jobs", "1", "--quiet", "--no-figures", "--out", str(out)]
    if cv is not None:
        argv += ["--cv", cv]
    code, _, err = _run(argv, capsys)
    assert code == 0, err
    header = json.loads((out / "runs.jsonl").read_text().splitlines()[0])
    digits = make_ambiguous_digits(random_state=0)  # the command's default data
    np.testing.assert_allclose(np.array(header["human"]), digits.soft_target)
    folds = header["folds"]
    assert len(folds) == (1 if cv is None else 3)
    for fold in folds:
        train, test = np.array(fold["train"]), np.array(fold["test"])
        assert train.size + test.size == 1500
        sources_train = set(digits.source_index[train].ravel()) - {-1}
        sources_test = set(digits.source_index[test].ravel()) - {-1}
        assert len(sources_train & sources_test) == 0
        assert not set(digits.groups[train]) & set(digits.groups[test])
    if cv is None:  # 3 of the 10 equal groups: test_size=0.3 of the samples
        assert len(folds[0]["test"]) == 450


def test_mnist_panel_majority_rarely_differs_from_gold(mnist_dir):
    # the simulated MNIST panel is plausible: its majority differs from gold
    # on about 4% of the images (it was 16.1% with PCA + logistic regression
    # on 2,000 images); the command's default subsample of 3,000 images
    from sksoft.cli import load_audit_data

    data = load_audit_data(
        "mnist", data_home=str(mnist_dir.parent), max_samples=3000, download=False
    )
    counts, gold = data["human"], data["gold"]
    assert counts.shape == (3000, 10) and (counts.sum(1) == 6).all()
    majority_differs = np.mean(counts.argmax(1) != gold)  # ties: first class
    assert 0.02 < majority_differs < 0.05
    assert "about 4%" in data["provenance"]["labels"]
    assert "panel" in data["provenance"]
    # the panel still disagrees on some images (not a copy of the gold labels)
    assert 0.02 < np.mean(counts.max(1) < 6) < 0.2
