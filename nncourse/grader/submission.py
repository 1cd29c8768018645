"""Grade one submission (in a grading worker; this process never runs student code).

Steps: take in the submission's notebook and ``nnlib`` files (:mod:`.intake`); rebuild
the notebook from the instructor's source with the student's solution cells and the
``nnlib`` with the release's definitions restored (:mod:`.restore`); replace each graded
test cell by a call to its probe and lay out the job folder; run it in a sandbox
(:mod:`.sandbox`); judge what came back against the reference (:mod:`.checks`).
"""
import builtins
import functools
import hashlib
import os
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .. import probes
from ..probes import plaindata
from ..probes.in_kernel import IMPORT_FAILURE
from ..probes.kit import OUT_OF_MEMORY
from ..chapters import get_chapter
from ..notebook_schema import grade_id, is_test_cell, test_cells, written_cells
from . import checks
from .autograded import keep_autograded
from .diagnosis import known_mistake
from .intake import Unreadable, take_in
from .restore import prune_unneeded_cells, read_notebook, rebuild_notebook, restore_package
from .result import Result, TestOutcome
from .sandbox import Limits, run_sandboxed

STARTUP_SECONDS = 30  # the sandbox's own start and the first kernel, on a busy machine
SANDBOX_JOB = "/job"
PRELUDE = """\
# nncourse: the grader's probes (they return plain data; the grader judges outside)
import sys as _sys
_sys.path.insert(0, {lib!r})
from probes.in_kernel import Prober as _Prober
_nncourse = _Prober({job!r}, {chapter!r})
del _sys, _Prober"""
PROBE_CALL = "# nncourse: graded outside this notebook by its trusted check\n_nncourse.run({gid!r}, globals())"


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to grade one submission (paths and settings only)."""

    student_id: str
    folder: str  # the submission: <submissions>/<student_id>/<assignment>
    chapter_id: str
    notebook: str  # file name of the notebook
    source_notebook: str  # the instructor's notebook
    release_nnlib: str  # the chapter's release of nnlib, for restoring
    work: str  # a scratch folder for this submission
    autograded: str  # where the executed notebook is kept
    repo_root: str
    limits: Limits
    seed: str  # the batch's secret: it draws the hidden inputs
    mutants: str = ""  # mutated reference packages with index.json, for hints
    sandboxed: bool = True


def work_folder_name(student_id):
    """A file-system-safe folder name for any student id (spaces, unicode, dots)."""
    return "s" + hashlib.sha256(os.fsencode(student_id)).hexdigest()[:16]


@functools.lru_cache(maxsize=2)
def _batch(source_notebook, repo_root, chapter_id, seed):
    """Per worker and batch: the source notebook, its cells and the prepared checks."""
    source = nbformat.read(source_notebook, as_version=4)
    reference = checks.load_nnlib(Path(repo_root) / "nnlib", f"nnlib_reference_{abs(hash(seed))}")
    return source, test_cells(source), written_cells(source), checks.prepare(chapter_id, reference, seed)


@functools.lru_cache(maxsize=1)
def matplotlib_cache():
    """A folder holding only matplotlib's font list, built once per worker (a kernel
    without it spends seconds building one)."""
    import matplotlib
    from matplotlib import font_manager
    font_manager.fontManager  # noqa: B018 (the font list is written on first use)
    folder = Path(tempfile.mkdtemp(prefix="nncourse-mpl-"))
    folder.chmod(0o755)  # the sandbox's user reads the job's copy of it
    for fontlist in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(fontlist, folder)
    return folder


def grade(job):
    """Grade ``job``; return its :class:`Result`. Its scratch folder is removed after."""
    source, tests, written, prepared = _batch(job.source_notebook, job.repo_root, job.chapter_id, job.seed)
    try:
        return _grade(job, source, tests, written, prepared)
    except Unreadable as problem:
        return failed(job, tests, str(problem))
    except Exception as err:  # never lose the batch to one submission
        return failed(job, tests, f"grading failed: {type(err).__name__}: {err}")
    finally:
        shutil.rmtree(job.work, ignore_errors=True)


def failed(job, tests, status):
    """The zero result of a submission that could not be graded."""
    outcomes = [TestOutcome(t, checks.MISSING) for t in tests]
    return Result(job.student_id, job.chapter_id, outcomes, _status(job, [status], outcomes, []))


def _grade(job, source, tests, written, prepared):
    work = Path(job.work)
    if work.exists():
        shutil.rmtree(work)
    notes = take_in(job.folder, job.notebook, work / "input")
    graded_nb, notes = _rebuild(job, source, work, notes)
    layout = _lay_out_job(job, graded_nb, prepared, work / "job")
    run = run_sandboxed(work / "job", job.limits, layout["budget"], job.sandboxed)
    outcomes = [_outcome(t, layout, run, prepared, job) for t in tests]
    notes += _incidents(graded_nb, run, layout) + _import_failure(run, work / "job" / "nnlib")
    notes += [f"ran out of memory (limit {job.limits.memory_mb} MB) in {o.cell.name}"
              for o in outcomes if o.verdict == OUT_OF_MEMORY]
    keep_autograded(graded_nb, run.notebook, Path(job.autograded))
    answers = [[name, points, _source_of(graded_nb, name)] for name, points in written]
    return Result(job.student_id, job.chapter_id, outcomes, _status(job, notes, outcomes, answers),
                  answers)


def _rebuild(job, source, work, notes):
    """The notebook to run (student's solution cells in the source) and the restored nnlib."""
    try:
        student_nb = read_notebook(work / "input" / job.notebook)
    except ValueError as err:
        raise Unreadable(str(err)) from None
    notes += restore_package(work / "input" / "nnlib", job.release_nnlib, work / "job" / "nnlib",
                             get_chapter(job.chapter_id).functions)
    graded_nb, cell_notes = rebuild_notebook(source, student_nb)
    prune_unneeded_cells(graded_nb, lambda cell: grade_id(cell) is not None)
    return graded_nb, notes + cell_notes


def _lay_out_job(job, notebook, prepared, folder):
    """Write the job folder the sandbox sees; return the plan (cells, budgets)."""
    job_path = SANDBOX_JOB if job.sandboxed else str(folder)
    tests, timeouts = {}, {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        if is_test_cell(cell):
            tests[index] = grade_id(cell)
            cell.source = PROBE_CALL.format(gid=tests[index])
        timeouts[index] = min(job.limits.timeout, prepared.budgets.get(tests.get(index), job.limits.timeout))
    notebook.cells.insert(0, nbformat.v4.new_code_cell(PRELUDE.format(
        lib=f"{job_path}/lib", job=job_path, chapter=job.chapter_id)))
    tests = {i + 1: g for i, g in tests.items()}
    timeouts = {0: job.limits.timeout, **{i + 1: t for i, t in timeouts.items()}}
    for grade, blob in prepared.blobs.items():
        (folder / "cases").mkdir(parents=True, exist_ok=True)
        (folder / "cases" / f"{grade}.npz").write_bytes(blob)
    shutil.copytree(Path(probes.__file__).parent, folder / "lib" / "probes",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(matplotlib_cache(), folder / "matplotlib")
    nbformat.write(notebook, folder / "notebook.ipynb")
    plan = {"tests": tests, "timeouts": timeouts, "output_bytes": job.limits.output_bytes,
            "restarts": job.limits.restarts}
    (folder / "plan.json").write_text(json.dumps(plan))
    return dict(plan, budget=sum(timeouts.values()) + STARTUP_SECONDS)


def _outcome(test, layout, run, prepared, job):
    index = next((i for i, g in layout["tests"].items() if g == test.name), None)
    if test.name not in prepared.checks:
        return TestOutcome(test, checks.MISSING, "this test has no trusted check")
    verdict = checks.judge(prepared, test.name, run.results.get(test.name),
                           run.cells.get(index, ""))
    hint = known_mistake(job.mutants, prepared, test, run.results.get(test.name)) \
        if verdict.status == checks.WRONG else ""
    return TestOutcome(test, verdict.status, verdict.detail, hint)


def _incidents(notebook, run, layout):
    """Status phrases for what the sandbox had to stop, in trusted words."""
    words = {"timeout": "timed out after {:g} s in cell {}", "stuck": "timed out after {:g} s in cell {}",
             "died": "the kernel died in cell {1}"}
    notes = [words[s].format(layout["timeouts"][i], _cell_name(notebook, i))
             for i, s in sorted(run.cells.items()) if s in words and i in layout["timeouts"]]
    if run.ended == "budget":
        notes.append(f"stopped at the submission's time budget ({layout['budget']:g} s)")
    elif run.ended == "output limit":
        notes.append("stopped: it sent more output than the grader accepts")
    elif not run.notebook:
        notes.append("the sandbox ended before the notebook was done (did the submission's "
                     "code kill its own processes?)")
    return notes


def _import_failure(run, package):
    """A status phrase if the sandbox says nnlib did not import, checked against what the
    grader knows (a builtin exception name, a file of the package, a line in it)."""
    blob = run.results.get(IMPORT_FAILURE)
    try:
        where = plaindata.from_bytes(blob) if blob else None
        ename, file, line = where["ename"], where["file"], where["line"]
        known = isinstance(ename, str) and isinstance(getattr(builtins, ename, None), type) and \
            issubclass(getattr(builtins, ename), BaseException)
        files = {p.relative_to(package).as_posix(): p for p in package.rglob("*.py")}
        lines = len(files[file].read_text(encoding="utf-8").splitlines()) if file in files else 0
    except (plaindata.NotPlain, TypeError, KeyError, OSError, UnicodeDecodeError):
        return []
    if not known:
        return ["nnlib does not import (an exception of the student's own class)"]
    place = f" (nnlib/{file}, line {line})" if isinstance(line, int) and 0 < line <= lines else ""
    return [f"nnlib does not import: {ename}{place}"]


def _cell_name(notebook, index):
    return grade_id(notebook.cells[index]) or f"{index} (not graded)"


def _source_of(notebook, name):
    return next((c.source for c in notebook.cells if grade_id(c) == name), "")


def _status(job, notes, outcomes, answers):
    failed_tests = [o.cell.name for o in outcomes if not o.passed]
    summary = (f"graded; failed {len(failed_tests)} of {len(outcomes)} tests: {', '.join(failed_tests)}"
               if failed_tests else "graded; all tests passed")
    parts = ([] if job.sandboxed else ["NOT SANDBOXED (--no-sandbox)"]) + notes + [summary]
    status = "; ".join(parts)
    return status + (f"; {len(answers)} written answer(s) to grade by hand" if answers else "")
