"""nncourse grades: the course-wide grade table, per-topic progress and its plot, from a
gradebook written by the real grader (real kernels) for a reference and a half-done
submission; error cases and the topic metadata of the source notebooks."""
import csv
import shutil
import sqlite3

import nbformat
import pytest
from PIL import Image

from conftest import REPO, run_nncourse
from nncourse.chapters import CHAPTERS
from nncourse.cli import main
from nncourse.report import GRADES_COLUMNS, PROGRESS_COLUMNS, TopicResult, plot_progress
from nncourse.solution_regions import write_student_package

CHAPTER, SECOND = "ch01_perceptron", "ch02_sigmoid"
RELEASED = [chapter for chapter in CHAPTERS.values() if chapter.has_exercise(REPO)]  # what the report covers
HALF_DONE = "Zoë Ng"  # a space and a non-ASCII letter, as real student ids have
PREDICT, UPDATE = "perceptron.Perceptron.predict", "perceptron.Perceptron.update"


def reference_submission(folder, chapter):
    """The solution notebook and the reference nnlib: full marks."""
    shutil.copytree(REPO / "solutions" / chapter, folder / chapter)
    shutil.copytree(REPO / "nnlib", folder / chapter / "nnlib",
                    ignore=shutil.ignore_patterns("__pycache__"))


def make_submissions(root):
    """For CHAPTER: ``reference`` and a half-done submission (release notebook, nnlib with
    predict written and update still a stub). For SECOND: ``reference`` only."""
    reference_submission(root / CHAPTER / "reference", CHAPTER)
    reference_submission(root / SECOND / "reference", SECOND)
    half = root / CHAPTER / HALF_DONE / CHAPTER
    shutil.copytree(REPO / "exercises" / CHAPTER, half,
                    ignore=shutil.ignore_patterns("__pycache__", "nnlib"))
    write_student_package(REPO / "nnlib", half / "nnlib", {UPDATE})


def autograde_into_gradebook(submissions, out, db_url):
    """Grade ``submissions/<assignment>/`` of both chapters into one gradebook."""
    for chapter in (CHAPTER, SECOND):
        proc = run_nncourse("autograde", chapter, "--submissions", submissions / chapter,
                            "--out", out / chapter, "--db", db_url, "--jobs", 2)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def export_args(db_url, folder):
    return ["grades", "--db", db_url, "--out", folder / "grades.csv",
            "--progress", folder / "progress.csv", "--plot", folder / "progress.png"]


