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

import sys
import time

from .. import __version__
from ..audit import DATASETS, MODELS, UsageError, load_audit_data  # noqa: F401
from ..utils._folders import FolderError
from ..utils._signals import sigterm_as_interrupt
from . import audit as _audit_command
from . import evaluate as _evaluate_command
from ._errors import cli_terms
from ._parser import OneLineParser, add_command, parse
from ._progress import ProgressBar  # noqa: F401  (sksoft.cli.ProgressBar)
from .audit import (  # noqa: F401  (names of the former sksoft/cli.py)
    DEFAULT_SEEDS,
    DEFAULT_SEEDS_OTHER,
    _default_seed_count,
    _parse_arms,
    _parse_hidden,
    _parse_seeds,
)

__all__ = ["main"]

#: the sub-commands: name -> module with HELP, DESCRIPTION, FILE_FORMATS,
#: add_arguments and run(args, prog)
COMMANDS = {"audit": _audit_command, "evaluate": _evaluate_command}


def _build_parser():
    parser = OneLineParser(
        prog="sksoft",
        description="sksoft: learning from soft labels, the scikit-learn way.",
    )
    parser.add_argument("--version", action="version", version=f"sksoft {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=OneLineParser)
    for name, module in COMMANDS.items():
        add_command(
            sub,
            name,
            help=module.HELP,
            description=module.DESCRIPTION,
            epilog=module.FILE_FORMATS,
            add_arguments=module.add_arguments,
        )
    return parser


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
    args, status = parse(parser, argv)
    if args is None:  # --help (0) or a bad argument (2, one line)
        return status
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    args._argv = argv[1:]
    args._start = start
    prog = f"sksoft {args.command}"
    try:
        with sigterm_as_interrupt():  # a kill or a job timeout cleans up like Ctrl-C
            return COMMANDS[args.command].run(args, prog)
    except (UsageError, FolderError) as exc:
        print(f"{prog}: error: {cli_terms(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing written", file=sys.stderr)
        return 130
