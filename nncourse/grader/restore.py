"""Rebuild what gets graded from a submission, restoring everything the student must not change.

The notebook: every cell comes from the instructor's source notebook (test cells with their
hidden tests, locked cells, ordinary cells); only the solution cells, matched by
``grade_id``, come from the student. Deleted, edited or duplicated test cells therefore
change nothing, and the student's own scratch cells do not run.

``nnlib``: each file is the student's, with every definition the release owns restored:
the student keeps the bodies of the functions their chapter asks for and any statement they
added; a function, method or name of the release that they changed comes
back from the release. A file that does not compile, or that breaks a rule of the tamper
screen (:mod:`nncourse.screen`), is replaced by the release's stub file.
"""
import ast
import copy
import json
import shutil
from pathlib import Path

import nbformat

from ..chapters import CHAPTERS
from .screen import screen

GRADED_FUNCTIONS = frozenset(f for chapter in CHAPTERS.values() for f in chapter.functions)
MAX_SOURCE_BYTES = 1_000_000
EMPTY_ANSWER = {"code": "raise NotImplementedError()", "markdown": "YOUR ANSWER HERE"}


def rebuild_notebook(source_nb, student_nb):
    """The notebook to execute from the instructor's ``source_nb`` (hidden tests included)
    and the submission ``student_nb``, and notes for the status.

    A solution cell missing from the submission is graded as the release's empty answer.
    """
    notes = []
    student_cells = {}
    for cell in student_nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution"):
            continue  # tests and locked cells come from the source
        if meta.get("grade_id") in student_cells:
            notes.append(f"cell {meta['grade_id']} appears twice; the first copy was graded")
        student_cells.setdefault(meta.get("grade_id"), cell)
    graded = copy.deepcopy(source_nb)
    for cell in graded.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            theirs = student_cells.get(meta["grade_id"])
            cell.source = theirs.get("source", "") if theirs else EMPTY_ANSWER[cell.cell_type]
            if cell.cell_type == "code":
                _screen_cell(cell, meta["grade_id"], notes)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return graded, notes


def prune_unneeded_cells(notebook, is_graded):
    """Drop ordinary code cells nothing graded depends on (plots, explorations).

    Kept: every cell with nbgrader metadata (setup, solutions, tests), and any other code
    cell that binds a name a kept cell after it uses without binding it (transitively).
    A cell that does not parse as Python (magics) is kept. ``nncourse check`` proves that
    the reference still earns full marks, which catches a dependency this analysis misses.
    """
    needed, kept = set(), []
    for cell in reversed(notebook.cells):
        if cell.cell_type != "code":
            kept.append(cell)
            continue
        bound, used = _names(cell.source)
        if is_graded(cell) or bound is None or bound & needed:
            kept.append(cell)
            needed = (needed - (bound or set())) | (used or set())
    notebook.cells = kept[::-1]
    return notebook


