"""The built wheel and sdist: licence text and metadata (pyproject.toml).

Built offline from a copy of the tracked files with the installed setuptools
(PEP 517 hooks, no build isolation: tests never touch the network).
"""

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

BUILD = """
import sys, warnings
warnings.simplefilter("always")
from setuptools import build_meta
out = sys.argv[1]
print(build_meta.build_wheel(out))
print(build_meta.build_sdist(out))
"""


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    setuptools = pytest.importorskip("setuptools")
    major = int(setuptools.__version__.split(".")[0])
    if major < 77:
        pytest.skip(f"setuptools {setuptools.__version__} < 77 (pyproject needs 77)")
    src = tmp_path_factory.mktemp("src")
    try:
        files = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    for name in files:
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-c", BUILD, str(out)],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    # setuptools prints its warnings to stdout and stderr
    return wheel, sdist, proc.stdout + proc.stderr


def test_licence_file_in_the_wheel_and_the_sdist(dists):
    wheel, sdist, _ = dists
    licence = (REPO / "LICENSE").read_text()
    assert "BSD 3-Clause License" in licence and "sksoft developers" in licence
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if n.endswith("/LICENSE")]
        assert names, zf.namelist()
        assert zf.read(names[0]).decode() == licence
    with tarfile.open(sdist) as tf:
        names = [n for n in tf.getnames() if n.count("/") == 1]
        assert any(n.endswith("/LICENSE") for n in names), names
        member = next(n for n in names if n.endswith("/LICENSE"))
        assert tf.extractfile(member).read().decode() == licence


def test_metadata_licence_expression_and_urls(dists):
    wheel, _, stderr = dists
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        msg = Parser().parsestr(zf.read(meta).decode())
    assert msg["License-Expression"] == "BSD-3-Clause"
    assert msg.get_all("License-File") == ["LICENSE"]
    urls = dict(u.split(", ", 1) for u in msg.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Documentation", "Changelog", "Issues"}
    # setuptools's deprecation of the `license = {text=...}` table
    warnings = [
        line
        for line in stderr.splitlines()
        if "licen" in line.lower() and "deprecat" in line.lower()
    ]
    assert warnings == []
