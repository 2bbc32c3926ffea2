"""The audit's progress bar (private)."""

import math
import sys
import time


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
