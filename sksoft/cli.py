"""Command line: ``python -m sksoft audit`` / ``evaluate`` (console script ``sksoft``).

The ``audit`` sub-command trains one model per supervision arm and seed, compares
them with :func:`sksoft.audit.run_audit` and writes a report folder::

    python -m sksoft audit --out audit-report

The ``evaluate`` sub-command measures predictions made elsewhere (files of
predicted probabilities, human counts or soft labels, optional gold labels) with
:func:`sksoft.evaluate_predictions` and writes the same kind of folder::

    python -m sksoft evaluate --probs mine=p.npy --counts votes.csv --out report

Run ``python -m sksoft audit --help`` (or ``evaluate --help``) for every option
and the file formats. Both commands use exit code 0 on success and 2 with a
one-line message on stderr for bad arguments or bad files. Bad arguments or bad data
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
- every other column is a numeric feature; **or**, for texts, one ``text``
  column (one text per item) or the columns ``text_1``, ``text_2``, ... (numbered
  from 1 without gaps, e.g. premise and hypothesis), and then no other column.
  Every text must be non-empty; the default text model (TF-IDF per column, then
  a linear soft-label net) is used.

Vote counts need at least one vote per row, and the largest row sum may be at
most 10 times the smallest (VADER's 15 to 99 ratings pass); otherwise give
normalised ``soft_<class>`` columns.

``target`` may be left out (``.npz`` key or ``.csv`` column) when only the arms
that need no gold label are asked for (``--arms human_mode,human_soft``); arms
that need gold labels then stop with exit code 2. Human labels are always
required: the audit measures models against them. When they are simulated,
say so (an ``.npz`` key ``simulated``: True or a text saying how; a line
``# simulated: how`` before the ``.csv`` header; or ``--simulated-labels``), and
the report calls them simulated instead of human.

**The model** (``--model``): ``mlp`` (default for features; ``--hidden 128`` or
``--hidden 128,64``), ``logistic`` (no hidden layer) or ``cnn`` (images only,
default for them; ``--width 16``), see :func:`sksoft.audit.default_estimator`.
**Seeds**: ``--seeds 5`` means seeds 0-4, ``--seeds 0,7,9`` those seeds, and one
seed is ``--seeds 7,`` or ``--seed-list 7``.
"""

import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np
import sklearn

from . import __version__, audit, evaluation
from .audit._data import DATASETS, MODELS, UsageError, load_audit_data  # noqa: F401
from .audit._report import run_time_line
from .datasets._registry import dataset_help, dataset_names, get_dataset_spec
from .sources import ARM_NAMES, DEFAULT_ARMS
from .utils._folders import FolderError, check_out_folder, write_folder

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


def _parse_seeds(text, name="seeds"):
    """``"3"`` -> seeds 0, 1, 2; ``"0,7,9"`` and ``"7,"`` -> those seeds.

    A comma makes a list, so one seed is ``"7,"``; ``--seed-list`` (``name``)
    is always a list.
    """
    items = _split_list(text, name)
    try:
        values = [int(t) for t in items]
    except ValueError:
        what = "a count (e.g. 3) or " if name == "seeds" else ""
        raise UsageError(
            f"--{name} must be {what}a comma list of integers, got {text!r}"
        ) from None
    if name == "seeds" and "," not in str(text):
        if values[0] < 1:
            raise UsageError("--seeds must be at least 1")
        return list(range(values[0]))
    if len(set(values)) != len(values) or min(values) < 0:
        raise UsageError(f"--{name} lists a seed twice or a negative seed")
    return values


def _parse_hidden(text):
    """``"128"`` -> (128,); ``"128,64"`` -> (128, 64)."""
    try:
        sizes = tuple(int(t) for t in _split_list(text, "hidden"))
    except ValueError:
        raise UsageError(
            f"--hidden must be a width or a comma list of widths, got {text!r}"
        ) from None
    if min(sizes) < 1:
        raise UsageError("--hidden widths must be at least 1")
    return sizes


# ---------------------------------------------------------------- the command


