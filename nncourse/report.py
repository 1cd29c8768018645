"""Grades across the course, read from an nbgrader gradebook.

Three products, all for every student in the gradebook and every chapter that has a source
notebook:

- :func:`grade_rows`: one row per (student, assignment) with the autograded score, the
  written answers graded so far and the total (a missing submission scores 0);
- :func:`progress_rows`: per student and topic (an nnlib function the chapter asks for, or
  a label such as "training"), the points earned and whether every test of the topic
  passed, plus one ``(class)`` row per topic with the fraction of students who passed it;
- :func:`plot_progress`: a PNG of that progress.

Scores come from the gradebook (``nbgrader.api.Gradebook``), the test cells, their points
and their topics from the source notebooks ``solutions/<id>/<id>.ipynb`` (each test cell's
``metadata["nncourse"]["topic"]``).
"""
import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .chapters import CHAPTERS
from .notebook_schema import test_cells, written_cells

CLASS_ID = "(class)"
NO_SUBMISSION = "no submission"
GRADES_COLUMNS = ("student_id", "assignment", "autograded_score", "autograded_max",
                  "written_score", "written_max", "total", "max_total",
                  "needs_manual_grading", "status")
PROGRESS_COLUMNS = ("student_id", "assignment", "topic", "points", "max_points", "passed",
                    "state", "students_passed", "students", "pass_rate")
# "ungraded": a topic whose tests are all worth 0 points (an optional task, such as chapter 7's
# LSTM); the gradebook holds scores only, so whether they passed is in the feedback alone.
STATES = ("pass", "partial", "fail", "not submitted", "ungraded")


# --- what each chapter grades: from the source notebooks --------------------------------

@dataclass(frozen=True)
class GradedCell:
    """A graded cell of a source notebook: an autograded test or a written answer."""

    name: str
    points: float
    written: bool
    topic: str  # the test's topic; "" for a written answer


def source_cells(notebook_path):
    """The graded cells of a source notebook: its tests, then its written answers.

    A test's topic is :attr:`nncourse.notebook_schema.TestCell.topic` (an untagged test cell is
    its own topic, so nothing is silently left out).
    """
    try:
        notebook = nbformat.read(notebook_path, as_version=4)
    except FileNotFoundError:
        raise FileNotFoundError(f"no source notebook {notebook_path}") from None
    return [GradedCell(t.name, t.points, False, t.topic) for t in test_cells(notebook)] + \
        [GradedCell(name, points, True, "") for name, points in written_cells(notebook)]


def course_cells(repo_root):
    """``{assignment id: graded cells}`` for every chapter that has a source notebook."""
    return {c.id: source_cells(c.source_notebook(repo_root))
            for c in CHAPTERS.values() if c.has_exercise(repo_root)}


def topics(cells):
    """The distinct topics of the test cells, in order of first appearance."""
    return list(dict.fromkeys(c.topic for c in cells if not c.written))


# --- what the students earned: from the gradebook ---------------------------------------

@dataclass(frozen=True)
class CellGrade:
    """One cell's grade in a submission, as nbgrader computes it."""

    score: float  # manual score if a grader entered one, else the autograder's, plus extra credit
    graded: bool  # whether any score (automatic or manual) has been set
    needs_manual_grade: bool


@dataclass
class GradebookContents:
    """Everything the reports need from a gradebook."""

    students: list
    submissions: dict = field(default_factory=dict)  # (student, assignment) -> {cell: CellGrade}
    other_assignments: list = field(default_factory=list)  # in the gradebook, not in the course


def read_gradebook(db_url, assignments):
    """Read the students and the grades of ``assignments`` from the gradebook at ``db_url``.

    Raises ``FileNotFoundError`` for a missing SQLite file and ``ValueError`` for a database
    that cannot be opened, is not an nbgrader gradebook, or has no students. Only reads:
    the gradebook is opened with one of its own course ids so nbgrader adds nothing.
    """
    course_id = _existing_course_id(db_url)
    from nbgrader.api import Gradebook

    with Gradebook(db_url, course_id=course_id) as gb:
        students = sorted(s.id for s in gb.students)
        if not students:
            raise ValueError(f"the gradebook {db_url} has no students; grade some submissions "
                             f"first (nncourse autograde ASSIGNMENT ... --db {db_url})")
        contents = GradebookContents(students)
        contents.other_assignments = sorted(a.name for a in gb.assignments
                                            if a.name not in assignments)
        for student, assignment in _submission_keys(gb):
            if assignment in assignments:
                contents.submissions[student, assignment] = {}
        for student, assignment, cell, grade in _grade_records(gb):
            if (student, assignment) in contents.submissions:
                contents.submissions[student, assignment][cell] = grade
    return contents


