"""Tests of the ``sksoft evaluate`` command (sksoft.cli.evaluate): against the
function, and as a user runs it: no pandas, no matplotlib, gold labels as class
names or column positions, empty files."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sksoft
from sksoft import evaluate_predictions
from sksoft.cli import main

ROOT = Path(sksoft.__file__).resolve().parent.parent
CLASSES = ("entailment", "neutral", "contradiction")


@pytest.fixture(autouse=True)
def _run_in_empty_dir(tmp_path_factory, monkeypatch):
    """Run every test from an empty folder: the default --out is relative."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def _run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def _assert_one_line_error(code, err, match):
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "error" in lines[0] and match in lines[0], lines[0]


# ---------------------------------------------------------------- evaluate


@pytest.fixture
def predictions(tmp_path):
    """Files of two models (one with two seeds), human counts and gold labels."""
    rng = np.random.default_rng(0)
    n, k = 90, 3
    gold = np.arange(n) % k
    counts = np.stack([rng.multinomial(6, np.roll([0.6, 0.3, 0.1], g)) for g in gold])
    sharp = [rng.dirichlet(np.roll([8.0, 2.0, 1.0], g)) for g in gold]
    files = {"counts": tmp_path / "votes.csv", "gold": tmp_path / "gold.npy"}
    np.savetxt(files["counts"], counts, delimiter=",", fmt="%d")
    np.save(files["gold"], gold)
    probs = {"flat": [rng.dirichlet(np.ones(k), size=n)], "sharp": []}
    np.save(tmp_path / "flat.npy", probs["flat"][0])
    for s in range(2):
        p = np.array(sharp) ** (1 + s)
        p /= p.sum(1, keepdims=True)
        probs["sharp"].append(p)
        np.savetxt(tmp_path / f"sharp{s}.csv", p, delimiter=",", header="a,b,c")
    argv = [
        "--probs",
        f"flat={tmp_path / 'flat.npy'}",
        "--probs",
        f"sharp={tmp_path / 'sharp0.csv'},{tmp_path / 'sharp1.csv'}",
        "--counts",
        str(files["counts"]),
        "--gold",
        str(files["gold"]),
    ]
    return argv, probs, counts, gold


def test_evaluate_subcommand_equals_the_function(tmp_path, capsys, predictions):
    import pandas as pd

    from sksoft import evaluate_predictions

    argv, probs, counts, gold = predictions
    out = tmp_path / "rep"
    options = ["--ties", "baan2022", "--n-bins", "10", "--temperature", "2"]
    options += ["--hard-fraction", "0.3", "--n-bootstrap", "40", "--random-state", "3"]
    code, stdout, err = _run(["evaluate", *argv, *options, "--out", str(out)], capsys)
    assert code == 0, err
    assert stdout == "" and "report written to" in err
    direct = evaluate_predictions(
        {"flat": probs["flat"][0], "sharp": probs["sharp"]},
        counts=counts,
        gold=gold,
        ties="baan2022",
        n_bins=10,
        temperature=2.0,
        hard_fraction=0.3,
        n_bootstrap=40,
        random_state=3,
    ).to_frame()
    frame = pd.read_csv(out / "results.csv")
    assert len(frame) == len(direct)
    np.testing.assert_allclose(frame.value, direct.value, rtol=1e-9)
    np.testing.assert_allclose(frame.ci_low, direct.ci_low, rtol=1e-9)
    assert set(frame.model) == {"flat", "sharp", "flat (T=2)", "sharp (T=2)"}
    files = sorted(p.name for p in out.iterdir())
    assert files[:3] == ["differences.csv", "reliability_00.png", "reliability_01.png"]
    assert _leftovers(tmp_path) == []
    md = (out / "report.md").read_text()
    assert "| item | value |" in md and "ties included: actual share" in md


