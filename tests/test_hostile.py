"""nncourse autograde on hostile submissions, graded in one batch in real sandboxes.

Two corpora, all for ch01_perceptron (15 points): :mod:`hostile.corpus` (broken or
misbehaving code: syntax and import errors, loops, exits, segfaults, memory, tampered
tests, huge output, odd notebooks) and :mod:`hostile.attacks` (one real attack per class
of issue 9, each getting past the static screen so that the sandbox and the trusted
verdicts are what is tested). Each submission must get exactly what its code earned; an
honest control graded in the same batch gets what it gets alone; the batch completes; and
after it nothing outside the sandboxes changed, no sandbox process is left, and no string
an attack chose is in a feedback page, grades.csv or the stored results.

Each ``test_<attack class>`` below says in its docstring what it proves (the README cites
them). Run time: about 5 minutes on 2 cores (``--jobs 2``).
"""
import csv
import html
import json
import sys
import sysconfig
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import REPO
from hostile.attacks import ATTACK_PROBES, ATTACKS, MARKERS
from hostile.corpus import (CASES, CHAPTER, CONTROLS, MAX_SCORE, PROBES, RELEASE, STUB,
                            build_corpus, perceptron_source)
from hostile.watch import changes, names_containing, processes, run_watched, tree_state
from nncourse.check import secret_lines
from nncourse.grader.feedback import feedback_path

TIMEOUT_S = 10  # setup and other cells; each check gets min(this, its budget of >= 5 s)
MEMORY_MB = 1500  # a kernel with numpy, matplotlib and the reference maps ~0.9 GB; the hog fails fast
JOBS = 2
OUT_LIMIT_MB = 20  # the corpus holds a 50 MB file and prints 200 MB: neither may land in OUT
TRUSTED_PEAK_MB = 600  # a grading worker needs ~150 MB; what a sandbox sends must not inflate it
SPINNERS_SEEN = 10  # of the CPU hog's ~60 spinning processes, seen in one 0.2 s sample
ALL = {**CASES, **ATTACKS}
OUT_ENTRIES = {"grades.csv", "gradebook.db", "feedback", "results", "autograded"}
KEPT_MIME = {"text/plain", "image/png"}


class Batch(NamedTuple):
    """One ``nncourse autograde`` run: its OUT folder, grades.csv rows and results JSON by
    student id, how long it took, what was watched while it ran and around it."""

    out: Path
    rows: dict
    results: dict
    seconds: float
    trusted_peak_mb: dict  # command line -> peak resident MB of trusted processes
    survivors: list  # processes of the batch's sandbox users (or naming a marker) left after it
    changed: dict  # watched folder -> what changed in it
    marked_processes: dict  # marker -> most processes seen at once carrying it in their command line


def watched_folders(submissions):
    """Folders that no submission may change: label -> path."""
    return {"the repository's nnlib": REPO / "nnlib", "the chapter's release": RELEASE,
            "the virtual environment": Path(sysconfig.get_paths()["purelib"]),
            "the grader's IPython startup folder": Path.home() / ".ipython" / "profile_default" / "startup",
            "the submissions": submissions}


