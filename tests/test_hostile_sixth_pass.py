"""Sixth red-team pass: the recently graded tasks, attacked with real submissions run end to
end through ``nncourse autograde`` (real sandbox, real kernels, trusted verdicts), one
batch per chapter, several students per batch (builders in :mod:`hostile.sixth`). Each
student is the release with the reference nnlib (and the answer cells of the tasks under
attack), plus one change; each test asserts per-test scores against the reference student.

- ch02 Task 6 ``sigmoid_cross_entropy``: stub, the textbook (unstable) form, the same with
  warnings silenced and inf/nan patched, and PyTorch's stable loss with autograd imported in
  the sandbox. HOLE FIXED: PyTorch (in the venv for the comparison tests) was importable in
  the sandbox, a reference implementation of most graded functions (the delegate earned
  full marks); the sandbox now hides it (``sandbox.HIDDEN_PACKAGES``).
- ch03 Task 4 ``temperature_cross_entropy``: stub, stubs below it (graded alone: full tce
  points), a wrong dtau; the table attack (reads the LossTable the probe hands in, walks the
  frames for the case dict and the heap for answer-like keys: the tables hold no dtau), a
  dtau by centred differences asked of the stand-in (off its trajectory: it raises), a hunt
  for the batch's secret seed (every 32-hex token readable in the sandbox, each tried by the
  test against the hidden cases), and a student who plants files for whoever runs next
  (IPython startup, user site, /tmp, HOME, /job, the repository, the venv), graded before a
  victim in the same run (--jobs 1) whose score must not move.
- ch04 Task 7 ``Softplus.backward`` (stub, the overflowing textbook form) and Task 8
  ``fixed_backward`` (unanswered, the bug itself, right dx but x overwritten, an answer cell
  that replaces the probe runner's ``run`` to store forged results). HOLES FIXED: the
  test_softplus check used the row [[-50, 50, 0]] where its cell uses [[-800, ..., 800]], so
  the overflowing form earned the cell's 2 points; and the visible cells' own centred
  differences pasted in as the answers earned the hidden points (5 of Task 7, 3 of Task 8):
  the hidden checks now ask for the derivative to rounding.
- ch07 ``train_adding`` (unanswered, untrained, an honest solution on a stubbed
  RNN.backward, the same stub with weights trained outside the sandbox pasted in) and the
  0-point LSTM cells (stubbed, a step that kills the kernel, a notebook whose LSTM test cells
  claim points and which adds graded cells of its own): max score and score unchanged.
  KNOWN LIMIT (xfail, strict): the adding judge measures quality on fresh sequences of the
  public task, so pasted weights earn its 5 points.

Run time: about 60 s on the 2-core course machine (four autograde runs).
"""
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from hostile import sixth
from hostile.attacks import marker
from hostile.watch import names_containing, run_watched
from test_hostile_second_pass import outcome, scores

CH02, CH03, CH04, CH07 = "ch02_sigmoid", "ch03_softmax", "ch04_backprop", "ch07_rnn"
SCE2 = "losses.sigmoid_cross_entropy"
TCE, SCE3, SOFTMAX = "losses.temperature_cross_entropy", "losses.softmax_cross_entropy", "activations.softmax"
SOFTPLUS = "layers.Softplus.backward"
RNN_BACKWARD = "layers.RNN.backward"
LSTM_FUNCTIONS = ("recurrent.lstm_step_forward", "recurrent.lstm_step_backward", "layers.LSTM.backward")

SIGMOID_CE_TESTS = {"test_sigmoid_ce_values": 2, "test_sigmoid_ce_hidden": 2}
TCE_TESTS = {"test_tce_values": 2, "test_tce_hidden": 2}
SOFTMAX_SCE_TESTS = {"test_softmax_values": 2, "test_softmax_properties": 2, "test_softmax_hidden": 3,
                     "test_sce_values": 2, "test_sce_stability_gradcheck": 2, "test_sce_hidden": 3}
