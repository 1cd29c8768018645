"""A corpus of hostile submissions for ``ch01_perceptron`` and what grading each must give.

Each case is a builder that writes one submission, ``DEST/<student_id>/ch01_perceptron/``,
from the student release (``exercises/ch01_perceptron/``) with the student's two methods,
``Perceptron.predict`` and ``Perceptron.update`` in ``nnlib/perceptron.py``, filled in
from the reference ``nnlib`` (correct code) or replaced by the case's twist. The table
:data:`CASES` maps each student id to ``(builder, expectation)``; :data:`PROBES` holds, for
the cases that misbehave at run time, a check that the misbehaviour is real when the code
runs in a plain Python process (the loop loops, the segfault segfaults...), so that the
corpus cannot quietly turn harmless.

Test cells of the chapter (grade_id: points): test_predict_gates 2, test_predict_hidden 3,
test_update_worked_example 3, test_update_hidden 3 (grades update alone, with the
reference predict), test_fit_gates 2 and test_fit_hidden 2 (both use the student's
predict and update); 15 points in all.
"""
import ast
import copy
import json
import os
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Callable, Mapping, NamedTuple

from nncourse.solution_regions import find_regions, stub_text

REPO = Path(__file__).resolve().parents[2]
CHAPTER = "ch01_perceptron"
RELEASE = REPO / "exercises" / CHAPTER
SOURCE = REPO / "solutions" / CHAPTER
REFERENCE_MODULE = REPO / "nnlib" / "perceptron.py"
PREDICT = "perceptron.Perceptron.predict"
UPDATE = "perceptron.Perceptron.update"

TEST_POINTS = {"test_predict_gates": 2, "test_predict_hidden": 3,
               "test_update_worked_example": 3, "test_update_hidden": 3,
               "test_fit_gates": 2, "test_fit_hidden": 2}
MAX_SCORE = sum(TEST_POINTS.values())
PREDICT_TESTS = ("test_predict_gates", "test_predict_hidden")
UPDATE_AND_FIT_TESTS = ("test_update_worked_example", "test_update_hidden",
                        "test_fit_gates", "test_fit_hidden")
ODD_ID = "Zo\u00eb O'Brien \u674e"  # "Zoë O'Brien 李", NFC
BIG_FILE_MB = 50
HUGE_STDOUT_MB = 200

REFERENCE = "reference"  # a body marker: the reference solution
STUB = "stub"  # a body marker: the release stub (raise NotImplementedError)


class Expectation(NamedTuple):
    """What grading must give one submission.

    score: the total (None: not checked); score_at_most: an upper bound; tests: the
    score of each named test cell; status: substrings that must all occur in the status;
    status_any: substrings of which at least one must occur; verdicts: the trusted
    verdict of each named test cell; ran: the attack's "<marker> ran" line must be in its
    executed notebook under OUT/autograded/ (proof that it ran in the sandbox).
    """

    score: float | None = None
    tests: Mapping[str, float] = {}
    status: tuple = ()
    status_any: tuple = ()
    score_at_most: float | None = None
    verdicts: Mapping[str, str] = {}
    ran: bool = False


class Case(NamedTuple):
    """A builder ``build(folder)`` that writes ``<student_id>/ch01_perceptron/`` and its
    expectation."""

    build: Callable[[Path], None]
    expect: Expectation


# --------------------------------------------------------------------------- writing files