def _existing_course_id(db_url):
    """The id of a course recorded in the gradebook; raise if it is not a readable gradebook."""
    import sqlalchemy

    _require_sqlite_file(db_url)
    try:
        engine = sqlalchemy.create_engine(db_url)
    except (sqlalchemy.exc.ArgumentError, ImportError) as err:
        raise ValueError(f"cannot open the gradebook {db_url!r}: {err}") from None
    try:
        tables = set(sqlalchemy.inspect(engine).get_table_names())
        missing = {"course", "student", "assignment", "grade"} - tables
        if missing:
            raise ValueError(f"{db_url} is not an nbgrader gradebook (no table "
                             f"{', '.join(sorted(missing))}); expected the database that "
                             f"nncourse autograde wrote")
        with engine.connect() as conn:
            row = conn.execute(sqlalchemy.text("SELECT id FROM course ORDER BY id")).first()
    except sqlalchemy.exc.SQLAlchemyError as err:
        raise ValueError(f"cannot read the gradebook {db_url}: {err}") from None
    finally:
        engine.dispose()
    return row[0] if row else "default_course"


def _require_sqlite_file(db_url):
    """For ``sqlite:///path``, the file must exist (SQLite would create an empty one)."""
    if db_url.startswith("sqlite:///") and ":memory:" not in db_url:
        path = Path(db_url[len("sqlite:///"):].split("?", 1)[0])
        if not path.is_file():
            raise FileNotFoundError(f"no gradebook at {path} (from --db {db_url}); expected the "
                                    f"SQLite file that nncourse autograde wrote")


def _submission_keys(gb):
    """(student id, assignment name) of every submission in the gradebook."""
    from nbgrader.api import Assignment, SubmittedAssignment

    return gb.db.query(SubmittedAssignment.student_id, Assignment.name) \
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id).all()


def _grade_records(gb):
    """(student, assignment, cell name, CellGrade) of every grade, in one query.

    Only the notebook named like its assignment counts (the course's one notebook per
    assignment, ``<id>/<id>.ipynb``).
    """
    from nbgrader.api import (Assignment, BaseCell, Grade, Notebook, SubmittedAssignment,
                              SubmittedNotebook)

    query = gb.db.query(SubmittedAssignment.student_id, Assignment.name, Notebook.name,
                        BaseCell.name, Grade.score, Grade.auto_score, Grade.manual_score,
                        Grade.needs_manual_grade) \
        .select_from(Grade) \
        .join(BaseCell, BaseCell.id == Grade.cell_id) \
        .join(SubmittedNotebook, SubmittedNotebook.id == Grade.notebook_id) \
        .join(Notebook, Notebook.id == SubmittedNotebook.notebook_id) \
        .join(SubmittedAssignment, SubmittedAssignment.id == SubmittedNotebook.assignment_id) \
        .join(Assignment, Assignment.id == SubmittedAssignment.assignment_id)
    for student, assignment, notebook, cell, score, auto, manual, needs_manual in query:
        if notebook == assignment:
            graded = auto is not None or manual is not None
            grade = CellGrade(float(score or 0.0), graded, bool(needs_manual))
            yield student, assignment, cell, grade


# --- the grade table ---------------------------------------------------------------------

def grade_rows(contents, cells):
    """One row (a dict with :data:`GRADES_COLUMNS`) per student and assignment.

    ``written_score`` counts the written answers that have a score (entered by a grader,
    or 0 set by nbgrader for an answer left as released); it is empty while none has.
    """
    return [_grade_row(student, assignment, cells[assignment],
                       contents.submissions.get((student, assignment)))
            for student in contents.students for assignment in cells]


def _grade_row(student, assignment, cells, grades):
    tests = [c for c in cells if not c.written]
    written = [c for c in cells if c.written]
    test_max, written_max = sum(c.points for c in tests), sum(c.points for c in written)
    row = {"student_id": student, "assignment": assignment, "autograded_max": _num(test_max),
           "written_max": _num(written_max), "max_total": _num(test_max + written_max)}
    if grades is None:
        return {**row, "autograded_score": "0", "written_score": "", "total": "0",
                "needs_manual_grading": "no", "status": NO_SUBMISSION}
    test_score = sum(_score(grades, c) for c in tests)
    scored = [c for c in written if c.name in grades and grades[c.name].graded]
    written_score = sum(_score(grades, c) for c in scored)
    needs_manual = any(g.needs_manual_grade for g in grades.values())
    return {**row, "autograded_score": _num(test_score),
            "written_score": _num(written_score) if scored else "",
            "total": _num(test_score + written_score),
            "needs_manual_grading": "yes" if needs_manual else "no",
            "status": _status(cells, grades)}


