"""Seventh red-team pass: today's changes, attacked.

- The sandbox with a course below /tmp (``sandbox._bwrap_prefix`` now mounts the scratch
  /tmp and HOME before binding the Python prefixes): the real command of ``sandbox._command``
  run with ``sys.prefix`` moved to a venv inside a course folder below /tmp (the course's
  grader, solutions, reference nnlib, OUT and another student's folder beside it on the
  host), by a root grader (bwrap + setpriv to a fresh uid) and by an ordinary user's grader
  (user namespace, as ``nobody``). From inside, nothing of the course but the venv can be
  read, the venv cannot be written, and the host's tree is unchanged. As root the folders
  bwrap makes above the venv cannot be written, chmodded or renamed either. KNOWN, NOT A
  HOLE: under a user namespace the sandbox's user owns those folders (as it owns all that
  bwrap makes) and may write in or rename them; they live on the sandbox's own tmpfs and
  vanish with it, and all it could shadow there (a kernel's interpreter path, the editable
  install's nncourse path) runs only inside that same sandbox, whose output is untrusted.
- ch03 Task 4 ``temperature_cross_entropy`` and ch04 Task 7 ``Softplus.backward`` with real
  submissions through ``nncourse autograde`` (one batch per chapter, an honest control
  graded last; ch03 one at a time, ch04 two at a time so that a daemon's sandbox runs
  beside another student's): a module that makes numpy's, builtins' and the probes' comparisons
  agree with anything; a graded body that rewrites the locals of every frame above it
  (ctypes) and swaps the code of every probes function in the heap; a module that leaves
  the kernel (double fork, setsid, SIGHUP ignored) to kill every process it may for a
  minute; a body that SIGKILLs its runner, process 1 and -1; a body that reads the hidden
  cases and the check's source in the sandbox and puts them in an exception, stdout,
  stderr and a file name. Each attack earns exactly what honest code of the same quality
  earns (or less: its own sandbox dies), the control keeps the reference's scores, no
  marked process outlives the batch, no marked file appears outside, and no leak reaches
  the student's feedback page (built from trusted words; the hidden values do reach the
  executed notebook kept for the instructor in OUT/autograded, and the batch's seed that
  drew them is never stored).

No hole found in this pass: no trusted code changed.

Run time: about 38 s on the 2-core course machine with the full CI running beside it (two
autograde runs of seven students each, two direct sandbox runs).
"""
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from hostile import seventh, sixth
from hostile.attacks import marker
from hostile.watch import names_containing, run_watched, tree_state
from test_hostile_second_pass import outcome, scores
from test_hostile_sixth_pass import lost_only, printed

CH03, CH04 = "ch03_softmax", "ch04_backprop"
TCE, SOFTPLUS = "losses.temperature_cross_entropy", "layers.Softplus.backward"
TCE_TESTS = {"test_tce_values": 2, "test_tce_hidden": 2}
SOFTPLUS_TESTS = {"test_softplus": 2, "test_softplus_hidden": 3}
MAX_SCORES = {CH03: 22, CH04: 38}
REFERENCE_SCORES = {CH03: 18, CH04: 35}  # the reference nnlib, the answer cells left as released


def graded(root, chapter, builders, jobs=1):
    """Every student of ``builders`` graded in one run (--jobs 1: one after another, by id);
    ``(rows, {sid: {test: points}}, root, watched run)``."""
    for sid, build in builders.items():
        build(root, sid)
    run = run_watched(sixth.autograde_command(chapter, root, jobs), cwd=REPO)
    rows, results = outcome(run, root / "out")
    return rows, {sid: scores(result) for sid, result in results.items()}, root, run


def student(chapter, body_of=None, body=None, top=None, case=None):
    def build(root, sid):
        folder = sixth.base(root, sid, chapter, cells=("fixed_backward",) if chapter == CH04 else ())
        if top:
            sixth.plant(folder, "layers" if chapter == CH04 else "losses", case, top)
        sixth.replace_body(folder, body_of, body)
    return build


def live_processes_naming(text):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if text.encode() in fh.read():
                    found.append(pid)
        except OSError:
            pass
    return found


def feedback_text(root, sid, chapter):
    return "".join(html.unescape(p.read_text(errors="replace"))
                   for p in (root / "out" / "feedback" / sid).rglob("*") if p.is_file())


# --------------------------------------------------------------------------- a course below /tmp

