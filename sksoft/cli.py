"""Command line interface: ``python -m sksoft audit`` (console script ``sksoft``).

The ``audit`` sub-command trains one model per supervision arm and seed, compares
them with :func:`sksoft.audit.run_audit` and writes a report folder::

    python -m sksoft audit --out audit-report

Run ``python -m sksoft audit --help`` for every option. Bad arguments or bad data
stop the command before any training with a one-line message on stderr and exit
code 2; the output folder is only created, complete, at the very end (the report is
written into a temporary folder next to it and moved into place).

**Your own data** (``--dataset PATH``): a ``.npz`` (``numpy.savez``) with the keys

- ``data``: features, shape ``(n, n_features)``, or images ``(n, H, W)`` /
  ``(n, C, H, W)`` / ``(n, H, W, C)`` (numeric);
- ``target``: the gold labels, shape ``(n,)``, values in ``classes``;
- ``counts``: human vote counts, shape ``(n, K)``, non-negative, at least one vote
  per row; **or** ``soft_target``: human label distributions ``(n, K)``, rows
  summing to 1 (give one of the two);
- ``classes`` (optional): the ``K`` class labels in column order; default
  ``0, ..., K-1``.

``.csv`` with a header row and one row per item:

- ``target``: the gold label;
- ``count_<class>`` columns (one per class, in column order; the class name is the
  text after the prefix), **or** ``soft_<class>`` columns;
- every other column is a numeric feature.

``target`` may be left out (``.npz`` key or ``.csv`` column) when only the arms
that need no gold label are asked for (``--arms human_mode,human_soft``); arms
that need gold labels then stop with exit code 2. Human labels are always
required: the audit measures models against them.
"""

import argparse
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sklearn

from . import __version__, audit
from .audit._data import DATASETS, UsageError, load_audit_data  # noqa: F401
from .sources import ARM_NAMES

__all__ = ["main"]


class _OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


# ---------------------------------------------------------------- progress bar


class ProgressBar:
    """A small text progress bar on a stream (stderr) with the time left.

    Parameters
    ----------
    total : int
        Number of steps.
    stream : file-like, default=sys.stderr
        Where to draw; on a terminal the bar redraws in place, elsewhere one line
        per step is printed.
    width : int, default=30
        Characters of the bar.
    label : str, default="audit"
        Text in front of the bar.

    Examples
    --------
    >>> import io
    >>> from sksoft.cli import ProgressBar
    >>> bar = ProgressBar(4, stream=io.StringIO(), width=8)
    >>> bar.update(1)
    >>> bar.render()
    'audit [##......] 1/4 runs  0:00 elapsed, ~0:00 left'
    """

    def __init__(self, total, *, stream=None, width=30, label="audit"):
        self.total = int(total)
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.label = label
        self.done = 0
        self.start = time.perf_counter()
        isatty = getattr(self.stream, "isatty", None)
        self._tty = bool(isatty and isatty())

    @staticmethod
    def _clock(seconds):
        if not math.isfinite(seconds):
            return "?:??"
        seconds = int(round(seconds))
        return f"{seconds // 60}:{seconds % 60:02d}"

    def render(self, info=""):
        """The bar as a string (no newline)."""
        frac = self.done / self.total if self.total else 1.0
        fill = int(round(frac * self.width))
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done) if self.done else math.nan
        text = (
            f"{self.label} [{'#' * fill}{'.' * (self.width - fill)}] "
            f"{self.done}/{self.total} runs  {self._clock(elapsed)} elapsed, "
            f"~{self._clock(left)} left"
        )
        return f"{text}  {info}" if info else text

    def update(self, n=1, info=""):
        """Advance by ``n`` steps and redraw."""
        self.done = min(self.total, self.done + n)
        end = "" if self._tty and self.done < self.total else "\n"
        prefix = "\r" if self._tty else ""
        self.stream.write(prefix + self.render(info) + end)
        self.stream.flush()

    def __call__(self, info):
        """Progress callback for :func:`sksoft.audit.run_audit`.

        ``info["done"] == 0`` (training starts) restarts the clock, takes the
        number of runs from ``info["total"]`` and draws the empty bar; every
        later call advances by one run.
        """
        if info.get("done", 1) == 0:
            self.start = time.perf_counter()
            self.done = 0
            self.total = int(info.get("total", self.total))
            if self._tty:
                self.stream.write("\r" + self.render("training..."))
                self.stream.flush()
            return
        self.update(1, f"{info.get('arm', '')} seed={info.get('seed', '')}")