def test_evaluate_overwrite_replaces_the_folder(tmp_path, capsys, predictions):
    argv, *_ = predictions
    out = tmp_path / "rep"
    out.mkdir()
    (out / "reliability_07.png").write_text("stale")
    base = ["evaluate", *argv, "--n-bootstrap", "0", "--out", str(out)]
    code, _, err = _run(base, capsys)
    _assert_one_line_error(code, err, "exists and is not empty; pass --overwrite")
    code, _, err = _run([*base, "--overwrite"], capsys)
    assert code == 0, err
    assert not (out / "reliability_07.png").exists()  # no stale file mixes in
    assert (out / "report.md").exists() and _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "change, match",
    [
        (["--hard-fraction", "1.5"], "--hard-fraction must be in (0, 1)"),
        (["--n-bins", "0"], "--n-bins must be at least 1"),
        (["--n-bootstrap", "-1"], "--n-bootstrap must be at least 0"),
        (["--temperature", "hot"], "--temperature must be a number > 0 or 'fit'"),
        (["--temperature", "-2"], "--temperature must be a number > 0 or 'fit'"),
        (["--classes", "a,,c"], "--classes has an empty name"),
        (["--ties", "first"], "invalid choice: 'first'"),
        (["--probs", "noequals"], "--probs expects NAME=PATH"),
        (["--probs", "flat=x.npy"], "--probs names model 'flat' twice"),
        (["--probs", "new=missing.npy"], "file not found: missing.npy"),
        (["--soft-labels", "x.npy"], "not allowed with argument --counts"),
    ],
)
def test_evaluate_bad_options_one_line(tmp_path, capsys, predictions, change, match):
    argv, *_ = predictions
    out = tmp_path / "rep"
    code, stdout, err = _run(["evaluate", *argv, *change, "--out", str(out)], capsys)
    _assert_one_line_error(code, err, match)
    assert err.startswith("sksoft evaluate: error:") and stdout == ""
    assert not out.exists()


def test_evaluate_bad_files_name_the_file(tmp_path, capsys, predictions):
    argv, probs, counts, _ = predictions
    bad = probs["flat"][0].copy()
    bad[5] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    np.save(tmp_path / "objects.npy", bad.astype(object), allow_pickle=True)
    np.savetxt(tmp_path / "soft.csv", counts, delimiter=",", fmt="%d")
    cases = [
        (["--probs", f"m={tmp_path / 'nan.npy'}"], "--probs m (file "),
        (["--probs", f"m={tmp_path / 'nan.npy'}"], "NaN"),
        (["--probs", f"m={tmp_path / 'objects.npy'}"], "as a numeric .npy array"),
    ]
    for change, match in cases:
        code, _, err = _run(["evaluate", *argv, *change, "--out", "r"], capsys)
        _assert_one_line_error(code, err, match)
        assert "nan.npy" in err or "objects.npy" in err
    # vote counts given as soft labels: the hint names the option
    soft = ["--probs", argv[1], "--soft-labels", str(tmp_path / "soft.csv")]
    code, _, err = _run(["evaluate", *soft, "--out", "r"], capsys)
    _assert_one_line_error(code, err, "pass the file with --counts")
    assert "counts=True" not in err and "soft.csv" in err


def test_evaluate_help_lists_the_file_formats(capsys):
    code, out, _ = _run(["evaluate", "--help"], capsys)
    assert code == 0
    assert "files (every file has the same n rows" in out
    assert "--probs NAME=PATH[,PATH...]" in out and "--overwrite" in out
    code, out, _ = _run(["--help"], capsys)
    assert code == 0 and "evaluate" in out and "audit" in out