def _score(grades, cell):
    grade = grades.get(cell.name)
    return grade.score if grade else 0.0


def _status(cells, grades):
    """'graded; all tests passed' or 'graded; failed K of M tests: ...', plus notes."""
    tests = [c for c in cells if not c.written]
    failed = [c.name for c in tests if _score(grades, c) < c.points]
    status = ("graded; all tests passed" if not failed else
              f"graded; failed {len(failed)} of {len(tests)} tests: {', '.join(failed)}")
    waiting = [c for c in cells if c.written and grades.get(c.name)
               and grades[c.name].needs_manual_grade]
    if waiting:
        status += f"; {len(waiting)} written answer(s) to grade by hand"
    missing = [c.name for c in cells if c.name not in grades]
    if missing:
        status += (f"; the gradebook has no grade for {', '.join(missing)} (graded with "
                   f"another version of the source notebook?)")
    return status


def _num(value):
    """A score as text: 3, 2.5, 0.3333."""
    return f"{value:.4g}" if value != int(value) else f"{value:g}"


def class_means(rows):
    """``{assignment: (mean total, max total, submissions)}`` over every student's row
    (a missing submission counts as 0)."""
    groups = defaultdict(list)
    for row in rows:
        groups[row["assignment"]].append(row)
    return {a: (sum(float(r["total"]) for r in rs) / len(rs), float(rs[0]["max_total"]),
                sum(r["status"] != NO_SUBMISSION for r in rs))
            for a, rs in groups.items()}


# --- per-topic progress ------------------------------------------------------------------

@dataclass(frozen=True)
class TopicResult:
    """One student's result on one topic of one assignment."""

    student_id: str
    assignment: str
    topic: str
    points: float
    max_points: float
    state: str  # one of STATES


def topic_results(contents, cells):
    """A :class:`TopicResult` per student, assignment and topic (in course order)."""
    return [_topic_result(student, assignment, topic, cells[assignment],
                          contents.submissions.get((student, assignment)))
            for student in contents.students
            for assignment in cells for topic in topics(cells[assignment])]


def _topic_result(student, assignment, topic, cells, grades):
    tests = [c for c in cells if not c.written and c.topic == topic]
    max_points = sum(c.points for c in tests)
    if grades is None:
        return TopicResult(student, assignment, topic, 0.0, max_points, "not submitted")
    points = sum(_score(grades, c) for c in tests)
    if max_points == 0:
        state = "ungraded"
    elif all(_score(grades, c) >= c.points for c in tests):
        state = "pass"
    else:
        state = "partial" if points > 0 else "fail"
    return TopicResult(student, assignment, topic, points, max_points, state)


def progress_rows(results):
    """Rows with :data:`PROGRESS_COLUMNS`: every student's topics, then one ``(class)`` row
    per topic (mean points, and how many of all students passed it)."""
    rows = [{"student_id": r.student_id, "assignment": r.assignment, "topic": r.topic,
             "points": _num(r.points), "max_points": _num(r.max_points),
             "passed": "yes" if r.state == "pass" else "no", "state": r.state}
            for r in results]
    for (assignment, topic), group in _by_topic(results).items():
        passed = sum(r.state == "pass" for r in group)
        rows.append({"student_id": CLASS_ID, "assignment": assignment, "topic": topic,
                     "points": _num(round(sum(r.points for r in group) / len(group), 4)),
                     "max_points": _num(group[0].max_points), "students_passed": passed,
                     "students": len(group), "pass_rate": f"{passed / len(group):.4g}"})
    return rows


def _by_topic(results):
    """``{(assignment, topic): [TopicResult, ...]}`` in course order."""
    groups = defaultdict(list)
    for r in results:
        groups[r.assignment, r.topic].append(r)
    return groups


# --- the plot ----------------------------------------------------------------------------

STATE_COLORS = {"pass": "#2e8b57", "partial": "#f2c14e", "fail": "#c8423b",
                "not submitted": "#c9c9c9", "ungraded": "#8fa8c8"}
MAX_STUDENT_ROWS = 60


