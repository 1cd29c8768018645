"""Graded results kept on disk, one JSON file per student, so a batch can resume.

Each file records a fingerprint of everything the grade depends on: the submission's files,
the source notebook and the reference ``nnlib``. A re-run reuses a result whose fingerprint
still matches and grades the rest; a batch that was interrupted keeps every result written
before the interruption.
"""
import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

IGNORED_PARTS = ("__pycache__", ".ipynb_checkpoints")


def inputs_digest(repo_root, chapter, extra=""):
    """SHA-256 of what every grade of a batch depends on: the reference nnlib, the source
    notebook and ``extra`` (the grading limits), computed once per batch."""
    digest = hashlib.sha256(extra.encode())
    _hash_tree(digest, "nnlib", Path(repo_root) / "nnlib")
    digest.update(chapter.source_notebook(repo_root).read_bytes())
    return digest.hexdigest()


def fingerprint(submission, inputs):
    """SHA-256 over the submission's files and the batch's ``inputs_digest``."""
    digest = hashlib.sha256(inputs.encode())
    _hash_tree(digest, "submission", Path(submission))
    return digest.hexdigest()


def _hash_tree(digest, label, root):
    for path in _files(root):
        digest.update(f"{label}/{path.relative_to(root)}\0".encode())
        digest.update(path.read_bytes())


def _files(root):
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and not any(part in IGNORED_PARTS for part in p.parts))


def save(store, result, digest):
    """Write ``store/<student_id>.json`` atomically (a crash never leaves half a file)."""
    store.mkdir(parents=True, exist_ok=True)
    record = {"fingerprint": digest, **asdict(result)}
    record.pop("reused", None)
    path = store / f"{result.student_id}.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def load(store, student_id, digest, make_result):
    """The stored result of ``student_id`` if its fingerprint is ``digest``, else None.

    ``make_result(record)`` rebuilds the result object from the stored dict.
    """
    path = store / f"{student_id}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return make_result(record) if record.get("fingerprint") == digest else None
