"""The student edition's leak rule, and the scan that enforces it.

A *secret line* is a stripped line of 8 or more characters that the solutions (solution
regions of the reference nnlib, solution cells of the source notebooks) or the hidden
tests (the source notebooks' hidden-test blocks and the trusted checks they call,
``nncourse/probes/<id>.py``) contain and that no public text of the course contains
(:func:`nncourse.check.secret_lines`, plus the checks' lines that no release holds).

- ``exercises/chNN_*/`` (what the release wrote) contains no secret line, except the
  solution lines of chapters before NN, which that folder's nnlib gives as code: the rule
  ``nncourse check`` applies to ``exercises/``.
- Everything else (the book, the chapter notebooks, README, start.py) may repeat a single
  line that a solution or hidden test also contains, since ``for epoch in range(epochs):``
  is how anyone writes it, but never two consecutive lines of one solution region,
  solution cell, hidden-test block or checks file, nor a whole one-line region, when
  those lines include a secret line. The book goes out whole, so no chapter's solution
  is allowed in it.
- No marker (``### BEGIN SOLUTION``...), no instructor folder (``solutions``, ``nncourse``,
  a top-level ``nnlib``) and no file identical to one of the instructor's files.
"""
import hashlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from .chapters import CHAPTERS, chapter_of_function
from .check import FORBIDDEN, HIDDEN_BEGIN, HIDDEN_END, MIN_SECRET_LENGTH, secret_lines
from .solution_regions import BEGIN, END, find_regions, module_name, package_files, solution_lines

INSTRUCTOR_FOLDERS = ("solutions", "nncourse", "mutants", "tests")


@dataclass(frozen=True)
class Secrets:
    """What the scan looks for: see the module docstring."""

    in_release: dict      # chapter number -> secret lines its exercise folder must not hold
    windows: frozenset    # tuples of 1 or 2 consecutive lines of a secret block


def scan_edition(edition, repo_root):
    """Every breach of the rule in ``edition``, as ``"path:line: text"`` strings."""
    edition, repo_root = Path(edition), Path(repo_root)
    secrets = course_secrets(repo_root)
    leaks = instructor_files(edition, repo_root)
    for path in sorted(p for p in edition.rglob("*") if p.is_file()):
        relative = path.relative_to(edition)
        lines = [line.strip() for line in text_lines(path)]
        chapter = _exercise_chapter(relative)
        if chapter is not None:
            found = line_leaks(lines, secrets.in_release[chapter.number])
        else:
            found = window_leaks(lines, secrets.windows)
        found += [(n, line) for n, line in enumerate(lines, 1)
                  if any(marker in line for marker in FORBIDDEN)]
        leaks += [f"{relative}:{n}: {line[:80]}" for n, line in sorted(set(found))]
    return leaks


def course_secrets(repo_root):
    """Each exercise folder's secret lines (as ``nncourse check`` scans releases, plus the
    trusted checks' lines) and the secret windows of everything else."""
    probes = probe_blocks(repo_root)
    public = public_lines(repo_root)
    probe_secret = {line for block in probes for line in block
                    if len(line) >= MIN_SECRET_LENGTH} - public
    in_release = {c.number: frozenset(secret_lines(repo_root, release_of=c) | probe_secret)
                  for c in CHAPTERS.values()}
    secret = set(secret_lines(repo_root)) | probe_secret
    blocks = [body for _, body in solution_regions(repo_root)]
    blocks += notebook_secret_blocks(repo_root) + probes
    windows = set()
    for block in blocks:
        runs = [tuple(block)] if len(block) == 1 else zip(block, block[1:])
        windows |= {tuple(run) for run in runs if secret & set(run)}
    return Secrets(in_release, frozenset(windows))


def probe_blocks(repo_root):
    """Stripped non-blank lines of each chapter's trusted checks (``nncourse/probes/<id>.py``),
    where the hidden tests' code lives."""
    files = [Path(repo_root) / "nncourse" / "probes" / f"{c.id}.py" for c in CHAPTERS.values()]
    return [[line.strip() for line in f.read_text().splitlines() if line.strip()]
            for f in files if f.is_file()]


