"""A batch killed midway loses nothing already graded, resumes, and ends with the same
grades.csv as an uninterrupted batch with one worker; no sandbox process outlives it."""
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import REPO, run_nncourse
from nncourse.grader.sandbox import UID_BASE

CHAPTER = "ch01_perceptron"


BATCH = 6


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


def sandbox_processes():
    """Process ids of grading sandboxes: bwrap, the runner, kernels (any sandbox user's)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        uid = int(status.split("Uid:")[1].split()[0])
        if uid >= UID_BASE or "probes.runner" in command or command.startswith("bwrap "):
            found.add(entry.name)
    return found


def wait_for_no_new_sandboxes(before, seconds=60):
    """The sandbox processes not in ``before`` still alive after ``seconds`` (workers may
    finish the submission they hold first)."""
    deadline = time.monotonic() + seconds
    while (left := sandbox_processes() - before) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def _default_signal_handlers():
    """In the batch's process, before Python starts: SIGINT and SIGTERM as a terminal gives
    them. A command started in the background by a non-interactive shell (as `make test &`
    is) inherits SIGINT ignored, and Python then installs no KeyboardInterrupt for it."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def interrupt_after_first_results(submitted, out, sig):
    """Start a batch, send ``sig`` once at least one result is stored; return when it ended."""
    proc = subprocess.Popen([sys.executable, "-m", "nncourse.cli", "autograde", CHAPTER,
                             "--submissions", str(submitted), "--out", str(out), "--jobs", "2"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_signal_handlers)
    deadline = time.monotonic() + 300
    while not list((out / "results").glob("*.json")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    return proc.returncode


def test_an_interrupted_batch_resumes_and_matches_an_uninterrupted_one(tmp_path):
    submitted = tmp_path / "submitted"
    make_batch(submitted, BATCH)
    before = sandbox_processes()

    code = interrupt_after_first_results(submitted, tmp_path / "out", signal.SIGINT)
    assert code != 0, "the batch finished before it could be interrupted: make it longer"
    kept = sorted(p.name for p in (tmp_path / "out" / "results").glob("*.json"))
    assert 1 <= len(kept) < BATCH
    assert not wait_for_no_new_sandboxes(before), "a sandbox process outlived the interrupted batch"

    resumed = run_nncourse("autograde", CHAPTER, "--submissions", submitted,
                           "--out", tmp_path / "out", "--jobs", 2)
    assert resumed.returncode == 0, resumed.stderr
    assert f"reused {len(kept)} stored result(s)" in resumed.stdout, (kept, resumed.stdout[-1500:])
    assert f"graded {BATCH - len(kept)} submission(s)" in resumed.stdout

    serial = run_nncourse("autograde", CHAPTER, "--submissions", submitted,
                          "--out", tmp_path / "serial", "--jobs", 1)
    assert serial.returncode == 0, serial.stderr
    grades = (tmp_path / "out" / "grades.csv").read_text()
    assert grades == (tmp_path / "serial" / "grades.csv").read_text()
    assert grades.count(",15,15,graded; all tests passed") == BATCH // 2
    assert grades.count(',0,15,"graded; failed 6 of 6 tests') == BATCH // 2
