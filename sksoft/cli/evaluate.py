"""``sksoft evaluate``: score given predictions (:func:`sksoft.evaluate_predictions`).

Needs neither pandas nor matplotlib: without matplotlib the reliability
diagrams are skipped with a one-line note (``sksoft[plot]`` draws them).
"""

import math
import sys

from ..evaluation import TIE_CONVENTIONS, evaluate_predictions
from ..utils._extras import INSTALL, has
from ..utils._folders import FolderError, check_out_folder, write_folder
from ._errors import cli_terms
from ._parser import parse, standalone

__all__ = ["evaluate_main"]

PROG = "sksoft evaluate"
#: the ``--help`` line of the sub-command
HELP = "evaluate given predicted probabilities against human labels"

#: the description of ``python -m sksoft evaluate``
DESCRIPTION = (
    "Evaluate given predicted probabilities (of models trained anywhere) "
    "against human labels, and gold labels if given: every metric named by its "
    "reference, on all, hard and easy items, with bootstrap intervals over "
    "items; writes a report folder to --out."
)


#: the ``--help`` epilog of ``python -m sksoft evaluate``: the file formats
FILE_FORMATS = """\
files (every file has the same n rows, one per item, in the same order):
  --probs NAME=PATH[,PATH...]  one model's predicted probabilities, (n, K):
        a .npy (numpy.save) 2-D float array, or a .csv with one row per item
        and one column per class (an optional header row is skipped); rows
        are probabilities (>= 0, summing to 1), columns in class order.
        Several paths are the model's seeds (pooled and compared); repeat
        --probs for more models (compared pairwise).
  --counts PATH  human vote counts (n, K), non-negative, at least one vote
        per row; OR --soft-labels PATH  human label distributions (n, K),
        rows summing to 1. Same formats as --probs.
  --gold PATH  optional gold labels (n,), .npy or a one-column .csv: column
        positions 0..K-1, or class names listed in --classes.
writes to --out: report.md, results.csv, differences.csv and one
  reliability_NN.png per model (all vs hard samples, human soft labels);
  with --annotators also budget.csv and budget.png.
"""


def _parse_probs(specs):
    probs = {}
    for spec in specs:
        name, sep, paths = spec.partition("=")
        if not sep or not name or not paths:
            raise ValueError(f"--probs expects NAME=PATH[,PATH...]; got {spec!r}.")
        if name in probs:
            raise ValueError(f"--probs names model {name!r} twice.")
        files = [p for p in paths.split(",") if p]
        probs[name] = files if len(files) > 1 else files[0]
    return probs


def _parse_annotators(text):
    """``"1,3,5"`` -> ``[1, 3, 5]``: integers >= 1, each once."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1 or len(set(values)) != len(values):
        raise ValueError(
            f"--annotators must be a comma list of distinct integers >= 1, e.g. "
            f"1,3,5,10; got {text!r}"
        )
    return sorted(values)


def add_arguments(p):
    """Add the options of ``evaluate`` to an argparse parser (or subparser)."""
    p.add_argument(
        "--probs",
        action="append",
        required=True,
        metavar="NAME=PATH[,PATH...]",
        help="a model's probabilities (.npy/.csv); several paths are its seeds; "
        "repeat for more models",
    )
    human = p.add_mutually_exclusive_group(required=True)
    human.add_argument("--counts", metavar="PATH", help="human vote counts (.npy/.csv)")
    human.add_argument(
        "--soft-labels", metavar="PATH", help="human soft labels (.npy/.csv)"
    )
    p.add_argument(
        "--gold", metavar="PATH", help="gold labels (.npy/.csv, one per item)"
    )
    p.add_argument("--classes", help="comma-separated class names, in the column order")
    p.add_argument(
        "--hard-fraction",
        type=float,
        default=0.2,
        help="share of items with the highest human-label entropy counted as "
        "hard, ties included (0.2)",
    )
    p.add_argument(
        "--n-bins",
        type=int,
        default=15,
        help="uniform confidence bins of the ECEs (15)",
    )
    p.add_argument(
        "--ties",
        choices=TIE_CONVENTIONS,
        default="sksoft",
        help="tie rule of top-1 agreement and RankCS (sksoft; baan2022: the "
        "published code's)",
    )
    p.add_argument(
        "--temperature",
        default=None,
        help="also evaluate each model scaled by a temperature > 0, or 'fit' "
        "(fitted against the human labels, cross-fitted over 5 folds)",
    )
    p.add_argument(
        "--calibrate",
        choices=("temperature", "vector", "dirichlet"),
        default=None,
        help="also evaluate each model calibrated against the human labels, "
        "cross-fitted over the items (temperature = --temperature fit)",
    )
    p.add_argument(
        "--calibrate-folds",
        type=int,
        default=5,
        metavar="K",
        help="folds of --calibrate's cross-fitting (5)",
    )
    p.add_argument(
        "--annotators",
        default=None,
        metavar="N[,N...]",
        help="annotation budgets, e.g. 1,3,5,10,20,50: every metric against "
        "labels of N annotators per item (repeated draws; needs --counts); "
        "writes budget.csv, budget.png and a saturation section",
    )
    p.add_argument(
        "--n-draws",
        type=int,
        default=20,
        help="draws of N votes per item for --annotators (20)",
    )
    p.add_argument(
        "--n-bootstrap",
        type=int,
        default=1000,
        help="bootstrap resamples of the items for the intervals (1000; 0: none)",
    )
    p.add_argument(
        "--random-state", type=int, default=0, help="seed of the resampling (0)"
    )
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out folder"
    )
    p.add_argument(
        "--no-figures",
        action="store_true",
        help="skip the reliability diagrams (also skipped, with a note, "
        "without matplotlib)",
    )
    return p


def check_options(args):
    """The option checks that need no file, in the command's terms."""
    if not 0.0 < args.hard_fraction < 1.0:
        raise ValueError("--hard-fraction must be in (0, 1)")
    if args.n_bins < 1:
        raise ValueError("--n-bins must be at least 1")
    if args.n_bootstrap < 0:
        raise ValueError("--n-bootstrap must be at least 0")
    temperature = args.temperature
    if temperature is not None and temperature != "fit":
        try:
            temperature = float(temperature)
        except ValueError:
            temperature = math.nan
        if not (math.isfinite(temperature) and temperature > 0):
            raise ValueError(
                f"--temperature must be a number > 0 or 'fit'; got {args.temperature!r}"
            )
    if args.calibrate_folds < 2:
        raise ValueError("--calibrate-folds must be at least 2")
    if args.n_draws < 1:
        raise ValueError("--n-draws must be at least 1")
    if args.annotators is not None:
        args.annotators = _parse_annotators(args.annotators)
        if args.counts is None:
            raise ValueError(
                "--annotators subsamples each item's votes: it needs --counts, "
                "not --soft-labels"
            )
    classes = None
    if args.classes is not None:
        classes = [c.strip() for c in args.classes.split(",")]
        if not all(classes):
            raise ValueError(f"--classes has an empty name: {args.classes!r}")
    return temperature, classes, check_out_folder(args.out, args.overwrite)


