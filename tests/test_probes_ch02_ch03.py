"""Chapters 2 and 3's trusted checks (nncourse/probes/ch02_sigmoid.py, ch03_softmax.py) are
sound: the reference passes, the release and every catalogued mistake fail (a hidden check
too), a function's check does not depend on the chapter's other functions, weak cases are
caught by the selftest, and the digits judge accepts trained parameters and rejects
broken ones."""
import dataclasses
import tempfile
import types
from pathlib import Path

import numpy as np
import pytest

from nncourse.chapters import get_chapter
from nncourse.grader import heldout
from nncourse.grader.checks import load_nnlib, prepare
from nncourse.grader.selftest import _verdicts, selftest
from nncourse.mutants import catalogue, write_mutated_package
from nncourse.probes import ch02_sigmoid, ch03_softmax, plaindata

MODULES = {"ch02_sigmoid": ch02_sigmoid, "ch03_softmax": ch03_softmax}


@pytest.fixture(scope="module")
def reference(repo):
    return load_nnlib(repo / "nnlib", "nnlib_test_probes_ch02_ch03")


def release(repo, chapter_id):
    return repo / "exercises" / chapter_id / "nnlib"


@pytest.mark.parametrize("chapter_id", sorted(MODULES))
def test_selftest_reports_nothing(repo, chapter_id):
    assert selftest(get_chapter(chapter_id), repo, release(repo, chapter_id)) == []


@pytest.mark.parametrize("chapter_id", sorted(MODULES))
def test_every_mutant_fails_a_hidden_check(repo, reference, chapter_id):
    chapter, survivors = get_chapter(chapter_id), []
    prepared = prepare(chapter_id, reference, "test_probes_hidden")
    with tempfile.TemporaryDirectory() as tmp:
        for number, mutant in enumerate(catalogue(chapter)):
            folder = Path(tmp) / f"m{number}"
            write_mutated_package(repo / "nnlib", mutant, folder)
            verdicts = _verdicts(prepared, load_nnlib(folder, f"nnlib_{chapter_id}_hm{number}"))
            if all(v.passed for g, v in verdicts.items() if g.endswith("_hidden")):
                survivors.append(mutant.name)
    assert survivors == []


def _weakened(module, monkeypatch, grade_ids, weaken):
    """Replace the cases of the checks ``grade_ids`` of ``module`` by ``weaken(case)``."""
    def weak(cases):
        return lambda rng, reference: [weaken(c) for c in cases(rng, reference)]
    monkeypatch.setattr(module, "CHECKS", [
        dataclasses.replace(c, cases=weak(c.cases)) if c.grade_id in grade_ids else c
        for c in module.CHECKS])


def test_selftest_catches_weak_bce_cases(repo, monkeypatch):
    """Without probabilities near 0 and 1, the missing and in-place clipping survive."""
    _weakened(ch02_sigmoid, monkeypatch, {"test_bce_values", "test_bce_hidden"},
              lambda case: dict(case, p=np.clip(case["p"], 0.05, 0.95)))
    problems = selftest(get_chapter("ch02_sigmoid"), repo, release(repo, "ch02_sigmoid"))
    assert any("no-clipping" in p for p in problems)
    assert any("clip-in-place" in p for p in problems)


def test_selftest_catches_weak_softmax_cases(repo, monkeypatch):
    """With small logits along the last axis only, the overflow and axis mistakes survive."""
    grade_ids = {"test_softmax_values", "test_softmax_properties", "test_softmax_hidden"}
    _weakened(ch03_softmax, monkeypatch, grade_ids, lambda case: {
        "z": np.clip(case["z"], -1.0, 1.0)})
    problems = selftest(get_chapter("ch03_softmax"), repo, release(repo, "ch03_softmax"))
    assert any("no-max-subtraction" in p for p in problems)
    assert any("axis-ignored" in p for p in problems)