SOFTPLUS_TESTS = {"test_softplus": 2, "test_softplus_hidden": 3}
FIXED_TESTS = {"test_fixed_backward": 1, "test_fixed_backward_hidden": 2}
ADDING_TESTS = {"test_adding_training": 5}
RNN_BACKWARD_TESTS = {"test_rnn_backward": 2, "test_rnn_backward_hidden": 4}
LSTM_TESTS = ("test_lstm_step_forward", "test_lstm_step_forward_hidden", "test_lstm_step_backward",
              "test_lstm_step_backward_hidden", "test_lstm_backward", "test_lstm_backward_hidden")
MAX_SCORES = {CH02: 25, CH03: 22, CH04: 38, CH07: 22}  # autograded points of each chapter


def graded_batch(root, chapter, builders, jobs=2):
    """Build every student of ``builders`` ({sid: build(root, sid)}), grade them in one
    autograde run; ``(rows, {sid: {test: points earned}}, root)``."""
    for sid, build in builders.items():
        build(root, sid)
    run = run_watched(sixth.autograde_command(chapter, root, jobs), cwd=REPO)
    rows, results = outcome(run, root / "out")
    return rows, {sid: scores(result) for sid, result in results.items()}, root


def lost_only(earned, sid, reference, tests):
    """``sid`` earned 0 on ``tests`` and exactly the reference's points on every other test."""
    assert {t: earned[sid][t] for t in tests} == dict.fromkeys(tests, 0), (sid, earned[sid])
    others = {t: p for t, p in earned[reference].items() if t not in tests}
    assert {t: earned[sid][t] for t in others} == others, (sid, earned[sid])


def printed(root, sid, case):
    """What the attack printed after '<marker> ran:' in its executed notebook."""
    found = re.search(re.escape(marker(case)) + r" ran: (.*?)(?:\\n|\")", sixth.executed_text(root, sid))
    assert found, f"the attack of {sid} did not run (no '{marker(case)} ran' in its executed notebook)"
    return found[1]


# --------------------------------------------------------------------------- chapter 2: sigmoid_cross_entropy

def _ch02(body=None, top=None, case=None):
    def build(root, sid):
        folder = sixth.base(root, sid, CH02)
        if top:
            sixth.plant(folder, "losses", case, top)
        sixth.replace_body(folder, SCE2, body)
    return build


@pytest.fixture(scope="module")
def ch02(tmp_path_factory):
    return graded_batch(tmp_path_factory.mktemp("ch02"), CH02, {
        "reference": _ch02(), "stub": _ch02("stub"), "naive": _ch02(sixth.NAIVE_SIGMOID_CE),
        "silenced": _ch02(sixth.SILENCED_SIGMOID_CE),
        "torch": _ch02("return _torch_sigmoid_ce(logits, target)", sixth.TORCH_TOP, "torch_ce")})


def test_ch02_sigmoid_ce_reference_earns_it_and_the_stub_and_wrong_forms_lose_only_it(ch02):
    rows, earned, _ = ch02
    assert {t: earned["reference"][t] for t in SIGMOID_CE_TESTS} == SIGMOID_CE_TESTS
    assert rows["reference"]["max_score"] == str(MAX_SCORES[CH02])
    for sid in ("stub", "naive", "silenced"):
        lost_only(earned, sid, "reference", SIGMOID_CE_TESTS)
    assert int(rows["stub"]["score"]) == int(rows["reference"]["score"]) - sum(SIGMOID_CE_TESTS.values())


def test_ch02_pytorch_is_out_of_the_sandboxs_reach(ch02):
    """PyTorch (in the venv for the instructor's comparison tests) implements most graded
    functions, with autograd: a body handing sigmoid_cross_entropy to it earned full marks
    while the sandbox could import it. The sandbox now shows an empty folder in its place:
    the delegate raises and loses only the task."""
    _, earned, root = ch02
    assert printed(root, "torch", "torch_ce") == "torch usable in the sandbox: False"
    lost_only(earned, "torch", "reference", SIGMOID_CE_TESTS)