_FILE_FORMATS = """\
your own data (--dataset PATH):
  .npz  keys: data (n, n_features) or images (n, H, W[, C]); target (n,) gold
        labels; counts (n, K) human votes OR soft_target (n, K) human label
        distributions; optional classes (K,) in column order.
  .csv  header row; column target (gold label); columns count_<class> OR
        soft_<class> (one per class); every other column a numeric feature,
        OR texts: one column text, or columns text_1, text_2, ... (a pair such
        as premise/hypothesis; numbered from 1 without gaps) and no other
        column. Texts must be non-empty.
  Without target only --arms human_mode,human_soft can run.
  Simulated labels: a key simulated (True, or a text saying how) in the .npz,
  a first line "# simulated: how" in the .csv, or --simulated-labels; the
  report then calls them simulated, not human.
  Vote counts: at least one vote per row, largest row sum at most 10x the
  smallest (else give soft_<class> columns).

seeds: --seeds 5 runs seeds 0..4; --seeds 0,7,9 those seeds; one seed needs
  a comma (--seeds 7,) or --seed-list 7.
models (--model): mlp (default for features: StandardScaler + one hidden
  layer, --hidden 100), logistic (no hidden layer: softmax regression),
  cnn (images only, the default for them: a small CNN, --width 16).

built-in text data sets (real human labels, read from --data-home or
downloaded): vader (23,703 texts, 15-99 ratings each, 3 classes), chaosnli-snli,
chaosnli-mnli, chaosnli-alphanli (100 new labels per item; gold = the original
label, so the report's mode-shift rate compares it with the new majority).
"""


#: default ``--seeds`` on the embedded data set, and on any other data (their
#: runs cost more; 10 seeds of the text data set fit in a few minutes)
DEFAULT_SEEDS = 20
DEFAULT_SEEDS_OTHER = 10


def _default_seed_count(dataset):
    """The command's default number of seeds for ``--dataset``.

    A registered data set's ``seeds`` (:mod:`sksoft.datasets._registry`), else
    :data:`DEFAULT_SEEDS_OTHER` (a user file).

    Examples
    --------
    >>> from sksoft.cli import _default_seed_count
    >>> _default_seed_count("ambiguous-digits"), _default_seed_count("cifar10h")
    (20, 10)
    """
    if dataset in dataset_names():
        return get_dataset_spec(dataset).seeds
    return DEFAULT_SEEDS_OTHER


