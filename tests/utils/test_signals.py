"""Tests of sksoft.utils._signals: SIGTERM cleans up like Ctrl-C."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sksoft.utils._signals import sigterm_as_interrupt

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGTERM") or sys.platform == "win32",
    reason="POSIX signals",
)

REPO = Path(__file__).resolve().parents[2]


def test_sigterm_raises_keyboard_interrupt_and_the_handler_is_restored():
    def mine(signum, frame):  # pragma: no cover - never called
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with pytest.raises(KeyboardInterrupt):
            with sigterm_as_interrupt():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler raises before this ends
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_outside_the_main_thread_nothing_changes():
    seen = []

    def run():
        with sigterm_as_interrupt():
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [before]


def _start(script, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _descendants(pid):
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _alive(procs):
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


def _terminate(proc, workers):
    """SIGTERM ``proc``; return its exit code, stderr and its still-alive workers."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:  # pragma: no cover - the test fails below
            proc.kill()
    # loky's workers notice their parent's end within a few seconds at most
    deadline = time.monotonic() + 15
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _alive(workers)
    for p in left:  # do not leave them to the machine
        p.kill()
    return proc.returncode, err, left


AUDIT = """
    from sksoft.cli import main
    print("started", flush=True)
    raise SystemExit(main([
        "audit", "--arms", "gold,human_soft,smoothed", "--seeds", "4",
        "--epochs", "400", "--max-samples", "200", "--n-jobs", "2",
        "--quiet", "--no-figures", "--out", "r",
    ]))
"""


def test_sigterm_during_training_stops_the_workers(tmp_path):
    proc = _start(AUDIT, tmp_path)
    assert proc.stdout.readline().strip() == "started"
    deadline = time.monotonic() + 120
    workers = []
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _descendants(proc.pid)
        if len(workers) >= 2:  # loky's two workers (and its resource tracker)
            break
        time.sleep(0.2)
    assert proc.poll() is None and len(workers) >= 2, "no workers started"
    time.sleep(2)  # the workers are training
    workers = _descendants(proc.pid)
    start = time.monotonic()
    code, err, left = _terminate(proc, workers)
    assert time.monotonic() - start < 60
    assert left == [], "workers still running after the command ended"
    assert code == 130, err
    assert "interrupted; nothing written" in err
    assert list(tmp_path.iterdir()) == []


WRITING = """
    import time
    from sksoft.audit import AuditResult
    from sksoft.cli import main

    def slow(self, path, *, figures=True, n_jobs=None):
        (path / "report.md").write_text("half")
        print("writing", flush=True)
        time.sleep(120)

    AuditResult.write_report = slow
    raise SystemExit(main([
        "audit", "--arms", "gold,human_soft", "--seeds", "1", "--epochs", "1",
        "--max-samples", "60", "--n-jobs", "1", "--quiet", "--out", "r",
    ]))
"""


def test_sigterm_while_writing_leaves_no_temporary_folder(tmp_path):
    proc = _start(WRITING, tmp_path)
    line = proc.stdout.readline().strip()
    assert line == "writing", proc.stderr.read() if proc.poll() is not None else line
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]
    code, err, left = _terminate(proc, _descendants(proc.pid))
    assert code == 130, err
    assert list(tmp_path.iterdir()) == []
    assert left == []
