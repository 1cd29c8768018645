"""Shared fixtures: the repository root and an nncourse runner."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo():
    return REPO


def run_nncourse(*args, cwd=REPO):
    """Run the installed ``nncourse`` CLI; return the completed process."""
    return subprocess.run([sys.executable, "-m", "nncourse.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)
