"""Autograde a folder of submissions with nbgrader; write grades.csv and HTML feedback.

Each submission is graded by its own ``nbgrader autograde --student`` run, in its own
kernel, so one broken submission cannot stop the others. Scores come from nbgrader's
gradebook; the status and the feedback come from the graded notebook.
"""
import csv
import html
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from tqdm.auto import tqdm

from . import results as results_store
from .course import NbgraderError, clone_course, make_course, run_nbgrader

GRADES_COLUMNS = ("student_id", "assignment", "score", "max_score", "status")
HIDDEN_MARK = "### BEGIN HIDDEN TESTS"


@dataclass(frozen=True)
class TestCell:
    """A graded test cell of the source notebook."""

    name: str
    points: float
    hidden: bool
    hint: str


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
    def from_record(cls, record):
        """Rebuild a result from its stored dict (see :mod:`nncourse.results`)."""
        tests = [TestResult(TestCell(**t["cell"]), t["score"], t["message"]) for t in record["tests"]]
        return cls(record["student_id"], record["assignment"], tests, record["status"],
                   [tuple(w) for w in record["written"]], reused=True)

    def row(self):
        return {"student_id": self.student_id, "assignment": self.assignment,
                "score": f"{self.score:g}", "max_score": f"{self.max_score:g}",
                "status": self.status}


def test_cells(notebook):
    """The autograded test cells of a source notebook, in order."""
    cells = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            hint = cell.metadata.get("nncourse", {}).get("hint", "")
            cells.append(TestCell(meta["grade_id"], float(meta.get("points", 0)),
                                  HIDDEN_MARK in cell.source, hint))
    return cells


def written_cells(notebook):
    """(grade_id, points) of the manually graded answers."""
    return [(c.metadata["nbgrader"]["grade_id"], float(c.metadata["nbgrader"].get("points", 0)))
            for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("solution")]


def autograde(chapter, submissions_dir, out_dir, repo_root, timeout=60, progress=True, jobs=1):
    """Grade every ``submissions_dir/<student_id>/<assignment>/``; return the results.

    Writes ``out_dir/grades.csv`` and ``out_dir/feedback/<student_id>.html``; nbgrader's
    course folder (gradebook, autograded notebooks) stays in ``out_dir/nbgrader``. With
    ``jobs`` > 1, submissions are graded concurrently, each worker in its own copy of the
    course folder (``out_dir/nbgrader-worker<k>``, with its own SQLite gradebook).
    Each result is also kept in ``out_dir/results/<student_id>.json`` as soon as it is
    graded; a re-run reuses those whose submission and grading inputs are unchanged.
    """
    submissions_dir, out_dir = Path(submissions_dir), Path(out_dir)
    students = sorted(d.name for d in submissions_dir.iterdir() if d.is_dir()) \
        if submissions_dir.is_dir() else []
    if not students:
        raise FileNotFoundError(f"{submissions_dir}: no student folders; expected "
                                f"{submissions_dir}/<student_id>/{chapter.id}/{chapter.notebook}")
    out_dir.mkdir(parents=True, exist_ok=True)
    store = out_dir / "results"
    inputs = results_store.inputs_digest(repo_root, chapter)
    digests = {sid: results_store.fingerprint(submissions_dir / sid / chapter.id, inputs)
               for sid in students}
    reused = {sid: r for sid in students
              if (r := results_store.load(store, sid, digests[sid], Result.from_record))}
    todo = [sid for sid in students if sid not in reused]
    if reused and progress:
        print(f"reusing {len(reused)} stored result(s) of unchanged submissions ({store})",
              file=sys.stderr)
    keep = lambda r: results_store.save(store, r, digests[r.student_id])  # noqa: E731
    graded = _grade_batch(chapter, submissions_dir, out_dir, repo_root, timeout, todo, jobs,
                          progress, keep) if todo else []
    results = sorted([*reused.values(), *graded], key=lambda r: r.student_id)
    write_grades(out_dir / "grades.csv", results)
    for result in results:
        write_feedback(out_dir / "feedback" / f"{result.student_id}.html", result)
    return results


def _grade_batch(chapter, submissions_dir, out_dir, repo_root, timeout, students, jobs, progress,
                 keep):
    """Set up the course (and worker copies), grade ``students``, ``keep`` each result."""
    course = make_course(out_dir / "nbgrader", chapter, repo_root, timeout)
    source = nbformat.read(course / "source" / chapter.id / chapter.notebook, as_version=4)
    courses = [course] + [clone_course(course, out_dir / f"nbgrader-worker{k}", chapter, timeout)
                          for k in range(1, min(jobs, len(students)))]
    graders = [_SubmissionGrader(c, chapter, repo_root, test_cells(source), written_cells(source))
               for c in courses]
    with tqdm(total=len(students), desc=f"autograde {chapter.id}", unit="submission",
              disable=not progress) as bar:
        return _grade_all(graders, students, submissions_dir, bar, keep)


