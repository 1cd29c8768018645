"""nbgrader's exchange round trip on the repository's layout, with nncourse grading.

An instructor's and a student's course root share a local exchange folder (no JupyterHub):
release_assignment -> fetch_assignment -> the student completes chapter 1 -> submit ->
collect -> ``nncourse autograde`` on what was collected -> release_feedback ->
fetch_feedback, and the student reads the score in the feedback they fetched.
"""
import csv
import html

import pytest

from conftest import REPO, run_nncourse
from nbgrader_course import (answer_written_questions, fill_in_bodies, instructor_root,
                             isolated_env, run_nbgrader, student_root)
from nncourse.grader.feedback import copy_exchange_stamps

CHAPTER = "ch01_perceptron"
STUDENT = "ada"
MAX_SCORE = 15  # ch01's autograded points (the written answer's 2 wait for a TA)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    """Run the whole round trip; return the instructor's and the student's roots."""
    tmp = tmp_path_factory.mktemp("exchange")
    exchange, env = tmp / "exchange", isolated_env(tmp)
    instructor = instructor_root(tmp / "instructor", exchange)
    student = student_root(tmp / "student", exchange, STUDENT)

    run_nbgrader(instructor, env, "release_assignment", CHAPTER)
    run_nbgrader(student, env, "fetch_assignment", CHAPTER)
    complete_chapter_one(student / CHAPTER)
    run_nbgrader(student, env, "submit", CHAPTER)
    run_nbgrader(instructor, env, "collect", CHAPTER)
    graded = run_nncourse("autograde", CHAPTER, "--submissions", instructor / "submitted",
                          "--out", instructor, "--jobs", 1)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    run_nbgrader(instructor, env, "release_feedback", CHAPTER)
    run_nbgrader(student, env, "fetch_feedback", CHAPTER)
    return instructor, student


def complete_chapter_one(folder):
    """What a student does: write both Perceptron methods and answer the question."""
    written = fill_in_bodies(folder / "nnlib" / "perceptron.py", REPO / "nnlib" / "perceptron.py")
    assert written == 2, f"expected the stubs of predict and update, replaced {written}"
    assert answer_written_questions(folder / f"{CHAPTER}.ipynb") == ["written_xor"]


def test_the_student_fetches_the_release_from_exercises(round_trip):
    _, student = round_trip
    fetched = student / CHAPTER / "nnlib" / "perceptron.py"
    assert fetched.is_file() and (student / CHAPTER / f"{CHAPTER}.ipynb").is_file()
    assert "### BEGIN SOLUTION" not in (REPO / "exercises" / CHAPTER / "nnlib" / "perceptron.py").read_text()


def test_collect_puts_the_submission_where_autograde_reads_it(round_trip):
    instructor, _ = round_trip
    submitted = instructor / "submitted" / STUDENT / CHAPTER
    assert (submitted / f"{CHAPTER}.ipynb").is_file()
    assert (submitted / "timestamp.txt").is_file() and (submitted / "submission_secret.txt").is_file()


def test_the_collected_submission_is_graded_in_full(round_trip):
    instructor, _ = round_trip
    with open(instructor / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["student_id"], float(r["score"]), float(r["max_score"])) for r in rows] == \
        [(STUDENT, MAX_SCORE, MAX_SCORE)], rows
    assert rows[0]["status"].startswith("graded; all tests passed")
    assert (instructor / "autograded" / STUDENT / CHAPTER / f"{CHAPTER}.ipynb").is_file()


def test_the_student_fetches_feedback_with_the_score(round_trip):
    _, student = round_trip
    pages = list((student / CHAPTER / "feedback").glob(f"*/{CHAPTER}.html"))
    assert len(pages) == 1, f"fetched feedback: {pages}"
    page = html.unescape(pages[0].read_text(encoding="utf-8"))
    assert f"feedback for {STUDENT}" in page
    assert f"Autograded score: {MAX_SCORE} / {MAX_SCORE}" in page
    assert "w1 + w2 + 2b >= 0" in page, "the feedback does not show the student's written answer"


def test_only_small_regular_stamp_files_are_copied_beside_the_feedback(tmp_path):
    submission, feedback = tmp_path / "submission", tmp_path / "feedback"
    submission.mkdir()
    (submission / "timestamp.txt").write_text("2026-01-05 10:00:00.000000 UTC")
    (tmp_path / "instructor-file").write_text("not the student's to read")
    (submission / "submission_secret.txt").symlink_to(tmp_path / "instructor-file")
    assert copy_exchange_stamps(submission, feedback) == ["timestamp.txt"]
    assert not (feedback / "submission_secret.txt").exists()
    (submission / "submission_secret.txt").unlink()
    (submission / "submission_secret.txt").write_text("f" * 5000)
    assert copy_exchange_stamps(submission, feedback) == ["timestamp.txt"]