def test_python_m_sksoft_evaluate(tmp_path, predictions):
    argv, *_ = predictions
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = tmp_path / "rep"
    cmd = [sys.executable, "-m", "sksoft", "evaluate", *argv, "--n-bootstrap", "20"]
    proc = subprocess.run(
        [*cmd, "--out", str(out)], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and (out / "report.md").exists()
    proc = subprocess.run(
        [*cmd, "--hard-fraction", "2", "--out", str(tmp_path / "bad")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "bad").exists()


# ------------------------------------------- issue 24: extras, gold, empty


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    n = 60
    gold = np.arange(n) % 3
    counts = np.stack([rng.multinomial(5, np.roll([0.6, 0.3, 0.1], g)) for g in gold])
    probs = rng.dirichlet(np.ones(3), size=n)
    np.save(tmp_path / "p.npy", probs)
    np.savetxt(tmp_path / "c.csv", counts, delimiter=",", fmt="%d")
    return tmp_path, probs, counts, gold


def _argv(d, *extra, out="report"):
    return [
        "evaluate",
        "--probs",
        f"m={d / 'p.npy'}",
        "--counts",
        str(d / "c.csv"),
        "--n-bootstrap",
        "10",
        "--out",
        str(d / out),
        *extra,
    ]


def _stderr_lines(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_evaluate_needs_no_pandas(files, capsys, monkeypatch):
    d, probs, counts, _ = files
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    assert main(_argv(d, "--no-figures")) == 0
    with open(d / "report" / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = evaluate_predictions({"m": probs}, counts=counts, n_bootstrap=10)
    assert len(rows) == len(expected.scores)
    got = {(r["model"], r["metric"], r["subset"]): float(r["value"]) for r in rows}
    for r in expected.scores:
        key = r["model"], r["metric"], r["subset"]
        assert got[key] == pytest.approx(r["value"], rel=1e-15, abs=0), key
    # one table per subset: all, hard, easy, disagree
    assert (d / "report" / "report.md").read_text().count("## Scores") == 4
    with pytest.raises(ImportError, match="needs pandas: pip install pandas"):
        expected.to_frame()


def test_evaluate_without_matplotlib_skips_the_figures_with_one_note(
    files, capsys, monkeypatch
):
    d = files[0]
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(_argv(d)) == 0
    err = _stderr_lines(capsys)
    notes = [line for line in err if "note:" in line]
    assert len(notes) == 1 and "sksoft[plot]" in notes[0]
    assert "--no-figures" in notes[0]
    assert not list((d / "report").glob("*.png"))
    assert "Not drawn" in (d / "report" / "report.md").read_text()


def test_gold_class_names_in_a_csv(files, capsys):
    d, probs, counts, gold = files
    with open(d / "gold.csv", "w") as fh:
        fh.write("label\n" + "\n".join(CLASSES[g] for g in gold) + "\n")
    code = main(_argv(d, "--gold", str(d / "gold.csv"), "--classes", ",".join(CLASSES)))
    assert code == 0, capsys.readouterr().err
    expected = evaluate_predictions(
        {"m": probs}, counts=counts, gold=gold, n_bootstrap=0
    )
    with open(d / "report" / "results.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["metric"] == "accuracy_vs_gold"]
    assert float(rows[0]["value"]) == pytest.approx(
        expected.score("m", "accuracy_vs_gold")
    )


@pytest.mark.parametrize("suffix", ["npy", "csv"])
def test_gold_positions_with_classes(files, capsys, suffix):
    d, probs, counts, gold = files
    path = d / f"gold.{suffix}"
    if suffix == "npy":
        np.save(path, gold)
    else:
        np.savetxt(path, gold, fmt="%d")
    code = main(_argv(d, "--gold", str(path), "--classes", ",".join(CLASSES)))
    assert code == 0, capsys.readouterr().err
    res = evaluate_predictions(
        {"m": probs}, counts=counts, gold=gold, classes=list(CLASSES), n_bootstrap=0
    )
    assert res.score("m", "accuracy_vs_gold") == pytest.approx(
        np.mean(probs.argmax(1) == gold)
    )


def test_gold_names_without_classes_is_one_line(files, capsys):
    d, *_ = files
    (d / "gold.csv").write_text("\n".join(["neutral"] * 60) + "\n")
    assert main(_argv(d, "--gold", str(d / "gold.csv"))) == 2
    (line,) = _stderr_lines(capsys)
    assert "'neutral' is not a column position 0..2" in line
    assert "--classes" in line


def test_gold_label_outside_classes_names_it(files, capsys):
    d, *_ = files
    (d / "gold.csv").write_text("\n".join(["neutral"] * 59 + ["maybe"]) + "\n")
    assert (
        main(_argv(d, "--gold", str(d / "gold.csv"), "--classes", "a,neutral,c")) == 2
    )
    (line,) = _stderr_lines(capsys)
    assert "'maybe' is not one of --classes" in line


@pytest.mark.parametrize("option", ["--counts", "--probs", "--gold"])
def test_empty_csv_is_exactly_one_line_on_stderr(files, option):
    d, *_ = files
    (d / "empty.csv").write_text("")
    argv = _argv(d)
    if option == "--gold":
        argv += ["--gold", str(d / "empty.csv")]
    else:
        i = argv.index(option) + 1
        argv[i] = ("m=" if option == "--probs" else "") + str(d / "empty.csv")
    out = subprocess.run(
        [sys.executable, "-m", "sksoft", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=300,
    )
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert out.returncode == 2
    assert len(lines) == 1, out.stderr
    assert "empty.csv is empty" in lines[0]


def test_evaluate_calibrate_and_annotators_equal_the_function(
    tmp_path, capsys, predictions
):
    argv, probs, counts, gold = predictions
    out = tmp_path / "rep"
    options = ["--calibrate", "vector", "--calibrate-folds", "3"]
    options += ["--annotators", "3,1,6", "--n-draws", "4", "--n-bootstrap", "0"]
    code, _, err = _run(
        ["evaluate", *argv, *options, "--no-figures", "--out", str(out)], capsys
    )
    assert code == 0, err
    direct = evaluate_predictions(
        {"flat": probs["flat"][0], "sharp": probs["sharp"]},
        counts=counts,
        gold=gold,
        calibrate="vector",
        calibration_cv=3,
        annotators=[1, 3, 6],
        n_draws=4,
        n_bootstrap=0,
    )
    with open(out / "budget.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(direct.budget)
    for row, ref in zip(rows, direct.budget):
        assert row["model"] == ref["model"] and row["metric"] == ref["metric"]
        assert int(row["n_annotators"]) == ref["n_annotators"]
        if not np.isnan(ref["mean"]):
            assert float(row["mean"]) == pytest.approx(ref["mean"], rel=1e-12)
    assert {r["model"] for r in rows} == {
        "flat",
        "sharp",
        "flat (vector scaling, cross-fitted)",
        "sharp (vector scaling, cross-fitted)",
    }
    md = (out / "report.md").read_text()
    assert "## Annotation budget" in md and "| calibration | vector scaling" in md


@pytest.mark.parametrize(
    "change, match",
    [
        (["--annotators", "0,3"], "--annotators must be a comma list"),
        (["--annotators", "3,3"], "--annotators must be a comma list"),
        (["--annotators", "a"], "--annotators must be a comma list"),
        (["--calibrate", "platt"], "invalid choice: 'platt'"),
        (["--calibrate-folds", "1"], "--calibrate-folds must be at least 2"),
        (["--n-draws", "0"], "--n-draws must be at least 1"),
        (
            ["--calibrate", "temperature", "--temperature", "fit"],
            "pass one of them",
        ),
    ],
)
def test_evaluate_budget_options_one_line(tmp_path, capsys, predictions, change, match):
    argv, *_ = predictions
    out = tmp_path / "rep"
    code, _, err = _run(["evaluate", *argv, *change, "--out", str(out)], capsys)
    _assert_one_line_error(code, err, match)
    assert not out.exists()


def test_evaluate_annotators_need_counts(tmp_path, capsys, predictions):
    argv, probs, counts, _ = predictions
    soft = tmp_path / "soft.npy"
    np.save(soft, counts / counts.sum(1, keepdims=True))
    i = argv.index("--counts")
    argv = [*argv[:i], "--soft-labels", str(soft), *argv[i + 2 :]]
    code, _, err = _run(
        ["evaluate", *argv, "--annotators", "1,3", "--out", str(tmp_path / "r")],
        capsys,
    )
    _assert_one_line_error(code, err, "--annotators subsamples each item's votes")
