"""A batch killed midway loses nothing already graded, resumes, and ends with the same
grades.csv as an uninterrupted batch with one worker; no grading kernel outlives it."""
import shutil
import signal
import subprocess
import sys
import time

from conftest import REPO, run_nncourse

CHAPTER = "ch01_perceptron"


def make_batch(root, count):
    """``count`` submissions: the reference and the untouched release, alternating."""
    for number in range(count):
        dest = root / f"student{number:02d}" / CHAPTER
        if number % 2:
            shutil.copytree(REPO / "exercises" / CHAPTER, dest,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copytree(REPO / "solutions" / CHAPTER, dest)
            shutil.copytree(REPO / "nnlib", dest / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))


def grading_kernels():
    """Process ids of grading kernels and their zygotes (``python -m nncourse.zygote``)."""
    proc = subprocess.run(["pgrep", "-f", "nncourse.zygote"], capture_output=True, text=True)
    return set(proc.stdout.split())


def interrupt_after_first_results(submitted, out, sig):
    """Start a batch, send ``sig`` once at least one result is stored; return when it ended."""
    proc = subprocess.Popen([sys.executable, "-m", "nncourse.cli", "autograde", CHAPTER,
                             "--submissions", str(submitted), "--out", str(out), "--jobs", "2"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list((out / "results").glob("*.json")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    return proc.returncode


def test_an_interrupted_batch_resumes_and_matches_an_uninterrupted_one(tmp_path):
    submitted = tmp_path / "submitted"
    make_batch(submitted, 6)
    before = grading_kernels()

    code = interrupt_after_first_results(submitted, tmp_path / "out", signal.SIGINT)
    assert code != 0, "the batch finished before it could be interrupted: make it longer"
    kept = sorted(p.name for p in (tmp_path / "out" / "results").glob("*.json"))
    assert 1 <= len(kept) < 6
    time.sleep(2)
    assert grading_kernels() <= before, "a grading kernel outlived the interrupted batch"

    resumed = run_nncourse("autograde", CHAPTER, "--submissions", submitted,
                           "--out", tmp_path / "out", "--jobs", 2)
    assert resumed.returncode == 0, resumed.stderr
    assert f"reused {len(kept)} stored result(s)" in resumed.stdout
    assert f"graded {6 - len(kept)} submission(s)" in resumed.stdout

    serial = run_nncourse("autograde", CHAPTER, "--submissions", submitted,
                          "--out", tmp_path / "serial", "--jobs", 1)
    assert serial.returncode == 0, serial.stderr
    grades = (tmp_path / "out" / "grades.csv").read_text()
    assert grades == (tmp_path / "serial" / "grades.csv").read_text()
    assert grades.count(",15,15,graded; all tests passed") == 3
    assert grades.count(',0,15,"graded; failed 6 of 6 tests') == 3
