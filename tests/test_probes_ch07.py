"""Chapter 7's checks: the reference passes and every catalogued mistake fails a hidden
check with its own hint; the hidden cases really hold T = 1, a non-zero h0, D != H and
batch sizes the visible tests never use; a planted wrong function gets a verdict that says
which case and which output; the BPTT loop is graded apart from the step kernels; the
adding-problem judge accepts the notebook's recipe and refuses a model above the target,
a forbidden layer, a model of the wrong shape and models too large to evaluate, on
sequences the sandbox cannot rebuild."""
import json
from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import mutant_packages
from nncourse.chapters import get_chapter
from nncourse.grader.batch import write_mutants
from nncourse.grader.checks import load_nnlib, prepare
from nncourse.grader.diagnosis import known_mistake
from nncourse.grader.heldout import adding_sequences
from nncourse.grader.selftest import _verdicts, selftest
from nncourse.mutants import catalogue
from nncourse import notebook_schema
from nncourse.probes import ch07_rnn as ch07
from nncourse.probes import plaindata
from nncourse.probes.in_kernel import probe_outputs

CHAPTER = get_chapter("ch07_rnn")
SEEDS = range(20)


@pytest.fixture(scope="module")
def reference(repo):
    return load_nnlib(repo / "nnlib", "nnlib_test_probes_ch07")


@pytest.fixture(scope="module")
def prepared(reference):
    return prepare(CHAPTER.id, reference, "test_probes_ch07")


@pytest.fixture(scope="module")
def mutants(repo):
    """{mutant name: its package}, loaded once."""
    yield from mutant_packages(repo, CHAPTER)


def test_selftest_reports_nothing(repo):
    assert selftest(CHAPTER, repo, repo / "exercises" / CHAPTER.id / "nnlib") == []


def test_the_catalogue_covers_the_brief():
    names = {(m.function, m.name) for m in catalogue(CHAPTER)}
    assert {("layers.RNN.backward", "recurrent-term-dropped"),
            ("recurrent.rnn_step_backward", "dW_hh-uses-h_t"),
            ("recurrent.rnn_step_backward", "tanh-derivative-of-pre-activation"),
            ("recurrent.rnn_step_backward", "tanh-applied-to-output"),
            ("layers.RNN.backward", "time-loop-forwards"),
            ("layers.RNN.backward", "gradients-overwritten"),
            ("layers.RNN.backward", "dh0-zero"),
            ("recurrent.rnn_step_forward", "previous-state-ignored"),
            ("optim.clip_grad_norm", "per-element"),
            ("optim.clip_grad_norm", "norm-after-clipping"),
            ("recurrent.rnn_step_forward", "W_hh-transposed"),
            ("recurrent.rnn_step_forward", "bias-missing"),
            ("recurrent.lstm_step_forward", "gate-order-ifog"),
            ("recurrent.lstm_step_forward", "forget-gate-on-hidden-state"),
            ("recurrent.lstm_step_backward", "gate-order")} <= names
    assert all(len(m.hint) > 60 for m in catalogue(CHAPTER))  # a hint that teaches, not a label
    assert {m.function for m in catalogue(CHAPTER)} == set(CHAPTER.functions)


def test_every_mutant_fails_a_hidden_check(prepared, mutants):
    survivors = [name for name, package in mutants.items()
                 if all(v.passed for g, v in _verdicts(prepared, package).items() if g.endswith("_hidden"))]
    assert survivors == []


def test_every_mutant_gets_a_hint_of_its_function(repo, prepared, mutants, tmp_path):
    mutants_dir = write_mutants(CHAPTER, repo, tmp_path / "mutants")
    index = json.loads((Path(mutants_dir) / "index.json").read_text())
    source = nbformat.read(CHAPTER.source_notebook(repo), 4)
    cells = {cell.name: cell for cell in notebook_schema.test_cells(source)}
    missing = []
    for mutant in catalogue(CHAPTER):
        package = mutants[f"{mutant.function}:{mutant.name}"]
        failing = [g for g, v in _verdicts(prepared, package).items()
                   if g.endswith("_hidden") and not v.passed]
        outputs = probe_outputs(prepared.checks[failing[0]].probe, package, prepared.cases[failing[0]], None)
        hint = known_mistake(mutants_dir, prepared, cells[failing[0]], plaindata.to_bytes(outputs))
        if hint not in {m["hint"] for m in index if m["function"] == mutant.function}:
            missing.append(mutant.name)
    assert missing == []


