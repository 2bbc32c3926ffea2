"""The command's error wording: one table, one line (private).

The library speaks of its parameters (``download_if_missing``, ``counts``,
``probs['m'][1]``); the command user knows the options. :func:`cli_terms`
rewrites any error message into the command's terms, on one line, for both
sub-commands.
"""

import re

#: the library's words, and the command's words for them (both sub-commands)
TERMS = (
    # the data-set loaders (audit --dataset)
    ("and download_if_missing=False", "and --offline forbids downloading"),
    ("or call again with download_if_missing=True", "or run again without --offline"),
    ("(or pass data_home)", "(or point --data-home to the folder holding it)"),
    ("pass data_home", "pass --data-home"),
    # evaluate_predictions (evaluate)
    ("pass counts=True", "pass the file with --counts"),
    ("pass classes", "pass --classes"),
    ("one of classes", "one of --classes"),
    ("soft_labels (file", "--soft-labels (file"),
    ("counts (file", "--counts (file"),
)

_PROBS = re.compile(r"probs\[(['\"])(.*?)\1\](?:\[(\d+)\])?")


def cli_terms(message):
    """An error message in the command's terms, on one line.

    ``probs['m'][1] (file p.npy)`` becomes ``--probs m, seed 1 (file p.npy)``;
    hints naming a function argument name the option instead.

    Examples
    --------
    >>> from sksoft.cli._errors import cli_terms
    >>> cli_terms("probs['m'][1] (file p.npy) has NaN;\\n pass classes")
    '--probs m, seed 1 (file p.npy) has NaN; pass --classes'
    """
    msg = " ".join(str(message).split())
    for library, command in TERMS:
        msg = msg.replace(library, command)
    return _PROBS.sub(
        lambda m: f"--probs {m[2]}" + (f", seed {m[3]}" if m[3] else ""), msg
    )