def release_copy(folder):
    """``folder`` becomes a copy of the untouched student release."""
    shutil.copytree(RELEASE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def perceptron_source(predict=REFERENCE, update=REFERENCE, top_level=()):
    """The student's ``nnlib/perceptron.py``: the release file with the bodies of
    ``predict`` and ``update`` given as lists of lines (without the method's indent), or
    ``REFERENCE`` / ``STUB``. ``top_level`` lines are added after the imports."""
    lines = REFERENCE_MODULE.read_text().splitlines()
    bodies = {PREDICT: predict, UPDATE: update}
    out, last = [], 0
    for region in find_regions(REFERENCE_MODULE, "perceptron"):
        body = bodies[region.function]
        out += lines[last:region.begin - 1]
        if body == STUB:
            out += stub_text(region)
        elif body == REFERENCE:
            out += region.body(lines)
        else:
            out += [region.indent + line if line else "" for line in body]
        last = region.end
    return _add_after_imports(out + lines[last:], list(top_level))


def _add_after_imports(lines, extra):
    if not extra:
        return "\n".join(lines) + "\n"
    tree = ast.parse("\n".join(lines))
    after = max(node.end_lineno for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))
    return "\n".join(lines[:after] + [""] + extra + lines[after:]) + "\n"


def reference_body(function):
    """The reference solution lines of ``function``, without indent."""
    lines = REFERENCE_MODULE.read_text().splitlines()
    region = next(r for r in find_regions(REFERENCE_MODULE, "perceptron") if r.function == function)
    return textwrap.dedent("\n".join(region.body(lines))).splitlines()


def write_perceptron(folder, **bodies):
    """Write the student's ``nnlib/perceptron.py`` (see :func:`perceptron_source`)."""
    (folder / "nnlib" / "perceptron.py").write_text(perceptron_source(**bodies))


def correct_submission(folder):
    """The release with correct ``predict`` and ``update``."""
    release_copy(folder)
    write_perceptron(folder)
    return folder


def notebook_path(folder):
    return folder / f"{CHAPTER}.ipynb"


def read_notebook(folder):
    return json.loads(notebook_path(folder).read_text(encoding="utf-8"))


def write_notebook(folder, notebook):
    notebook_path(folder).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                                     encoding="utf-8")


def is_test_cell(cell):
    """A graded code cell (an autograded test)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell["cell_type"] == "code" and bool(meta.get("grade"))


def code_cell(source):
    """A plain code cell, as a student adds one (no nbgrader metadata)."""
    return {"cell_type": "code", "execution_count": None, "id": "a-cell-of-my-own",
            "metadata": {}, "outputs": [], "source": source}


# --------------------------------------------------------------------------- twists

WRONG_PREDICT = ["return np.ones(len(X), dtype=np.int64)  # always says 1"]
WRONG_UPDATE = [  # the right error, but the weights never move
    "return target - int(self.predict(x[None, :])[0])",
]
INFINITE_LOOP = ["while True:", "    pass"]
# The screen allows only numpy, math, typing and nnlib imports; typing.sys is sys itself.
SYS_EXIT = ["import typing", "", "typing.sys.exit(\"update gave up\")"]
OS_EXIT = ["import typing", "", "typing.sys.modules[\"os\"]._exit(0)"]
CTYPES_SEGFAULT = ["import ctypes", "", "ctypes.string_at(0)  # reads address 0"]
NUMPY_SEGFAULT = [  # a view whose second element is 2**40 bytes past a one-element buffer
    "far = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(2,), strides=(2 ** 40,))",
    "return int(far.sum())",
]
MEMORY_HOG_ARRAYS = 60  # 100 MB each: the cap only keeps a grader without a limit alive
MEMORY_HOG = [
    "hoard = []",
    f"for _ in range({MEMORY_HOG_ARRAYS}):",
    "    hoard.append(np.ones(12_500_000))  # 100 MB, every page touched",
] + reference_body(UPDATE)
MONKEYPATCHES = [
    "np.allclose = lambda *args, **kwargs: True",
    "np.isclose = lambda *args, **kwargs: True",
    "np.array_equal = lambda *args, **kwargs: True",
    "np.testing.assert_array_equal = lambda *args, **kwargs: None",
]


def build_reference(folder):
    """The instructor's solution notebook and the reference nnlib: full marks."""
    shutil.copytree(SOURCE, folder)
    shutil.copytree(REPO / "nnlib", folder / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))


def build_untouched(folder):
    """The release as handed out, submitted without a change: zero."""
    release_copy(folder)


