"""Grade one submission (runs in a grading worker process; returns plain data).

Steps: check the notebook can be read; rebuild it from the instructor's source with the
student's solution cells (:func:`nncourse.restore.rebuild_notebook`); rebuild the student's
``nnlib`` with the release's definitions restored and the tamper screen applied
(:func:`nncourse.restore.restore_package`); run the notebook in a limited kernel
(:mod:`nncourse.sandbox`); score each test cell by how its execution ended.
"""
import functools
import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from .chapters import get_chapter
from .reference import REPO_ENV
from .restore import prune_unneeded_cells, read_notebook, rebuild_notebook, restore_package
from .sandbox import Limits, run_notebook

MAX_NOTEBOOK_BYTES = 20_000_000
REPORTED_FILE_BYTES = 1_000_000  # files this big that grading does not read are named in the status
TRUNCATION_MARK = "[nncourse: output truncated"
HIDDEN_MARK = "### BEGIN HIDDEN TESTS"


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one submission (paths and settings only)."""

    student_id: str
    folder: str  # the submission: <submissions>/<student_id>/<assignment>
    chapter_id: str
    notebook: str  # file name of the notebook
    source_notebook: str  # the instructor's notebook, with hidden tests
    release_nnlib: str  # the student release of nnlib (stubs), for restoring
    work: str  # a scratch folder for this submission
    autograded: str  # where the executed notebook is kept
    repo_root: str
    limits: Limits
    mutants: str = ""  # a folder of mutated reference packages with index.json, for hints


def work_folder_name(student_id):
    """A file-system-safe folder name for any student id (spaces, unicode, dots)."""
    return "s" + hashlib.sha256(student_id.encode()).hexdigest()[:16]


class _Unreadable(Exception):
    """The submission cannot be graded at all; the message is its status."""


@functools.lru_cache(maxsize=4)
def _source(path):
    """The instructor's notebook, its test cells (as dicts) and its written cells; read once
    per worker process (grading never changes it: the notebook to run is a deep copy)."""
    source = nbformat.read(path, as_version=4)
    return source, [asdict(t) for t in test_cells(source)], written_cells(source)


def grade(job):
    """Grade ``job``; return the result as a dict (see :class:`nncourse.grading.Result`)."""
    source, tests, written = _source(job.source_notebook)
    try:
        return _grade(job, source, tests, written)
    except _Unreadable as problem:
        return _record(job, tests, {}, [str(problem)], [])
    except Exception as err:  # never lose the batch to one submission
        return _record(job, tests, {}, [f"grading failed: {type(err).__name__}: {err}"], [])


def crash_record(job):
    """The zero result of a submission whose grading worker died twice."""
    return _record(job, _source(job.source_notebook)[1], {},
                   ["grading failed: the grading worker process died twice on this submission"], [])


def _grade(job, source, tests, written):
    graded_nb, notes = _prepare(job, source, _student_notebook(job))
    test_ids = {t["name"] for t in tests}
    run = run_notebook(graded_nb, job.work, job.limits, env=_kernel_env(job),
                       is_test=lambda cell: _grade_id(cell) in test_ids,
                       followup=lambda run: _followups(graded_nb, run, job, tests, notes))
    outcomes = _outcomes(graded_nb, run)
    notes += _incidents(graded_nb, run, job.limits)
    probe = run.followups.get(IMPORT_PROBE_KEY)
    if probe is not None and probe.status == "error":
        notes.append(f"nnlib does not import: {probe.evalue}")
    _keep_notebook(graded_nb, Path(job.autograded))
    known = {key[1]: key[2] for key, outcome in run.followups.items()
             if key[0] == "diagnosis" and outcome.status == "ok"}
    return _record(job, tests, outcomes, notes, _answers(graded_nb, written), known)


def _outcomes(notebook, run):
    """``{grade_id: CellRun}`` of the cells that ran."""
    return {_grade_id(notebook.cells[i]): c for i, c in run.cells.items()}


def _student_notebook(job):
    """The submitted notebook, or raise :class:`_Unreadable` saying what is wrong."""
    path = Path(job.folder) / job.notebook
    if not path.is_file():
        raise _Unreadable(f"no {job.chapter_id}/{job.notebook} in the submission")
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        raise _Unreadable(f"the notebook is larger than {MAX_NOTEBOOK_BYTES // 10**6} MB")
    try:
        return read_notebook(path)
    except ValueError as err:
        raise _Unreadable(str(err)) from None


def _prepare(job, source, student_nb):
    """Lay out ``job.work`` (the restored nnlib); the notebook to run and notes so far."""
    work = Path(job.work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    notes = restore_package(Path(job.folder) / "nnlib", job.release_nnlib, work / "nnlib",
                            get_chapter(job.chapter_id).functions)
    graded_nb, cell_notes = rebuild_notebook(source, student_nb)
    prune_unneeded_cells(graded_nb, lambda cell: _grade_id(cell) is not None)
    return graded_nb, notes + cell_notes + _ignored_files(Path(job.folder), job.notebook)


@dataclass(frozen=True)
class TestCell:
    """A graded test cell of the source notebook.

    ``topic`` is what it grades: ``metadata["nncourse"]["topic"]`` (a function of
    ``nncourse/chapters.py`` or a label such as "training"), else the cell's own name.
    """

    name: str
    points: float
    hidden: bool
    hint: str
    topic: str = ""


def test_cells(notebook):
    """The autograded test cells of a source notebook, in order."""
    cells = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            ours = cell.metadata.get("nncourse", {})
            cells.append(TestCell(meta["grade_id"], float(meta.get("points", 0)),
                                  HIDDEN_MARK in cell.source, ours.get("hint", ""),
                                  ours.get("topic", meta["grade_id"])))
    return cells


def written_cells(notebook):
    """(grade_id, points) of the manually graded answers."""
    return [(_grade_id(c), float(c.metadata["nbgrader"].get("points", 0))) for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("solution")]


DIAGNOSIS = """\
import sys as _sys
from nncourse.reference import load_package as _load_package
for _name in [m for m in _sys.modules if m.split(".")[0] == "nnlib_reference"]:
    del _sys.modules[_name]