def test_the_sandbox_hides_pytorch_from_every_python_installation_it_binds():
    from nncourse.grader import sandbox

    hidden = sandbox._hidden_packages({sys.prefix, sys.base_prefix, "/usr"})
    installed = [p for p in Path(sys.prefix).glob("lib/python3*/site-packages/torch") if p.is_dir()]
    if not installed:
        pytest.skip("PyTorch is not installed in this environment")
    torch_folder = installed[0]
    assert ["--tmpfs", str(torch_folder), "--remount-ro", str(torch_folder)] == \
        hidden[hidden.index(str(torch_folder)) - 1:hidden.index(str(torch_folder)) + 3]
    assert {"torch", "functorch", "torchgen"} <= {Path(p).name for p in hidden[1::4]}


# --------------------------------------------------------------------------- chapter 3: temperature_cross_entropy

def _ch03(bodies=(), stubs=(), top=None, case=None):
    def build(root, sid):
        folder = sixth.base(root, sid, CH03)
        if top:
            sixth.plant(folder, "losses", case, top)
        for function in stubs:
            sixth.stub(folder, function)
        for function, body in dict(bodies).items():
            sixth.set_body(folder, function, body)
    return build


ATTACKER, VICTIM = "a_plants_files", "z_victim"  # graded in this order (--jobs 1: by student id)


@pytest.fixture(scope="module")
def ch03(tmp_path_factory):
    root = tmp_path_factory.mktemp("ch03")
    batch = graded_batch(root, CH03, {
        "reference": _ch03(), "stub_tce": _ch03(stubs=[TCE]),
        "stubs_below": _ch03(stubs=[SOFTMAX, SCE3]),
        "wrong_tce": _ch03({TCE: sixth.WRONG_TCE_BODY}),
        "tables": _ch03({TCE: sixth.TABLES_BODY}, top=sixth.TABLES_TOP, case="tce_tables"),
        "numeric": _ch03({TCE: sixth.NUMERIC_TCE_BODY}),
        "a_seed_hunt": _ch03(top=sixth.SEED_HUNT_TOP, case="seed_hunt"),
        ATTACKER: _ch03(top=sixth.WRITER_TOP, case="plants_files"),
        VICTIM: _ch03()}, jobs=1)
    return batch


def test_ch03_tce_reference_earns_it_the_stub_and_a_wrong_dtau_lose_only_it(ch03):
    rows, earned, _ = ch03
    assert {t: earned["reference"][t] for t in TCE_TESTS} == TCE_TESTS
    assert {t: earned["reference"][t] for t in SOFTMAX_SCE_TESTS} == SOFTMAX_SCE_TESTS
    assert rows["reference"]["max_score"] == str(MAX_SCORES[CH03])
    for sid in ("stub_tce", "wrong_tce"):
        lost_only(earned, sid, "reference", TCE_TESTS)


def test_ch03_tce_is_graded_alone_stubs_below_it_cost_only_their_own_tests(ch03):
    _, earned, _ = ch03
    assert {t: earned["stubs_below"][t] for t in TCE_TESTS} == TCE_TESTS
    lost_only(earned, "stubs_below", "reference", SOFTMAX_SCE_TESTS)


def test_ch03_reading_the_tables_frames_and_heap_earns_nothing(ch03):
    """The attack finds the LossTable's entries and the case dict (so it ran where the
    probe hands them in), but no answer: the tables hold the reference's softmax and loss
    at logits / tau only, never dtau, so its tce fails both checks and nothing else moves."""
    _, earned, root = ch03
    said = printed(root, "tables", "tce_tables")
    assert re.match(r"table entries \d+ case keys \[.*'softmax_cross_entropy'.*'tau'.*\]", said), said
    assert "dtau" not in said.split("case keys", 1)[1].split("answer-like")[0], said
    lost_only(earned, "tables", "reference", TCE_TESTS)


def test_ch03_a_dtau_asked_of_the_stand_in_off_its_trajectory_earns_nothing(ch03):
    _, earned, _ = ch03
    lost_only(earned, "numeric", "reference", TCE_TESTS)


