"""The sandbox's file system is built in the right order: an interpreter or venv that lives
below /tmp stays visible although the sandbox mounts a fresh, empty /tmp (a course cloned
into /tmp graded nothing: every kernel failed to start)."""
import subprocess
import sys
import tempfile
from pathlib import Path

from nncourse.grader import sandbox


def test_an_interpreter_below_tmp_is_visible_in_the_sandbox(monkeypatch):
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        _check_venv_below_tmp(Path(folder), monkeypatch)


def _check_venv_below_tmp(tmp_path, monkeypatch):
    prefix = tmp_path / "venv"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "marker").write_text("the venv\n")
    job = tmp_path / "job"
    job.mkdir()
    monkeypatch.setattr(sys, "prefix", str(prefix))
    args = sandbox._bwrap_prefix(job, scratch_mb=16)
    seen = subprocess.run(args + ["--", "/bin/sh", "-c", f"cat {prefix}/bin/marker; ls -A /tmp"],
                          capture_output=True, text=True, timeout=30)
    assert seen.returncode == 0, seen.stderr
    first, *rest = seen.stdout.splitlines()
    assert first == "the venv"
    # the rest of the host's /tmp stays out: only the folders leading to the venv exist
    assert rest == [tmp_path.name]
