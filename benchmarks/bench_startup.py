"""Worker start-up: the CPU cost of ``torch._dynamo`` (issue 28, item 3).

Run: ``python benchmarks/bench_startup.py [--repeats 5] [--seeds 20]
[--quick] [--no-audit]``

torch's optimizers import ``torch._dynamo`` on their first ``add_param_group``
(``torch._disable_dynamo``) and ``step``; sksoft's classifier trains a plain
Adam with the engine's ``LeanAdam`` (:mod:`sksoft._engine._optim`), which
never imports it. Measured in one run, interleaved, medians:

(a) worker start-up: CPU seconds (user + system) of a fresh process doing what
    an audit worker does (import :mod:`sksoft.audit._worker`, fit a tiny
    :class:`~sksoft.SoftLabelClassifier`, predict), *after* (as sksoft is)
    and *before* (the same process with ``torch._dynamo`` imported eagerly,
    which is what a ``torch.optim.Adam`` did on its first use);
(b) the default audit: wall time of ``python -m sksoft audit --seeds N``
    (embedded default data, all arms), after and before, every process of
    the command (its joblib workers included) importing ``torch._dynamo``
    eagerly in the "before" run through a ``sitecustomize`` on
    ``PYTHONPATH``.

The ratio before / after is printed for both. ``--quick``: 2 repeats of (a)
and the audit with 3 seeds, once.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = """
import sys
import numpy as np
import sksoft.audit._worker
from sksoft import SoftLabelClassifier
rng = np.random.default_rng(0)
X = rng.normal(size=(64, 8)).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
SoftLabelClassifier(max_epochs=2, random_state=0).fit(X, y).predict_proba(X)
print('torch._dynamo' in sys.modules)
"""


def _env(before, site_dir):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    path = [str(ROOT), *filter(None, [env.get("PYTHONPATH")])]
    if before:
        path.insert(0, site_dir)
    env["PYTHONPATH"] = os.pathsep.join(path)
    return env


def _children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def worker_cpu(before, site_dir):
    """CPU seconds of one fresh worker-like process, and its dynamo flag."""
    cpu = _children_cpu()
    out = subprocess.run(
        [sys.executable, "-c", WORKER],
        env=_env(before, site_dir),
        capture_output=True,
        text=True,
        check=True,
        cwd=str(ROOT),
    )
    return _children_cpu() - cpu, out.stdout.split()[-1]


def audit_wall(before, site_dir, seeds):
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        cmd = [sys.executable, "-m", "sksoft", "audit", "--seeds", str(seeds)]
        cmd += ["--out", str(Path(tmp) / "report"), "--quiet"]
        start = time.perf_counter()
        proc = subprocess.run(
            cmd, env=_env(before, site_dir), capture_output=True, text=True
        )
        wall = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"audit failed: {proc.stderr[-500:]}")
    return wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--audit-repeats", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-audit", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.seeds, args.audit_repeats = 2, 3, 1
    print(f"load average {os.getloadavg()[0]:.2f} (shared machines: read ratios)")
    with tempfile.TemporaryDirectory(prefix="eager-dynamo-") as site_dir:
        Path(site_dir, "sitecustomize.py").write_text("import torch._dynamo\n")
        cpu = {True: [], False: []}
        flags = {}
        for _ in range(args.repeats):  # interleaved
            for before in (False, True):
                seconds, flags[before] = worker_cpu(before, site_dir)
                cpu[before].append(seconds)
        after_s, before_s = statistics.median(cpu[False]), statistics.median(cpu[True])
        print("\n(a) worker start-up (import the worker, fit a tiny classifier)")
        print(f"  after : {after_s:.2f} s CPU (torch._dynamo imported: {flags[False]})")
        print(f"  before: {before_s:.2f} s CPU (torch._dynamo imported: {flags[True]})")
        print(f"  before / after = {before_s / after_s:.2f}x")
        if args.no_audit:
            return
        walls = {True: [], False: []}
        for _ in range(args.audit_repeats):
            for before in (False, True):
                walls[before].append(audit_wall(before, site_dir, args.seeds))
        after_w = statistics.median(walls[False])
        before_w = statistics.median(walls[True])
        print(f"\n(b) python -m sksoft audit --seeds {args.seeds} (embedded default)")
        print(f"  after : {after_w:.1f} s wall")
        print(f"  before: {before_w:.1f} s wall")
        print(f"  before / after = {before_w / after_w:.2f}x")


if __name__ == "__main__":
    main()
