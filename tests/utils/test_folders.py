"""Tests of sksoft.utils._folders (the report folders of the commands)."""

import numpy as np
import pytest

from sksoft.cli import main
from sksoft.utils._folders import FolderError, check_out_folder, write_folder


def _write_report(tmp):
    (tmp / "report.md").write_text("new")
    (tmp / "figures").mkdir()
    (tmp / "figures" / "a.png").write_bytes(b"png")
    return "done"


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("out", [".", "", "./"])
def test_write_into_the_empty_current_folder(tmp_path, monkeypatch, out):
    cwd = tmp_path / "here"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert write_folder(check_out_folder(out or ".", False), _write_report) == "done"
    assert _names(cwd) == ["figures", "report.md"]
    assert (cwd / "figures" / "a.png").read_bytes() == b"png"
    assert _names(tmp_path) == ["here"]  # no stray .tmp- or ..old- folder


def test_overwrite_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.txt").write_text("old")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "old.png").write_bytes(b"old")
    with pytest.raises(FolderError, match="not empty"):
        check_out_folder(".", False)
    write_folder(check_out_folder(".", True), _write_report)
    assert _names(tmp_path) == ["figures", "report.md"]
    assert _names(tmp_path / "figures") == ["a.png"]


def test_failure_in_the_current_folder_leaves_it_as_it_was(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.txt").write_text("old")

    def broken(tmp):
        (tmp / "report.md").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_folder(".", broken)
    assert _names(tmp_path) == ["old.txt"]


def test_a_relative_out_below_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_folder("./r", _write_report)
    write_folder("r/", _write_report)  # replaced, by the same name
    assert _names(tmp_path) == ["r"]
    assert _names(tmp_path / "r") == ["figures", "report.md"]


def test_overwrite_of_a_folder_holding_the_current_one_is_refused(
    tmp_path, monkeypatch
):
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b")
    with pytest.raises(FolderError, match="holds the current folder"):
        check_out_folder("..", True)
    assert (tmp_path / "a" / "b").is_dir()


def _evaluate_files(folder):
    rng = np.random.default_rng(0)
    counts = np.stack([rng.multinomial(5, [0.6, 0.3, 0.1]) for _ in range(40)])
    probs = rng.dirichlet(np.ones(3), size=40)
    np.save(folder / "counts.npy", counts)
    np.save(folder / "probs.npy", probs)


def test_evaluate_out_dot(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    _evaluate_files(data)
    cwd = tmp_path / "here"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    argv = ["evaluate", "--probs", f"m={data / 'probs.npy'}"]
    argv += ["--counts", str(data / "counts.npy"), "--n-bootstrap", "0"]
    code = main([*argv, "--out", "."])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "report.md" in _names(cwd)
    assert _names(tmp_path) == ["data", "here"]
    # again over the report just written: --overwrite replaces it in place
    assert main([*argv, "--out", "."]) == 2
    assert main([*argv, "--out", ".", "--overwrite"]) == 0
    assert not [n for n in _names(cwd) if n.startswith(".")]


def test_audit_out_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["audit", "--arms", "gold,human_soft", "--seeds", "1", "--epochs", "1"]
    argv += ["--max-samples", "60", "--n-jobs", "1", "--quiet", "--no-figures"]
    code = main([*argv, "--out", "."])
    err = capsys.readouterr().err
    assert code == 0, err
    names = _names(tmp_path)
    assert "report.md" in names and "command.json" in names
    assert not [n for n in names if n.startswith(".")]
    assert not [p for p in tmp_path.parent.iterdir() if ".old-" in p.name]
