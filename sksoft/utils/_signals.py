"""SIGTERM handled like Ctrl-C (private; the commands' helper).

A ``kill``, or the timeout of a CI job or batch system, sends SIGTERM, whose
default action ends the process at once: joblib's worker processes are left
running and a report folder being written stays half-written. Raised as
``KeyboardInterrupt`` in the main thread instead, SIGTERM goes through the
same clean-up as Ctrl-C: joblib stops its workers and the folder writer
removes its temporary folder.
"""

import contextlib
import signal
import threading


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def sigterm_as_interrupt():
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` in the main thread.

    The previous handler is restored on leaving the block. Outside the main
    thread (where Python cannot set signal handlers), or on a platform without
    SIGTERM handlers, the block runs unchanged.

    Examples
    --------
    >>> import os, signal
    >>> from sksoft.utils._signals import sigterm_as_interrupt
    >>> with sigterm_as_interrupt():
    ...     try:
    ...         os.kill(os.getpid(), signal.SIGTERM)
    ...     except KeyboardInterrupt:
    ...         print("interrupted")
    interrupted
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - platform
        yield
        return
    try:
        yield
    finally:
        # None: a handler not set from Python; the default is the best guess
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
