"""What a student meets in a real kernel: tracebacks point at the edited line, a file that
does not compile stops every cell at once, "Run All" shows every test's verdict, and the
ch02 neuron_step test blames the function that is wrong."""
import os
import re
import shutil
from contextlib import contextmanager

import nbformat
import pytest
from jupyter_client.manager import KernelManager

from conftest import REPO
from nncourse.chapters import CHAPTERS, get_chapter
from nncourse.mutants import catalogue, write_mutated_package

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@contextmanager
def kernel_in(folder):
    """A kernel whose working folder is ``folder`` (so it imports ``folder/nnlib``)."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(folder), env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def collect(client, msg_id, timeout=60):
    """(status, text) of one execution: the reply's status and everything it showed."""
    text = []
    while True:
        msg = client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            text.append(content["text"])
        elif kind == "error":
            text.append(ANSI.sub("", "\n".join(content["traceback"])))
        elif kind == "status" and content["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=timeout)
    return reply["content"]["status"], "".join(text)


def run(client, code):
    return collect(client, client.execute(code))


def setup_cell(chapter):
    notebook = nbformat.read(get_chapter(chapter).source_notebook(REPO), 4)
    return next(c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")


def exercise_copy(tmp_path, chapter):
    folder = tmp_path / chapter
    shutil.copytree(REPO / "exercises" / chapter, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def rewrite(path, old, new):
    """Replace ``old`` by ``new`` in ``path`` and move its mtime on, as a later save would."""
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


STUB = "raise NotImplementedError('neuron_step is yours to write"
INDENT = " " * 4  # neuron_step's body
CALL = "import numpy as np\nneuron_step(np.ones((2, 2)), np.ones(2), np.zeros(2), 0.0, 1.0)"


def test_a_traceback_points_at_the_edited_line_after_autoreload(tmp_path):
    folder = exercise_copy(tmp_path, "ch02_sigmoid")
    neuron = folder / "nnlib" / "neuron.py"
    line = 1 + next(i for i, text in enumerate(neuron.read_text().splitlines()) if STUB in text)
    with kernel_in(folder) as kernel:
        assert run(kernel, setup_cell("ch02_sigmoid"))[0] == "ok"
        status, shown = run(kernel, CALL)
        assert status == "error" and f"nnlib/neuron.py:{line}," in shown, shown
        rewrite(neuron, STUB, f"# my first try\n{INDENT}z = X @ w + b\n{INDENT}raise ValueError('typo')\n{INDENT}{STUB}")
        status, shown = run(kernel, CALL)
    assert status == "error" and "ValueError: typo" in shown, shown
    assert f"nnlib/neuron.py:{line + 2}," in shown, shown  # the moved line, not the old one


def test_a_file_that_does_not_compile_stops_every_cell_at_once(tmp_path):
    folder = exercise_copy(tmp_path, "ch02_sigmoid")
    neuron = folder / "nnlib" / "neuron.py"
    line = 1 + next(i for i, text in enumerate(neuron.read_text().splitlines()) if STUB in text)
    with kernel_in(folder) as kernel:
        assert run(kernel, setup_cell("ch02_sigmoid"))[0] == "ok"
        assert run(kernel, "print('before')") == ("ok", "before\n")
        rewrite(neuron, STUB, f"z = (X @ w\n{INDENT}{STUB}")
        status, shown = run(kernel, "print('ran' + ' anyway')")
        assert status == "error" and "ran anyway" not in shown, shown
        assert f"nnlib/neuron.py:{line}" in shown and "SyntaxError" in shown, shown
        assert "nnlib/neuron.py does not compile, so this cell did not run" in shown, shown
        rewrite(neuron, "z = (X @ w\n", "z = X @ w\n")
        assert run(kernel, "print('after')") == ("ok", "after\n")


@pytest.mark.parametrize("chapter", [c.id for c in CHAPTERS.values() if c.has_exercise(REPO)])
def test_run_all_on_the_untouched_release_shows_every_visible_test(tmp_path, chapter):
    """As JupyterLab's Run All: every cell queued at once, ``stop_on_error`` unless the cell
    is tagged ``raises-exception``. No cell may be aborted; each visible test fails with its
    own message (the stub it reached, or its assertion)."""
    folder = exercise_copy(tmp_path, chapter)
    cells = [c for c in nbformat.read(folder / f"{chapter}.ipynb", 4).cells if c.cell_type == "code"]
    with kernel_in(folder) as kernel:
        ids = [kernel.execute(c.source, stop_on_error="raises-exception" not in c.metadata.get("tags", []))
               for c in cells]
        results = [collect(kernel, msg_id, timeout=120) for msg_id in ids]
    assert [status for status, _ in results].count("aborted") == 0
    tests = [shown for cell, (status, shown) in zip(cells, results)
             if cell.source.startswith("# Graded test") and status == "error"]
    assert len(tests) == sum(c.source.startswith("# Graded test") for c in cells) > 0
    assert all(re.search(r"NotImplementedError: .* is yours to write|AssertionError: ", t) for t in tests)


def test_the_neuron_step_test_blames_an_mse_gradient_without_1_over_n(tmp_path):
    mutant = next(m for m in catalogue(get_chapter("ch02_sigmoid")) if m.name == "gradient-not-averaged")
    notebook = nbformat.read(get_chapter("ch02_sigmoid").source_notebook(REPO), 4)
    test = next(c.source for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_neuron_step_values")
    for name, expected in (("reference", "ok"), ("mutant", "error")):
        folder = tmp_path / name
        if name == "mutant":
            write_mutated_package(REPO / "nnlib", mutant, folder / "nnlib")
        else:
            shutil.copytree(REPO / "nnlib", folder / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))
        with kernel_in(folder) as kernel:
            assert run(kernel, setup_cell("ch02_sigmoid"))[0] == "ok"
            status, shown = run(kernel, test)
        assert status == expected, shown
    assert "uses your mse (its gradient dpred)" in shown and "neuron_step (worked example" not in shown, shown
