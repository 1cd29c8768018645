"""Autograde a folder of submissions: grades.csv, HTML feedback and nbgrader's gradebook.

Each submission is graded in its own kernel by a pool of worker processes
(:mod:`nncourse.submission`: what is restored, screened, limited and how a cell is scored).
The main process keeps each result as soon as it arrives (``OUT/results/``, so an
interrupted batch resumes), writes it to the gradebook (a single writer) and shows progress.
"""
import csv
import html
import json
import multiprocessing
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm.auto import tqdm

from . import results as results_store
from .feedback_layout import copy_exchange_stamps, feedback_path
from .gradebook import Recorder, default_url
from .mutants import catalogue as mutant_catalogue
from .mutants import write_mutated_package
from .sandbox import Limits
from .stubs import write_student_package
from .submission import Job, TestCell, test_cells, work_folder_name, written_cells
from .submission import crash_record
from .submission import grade as grade_submission

GRADES_COLUMNS = ("student_id", "assignment", "score", "max_score", "status")


@dataclass
class TestResult:
    """One test cell's outcome for one student."""

    cell: TestCell
    score: float
    message: str = ""

    @property
    def passed(self):
        return self.score >= self.cell.points


@dataclass
class Result:
    """One submission's grade: per-test outcomes and a one-line status."""

    student_id: str
    assignment: str
    tests: list
    status: str
    written: list = field(default_factory=list)  # (grade_id, points, answer text)
    reused: bool = False  # True when read back from a stored result instead of graded now

    @property
    def score(self):
        return sum(t.score for t in self.tests)

    @property
    def max_score(self):
        return sum(t.cell.points for t in self.tests)

    @classmethod
    def from_record(cls, record, reused=True):
        """Rebuild a result from its dict (a worker's, or one stored by :mod:`nncourse.results`)."""
        tests = [TestResult(TestCell(**t["cell"]), t["score"], t["message"]) for t in record["tests"]]
        return cls(record["student_id"], record["assignment"], tests, record["status"],
                   [tuple(w) for w in record["written"]], reused=reused)

    def row(self):
        return {"student_id": self.student_id, "assignment": self.assignment,
                "score": f"{self.score:g}", "max_score": f"{self.max_score:g}",
                "status": self.status}


def autograde(chapter, submissions_dir, out_dir, repo_root, limits=None, progress=True, jobs=1,
              db_url=None, diagnose=True):
    """Grade every ``submissions_dir/<student_id>/<assignment>/``; return the results.

    Writes ``out_dir/grades.csv``, ``out_dir/feedback/<student_id>/<assignment>/<assignment>.html``
    (with the submission's exchange stamps, for ``nbgrader release_feedback``), the executed
    notebooks under ``out_dir/autograded/`` and the scores to the gradebook ``db_url``
    (default ``sqlite:///out_dir/gradebook.db``). ``jobs`` submissions are graded at a time.
    Each result is also kept in ``out_dir/results/<student_id>.json`` as soon as it is
    graded; a re-run reuses those whose submission and grading inputs are unchanged. With
    ``diagnose``, a failed hidden test is rerun against the chapter's catalogued mistakes
    (:mod:`nncourse.mutants`) and feedback names the one the student's code matches.
    """
    limits = limits or Limits()
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    students = sorted(d.name for d in submissions_dir.iterdir() if d.is_dir()) \
        if submissions_dir.is_dir() else []
    if not students:
        raise FileNotFoundError(f"{submissions_dir}: no student folders; expected "
                                f"{submissions_dir}/<student_id>/{chapter.id}/{chapter.notebook}")
    out_dir.mkdir(parents=True, exist_ok=True)
    source = nbformat.read(chapter.source_notebook(repo_root), as_version=4)
    recorder = Recorder(db_url or default_url(out_dir), chapter, test_cells(source),
                        written_cells(source))
    store = out_dir / "results"
    inputs = results_store.inputs_digest(repo_root, chapter, extra=f"{limits!r} {diagnose}")
    digests = {sid: results_store.fingerprint(submissions_dir / sid / chapter.id, inputs)
               for sid in students}
    reused = {sid: r for sid in students
              if (r := results_store.load(store, sid, digests[sid], Result.from_record))}
    if reused and progress:
        print(f"reusing {len(reused)} stored result(s) of unchanged submissions ({store})",
              file=sys.stderr)

    def keep(result):
        if not result.reused:
            results_store.save(store, result, digests[result.student_id])
        recorder.record(result)

    try:
        for result in reused.values():
            recorder.record(result)
        todo = [sid for sid in students if sid not in reused]
        graded = _grade_batch(chapter, submissions_dir, out_dir, repo_root, limits, todo, jobs,
                              progress, keep, diagnose) if todo else []
    finally:
        recorder.close()
    results = sorted([*reused.values(), *graded], key=lambda r: r.student_id)
    write_grades(out_dir / "grades.csv", results)
    for result in results:
        page = feedback_path(out_dir, result.student_id, chapter.id)
        write_feedback(page, result)
        copy_exchange_stamps(submissions_dir / result.student_id / chapter.id, page.parent)
    return results