def test_the_lstm_cells_are_worth_nothing_and_the_rest_29_points(repo):
    source = nbformat.read(CHAPTER.source_notebook(repo), 4)
    tests = notebook_schema.test_cells(source)
    lstm = [t for t in tests if "lstm" in t.name]
    assert len(lstm) == 6 and all(t.points == 0 for t in lstm)
    assert all(t.points > 0 for t in tests if t not in lstm)
    written = notebook_schema.written_cells(source)
    assert sum(t.points for t in tests) + sum(p for _, p in written) == 29


# The hidden cases hold what the brief promises ----------------------------------------------


def test_hidden_sequences_hold_one_step_a_nonzero_h0_and_unseen_shapes(reference):
    for seed in SEEDS:
        for cases in (ch07.hidden_rnn_backward_cases(np.random.default_rng(seed), reference),
                      ch07.hidden_lstm_backward_cases(np.random.default_rng(seed), reference)):
            shapes = [np.shape(c["x"]) for c in cases]
            steps = [T for _, T, _ in shapes]
            assert steps.count(1) >= 2 and max(steps) >= 4, seed
            assert all(np.all(np.asarray(c["h0"]) != 0) for c in cases)
            assert all(D != np.shape(c["h0"])[1] for c, (_, _, D) in zip(cases, shapes))
            assert all(N not in ch07.VISIBLE_BATCHES for N, _, _ in shapes)
        for cases in (ch07.hidden_rnn_step_forward_cases(np.random.default_rng(seed), reference),
                      ch07.hidden_lstm_step_forward_cases(np.random.default_rng(seed), reference)):
            assert all(np.shape(c["x"])[1] != np.shape(c["h_prev"])[1] for c in cases)
            assert all(np.shape(c["x"])[0] not in ch07.VISIBLE_BATCHES for c in cases)
            assert all(np.all(np.asarray(c["h_prev"]) != 0) for c in cases)


def test_hidden_clipping_cases_clip_some_and_leave_others(reference):
    for seed in SEEDS:
        cases = ch07.hidden_clip_cases(np.random.default_rng(seed), reference)
        norms = [np.sqrt(sum(np.sum(np.square(g)) for g in c["grads"])) for c in cases]
        clipped = [n > c["max_norm"] for n, c in zip(norms, cases)]
        assert 2 <= sum(clipped) < len(cases) and any(len(c["grads"]) > 1 for c in cases)


# Verdicts say which case and which output; isolation -----------------------------------------


def test_a_planted_wrong_function_fails_with_a_clear_message(repo, prepared):
    package = load_nnlib(repo / "nnlib", "nnlib_ch07_planted")
    right = package.recurrent.rnn_step_backward

    def no_recurrence(dh_t, cache):  # dh_prev always zero
        dx, dh_prev, *rest = right(dh_t, cache)
        return (dx, 0 * dh_prev, *rest)

    package.recurrent.rnn_step_backward = no_recurrence
    verdict = _verdicts(prepared, package)["test_rnn_step_backward_hidden"]
    assert verdict.status == "wrong" and verdict.detail.startswith("case ") \
        and verdict.detail.endswith(" of 10: 'dh_prev' differs from the reference")
    package.recurrent.rnn_step_backward = lambda dh_t, cache: right(dh_t, cache)[:4]
    verdict = _verdicts(prepared, package)["test_rnn_step_backward_hidden"]
    assert verdict.status == "wrong" and "'dx_t' is not a number or an array" in verdict.detail

    package.optim.clip_grad_norm = lambda grads, max_norm: 0.0
    verdict = _verdicts(prepared, package)["test_clip_grad_norm_hidden"]
    assert verdict.status == "wrong" and "'norm' differs from the reference" in verdict.detail


def test_the_time_loop_is_graded_apart_from_the_step_kernels(repo, prepared):
    """Broken step kernels cost nothing in the RNN.backward and LSTM.backward checks (they run
    with stand-ins), and a loop that hands the steps the wrong dh is named precisely."""
    package = load_nnlib(repo / "nnlib", "nnlib_ch07_broken_steps")
    for name in ("rnn_step_forward", "rnn_step_backward", "lstm_step_forward", "lstm_step_backward"):
        setattr(package.recurrent, name, lambda *args: (_ for _ in ()).throw(NotImplementedError))
    verdicts = _verdicts(prepared, package)
    assert all(verdicts[g].passed for g in ("test_rnn_backward", "test_rnn_backward_hidden",
                                            "test_lstm_backward", "test_lstm_backward_hidden"))
    assert {verdicts[g].status for g in verdicts if "step" in g} == {"not implemented"}


