"""Report folders written whole or not at all (private; the commands' helper).

``python -m sksoft audit`` and ``python -m sksoft evaluate`` write their report
into a new folder next to ``--out`` and move it into place only when it is
complete, so a failed or interrupted run never leaves a half-written report
and a finished one never mixes with the files of an earlier run.
"""

import os
import secrets
import shutil
from pathlib import Path


class FolderError(ValueError):
    """``--out`` cannot be used (exists as a file, or is not empty)."""


def check_out_folder(out, overwrite, option="--out"):
    """Refuse a file, or a non-empty folder without ``overwrite``; return a Path."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise FolderError(f"{option} {str(out)!r} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise FolderError(
            f"{option} {str(out)!r} exists and is not empty; pass --overwrite to "
            "replace it"
        )
    return out


def new_folder(parent, prefix):
    """A new, empty folder in ``parent`` whose mode follows the umask.

    ``tempfile.mkdtemp`` creates mode 0700, which the renamed report folder
    would keep; ``os.mkdir`` applies the umask like any folder the user makes.
    """
    parent = Path(parent)
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"cannot create a temporary folder in {parent}")


def write_folder(out, write):
    """Call ``write(tmp)`` on a new folder next to ``out``, then move it to ``out``.

    An existing ``out`` is replaced only after ``write`` returned; on any
    exception (Ctrl-C included) the new folder is removed and ``out`` is left
    as it was. Returns what ``write`` returned.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sksoft.utils._folders import write_folder
    >>> out = Path(tempfile.mkdtemp()) / "report"
    >>> write_folder(out, lambda tmp: (tmp / "a.txt").write_text("x"))
    1
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    out = Path(out)
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = new_folder(parent, f".{out.name}.tmp-")
    try:
        value = write(tmp)
        if out.exists():
            old = new_folder(parent, f".{out.name}.old-")
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return value