def _first_hidden_tce_case(rng):
    """The shape and first logit of hidden_tce_cases' first case, drawn as it draws them
    (without the reference's tables, so that trying a token costs microseconds)."""
    N, K = int(rng.integers(1, 30)), int(rng.integers(2, 12))
    logits = rng.normal(size=(N, K)) * float(rng.choice([0.1, 1.0, 10.0, 1e3, 1e4]))
    return (N, K), float(logits.flat[0])


def test_ch03_no_token_the_sandbox_can_read_is_the_batch_seed(ch03):
    """Every 32-hex token readable in the sandbox (environment, /proc, /job, the working
    folder, /tmp, HOME) is tried as the batch's secret (a 32-hex token): none draws the
    hidden tce cases the sandbox was given. The hunt itself earns the reference's score."""
    import nnlib as reference
    from nncourse.grader.checks import _check_seed
    from nncourse.probes import ch03_softmax

    rows, earned, root = ch03
    said = printed(root, "a_seed_hunt", "seed_hunt")
    found = re.search(r"tokens \[(.*?)\] first hidden case \[(\d+), (\d+)\] (\S+)$", said)
    assert found, said
    tokens = re.findall(r"[0-9a-f]{32}", found[1])
    given = ((int(found[2]), int(found[3])), float(found[4]))
    assert "feedface" * 4 in tokens, "the hunt missed its own decoy in /tmp: it did not look"
    for token in tokens:
        assert _first_hidden_tce_case(np.random.default_rng(_check_seed(token, "test_tce_hidden"))) != given, token
    # the replica draws as the check does
    case = ch03_softmax.hidden_tce_cases(np.random.default_rng(7), reference)[0]
    assert _first_hidden_tce_case(np.random.default_rng(7)) == (case["logits"].shape, float(case["logits"].flat[0]))
    assert earned["a_seed_hunt"] == earned["reference"] and rows["a_seed_hunt"]["score"] == rows["reference"]["score"]


def test_ch03_files_planted_for_the_next_kernel_change_no_other_grade(ch03):
    """The attacker (graded first, alone: --jobs 1) writes an IPython startup file and a
    user-site usercustomize/.pth that would break numpy, and files in /tmp, HOME, /job,
    the working folder's parent, the repository and the venv; the victim, graded next in
    the same run, earns exactly the reference's points, and no planted name exists outside."""
    rows, earned, root = ch03
    said = printed(root, ATTACKER, "plants_files")
    assert said.startswith("wrote ["), said
    assert earned[VICTIM] == earned["reference"] == earned[ATTACKER]
    assert rows[VICTIM]["score"] == rows["reference"]["score"] == str(sum(TCE_TESTS.values()) + sum(
        SOFTMAX_SCE_TESTS.values()))
    mark = marker("plants_files")
    for outside in (REPO / "nnlib", REPO / "nncourse", REPO / "exercises" / CH03, root / "out",
                    root / "submitted" / VICTIM):
        assert not names_containing(outside, mark), outside
    for folder in ("/tmp", "/root", "/root/.ipython/profile_default/startup", sys.prefix):
        assert not [p for p in names_containing_shallow(folder) if mark in p], folder
    assert "numpy.log = numpy.exp" not in (REPO / "nnlib" / "losses.py").read_text()


def test_the_planted_payload_would_have_cost_the_victim_points(monkeypatch):
    """The attacker's startup/usercustomize payload is not harmless: run in a kernel (here,
    with its /job condition forced), the reference softmax no longer passes its check; so
    the victim's unchanged score shows that none of the planted files ran for it."""
    import nnlib as reference
    from nncourse.probes import ch03_softmax
    from nncourse.probes.kit import same

    cases = ch03_softmax.visible_softmax_cases(None, reference)
    before = [ch03_softmax.probe_softmax(reference, case, None) for case in cases]
    monkeypatch.setattr(np, "log", np.log)  # put back after the test, whatever the payload did
    monkeypatch.setattr(np, "exp", np.exp)
    exec(sixth.SABOTAGE.replace("os.path.isdir('/job')", "True"), {})  # noqa: S102 - our own payload
    after = [ch03_softmax.probe_softmax(reference, case, None) for case in cases]
    assert any(same(a, b) for a, b in zip(after, before))


