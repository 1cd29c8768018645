"""What grading runs of a submission: the tamper screen, the restored nnlib, the rebuilt
notebook. (End to end, with real kernels, in test_hostile.py.)"""
import shutil

import nbformat
import pytest

from conftest import REPO
from nncourse.chapters import CHAPTERS
from nncourse.grader.restore import (EMPTY_ANSWER, prune_unneeded_cells, read_notebook,
                              rebuild_notebook, restore_package)
from nncourse.grader.screen import screen
from nncourse.solution_regions import write_student_package

TAMPERING = [
    ("import numpy as np\nnp.allclose = lambda *a, **k: True", "assigns to np.allclose"),
    ("import numpy\nnumpy.testing.assert_allclose = print", "assigns to numpy.testing.assert_allclose"),
    ("import numpy as np\nm = np\nm.isclose = max", "assigns to m.isclose"),
    ("import numpy as np\ndel np.array_equal", "deletes np.array_equal"),
    ("from nnlib.perceptron import Perceptron\nPerceptron.predict = id", "assigns to Perceptron.predict"),
    ("import builtins\nbuiltins.AssertionError = Exception", "imports builtins"),
    ("setattr(__import__('numpy'), 'allclose', max)", "uses setattr"),
    ("vars(object)['x'] = 1", "uses vars"),
    ("globals()['np'] = None", "uses globals"),
    ("exec('x = 1')", "uses exec"),
    ("eval('1')", "uses eval"),
    ("import ctypes\nctypes.string_at(0)", "imports ctypes"),
    ("import gc\ngc.get_objects()", "imports gc"),
    ("from inspect import currentframe", "imports from inspect"),
    ("import sys\nsys.modules['numpy'] = None", "uses sys.modules"),
    ("import sys\nf = sys._getframe(1)", "uses sys._getframe"),
    ("from sys import modules", "imports from sys; graded code may import only numpy"),
    ("import os\nos.system('true')", "imports os; graded code may import only numpy"),
    ("import subprocess", "imports subprocess"),
    ("from nncourse.reference import load_reference", "imports from nncourse.reference"),
    ("import importlib.util", "imports importlib.util"),
    ("get_ipython().showtraceback = lambda *a, **k: None", "uses get_ipython"),
    ("x = (1).__class__.__mro__", "dunder attribute __class__"),
    ("def f():\n    return f.__globals__", "dunder attribute __globals__"),
    ("class Yes:\n    def __eq__(self, other):\n        return True", "defines __eq__"),
    ("class Big:\n    def __float__(self):\n        return 0.0", "defines __float__"),
    ("Yes = type('Yes', (), {})", "creates a class with type"),
]

HONEST = [
    "import numpy as np\n\ndef predict(self, X):\n    z = X @ self.w + self.b\n"
    "    self.cache = z\n    return (z >= 0).astype(np.int64)",
    "import math\nclass Point:\n    def __init__(self, x):\n        self.x = x\n"
    "    def __repr__(self):\n        return f'Point({self.x})'\nname = type(Point(1)).__name__",
    "opt = object()\nlayer = {'W': 1}\nlayer['W'] = 2\nprint(sorted([3, 1]))",
]


@pytest.mark.parametrize("code, rule", TAMPERING, ids=[r for _, r in TAMPERING])
def test_the_screen_rejects_each_way_to_reach_the_checks(code, rule):
    violations = screen(code, "nnlib/x.py")
    assert violations, f"not flagged: {code!r}"
    assert any(rule in str(v) for v in violations), [str(v) for v in violations]
    assert str(violations[0]).startswith("nnlib/x.py line ")


@pytest.mark.parametrize("code", HONEST)
def test_the_screen_accepts_ordinary_code(code):
    assert screen(code, "nnlib/x.py") == []