SYNTAX_ERROR_SOURCE = perceptron_source(
    predict=["z = X @ self.w + self.b", "return (z >= 0).astype(np.int64))  # one ) too many"])
IMPORT_ERROR_SOURCE = perceptron_source(top_level=["SCALE = 1 / 0"])


def syntax_error_line(text):
    """The line Python reports for the SyntaxError of ``text`` (None if it compiles)."""
    try:
        compile(text, "perceptron.py", "exec")
    except SyntaxError as error:
        return error.lineno
    return None


def line_of(text, line):
    """The 1-based number of ``line`` in ``text``."""
    return text.splitlines().index(line) + 1


def build_syntax_error(folder):
    """``predict`` with an unbalanced parenthesis: perceptron.py does not compile."""
    release_copy(folder)
    (folder / "nnlib" / "perceptron.py").write_text(SYNTAX_ERROR_SOURCE)


def build_import_error(folder):
    """A module-level ``1 / 0`` in perceptron.py: importing nnlib raises."""
    release_copy(folder)
    (folder / "nnlib" / "perceptron.py").write_text(IMPORT_ERROR_SOURCE)


def build_infinite_loop(folder):
    """Correct ``predict``; ``update`` spins in ``while True: pass`` forever."""
    release_copy(folder)
    write_perceptron(folder, update=INFINITE_LOOP)


def build_sys_exit(folder):
    """Correct ``predict``; ``update`` calls ``sys.exit``."""
    release_copy(folder)
    write_perceptron(folder, update=SYS_EXIT)


def build_os_exit(folder):
    """Correct ``predict``; ``update`` calls ``os._exit(0)``, which ends the kernel
    process at once."""
    release_copy(folder)
    write_perceptron(folder, update=OS_EXIT)


def build_segfault_ctypes(folder):
    """Correct ``predict``; ``update`` reads address 0 with ctypes (a segfault)."""
    release_copy(folder)
    write_perceptron(folder, update=CTYPES_SEGFAULT)


def build_segfault_numpy(folder):
    """Correct ``predict``; ``update`` segfaults with numpy alone (a strided view that
    reads 2**40 bytes past its buffer), which no import rule can see."""
    release_copy(folder)
    write_perceptron(folder, update=NUMPY_SEGFAULT)


def build_memory_hog(folder):
    """Correct ``predict``; ``update`` first fills a list with 100 MB arrays, far past
    any sensible per-kernel memory limit."""
    release_copy(folder)
    write_perceptron(folder, update=MEMORY_HOG)


def build_deleted_tests(folder):
    """Correct code; every test cell deleted from the notebook."""
    correct_submission(folder)
    notebook = read_notebook(folder)
    notebook["cells"] = [c for c in notebook["cells"] if not is_test_cell(c)]
    write_notebook(folder, notebook)


def build_edited_tests(folder):
    """Untouched stubs; every test cell's code replaced by ``print("passed")``."""
    release_copy(folder)
    notebook = read_notebook(folder)
    for cell in filter(is_test_cell, notebook["cells"]):
        cell["source"] = 'print("passed")'
    write_notebook(folder, notebook)


def build_duplicated_tests(folder):
    """Correct code; every test cell appears twice (the same grade_id twice)."""
    correct_submission(folder)
    notebook = read_notebook(folder)
    cells = []
    for cell in notebook["cells"]:
        cells.append(cell)
        if is_test_cell(cell):
            twin = copy.deepcopy(cell)
            twin["id"] = f"{cell.get('id', 'cell')}-twin"
            cells.append(twin)
    notebook["cells"] = cells
    write_notebook(folder, notebook)


NOTEBOOK_MONKEYPATCH = "\n".join([
    "# Make every check pass and hide the tracebacks of the rest.",
    "import numpy as np",
    "import numpy.testing",
    "import nnlib.testing",
    *MONKEYPATCHES,
    "nnlib.testing.check_array = lambda *args, **kwargs: None",
    "nnlib.testing.check_value = lambda *args, **kwargs: None",
    "get_ipython().showtraceback = lambda *args, **kwargs: None",
])


