"""Take in a submission folder safely: regular files only, never through a link.

Grading reads two things from a submission: the notebook and ``nnlib/**/*.py``. Each is
copied into the grader's own folder before anything else looks at it. A symbolic link, a
FIFO, a device or a socket is refused (and named in the status), so a submission cannot
point the grader at another file or make it block; files are size-capped.
"""
import os
import stat
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20_000_000
MAX_SOURCE_BYTES = 1_000_000
MAX_SOURCES = 200


class Unreadable(Exception):
    """The submission cannot be graded at all; the message is its status."""


def take_in(folder, notebook_name, dest):
    """Copy the notebook to ``dest/<notebook>`` and nnlib's ``.py`` files to
    ``dest/nnlib/``; return notes on what was refused."""
    folder, dest = Path(folder), Path(dest)
    if folder.parent.is_symlink():  # <submissions>/<student_id> -> another student's work
        raise Unreadable("the student folder is a symbolic link; refused")
    _require_folder(folder, "the submission folder")
    notes = []
    notebook = read_regular(folder / notebook_name, MAX_NOTEBOOK_BYTES, notes)
    if notebook is None:
        raise Unreadable(notes[-1] if notes else f"no {folder.name}/{notebook_name} in the submission")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / notebook_name).write_bytes(notebook)
    _take_package(folder / "nnlib", dest / "nnlib", notes)
    return notes


def _require_folder(path, what):
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise Unreadable(f"{what} does not exist") from None
    if not stat.S_ISDIR(mode):
        raise Unreadable(f"{what} is a link or not a folder; refused")


def read_regular(path, max_bytes, notes):
    """The bytes of ``path`` if it is a regular file within ``max_bytes``, else None
    (with a note saying why, unless it simply does not exist)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError:
        notes.append(f"{path.name} is a symbolic link or unreadable; refused")
        return None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            notes.append(f"{path.name} is not a regular file; refused")
            return None
        if info.st_size > max_bytes:
            notes.append(f"{path.name} is larger than {max_bytes // 1000} kB; refused")
            return None
        return fh.read(max_bytes + 1)[:max_bytes]


def _take_package(source, dest, notes):
    """Copy ``source/**/*.py`` (regular files in real folders only) to ``dest``."""
    try:
        _require_folder(source, "nnlib/")
    except Unreadable as problem:
        if source.exists() or os.path.islink(source):
            notes.append(str(problem))
        return
    count = 0
    for root, folders, files in os.walk(source, followlinks=False):
        folders[:] = [f for f in folders if _real_folder(Path(root) / f, notes)]
        for name in sorted(f for f in files if f.endswith(".py")):
            count += 1
            if count > MAX_SOURCES:
                notes.append(f"nnlib/ holds more than {MAX_SOURCES} .py files; the rest were ignored")
                return
            data = read_regular(Path(root) / name, MAX_SOURCE_BYTES, notes)
            if data is not None:
                target = dest / Path(root).relative_to(source) / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)


def _real_folder(path, notes):
    if os.path.islink(path):
        notes.append(f"nnlib/{path.name} is a symbolic link; refused")
        return False
    return path.name != "__pycache__"
