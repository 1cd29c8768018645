"""Chapter 4's trusted checks (nncourse/probes/ch04_backprop.py) are sound: the reference
passes, the release and every catalogued mistake fail, earlier chapters' bugs do not
cascade, and the digits judge accepts a trained model and rejects broken exports."""
import tempfile
from pathlib import Path

import numpy as np
import pytest

from nncourse.chapters import get_chapter
from nncourse.grader import heldout
from nncourse.grader.checks import load_nnlib, prepare
from nncourse.grader.selftest import _verdicts, selftest
from nncourse.mutants import catalogue, write_mutated_package
from nncourse.probes import ch04_backprop, plaindata
from nncourse.probes.kit import Check

CHAPTER = get_chapter("ch04_backprop")


@pytest.fixture(scope="module")
def reference(repo):
    return load_nnlib(repo / "nnlib", "nnlib_test_probes_ch04")


@pytest.fixture(scope="module")
def prepared(reference):
    return prepare(CHAPTER.id, reference, "test_probes_ch04")


def test_selftest_reports_nothing(repo):
    assert selftest(CHAPTER, repo, repo / "exercises" / CHAPTER.id / "nnlib") == []


def test_every_mutant_fails_a_hidden_check(repo, prepared):
    survivors = []
    with tempfile.TemporaryDirectory() as tmp:
        for number, mutant in enumerate(catalogue(CHAPTER)):
            write_mutated_package(repo / "nnlib", mutant, Path(tmp) / f"m{number}")
            verdicts = _verdicts(prepared, load_nnlib(Path(tmp) / f"m{number}", f"nnlib_ch04_hm{number}"))
            if all(v.passed for g, v in verdicts.items() if g.endswith("_hidden")):
                survivors.append(mutant.name)
    assert survivors == []


def test_selftest_catches_weak_cases(repo, monkeypatch):
    """Without momentum in the SGD cases, the momentum mistakes survive: selftest says so."""
    def without_momentum(cases):
        return lambda rng, reference: [dict(c, momentum=0.0) for c in cases(rng, reference)]
    weak = [Check(c.grade_id, c.probe, without_momentum(c.cases)) if "sgd" in c.grade_id else c
            for c in ch04_backprop.CHECKS]
    monkeypatch.setattr(ch04_backprop, "CHECKS", weak)
    problems = selftest(CHAPTER, repo, repo / "exercises" / CHAPTER.id / "nnlib")
    assert any("velocity-not-stored" in p for p in problems)
    assert any("momentum-sign" in p for p in problems)


def test_earlier_chapters_bugs_do_not_cascade(repo, prepared):
    """Broken sigmoid, tanh, ReLU and mse (chapters 2-3) cost no chapter 4 check."""
    package = load_nnlib(repo / "nnlib", "nnlib_ch04_broken_earlier")
    for layer in (package.layers.Sigmoid, package.layers.Tanh, package.layers.ReLU):
        layer._f = staticmethod(lambda z: 0.5 * z)
        layer._derivative = staticmethod(lambda y: 3.0 + 0 * y)
    package.losses.mse = lambda pred, target: (7.0, np.zeros_like(pred))
    assert package.layers.Sigmoid().forward(np.ones(1)) == 0.5  # the bugs are in place
    failed = [g for g, v in _verdicts(prepared, package).items() if not v.passed]
    assert failed == []


def test_worked_example_matches_the_hand_computation(prepared):
    expected = prepared.expected["test_worked_example"][0]
    assert np.allclose(expected["z_hidden"][0], [[0.351, 0.361]])
    assert np.allclose(expected["dW_output"], [[-0.053381, -0.053602]], rtol=0, atol=6e-7)
    assert np.allclose(expected["dW_hidden"], [[-0.001014, -0.003617], [-0.003038, -0.010831]],
                       rtol=0, atol=6e-7)


# Softplus and the find-the-bug task ------------------------------------------------------