_load_package({package!r}, "nnlib_reference")
"""


IMPORT_PROBE_KEY = ("import",)
IMPORT_PROBE = """\
import traceback as _traceback
try:
    import nnlib
except BaseException as _err:
    _frames = [f for f in _traceback.extract_tb(_err.__traceback__)
               if "/nnlib/" in f.filename.replace("\\\\", "/")]
    _where = "" if not _frames else " (nnlib/{}, line {})".format(
        _frames[-1].filename.replace("\\\\", "/").split("/nnlib/")[-1], _frames[-1].lineno)
    raise RuntimeError(f"{type(_err).__name__}: {_err}"[:300] + _where) from None
"""


def _followups(notebook, run, job, tests, notes):
    """Cells to run once the notebook is done: the diagnoses of failed hidden tests and,
    if a test failed for a reason not known yet, whether nnlib imports at all."""
    outcomes = _outcomes(notebook, run)
    failed = [t for t in tests if getattr(outcomes.get(t["name"]), "status", None) != "ok"]
    cells = _diagnoses(failed, outcomes, job, {_grade_id(c): c.source for c in notebook.cells})
    if failed and not any("tamper" in n or "compile" in n for n in notes):
        cells[IMPORT_PROBE_KEY] = IMPORT_PROBE
    return cells


def _diagnoses(failed, outcomes, job, sources):
    """Each hidden test that found a wrong result, rerun with each catalogued mistake of
    its topic as the reference: if the student's code passes, it makes that mistake."""
    if not job.mutants:
        return {}
    mutants = json.loads((Path(job.mutants) / "index.json").read_text())
    cells = {}
    for test in failed:
        if not test["hidden"] or getattr(outcomes.get(test["name"]), "ename", "") != "AssertionError":
            continue
        for mutant in (m for m in mutants if m["function"] == test["topic"]):
            prelude = DIAGNOSIS.format(package=str(Path(job.mutants) / mutant["folder"]))
            cells[("diagnosis", test["name"], mutant["hint"])] = prelude + sources[test["name"]]
    return cells


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _kernel_env(job):
    """Variables the kernel adds to the grader's environment (the zygote has already
    imported matplotlib with the Agg backend)."""
    return {REPO_ENV: job.repo_root}