def build_monkeypatch_notebook(folder):
    """Wrong ``predict`` (always 1) and ``update`` (never moves the weights); an extra
    notebook cell after the setup cell patches numpy's comparisons, nnlib's checks and
    IPython's traceback display."""
    release_copy(folder)
    write_perceptron(folder, predict=WRONG_PREDICT, update=WRONG_UPDATE)
    notebook = read_notebook(folder)
    setup = next(i for i, c in enumerate(notebook["cells"])
                 if c["metadata"].get("nbgrader", {}).get("grade_id") == "setup")
    notebook["cells"].insert(setup + 1, code_cell(NOTEBOOK_MONKEYPATCH))
    write_notebook(folder, notebook)


def build_monkeypatch_nnlib_module(folder):
    """Wrong code; perceptron.py patches numpy's comparisons and replaces
    ``builtins.AssertionError`` at module level, when nnlib is imported."""
    release_copy(folder)
    (folder / "nnlib" / "perceptron.py").write_text(perceptron_source(
        predict=WRONG_PREDICT, update=WRONG_UPDATE,
        top_level=["import builtins", "import numpy.testing", "", *MONKEYPATCHES,
                   "builtins.AssertionError = type(\"Swallowed\", (Exception,), {})"]))


def build_monkeypatch_nnlib_body(folder):
    """Wrong code; the body of ``predict`` patches numpy's comparisons each time it runs."""
    release_copy(folder)
    write_perceptron(folder, predict=[*MONKEYPATCHES[:3], *WRONG_PREDICT], update=WRONG_UPDATE)


ALWAYS_EQUAL = [
    "# An object equal to everything, built without a `def __eq__` for a screen to see.",
    "AlwaysEqual = type(\"AlwaysEqual\", (), {\"__eq__\": lambda self, other: True,",
    "                                       \"__ne__\": lambda self, other: False})",
]


def build_eq_always_true(folder):
    """``predict`` returns an object array of the right shape whose elements equal
    anything (``np.array_equal`` says True against any labels); ``update`` is correct
    and computes z itself."""
    release_copy(folder)
    (folder / "nnlib" / "perceptron.py").write_text(perceptron_source(
        predict=["return np.array([AlwaysEqual() for _ in range(len(X))], dtype=object)"],
        update=["error = target - int(x @ self.w + self.b >= 0)", "self.w = self.w + lr * error * x",
                "self.b = self.b + lr * error", "return error"],
        top_level=ALWAYS_EQUAL))


def build_huge_stdout(folder):
    """Correct code; the first call of ``update`` prints 200 MB to stdout (one time per
    process, through a module-level list)."""
    release_copy(folder)
    (folder / "nnlib" / "perceptron.py").write_text(perceptron_source(
        update=["if not _SHOUTED:", "    _SHOUTED.append(True)",
                f"    for _ in range({HUGE_STDOUT_MB}):",
                "        print(\"x\" * 999_999)  # 1 MB with the newline",
                *reference_body(UPDATE)],
        top_level=["_SHOUTED = []"]))


def build_big_file(folder):
    """Correct code and a 50 MB file of random bytes in nnlib/."""
    correct_submission(folder)
    chunk = os.urandom(1 << 20)
    with open(folder / "nnlib" / "big_weights.bin", "wb") as fh:
        for _ in range(BIG_FILE_MB):
            fh.write(chunk)


def build_invalid_json(folder):
    """Correct code; the notebook file is cut off in the middle (not valid JSON)."""
    correct_submission(folder)
    path = notebook_path(folder)
    path.write_bytes(path.read_bytes()[:2000])


def build_missing_notebook(folder):
    """Correct code; no notebook."""
    correct_submission(folder)
    notebook_path(folder).unlink()


def build_odd_id(folder):
    """Correct code under a student id with spaces, an apostrophe and non-ASCII letters."""
    correct_submission(folder)