def autograde(submissions, out):
    """Grade ``submissions`` into ``out`` with the hostile settings; the run must succeed."""
    folders = watched_folders(submissions)
    before = {label: tree_state(path) for label, path in folders.items()}
    run = run_watched([sys.executable, "-m", "nncourse.cli", "autograde", CHAPTER, "--submissions",
                       str(submissions), "--out", str(out), "--timeout", str(TIMEOUT_S), "--memory",
                       str(MEMORY_MB), "--jobs", str(JOBS)], cwd=REPO)
    assert run.returncode == 0, (f"nncourse autograde exited with {run.returncode}\n"
                                 f"stdout: {run.stdout[-3000:]}\nstderr: {run.stderr[-3000:]}")
    time.sleep(1)  # a process that outlived its sandbox would act now
    survivors = processes(lambda uid, cmd: uid in run.sandbox_uids or "redteam-" in cmd)
    changed = {label: changes(before[label], tree_state(path)) for label, path in folders.items()}
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    results = {path.stem: json.loads(path.read_text(encoding="utf-8"))
               for path in (out / "results").glob("*.json")}
    return Batch(out, rows, results, run.seconds, run.trusted_peak_mb, survivors, changed, run.marked_processes)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Every hostile submission, written once."""
    return build_corpus(tmp_path_factory.mktemp("hostile") / "submitted", table=ALL)


@pytest.fixture(scope="module")
def batch(corpus):
    """The whole corpus graded in one run."""
    graded = autograde(corpus, corpus.parent / "out")
    print(f"\nhostile corpus: {len(ALL)} submissions graded in {graded.seconds:.1f} s")
    return graded


@pytest.fixture(scope="module")
def controls_alone(tmp_path_factory):
    """The control submissions graded in a run of their own."""
    root = tmp_path_factory.mktemp("controls")
    return autograde(build_corpus(root / "submitted", CONTROLS), root / "out")


# --------------------------------------------------------------------------- reading results

def per_test_scores(result):
    """{test name: score} from a results JSON (points if the verdict is "passed");
    a name listed twice is an error."""
    names = [test["cell"]["name"] for test in result.get("tests", [])]
    assert len(names) == len(set(names)), f"a test cell is listed twice in the results: {names}"
    return {t["cell"]["name"]: t["cell"]["points"] if t["verdict"] == "passed" else 0
            for t in result["tests"]}


def verdicts(result):
    return {t["cell"]["name"]: t["verdict"] for t in result["tests"]}


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
    scores, given = per_test_scores(result), verdicts(result)
    found += [f"{name} scored {scores.get(name)}, expected {points}"
              for name, points in expect.tests.items() if scores.get(name) != points]
    found += [f"{name}'s verdict is {given.get(name)!r}, expected {word!r}"
              for name, word in expect.verdicts.items() if given.get(name) != word]
    return found


def executed_notebook(batch, student):
    path = batch.out / "autograded" / student / CHAPTER / f"{CHAPTER}.ipynb"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"cells": []}


def outputs(notebook):
    return [out for cell in notebook["cells"] for out in cell.get("outputs", [])]


def output_text(notebook):
    def text(out):
        value = out.get("text") or out.get("data", {}).get("text/plain") or ""
        return "".join(value) if isinstance(value, list) else value
    return "\n".join(text(out) for out in outputs(notebook))


def feedback_page(batch, student):
    return html.unescape(feedback_path(batch.out, student, CHAPTER).read_text(encoding="utf-8"))


def attack_ran(batch, student):
    """The evidence that an attack ran: its '<marker> ran' line in the executed notebook, or
    (for one that starves its sandbox, which then ends before the notebook comes back)
    at least ``SPINNERS_SEEN`` processes seen at once carrying its marker."""
    mark = MARKERS[student][0]
    return f"{mark} ran" in output_text(executed_notebook(batch, student)) \
        or batch.marked_processes.get(mark, 0) >= SPINNERS_SEEN


def assert_graded_as_earned(batch, students):
    """Each of ``students`` got its expectation, and each attack really ran in its sandbox."""
    for student in students:
        row, result, expect = batch.rows.get(student), batch.results.get(student), ALL[student].expect
        assert row is not None and result is not None, f"no row or results/{student}.json"
        problems = mismatches(row, result, expect)
        if expect.ran and not attack_ran(batch, student):
            problems.append("its '<marker> ran' line is not in OUT/autograded and no process carried "
                            "its marker: the attack did not run")
        assert not problems, (f"{student}: " + "; ".join(problems) + f"\nstatus: {row['status']}\n"
                              f"tests: {json.dumps(result.get('tests'), ensure_ascii=False)[:2000]}")


# --------------------------------------------------------------------------- every submission

@pytest.mark.parametrize("student", list(ALL))
def test_hostile_submission_gets_what_it_earned(batch, student):
    row, result = batch.rows.get(student), batch.results.get(student)
    assert row is not None, f"no row for {student!r} in grades.csv; rows: {sorted(batch.rows)}"
    assert result is not None, f"no results/{student}.json; found {sorted(batch.results)}"
    assert result["student_id"] == student and result["status"] == row["status"], \
        f"results/{student}.json disagrees with grades.csv: {result['student_id']!r}, {result['status']!r}"
    assert_graded_as_earned(batch, [student])


def test_every_student_has_one_row_a_result_and_a_feedback_page(batch):
    """The batch completes: one row, one stored result and one feedback page per student."""
    assert sorted(batch.rows) == sorted(ALL)
    assert sorted(batch.results) == sorted(ALL)
    assert {row["assignment"] for row in batch.rows.values()} == {CHAPTER}
    missing = [s for s in ALL if not feedback_path(batch.out, s, CHAPTER).is_file()]
    assert not missing, f"no feedback page for {missing}"
    for student in ALL:
        assert student in feedback_page(batch, student), \
            f"feedback/{student}/{CHAPTER}/{CHAPTER}.html does not name its student"


def test_controls_are_graded_as_when_alone(batch, controls_alone):
    """An honest submission (and the untouched release) graded beside every attack gets
    exactly the score, status and verdicts it gets in a batch of its own."""
    for student in CONTROLS:
        together, alone = batch.rows[student], controls_alone.rows[student]
        assert (together["score"], together["status"]) == (alone["score"], alone["status"]), student
        assert verdicts(batch.results[student]) == verdicts(controls_alone.results[student])


def test_no_feedback_page_shows_hidden_test_code(batch):
    secrets = secret_lines(REPO, hidden_tests_only=True)
    assert len(secrets) > 10, "few hidden-test lines found: the leak check would be vacuous"
    for student in ALL:
        leaked = [s for s in secrets if s in feedback_page(batch, student)]
        assert not leaked, f"feedback/{student}/{CHAPTER}/{CHAPTER}.html shows hidden-test lines: {leaked[:3]}"


def test_out_stays_small(batch):
    sizes = {p: p.stat().st_size for p in batch.out.rglob("*") if p.is_file()}
    total = sum(sizes.values()) / 2**20
    biggest = sorted(sizes, key=sizes.get)[-3:]
    assert total < OUT_LIMIT_MB, (f"OUT holds {total:.1f} MB (limit {OUT_LIMIT_MB} MB); biggest: "
                                  + ", ".join(f"{p.relative_to(batch.out)} {sizes[p] / 2**20:.1f} MB"
                                              for p in biggest))


@pytest.mark.parametrize("student", list(PROBES) + list(ATTACK_PROBES))
def test_the_corpus_really_misbehaves_when_run_plainly(corpus, student):
    """Outside the grader, each misbehaviour is real: the loop loops, the segfault
    segfaults, the attack on the reference finds it and passes, ... so that the corpus
    cannot quietly turn harmless."""
    {**PROBES, **ATTACK_PROBES}[student](corpus / student / CHAPTER)


def test_the_corpus_rebuilds_the_release_stubs_exactly():
    assert perceptron_source(STUB, STUB) == (RELEASE / "nnlib" / "perceptron.py").read_text(), \
        "tests/hostile/corpus.py no longer reproduces exercises/ch01_perceptron/nnlib/perceptron.py"


# --------------------------------------------------------------------------- attack classes

def test_code_that_reaches_the_reference_or_the_grader(batch):
    """Stubs that import nncourse, open the repository found beside the virtual environment,
    walk the file system for an ``nnlib`` without stubs and read the check's case files
    earn 0 of 15: the sandbox holds no reference, no grader and no expected value (the same
    code run outside the sandbox finds the reference and passes, see the plain-run test)."""
    assert_graded_as_earned(batch, ["reach_reference"])


def test_code_that_inspects_or_alters_frames_the_interpreter_or_the_shell(batch):
    """Stubs that walk ``sys._getframe`` and trace every frame for an ``expected`` local,
    and stubs that rewrite every later test cell through IPython's input transformers into
    forged result files and plant IPython startup files, earn 0 of 15: verdicts are computed
    outside the sandbox from the inputs alone. The startup file reaches neither the grader's
    own IPython profile nor any other submission's kernel."""
    assert_graded_as_earned(batch, ["frames_and_tracing", "ipython_shell"])
    planted = names_containing(Path.home() / ".ipython", "redteam-")
    assert not planted, f"an attack planted files in the grader's IPython folder: {planted}"