# ---------------------------------------------------------------- arguments


def _split_list(text, name):
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise UsageError(f"--{name} is empty")
    return items


def _parse_arms(text):
    arms = _split_list(text, "arms")
    unknown = [a for a in arms if a not in ARM_NAMES]
    if unknown:
        raise UsageError(
            f"unknown arm {unknown[0]!r} in --arms; choose from {','.join(ARM_NAMES)}"
        )
    if len(set(arms)) != len(arms):
        raise UsageError("--arms lists an arm twice")
    return arms


def _parse_seeds(text):
    """``"3"`` -> seeds 0, 1, 2; ``"0,7,9"`` -> those seeds."""
    items = _split_list(text, "seeds")
    try:
        values = [int(t) for t in items]
    except ValueError:
        raise UsageError(
            "--seeds must be a count (e.g. 3) or a comma list of integers, "
            f"got {text!r}"
        ) from None
    if len(values) == 1:
        if values[0] < 1:
            raise UsageError("--seeds must be at least 1")
        return list(range(values[0]))
    if len(set(values)) != len(values) or min(values) < 0:
        raise UsageError("--seeds lists a seed twice or a negative seed")
    return values


# ---------------------------------------------------------------- the command


_FILE_FORMATS = """\
your own data (--dataset PATH):
  .npz  keys: data (n, n_features) or images (n, H, W[, C]); target (n,) gold
        labels; counts (n, K) human votes OR soft_target (n, K) human label
        distributions; optional classes (K,) in column order.
  .csv  header row; column target (gold label); columns count_<class> OR
        soft_<class> (one per class); every other column a numeric feature.
  Without target only --arms human_mode,human_soft can run.
"""


def _build_parser():
    parser = _OneLineParser(
        prog="sksoft",
        description="sksoft: learning from soft labels, the scikit-learn way.",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_OneLineParser)
    audit_parser = sub.add_parser(
        "audit",
        help="train every supervision arm over several seeds and write a report",
        description=(
            "Train the same model under several kinds of supervision (arms) over "
            "several seeds and compare accuracy, calibration (overall, hard and "
            "easy samples, against the gold labels and against the human soft "
            "labels), divergence to the human labels, stability over seeds and "
            "training dynamics. Writes report.md, results.csv, effects.csv, "
            "runs.jsonl and PNG figures to --out."
        ),
        epilog=_FILE_FORMATS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit_parser.add_argument(
        "--dataset",
        default="ambiguous-digits",
        help=(
            "ambiguous-digits (embedded, simulated labels; default), mnist "
            "(simulated panel), cifar10h (human labels), or a path to a .npz/.csv "
            "file (format below)"
        ),
    )
    audit_parser.add_argument("--data-home", default=None, help="download/cache folder")
    audit_parser.add_argument(
        "--offline",
        action="store_true",
        help="never download: mnist/cifar10h must already be in --data-home",
    )
    audit_parser.add_argument(
        "--arms",
        default=",".join(ARM_NAMES),
        help=f"comma list of arms (default: all six: {','.join(ARM_NAMES)})",
    )
    audit_parser.add_argument(
        "--seeds", default="5", help="number of seeds (default 5) or a comma list"
    )
    audit_parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="training epochs (default: 40 for features, 12 for images)",
    )
    audit_parser.add_argument(
        "--hard-fraction",
        type=float,
        default=0.2,
        help="share of test samples with the highest human-label entropy (0.2)",
    )
    audit_parser.add_argument(
        "--test-size", type=float, default=0.3, help="held-out share (0.3)"
    )
    audit_parser.add_argument(
        "--cv",
        type=int,
        default=None,
        help="K-fold out-of-fold predictions for every sample instead of one split",
    )
    audit_parser.add_argument(
        "--max-samples",
        type=int,
        default=None,
        help="random subsample of the data (default: all; mnist/cifar10h: 3000)",
    )
    audit_parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help=(
            "parallel runs through joblib, one torch thread each (default: the "
            "number of cores, at most 8; -1: all cores)"
        ),
    )
    audit_parser.add_argument(
        "--random-state", type=int, default=0, help="data split / teacher seed"
    )
    audit_parser.add_argument(
        "--out", default="sksoft-audit", help="output folder (default: sksoft-audit)"
    )
    audit_parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out folder"
    )
    audit_parser.add_argument(
        "--no-figures", action="store_true", help="skip the PNG figures"
    )
    audit_parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _check_args(args):
    """The argument checks that need no data: all made before any download.

    The data (and the arms against the data) are checked once, by
    :func:`sksoft.audit.run_audit`, whose ``ValueError`` becomes exit code 2.
    """
    arms = _parse_arms(args.arms)
    seeds = _parse_seeds(args.seeds)
    if arms == ["gold"]:
        raise UsageError("--arms needs at least one arm besides gold to compare")
    if args.epochs is not None and args.epochs < 1:
        raise UsageError("--epochs must be at least 1")
    if not 0.0 < args.hard_fraction < 1.0:
        raise UsageError("--hard-fraction must be in (0, 1)")
    if not 0.0 < args.test_size < 1.0:
        raise UsageError("--test-size must be in (0, 1)")
    if args.cv is not None and args.cv < 2:
        raise UsageError("--cv must be at least 2")
    if args.max_samples is not None and args.max_samples < 10:
        raise UsageError("--max-samples must be at least 10")
    if args.n_jobs is not None and args.n_jobs == 0:
        raise UsageError("--n-jobs must not be 0")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not args.overwrite:
        raise UsageError(
            f"--out {str(out)!r} exists and is not empty; pass --overwrite to "
            "replace it"
        )
    return arms, seeds, out