def test_a_function_is_graded_alone(repo):
    """Broken sigmoid, mse and binary_cross_entropy cost sigmoid_prime and neuron_step
    nothing; a broken softmax costs softmax_cross_entropy nothing; broken softmax and
    softmax_cross_entropy cost temperature_cross_entropy nothing."""
    ch02 = load_nnlib(repo / "nnlib", "nnlib_ch02_broken_helpers")
    ch02.activations.sigmoid = lambda z: 0.5 * np.asarray(z, dtype=np.float64)
    ch02.losses.mse = ch02.neuron.mse = lambda pred, target: (7.0, np.zeros_like(pred))
    ch02.losses.binary_cross_entropy = ch02.neuron.binary_cross_entropy = ch02.losses.mse
    ch02.neuron.ACTIVATIONS["sigmoid"] = (ch02.activations.sigmoid, ch02.activations.sigmoid)
    ch02.neuron.LOSSES.update(mse=ch02.losses.mse, bce=ch02.losses.mse)
    ch03 = load_nnlib(repo / "nnlib", "nnlib_ch03_broken_helpers")
    ch03.activations.softmax = ch03.losses.softmax = lambda z, axis=-1: np.zeros_like(z)
    ch03.activations.log_softmax = ch03.losses.log_softmax = ch03.activations.softmax
    ch03_tce = load_nnlib(repo / "nnlib", "nnlib_ch03_broken_losses")
    ch03_tce.activations.softmax = ch03_tce.losses.softmax = ch03.activations.softmax
    ch03_tce.activations.log_softmax = ch03_tce.losses.log_softmax = ch03.activations.softmax
    ch03_tce.losses.softmax_cross_entropy = lambda logits, labels: (7.0, np.zeros_like(logits))
    for chapter_id, package, graded in (("ch02_sigmoid", ch02, ("sigmoid_prime", "neuron_step")),
                                        ("ch03_softmax", ch03, ("sce",)),
                                        ("ch03_softmax", ch03_tce, ("tce",))):
        prepared = prepare(chapter_id, load_nnlib(repo / "nnlib", f"nnlib_{chapter_id}_ref"), "alone")
        verdicts = _verdicts(prepared, package)
        assert not all(v.passed for v in verdicts.values())  # the breakage is in place
        assert [g for g, v in verdicts.items() if any(n in g for n in graded) and not v.passed] == []


def test_stand_ins_are_put_back(repo):
    """After every probe ran, the package's functions and tables are its own again (later
    cells of the same kernel use them)."""
    package = load_nnlib(repo / "nnlib", "nnlib_ch02_ch03_put_back")
    names = [(package.activations, n) for n in ("sigmoid", "softmax", "log_softmax")] + \
            [(package.losses, n) for n in ("softmax", "log_softmax", "softmax_cross_entropy")] + \
            [(package.neuron, n) for n in ("ACTIVATIONS", "LOSSES", "mse", "binary_cross_entropy")]
    before = [getattr(module, name) for module, name in names]
    contents = (dict(package.neuron.ACTIVATIONS), dict(package.neuron.LOSSES))
    for chapter_id in MODULES:
        prepared = prepare(chapter_id, package, "put back")
        assert all(v.passed for v in _verdicts(prepared, package).values())
    assert all(getattr(module, name) is value for (module, name), value in zip(names, before))
    assert (package.neuron.ACTIVATIONS, package.neuron.LOSSES) == contents


# The trained softmax regression (ch03's judge) -----------------------------------------


@pytest.fixture(scope="module")
def trained(reference):
    """W and b trained as in the notebook's Task 3 with the reference (under a second)."""
    X, y = reference.data.digits_split(rng=0)["train"]
    rng, W, b = np.random.default_rng(0), np.zeros((10, 64)), np.zeros(10)
    for _ in range(30):
        order = rng.permutation(len(X))
        for start in range(0, len(X), 32):
            batch = order[start:start + 32]
            _, dlogits = reference.losses.softmax_cross_entropy(X[batch] @ W.T + b, y[batch])
            W -= 0.5 * dlogits.T @ X[batch]
            b -= 0.5 * dlogits.sum(axis=0)
    return W, b


def trained_verdicts(reference, namespace):
    """Both training checks' verdicts on ``namespace``, exported by the probe (round trip)."""
    verdicts = []
    for check in ch03_softmax.CHECKS:
        if check.judge is not None:
            blob = plaindata.to_bytes(check.probe(reference, {}, namespace))
            verdicts.append(check.verdict(plaindata.from_bytes(blob), None, {}, reference))
    assert len(verdicts) == 2
    return verdicts


def test_judge_accepts_trained_parameters(reference, trained):
    W, b = trained
    assert trained_verdicts(reference, {"W": W, "b": b, "other": object()}) == [None, None]
    assert trained_verdicts(reference, {"W": W.tolist(), "b": b.astype(np.float32)}) == [None, None]


def test_judge_scores_the_heldout_digits(reference, trained, monkeypatch):
    """The verdict follows nncourse.grader.heldout.digits(): with those labels moved by one
    class, the trained parameters fail."""
    X, y = heldout.digits()
    monkeypatch.setattr(heldout, "digits", lambda: (X, (y + 1) % 10))
    W, b = trained
    assert all(p and "less than 90% of the held-out digits" in p
               for p in trained_verdicts(reference, {"W": W, "b": b}))