def _names(source):
    """(names a cell binds, names it uses without binding), or (None, None) if not Python."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None, None
    bound, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (used if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.arg):  # parameters of functions and lambdas
            bound.add(node.arg)
    return bound, used - bound


def _screen_cell(cell, grade_id, notes):
    violations = screen(cell.source, f"cell {grade_id}")
    if violations:
        notes.append(f"rejected by the tamper screen: {violations[0]}")
        cell.source = f"raise RuntimeError({('rejected by the tamper screen: ' + str(violations[0]))!r})"


def restore_package(student_dir, release_dir, dest, graded=GRADED_FUNCTIONS):
    """Write the nnlib to grade at ``dest``; return notes for the status (problems found).
    The student keeps the bodies of the ``graded`` functions (``"module.Qual.name"``; a
    chapter grades its own); every other function comes from the release."""
    student_dir, release_dir, dest = Path(student_dir), Path(release_dir), Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(release_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    notes = []
    for skeleton in sorted(release_dir.rglob("*.py")):
        relative = skeleton.relative_to(release_dir)
        label = f"nnlib/{relative.as_posix()}"
        merged, note = _restore_module(student_dir / relative, skeleton, label,
                                       ".".join(relative.with_suffix("").parts), graded)
        if note:
            notes.append(note)
        if merged is not None:
            (dest / relative).write_text(merged, encoding="utf-8")
    return notes


def _restore_module(student_file, skeleton_file, label, module, graded):
    """(merged source or None to keep the stub file, a note or None)."""
    if not student_file.is_file():
        return None, f"{label} is missing; the release's copy was graded"
    if student_file.stat().st_size > MAX_SOURCE_BYTES:
        return None, f"{label} is larger than {MAX_SOURCE_BYTES // 1000} kB; the release's copy was graded"
    skeleton = skeleton_file.read_text(encoding="utf-8")
    try:
        text = student_file.read_text(encoding="utf-8")
        if text == skeleton:  # untouched: the release's copy is what would be merged
            return None, None
        tree = ast.parse(text, filename=label)
    except UnicodeDecodeError:
        return None, f"{label} is not UTF-8 text; the release's copy was graded"
    except SyntaxError as err:
        return None, (f"{label} does not compile: SyntaxError: {err.msg} (line {err.lineno}); "
                      f"the release's copy was graded")
    merged, owned = _merge(text, tree, skeleton, ast.parse(skeleton), module, graded)
    violations = [v for v in screen(text, label) if any(lo <= v.line <= hi for lo, hi in owned)]
    if violations:
        return None, f"rejected by the tamper screen: {violations[0]}; the release's copy was graded"
    return merged, None


def _merge(text, tree, skeleton, skeleton_tree, module, graded):
    """The student's source with the release's definitions restored, and the line ranges
    (in the student's file) of what the student owns: graded functions and added statements."""
    lines, skel_lines = text.splitlines(), skeleton.splitlines()
    skel_defs = {n.name: n for n in skeleton_tree.body if isinstance(n, _DEFS)}
    skel_names = set(skel_defs) | {name for n in skeleton_tree.body for name in _bound_names(n)}
    skel_dumps = {ast.dump(n) for n in skeleton_tree.body}
    edits, owned, seen = [], [], set()
    for node in tree.body:
        span = _span(node)
        if isinstance(node, _DEFS) and node.name in skel_defs:
            seen.add(node.name)
            new = _restored_def(node, skel_defs[node.name], lines, skel_lines, module, owned, graded)
            if new is not None:
                edits.append((span, new))
        elif set(_bound_names(node)) & skel_names:
            if ast.dump(node) not in skel_dumps:
                edits.append((span, []))  # a changed release name: the release's binding stays
        else:
            owned.append(span)
    for name in skel_defs.keys() - seen:  # a release definition the student deleted
        edits.append(((len(lines) + 1, len(lines)), [""] + _source(skel_defs[name], skel_lines)))
    for (lo, hi), new in sorted(edits, key=lambda e: e[0][0], reverse=True):
        lines[lo - 1:hi] = new
    return "\n".join(lines) + "\n", owned


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _restored_def(node, skel_node, lines, skel_lines, module, owned, graded):
    """Replacement lines for a top-level def/class, or None to keep the student's."""
    if not isinstance(node, ast.ClassDef) or not isinstance(skel_node, ast.ClassDef):
        if f"{module}.{node.name}" in graded:
            owned.append(_span(node))
            return None
        return None if ast.dump(node) == ast.dump(skel_node) else _source(skel_node, skel_lines)
    students = {m.name: m for m in node.body if isinstance(m, _DEFS)}
    start, end = _span(skel_node)
    new = skel_lines[start - 1:end]
    for member in reversed(skel_node.body):  # bottom-up, so earlier line numbers stay valid
        theirs = students.get(getattr(member, "name", None))
        if theirs is not None and f"{module}.{node.name}.{member.name}" in graded:
            owned.append(_span(theirs))
            lo, hi = _span(member)
            new[lo - start:hi - start + 1] = _source(theirs, lines)
    return None if new == lines[_span(node)[0] - 1:_span(node)[1]] else new


def _span(node):
    """First and last line of a statement, decorators included (1-based, inclusive)."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first, node.end_lineno


def _source(node, lines):
    lo, hi = _span(node)
    return lines[lo - 1:hi]


def _bound_names(node):
    """Top-level names a statement binds (assignments and imports)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    targets = node.targets if isinstance(node, ast.Assign) else \
        [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def read_notebook(path):
    """The notebook at ``path``, or raise ``ValueError`` saying why it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as err:
        raise ValueError(f"the notebook is not valid JSON: not UTF-8 text ({err.reason})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"the notebook is not valid JSON: {err.msg} (line {err.lineno}, "
                         f"column {err.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError("the file is JSON but not a notebook: it has no list of cells")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as err:  # nbformat raises several kinds for a JSON that is no notebook
        raise ValueError(f"the file is JSON but not a notebook: {str(err).splitlines()[0][:200]}") from None