WARNING_AND_STDERR = [
    "import typing",
    "",
    "typing.sys.stderr.write(\"predict: a debugging line on stderr\\n\")",
    "_ = np.float64(1.0) / 0.0  # RuntimeWarning: divide by zero (harmless: unused)",
]


def build_warning_stderr(folder):
    """Correct code; ``predict`` writes a line to stderr and triggers a numpy
    RuntimeWarning on every call."""
    release_copy(folder)
    write_perceptron(folder, predict=WARNING_AND_STDERR + reference_body(PREDICT))


# --------------------------------------------------------------------------- the table

def only(**scores):
    """Per-test expectation: the named tests get the given scores, the rest 0."""
    return {name: scores.get(name, 0) for name in TEST_POINTS}


FULL = dict(TEST_POINTS)
NOTHING = only()
PREDICT_ONLY = only(test_predict_gates=2, test_predict_hidden=3)
TAMPERED = "rejected by the tamper screen"

CASES = {
    "reference": Case(build_reference, Expectation(MAX_SCORE, FULL, ("graded; all tests passed",))),
    "untouched": Case(build_untouched, Expectation(
        0, NOTHING, ("graded; failed 6 of 6 tests",), verdicts=dict.fromkeys(TEST_POINTS, "not implemented"))),
    "syntax_error": Case(build_syntax_error, Expectation(
        0, NOTHING, ("nnlib/perceptron.py does not compile: SyntaxError",
                     f"line {syntax_error_line(SYNTAX_ERROR_SOURCE)}"))),
    "import_error": Case(build_import_error, Expectation(
        0, NOTHING, ("nnlib does not import: ZeroDivisionError",
                     f"(nnlib/perceptron.py, line {line_of(IMPORT_ERROR_SOURCE, 'SCALE = 1 / 0')})"))),
    "infinite_loop": Case(build_infinite_loop, Expectation(
        5, PREDICT_ONLY, ("timed out after", "test_update_worked_example"))),
    "sys_exit": Case(build_sys_exit, Expectation(5, PREDICT_ONLY, ("failed 4 of 6 tests",))),
    "os_exit": Case(build_os_exit, Expectation(
        5, PREDICT_ONLY, ("the kernel died in cell test_update_worked_example",))),
    "segfault_ctypes": Case(build_segfault_ctypes, Expectation(
        0, NOTHING, (TAMPERED, "nnlib/perceptron.py"))),
    "segfault_numpy": Case(build_segfault_numpy, Expectation(
        5, PREDICT_ONLY, ("the kernel died in cell test_update_worked_example",))),
    "memory_hog": Case(build_memory_hog, Expectation(
        5, PREDICT_ONLY, status_any=("ran out of memory", "the kernel died", "timed out after"))),
    "deleted_tests": Case(build_deleted_tests, Expectation(MAX_SCORE, FULL, ("all tests passed",))),
    "edited_tests": Case(build_edited_tests, Expectation(0, NOTHING)),
    "duplicated_tests": Case(build_duplicated_tests, Expectation(MAX_SCORE, FULL, ("all tests passed",))),
    "monkeypatch_notebook": Case(build_monkeypatch_notebook, Expectation(0, NOTHING)),
    "monkeypatch_nnlib_module": Case(build_monkeypatch_nnlib_module, Expectation(0, NOTHING, (TAMPERED,))),
    "monkeypatch_nnlib_body": Case(build_monkeypatch_nnlib_body, Expectation(0, NOTHING, (TAMPERED,))),
    # The screen rejects type(name, bases, ns); attacks.build_dispatch_objects gets past it.
    "eq_always_true": Case(build_eq_always_true, Expectation(0, NOTHING, (TAMPERED,))),
    "huge_stdout": Case(build_huge_stdout, Expectation(MAX_SCORE, FULL, ("all tests passed",))),
    "big_file": Case(build_big_file, Expectation(MAX_SCORE, FULL, ("all tests passed",))),
    "invalid_json": Case(build_invalid_json, Expectation(0, NOTHING, ("the notebook is not valid JSON",))),
    "missing_notebook": Case(build_missing_notebook, Expectation(
        0, NOTHING, (f"no {CHAPTER}/{CHAPTER}.ipynb in the submission",))),
    ODD_ID: Case(build_odd_id, Expectation(MAX_SCORE, FULL, ("all tests passed",))),
    "warning_stderr": Case(build_warning_stderr, Expectation(MAX_SCORE, FULL, ("all tests passed",))),
}
CONTROLS = ("reference", "untouched")