def public_lines(repo_root):
    """Stripped lines students see anyway: the releases and the reference nnlib outside
    its solution regions."""
    released = {line.strip() for path in (Path(repo_root) / "exercises").rglob("*")
                if path.is_file() and "__pycache__" not in path.parts for line in text_lines(path)}
    nnlib = Path(repo_root) / "nnlib"
    library = {line.strip() for path in package_files(nnlib) for line in path.read_text().splitlines()}
    return released | (library - solution_lines(nnlib))


def solution_regions(repo_root):
    """(chapter number, stripped non-blank body lines) of every reference solution region."""
    package = Path(repo_root) / "nnlib"
    regions = []
    for path in package_files(package):
        lines = path.read_text().splitlines()
        for region in find_regions(path, module_name(package, path)):
            body = [line.strip() for line in region.body(lines) if line.strip()]
            regions.append((chapter_of_function(region.function).number, body))
    return regions


def notebook_secret_blocks(repo_root):
    """Stripped non-blank lines of each solution cell or region and hidden-test block of
    the source notebooks."""
    blocks = []
    for chapter in (c for c in CHAPTERS.values() if c.has_exercise(repo_root)):
        for cell in nbformat.read(chapter.source_notebook(repo_root), 4).cells:
            lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "markdown":
                blocks.append(lines)
                continue
            block = None
            for line in lines:
                if line in (BEGIN, HIDDEN_BEGIN):
                    block = []
                elif line in (END, HIDDEN_END) and block is not None:
                    blocks.append(block)
                    block = None
                elif block is not None:
                    block.append(line)
    return [b for b in blocks if b]


def line_leaks(lines, secret):
    """(line number, line) of each line in ``secret``."""
    return [(n, line) for n, line in enumerate(lines, 1) if line in secret]


def window_leaks(lines, windows):
    """(line number, line) where a secret window starts, blank lines skipped."""
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line]
    found = [(n, line) for n, line in numbered if (line,) in windows]
    found += [(a[0], a[1]) for a, b in zip(numbered, numbered[1:]) if (a[1], b[1]) in windows]
    return found


def _exercise_chapter(relative):
    parts = relative.parts
    return CHAPTERS.get(parts[1]) if len(parts) > 2 and parts[0] == "exercises" else None


def instructor_files(edition, repo_root):
    """Instructor folders in the edition, and files identical to an instructor's file
    (the solutions, nncourse and its mutant catalogues, the reference nnlib's sources)."""
    found = [f"{p.relative_to(edition)}: instructor folder" for p in edition.rglob("*")
             if p.is_dir() and (p.name in INSTRUCTOR_FOLDERS
                                or (p.name == "nnlib" and p.parent == edition))]
    sources = [p for folder in ("solutions", "nncourse") for p in (repo_root / folder).rglob("*")
               if p.is_file() and p.stat().st_size and "__pycache__" not in p.parts]
    sources += [p for p in package_files(repo_root / "nnlib") if BEGIN in p.read_text()]
    digests = {_digest(p): p.relative_to(repo_root) for p in sources}
    for path in (p for p in edition.rglob("*") if p.is_file() and p.stat().st_size):
        if _digest(path) in digests:
            found.append(f"{path.relative_to(edition)}: a copy of {digests[_digest(path)]}")
    return found


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def text_lines(path):
    """The text a reader can see in ``path``: an HTML page's text, a notebook's sources
    and text outputs, any other file's text (binary files: none)."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, 4)
        texts = [cell.source for cell in notebook.cells]
        texts += [_output_text(o) for cell in notebook.cells for o in cell.get("outputs", [])]
        return "\n".join(texts).splitlines()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []
    return _html_text(text).splitlines() if path.suffix in (".html", ".htm") else text.splitlines()


def _output_text(output):
    data = output.get("data", {})
    text = output.get("text") or data.get("text/plain") or data.get("text/html") or ""
    return "".join(text) if isinstance(text, list) else text


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def _html_text(html):
    parser = _TextOnly()
    parser.feed(html)
    return "".join(parser.parts)
