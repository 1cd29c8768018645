"""Autograde a folder of submissions: grades.csv, feedback pages and nbgrader's gradebook.

A pool of worker processes grades the submissions (:mod:`.submission`), each in its own
sandbox. The main process draws the batch's secret seed, keeps each result as soon as it
arrives (``OUT/results/``, so an interrupted batch resumes), writes it to the gradebook (a
single writer) and shows progress. Only trusted code writes anything under OUT.
"""
import csv
import json
import multiprocessing
import secrets
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from ..gradebook import Recorder, default_url
from ..mutants import catalogue as mutant_catalogue
from ..mutants import write_mutated_package
from ..notebook_schema import test_cells, written_cells
from ..solution_regions import write_student_package
from . import store
from .cgroup import Cgroup
from .feedback import copy_exchange_stamps, feedback_path, write_feedback
from .sandbox import Limits, SandboxUnavailable, unavailable_reason
from .submission import Job, failed, grade, work_folder_name

GRADES_COLUMNS = ("student_id", "assignment", "score", "max_score", "status")


def autograde(chapter, submissions_dir, out_dir, repo_root, limits=None, progress=True, jobs=1,
              db_url=None, diagnose=True, sandboxed=True):
    """Grade every ``submissions_dir/<student_id>/<assignment>/``; return the results.

    Writes ``out_dir/grades.csv``, ``out_dir/feedback/<student_id>/<assignment>/<assignment>.html``
    (with the submission's exchange stamps, for ``nbgrader release_feedback``), the executed
    notebooks under ``out_dir/autograded/`` and the scores to the gradebook ``db_url``
    (default ``sqlite:///out_dir/gradebook.db``). ``jobs`` submissions are graded at a time.
    Each result is kept in ``out_dir/results/<student_id>.json`` as soon as it is graded; a
    re-run reuses those whose submission and grading inputs are unchanged. With
    ``diagnose``, feedback names the catalogued mistake (:mod:`nncourse.mutants`) a wrong
    answer matches. Refuses to run (:class:`SandboxUnavailable`) where no sandbox can be
    made, unless ``sandboxed`` is False.
    """
    reason = unavailable_reason() if sandboxed else None
    if reason:
        raise SandboxUnavailable(f"no sandbox can be made here: {reason}; nothing was graded "
                                 f"(--no-sandbox grades without one, on a trusted machine only)")
    limits, submissions_dir, out_dir = limits or Limits(), Path(submissions_dir), Path(out_dir)
    students = _students(submissions_dir, chapter)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = nbformat.read(chapter.source_notebook(repo_root), as_version=4)
    recorder = Recorder(db_url or default_url(out_dir), chapter, test_cells(source), written_cells(source))
    inputs = store.inputs_digest(repo_root, chapter, extra=f"{limits!r} {diagnose} {sandboxed}")
    digests = {sid: store.fingerprint(submissions_dir / sid / chapter.id, inputs) for sid in students}
    reused = {sid: r for sid in students if (r := store.load(out_dir / "results", sid, digests[sid]))}
    if reused and progress:
        print(f"reusing {len(reused)} stored result(s) of unchanged submissions", file=sys.stderr)

    def keep(result):
        if not _is_text(result.student_id):
            result.status += "; not recorded in the gradebook: the student id is not UTF-8 text"
        if not result.reused:
            store.save(out_dir / "results", result, digests[result.student_id])
        if _is_text(result.student_id):
            recorder.record(result)

    try:
        for result in reused.values():
            recorder.record(result)
        todo = [sid for sid in students if sid not in reused]
        settings = dict(limits=limits, diagnose=diagnose, sandboxed=sandboxed, tests=test_cells(source))
        graded = _grade_batch(chapter, submissions_dir, out_dir, repo_root, todo, jobs, progress,
                              keep, settings) if todo else []
    finally:
        recorder.close()
    results = sorted([*reused.values(), *graded], key=lambda r: r.student_id)
    _write_outputs(chapter, submissions_dir, out_dir, results)
    return results


