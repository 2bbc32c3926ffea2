"""One torch thread for the duration of a fit, safe for concurrent threads (private).

``torch.set_num_threads`` is not per fit: its MKL part is process-wide, so a fit
that restores the previous thread count when it ends would change the thread
count under fits still running in other threads of the process (joblib's
``threading`` backend, Dask workers with several threads), and a different
number of threads can change the rounding of a reduction. :func:`one_torch_thread`
counts the fits inside it: every fit sets one thread when it starts, and the
count that was there before the first one is restored only when the last one
ends.
"""

import threading
from contextlib import contextmanager

_LOCK = threading.Lock()
_STATE = {"depth": 0, "saved": None}


@contextmanager
def one_torch_thread():
    """Run the block with one torch thread, restoring the count after the last."""
    import torch

    with _LOCK:
        if _STATE["depth"] == 0:
            _STATE["saved"] = torch.get_num_threads()
        _STATE["depth"] += 1
        # in every thread: OpenMP's thread count is a per-thread setting
        if torch.get_num_threads() != 1:
            torch.set_num_threads(1)
    try:
        yield
    finally:
        with _LOCK:
            _STATE["depth"] -= 1
            if _STATE["depth"] == 0:
                saved, _STATE["saved"] = _STATE["saved"], None
                if saved is not None and torch.get_num_threads() != saved:
                    torch.set_num_threads(saved)
