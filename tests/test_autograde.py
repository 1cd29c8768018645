"""nncourse autograde on real submissions with real kernels: full marks, zero, partial,
a broken nnlib and a missing notebook in one batch; feedback that hides hidden tests."""
import csv
import html
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, run_nncourse
from nncourse.check import secret_lines
from nncourse.grader.feedback import feedback_path
from nncourse.chapters import get_chapter
from nncourse.mutants import catalogue, write_mutated_package
from nncourse.solution_regions import write_student_package

CHAPTER = "ch01_perceptron"
STRICT = next(m for m in catalogue(get_chapter(CHAPTER)) if m.name == "strict-inequality")
RELEASE = REPO / "exercises" / CHAPTER


def release_copy(dest):
    shutil.copytree(RELEASE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def make_submissions(root):
    """Five students, each in nbgrader's submitted layout <id>/<assignment>/."""
    reference = root / "reference" / CHAPTER
    shutil.copytree(REPO / "solutions" / CHAPTER, reference)
    shutil.copytree(REPO / "nnlib", reference / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))

    release_copy(root / "untouched" / CHAPTER)

    half = release_copy(root / "half_done" / CHAPTER)
    shutil.rmtree(half / "nnlib")
    write_student_package(REPO / "nnlib", half / "nnlib", {"perceptron.Perceptron.update"})

    broken = release_copy(root / "broken_import" / CHAPTER)
    module = broken / "nnlib" / "perceptron.py"
    module.write_text("import numpy as np\n\nSCALE = 1 / 0\n" + module.read_text())

    missing = release_copy(root / "no_notebook" / CHAPTER)
    (missing / f"{CHAPTER}.ipynb").unlink()

    known = root / "known_mistake" / CHAPTER
    shutil.copytree(REPO / "solutions" / CHAPTER, known)
    write_mutated_package(REPO / "nnlib", STRICT, known / "nnlib")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("autograde")
    make_submissions(root / "submitted")
    proc = run_nncourse("autograde", CHAPTER, "--submissions", root / "submitted",
                        "--out", root / "out", "--jobs", 2)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(root / "out" / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    return root / "out", rows, proc.stdout


def test_grades_csv_has_the_contract_columns_and_one_row_per_student(graded):
    out, rows, _ = graded
    header = (out / "grades.csv").read_text().splitlines()[0]
    assert header == "student_id,assignment,score,max_score,status"
    assert sorted(rows) == ["broken_import", "half_done", "known_mistake", "no_notebook",
                            "reference", "untouched"]
    assert {r["assignment"] for r in rows.values()} == {CHAPTER}
    assert len({r["max_score"] for r in rows.values()}) == 1


def test_reference_gets_full_marks(graded):
    row = graded[1]["reference"]
    assert float(row["score"]) == float(row["max_score"]) > 0
    assert row["status"].startswith("graded; all tests passed")


def test_untouched_release_gets_zero(graded):
    row = graded[1]["untouched"]
    assert float(row["score"]) == 0 and "failed" in row["status"]


def test_half_done_submission_gets_partial_credit(graded):
    row = graded[1]["half_done"]
    assert 0 < float(row["score"]) < float(row["max_score"])
    assert "test_update" in row["status"] and "test_predict_gates" not in row["status"]


def test_broken_nnlib_gets_zero_and_the_status_says_why(graded):
    row = graded[1]["broken_import"]
    assert float(row["score"]) == 0
    assert "nnlib does not import: ZeroDivisionError (nnlib/perceptron.py, line 3)" in row["status"]


def test_missing_notebook_gets_zero_and_says_so(graded):
    row = graded[1]["no_notebook"]
    assert float(row["score"]) == 0 and f"no {CHAPTER}/{CHAPTER}.ipynb" in row["status"]


def test_every_student_gets_feedback_without_hidden_test_code(graded):
    out, rows, _ = graded
    secrets = secret_lines(REPO, hidden_tests_only=True)
    assert len(secrets) > 10, "few hidden-test lines found: the leak check would be vacuous"
    for student in rows:
        page = html.unescape(feedback_path(out, student, CHAPTER).read_text(encoding="utf-8"))
        assert f"feedback for {student}" in page and "test_predict_hidden" in page
        leaked = [s for s in secrets if s in page]
        assert not leaked, f"{student}: {leaked[:3]}"


def test_feedback_explains_visible_and_hidden_failures_in_trusted_words(graded):
    page = html.unescape(feedback_path(graded[0], "half_done", CHAPTER).read_text(encoding="utf-8"))
    assert "Not implemented yet: a function this test needs still raises NotImplementedError " \
           "(case 1 of 2); run this visible test in your notebook" in page
    assert "still raises NotImplementedError on inputs you have not seen." in page
    assert "yours to write" not in page  # the stub's own message is student-side text


def test_feedback_names_the_catalogued_mistake_a_hidden_test_recognises(graded):
    page = html.unescape(feedback_path(graded[0], "known_mistake", CHAPTER).read_text(encoding="utf-8"))
    assert f"Your code behaves like a known mistake: {STRICT.hint}" in page
    for student in ("half_done", "untouched"):  # not implemented: nothing to recognise
        other = feedback_path(graded[0], student, CHAPTER).read_text(encoding="utf-8")
        assert "known mistake" not in other


def test_the_kept_notebook_has_the_graded_cells_probe_calls_and_only_safe_outputs(graded):
    """OUT/autograded keeps every graded cell (formgrader needs them), each test cell as the
    probe call that ran, no hidden-test source, and only text and PNG outputs."""
    out = graded[0]
    kept = nbformat.read(out / "autograded" / "known_mistake" / CHAPTER / f"{CHAPTER}.ipynb", 4)
    source = nbformat.read(REPO / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", 4)
    ids = lambda nb: [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]  # noqa: E731
    assert [i for i in ids(kept) if i] == [i for i in ids(source) if i]
    tests = [c for c in kept.cells if c.metadata.get("nbgrader", {}).get("grade")
             and c.cell_type == "code"]
    assert tests and all("_nncourse.run(" in c.source for c in tests)
    assert not any("BEGIN HIDDEN TESTS" in c.source for c in kept.cells)
    kinds = {k for c in kept.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
    assert kinds <= {"text/plain", "image/png"}
    assert any(o.get("output_type") == "stream" for c in tests for o in c.outputs)


def test_autograde_rejects_an_unknown_assignment_and_an_empty_folder(tmp_path):
    proc = run_nncourse("autograde", "ch99_magic", "--submissions", tmp_path, "--out", tmp_path / "o")
    assert proc.returncode == 2 and "unknown assignment 'ch99_magic'" in proc.stderr
    proc = run_nncourse("autograde", CHAPTER, "--submissions", tmp_path, "--out", tmp_path / "o")
    assert proc.returncode == 2 and "no student folders" in proc.stderr


def test_a_rerun_reuses_unchanged_results_and_regrades_the_rest(tmp_path):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    shutil.copytree(REPO / "solutions" / CHAPTER, submitted / "ada" / CHAPTER)
    shutil.copytree(REPO / "nnlib", submitted / "ada" / CHAPTER / "nnlib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    release_copy(submitted / "bob" / CHAPTER)
    first = run_nncourse("autograde", CHAPTER, "--submissions", submitted, "--out", out)
    assert first.returncode == 0, first.stderr
    grades = (out / "grades.csv").read_text()
    stored = {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")}
    assert sorted(stored) == ["ada.json", "bob.json"]

    # bob edits his nnlib; ada's result is lost as if the batch had been killed before it.
    with open(submitted / "bob" / CHAPTER / "nnlib" / "perceptron.py", "a") as fh:
        fh.write("\n# still working on it\n")
    (out / "results" / "ada.json").unlink()
    (out / "results" / "stray.json.partial").write_text("{")  # a write cut short
    second = run_nncourse("autograde", CHAPTER, "--submissions", submitted, "--out", out)
    assert second.returncode == 0, second.stderr
    assert "graded 2 submission(s)" in second.stdout and "reused 0" in second.stdout
    assert (out / "grades.csv").read_text() == grades
    assert (out / "results" / "bob.json").stat().st_mtime_ns != stored["bob.json"]

    stored = {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")}
    third = run_nncourse("autograde", CHAPTER, "--submissions", submitted, "--out", out)
    assert third.returncode == 0 and "reusing 2 stored result(s)" in third.stderr
    assert "graded 0 submission(s)" in third.stdout and "reused 2" in third.stdout
    assert (out / "grades.csv").read_text() == grades
    assert stored == {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")}


def test_without_a_sandbox_autograde_refuses_unless_told_and_then_says_so(tmp_path):
    """Where bubblewrap is missing (here: not on PATH), nothing is graded and the error says
    why; --no-sandbox grades anyway and every status says NOT SANDBOXED."""
    submitted = tmp_path / "submitted"
    release_copy(submitted / "bob" / CHAPTER)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))
    refused = run_nncourse("autograde", CHAPTER, "--submissions", submitted, "--out", tmp_path / "o",
                           env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "no sandbox can be made here: bubblewrap (bwrap) is not installed" in refused.stderr
    assert not (tmp_path / "o" / "grades.csv").exists()
    graded = run_nncourse("autograde", CHAPTER, "--submissions", submitted, "--out", tmp_path / "o",
                          "--no-sandbox", env=env)
    assert graded.returncode == 0, graded.stderr
    with open(tmp_path / "o" / "grades.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["status"].startswith("NOT SANDBOXED (--no-sandbox); ") and row["score"] == "0"