def test_the_stubs_are_reported_not_implemented(repo, prepared):
    stubs = load_nnlib(repo / "exercises" / CHAPTER.id / "nnlib", "nnlib_ch07_stubs")
    verdicts = _verdicts(prepared, stubs)
    assert {v.status for v in verdicts.values()} == {"not implemented"}


def test_earlier_chapters_bugs_do_not_cascade(repo, prepared):
    package = load_nnlib(repo / "nnlib", "nnlib_ch07_broken_earlier")
    package.layers.Linear.forward = lambda self, x: 0 * x
    package.optim.SGD.step = lambda self: None
    package.gradcheck.numerical_gradient = lambda f, x, h=1e-5: np.zeros_like(x)
    package.activations.sigmoid = lambda z: 0 * z  # chapter 2: the LSTM's gates
    package.losses.mse = lambda pred, target: (0.0, 0 * pred)
    failing = [g for g, v in _verdicts(prepared, package).items() if not v.passed]
    assert failing == []


def test_backward_sets_the_entries_of_the_grads_dict_an_optimizer_holds(reference):
    """Regression: RNN.backward and LSTM.backward used to replace ``self.grads``, so an SGD
    built before training kept stepping with the first (zero) gradients."""
    for layer in (reference.layers.RNN(2, 3, rng=0), reference.layers.LSTM(2, 3, rng=0)):
        held = layer.grads
        optimizer = reference.optim.SGD([(layer.params, layer.grads)], lr=0.1)
        before = {k: v.copy() for k, v in layer.params.items()}
        hs = layer.forward(np.ones((2, 4, 2)))
        layer.backward(np.ones_like(hs))
        optimizer.step()
        assert layer.grads is held and all(np.any(held[k] != 0) for k in held)
        assert all(np.any(layer.params[k] != before[k]) for k in before)


# The trained model ------------------------------------------------------------------------


def _solution_function(repo, reference):
    """``train_adding`` as the solution cell defines it, run on the reference."""
    source = nbformat.read(CHAPTER.source_notebook(repo), 4)
    cell = next(c for c in source.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "adding_solution")
    namespace = {"np": np, "RNN": reference.layers.RNN, "Linear": reference.layers.Linear,
                 "SGD": reference.optim.SGD, "mse": reference.losses.mse,
                 "clip_grad_norm": reference.optim.clip_grad_norm}
    exec(cell.source, namespace)
    return namespace["train_adding"]


def training_verdict(reference, namespace, seed=0):
    """The judge's verdict on what the probe exports from ``namespace``, after the round trip."""
    case = plaindata.from_bytes(plaindata.to_bytes({"seed": seed}))
    blob = plaindata.to_bytes(ch07.probe_adding_training(reference, case, namespace))
    return ch07.judge_adding_training(plaindata.from_bytes(blob), case, reference)


def test_judge_accepts_the_reference_recipe(repo, reference):
    train = _solution_function(repo, reference)
    assert training_verdict(reference, {"train_adding": train}, seed=0) is None


def _untrained(reference, kind="RNN", H=8):
    L = reference.layers
    return lambda *a: (getattr(L, kind)(2, H, rng=0), L.Linear(H, 1, rng=0))


def test_judge_rejects_a_model_above_the_target(reference):
    verdict = training_verdict(reference, {"train_adding": _untrained(reference)})
    assert verdict and "mean squared error above 0.08 on 1000 fresh adding-problem sequences" in verdict
    verdict = training_verdict(reference, {"train_adding": _untrained(reference, "LSTM")})
    assert verdict and "mean squared error above 0.08" in verdict


def test_judge_rejects_forbidden_layers_wrong_shapes_and_models_too_large(reference):
    L = reference.layers

    class GRU(L.RNN):
        pass

    cases = {
        "no function train_adding": {},
        "must return a pair": {"train_adding": lambda *a: L.RNN(2, 4, rng=0)},
        "must be an nnlib.layers.RNN or an nnlib.layers.LSTM": {
            "train_adding": lambda *a: (GRU(2, 4, rng=0), L.Linear(4, 1, rng=0))},
        "must be an nnlib.layers.Linear": {"train_adding": lambda *a: (L.RNN(2, 4, rng=0), L.Tanh())},
        "wrong shapes": {"train_adding": lambda *a: (L.RNN(3, 4, rng=0), L.Linear(4, 1, rng=0))},
        "must be a Linear(4, 1)": {"train_adding": lambda *a: (L.RNN(2, 4, rng=0), L.Linear(5, 1, rng=0))},
        "too large to judge": {"train_adding": lambda *a: (L.RNN(2, 300, rng=0), L.Linear(300, 1, rng=0))},
    }
    for words, namespace in cases.items():
        verdict = training_verdict(reference, namespace)
        assert verdict and words in verdict, (words, verdict)
    layer, head = L.RNN(2, 4, rng=0), L.Linear(4, 1, rng=0)
    layer.params["W_hh"][0, 0] = np.nan
    assert "inf or nan" in training_verdict(reference, {"train_adding": lambda *a: (layer, head)})


