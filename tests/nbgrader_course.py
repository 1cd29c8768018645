"""Helpers for tests that run nbgrader's own commands: course roots, a student's edits.

An instructor's course root is a folder whose ``nbgrader_config.py`` loads the repository's
(``solutions/`` as source, ``exercises/`` as release) and moves the root and the exchange
into the test's temporary folder. A student's course root only names the course, the
student and the exchange, as a JupyterHub image's configuration would.
"""
import os
import re
import subprocess
import sys

import nbformat

from conftest import REPO

COURSE_ID = "nn-first-principles"
WRITTEN_ANSWER = ("XOR needs b < 0, w2 + b >= 0, w1 + b >= 0 and w1 + w2 + b < 0; adding the "
                  "middle two gives w1 + w2 + 2b >= 0, so w1 + w2 + b >= -b > 0: a contradiction.")
STUB = re.compile(r"^(?P<indent>[ \t]*)# YOUR CODE HERE\n[ \t]*raise NotImplementedError\(.*\)\n",
                  re.MULTILINE)
SOLUTION = re.compile(r"^[ \t]*### BEGIN SOLUTION\n(?P<body>.*?)^[ \t]*### END SOLUTION\n",
                      re.MULTILINE | re.DOTALL)


def instructor_root(folder, exchange):
    """An instructor's course root in ``folder`` using the repository's nbgrader config."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"load_subconfig({str(REPO / 'nbgrader_config.py')!r})\n"
        f"c.CourseDirectory.root = {str(folder)!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.CollectApp.check_owner = False  # one Unix user plays every part here\n")
    return folder


def student_root(folder, exchange, student_id):
    """A student's course root in ``folder``: course id, student id, exchange and cache."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.student_id = {student_id!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.Exchange.cache = {str(folder / '.nbgrader_cache')!r}\n")
    return folder


def isolated_env(home):
    """The environment for nbgrader and jupyter: this venv's bin/ first on PATH (nbgrader
    runs alembic by name), and Jupyter's config and data folders under ``home``, so that no
    configuration of the machine's user takes part."""
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
               JUPYTER_DATA_DIR=str(home / "jupyter-data"),
               JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"))
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    env.pop("NNCOURSE_EXCHANGE", None)
    return env


def run_nbgrader(cwd, env, *args):
    """Run ``nbgrader ARGS`` in ``cwd``; fail the test with its log if it fails."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"nbgrader {' '.join(map(str, args))}:\n{proc.stdout}{proc.stderr}"
    return proc.stdout + proc.stderr


def fill_in_bodies(stub_file, reference_file):
    """Replace each stub of ``stub_file`` by the body of the reference's solution region
    in the same order, as a student who wrote the reference would; return how many."""
    bodies = [m["body"] for m in SOLUTION.finditer(reference_file.read_text())]
    source, count = stub_file.read_text(), 0

    def body(match):
        nonlocal count
        count += 1
        return bodies[count - 1]

    stub_file.write_text(STUB.sub(body, source, count=len(bodies)))
    return count


def answer_written_questions(notebook_path, answer=WRITTEN_ANSWER):
    """Write ``answer`` into every written-answer cell (a markdown solution cell);
    return their grade ids."""
    notebook = nbformat.read(notebook_path, as_version=4)
    answered = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution"):
            cell.source = answer
            answered.append(meta["grade_id"])
    nbformat.write(notebook, notebook_path)
    return answered
