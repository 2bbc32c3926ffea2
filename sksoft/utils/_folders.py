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
    full = Path(os.path.abspath(out))
    if overwrite and full in Path(os.path.abspath(os.getcwd())).parents:
        raise FolderError(
            f"{option} {str(out)!r} holds the current folder, which --overwrite "
            "would delete; write into the current folder (--out .) or another one"
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


def _holds_cwd(out):
    """Whether ``out`` (absolute) is the current folder or one of its parents."""
    cwd = Path(os.path.abspath(os.getcwd()))
    return out == cwd or out in cwd.parents


def write_folder(out, write):
    """Call ``write(tmp)`` on a new folder next to ``out``, then move it to ``out``.

    An existing ``out`` is replaced only after ``write`` returned; on any
    exception (Ctrl-C included) the new folder is removed and ``out`` is left
    as it was. Returns what ``write`` returned.

    When ``out`` is the current folder (``--out .``) or holds it, the folder
    itself cannot be moved: the new folder is then made inside ``out``, and
    when ``write`` returned, ``out``'s earlier entries are removed and the new
    files moved in (file by file, not in one step).

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
    # "." has no name and the parent of "./r" is "."; the absolute path (not
    # resolved: a symbolic link ``out`` is replaced, not its target) has both
    out = Path(os.path.abspath(out))
    if _holds_cwd(out):
        return _write_in_place(out, write)
    parent = out.parent
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


def _write_in_place(out, write):
    """:func:`write_folder` for an ``out`` that holds the current folder."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = new_folder(out, ".sksoft.tmp-")
    try:
        value = write(tmp)
        old = new_folder(out, ".sksoft.old-")
        for entry in out.iterdir():
            if entry not in (tmp, old):
                os.replace(entry, old / entry.name)
        for entry in tmp.iterdir():
            os.replace(entry, out / entry.name)
        tmp.rmdir()
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return value