def plot_progress(results, path):
    """Write a PNG of the class's progress per topic.

    Up to :data:`MAX_STUDENT_ROWS` students: a heatmap students x topics (pass, partial,
    fail, not submitted) under the class pass rate of each topic. More students: per topic
    the share of the class in each state, and how many topics the students passed.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = _by_topic(results)
    students = list(dict.fromkeys(r.student_id for r in results))
    if len(students) <= MAX_STUDENT_ROWS:
        fig = _heatmap_figure(plt, groups, students)
    else:
        fig = _distribution_figure(plt, groups, students)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def _topic_labels(groups):
    return [f"{assignment.split('_')[0]}: {topic}" for assignment, topic in groups]


def _heatmap_figure(plt, groups, students):
    """Class pass-rate bars on top, one coloured row per student below."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    n_topics = len(groups)
    codes = [[STATES.index(r.state) for r in group] for group in groups.values()]
    matrix = [[codes[t][s] for t in range(n_topics)] for s in range(len(students))]
    fig, (bars, heat) = plt.subplots(
        2, 1, sharex=True, figsize=(max(8, 0.5 * n_topics + 3), 3 + 0.22 * len(students)),
        gridspec_kw={"height_ratios": [2.2, max(2.0, 0.22 * len(students))]})
    _pass_rate_bars(bars, groups)
    heat.imshow(matrix, cmap=ListedColormap([STATE_COLORS[s] for s in STATES]), vmin=0,
                vmax=len(STATES) - 1, aspect="auto", interpolation="nearest")
    heat.set_yticks(range(len(students)), students, fontsize=8)
    heat.set_xticks(range(n_topics), _topic_labels(groups), rotation=60, ha="right", fontsize=8)
    heat.set_ylabel("student")
    heat.set_xticks([x - 0.5 for x in range(1, n_topics)], minor=True)
    heat.set_yticks([y - 0.5 for y in range(1, len(students))], minor=True)
    heat.grid(which="minor", color="white", linewidth=1)
    heat.tick_params(which="minor", length=0)
    heat.legend(handles=[Patch(color=STATE_COLORS[s], label=s) for s in STATES],
                loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def _pass_rate_bars(ax, groups):
    rates = [sum(r.state == "pass" for r in g) / len(g) for g in groups.values()]
    ax.bar(range(len(rates)), rates, color=STATE_COLORS["pass"])
    ax.set_ylim(0, 1)
    ax.set_ylabel("class pass rate")
    ax.set_title(f"Progress per topic ({len(next(iter(groups.values())))} students)")
    ax.grid(axis="y", alpha=0.3)


def _distribution_figure(plt, groups, students):
    """Per topic the share of students in each state; histogram of topics passed."""
    n_topics = len(groups)
    fig, (shares, hist) = plt.subplots(2, 1, figsize=(max(8, 0.5 * n_topics + 3), 8),
                                       gridspec_kw={"height_ratios": [3, 2]})
    bottom = [0.0] * n_topics
    for state in STATES:
        share = [sum(r.state == state for r in g) / len(g) for g in groups.values()]
        shares.bar(range(n_topics), share, bottom=bottom, color=STATE_COLORS[state], label=state)
        bottom = [b + s for b, s in zip(bottom, share)]
    shares.set_xticks(range(n_topics), _topic_labels(groups), rotation=60, ha="right", fontsize=8)
    shares.set_ylim(0, 1)
    shares.set_ylabel("share of the class")
    shares.set_title(f"Progress per topic ({len(students)} students; green: passed)")
    shares.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    passed = defaultdict(int)
    for group in groups.values():
        for r in group:
            passed[r.student_id] += r.state == "pass"
    hist.hist([passed[s] for s in students], bins=range(n_topics + 2), align="left",
              color="#4a6fa5", rwidth=0.85)
    hist.set_xlabel(f"topics passed (of {n_topics})")
    hist.set_ylabel("students")
    fig.tight_layout()
    return fig


# --- files -------------------------------------------------------------------------------

def write_csv(path, columns, rows):
    """Write ``rows`` (dicts) as CSV with ``columns``; missing keys are left empty."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)


@dataclass
class Export:
    """What :func:`export_grades` read and wrote."""

    students: list
    assignments: list
    means: dict  # see class_means
    other_assignments: list
    written: list  # paths


def export_grades(db_url, repo_root, out, progress=None, plot=None):
    """Write the grade table to ``out`` and, if given, the progress CSV and PNG."""
    cells = course_cells(repo_root)
    if not cells:
        raise FileNotFoundError(f"no source notebook under {Path(repo_root) / 'solutions'}")
    contents = read_gradebook(db_url, cells)
    rows = grade_rows(contents, cells)
    write_csv(out, GRADES_COLUMNS, rows)
    written = [Path(out)]
    if progress or plot:
        results = topic_results(contents, cells)
        if progress:
            write_csv(progress, PROGRESS_COLUMNS, progress_rows(results))
            written.append(Path(progress))
        if plot:
            plot_progress(results, plot)
            written.append(Path(plot))
    return Export(contents.students, list(cells), class_means(rows),
                  contents.other_assignments, written)