@pytest.mark.parametrize("part", ["found", "pair", "type", "params", "head type", "head params"])
def test_judge_refuses_arrays_where_it_expects_a_flag_a_name_or_a_dict(reference, part):
    L = reference.layers
    pair = lambda *a: (L.RNN(2, 4, rng=0), L.Linear(4, 1, rng=0))  # noqa: E731
    got = ch07.probe_adding_training(reference, {"seed": 0}, {"train_adding": pair})
    if part == "type":
        got["recurrent"]["type"] = np.zeros(2)
    elif part == "params":
        got["recurrent"]["params"] = np.zeros(2)
    elif part.startswith("head"):
        got["head"][part.split()[1]] = np.zeros(2)
    else:
        got[part] = np.zeros(2)
    assert isinstance(ch07.judge_adding_training(got, {"seed": 0}, reference), str)


def test_the_judges_sequences_cannot_be_rebuilt_from_the_case(reference):
    """The case's seed reaches the sandbox; the judge's sequences also need a salt that does not."""
    X, y = adding_sequences(reference, 5, 50, ch07.SEQ_LEN)
    X_again, _ = adding_sequences(reference, 5, 50, ch07.SEQ_LEN)
    X_seed, _ = reference.data.adding_problem(50, ch07.SEQ_LEN, rng=5)
    assert np.array_equal(X, X_again) and not np.allclose(X, X_seed)
    assert X.shape == (50, ch07.SEQ_LEN, 2) and y.shape == (50, 1)
    assert "SALT" not in Path(ch07.__file__).read_text()


def test_the_rebuilt_model_predicts_as_the_original(reference):
    L = reference.layers
    for kind in ("RNN", "LSTM"):
        layer, head = getattr(L, kind)(2, 5, rng=1), L.Linear(5, 1, rng=2)
        got = plaindata.from_bytes(plaindata.to_bytes(ch07.probe_adding_training(
            reference, {"seed": 0}, {"train_adding": lambda *a: (layer, head)})))
        assert ch07._model_problem(got) is None
        X, y = reference.data.adding_problem(30, 7, rng=3)
        rebuilt = ch07.rebuild(reference, got)
        assert ch07.heldout_mse(reference, *rebuilt, X, y) == pytest.approx(
            float(np.mean((head.forward(layer.forward(X)[:, -1]) - y) ** 2)), rel=1e-12)


def test_the_progress_report_calls_a_0_point_topic_ungraded_not_passed():
    """The gradebook scores a 0-point cell 0 whether it passed or not: the report must not
    call the optional LSTM topics passed."""
    from types import SimpleNamespace

    from nncourse.report import STATES, GradedCell, _topic_result

    cells = [GradedCell("test_lstm_backward", 0.0, False, "layers.LSTM.backward"),
             GradedCell("test_rnn_backward", 2.0, False, "layers.RNN.backward")]
    grades = {name: SimpleNamespace(score=0.0) for name in ("test_lstm_backward", "test_rnn_backward")}
    lstm = _topic_result("s", CHAPTER.id, "layers.LSTM.backward", cells, grades)
    rnn = _topic_result("s", CHAPTER.id, "layers.RNN.backward", cells, grades)
    assert (lstm.state, rnn.state) == ("ungraded", "fail") and "ungraded" in STATES


def test_the_scripted_step_takes_its_arguments_by_keyword_too():
    script = ch07.StepScript([[np.zeros((1, 2))]], [[np.ones((1, 1))] * 5], 1)
    _, token = script.forward(np.zeros((1, 1)), np.zeros((1, 2)))
    assert len(script.backward(dh_t=np.ones((1, 2)), cache=token)) == 5
    assert script.backward_calls[0][0] == 0
    with pytest.raises(TypeError):
        script.backward(np.ones((1, 2)))