def build_corpus(dest, students=None, table=None):
    """Write the submissions of ``students`` (default: every case of ``table``, by default
    :data:`CASES`) under ``dest``."""
    table = table or CASES
    for student in students or table:
        table[student].build(Path(dest) / student / CHAPTER)
    return Path(dest)


# --------------------------------------------------------------------------- plain runs

UPDATE_ONCE = """
import numpy as np
from nnlib.perceptron import Perceptron
p = Perceptron(2)
print("predict", p.predict(np.array([[1.0, 1.0]])).tolist(), flush=True)
print("update", p.update(np.array([1.0, 0.0]), 0, 1.0), flush=True)
print("returned", flush=True)
"""


def run_plainly(folder, code=UPDATE_ONCE, timeout=20, memory_mb=None):
    """Run ``code`` in a plain Python process in the submission folder (so ``import nnlib``
    finds the student's copy); return the CompletedProcess, or None if it was still running
    after ``timeout`` seconds (it is killed then)."""
    def limit_memory():
        if memory_mb:
            size = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPATH", None)
    try:
        return subprocess.run([sys.executable, "-c", code], cwd=folder, env=env, timeout=timeout,
                              capture_output=True, text=True, preexec_fn=limit_memory)
    except subprocess.TimeoutExpired:
        return None


def _describe(proc):
    if proc is None:
        return "still running at the time limit"
    return f"exit code {proc.returncode}\nstdout: {proc.stdout[-800:]}\nstderr: {proc.stderr[-800:]}"


def _predicted_then(proc, died_how):
    """Predict ran and printed its correct answer; update did not return."""
    assert proc is not None and "predict [1]" in proc.stdout and "returned" not in proc.stdout, \
        f"expected a correct predict and an update that {died_how}; got {_describe(proc)}"


def probe_syntax_error(folder):
    text = (folder / "nnlib" / "perceptron.py").read_text()
    lines = text.splitlines()
    line = syntax_error_line(text)
    assert line is not None and "one ) too many" in lines[line - 1], \
        f"expected a SyntaxError on the line with one ) too many; Python reports line {line}"


def probe_import_error(folder):
    proc = run_plainly(folder, "import nnlib")
    assert proc is not None and "ZeroDivisionError" in proc.stderr, \
        f"expected import nnlib to raise ZeroDivisionError; got {_describe(proc)}"


def probe_infinite_loop(folder):
    proc = run_plainly(folder, timeout=3)
    assert proc is None, f"expected update to loop forever; got {_describe(proc)}"


def probe_sys_exit(folder):
    proc = run_plainly(folder)
    _predicted_then(proc, "exits")
    assert proc.returncode == 1 and "update gave up" in proc.stderr, \
        f"expected sys.exit('update gave up'); got {_describe(proc)}"


def probe_os_exit(folder):
    proc = run_plainly(folder)
    _predicted_then(proc, "ends the process")
    assert proc.returncode == 0 and not proc.stderr, f"expected a silent os._exit(0); got {_describe(proc)}"


def probe_segfault(folder):
    proc = run_plainly(folder)
    _predicted_then(proc, "segfaults")
    assert proc.returncode == -11, f"expected SIGSEGV (exit code -11); got {_describe(proc)}"


def probe_memory_hog(folder, memory_mb=1000):
    proc = run_plainly(folder, memory_mb=memory_mb)
    _predicted_then(proc, "runs out of memory")
    assert "MemoryError" in proc.stderr, \
        f"expected a MemoryError under a {memory_mb} MB limit; got {_describe(proc)}"