def test_softplus_hidden_cases_reach_the_overflow(prepared):
    """The hidden cases hold entries at +-800, where exp overflows, and the expected values
    there are finite."""
    cases = prepared.cases["test_softplus_hidden"]
    xs = [np.asarray(r["x"]) for case in cases for r in case["rounds"]]
    assert any((x == 800.0).any() for x in xs) and any((x == -800.0).any() for x in xs)
    expected = prepared.expected["test_softplus_hidden"]
    assert all(np.isfinite(r["y"]).all() and np.isfinite(r["dx"]).all()
               for case in expected for r in case["rounds"])


EXACT_SOFTPLUS_DERIVATIVES = {
    "sigmoid from logaddexp": lambda x: np.exp(-np.logaddexp(0.0, -x)),
    "split by sign": lambda x: np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))),
                                        np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x)))),
    "tanh": lambda x: 0.5 * (1.0 + np.tanh(0.5 * x)),
}


@pytest.mark.parametrize("form", sorted(EXACT_SOFTPLUS_DERIVATIVES))
def test_every_exact_softplus_derivative_passes_the_hidden_check(repo, form):
    """The hidden check asks for the derivative to rounding (rtol 1e-11); every exact,
    overflow-free form of sigmoid(x) passes it on 10 batches, not only the reference's."""
    derivative = EXACT_SOFTPLUS_DERIVATIVES[form]
    package = load_nnlib(repo / "nnlib", f"nnlib_ch04_softplus_{form.replace(' ', '_')}")
    package.layers.Softplus.backward = lambda self, dout: dout * derivative(self._x)
    reference = load_nnlib(repo / "nnlib", "nnlib_ch04_softplus_reference")
    for seed in range(10):
        prepared = prepare(CHAPTER.id, reference, f"softplus {seed}", only="test_softplus_hidden")
        assert _verdicts(prepared, package)["test_softplus_hidden"].passed, seed


def fixed_backward_verdicts(reference, prepared, namespace):
    """The trusted verdict of every case of the two fixed_backward checks, after the probe's
    plain-data round trip."""
    verdicts = []
    for grade_id in ("test_fixed_backward", "test_fixed_backward_hidden"):
        for case in prepared.cases[grade_id]:
            blob = plaindata.to_bytes(ch04_backprop.probe_fixed_backward(reference, case, namespace))
            verdicts.append(prepared.checks[grade_id].verdict(plaindata.from_bytes(blob), None, case, reference))
    return verdicts


@pytest.mark.parametrize("name, function", [
    ("sech^2", lambda x, dout: dout / np.cosh(x) ** 2),
    ("1 - tanh^2", lambda x, dout: dout * (1.0 - np.tanh(x) ** 2)),
    ("(1 - t)(1 + t)", lambda x, dout: dout * (1.0 - np.tanh(x)) * (1.0 + np.tanh(x))),
])
def test_fixed_backward_passes_when_fixed(reference, prepared, name, function):
    """Every exact form of the derivative passes, the hidden check's tolerance (the
    derivative to rounding) included."""
    fixed = {"fixed_backward": function}
    assert fixed_backward_verdicts(reference, prepared, fixed) == [None] * len(
        prepared.cases["test_fixed_backward"] + prepared.cases["test_fixed_backward_hidden"])


@pytest.mark.parametrize("name, function", [
    ("the given bug", lambda x, dout: dout * (1.0 - x ** 2)),
    ("derivative at the output", lambda x, dout: dout * (1.0 - np.tanh(np.tanh(x)) ** 2)),
    ("dout ignored", lambda x, dout: 1.0 - np.tanh(x) ** 2),
    ("x modified", lambda x, dout: (dout * (1.0 - np.tanh(x) ** 2), x.fill(0.0))[0]),
])
def test_fixed_backward_still_buggy_fails(reference, prepared, name, function):
    verdicts = fixed_backward_verdicts(reference, prepared, {"fixed_backward": function})
    assert any(verdicts[len(prepared.cases["test_fixed_backward"]):]), name  # a hidden case fails
    assert any(verdicts[:len(prepared.cases["test_fixed_backward"])]), name  # and a visible one


def test_fixed_backward_missing_is_reported(reference, prepared):
    verdicts = fixed_backward_verdicts(reference, prepared, {})
    assert all(v and "no function fixed_backward" in v for v in verdicts)
    verdicts = fixed_backward_verdicts(reference, prepared, {"fixed_backward": "not a function"})
    assert all(v and "no function fixed_backward" in v for v in verdicts)


