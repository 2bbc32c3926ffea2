"""Data home, checksummed downloads and the offline error shared by the loaders.

Files are looked up in ``data_home`` itself and in ``data_home/<subdir>`` (so a
folder holding the files directly, such as a read-only copy of the data, works
as well as the default cache layout). A file that is present is only read,
never rewritten. A missing file is downloaded into ``data_home/<subdir>``
through a temporary file that is checked before it is renamed into place.
"""

import gzip
import hashlib
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

__all__ = ["get_data_home"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """A public file: its name, mirrors and the digests it may match.

    A file is accepted when any given digest matches: ``md5`` / ``sha256`` of
    the bytes as stored, or ``md5_decompressed`` of the gunzipped bytes (for
    gzip files that were re-compressed, whose compressed bytes differ).
    """

    filename: str
    urls: tuple
    md5: str | None = None
    sha256: str | None = None
    md5_decompressed: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


def get_data_home(data_home=None):
    """Folder where sksoft keeps downloaded data sets.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder. Default: the ``SKSOFT_DATA`` environment variable, else
        ``~/sksoft_data``. The folder is not created here (only a download
        creates it), so read-only data folders work.

    Returns
    -------
    data_home : pathlib.Path

    Examples
    --------
    >>> from sksoft.datasets import get_data_home
    >>> str(get_data_home("/tmp/my_data"))
    '/tmp/my_data'
    """
    if data_home is None:
        data_home = os.environ.get("SKSOFT_DATA", os.path.join("~", "sksoft_data"))
    return Path(os.fspath(data_home)).expanduser()


def _digest(path, algorithm, decompress=False):
    h = hashlib.new(algorithm)
    opener = gzip.open if decompress else open
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _checksum_ok(path, remote):
    """True when any digest known for ``remote`` matches the file at ``path``."""
    if remote.sha256 is not None and _digest(path, "sha256") == remote.sha256:
        return True
    if remote.md5 is not None and _digest(path, "md5") == remote.md5:
        return True
    if remote.md5_decompressed is not None:
        try:
            if _digest(path, "md5", decompress=True) == remote.md5_decompressed:
                return True
        except (OSError, EOFError):  # not a gzip file
            pass
    return False


def _expected(remote):
    parts = []
    if remote.md5:
        parts.append(f"md5 {remote.md5}")
    if remote.sha256:
        parts.append(f"sha256 {remote.sha256}")
    if remote.md5_decompressed:
        parts.append(f"md5 of the decompressed bytes {remote.md5_decompressed}")
    return " or ".join(parts)


def _candidates(data_home, subdir, extra=()):
    return [data_home, data_home / subdir] + [data_home / e for e in extra]


def _locate(remote, data_home, subdir, extra=()):
    """Path of a present, verified copy of ``remote`` (None when absent)."""
    for folder in _candidates(data_home, subdir, extra):
        path = folder / remote.filename
        if path.is_file():
            if not _checksum_ok(path, remote):
                raise OSError(
                    f"{path} exists but its checksum differs from the expected "
                    f"{_expected(remote)}; the file is corrupt or a different "
                    "version. Delete it to download it again."
                )
            return path
    return None


def _download(remote, folder):
    """Download ``remote`` into ``folder`` trying each mirror; verify; return path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / remote.filename
    errors = []
    for url in remote.urls:
        fd, tmp = tempfile.mkstemp(
            prefix=remote.filename + ".", suffix=".part", dir=folder
        )
        try:
            with os.fdopen(fd, "wb") as out, urlopen(url, timeout=60) as response:
                shutil.copyfileobj(response, out, _CHUNK)
            if not _checksum_ok(tmp, remote):
                errors.append(
                    f"{url}: checksum mismatch (expected {_expected(remote)})"
                )
                os.unlink(tmp)
                continue
            os.replace(tmp, target)
            return target
        except (URLError, OSError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
            if os.path.exists(tmp):
                os.unlink(tmp)
    mismatch = all("checksum mismatch" in e for e in errors)
    reason = (
        "every download had the wrong checksum"
        if mismatch
        else ("could not download it (no network access?)")
    )
    raise OSError(
        f"{remote.filename} is not in {folder} and {reason}:\n  "
        + "\n  ".join(errors)
        + f"\nPlace a verified copy in {folder} (or pass data_home) and retry."
    )


def fetch_file(remote, data_home, subdir, download_if_missing=True):
    """Return the path of a verified copy of ``remote``, downloading if allowed."""
    path = _locate(remote, data_home, subdir)
    if path is not None:
        return path
    if not download_if_missing:
        searched = ", ".join(str(p) for p in _candidates(data_home, subdir))
        raise OSError(
            f"{remote.filename} was not found in {searched} and "
            "download_if_missing=False. Download it from "
            f"{remote.urls[0]} or call again with download_if_missing=True."
        )
    return _download(remote, data_home / subdir)


def fetch_from_archive(
    archive, members, data_home, subdir, download_if_missing=True, extra=(), also=()
):
    """Verified paths of the files ``members``, extracted from ``archive`` if needed.

    Each member (a :class:`RemoteFile` whose ``filename`` is the member's base
    name and whose digest is known) is looked up in ``data_home``,
    ``data_home/<subdir>`` and ``data_home/<e>`` for ``e`` in ``extra``. When
    one is missing, the zip ``archive`` is downloaded (its own digest may be
    unknown: the extracted members are what is checked), every member is
    extracted into ``data_home/<subdir>`` and checked against its digest
    before it is renamed into place, and the archive is deleted. The files
    ``also`` (more :class:`RemoteFile` members) are extracted and checked with
    them, so that one download serves later calls.

    Returns
    -------
    paths : dict
        ``{member filename: pathlib.Path}``.
    """
    found = {m.filename: _locate(m, data_home, subdir, extra) for m in members}
    if all(p is not None for p in found.values()):
        return found
    missing = [name for name, p in found.items() if p is None]
    if not download_if_missing:
        searched = ", ".join(str(p) for p in _candidates(data_home, subdir, extra))
        raise OSError(
            f"{', '.join(missing)} not found in {searched} and "
            f"download_if_missing=False. Download {archive.urls[0]}, unzip it "
            f"into {data_home / subdir} or call again with download_if_missing=True."
        )
    folder = data_home / subdir
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in archive.urls:
        fd, tmp = tempfile.mkstemp(
            prefix=archive.filename + ".", suffix=".part", dir=folder
        )
        try:
            with os.fdopen(fd, "wb") as out, urlopen(url, timeout=60) as response:
                shutil.copyfileobj(response, out, _CHUNK)
            problems = _extract_members(tmp, list(members) + list(also), folder)
            if not problems:
                return {m.filename: folder / m.filename for m in members}
            errors.append(f"{url}: " + "; ".join(problems))
        except (URLError, OSError, ValueError, zipfile.BadZipFile) as exc:
            errors.append(f"{url}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    mismatch = all("checksum mismatch" in e or "no member" in e for e in errors)
    reason = (
        "the downloaded archive did not hold the expected files"
        if mismatch
        else "could not download it (no network access?)"
    )
    raise OSError(
        f"{', '.join(missing)} is not in {folder} and {reason}:\n  "
        + "\n  ".join(errors)
        + f"\nUnzip a verified copy of {archive.filename} into {folder} "
        "(or pass data_home) and retry."
    )


def _extract_members(zip_path, members, folder):
    """Extract and verify ``members`` from a zip; a list of problems (empty: ok)."""
    problems = []
    with zipfile.ZipFile(zip_path) as zf:
        entries = {}
        for info in zf.infolist():
            name = info.filename
            if info.is_dir() or name.startswith("__MACOSX/") or "/._" in name:
                continue
            entries.setdefault(name.rsplit("/", 1)[-1], info)
        staged = []
        for remote in members:
            info = entries.get(remote.filename)
            if info is None:
                problems.append(f"no member {remote.filename!r}")
                continue
            fd, tmp = tempfile.mkstemp(
                prefix=remote.filename + ".", suffix=".part", dir=folder
            )
            with os.fdopen(fd, "wb") as out, zf.open(info) as src:
                shutil.copyfileobj(src, out, _CHUNK)
            if _checksum_ok(tmp, remote):
                staged.append((tmp, folder / remote.filename))
            else:
                problems.append(
                    f"{remote.filename}: checksum mismatch "
                    f"(expected {_expected(remote)})"
                )
                os.unlink(tmp)
    if problems:
        for tmp, _ in staged:
            os.unlink(tmp)
        return problems
    for tmp, target in staged:
        os.replace(tmp, target)
    return []