def test_judge_rejects_untrained_and_unfinished_parameters(reference, trained):
    W, b = trained
    cases = {"less than 90%": [{"W": np.zeros((10, 64)), "b": np.zeros(10)},
                               {"W": W[::-1].copy(), "b": b[::-1].copy()}],
             "inf or nan": [{"W": np.where(np.eye(10, 64) > 0, np.nan, W), "b": b},
                            {"W": W, "b": np.full(10, np.inf)}],
             "not finite": [{"W": np.full((10, 64), 1e308), "b": np.full(10, 1e308)}],
             "must have shape": [{"W": W.T, "b": b}, {"W": W, "b": b[:, None]}, {"W": W[:, :63], "b": b}],
             "no variable W": [{"b": b}],
             "no variable b": [{"W": W}]}
    for message, namespaces in cases.items():
        for namespace in namespaces:
            problems = trained_verdicts(reference, namespace)
            assert all(p and message in p for p in problems), (message, sorted(namespace), problems)


def test_judge_rejects_exports_that_are_not_numbers(reference):
    problems = [ch03_softmax.judge_trained(got, {}, reference) for got in (
        None, [], {"W": "weights", "b": np.zeros(10)}, {"W": np.zeros((10, 64)), "b": {"x": 1}})]
    assert all(p and ("not exported" in p or "array of numbers" in p) for p in problems), problems


# sigmoid_cross_entropy (ch02, Task 6) -----------------------------------------------------

SCE_MUTANTS = {"log-of-sigmoid", "log-of-stable-sigmoid", "gradient-not-averaged", "loss-not-averaged",
               "mean-over-all-entries", "gradient-sign-flipped", "max-without-log1p",
               "log-instead-of-log1p-of-exp-z", "abs-missing", "unstable-gradient",
               "gradient-branches-swapped", "gradient-of-bce-in-p"}


def test_every_sigmoid_ce_mistake_fails_its_own_hidden_check(repo, reference):
    """Each catalogued sigmoid_cross_entropy mistake fails test_sigmoid_ce_hidden itself (not
    only some other check), and the catalogue holds the mistakes the exercise is about."""
    names, survivors = _own_hidden_check_survivors(repo, reference, "ch02_sigmoid",
                                                   "losses.sigmoid_cross_entropy", "test_sigmoid_ce_hidden")
    assert names == SCE_MUTANTS
    assert survivors == []


def _own_hidden_check_survivors(repo, reference, chapter_id, function, grade_id):
    """The names of the catalogued mistakes in ``function``, and those that pass the hidden
    check ``grade_id``."""
    mutants = [m for m in catalogue(get_chapter(chapter_id)) if m.function == function]
    prepared = prepare(chapter_id, reference, "own hidden check", only=grade_id)
    survivors = []
    with tempfile.TemporaryDirectory() as tmp:
        for number, mutant in enumerate(mutants):
            folder = Path(tmp) / f"m{number}"
            write_mutated_package(repo / "nnlib", mutant, folder)
            verdicts = _verdicts(prepared, load_nnlib(folder, f"nnlib_{grade_id}_{number}"))
            if verdicts[grade_id].passed:
                survivors.append(mutant.name)
    return {m.name for m in mutants}, survivors


def test_selftest_catches_weak_sigmoid_ce_cases(repo, monkeypatch):
    """With logits clipped to [-5, 5], the overflowing and log-of-probability mistakes
    survive, and the selftest says so."""
    _weakened(ch02_sigmoid, monkeypatch, {"test_sigmoid_ce_values", "test_sigmoid_ce_hidden"},
              lambda case: dict(case, logits=np.clip(case["logits"], -5.0, 5.0)))
    problems = selftest(get_chapter("ch02_sigmoid"), repo, release(repo, "ch02_sigmoid"))
    for name in ("log-of-sigmoid", "log-of-stable-sigmoid", "unstable-gradient",
                 "log-instead-of-log1p-of-exp-z"):
        assert any(name in p for p in problems), (name, problems)


def test_sigmoid_ce_release_does_not_print_the_derivation(repo):
    """The ch02 release stubs sigmoid_cross_entropy, and neither its docstring nor the
    notebook's Task 6 text gives away the stable form or its gradient (the student derives
    them)."""
    leaks = ("np.log1p(np.exp", "np.maximum(logits", "\\max(z", "\\max(0", "\\lvert z",
             "e^{-|z|}", "\\sigma(z) - t", "sigma(z) - t", "a - t", "p - t")
    assert _released_leaks(repo, "ch02_sigmoid", "sigmoid_cross_entropy", "## Task 6", leaks) == []


def _released_leaks(repo, chapter_id, function_name, task_heading, leaks):
    """Which ``leaks`` the release's stub of ``losses.<function_name>`` (which must raise
    NotImplementedError) or its notebook's task text contain."""
    import json

    source = (release(repo, chapter_id) / "losses.py").read_text()
    start = source.index(f"def {function_name}")
    function = source[start:source.index("\ndef ", start + 1)]
    assert "NotImplementedError" in function
    notebook = json.loads((repo / "exercises" / chapter_id / f"{chapter_id}.ipynb").read_text())
    task = next("".join(c["source"]) for c in notebook["cells"]
                if "".join(c["source"]).startswith(task_heading))
    return [leak for leak in leaks if leak in function + task]


