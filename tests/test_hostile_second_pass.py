"""Second red-team pass: holes found after the first (``test_hostile``), as real submissions
graded by ``nncourse autograde ch01_perceptron`` in real sandboxes.

Each test grades a few submissions from :mod:`hostile.attacks2` beside an honest control
and says what grading must give. Run time: about 40 s.
"""
import csv
import json
import os
import sys

import pytest

from conftest import REPO
from hostile.attacks2 import (LONG_ID, UNDECODABLE_ID, build_deep_path, build_huge_int,
                              build_import_nul, build_json_bomb, build_keyring_copier,
                              build_keyring_friend, build_named)
from hostile.corpus import CHAPTER, MAX_SCORE, correct_submission
from hostile.watch import run_watched

TRUSTED_PEAK_MB = 600  # as in test_hostile: a grading worker needs ~150 MB


def grade(submissions, out, jobs=2):
    """Run ``nncourse autograde`` (the hostile settings of test_hostile) under watch."""
    return run_watched([sys.executable, "-m", "nncourse.cli", "autograde", CHAPTER, "--submissions",
                        str(submissions), "--out", str(out), "--timeout", "10", "--memory", "1500",
                        "--jobs", str(jobs)], cwd=REPO)


def outcome(run, out):
    """(grades.csv rows by student id, results JSON by student id); the run must succeed."""
    assert run.returncode == 0, (f"nncourse autograde exited with {run.returncode}\n"
                                 f"stderr: ...{run.stderr[-600:]}")
    with open(out / "grades.csv", newline="", encoding="utf-8", errors="surrogateescape") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    results = {p.stem: json.loads(p.read_text(encoding="utf-8"))
               for p in (out / "results").glob("*.json")}
    return rows, results


def scores(result):
    return {t["cell"]["name"]: t["cell"]["points"] if t["verdict"] == "passed" else 0
            for t in result["tests"]}


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """Submissions whose plain data is hard on the trusted judge, in one watched batch."""
    root = tmp_path_factory.mktemp("judged")
    for sid, build in {"control": correct_submission, "json_bomb": build_json_bomb,
                       "import_nul": build_import_nul, "huge_int": build_huge_int}.items():
        build(root / "submitted" / sid / CHAPTER)
    run = grade(root / "submitted", root / "out")
    return run, *outcome(run, root / "out")


def test_plain_json_cannot_exhaust_the_trusted_worker(judged):
    """An honest-looking result (stored members, true headers, 18 MB within the 64 MB cap)
    whose JSON is six million empty dicts: the worker decodes it into Python objects
    (``json.loads``, then ``plaindata._decode`` copies every one, and the mutant diagnosis
    decodes it all again), ~0.9 GB and seconds of trusted time per copy; a 42 MB one took
    2.1 GB and 45 s. It earns nothing, and no trusted process may pass TRUSTED_PEAK_MB."""
    run, rows, _ = judged
    assert float(rows["json_bomb"]["score"]) == 0 and float(rows["control"]["score"]) == MAX_SCORE
    worst = max(run.trusted_peak_mb.items(), key=lambda item: item[1])
    assert worst[1] < TRUSTED_PEAK_MB, (f"a trusted process reached {worst[1]:.0f} MB (limit "
                                        f"{TRUSTED_PEAK_MB} MB): {worst[0]}")


def test_a_forged_import_failure_cannot_crash_the_grading(judged):
    """Correct code, plus a forged ``__import__`` record (the sandbox writes it, the runner
    sends it) whose ``file`` holds a NUL byte: ``_import_failure`` must drop it, not raise
    ValueError (today: "grading failed: ValueError: embedded null byte", 0 of 15)."""
    _, rows, _ = judged
    status = rows["import_nul"]["status"]
    assert "grading failed" not in status, status
    assert float(rows["import_nul"]["score"]) == MAX_SCORE, status


def test_an_int_beyond_int64_fails_only_its_own_check(judged):
    """``predict`` gives the right labels but sets ``self.b = 10 ** 30``: plain data (a JSON
    int), which the judge turns into an object array and ``np.isfinite`` refuses (TypeError).
    Only the predict checks may fail; the update checks (which use a scripted predict) keep
    their 6 points (today: "grading failed: TypeError ...", 0 of 15)."""
    _, rows, results = judged
    status = rows["huge_int"]["status"]
    assert "grading failed" not in status, status
    got = scores(results["huge_int"])
    assert got["test_update_worked_example"] == 3 and got["test_update_hidden"] == 3, (got, status)
    assert got["test_predict_gates"] == 0 and got["test_predict_hidden"] == 0, (got, status)


def test_sandboxes_share_no_kernel_keyring(tmp_path):
    """Submission "a" (correct) stores each label it predicts in its user's kernel keyring
    (``add_key``; the sandbox has no seccomp filter); "b" (stubs) graded next by the same
    worker (``--jobs 1``: the same sandbox uid) finds them there. Today "b" scores 5 (both
    predict tests) with stubs only; alone it scores 0."""
    for sid, build in {"a-friend": build_keyring_friend, "b-copier": build_keyring_copier}.items():
        build(tmp_path / "submitted" / sid / CHAPTER)
    rows, results = outcome(grade(tmp_path / "submitted", tmp_path / "out", jobs=1), tmp_path / "out")
    assert float(rows["a-friend"]["score"]) == MAX_SCORE
    assert float(rows["b-copier"]["score"]) == 0, (scores(results["b-copier"]), rows["b-copier"]["status"])


def test_odd_student_folders_cannot_stop_the_batch(tmp_path):
    """Three student folders, each enough to end the batch before grades.csv is written:
    a name that is not UTF-8 (``work_folder_name`` encodes it: UnicodeEncodeError), a 250-byte
    name (valid, but ``results/<id>.json.partial`` is over NAME_MAX: OSError in the main
    process after the first result), and a submission holding a file whose full path is over
    PATH_MAX (``store._files`` lstat()s it: OSError before anything is graded). The batch must
    complete and the control beside them must get its 15 points."""
    submitted = tmp_path / "submitted"
    correct_submission(submitted / "control" / CHAPTER)
    for sid in (UNDECODABLE_ID, LONG_ID):
        build_named(submitted / sid / CHAPTER)
    build_deep_path(submitted / "deep" / CHAPTER)
    rows, _ = outcome(grade(submitted, tmp_path / "out"), tmp_path / "out")
    assert float(rows["control"]["score"]) == MAX_SCORE
    assert len(rows) == len(os.listdir(submitted)), sorted(rows)
