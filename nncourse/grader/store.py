"""Graded results kept on disk, one JSON file per student, so a batch can resume.

Each file records a fingerprint of everything the grade depends on: the submission's files,
the source notebook and the reference ``nnlib``. A re-run reuses a result whose fingerprint
still matches and grades the rest; a batch that was interrupted keeps every result written
before the interruption.
"""
import hashlib
import json
import os
import stat
from pathlib import Path

from .intake import read_regular
from .result import Result

MAX_HASHED_BYTES = 100_000_000

IGNORED_PARTS = ("__pycache__", ".ipynb_checkpoints")


def inputs_digest(repo_root, chapter, extra=""):
    """SHA-256 of what every grade of a batch depends on: the reference nnlib, the probes,
    the held-out data, the source notebook and ``extra`` (the grading limits), computed
    once per batch."""
    digest = hashlib.sha256(extra.encode())
    _hash_tree(digest, "nnlib", Path(repo_root) / "nnlib")
    _hash_tree(digest, "probes", Path(__file__).resolve().parent.parent / "probes")
    _hash_tree(digest, "heldout", Path(__file__).resolve().parent.parent / "heldout")
    digest.update(chapter.source_notebook(repo_root).read_bytes())
    return digest.hexdigest()


def fingerprint(submission, inputs):
    """SHA-256 over the submission's files and the batch's ``inputs_digest``."""
    digest = hashlib.sha256(inputs.encode())
    _hash_tree(digest, "submission", Path(submission))
    return digest.hexdigest()


def _hash_tree(digest, label, root):
    """Hash the regular files under ``root`` (links and special files are not followed or
    opened: a FIFO in a submission must not block the batch)."""
    for path in _files(root):
        digest.update(f"{label}/{path.relative_to(root)}\0".encode())
        digest.update(read_regular(path, MAX_HASHED_BYTES, []) or b"")


def _files(root):
    if os.path.islink(root) or not os.path.isdir(root):
        return []
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = sorted(f for f in subfolders if f not in IGNORED_PARTS)
        found += [Path(folder) / f for f in files if _regular(Path(folder) / f)]
    return sorted(found)


def _regular(path):
    """A regular file (a path the system cannot even stat, too long say, is not one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def save(store, result, digest):
    """Write ``store/<student_id>.json`` atomically (a crash never leaves half a file).
    Return False if it cannot be kept (an id too long for a file name, or not text):
    that student is then graded again on a re-run."""
    store.mkdir(parents=True, exist_ok=True)
    record = {"fingerprint": digest, **result.to_dict()}
    path = store / f"{result.student_id}.json"
    partial = path.with_suffix(".json.partial")
    try:
        partial.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)
    except (OSError, UnicodeError):
        return False
    return True


def load(store, student_id, digest):
    """The stored :class:`Result` of ``student_id`` if its fingerprint is ``digest``, else None."""
    path = store / f"{student_id}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("fingerprint") != digest:
        return None
    try:
        return Result.from_dict(record)
    except (KeyError, TypeError, ValueError):  # a store from an older nncourse: grade again
        return None