def grades_in_process(*args):
    """``nncourse grades ...`` through the CLI's entry point in this process (no interpreter
    start-up); returns its exit status."""
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    make_submissions(root / "submitted")
    db_url = f"sqlite:///{root / 'course.db'}"
    autograde_into_gradebook(root / "submitted", root / "out", db_url)
    proc = run_nncourse(*export_args(db_url, root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, db_url, proc, read_csv(root / "grades.csv"), read_csv(root / "progress.csv")


def by_key(rows, *columns):
    return {tuple(r[c] for c in columns): r for r in rows}


def test_one_row_per_student_and_assignment(graded):
    root, _, _, grades, _ = graded
    header = (root / "grades.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(GRADES_COLUMNS)
    assert sorted((r["student_id"], r["assignment"]) for r in grades) == \
        sorted((s, c.id) for s in ("reference", HALF_DONE) for c in RELEASED)
    submitted = {("reference", CHAPTER), ("reference", SECOND), (HALF_DONE, CHAPTER)}
    for row in grades:
        if (row["student_id"], row["assignment"]) in submitted:
            assert row["status"].startswith("graded; "), row
        else:
            assert row["status"] == "no submission" and row["total"] == "0", row
            assert float(row["autograded_max"]) > 0 and row["written_score"] == ""


def test_scores_come_from_the_gradebook(graded):
    rows = by_key(graded[3], "student_id", "assignment")
    ref, half = rows["reference", CHAPTER], rows[HALF_DONE, CHAPTER]
    assert (ref["autograded_score"], ref["autograded_max"], ref["written_max"]) == ("15", "15", "2")
    assert ref["status"] == "graded; all tests passed; 1 written answer(s) to grade by hand"
    # Written answers wait for a TA: no written score yet.
    assert (ref["written_score"], ref["total"], ref["needs_manual_grading"]) == ("", "15", "yes")
    assert (half["autograded_score"], half["written_score"], half["total"]) == ("5", "", "5")
    assert "failed 4 of 6 tests: test_update_worked_example, test_update_hidden" in half["status"]
    second = rows["reference", SECOND]
    assert (second["autograded_score"], second["autograded_max"]) == ("25", "25")
    assert rows[HALF_DONE, SECOND]["max_total"] == second["max_total"] == "27"


def test_progress_per_student_and_topic(graded):
    root, _, _, _, progress = graded
    header = (root / "progress.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(PROGRESS_COLUMNS)
    rows = by_key(progress, "student_id", "assignment", "topic")
    assert rows["reference", CHAPTER, PREDICT]["state"] == "pass"
    assert rows["reference", CHAPTER, UPDATE]["state"] == "pass"
    predict, update = rows[HALF_DONE, CHAPTER, PREDICT], rows[HALF_DONE, CHAPTER, UPDATE]
    assert (predict["passed"], predict["state"], predict["points"]) == ("yes", "pass", "5")
    assert (update["passed"], update["state"], update["points"]) == ("no", "fail", "0")
    assert rows[HALF_DONE, SECOND, "losses.mse"]["state"] == "not submitted"
    assert rows["reference", SECOND, "losses.mse"]["state"] == "pass"
    for chapter in RELEASED:  # every function of every released chapter is a topic
        assert all(("reference", chapter.id, f) in rows for f in chapter.functions), chapter.id


def test_class_rows_give_the_pass_rate_of_each_topic(graded):
    rows = by_key([r for r in graded[4] if r["student_id"] == "(class)"], "assignment", "topic")
    assert len(rows) == len({(r["assignment"], r["topic"]) for r in graded[4]})
    predict = rows[CHAPTER, PREDICT]
    assert (predict["pass_rate"], predict["students_passed"]) == ("1", "2")
    assert (rows[CHAPTER, UPDATE]["pass_rate"], rows[CHAPTER, UPDATE]["points"]) == ("0.5", "3")
    assert rows[SECOND, "activations.sigmoid"]["pass_rate"] == "0.5"
    assert rows["ch03_softmax", "activations.softmax"]["pass_rate"] == "0"
    assert {r["students"] for r in rows.values()} == {"2"}


def test_plot_is_a_png_with_a_row_per_student(graded):
    with Image.open(graded[0] / "progress.png") as image:
        assert image.format == "PNG"
        width, height = image.size
    assert 800 <= width <= 3000 and 300 <= height <= 1500, image.size


def test_summary_names_counts_means_and_files(graded):
    root, _, proc, _, _ = graded
    assert f"2 student(s), {len(RELEASED)} assignment(s)" in proc.stdout
    assert "ch01_perceptron: class mean 10.0/17 (2 of 2 submitted)" in proc.stdout
    assert "ch02_sigmoid: class mean 12.5/27 (1 of 2 submitted)" in proc.stdout
    assert "ch03_softmax: class mean 0.0/24 (0 of 2 submitted)" in proc.stdout
    assert str(root / "progress.png") in proc.stdout


def test_grades_a_ta_entered_and_partial_topics(graded, tmp_path):
    """What formgrader writes: a manual score for a written answer, a changed test score."""
    gradebook = tmp_path / "gradebook.db"
    shutil.copy(graded[1][len("sqlite:///"):], gradebook)
    set_grade(gradebook, "reference", "written_xor", manual=1.5)
    set_grade(gradebook, HALF_DONE, "test_update_hidden", manual=3.0)
    assert grades_in_process("grades", "--db", f"sqlite:///{gradebook}", "--out",
                             tmp_path / "grades.csv", "--progress", tmp_path / "progress.csv") == 0
    grades, progress = read_csv(tmp_path / "grades.csv"), read_csv(tmp_path / "progress.csv")
    ref = by_key(grades, "student_id", "assignment")["reference", CHAPTER]
    assert (ref["written_score"], ref["total"]) == ("1.5", "16.5")
    assert ref["needs_manual_grading"] == "no"
    assert ref["status"] == "graded; all tests passed"
    update = by_key(progress, "student_id", "assignment", "topic")[HALF_DONE, CHAPTER, UPDATE]
    assert (update["points"], update["state"], update["passed"]) == ("3", "partial", "no")


def set_grade(gradebook, student, cell, manual):
    """Enter a manual score as formgrader does (it also clears needs_manual_grade)."""
    with sqlite3.connect(gradebook) as db:
        changed = db.execute(
            "UPDATE grade SET manual_score = ?, needs_manual_grade = 0 WHERE cell_id IN "
            "(SELECT id FROM base_cell WHERE name = ?) AND notebook_id IN (SELECT sn.id FROM "
            "submitted_notebook sn JOIN submitted_assignment sa ON sn.assignment_id = sa.id "
            "WHERE sa.student_id = ?)", (manual, cell, student)).rowcount
    assert changed == 1


def test_a_missing_gradebook_is_an_error_and_is_not_created(tmp_path, capsys):
    status = grades_in_process("grades", "--db", f"sqlite:///{tmp_path / 'nope.db'}",
                               "--out", tmp_path / "g.csv")
    assert status == 2 and f"no gradebook at {tmp_path / 'nope.db'}" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists() and not (tmp_path / "g.csv").exists()


def test_an_empty_or_foreign_database_is_an_error(graded, tmp_path, capsys):
    empty = tmp_path / "empty.db"  # the course's gradebook without a single submission
    shutil.copy(graded[1][len("sqlite:///"):], empty)
    with sqlite3.connect(empty) as db:
        for table in ("grade", "comment", "submitted_notebook", "submitted_assignment", "student"):
            db.execute(f"DELETE FROM {table}")
    with sqlite3.connect(tmp_path / "other.db") as db:
        db.execute("CREATE TABLE student (id TEXT)")
    expected = {f"sqlite:///{empty}": f"the gradebook sqlite:///{empty} has no students",
                f"sqlite:///{tmp_path / 'other.db'}": "is not an nbgrader gradebook (no table "
                                                      "assignment, course, grade)",
                "nosuchdb://x": "cannot open the gradebook 'nosuchdb://x'"}
    for db_url, message in expected.items():
        assert grades_in_process("grades", "--db", db_url, "--out", tmp_path / "g.csv") == 2
        assert message in capsys.readouterr().err, db_url
    assert not (tmp_path / "g.csv").exists()


def synthetic_results(n_students, states=("pass", "partial", "fail", "not submitted")):
    topics = [(c.id, f) for c in CHAPTERS.values() for f in c.functions]
    return [TopicResult(f"student {s:03d}", a, t, 1.0, 2.0, states[(s + k) % len(states)])
            for s in range(n_students) for k, (a, t) in enumerate(topics)]


def test_plot_stays_readable_for_a_large_class(tmp_path):
    sizes = {}
    for n in (20, 40, 300):
        plot_progress(synthetic_results(n), tmp_path / f"{n}.png")
        with Image.open(tmp_path / f"{n}.png") as image:
            sizes[n] = image.size
    assert sizes[20][1] < sizes[40][1] <= 1500, sizes  # a row per student up to 60 students
    assert sizes[300][1] <= 1200 and sizes[300][0] <= 2500, sizes  # then the class distribution


def test_every_test_cell_has_a_topic_and_the_topics_cover_the_chapter(repo):
    for chapter in CHAPTERS.values():
        if not chapter.has_exercise(repo):
            continue
        notebook = nbformat.read(chapter.source_notebook(repo), as_version=4)
        tests = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")
                 and not c.metadata["nbgrader"].get("solution")]
        untagged = [c.metadata["nbgrader"]["grade_id"] for c in tests
                    if not c.metadata.get("nncourse", {}).get("topic")]
        assert not untagged, f"{chapter.source_notebook(repo)}: no nncourse.topic in {untagged}"
        topics = {c.metadata["nncourse"]["topic"] for c in tests}
        named = {t for t in topics if "." in t}  # the others are labels such as "training"
        assert named == set(chapter.functions), f"{chapter.id}: topics {named} vs {chapter.functions}"
