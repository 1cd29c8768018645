"""nncourse: the instructor toolchain (release, check, autograde) around nbgrader."""
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