def test_processes_do_not_outlive_their_sandbox(batch):
    """A double-forked daemon in its own session and ~50 busy-looping processes die with
    their sandbox: after the batch no process of any sandbox user of the batch, and none
    whose command line carries an attack's marker, is alive. Their submissions still get
    what their code earned (15 and 0) and the controls are unaffected."""
    assert_graded_as_earned(batch, ["daemon", "cpu_hog"])
    assert not batch.survivors, f"processes outlived the batch's sandboxes: {batch.survivors}"


def test_writes_outside_the_scratch_folder_change_nothing(batch, corpus):
    """Writes (once at import, and from the daemon every 0.3 s during and after the batch)
    into the repository's nnlib, the virtual environment's site-packages (a ``.pth``), the
    grader's IPython startup folder, other submissions, OUT and the job folder change none
    of them: each watched folder's files (size, mtime, mode) are as before the batch, OUT
    holds only what the grader writes, and no file anywhere bears an attack's marker."""
    assert_graded_as_earned(batch, ["writes_outside", "daemon"])
    changed = {label: found[:5] for label, found in batch.changed.items() if found}
    assert not changed, f"the batch changed files outside the sandboxes: {changed}"
    assert {p.name for p in batch.out.iterdir()} <= OUT_ENTRIES, sorted(p.name for p in batch.out.iterdir())
    planted = [p for root in (corpus.parent, REPO, Path.home() / ".ipython")
               for p in names_containing(root, "redteam-")]
    assert not planted, f"files named by an attack exist outside its sandbox: {planted[:5]}"


def test_signals_and_messages_reach_only_the_sender(batch):
    """``update`` writes to every open loopback port, SIGKILLs every process it can see and
    runs ``kill -9 -1``: it sees only its own sandbox (PID and network namespaces, its own
    uid), so it ends only its own grading; predict's tests, reported before, keep their 5
    points, the batch completes and the controls are unaffected."""
    assert_graded_as_earned(batch, ["signals"])