def _incidents(notebook, run, limits):
    """Status phrases for cells that timed out, crashed, ran out of memory or were not run."""
    phrases = {"timeout": f"timed out after {limits.timeout:g} s in cell {{}}",
               "died": "the kernel died in cell {}",
               "memory": f"ran out of memory (limit {limits.memory_mb} MB) in cell {{}}",
               "not run": "cell {} was not run (the kernel kept dying)"}
    notes = [phrases[c.status].format(_cell_name(notebook, i))
             for i, c in sorted(run.cells.items()) if c.status in phrases]
    if any(TRUNCATION_MARK in o.get("text", "") for cell in notebook.cells
           for o in cell.get("outputs", [])):
        notes.append(f"output truncated at {limits.output_bytes:,} bytes")
    return notes


def _cell_name(notebook, index):
    return _grade_id(notebook.cells[index]) or f"{index + 1} (not graded)"


def _ignored_files(folder, notebook_name):
    """Large files grading does not read (anything but the notebook and nnlib/*.py)."""
    ignored = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        used = relative.as_posix() == notebook_name or \
            (relative.parts[0] == "nnlib" and path.suffix == ".py")
        if path.is_file() and not path.is_symlink() and not used \
                and path.stat().st_size >= REPORTED_FILE_BYTES:
            ignored.append(f"ignored {relative.as_posix()} ({path.stat().st_size / 1e6:.1f} MB; "
                           f"grading reads only the notebook and nnlib/*.py)")
    return ignored


def _answers(notebook, written):
    text = {_grade_id(c): c.source for c in notebook.cells}
    return [(name, points, text.get(name, "")) for name, points in written]


def _keep_notebook(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def _record(job, tests, outcomes, notes, written, known_mistakes=None):
    results = [_test_result(t, outcomes.get(t["name"]), job.limits,
                            (known_mistakes or {}).get(t["name"])) for t in tests]
    failed = [r["cell"]["name"] for r in results if r["score"] < r["cell"]["points"]]
    summary = (f"graded; failed {len(failed)} of {len(results)} tests: {', '.join(failed)}"
               if failed else "graded; all tests passed")
    status = "; ".join(notes + [summary])
    if written:
        status += f"; {len(written)} written answer(s) to grade by hand"
    return {"student_id": job.student_id, "assignment": job.chapter_id, "tests": results,
            "status": status, "written": written}


def _test_result(test, outcome, limits, known_mistake=None):
    score = test["points"] if outcome is not None and outcome.status == "ok" else 0.0
    message = _message(test, outcome, limits)
    if known_mistake and score < test["points"]:
        message += f" Your code behaves like a known mistake: {known_mistake}"
    return {"cell": test, "score": score, "message": message}


def _message(test, outcome, limits):
    if outcome is None:
        return "not run"
    if outcome.status == "ok":
        return "passed"
    if outcome.status == "timeout":
        return f"timed out after {limits.timeout:g} s: the cell was interrupted (an endless loop?)"
    if outcome.status == "died":
        return "the kernel died while this test ran (a crash, os._exit or a segfault in your code)"
    if outcome.status == "memory":
        return f"ran out of memory (the limit is {limits.memory_mb} MB)"
    if outcome.status == "not run":
        return f"not run: {outcome.evalue}"
    if test["hidden"]:
        return _hidden_message(outcome.ename) + (f" Hint: {test['hint']}" if test["hint"] else "")
    return f"{outcome.ename}: {outcome.evalue[:500]}"


def _hidden_message(ename):
    """What a failed hidden test may say: never its code, inputs or expected values."""
    if ename == "NotImplementedError":  # evalue is not echoed: student code could fill it
        return "Not implemented yet: a function this test needs still raises NotImplementedError."
    if ename == "AssertionError":
        return ("A hidden test compared your code with the reference on inputs you have not "
                "seen, and they disagreed.")
    return f"Your code raised {ename} on inputs you have not seen."