def _grade_all(graders, students, submissions_dir, bar, keep):
    """Grade ``students`` round-robin over the graders, one thread each."""
    def work(k):
        done = []
        for sid in students[k::len(graders)]:
            done.append(graders[k].grade(sid, submissions_dir / sid / graders[k].chapter.id))
            keep(done[-1])
            bar.update()
        return done

    with ThreadPoolExecutor(max_workers=len(graders)) as pool:
        parts = list(pool.map(work, range(len(graders))))
    return [r for part in parts for r in part]


class _SubmissionGrader:
    def __init__(self, course, chapter, repo_root, tests, written):
        self.course, self.chapter, self.repo_root = course, chapter, repo_root
        self.tests, self.written = tests, written

    def grade(self, student_id, folder):
        """Copy one submission into the course, autograde it and read the outcome."""
        if not (folder / self.chapter.notebook).is_file():
            return self._zero(student_id, f"no {self.chapter.id}/{self.chapter.notebook} "
                                          f"in the submission")
        dest = self.course / "submitted" / student_id / self.chapter.id
        shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints",
                                                                    "__pycache__"))
        try:
            run_nbgrader(self.course, "autograde", self.chapter.id, "--student", student_id,
                         "--force", repo_root=self.repo_root, timeout=600)
        except (NbgraderError, subprocess.TimeoutExpired) as err:
            return self._zero(student_id, "autograde failed: " + str(err).splitlines()[-1])
        graded = self.course / "autograded" / student_id / self.chapter.id
        notebook = nbformat.read(graded / self.chapter.notebook, as_version=4)
        tests = self._read_tests(student_id, notebook)
        failed = any(not t.passed for t in tests)  # probe the import only to explain a failure
        status = (failed and import_problem(graded)) or _summary(tests)
        if self.written:
            status += f"; {len(self.written)} written answer(s) to grade by hand"
        return Result(student_id, self.chapter.id, tests, status, self._answers(notebook))

    def _zero(self, student_id, status):
        tests = [TestResult(t, 0.0, f"not run: {status}") for t in self.tests]
        return Result(student_id, self.chapter.id, tests, status)

    def _read_tests(self, student_id, graded_nb):
        with Gradebook(f"sqlite:///{self.course / 'gradebook.db'}") as gb:
            notebook = gb.find_submission_notebook(Path(self.chapter.notebook).stem,
                                                   self.chapter.id, student_id)
            scores = {g.name: g.auto_score or 0.0 for g in notebook.grades}
        outputs = {c.metadata.get("nbgrader", {}).get("grade_id"): c.get("outputs", [])
                   for c in graded_nb.cells}
        return [TestResult(t, scores.get(t.name, 0.0), _message(t, outputs.get(t.name, []),
                                                                scores.get(t.name, 0.0)))
                for t in self.tests]

    def _answers(self, notebook):
        text = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in notebook.cells}
        return [(name, points, text.get(name, "")) for name, points in self.written]


def _message(cell, outputs, score):
    if score >= cell.points:
        return "passed"
    errors = [o for o in outputs if o.get("output_type") == "error"]
    error = errors[-1] if errors else {}
    ename, evalue = error.get("ename", ""), error.get("evalue", "")
    if cell.hidden:
        return _hidden_message(ename) + (f" Hint: {cell.hint}" if cell.hint else "")
    if error:
        return f"{ename or 'Error'}: {evalue}"
    if any(o.get("name") == "stderr" for o in outputs):
        return "the cell wrote to stderr, which nbgrader scores as a failure"
    return "failed"


def _hidden_message(ename):
    """What a failed hidden test may say: never its code, inputs or expected values."""
    if ename == "NotImplementedError":  # evalue is not echoed: student code could fill it
        return "Not implemented yet: a function this test needs still raises NotImplementedError."
    if ename in ("AssertionError", ""):
        return ("A hidden test compared your code with the reference on inputs you have not "
                "seen, and they disagreed.")
    return f"Your code raised {ename} on inputs you have not seen."


def _summary(tests):
    failed = [t.cell.name for t in tests if not t.passed]
    if not failed:
        return "graded; all tests passed"
    return f"graded; failed {len(failed)} of {len(tests)} tests: {', '.join(failed)}"


def import_problem(folder, timeout=60):
    """Why ``import nnlib`` fails in ``folder`` (with the file and line), or None."""
    try:
        proc = subprocess.run([sys.executable, "-c", "import nnlib"], cwd=folder,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"nnlib does not import: it ran for more than {timeout} s"
    if proc.returncode == 0:
        return None
    lines = proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"]
    frames = re.findall(r'File "[^"]*[/\\](nnlib[/\\][^"]+)", line (\d+)', proc.stderr)
    where = " ({}, line {})".format(*frames[-1]) if frames else ""
    return f"nnlib does not import: {lines[-1].strip()}{where}"


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