def test_numpy_dispatch_and_always_equal_objects(batch):
    """Objects equal to anything (an ndarray subclass, an int subclass, objects with
    ``__eq__``/``__array_ufunc__``/``__array_function__`` assigned in a class body, which the
    screen does not see) earn nothing: only plain data leaves the sandbox, so the verdict
    is "returned something that is not plain data"; monkeypatched comparisons in the kernel
    compare nothing the grader relies on."""
    assert_graded_as_earned(batch, ["dispatch_objects", "eq_always_true", "monkeypatch_notebook",
                                    "monkeypatch_nnlib_module", "monkeypatch_nnlib_body"])


def test_symlinks_and_odd_files_are_refused(batch):
    """A module that is a link to the reference, an ``nnlib/`` that is a link, a notebook
    that is a FIFO or a device, a module that is a socket, a submission folder or a student
    folder that is a link: each is refused and named in the status (0 points, nothing read
    through it), the batch does not block, and exchange stamps that are a FIFO or a link are
    not copied beside the feedback."""
    assert_graded_as_earned(batch, ["symlink_perceptron", "symlinked_nnlib", "fifo_notebook",
                                    "device_notebook", "socket_module", "symlinked_folder",
                                    "symlinked_student"])
    stamps = feedback_path(batch.out, "socket_module", CHAPTER).parent
    copied = sorted(p.name for p in stamps.iterdir() if p.name != f"{CHAPTER}.html")
    assert not copied, f"odd exchange stamps were copied beside the feedback: {copied}"


def test_nothing_student_code_chose_reaches_feedback(batch):
    """Exceptions whose class name and message carry hidden inputs, hidden inputs printed
    in a visible test, HTML, Javascript and Markdown displays, and an output whose shape
    spells hidden inputs: none of the strings an attack chose (its marker, with or without
    dashes, and the shape's dimensions) is in any feedback page, grades.csv or stored
    result; the executed notebooks for instructors hold no hidden-test source and no
    output but plain text and PNG."""
    assert_graded_as_earned(batch, ["leak_exception", "leak_print", "leak_shape"])
    pages = {f"feedback of {s}": feedback_page(batch, s) for s in ALL}
    pages["grades.csv"] = (batch.out / "grades.csv").read_text(encoding="utf-8")
    pages.update({f"results/{p.name}": p.read_text(encoding="utf-8") for p in (batch.out / "results").glob("*.json")})
    leaks = sorted({(where, m) for where, text in pages.items() for ms in MARKERS.values() for m in ms if m in text})
    assert not leaks, f"strings chosen by student code reached the grader's outputs: {leaks[:6]}"


def test_executed_notebooks_hold_no_hidden_tests_and_no_active_content(batch):
    """OUT/autograded/ (for instructors and formgrader) keeps no hidden-test source line and
    no output type but plain text, PNG, streams and errors, whatever the kernel displayed."""
    secrets = secret_lines(REPO, hidden_tests_only=True)
    for student in ALL:
        notebook = executed_notebook(batch, student)
        sources = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                            for c in notebook["cells"])
        leaked = [s for s in secrets if s in sources]
        assert not leaked, f"autograded notebook of {student} holds hidden-test lines: {leaked[:3]}"
        active = {k for out in outputs(notebook) for k in out.get("data", {})} - KEPT_MIME
        assert not active, f"autograded notebook of {student} keeps outputs of type {sorted(active)}"


def test_forged_results_cannot_exhaust_the_trusted_worker(batch):
    """A sandbox may send any bytes as a result: here a 1 MB archive whose array inflates
    to BOMB_GIGABYTES GiB. It earns nothing, and no trusted process (the main process, the
    grading workers) ever holds more than TRUSTED_PEAK_MB while judging it."""
    assert_graded_as_earned(batch, ["forged_results"])
    worst = max(batch.trusted_peak_mb.items(), key=lambda item: item[1])
    assert worst[1] < TRUSTED_PEAK_MB, (f"a trusted process reached {worst[1]} MB (limit "
                                        f"{TRUSTED_PEAK_MB} MB): {worst[0]}")


def test_the_screen_is_only_defence_in_depth(batch):
    """A correct solution with a debugging ``import sys`` is replaced by the release's stubs
    (0 points, the status names file, line and rule): the import allowlist's policy, recorded
    so that a change to it is noticed. Every attack above gets past the screen."""
    assert_graded_as_earned(batch, ["debug_import_sys"])
    rejected = [s for s in ATTACKS if "tamper screen" in batch.rows[s]["status"] and s != "debug_import_sys"]
    assert not rejected, f"the screen stopped these attacks, so they did not test the sandbox: {rejected}"