def _command_record(args, seeds, n_jobs, result):
    """The command line, the resolved settings and the software versions."""
    import torch

    return {
        "argv": ["sksoft", "audit", *args._argv],
        "settings": {
            "dataset": args.dataset,
            "arms": result.arms,
            "seeds": seeds,
            "epochs": result.params["max_epochs"],
            "hard_fraction": args.hard_fraction,
            "test_size": None if args.cv else args.test_size,
            "cv": args.cv,
            "max_samples": args.max_samples,
            "n_jobs": n_jobs,
            "random_state": args.random_state,
        },
        "versions": {
            "sksoft": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "torch": torch.__version__,
        },
        "elapsed_s": round(result.elapsed, 3),
    }


def _audit(args):
    arms, seeds, out = _check_args(args)
    max_samples = args.max_samples
    if max_samples is None and args.dataset in ("mnist", "cifar10h"):
        max_samples = 3000
    data = load_audit_data(
        args.dataset,
        data_home=args.data_home,
        max_samples=max_samples,
        random_state=args.random_state,
        download=not args.offline,
    )
    n_jobs = args.n_jobs
    if n_jobs is None:
        n_jobs = max(1, min(os.cpu_count() or 1, 8, len(arms) * len(seeds)))
    n_runs = len(arms) * len(seeds) * (args.cv or 1)
    bar = None if args.quiet else ProgressBar(n_runs)
    try:
        result = audit.run_audit(  # the first use of audit.run_audit loads torch
            data["X"],
            data["gold"],
            data["human"],
            counts=data["counts"],
            classes=data["classes"],
            groups=data.get("groups"),
            arms=arms,
            seeds=seeds,
            max_epochs=args.epochs,
            hard_fraction=args.hard_fraction,
            test_size=args.test_size,
            cv=args.cv,
            n_jobs=n_jobs,
            random_state=args.random_state,
            provenance=data["provenance"],
            progress=bar,
        )
    except ValueError as exc:
        # the data checks of run_audit's validation (before any training)
        message = " ".join(str(exc).split())
        raise UsageError(f"{args.dataset}: {message}") from None

    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    try:
        result.write_report(tmp, figures=not args.no_figures)
        (tmp / "command.json").write_text(
            json.dumps(_command_record(args, seeds, n_jobs, result), indent=1) + "\n"
        )
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not args.quiet:
        print(f"report written to {out / 'report.md'}", file=sys.stderr)
    return 0


def main(argv=None):
    """Entry point of ``sksoft`` / ``python -m sksoft``.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name (``sys.argv[1:]`` by default).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on bad arguments or bad data (one line on
        stderr, nothing written), 1 on a failure during training.

    Examples
    --------
    >>> from sksoft.cli import main
    >>> main(["audit", "--seeds", "0"])  # the message goes to stderr
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a bad argument (2, one line)
        return exc.code if isinstance(exc.code, int) else 2
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    args._argv = argv[1:]
    try:
        return _audit(args)
    except UsageError as exc:
        print(f"sksoft audit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sksoft audit: interrupted; nothing written", file=sys.stderr)
        return 130