# The digits judge ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(reference):
    """The notebook's solution, trained with the reference (about a second)."""
    split, rng, L = reference.data.digits_split(rng=0), np.random.default_rng(0), reference.layers
    model = reference.network.Sequential(L.Linear(64, 64, rng=rng), L.Tanh(), L.Linear(64, 10, rng=rng))
    optimizer = reference.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    reference.train.fit(model, reference.losses.softmax_cross_entropy, optimizer, *split["train"],
                        epochs=20, batch_size=32, rng=rng, progress=False)
    return model


def digits_verdict(reference, namespace):
    """The judge's verdict on ``namespace`` exported by the probe, after the round trip."""
    blob = plaindata.to_bytes(ch04_backprop.probe_mlp_digits(reference, {}, namespace))
    return ch04_backprop.judge_mlp_digits(plaindata.from_bytes(blob), {}, reference)


def test_judge_accepts_the_trained_model(reference, trained):
    assert digits_verdict(reference, {"digits_model": trained}) is None


def test_judge_scores_the_heldout_digits(reference, trained, monkeypatch):
    """The verdict follows nncourse.grader.heldout.digits(): with those labels moved by one
    class, the trained model fails."""
    X, y = heldout.digits()
    monkeypatch.setattr(heldout, "digits", lambda: (X, (y + 1) % 10))
    verdict = digits_verdict(reference, {"digits_model": trained})
    assert verdict and "less than 93% of the held-out digits" in verdict, verdict


def test_judge_rejects_random_weights(reference):
    L = reference.layers
    model = reference.network.Sequential(L.Linear(64, 64, rng=1), L.Tanh(), L.Linear(64, 10, rng=2))
    assert "less than 93%" in digits_verdict(reference, {"digits_model": model})


def test_judge_rejects_one_linear_layer(reference, trained):
    model = reference.network.Sequential(reference.layers.Linear(64, 10, rng=0))
    assert "at least two Linear" in digits_verdict(reference, {"digits_model": model})


def test_judge_rejects_non_finite_weights(reference, trained):
    model = reference.network.Sequential(*trained.layers)
    saved = trained.layers[0].params["W"]
    try:
        trained.layers[0].params["W"] = np.where(np.eye(*saved.shape) > 0, np.nan, saved)
        assert "inf or nan" in digits_verdict(reference, {"digits_model": model})
    finally:
        trained.layers[0].params["W"] = saved


def test_judge_rejects_unknown_layers_and_cheats(reference, trained):
    """A custom class, even one named Linear whose forward knows the answers, is judged by
    the exported weights rebuilt with the reference's layers."""
    X_test, y_test = reference.data.digits_split(rng=0)["test"]

    class Oracle:
        def forward(self, x):
            return np.eye(10)[y_test]

    class Linear(reference.layers.Linear):
        def forward(self, x):
            return np.eye(10)[y_test]

    unknown = reference.network.Sequential(trained.layers[0], Oracle(), trained.layers[2])
    assert "is not one of" in digits_verdict(reference, {"digits_model": unknown})
    cheat = reference.network.Sequential(Linear(64, 32, rng=0), reference.layers.ReLU(),
                                         Linear(32, 10, rng=1))
    assert reference.train.accuracy(cheat, X_test, y_test) == 1.0
    assert "less than 93%" in digits_verdict(reference, {"digits_model": cheat})


def test_judge_rejects_shapes_and_missing_models(reference, trained):
    L = reference.layers
    wrong_in = reference.network.Sequential(L.Linear(63, 64), L.Tanh(), trained.layers[2])
    wrong_out = reference.network.Sequential(trained.layers[0], L.Tanh(), L.Linear(64, 9))
    chained_badly = reference.network.Sequential(trained.layers[0], L.Tanh(), L.Linear(32, 10))
    for model in (wrong_in, wrong_out, chained_badly):
        problem = digits_verdict(reference, {"digits_model": model})
        assert "Linear layer" in problem or "outputs, one per digit" in problem
    assert "no variable digits_model" in digits_verdict(reference, {})
    assert "Sequential" in digits_verdict(reference, {"digits_model": [trained.layers[0]]})
