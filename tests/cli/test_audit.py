"""``sksoft audit`` without matplotlib (issue 24, item 2): checked before any
training, the figures skipped with one note naming sksoft[plot] and --no-figures."""

import sys

import pytest

from sksoft.cli import audit as audit_command
from sksoft.cli import main


def _argv(out, *extra):
    return [
        "audit",
        "--arms",
        "gold,human_soft",
        "--seeds",
        "0,",
        "--max-samples",
        "80",
        "--epochs",
        "1",
        "--n-jobs",
        "1",
        "--quiet",
        "--out",
        str(out),
        *extra,
    ]


def test_audit_without_matplotlib_notes_before_training_and_writes_no_figures(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib fails
    calls = []
    real = audit_command.audit.run_audit

    def spy(*args, **kwargs):
        # the note is on stderr before training starts
        calls.append(capsys.readouterr().err)
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_command.audit, "run_audit", spy)
    assert main(_argv(tmp_path / "out")) == 0
    (before,) = calls
    notes = [line for line in before.splitlines() if line.strip()]
    assert len(notes) == 1
    assert "matplotlib is not installed" in notes[0]
    assert "sksoft[plot]" in notes[0] and "--no-figures" in notes[0]
    assert (tmp_path / "out" / "report.md").exists()
    assert (tmp_path / "out" / "results.csv").exists()
    assert not list((tmp_path / "out").glob("*.png"))


def test_no_figures_needs_no_note(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setattr(
        audit_command.audit, "run_audit", lambda *a, **k: pytest.fail("trained")
    )
    # a bad option still stops first, and --no-figures prints no note
    assert main(_argv(tmp_path / "out", "--no-figures", "--epochs", "0")) == 2
    err = capsys.readouterr().err
    assert "note" not in err and "--epochs must be at least 1" in err
