"""``sksoft evaluate`` as a user runs it: no pandas, no matplotlib, gold labels
as class names or column positions, empty files (issue 24, items 1, 7, 8)."""

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
    assert (d / "report" / "report.md").read_text().count("## Scores") == 3
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