PATCH_WORKS = """
import numpy as np
import nnlib.perceptron
{trigger}
assert np.allclose(1.0, 2.0) and np.isclose(1.0, 2.0) and np.array_equal([1], [2])
print("patched")
"""


def probe_monkeypatch_module(folder):
    proc = run_plainly(folder, PATCH_WORKS.format(trigger=""))
    assert proc is not None and "patched" in proc.stdout, \
        f"expected importing nnlib to patch numpy's comparisons; got {_describe(proc)}"


def probe_monkeypatch_body(folder):
    trigger = "nnlib.perceptron.Perceptron(2).predict(np.zeros((1, 2)))"
    proc = run_plainly(folder, PATCH_WORKS.format(trigger=trigger))
    assert proc is not None and "patched" in proc.stdout, \
        f"expected predict to patch numpy's comparisons; got {_describe(proc)}"


def probe_monkeypatch_notebook(folder):
    cells = read_notebook(folder)["cells"]
    extra = [c for c in cells if c["cell_type"] == "code" and "np.allclose = " in "".join(c["source"])]
    assert len(extra) == 1 and not extra[0]["metadata"], "expected one plain cell with the patches"
    code = "get_ipython = lambda: type('Shell', (), {})()\n" + "".join(extra[0]["source"]) \
        + "\n" + PATCH_WORKS.format(trigger="")
    proc = run_plainly(folder, code)
    assert proc is not None and "patched" in proc.stdout, \
        f"expected the extra cell to patch numpy's comparisons; got {_describe(proc)}"


FOOLS_ARRAY_EQUAL = """
import numpy as np
from nnlib.perceptron import Perceptron
got = Perceptron(2).predict(np.zeros((3, 2)))
assert got.shape == (3,) and np.array_equal(got, [0, 1, 0]) and np.array_equal(got, [7, 7, 7])
print("fooled")
"""


def probe_eq_always_true(folder):
    proc = run_plainly(folder, FOOLS_ARRAY_EQUAL)
    assert proc is not None and "fooled" in proc.stdout, \
        f"expected predict's result to equal any labels under np.array_equal; got {_describe(proc)}"


HUGE_OUTPUT = UPDATE_ONCE + "p.update(np.array([1.0, 0.0]), 0, 1.0)\nprint('second call', flush=True)\n"


def probe_huge_stdout(folder):
    proc = run_plainly(folder, HUGE_OUTPUT)
    assert proc is not None and proc.returncode == 0, f"expected a clean run; got {_describe(proc)}"
    expected = HUGE_STDOUT_MB * 1_000_000
    assert expected <= len(proc.stdout) < expected + 1000 and "second call" in proc.stdout, \
        f"expected {HUGE_STDOUT_MB} MB on stdout once; got {len(proc.stdout)} characters"


def probe_warning_stderr(folder):
    proc = run_plainly(folder)
    assert proc is not None and proc.returncode == 0 and "returned" in proc.stdout, _describe(proc)
    assert "a debugging line on stderr" in proc.stderr and "RuntimeWarning" in proc.stderr, \
        f"expected a stderr line and a RuntimeWarning; got {_describe(proc)}"


PROBES = {
    "syntax_error": probe_syntax_error,
    "import_error": probe_import_error,
    "infinite_loop": probe_infinite_loop,
    "sys_exit": probe_sys_exit,
    "os_exit": probe_os_exit,
    "segfault_ctypes": probe_segfault,
    "segfault_numpy": probe_segfault,
    "memory_hog": probe_memory_hog,
    "monkeypatch_notebook": probe_monkeypatch_notebook,
    "monkeypatch_nnlib_module": probe_monkeypatch_module,
    "monkeypatch_nnlib_body": probe_monkeypatch_body,
    "eq_always_true": probe_eq_always_true,
    "huge_stdout": probe_huge_stdout,
    "warning_stderr": probe_warning_stderr,
}