def names_containing_shallow(folder):
    import os
    try:
        return os.listdir(folder)
    except OSError:
        return []


# --------------------------------------------------------------------------- chapter 4: Softplus, fixed_backward

def _ch04(softplus=None, fixed="solved"):
    def build(root, sid):
        folder = sixth.base(root, sid, CH04, cells=("fixed_backward",) if fixed == "solved" else ())
        if fixed not in ("solved", None):
            sixth.set_cells(folder, CH04, {"fixed_backward": fixed})
        sixth.replace_body(folder, SOFTPLUS, softplus)
    return build


@pytest.fixture(scope="module")
def ch04(tmp_path_factory):
    return graded_batch(tmp_path_factory.mktemp("ch04"), CH04, {
        "reference": _ch04(), "stub_softplus": _ch04("stub"), "overflowing_softplus": _ch04(sixth.OVERFLOWING_SOFTPLUS),
        "unanswered_fixed": _ch04(fixed=None), "buggy_fixed": _ch04(fixed=sixth.BUGGY_FIXED),
        "in_place_fixed": _ch04(fixed=sixth.IN_PLACE_FIXED), "forging_fixed": _ch04(fixed=sixth.FORGING_FIXED),
        "centred_softplus": _ch04(sixth.CENTRED_SOFTPLUS), "centred_fixed": _ch04(fixed=sixth.CENTRED_FIXED)})


def test_ch04_softplus_reference_earns_it_the_stub_and_the_overflowing_form_lose_only_it(ch04):
    rows, earned, _ = ch04
    assert {t: earned["reference"][t] for t in {**SOFTPLUS_TESTS, **FIXED_TESTS}} == {**SOFTPLUS_TESTS, **FIXED_TESTS}
    assert rows["reference"]["max_score"] == str(MAX_SCORES[CH04])
    for sid in ("stub_softplus", "overflowing_softplus"):
        lost_only(earned, sid, "reference", SOFTPLUS_TESTS)


def test_ch04_fixed_backward_unanswered_buggy_in_place_and_forged_lose_only_it(ch04):
    """The forging answer cell replaces ``_nncourse.run`` in the kernel: the later graded
    cells store what it chooses, and the trusted judge refuses it like any wrong result."""
    _, earned, _ = ch04
    for sid in ("unanswered_fixed", "buggy_fixed", "in_place_fixed", "forging_fixed"):
        lost_only(earned, sid, "reference", FIXED_TESTS)


def test_ch04_the_visible_cells_centred_differences_pasted_in_earn_only_the_visible_points(ch04):
    """Softplus.backward and fixed_backward written as the centred differences their
    visible cells compare with (no derivative derived, no bug found) pass those cells, so
    the visible checks, which mirror them, pay; the hidden checks ask for the derivative to
    rounding and pay nothing (they paid all 5 and 3 points before this pass)."""
    _, earned, _ = ch04
    assert earned["centred_softplus"]["test_softplus"] == 2
    lost_only(earned, "centred_softplus", "reference", {"test_softplus_hidden": 3})
    assert earned["centred_fixed"]["test_fixed_backward"] == 1
    lost_only(earned, "centred_fixed", "reference", {"test_fixed_backward_hidden": 2})


# --------------------------------------------------------------------------- chapter 7: train_adding, LSTM

def _ch07(cell="solved", stubs=(), lstm_exit=False, notebook_edit=None):
    def build(root, sid):
        folder = sixth.base(root, sid, CH07, cells=("adding_solution",) if cell == "solved" else ())
        if cell not in ("solved", None):
            sixth.set_cells(folder, CH07, {"adding_solution": cell})
        for function in stubs:
            sixth.stub(folder, function)
        if lstm_exit:
            sixth.plant(folder, "recurrent", "lstm_exit", "")
            sixth.set_body(folder, "recurrent.lstm_step_forward", sixth.LSTM_EXIT_BODY)
        if notebook_edit:
            notebook_edit(folder / f"{CH07}.ipynb")
    return build


