"""The PostgreSQL gradebook, against a real throwaway server (tests/postgres_server.py).

nbgrader's Gradebook must work on PostgreSQL, ``nncourse autograde --db <postgres url>``
must record the scores it writes to grades.csv, and two autograde runs writing to one
PostgreSQL gradebook at the same time must both land (SQLite is not tested for that: it is
not safe for concurrent writers). Skipped when PostgreSQL's server programs are not installed
(``make postgres`` installs Debian's package when run as root).
"""
import csv
import os
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from sqlalchemy.engine import make_url

from conftest import REPO, run_nncourse
from nncourse.solution_regions import write_student_package
from postgres_server import PostgresServer, find_postgres_bindir

CH01, CH02 = "ch01_perceptron", "ch02_sigmoid"
NOT_INSTALLED = ("PostgreSQL server programs (initdb, postgres, pg_ctl) not found in $PG_BINDIR, "
                 "on PATH or in /usr/lib/postgresql/*/bin; `make postgres` installs Debian's "
                 "postgresql when run as root")


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL server for the session, stopped at the end."""
    bindir = find_postgres_bindir()
    if bindir is None:
        pytest.skip(NOT_INSTALLED)
    with PostgresServer(bindir) as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server, request):
    """The SQLAlchemy URL of a new, empty database for this test."""
    return postgres_server.create_database(re.sub(r"\W", "_", request.node.name).lower()[:60])


@pytest.fixture
def venv_bin_on_path(monkeypatch):
    """nbgrader's Gradebook runs `alembic` by name when it creates a gradebook."""
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))


# --- submissions (nbgrader's submitted layout: <student_id>/<assignment>/) ------------------

def add_reference(submitted, student, assignment):
    """A submission with the solution notebook and the reference nnlib: full marks."""
    folder = submitted / student / assignment
    shutil.copytree(REPO / "solutions" / assignment, folder)
    shutil.copytree(REPO / "nnlib", folder / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))


def add_untouched(submitted, student, assignment):
    """The student release handed in unchanged: zero on every autograded test."""
    shutil.copytree(REPO / "exercises" / assignment, submitted / student / assignment,
                    ignore=shutil.ignore_patterns("__pycache__"))


def add_half_done(submitted, student):
    """ch01 with every function written except Perceptron.update: partial credit."""
    add_untouched(submitted, student, CH01)
    nnlib = submitted / student / CH01 / "nnlib"
    shutil.rmtree(nnlib)
    write_student_package(REPO / "nnlib", nnlib, {"perceptron.Perceptron.update"})


# --- grading and reading the gradebook ------------------------------------------------------

def autograde(assignment, submitted, out, db_url, jobs):
    """Run `nncourse autograde ... --db URL`; return grades.csv as {student_id: row}."""
    proc = run_nncourse("autograde", assignment, "--submissions", submitted, "--out", out,
                        "--db", db_url, "--jobs", jobs)
    assert proc.returncode == 0, f"autograde {assignment} failed:\n{proc.stdout}{proc.stderr}"
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def gradebook_auto_scores(db_url, assignment):
    """{student_id: sum of auto_score over the grades of the assignment's notebook}."""
    with Gradebook(db_url) as gb:
        return {nb.student.id: sum(grade.auto_score or 0 for grade in nb.grades)
                for nb in gb.notebook_submissions(assignment, assignment)}


def unearned_test_points(db_url, assignment, student):
    """Autograded (code) grades of a submission that fall short of their max_score."""
    with Gradebook(db_url) as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        return [(g.name, g.auto_score, g.max_score) for g in nb.grades
                if g.cell.cell_type == "code" and g.auto_score != g.max_score]


def csv_scores(rows):
    """{student_id: score} from grades.csv rows."""
    return {student: float(row["score"]) for student, row in rows.items()}


# --- tests ----------------------------------------------------------------------------------

def test_nbgrader_gradebook_stores_and_reads_back_on_postgres(postgres_server, postgres_url,
                                                              venv_bin_on_path):
    """Smoke test: a unicode student and an assignment survive a round trip through the server."""
    with Gradebook(postgres_url) as gb:
        gb.add_student("José Ñúñez", first_name="José")
        gb.add_assignment(CH01)
    with Gradebook(postgres_url) as gb:  # a new connection sees what the first committed
        assert [s.id for s in gb.students] == ["José Ñúñez"]
        assert gb.find_student("José Ñúñez").first_name == "José"
        assert [a.name for a in gb.assignments] == [CH01]
    conn = postgres_server.connect(make_url(postgres_url).database)
    try:
        with conn.cursor() as cur:  # the rows really are in PostgreSQL
            cur.execute("SELECT id FROM student")
            assert cur.fetchall() == [("José Ñúñez",)]
    finally:
        conn.close()


def test_autograde_records_every_score_in_the_postgres_gradebook(tmp_path, postgres_url):
    """Full, partial and zero marks: the gradebook's auto scores are grades.csv's scores."""
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    add_reference(submitted, "reference", CH01)
    add_untouched(submitted, "untouched", CH01)
    add_half_done(submitted, "half_done")
    rows = autograde(CH01, submitted, out, postgres_url, jobs=2)

    assert not (out / "gradebook.db").exists(), "--db was given, yet a SQLite gradebook was written"
    auto = gradebook_auto_scores(postgres_url, CH01)
    assert sorted(auto) == ["half_done", "reference", "untouched"]
    assert auto == pytest.approx(csv_scores(rows))
    assert auto["reference"] == float(rows["reference"]["max_score"]) > 0
    assert unearned_test_points(postgres_url, CH01, "reference") == []
    assert 0 < auto["half_done"] < auto["reference"] and auto["untouched"] == 0


def test_two_autograde_runs_fill_one_postgres_gradebook_at_the_same_time(tmp_path, postgres_url):
    """One run per assignment, both started at once on an empty database, for the same student.

    Both runs create the gradebook's tables, their assignment and student 'ada' at about the
    same moment: each must succeed and the gradebook must hold both submissions.
    """
    assignments = (CH01, CH02)
    for assignment in assignments:
        add_reference(tmp_path / assignment / "submitted", "ada", assignment)

    def grade(assignment):
        folder = tmp_path / assignment
        return autograde(assignment, folder / "submitted", folder / "out", postgres_url, jobs=1)

    with ThreadPoolExecutor(max_workers=len(assignments)) as pool:
        rows = dict(zip(assignments, pool.map(grade, assignments)))

    with Gradebook(postgres_url) as gb:
        assert [s.id for s in gb.students] == ["ada"]
        assert sorted(a.name for a in gb.assignments) == list(assignments)
    for assignment in assignments:
        auto = gradebook_auto_scores(postgres_url, assignment)
        assert auto == pytest.approx(csv_scores(rows[assignment])), assignment
        assert auto["ada"] == float(rows[assignment]["ada"]["max_score"]) > 0, assignment
        assert unearned_test_points(postgres_url, assignment, "ada") == [], assignment