def figures_wanted(args, prog=PROG):
    """Whether to draw the figures: not with ``--no-figures``, and not without
    matplotlib (then one line on stderr says so, before any work)."""
    if args.no_figures:
        return False
    if not has("matplotlib"):
        print(
            f"{prog}: note: matplotlib is not installed, so the report has no "
            f"figures (pip install {INSTALL['matplotlib']}, or pass --no-figures)",
            file=sys.stderr,
        )
        return False
    return True


def run(args, prog=PROG):
    """Run the parsed ``evaluate`` command: the exit status, 0 or 2.

    Bad options, unreadable or inconsistent files: one line on stderr, exit
    code 2, nothing written. The report is written into a new folder next to
    ``--out`` and moved into place when complete.
    """
    try:
        temperature, classes, out = check_options(args)
        figures = figures_wanted(args, prog)
        result = evaluate_predictions(
            _parse_probs(args.probs),
            counts=args.counts,
            soft_labels=args.soft_labels,
            gold=args.gold,
            classes=classes,
            hard_fraction=args.hard_fraction,
            n_bins=args.n_bins,
            ties=args.ties,
            temperature=temperature,
            n_bootstrap=args.n_bootstrap,
            random_state=args.random_state,
            calibrate=args.calibrate,
            calibration_cv=args.calibrate_folds,
            annotators=args.annotators,
            n_draws=args.n_draws,
        )
        write_folder(out, lambda tmp: result.write_report(tmp, figures=figures))
    except (ValueError, TypeError, OSError, FolderError) as exc:
        print(f"{prog}: error: {cli_terms(exc)}", file=sys.stderr)
        return 2
    print(f"{prog}: report written to {out / 'report.md'}", file=sys.stderr)
    return 0


def evaluate_main(argv=None):
    """Command-line entry of ``python -m sksoft evaluate``.

    The same command as ``python -m sksoft evaluate`` (:func:`sksoft.cli.main`
    with ``"evaluate"`` first), for callers that hold only the evaluate
    arguments.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments (``sys.argv[1:]`` when None).

    Returns
    -------
    status : int
        0 on success, 2 on bad input (a one-line error on stderr, nothing
        written).

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sksoft.evaluation import evaluate_main
    >>> d = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> np.save(os.path.join(d, "p.npy"), rng.dirichlet(np.ones(3), size=60))
    >>> np.save(os.path.join(d, "c.npy"), rng.multinomial(5, [0.5, 0.3, 0.2], 60))
    >>> evaluate_main(["--probs", "m=" + os.path.join(d, "p.npy"), "--counts",
    ...                os.path.join(d, "c.npy"), "--n-bootstrap", "20",
    ...                "--out", os.path.join(d, "report")])
    0
    >>> sorted(os.listdir(os.path.join(d, "report")))[:3]
    ['differences.csv', 'reliability_00.png', 'report.md']
    """
    parser = standalone(
        PROG, description=DESCRIPTION, epilog=FILE_FORMATS, add_arguments=add_arguments
    )
    args, status = parse(parser, argv)
    return status if args is None else run(args)