def _is_text(student_id):
    """Can ``student_id`` (a folder name) be written as UTF-8 text?"""
    try:
        student_id.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _students(submissions_dir, chapter):
    students = sorted(d.name for d in submissions_dir.iterdir() if d.is_dir()) \
        if submissions_dir.is_dir() else []
    if not students:
        raise FileNotFoundError(f"{submissions_dir}: no student folders; expected "
                                f"{submissions_dir}/<student_id>/{chapter.id}/{chapter.notebook}")
    return students


def _write_outputs(chapter, submissions_dir, out_dir, results):
    write_grades(out_dir / "grades.csv", results)
    for result in results:
        page = feedback_path(out_dir, result.student_id, chapter.id)
        write_feedback(page, result)
        copy_exchange_stamps(submissions_dir / result.student_id / chapter.id, page.parent)


def _grade_batch(chapter, submissions_dir, out_dir, repo_root, students, jobs, progress, keep, settings):
    """Grade ``students`` with ``jobs`` worker processes; ``keep`` each result on arrival."""
    seed = secrets.token_hex(16)  # the hidden inputs of this batch; never stored
    Cgroup.sweep()
    with tempfile.TemporaryDirectory(prefix="nncourse-grade-") as scratch:
        scratch = Path(scratch)
        release_nnlib = scratch / "release" / "nnlib"
        write_student_package(Path(repo_root) / "nnlib", release_nnlib, chapter=chapter)
        mutants = write_mutants(chapter, repo_root, scratch / "mutants") if settings["diagnose"] else ""
        batch = [Job(student_id=sid, folder=str(submissions_dir / sid / chapter.id),
                     chapter_id=chapter.id, notebook=chapter.notebook,
                     source_notebook=str(chapter.source_notebook(repo_root)),
                     release_nnlib=str(release_nnlib), work=str(scratch / work_folder_name(sid)),
                     autograded=str(out_dir / "autograded" / sid / chapter.id / chapter.notebook),
                     repo_root=str(Path(repo_root).resolve()), limits=settings["limits"], seed=seed,
                     mutants=mutants, sandboxed=settings["sandboxed"]) for sid in students]
        with tqdm(total=len(students), desc=f"autograde {chapter.id}", unit="submission",
                  disable=not progress) as bar:
            return _run_pool(batch, jobs, settings["tests"], lambda result: (keep(result), bar.update()))


def _run_pool(batch, jobs, tests, on_result):
    """Grade ``batch`` in worker processes; call ``on_result`` on each result as it arrives.

    If a worker process dies (no submission should be able to cause it: student code runs
    in sandboxes), the pool is rebuilt and the unfinished jobs are retried one at a time; a
    job that breaks a worker twice gets a zero saying so.
    """
    done, attempts, remaining = [], {}, list(batch)
    while remaining:
        workers = max(1, min(jobs, len(remaining))) if not attempts else 1
        broken = []
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context("forkserver")) as pool:
            futures = {pool.submit(grade, job): job for job in remaining}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    attempts[job.student_id] = attempts.get(job.student_id, 0) + 1
                    if attempts[job.student_id] < 2:
                        broken.append(job)
                        continue
                    result = failed(job, tests, "grading failed: the grading worker died twice on this submission")
                done.append(result)
                on_result(result)
        remaining = broken
    return done


def write_mutants(chapter, repo_root, dest):
    """One mutated reference package per catalogued mistake, and ``index.json`` listing
    them (function, hint, folder); the path, or "" if the chapter has no catalogue."""
    index = []
    for number, mutant in enumerate(mutant_catalogue(chapter)):
        folder = f"{number:02d}-{mutant.name}"
        write_mutated_package(Path(repo_root) / "nnlib", mutant, dest / folder)
        index.append({"function": mutant.function, "hint": mutant.hint, "folder": folder})
    if not index:
        return ""
    (dest / "index.json").write_text(json.dumps(index, indent=1))
    return str(dest)


def write_grades(path, results):
    """Write ``grades.csv``, one row per student, sorted by student id."""
    with open(path, "w", newline="", encoding="utf-8", errors="surrogateescape") as fh:
        writer = csv.DictWriter(fh, fieldnames=GRADES_COLUMNS)
        writer.writeheader()
        for result in sorted(results, key=lambda r: r.student_id):
            writer.writerow(result.row())
