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


def _one_line_error(code, err, match):
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and match in lines[0], err


def test_default_arms_are_the_registry_defaults(tmp_path, capsys):
    from sksoft.cli._parser import standalone
    from sksoft.sources import ARM_NAMES, DEFAULT_ARMS

    parser = standalone(
        "sksoft audit",
        description="",
        epilog="",
        add_arguments=audit_command.add_arguments,
    )
    args = parser.parse_args([])
    assert args.arms == ",".join(DEFAULT_ARMS) and args.annotators is None
    text = parser.format_help()
    for arm in set(ARM_NAMES) - set(DEFAULT_ARMS):
        assert arm in text  # the opt-in arms are named in --help


def test_audit_annotators_and_dawid_skene_errors(tmp_path, capsys):
    code = main(_argv(tmp_path / "a", "--annotators", "0"))
    _one_line_error(code, capsys.readouterr().err, "--annotators must be at least 1")
    argv = _argv(tmp_path / "b")
    argv[argv.index("gold,human_soft")] = "gold,human_dawid_skene"
    code = main(argv)
    _one_line_error(code, capsys.readouterr().err, "needs the per-annotator table")


def test_audit_annotators_trains_on_a_budget(tmp_path, capsys):
    code = main(_argv(tmp_path / "c", "--annotators", "2", "--no-figures"))
    assert code == 0, capsys.readouterr().err
    text = (tmp_path / "c" / "report.md").read_text()
    assert "| training labels | 2 annotators per item" in text