def _grade_batch(chapter, submissions_dir, out_dir, repo_root, limits, students, jobs, progress,
                 keep, diagnose):
    """Grade ``students`` with ``jobs`` worker processes; ``keep`` each result on arrival."""
    with tempfile.TemporaryDirectory(prefix="nncourse-grade-") as scratch:
        release_nnlib = Path(scratch) / "release" / "nnlib"
        write_student_package(Path(repo_root) / "nnlib", release_nnlib, chapter=chapter)
        mutants = write_mutants(chapter, repo_root, Path(scratch) / "mutants") if diagnose else ""
        batch = [_job(chapter, sid, submissions_dir, out_dir, repo_root, limits, release_nnlib,
                      Path(scratch), mutants) for sid in students]
        with tqdm(total=len(students), desc=f"autograde {chapter.id}", unit="submission",
                  disable=not progress) as bar:
            return _run_pool(batch, jobs, lambda result: (keep(result), bar.update()))


def _run_pool(batch, jobs, on_result):
    """Grade ``batch`` in worker processes; call ``on_result`` on each result as it arrives.

    If a worker process dies (which no submission should be able to cause: kernels are
    separate processes), the pool is rebuilt and the unfinished jobs are retried one at a
    time; a job that breaks a worker twice gets a zero saying so.
    """
    done, attempts, remaining = [], {}, list(batch)
    while remaining:
        workers = max(1, min(jobs, len(remaining))) if not attempts else 1
        broken = []
        with ProcessPoolExecutor(max_workers=workers,
                                 mp_context=multiprocessing.get_context("forkserver")) as pool:
            futures = {pool.submit(grade_submission, job): job for job in remaining}
            for future in as_completed(futures):
                try:
                    record = future.result()
                except BrokenProcessPool:
                    job = futures[future]
                    attempts[job.student_id] = attempts.get(job.student_id, 0) + 1
                    if attempts[job.student_id] < 2:
                        broken.append(job)
                        continue
                    record = crash_record(job)
                done.append(Result.from_record(record, reused=False))
                on_result(done[-1])
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


def _job(chapter, student_id, submissions_dir, out_dir, repo_root, limits, release_nnlib, scratch,
         mutants):
    return Job(student_id=student_id, folder=str(submissions_dir / student_id / chapter.id),
               chapter_id=chapter.id, notebook=chapter.notebook,
               source_notebook=str(chapter.source_notebook(repo_root)),
               release_nnlib=str(release_nnlib), work=str(scratch / work_folder_name(student_id)),
               autograded=str(out_dir / "autograded" / student_id / chapter.id / chapter.notebook),
               repo_root=str(Path(repo_root).resolve()), limits=limits, mutants=mutants)


def write_grades(path, results):
    """Write ``grades.csv``, one row per student, sorted by student id."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=GRADES_COLUMNS)
        writer.writeheader()
        for result in sorted(results, key=lambda r: r.student_id):
            writer.writerow(result.row())


FEEDBACK_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback: {assignment} ({student})</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: .4rem .6rem; text-align: left; vertical-align: top; }}
.pass {{ color: #176b2c; }} .fail {{ color: #a11; }}
pre {{ white-space: pre-wrap; background: #f6f6f6; padding: .5rem; }}
</style></head><body>
<h1>{assignment}: feedback for {student}</h1>
<p><strong>Autograded score: {score} / {max_score}</strong></p>
<p>Status: {status}</p>
<table><thead><tr><th>test</th><th>kind</th><th>points</th><th>result</th></tr></thead>
<tbody>
{rows}
</tbody></table>
{written}
</body></html>
"""


def write_feedback(path, result):
    """Write one student's HTML feedback: every test with points and message, no test code."""
    rows = "\n".join(
        f'<tr><td>{html.escape(t.cell.name)}</td><td>{"hidden" if t.cell.hidden else "visible"}'
        f'</td><td>{t.score:g} / {t.cell.points:g}</td><td class="{"pass" if t.passed else "fail"}">'
        f"{html.escape(t.message)}</td></tr>" for t in result.tests)
    written = "".join(
        f"<h2>Written answer {html.escape(name)} ({points:g} points, graded by hand)</h2>"
        f"<pre>{html.escape(answer)}</pre>" for name, points, answer in result.written)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(FEEDBACK_PAGE.format(
        assignment=html.escape(result.assignment), student=html.escape(result.student_id),
        score=f"{result.score:g}", max_score=f"{result.max_score:g}",
        status=html.escape(result.status), rows=rows, written=written), encoding="utf-8")