# temperature_cross_entropy (ch03, Task 4) ------------------------------------------------

TCE_MUTANTS = {"dlogits-not-divided-by-tau", "dlogits-times-tau", "dtau-sign-flipped",
               "dtau-over-tau-not-tau-squared", "dtau-with-raw-logits", "dtau-first-example-only",
               "dtau-mean-over-entries", "dtau-without-onehot", "dtau-per-class",
               "temperature-multiplies", "loss-of-unscaled-logits", "input-mutated"}


def test_every_temperature_ce_mistake_fails_its_own_hidden_check(repo, reference):
    """Each catalogued temperature_cross_entropy mistake fails test_tce_hidden itself, and
    the catalogue holds the mistakes the derivation invites."""
    names, survivors = _own_hidden_check_survivors(repo, reference, "ch03_softmax",
                                                   "losses.temperature_cross_entropy", "test_tce_hidden")
    assert names == TCE_MUTANTS
    assert survivors == []


def _accurate_tce(logits, labels, tau):
    """An honest temperature_cross_entropy whose dtau sums p_k (u_k - u_y), never rounding
    p_y - 1: more accurate than the reference's for a confident batch."""
    u, rows = np.asarray(logits, dtype=np.float64) / tau, np.arange(len(logits))
    e = np.exp(u - u.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    du = p.copy()
    du[rows, labels] -= 1.0
    du /= len(u)
    loss = -float(np.mean(u[rows, labels] - u.max(axis=1) - np.log(e.sum(axis=1))))
    return loss, du / tau, -float(np.sum(p * (u - u[rows, labels][:, None]))) / (len(u) * tau)


def _tce_student(function):
    return types.SimpleNamespace(
        activations=types.SimpleNamespace(softmax=None, log_softmax=None),
        losses=types.SimpleNamespace(temperature_cross_entropy=function, softmax=None,
                                     log_softmax=None, softmax_cross_entropy=None))


def test_the_hidden_tce_cases_leave_out_batches_where_rounding_decides(reference):
    """Logits 1e4 and 1e4 - 3 at tau = 0.1: the reference's dtau rounds p_y - 1 and comes
    out negative (-6.7e-11), the exact value is +2.8e-11, and the accurate honest answer
    fails the check's tolerance. The hidden cases never hold such a batch; on 40 batches of
    them the accurate form passes every case."""
    logits, labels = np.array([[1e4, 1e4 - 3.0, 0.0]]), np.array([0])
    case = ch03_softmax._tce_case(reference, logits, labels, 0.1)
    got, expected = (ch03_softmax.probe_tce(p, case, None) for p in (_tce_student(_accurate_tce), reference))
    assert got["dtau"] > 0 > expected["dtau"]
    check = next(c for c in ch03_softmax.CHECKS if c.grade_id == "test_tce_hidden")
    assert check.verdict(got, expected, case, reference) == "'dtau' differs from the reference"
    assert not ch03_softmax._dtau_is_well_conditioned(reference, logits, labels, 0.1)
    student = _tce_student(_accurate_tce)
    for seed in range(40):
        for case in ch03_softmax.hidden_tce_cases(np.random.default_rng(seed), reference):
            got, expected = (ch03_softmax.probe_tce(p, case, None) for p in (student, reference))
            assert check.verdict(got, expected, case, reference) is None, (seed, case["tau"])


def test_temperature_ce_release_does_not_print_the_derivation(repo):
    """The ch03 release stubs temperature_cross_entropy, and neither its docstring nor the
    notebook's Task 4 text gives either gradient (the student derives them)."""
    leaks = ("\\tau^2", "tau**2", "tau ** 2", "dscaled", "-z / ", "-u / ", "(P - T) / (N",
             "p - t) / (N")
    assert _released_leaks(repo, "ch03_softmax", "temperature_cross_entropy", "## Task 4", leaks) == []


def test_ch03_never_reads_the_test_split(repo):
    """Chapter 3's notebook tunes and checks on the validation split; its graded accuracy is
    the held-out digits' (both training checks have the trusted judge)."""
    import json

    notebook = json.loads((repo / "solutions" / "ch03_softmax" / "ch03_softmax.ipynb").read_text())
    code = "".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    assert '["test"]' not in code and "X_test" not in code
    assert '["val"]' in code
    judged = {c.grade_id for c in ch03_softmax.CHECKS if c.judge is ch03_softmax.judge_trained}
    assert judged == {"test_training_accuracy", "test_training_hidden"}