COURSE_FILES = {"nncourse/grader/heldout.py": "SECRET = 'heldout'\n", "solutions/ch03_softmax/answer.py": "1\n",
                "nnlib/losses.py": "reference\n", "out/grades.csv": "student_id\n",
                "submitted/other/ch03_softmax/x.py": "other\n", "secret.txt": "s\n", ".venv/bin/marker": "venv\n"}
NOBODY = 65534


def _sandboxed_below_tmp(monkeypatch, top, as_root):
    """BELOW_TMP_SCRIPT run by the sandbox's own command with the venv at
    ``top/course/.venv``: as root (bwrap + setpriv to a fresh uid) or, as a grader run by
    an ordinary user would, as ``nobody`` in a user namespace; ``{"<what> <path>": outcome}``."""
    from nncourse.grader import sandbox

    course, job = Path(top) / "course", Path(top) / "job"
    monkeypatch.setattr(sys, "prefix", str(course / ".venv"))
    if not as_root:  # nobody cannot read root's pyenv: the system Python stands in for it
        monkeypatch.setattr(sys, "base_prefix", "/usr")
        monkeypatch.setattr(os, "geteuid", lambda: NOBODY)
    command = sandbox._command(job, sandbox.Limits())
    assert command[-5:] == [sys.executable, "-P", "-m", "probes.runner", "/job"]
    outside = [] if as_root else ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    seen = subprocess.run(outside + command[:-5] + ["/usr/bin/python3", "-I", "-c", seventh.BELOW_TMP_SCRIPT,
                                                    str(course / ".venv"), str(course)],
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    assert seen.returncode == 0, seen.stderr
    return dict((" ".join(line.split()[:2]), line.split(None, 2)[2]) for line in seen.stdout.splitlines()
                if len(line.split()) >= 3)


@pytest.mark.parametrize("as_root", [True, False], ids=["root-grader", "user-grader"])
def test_a_course_below_tmp_shows_the_sandbox_only_its_venv_read_only(monkeypatch, as_root):
    """Only the venv of a course below /tmp is in the sandbox, read-only: the course's
    grader, solutions, reference nnlib, OUT and other students' folders beside it are
    absent, and nothing the sandbox does reaches the host's tree. With a root grader the
    folders bwrap makes above the venv belong to root (0755): the sandbox user can neither
    write, chmod nor rename them. With a grader run by an ordinary user (user namespace)
    the sandbox's user owns them, as it owns everything bwrap makes: it may write in them
    (sandbox-private, on its own tmpfs, gone with it), never in the venv."""
    import shutil
    import tempfile

    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv (the root grader's setpriv, or to become nobody)")
    with tempfile.TemporaryDirectory(dir="/tmp", prefix="rt7-") as top:
        for name, text in COURSE_FILES.items():
            (Path(top) / "course" / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(top) / "course" / name).write_text(text)
        (Path(top) / "job").mkdir()
        Path(top).chmod(0o755)
        before = tree_state(top)
        course, venv = Path(top) / "course", Path(top) / "course" / ".venv"
        said = _sandboxed_below_tmp(monkeypatch, top, as_root)
        for name in COURSE_FILES:
            if not name.startswith(".venv"):
                assert said[f"read {course / name}"] == "ENOENT", (name, said)
        assert said[f"listing {course}"] == "['.venv']", said
        assert said["listing /tmp"] == repr([Path(top).name]), said
        assert said[f"write {venv}/planted.pth"] == "EROFS", said
        assert said[f"write {venv}/bin/planted"] == "EROFS", said
        if as_root:
            assert int(said["uid is"]) >= sandbox_uid_base(), said
            for folder in (course, Path(top)):
                assert said[f"write {folder}/planted"] == "EACCES", said
                assert said[f"chmod {folder}"] == "EPERM", said
            assert said[f"write {course}/nncourse"] == "EACCES", said
            assert said[f"rename {course}"] == "EACCES", said
            assert said[f"rename {top}"] == "EPERM", said  # /tmp is sticky; root owns it
        else:
            assert said[f"write {course}/planted"] == said[f"write {course}/nncourse"] == "ok", said
        assert set(COURSE_FILES) <= {p[len("course/"):] for p in before} and tree_state(top) == before


def sandbox_uid_base():
    from nncourse.grader.sandbox import UID_BASE
    return UID_BASE


# --------------------------------------------------------------------------- chapter 3

DAEMON, CONTROL = "a_daemon", "z_control"  # --jobs 1: the daemon's student first, the control last


@pytest.fixture(scope="module")
def ch03(tmp_path_factory):
    return graded(tmp_path_factory.mktemp("ch03"), CH03, {
        "reference": student(CH03),
        DAEMON: student(CH03, top=seventh.DAEMON_TOP, case="daemon"),
        "killer": student(CH03, TCE, seventh.KILLER_TCE_BODY, top=seventh.SAY, case="killer"),
        "leaker": student(CH03, TCE, "_leak('test_tce_hidden')",
                          top=seventh.LEAKER_TOP.replace("@MODULE@", repr(CH03)), case="leaker"),
        "patcher": student(CH03, TCE, sixth.WRONG_TCE_BODY, top=seventh.PATCHER_TOP, case="patcher"),
        "frames": student(CH03, TCE, seventh.FRAMES_TCE_BODY, top=seventh.FRAMES_TOP, case="frames"),
        CONTROL: student(CH03)})


def test_ch03_reference_and_control_earn_the_reference_score(ch03):
    rows, earned, _, _ = ch03
    for sid in ("reference", CONTROL):
        assert rows[sid]["max_score"] == str(MAX_SCORES[CH03]), rows[sid]
        assert rows[sid]["score"] == str(REFERENCE_SCORES[CH03]), rows[sid]  # answer cells unanswered
    assert earned[CONTROL] == earned["reference"]


def test_ch03_patched_comparisons_and_forged_frames_earn_only_what_a_wrong_dtau_earns(ch03):
    _, earned, root, _ = ch03
    assert printed(root, "patcher", "patcher").startswith("patched ")
    assert re.match(r"touched \d+ swapping \d+", printed(root, "frames", "frames"))
    lost_only(earned, "frames", "reference", TCE_TESTS)
    # the patched numpy breaks the in-sandbox gradient check of the stability cell: the
    # attack costs its author a test more than the wrong dtau alone
    lost_only(earned, "patcher", "reference", {**TCE_TESTS, "test_sce_stability_gradcheck": 2})


def test_ch03_a_process_that_leaves_the_kernel_dies_with_its_sandbox(ch03):
    rows, earned, root, run = ch03
    mark = marker("daemon")
    assert printed(root, DAEMON, "daemon") == "left"
    assert run.marked_processes.get(mark, 0) >= 1, "the daemon never ran"
    assert not live_processes_naming(mark)
    assert earned[DAEMON] == earned["reference"] == earned[CONTROL]
    for folder in ("/tmp", "/root", str(root / "out"), str(root / "submitted")):
        assert not names_containing(folder, mark) if folder.startswith(str(root)) else \
            not [n for n in os.listdir(folder) if mark in n], folder


def test_ch03_a_body_that_signals_its_runner_and_everyone_loses_only_its_task(ch03):
    """SIGKILL to the runner, process 1 and -1 ends the student's own sandbox in its first
    tce cell (the tce cells come last): what ran before keeps its points, the rest has no
    result; the next student is graded as usual."""
    rows, earned, _, _ = ch03
    assert rows["killer"]["status"].startswith("the sandbox ended before the notebook was done"), rows["killer"]
    lost_only(earned, "killer", "reference", TCE_TESTS)
    assert earned[CONTROL] == earned["reference"]


def test_ch03_hidden_cases_read_in_the_sandbox_reach_no_feedback(ch03):
    _, earned, root, _ = ch03
    said = printed(root, "leaker", "leaker")
    assert said.startswith("leaked "), said
    lost_only(earned, "leaker", "reference", TCE_TESTS)
    page = feedback_text(root, "leaker", CH03)
    assert "leaker" in page
    assert "LEAK<" not in page and ">KAEL" not in page
    assert said.split(" ", 1)[1].split()[0] not in page



# --------------------------------------------------------------------------- chapter 4

@pytest.fixture(scope="module")
def ch04(tmp_path_factory):
    return graded(tmp_path_factory.mktemp("ch04"), CH04, {
        "reference": student(CH04),
        "wrong": student(CH04, SOFTPLUS, seventh.WRONG_SOFTPLUS),
        "killer": student(CH04, SOFTPLUS, seventh.KILLER_SOFTPLUS, top=seventh.SAY, case="killer4"),
        "leaker": student(CH04, SOFTPLUS, "_leak('test_softplus_hidden')",
                          top=seventh.LEAKER_TOP.replace("@MODULE@", repr(CH04)), case="leaker4"),
        "patcher": student(CH04, SOFTPLUS, seventh.WRONG_SOFTPLUS, top=seventh.PATCHER_TOP, case="patcher4"),
        "frames": student(CH04, SOFTPLUS, seventh.FRAMES_SOFTPLUS, top=seventh.FRAMES_TOP, case="frames4"),
        "a_daemon4": student(CH04, top=seventh.QUICK_DAEMON_TOP, case="daemon4"),
        CONTROL: student(CH04)}, jobs=2)


def test_ch04_a_daemon_killing_everything_beside_another_sandbox_hurts_only_itself(ch04):
    """Graded two at a time: the quick daemon's kill -9 -1 loop reaches only its own
    sandbox (its own PID namespace and user), never the sandbox graded beside it, the
    grading workers or this machine; every other student's scores are pinned by the
    other ch04 tests, and no marked process outlives the batch."""
    rows, earned, _, run = ch04
    assert run.marked_processes.get(marker("daemon4"), 0) >= 1, "the daemon never ran"
    assert not live_processes_naming(marker("daemon4"))
    assert len(run.sandbox_uids) >= len(rows), run.sandbox_uids  # one user per sandbox
    # it ends its own sandbox only if that is still running a second after the import
    assert all(earned["a_daemon4"][t] <= p for t, p in earned["reference"].items()), earned["a_daemon4"]



def test_ch04_reference_and_control_earn_the_reference_score(ch04):
    rows, earned, _, _ = ch04
    for sid in ("reference", CONTROL):
        assert rows[sid]["max_score"] == str(MAX_SCORES[CH04]), rows[sid]
        assert rows[sid]["score"] == str(REFERENCE_SCORES[CH04]), rows[sid]
    assert earned[CONTROL] == earned["reference"]
    assert {t: earned["reference"][t] for t in SOFTPLUS_TESTS} == SOFTPLUS_TESTS


def test_ch04_patched_comparisons_earn_only_what_the_wrong_softplus_earns(ch04):
    _, earned, root, _ = ch04
    assert printed(root, "patcher", "patcher4").startswith("patched ")
    lost_only(earned, "wrong", "reference", SOFTPLUS_TESTS)
    assert earned["patcher"] == earned["wrong"]


def test_ch04_forged_frames_and_swapped_probe_code_earn_nothing_and_cost_the_next_check(ch04):
    """The frames above Softplus.backward rewritten and every probes function's code
    swapped: the wrong derivative still loses its tests, and the probe of the next task
    (fixed_backward, graded in the same kernel) no longer runs as it should."""
    _, earned, root, _ = ch04
    assert re.match(r"touched \d+ swapping [1-9]\d*", printed(root, "frames", "frames4"))
    lost_only(earned, "frames", "reference", {**SOFTPLUS_TESTS, "test_fixed_backward": 1,
                                              "test_fixed_backward_hidden": 2})


def test_ch04_a_body_that_signals_everyone_loses_only_its_task(ch04):
    rows, earned, _, _ = ch04
    assert rows["killer"]["status"].startswith("the sandbox ended before the notebook was done"), rows["killer"]
    # the Softplus cells come before fixed_backward's: the dead sandbox loses both tasks
    lost_only(earned, "killer", "reference", {**SOFTPLUS_TESTS, "test_fixed_backward": 1,
                                              "test_fixed_backward_hidden": 2})


def test_ch04_hidden_cases_read_in_the_sandbox_reach_no_feedback(ch04):
    _, earned, root, _ = ch04
    said = printed(root, "leaker", "leaker4")
    assert said.startswith("leaked "), said
    assert earned["leaker"] == earned["wrong"]
    page = feedback_text(root, "leaker", CH04)
    assert "leaker" in page
    assert "LEAK<" not in page and ">KAEL" not in page
    assert said.split(" ", 1)[1].split()[0] not in page


def test_no_attack_left_a_process_or_a_file_behind(ch03, ch04):
    for run in (ch03[3], ch04[3]):
        for mark in run.marked_processes:
            assert not live_processes_naming(mark), mark
    for case in ("daemon", "daemon4", "killer", "leaker", "patcher", "frames", "killer4", "leaker4", "patcher4", "frames4"):
        mark = marker(case)
        assert not live_processes_naming(mark), case
        for folder in (REPO / "nnlib", REPO / "nncourse", REPO / "exercises" / CH03, REPO / "exercises" / CH04):
            assert not names_containing(folder, mark), (case, folder)
        for folder in ("/tmp", "/root", sys.prefix):
            assert not [n for n in os.listdir(folder) if mark in n], (case, folder)
