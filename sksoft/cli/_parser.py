"""The one parser helper of the command line (private)."""

import argparse


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line on stderr and exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_command(sub, name, *, help, description, epilog, add_arguments):
    """Add sub-command ``name`` to the sub-parsers ``sub``, its options by
    ``add_arguments(parser)``; the epilog keeps its line breaks."""
    parser = sub.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def standalone(prog, *, description, epilog, add_arguments):
    """A parser for one sub-command alone (``evaluate_main``)."""
    parser = OneLineParser(
        prog=prog,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def parse(parser, argv):
    """``(args, None)``, or ``(None, status)`` when argparse exited (``--help``
    0, a bad argument 2: its one line is printed)."""
    try:
        return parser.parse_args(argv), None
    except SystemExit as exc:
        return None, exc.code if isinstance(exc.code, int) else 2
