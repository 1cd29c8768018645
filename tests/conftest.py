"""Shared fixtures: the repository root, an nncourse runner and the built book."""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo():
    return REPO


def run_nncourse(*args, cwd=REPO, env=None):
    """Run the installed ``nncourse`` CLI; return the completed process."""
    return subprocess.run([sys.executable, "-m", "nncourse.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env)


@pytest.fixture(scope="session")
def built_book():
    """The book built once per session (``-W -n --keep-going``, into a temporary folder):
    ``(html folder, exit status, log)``. The book tests and the student edition share it."""
    out = Path(tempfile.mkdtemp(prefix="nn-book-"))
    proc = subprocess.run([Path(sys.executable).parent / "jupyter-book", "build", str(REPO),
                           "--path-output", str(out), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, cwd=REPO)
    yield out / "_build" / "html", proc.returncode, proc.stdout + proc.stderr
    shutil.rmtree(out, ignore_errors=True)