def _build_parser():
    parser = _OneLineParser(
        prog="sksoft",
        description="sksoft: learning from soft labels, the scikit-learn way.",
    )
    parser.add_argument("--version", action="version", version=f"sksoft {__version__}")
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
        help=dataset_help(),
    )
    audit_parser.add_argument("--data-home", default=None, help="download/cache folder")
    audit_parser.add_argument(
        "--simulated-labels",
        action="store_true",
        help=(
            "the human labels of your file are simulated (the report then says "
            "so instead of calling them human)"
        ),
    )
    audit_parser.add_argument(
        "--offline",
        action="store_true",
        help="never download: the real data sets must already be in --data-home",
    )
    audit_parser.add_argument(
        "--arms",
        default=",".join(DEFAULT_ARMS),
        help=(
            f"comma list of arms (default: {','.join(DEFAULT_ARMS)}; also "
            f"available: {','.join(a for a in ARM_NAMES if a not in DEFAULT_ARMS)})"
        ),
    )
    seeds = audit_parser.add_mutually_exclusive_group()
    seeds.add_argument(
        "--seeds",
        default=None,
        help=(
            f"number of seeds or a comma list of seeds (default {DEFAULT_SEEDS} on "
            f"the embedded ambiguous-digits, {DEFAULT_SEEDS_OTHER} on other data: "
            "about 19 seeds give 80%% power to detect a halved seed spread); "
            "one seed: --seeds 7, (with the comma)"
        ),
    )
    seeds.add_argument(
        "--seed-list",
        default=None,
        metavar="SEEDS",
        help="comma list of seeds, also one seed: --seed-list 7",
    )
    audit_parser.add_argument(
        "--model",
        choices=MODELS,
        default=None,
        help=(
            "estimator family: mlp (default for features), logistic (no hidden "
            "layer), cnn (images only; default for images)"
        ),
    )
    audit_parser.add_argument(
        "--hidden",
        default=None,
        metavar="WIDTHS",
        help="--model mlp: hidden-layer widths, e.g. 128 or 128,64 (default 100)",
    )
    audit_parser.add_argument(
        "--width",
        type=int,
        default=None,
        help="--model cnn: channels of the first convolution (default 16)",
    )
    audit_parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="training epochs (default: 40 for features, 12 for images, 8 for texts)",
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
        help=(
            "cross-validate: K folds, every sample predicted once out of fold "
            "(instead of one held-out split)"
        ),
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
    evaluate_parser = sub.add_parser(
        "evaluate",
        help="evaluate given predicted probabilities against human labels",
        description=evaluation.DESCRIPTION,
        epilog=evaluation.FILE_FORMATS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluation._add_arguments(evaluate_parser)
    return parser


def _check_args(args):
    """The argument checks that need no data: all made before any download.

    The data (and the arms against the data) are checked once, by
    :func:`sksoft.audit.run_audit`, whose ``ValueError`` becomes exit code 2.
    """
    arms = _parse_arms(args.arms)
    if args.seed_list is not None:
        seeds = _parse_seeds(args.seed_list, "seed-list")
    else:
        seeds = _parse_seeds(
            args.seeds
            if args.seeds is not None
            else str(_default_seed_count(args.dataset))
        )
    if args.hidden is not None:
        args.hidden = _parse_hidden(args.hidden)
        if args.model in ("logistic", "cnn"):
            raise UsageError(
                f"--hidden sets the mlp's layers, not --model {args.model}"
            )
    if args.width is not None:
        if args.width < 1:
            raise UsageError("--width must be at least 1")
        if args.model in ("mlp", "logistic"):
            raise UsageError(
                f"--width sets the cnn's channels, not --model {args.model}"
            )
    if args.simulated_labels and args.dataset in dataset_names():
        raise UsageError(
            f"--simulated-labels is for your own files; {args.dataset} states "
            "its labels' kind itself"
        )
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
    return arms, seeds, check_out_folder(args.out, args.overwrite)


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
            "model": args.model,
            "hidden": None if args.hidden is None else list(args.hidden),
            "width": args.width,
            "simulated_labels": args.simulated_labels,
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


def _estimator(args, data):
    """Model input, estimator and epochs: ``(X, None, epochs)`` without --model.

    With ``--model``, ``--hidden`` or ``--width`` the command builds the
    estimator with :func:`sksoft.audit.default_estimator` (which needs the
    model input to choose the CNN's channels); otherwise ``run_audit`` builds
    its default.
    """
    if args.model is None and args.hidden is None and args.width is None:
        return data["X"], None, args.epochs
    try:  # the first use of these package attributes loads torch
        X = audit.as_model_input(data["X"])
    except ValueError as exc:
        raise UsageError(f"{args.dataset}: {' '.join(str(exc).split())}") from None
    images = X.ndim == 4
    kind = "images" if images else "2-D features"
    if args.model == "cnn" and not images:
        raise UsageError(
            f"--model cnn needs images; {args.dataset} has {kind}: use --model "
            "mlp or --model logistic"
        )
    if args.model is None and images and args.hidden is not None:
        raise UsageError(
            f"--hidden sets the mlp, but {args.dataset} has images (default "
            "--model cnn): add --model mlp, or use --width"
        )
    if args.model is None and not images and args.width is not None:
        raise UsageError(
            f"--width sets the cnn, but {args.dataset} has 2-D features (default "
            "--model mlp): use --hidden"
        )
    epochs = args.epochs if args.epochs is not None else audit.default_max_epochs(X)
    size = args.hidden if args.hidden is not None else args.width
    estimator = audit.default_estimator(
        X, data["human"].shape[1], max_epochs=epochs, model=args.model, size=size
    )
    return X, estimator, epochs


def _audit(args):
    arms, seeds, out = _check_args(args)
    max_samples = args.max_samples
    if max_samples is None and args.dataset in dataset_names():
        max_samples = get_dataset_spec(args.dataset).max_samples
    data = load_audit_data(
        args.dataset,
        data_home=args.data_home,
        max_samples=max_samples,
        random_state=args.random_state,
        download=not args.offline,
        simulated=True if args.simulated_labels else None,
    )
    X, estimator, epochs = _estimator(args, data)
    n_jobs = args.n_jobs
    if n_jobs is None:
        n_jobs = max(1, min(os.cpu_count() or 1, 8, len(arms) * len(seeds)))
    n_runs = len(arms) * len(seeds) * (args.cv or 1)
    bar = None if args.quiet else ProgressBar(n_runs)
    try:
        result = audit.run_audit(  # the first use of audit.run_audit loads torch
            X,
            data["gold"],
            data["human"],
            estimator=estimator,
            counts=data["counts"],
            classes=data["classes"],
            groups=data.get("groups"),
            arms=arms,
            seeds=seeds,
            max_epochs=epochs,
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

    def write(tmp):
        result.write_report(tmp, figures=not args.no_figures, n_jobs=n_jobs)
        # the report's run time is the wall time of the whole command
        wall = time.perf_counter() - args._start
        report = tmp / "report.md"
        report.write_text(
            report.read_text(encoding="utf-8").replace(
                run_time_line(result.elapsed), run_time_line(wall, command=True)
            ),
            encoding="utf-8",
        )
        record = _command_record(args, seeds, n_jobs, result)
        record["elapsed_s"] = round(wall, 3)
        record["run_audit_s"] = round(result.elapsed, 3)
        (tmp / "command.json").write_text(json.dumps(record, indent=1) + "\n")

    write_folder(out, write)
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
    start = time.perf_counter()
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
    args._start = start
    prog = f"sksoft {args.command}"
    try:
        if args.command == "evaluate":
            return evaluation._run_command(args, prog)
        return _audit(args)
    except (UsageError, FolderError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing written", file=sys.stderr)
        return 130