def test_every_reference_solution_passes_the_screen(tmp_path):
    """The reference bodies (restored against the release) and every solution cell of
    every source notebook: a false alarm here would zero an honest student."""
    release = tmp_path / "release"
    write_student_package(REPO / "nnlib", release)
    assert restore_package(REPO / "nnlib", release, tmp_path / "graded") == []
    cells = [cell for chapter in CHAPTERS.values() if chapter.has_exercise(REPO)
             for cell in nbformat.read(chapter.source_notebook(REPO), 4).cells
             if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code"]
    assert len(cells) >= 2
    for cell in cells:
        assert screen(cell.source, "cell") == [], cell.source[:200]


@pytest.fixture
def student(tmp_path):
    """A student nnlib that is the reference (every graded function done) and its release."""
    release = tmp_path / "release"
    write_student_package(REPO / "nnlib", release)
    mine = tmp_path / "mine"
    shutil.copytree(REPO / "nnlib", mine, ignore=shutil.ignore_patterns("__pycache__"))
    return mine, release, tmp_path / "graded"


def test_restoring_keeps_graded_bodies_and_added_statements_and_their_line_numbers(student):
    mine, release, graded = student
    text = (mine / "perceptron.py").read_text()
    (mine / "perceptron.py").write_text("import math  # mine\n" + text +
                                        "\n\ndef helper():\n    return math.pi\n")
    assert restore_package(mine, release, graded) == []
    restored = (graded / "perceptron.py").read_text().splitlines()
    mine_lines = (mine / "perceptron.py").read_text().splitlines()
    number = next(i for i, line in enumerate(mine_lines) if "z = X @ self.w + self.b" in line)
    assert restored[number] == mine_lines[number]  # same line number in tracebacks
    assert restored[0] == "import math  # mine" and "def helper():" in restored


def test_restoring_brings_back_what_the_student_must_not_change(student):
    mine, release, graded = student
    testing = (mine / "testing.py").read_text()
    (mine / "testing.py").write_text(testing.replace(
        "def check_array(", "def check_array(*args, **kwargs):\n    return None\n\n\ndef _mine(", 1))
    perceptron = (mine / "perceptron.py").read_text()
    fit = perceptron.index("    def fit(")
    (mine / "perceptron.py").write_text(perceptron[:fit] + "    def fit(self, X, y, **kw):\n"
                                        "        return self\n\n" + perceptron[fit:].split("\n", 1)[1]
                                        .replace("def fit(", "def _old_fit(", 1))
    restore_package(mine, release, graded)
    restored_testing = (graded / "testing.py").read_text()
    release_testing = (release / "testing.py").read_text()
    start = release_testing.index("def check_array(")
    assert release_testing[start:release_testing.index("\ndef ", start + 1)] in restored_testing
    assert "return None" not in restored_testing.split("def _mine(")[0]
    assert "return self\n\n" not in (graded / "perceptron.py").read_text().split("def fit(")[1][:40]


def test_a_tampering_or_broken_file_is_graded_as_the_release_and_the_note_says_where(student):
    mine, release, graded = student
    (mine / "perceptron.py").write_text("import numpy\n\nnumpy.allclose = lambda *a, **k: True\n"
                                        + (mine / "perceptron.py").read_text())
    (mine / "activations.py").write_text("def sigmoid(z:\n")
    notes = restore_package(mine, release, graded)
    assert notes == [
        "nnlib/activations.py does not compile: SyntaxError: '(' was never closed (line 1); "
        "the release's copy was graded",
        "rejected by the tamper screen: nnlib/perceptron.py line 3: assigns to "
        "numpy.allclose, an attribute of a module; the release's copy was graded"]
    for name in ("perceptron.py", "activations.py"):
        assert (graded / name).read_text() == (release / name).read_text()


def test_a_deleted_file_or_function_comes_back_from_the_release(student):
    mine, release, graded = student
    (mine / "losses.py").unlink()
    text = (mine / "activations.py").read_text()
    start = text.index("def sigmoid_prime(")
    (mine / "activations.py").write_text(text[:start] + text[text.index("\ndef ", start + 1) + 1:])
    notes = restore_package(mine, release, graded)
    assert notes == ["nnlib/losses.py is missing; the release's copy was graded"]
    assert "def sigmoid_prime(" in (graded / "activations.py").read_text()


def source_and_student(chapter_id="ch01_perceptron"):
    chapter = CHAPTERS[chapter_id]
    source = nbformat.read(chapter.source_notebook(REPO), 4)
    student = nbformat.read(REPO / "exercises" / chapter_id / chapter.notebook, 4)
    return source, student


def test_rebuilding_restores_deleted_edited_and_duplicated_test_cells():
    source, student = source_and_student()
    tests = [c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    tests[0].source = "print('passed')"
    student.cells.remove(tests[1])
    student.cells.append(nbformat.from_dict(dict(tests[2], source="pass")))
    answer = next(c for c in student.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "My answer."
    student.cells.append(nbformat.from_dict(dict(answer, source="A second copy.")))
    graded, notes = rebuild_notebook(source, student)
    assert [c.source for c in graded.cells if not c.metadata.get("nbgrader", {}).get("solution")] \
        == [c.source for c in source.cells if not c.metadata.get("nbgrader", {}).get("solution")]
    assert [c.source for c in graded.cells if c.metadata.get("nbgrader", {}).get("solution")] \
        == ["My answer."]
    assert notes == [f"cell {answer.metadata['nbgrader']['grade_id']} appears twice; "
                     f"the first copy was graded"]


def test_rebuilding_screens_solution_cells_and_fills_missing_ones():
    source, student = source_and_student("ch04_backprop")
    solution = next(c for c in student.cells if c.cell_type == "code"
                    and c.metadata.get("nbgrader", {}).get("solution"))
    solution.source = "import numpy as np\nnp.allclose = lambda *a, **k: True"
    student.cells = [c for c in student.cells if c.cell_type == "code"]  # answers deleted
    graded, notes = rebuild_notebook(source, student)
    name = solution.metadata["nbgrader"]["grade_id"]
    cell = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == name)
    assert cell.source.startswith("raise RuntimeError(") and "np.allclose" in cell.source
    assert notes == [f"rejected by the tamper screen: cell {name} line 2: assigns to "
                     f"np.allclose, an attribute of a module"]
    answers = [c.source for c in graded.cells if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("solution")]
    assert answers and set(answers) == {EMPTY_ANSWER["markdown"]}


def test_pruning_keeps_what_graded_cells_need_and_drops_the_rest():
    cells = [nbformat.v4.new_code_cell("import numpy as np\ndata = np.arange(3)"),
             nbformat.v4.new_code_cell("import matplotlib\nfigure = 'a plot'"),
             nbformat.v4.new_code_cell("scale = 2\nother = 1"),
             nbformat.v4.new_code_cell("%matplotlib inline"),
             nbformat.v4.new_code_cell("assert (data * scale).sum() == 6",
                                       metadata={"nbgrader": {"grade_id": "test"}})]
    notebook = nbformat.v4.new_notebook(cells=cells)
    prune_unneeded_cells(notebook, lambda c: "nbgrader" in c.metadata)
    assert [c.source.split("\n")[0] for c in notebook.cells] == [
        "import numpy as np", "scale = 2", "%matplotlib inline", "assert (data * scale).sum() == 6"]


@pytest.mark.parametrize("content, message", [
    (b'{"cells": [', "the notebook is not valid JSON: Expecting value (line 1, column 12)"),
    (b"\xff\xfe{}", "the notebook is not valid JSON: not UTF-8 text"),
    (b"[1, 2]", "the file is JSON but not a notebook: it has no list of cells"),
    (b'{"cells": [{"cell_type": "code"}], "nbformat": 4}', "the file is JSON but not a notebook"),
])
def test_an_unreadable_notebook_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        read_notebook(path)
    assert str(err.value).startswith(message)
