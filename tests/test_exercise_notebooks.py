"""Rules every exercise notebook keeps, so that a student in JupyterLab meets no surprise:
no stand-in replaces an nnlib function, "Run All" runs past a failing cell, and the setup
cell reloads with correct tracebacks and stops every cell while a file does not compile."""
import ast

import nbformat
import pytest

from conftest import REPO
from nncourse.chapters import CHAPTERS
from nncourse.solution_regions import package_files

NOTEBOOKS = [c.source_notebook(REPO) for c in CHAPTERS.values() if c.has_exercise(REPO)]
RELEASED = [REPO / "exercises" / c.id / c.notebook for c in CHAPTERS.values() if c.has_exercise(REPO)]
TAG = "raises-exception"
NNLIB_NAMES = {node.name for path in package_files(REPO / "nnlib")
               for node in ast.parse(path.read_text()).body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")}


def _is_setup(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id") == "setup"


def _is_test(cell):
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def _is_given(cell):
    """A locked cell the notebook gives as material to study (chapter 4's buggy backward for
    the find-the-bug task), marked ``"nncourse": {"given": true}``: it may define functions,
    but not under an nnlib name, and may not patch nnlib."""
    return bool(cell.metadata.get("nbgrader", {}).get("locked")) and \
        cell.metadata.get("nncourse", {}).get("given") is True


def _python(source):
    """The cell's Python without magics, and without hidden-test regions (issue 9 moves those
    into nncourse; within a chapter they swap in the reference of a function they do not grade)."""
    lines, hidden = [], False
    for line in source.splitlines():
        marker = line.strip()
        hidden = (hidden or marker == "### BEGIN HIDDEN TESTS") and marker != "### END HIDDEN TESTS"
        lines.append("" if hidden or line.lstrip().startswith(("%", "!")) else line)
    return ast.parse("\n".join(lines))


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _nnlib_bindings(tree):
    """Names an ``import nnlib...`` or ``from nnlib... import`` binds in ``tree``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] == "nnlib"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nnlib":
            names |= {a.asname or a.name for a in node.names}
    return names


def stand_ins(cells):
    """Where a notebook replaces part of nnlib: (cell index, line, what). Caught: assigning or
    deleting an attribute or item of anything imported from nnlib, ``setattr``/``delattr`` on
    it, a function or class defined in the setup cell or an ordinary cell (a stand-in), and a
    function or class named like one of nnlib's anywhere."""
    found, nnlib_names = [], set()
    for index, cell in enumerate(c for c in cells if c.cell_type == "code"):
        tree = _python(cell.source)
        nnlib_names |= _nnlib_bindings(tree)
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("setattr", "delattr") and node.args:
                targets = [ast.Attribute(value=node.args[0], attr="?")]
            found += [(index, node.lineno, f"changes {ast.unparse(t)}") for t in targets
                      if isinstance(t, (ast.Attribute, ast.Subscript)) and _root(t) in nnlib_names]
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        found += [(index, n.lineno, f"defines {n.name}") for n in defs
                  if n.name in NNLIB_NAMES or not (_is_test(cell) or _is_given(cell)
                                                   or cell.metadata.get("nbgrader", {}).get("solution"))]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_no_notebook_defines_or_patches_nnlib(path):
    assert stand_ins(nbformat.read(path, 4).cells) == []


STAND_INS = {
    "patched class attribute": "import nnlib.layers\nnnlib.layers.Sigmoid._f = staticmethod(abs)",
    "patched through a from-import": "from nnlib.layers import Sigmoid\nSigmoid._f = abs",
    "patched module function": "import nnlib.losses as L\nL.mse = abs",
    "setattr": "import nnlib\nsetattr(nnlib.losses, 'mse', abs)",
    "patched registry": "from nnlib import neuron\nneuron.LOSSES['mse'] = abs",
    "stand-in function in an ordinary cell": "def cross_entropy(logits, labels):\n    return 0.0, logits",
}


@pytest.mark.parametrize("source", STAND_INS.values(), ids=list(STAND_INS))
def test_the_stand_in_rule_catches_each_kind(source):
    cells = [nbformat.v4.new_code_cell(source)]
    assert stand_ins(cells), source
    test_cell = nbformat.v4.new_code_cell("def mse(pred, target):\n    return 0.0, pred")
    test_cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t"}
    assert stand_ins([test_cell]) == [(0, 1, "defines mse")]


@pytest.mark.parametrize("path", NOTEBOOKS + RELEASED, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_run_all_runs_past_failing_cells_and_stops_only_at_the_setup_cell(path):
    """JupyterLab sends a cell tagged ``raises-exception`` with ``stop_on_error: false``
    (OutputArea.execute), so the kernel runs the cells queued after it even if it fails."""
    cells = [c for c in nbformat.read(path, 4).cells if c.cell_type == "code"]
    untagged = [i for i, c in enumerate(cells) if TAG not in c.metadata.get("tags", []) and not _is_setup(c)]
    assert untagged == [], f"code cells without the {TAG!r} tag: {untagged}"
    assert [TAG in c.metadata.get("tags", []) for c in cells if _is_setup(c)] == [False]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_the_setup_cell_keeps_tracebacks_right_and_stops_on_syntax_errors(path):
    setup = next(c for c in nbformat.read(path, 4).cells if _is_setup(c))
    lines = [line.strip() for line in setup.source.splitlines()]
    assert "%autoreload 2 --full" in lines  # IPython 9's default reloader misnumbers tracebacks
    assert "stop_on_syntax_errors()" in lines
    assert lines.index("stop_on_syntax_errors()") > lines.index("if _imported != _here:")
