"""nncourse autograde on a corpus of hostile submissions (tests/hostile/corpus.py), graded
in one batch with real kernels: every submission gets an honest row, the batch survives,
no submission changes another's grade, and no test earns points it did not check."""
import csv
import html
import json
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import REPO, run_nncourse
from hostile.corpus import (CASES, CHAPTER, CONTROLS, MAX_SCORE, PROBES, RELEASE, STUB,
                            build_corpus, perceptron_source)
from nncourse.check import secret_lines
from nncourse.grader.feedback import feedback_path

TIMEOUT_S = 3
MEMORY_MB = 1500  # a kernel with numpy, matplotlib and the reference maps ~0.9 GB; the hog fails fast
JOBS = 2
OUT_LIMIT_MB = 20  # the corpus holds a 50 MB file and prints 200 MB: neither may land in OUT


class Batch(NamedTuple):
    """One ``nncourse autograde`` run: its OUT folder, grades.csv rows and results JSON
    by student id, and how long it took."""

    out: Path
    rows: dict
    results: dict
    seconds: float


def autograde(submissions, out):
    """Grade ``submissions`` into ``out`` with the hostile settings; the run must succeed."""
    start = time.monotonic()
    proc = run_nncourse("autograde", CHAPTER, "--submissions", submissions, "--out", out,
                        "--timeout", TIMEOUT_S, "--memory", MEMORY_MB, "--jobs", JOBS)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, (f"nncourse autograde exited with {proc.returncode}\n"
                                  f"stdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}")
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    results = {path.stem: json.loads(path.read_text(encoding="utf-8"))
               for path in (out / "results").glob("*.json")}
    return Batch(out, rows, results, seconds)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Every hostile submission, written once."""
    return build_corpus(tmp_path_factory.mktemp("hostile") / "submitted")


@pytest.fixture(scope="module")
def batch(corpus):
    """The whole corpus graded in one run."""
    graded = autograde(corpus, corpus.parent / "out")
    print(f"\nhostile corpus: {len(CASES)} submissions graded in {graded.seconds:.1f} s")
    return graded


@pytest.fixture(scope="module")
def controls_alone(tmp_path_factory):
    """The control submissions graded in a run of their own."""
    root = tmp_path_factory.mktemp("controls")
    return autograde(build_corpus(root / "submitted", CONTROLS), root / "out")


def per_test_scores(result):
    """{test name: score} from a results JSON; a name listed twice is an error."""
    names = [test["cell"]["name"] for test in result.get("tests", [])]
    assert len(names) == len(set(names)), f"a test cell is listed twice in the results: {names}"
    return {test["cell"]["name"]: test["score"] for test in result["tests"]}


def mismatches(row, result, expect):
    """What in a grades.csv row and its results JSON differs from the expectation."""
    found, status = [], row["status"]
    if float(row["max_score"]) != MAX_SCORE:
        found.append(f"max_score {row['max_score']}, expected {MAX_SCORE}")
    if expect.score is not None and float(row["score"]) != expect.score:
        found.append(f"score {row['score']}, expected {expect.score}")
    if expect.score_at_most is not None and float(row["score"]) > expect.score_at_most:
        found.append(f"score {row['score']}, expected at most {expect.score_at_most}")
    found += [f"status lacks {s!r}" for s in expect.status if s not in status]
    if expect.status_any and not any(s in status for s in expect.status_any):
        found.append(f"status has none of {expect.status_any}")
    if expect.tests:
        scores = per_test_scores(result)
        found += [f"{name} scored {scores.get(name)}, expected {points}"
                  for name, points in expect.tests.items() if scores.get(name) != points]
    return found


@pytest.mark.parametrize("student", list(CASES))
def test_hostile_submission_gets_what_it_earned(batch, student):
    row, result = batch.rows.get(student), batch.results.get(student)
    assert row is not None, f"no row for {student!r} in grades.csv; rows: {sorted(batch.rows)}"
    assert result is not None, f"no results/{student}.json; found {sorted(batch.results)}"
    assert result["student_id"] == student and result["status"] == row["status"], \
        f"results/{student}.json disagrees with grades.csv: {result['student_id']!r}, {result['status']!r}"
    problems = mismatches(row, result, CASES[student].expect)
    assert not problems, (f"{student}: " + "; ".join(problems) + f"\nstatus: {row['status']}\n"
                          f"tests: {json.dumps(result.get('tests'), ensure_ascii=False)[:2000]}")


def test_every_student_has_one_row_a_result_and_a_feedback_page(batch):
    assert sorted(batch.rows) == sorted(CASES)
    assert sorted(batch.results) == sorted(CASES)
    assert {row["assignment"] for row in batch.rows.values()} == {CHAPTER}
    missing = [s for s in CASES if not feedback_path(batch.out, s, CHAPTER).is_file()]
    assert not missing, f"no feedback page for {missing}"
    for student in CASES:
        page = html.unescape(feedback_path(batch.out, student, CHAPTER).read_text(encoding="utf-8"))
        assert student in page, f"feedback/{student}/{CHAPTER}/{CHAPTER}.html does not name its student"


def test_controls_are_graded_as_when_alone(batch, controls_alone):
    for student in CONTROLS:
        together, alone = batch.rows[student], controls_alone.rows[student]
        assert (together["score"], together["status"]) == (alone["score"], alone["status"]), student
        assert per_test_scores(batch.results[student]) == per_test_scores(controls_alone.results[student])


def test_no_feedback_page_shows_hidden_test_code(batch):
    secrets = secret_lines(REPO, hidden_tests_only=True)
    assert len(secrets) > 10, "few hidden-test lines found: the leak check would be vacuous"
    for student in CASES:
        page = html.unescape(feedback_path(batch.out, student, CHAPTER).read_text(encoding="utf-8"))
        leaked = [s for s in secrets if s in page]
        assert not leaked, f"feedback/{student}/{CHAPTER}/{CHAPTER}.html shows hidden-test lines: {leaked[:3]}"


def test_out_stays_small(batch):
    sizes = {p: p.stat().st_size for p in batch.out.rglob("*") if p.is_file()}
    total = sum(sizes.values()) / 2**20
    biggest = sorted(sizes, key=sizes.get)[-3:]
    assert total < OUT_LIMIT_MB, (f"OUT holds {total:.1f} MB (limit {OUT_LIMIT_MB} MB); biggest: "
                                  + ", ".join(f"{p.relative_to(batch.out)} {sizes[p] / 2**20:.1f} MB"
                                              for p in biggest))


@pytest.mark.parametrize("student", list(PROBES))
def test_the_corpus_really_misbehaves_when_run_plainly(corpus, student):
    PROBES[student](corpus / student / CHAPTER)


def test_the_corpus_rebuilds_the_release_stubs_exactly():
    assert perceptron_source(STUB, STUB) == (RELEASE / "nnlib" / "perceptron.py").read_text(), \
        "tests/hostile/corpus.py no longer reproduces exercises/ch01_perceptron/nnlib/perceptron.py"
