"""Scores into nbgrader's gradebook (SQLite by default, any SQLAlchemy URL with ``--db``).

Only the batch's main process writes, one submission at a time, so a batch is a single
writer whatever ``--jobs`` is. SQLite is safe for that; two batches writing the same SQLite
file at once are not (nbgrader's own advice). On PostgreSQL, concurrent batches are safe:
nbgrader creates tables and rows check-then-insert, so every write of a batch (creating
the gradebook, registering the assignment, recording a student) holds a PostgreSQL
advisory lock that all nncourse batches share.
"""
import os
import sys
import warnings
from pathlib import Path

from contextlib import contextmanager

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SAWarning
from sqlalchemy.pool import NullPool

LOCK_KEY = 0x6E6E636F  # "nnco": the advisory lock every nncourse batch takes to write


def default_url(out_dir):
    """``sqlite:///OUT/gradebook.db``."""
    return f"sqlite:///{out_dir.resolve() / 'gradebook.db'}"


def open_gradebook(db_url):
    """nbgrader's :class:`Gradebook` at ``db_url`` (created and migrated if new).

    nbgrader runs ``alembic`` by name to check the schema version, so this environment's
    ``bin/`` goes first on ``PATH``.
    """
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    return Gradebook(db_url)


class Recorder:
    """Registers an assignment's cells, then records each student's scores."""

    def __init__(self, db_url, chapter, tests, written):
        self.lock = _WriteLock(db_url)
        self.assignment, self.notebook = chapter.id, chapter.notebook.removesuffix(".ipynb")
        self.written = [name for name, _ in written]
        with self.lock.held():
            self.gradebook = open_gradebook(db_url)
            self._register(tests, written)

    def _register(self, tests, written):
        gb = self.gradebook
        gb.update_or_create_assignment(self.assignment)
        try:
            gb.find_notebook(self.notebook, self.assignment)
        except MissingEntry:
            gb.add_notebook(self.notebook, self.assignment)
        for test in tests:
            gb.update_or_create_grade_cell(test.name, self.notebook, self.assignment,
                                           max_score=test.points, cell_type="code")
        for name, points in written:
            gb.update_or_create_grade_cell(name, self.notebook, self.assignment,
                                           max_score=points, cell_type="markdown")
            gb.update_or_create_solution_cell(name, self.notebook, self.assignment)

    def record(self, result):
        """Write one result's autograded scores; written answers await a TA."""
        with self.lock.held():
            self._record(result)

    def _record(self, result):
        gb = self.gradebook
        gb.update_or_create_student(result.student_id)
        with warnings.catch_warnings():  # nbgrader's add_submission trips an autoflush warning
            warnings.simplefilter("ignore", SAWarning)
            gb.update_or_create_submission(self.assignment, result.student_id)
        for test in result.tests:
            grade = gb.find_grade(test.cell.name, self.notebook, self.assignment, result.student_id)
            grade.auto_score, grade.needs_manual_grade = test.score, False
        answered = {name for name, _, _ in result.written}
        for name in self.written:  # no notebook, no answer: nothing waits for a TA
            grade = gb.find_grade(name, self.notebook, self.assignment, result.student_id)
            grade.auto_score = None if name in answered else 0.0
            grade.needs_manual_grade = name in answered and grade.manual_score is None
        gb.db.commit()

    def close(self):
        self.gradebook.close()
        self.lock.close()


class _WriteLock:
    """A PostgreSQL advisory lock shared by all batches; does nothing on other databases."""

    def __init__(self, db_url):
        self.connection = None
        if db_url.startswith("postgresql"):
            self.engine = create_engine(db_url, poolclass=NullPool)
            self.connection = self.engine.connect()

    @contextmanager
    def held(self):
        if self.connection is None:
            yield
            return
        self.connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        try:
            yield
        finally:
            self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.engine.dispose()