def _claim_points(path):
    """The LSTM test cells claim 10 points each; a new graded test cell (50 points) and an
    autograded answer cell (50 points) are added."""
    import nbformat

    notebook = nbformat.read(path, 4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") in LSTM_TESTS:
            meta["points"] = 10
            cell.source = "print('passed')"
    bonus = nbformat.v4.new_code_cell("print('bonus passed')")
    bonus.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 50,
                                  "grade_id": "test_lstm_bonus", "schema_version": 3, "task": False}
    answer = nbformat.v4.new_code_cell("x = 1")
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False, "points": 50,
                                   "grade_id": "lstm_bonus_answer", "schema_version": 3, "task": False}
    notebook.cells += [bonus, answer]
    nbformat.write(notebook, path)


@pytest.fixture(scope="module")
def ch07(tmp_path_factory):
    pasted = sixth.pasted_train_adding(sixth.trained_adding_weights())
    return graded_batch(tmp_path_factory.mktemp("ch07"), CH07, {
        "reference": _ch07(), "unanswered": _ch07(cell=None), "untrained": _ch07(cell=sixth.UNTRAINED_ADDING),
        "stub_backward": _ch07(stubs=[RNN_BACKWARD]), "pasted": _ch07(cell=pasted, stubs=[RNN_BACKWARD]),
        "lstm_stubs": _ch07(stubs=LSTM_FUNCTIONS), "lstm_exit": _ch07(lstm_exit=True),
        "lstm_claims_points": _ch07(notebook_edit=_claim_points)})


def test_ch07_train_adding_reference_earns_it_unanswered_and_untrained_lose_only_it(ch07):
    rows, earned, _ = ch07
    assert earned["reference"]["test_adding_training"] == 5
    assert sum(earned["reference"].values()) == MAX_SCORES[CH07] == int(rows["reference"]["score"])
    for sid in ("unanswered", "untrained"):
        lost_only(earned, sid, "reference", ADDING_TESTS)


def test_ch07_honest_training_on_a_stubbed_backward_earns_no_adding_points(ch07):
    _, earned, _ = ch07
    lost_only(earned, "stub_backward", "reference", {**RNN_BACKWARD_TESTS, **ADDING_TESTS})


@pytest.mark.xfail(strict=True, reason="known limit: the adding judge grades the model's quality on fresh "
                                       "sequences of the public task, so weights trained anywhere earn it")
def test_ch07_weights_trained_elsewhere_earn_no_adding_points(ch07):
    _, earned, _ = ch07
    lost_only(earned, "pasted", "reference", {**RNN_BACKWARD_TESTS, **ADDING_TESTS})


def test_ch07_the_pasted_model_earns_exactly_the_adding_points_the_reference_earns(ch07):
    """What the limit costs, pinned: the pasted model (RNN.backward stubbed) loses the
    RNN.backward tests and earns the adding test, nothing else."""
    _, earned, _ = ch07
    assert earned["pasted"]["test_adding_training"] == 5
    lost_only(earned, "pasted", "reference", RNN_BACKWARD_TESTS)


def test_ch07_the_optional_lstm_never_adds_points_or_changes_the_max_score(ch07):
    rows, earned, root = ch07
    for sid in ("reference", "lstm_stubs", "lstm_exit", "lstm_claims_points"):
        assert rows[sid]["max_score"] == str(MAX_SCORES[CH07]), (sid, rows[sid])
        assert rows[sid]["score"] == rows["reference"]["score"], (sid, rows[sid])
        assert set(earned[sid]) == set(earned["reference"]), sid
        assert all(earned[sid][t] == 0 for t in LSTM_TESTS), (sid, earned[sid])
    assert "died" in rows["lstm_exit"]["status"], rows["lstm_exit"]["status"]
