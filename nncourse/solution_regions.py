"""Turn the reference nnlib into the student's copy of one chapter.

A solution region is the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION``
inside a function body. In chapter k's copy, the regions of chapter k and of later
chapters become a ``raise NotImplementedError`` that names the function and the chapter
that asks for it (the same text in every chapter's copy); the regions of earlier chapters
are given: the reference body without its markers, under a one-line comment saying so.
"""
import ast
import shutil
from dataclasses import dataclass
from pathlib import Path

from .chapters import chapter_of_function

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"


class SolutionMarkerError(ValueError):
    """A malformed or misplaced solution region (the message gives file and line)."""


@dataclass(frozen=True)
class SolutionRegion:
    """Lines ``begin``..``end`` (1-based, inclusive, the marker lines) of ``path``."""

    path: Path
    begin: int
    end: int
    indent: str
    function: str

    def body(self, lines):
        """The solution lines between the markers."""
        return lines[self.begin:self.end - 1]


def find_regions(path, module):
    """All solution regions of one source file, each tied to its enclosing function.

    Parameters
    ----------
    path : pathlib.Path
        The ``.py`` file.
    module : str
        Its module name inside nnlib (``"perceptron"``), used in function names.
    """
    lines = path.read_text().splitlines()
    spans, begin = [], None
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin is not None:
                raise SolutionMarkerError(f"{path}:{number}: {BEGIN!r} inside the region "
                                          f"opened at line {begin}; expected {END!r} first")
            begin = number
        elif marker == END:
            if begin is None:
                raise SolutionMarkerError(f"{path}:{number}: {END!r} without a {BEGIN!r} before it")
            spans.append((begin, number))
            begin = None
    if begin is not None:
        raise SolutionMarkerError(f"{path}:{begin}: {BEGIN!r} is never closed by {END!r}")
    functions = _function_spans(ast.parse("\n".join(lines), filename=str(path)), module)
    return [_region(path, lines, b, e, functions) for b, e in spans]


def _region(path, lines, begin, end, functions):
    enclosing = [name for name, lo, hi in functions if lo < begin <= hi]
    if not enclosing:
        raise SolutionMarkerError(f"{path}:{begin}: solution region outside any function body")
    function = enclosing[-1]  # innermost: spans are listed outermost first
    if chapter_of_function(function) is None:
        raise SolutionMarkerError(f"{path}:{begin}: solution region in {function}, which no "
                                  f"chapter lists in nncourse/chapters.py")
    indent = lines[begin - 1][:len(lines[begin - 1]) - len(lines[begin - 1].lstrip())]
    return SolutionRegion(path, begin, end, indent, function)


def _function_spans(tree, module):
    """(qualified name, first line, last line) of every function, outermost first."""
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}.{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((name, child.lineno, child.end_lineno))
                visit(child, name)

    visit(tree, module)
    return spans


def stub_text(region):
    """The lines that replace ``region`` in the student copy."""
    chapter = chapter_of_function(region.function)
    short = region.function.split(".", 1)[1]
    message = (f"{short} is yours to write: complete it in nnlib/{region.path.name} "
               f"(chapter {chapter.number}, {chapter.id})")
    return [f"{region.indent}# YOUR CODE HERE", f"{region.indent}raise NotImplementedError({message!r})"]


def given_text(region, lines):
    """The lines that replace ``region`` where its chapter's solution is given: a comment
    naming the chapter, then the reference body without the markers."""
    chapter = chapter_of_function(region.function)
    comment = (f"{region.indent}# Given: the course's solution of chapter {chapter.number} "
               f"({chapter.id}). To use your own, copy this file from your previous exercise "
               f"folder (see README.md).")
    return [comment] + region.body(lines)


def stubbed_source(path, module, functions=None, chapter=None):
    """The text of ``path`` as in the student copy.

    Without ``chapter`` every region is stubbed; with it (a :class:`~nncourse.chapters.Chapter`),
    the regions of earlier chapters are given (:func:`given_text`) and the others stubbed.
    ``functions`` limits the stubbing to those ``"module.Qual.name"`` functions; the other
    regions stay as they are, markers included (default: every region).
    """
    lines = path.read_text().splitlines()
    out, last = [], 0
    for region in find_regions(path, module):
        if functions is not None and region.function not in functions:
            continue
        given = chapter is not None and chapter_of_function(region.function).number < chapter.number
        out += lines[last:region.begin - 1] + (given_text(region, lines) if given else stub_text(region))
        last = region.end
    return "\n".join(out + lines[last:]) + "\n"


def package_files(package_dir):
    """The package's ``.py`` files, sorted, without caches."""
    return sorted(p for p in Path(package_dir).rglob("*.py") if "__pycache__" not in p.parts)


def module_name(package_dir, path):
    """``nnlib/sub/mod.py`` -> ``"sub.mod"`` (the name used in chapter function lists)."""
    return ".".join(path.relative_to(package_dir).with_suffix("").parts)


def write_student_package(package_dir, dest, functions=None, chapter=None):
    """Write the student copy of ``package_dir`` to ``dest``: chapter ``chapter``'s release
    (earlier chapters given, the others stubbed), or, without a chapter, every solution
    region stubbed; ``functions`` limits the stubbing (see :func:`stubbed_source`). Data
    files (anything but ``.py``) are copied unchanged."""
    package_dir, dest = Path(package_dir), Path(dest)
    for path in sorted(p for p in package_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        target = dest / path.relative_to(package_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            module = module_name(package_dir, path)
            target.write_text(stubbed_source(path, module, functions, chapter))
        else:
            shutil.copyfile(path, target)


def solution_lines(package_dir, chapters=None):
    """Every line inside a solution region of the package, stripped (for leak checks);
    with ``chapters`` (assignment ids), only the regions of those chapters' functions."""
    found = set()
    for path in package_files(package_dir):
        lines = path.read_text().splitlines()
        for region in find_regions(path, module_name(package_dir, path)):
            if chapters is None or chapter_of_function(region.function).id in chapters:
                found |= {line.strip() for line in region.body(lines) if line.strip()}
    return found
