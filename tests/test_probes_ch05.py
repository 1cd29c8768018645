"""Chapter 5's trusted checks (nncourse/probes/ch05_regularization.py) are sound: the
reference passes, the release and every catalogued mistake fail a hidden check and get a
hint, the Dropout checks accept any correct way of drawing the mask and cannot flake (the
bounds are derived here), earlier chapters' bugs do not cascade, and the training judge
separates the regularised recipe from the unregularised baseline on the held-out digits."""
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
from nncourse.grader.selftest import _verdicts, selftest
from nncourse.mutants import catalogue
from nncourse import notebook_schema
from nncourse.probes import ch05_regularization as ch05
from nncourse.probes import plaindata
from nncourse.probes.in_kernel import probe_outputs

CHAPTER = get_chapter("ch05_regularization")
FALSE_FAILURE = 1e-9  # the most a correct layer may fail one statistical fact of one case


@pytest.fixture(scope="module")
def reference(repo):
    return load_nnlib(repo / "nnlib", "nnlib_test_probes_ch05")


@pytest.fixture(scope="module")
def prepared(reference):
    return prepare(CHAPTER.id, reference, "test_probes_ch05")


@pytest.fixture(scope="module")
def mutants(repo):
    """{mutant name: its package}, loaded once."""
    yield from mutant_packages(repo, CHAPTER, key=lambda mutant: mutant.name)


def test_selftest_reports_nothing(repo):
    assert selftest(CHAPTER, repo, repo / "exercises" / CHAPTER.id / "nnlib") == []


def test_the_catalogue_covers_the_issue(repo):
    names = {m.name for m in catalogue(CHAPTER)}
    assert {"not-rescaled", "divided-by-p", "p-read-as-keep-probability", "mask-resampled",
            "active-in-eval", "gradient-doubled", "biases-included", "subgradient-one-at-zero",
            "sign-flipped", "best-params-shared", "restores-nothing", "patience-off-by-one",
            "fan-out", "std-as-variance"} <= names


def test_every_mutant_fails_a_hidden_check(prepared, mutants):
    survivors = [name for name, package in mutants.items()
                 if all(v.passed for g, v in _verdicts(prepared, package).items() if g.endswith("_hidden"))]
    assert survivors == []


def test_every_mutant_gets_a_hint_of_its_function(repo, prepared, mutants, tmp_path):
    """The feedback names the mistake: a submission whose outputs are a mutant's gets the
    hint of that mutant, or of one that behaves the same on that check."""
    mutants_dir = write_mutants(CHAPTER, repo, tmp_path / "mutants")
    index = json.loads((Path(mutants_dir) / "index.json").read_text())
    source = nbformat.read(CHAPTER.source_notebook(repo), 4)
    cells = {cell.name: cell for cell in notebook_schema.test_cells(source)}
    missing, others = [], []
    for mutant in catalogue(CHAPTER):
        failing = [g for g, v in _verdicts(prepared, mutants[mutant.name]).items()
                   if g.endswith("_hidden") and not v.passed]
        outputs = probe_outputs(prepared.checks[failing[0]].probe, mutants[mutant.name],
                                prepared.cases[failing[0]], None)
        hint = known_mistake(mutants_dir, prepared, cells[failing[0]], plaindata.to_bytes(outputs))
        same_function = {m["hint"] for m in index if m["function"] == mutant.function}
        if hint not in same_function:
            missing.append(mutant.name)
        elif hint != mutant.hint:
            others.append(mutant.name)
    assert missing == []
    # two mistakes leave the last epoch's parameters in best_params in the same way
    assert set(others) <= {"saves-every-epoch"}, others


# Dropout: any correct mask passes, and the statistics cannot flake -------------------


def _dropout_checks(prepared):
    return [g for g in prepared.checks if g.startswith("test_dropout")]


@pytest.mark.parametrize("draw", [
    lambda rng, shape, p: rng.random(shape) < 1 - p,  # keep when below 1 - p (not above p)
    lambda rng, shape, p: rng.binomial(1, 1 - p, size=shape).astype(bool),
    lambda rng, shape, p: rng.permutation(np.arange(np.prod(shape)) >= round(p * np.prod(shape)))
    .reshape(shape),
], ids=["below-1-p", "binomial", "exact-share"])
def test_other_correct_masks_pass(repo, prepared, draw):
    """Correct layers that draw other masks than the reference pass every Dropout check."""
    package = load_nnlib(repo / "nnlib", "nnlib_ch05_other_mask")

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        self._mask = None
        if self.training:
            self._mask = draw(self.rng, x.shape, self.p) / (1.0 - self.p)
        return x if self._mask is None else x * self._mask

    package.layers.Dropout.forward = forward
    verdicts = _verdicts(prepared, package)
    assert all(verdicts[g].passed for g in _dropout_checks(prepared)), verdicts


def bernstein(variance, bound, deviation):
    """Bernstein's inequality: P(|S - E S| >= deviation) for a sum S of independent terms,
    each within ``bound`` of its mean, with total ``variance``."""
    return 2 * np.exp(-deviation ** 2 / (2 * (variance + bound * deviation / 3)))


def false_failure_probabilities(case):
    """Upper bounds on the chance that a correct layer fails the share fact, the mean fact
    and the new-mask fact of one forward case."""
    x, p = np.asarray(case["x"], dtype=np.float64), float(case["p"])
    if p == 0:
        return 0.0, 0.0, 0.0  # nothing random: a correct layer is exact
    n, k = x.size, ch05.STANDARD_ERRORS
    share = bernstein(n * p * (1 - p), max(p, 1 - p), k * np.sqrt(n * p * (1 - p)))
    # y_i - x_i = x_i (m_i - (1-p)) / (1-p): variance x_i^2 p/(1-p), within |x_i| max(p, 1-p)/(1-p)
    variance = np.sum(x ** 2) * p / (1 - p)
    mean = bernstein(variance, np.max(np.abs(x)) * max(p, 1 - p) / (1 - p), k * np.sqrt(variance))
    same_mask = np.exp(n * np.log(p ** 2 + (1 - p) ** 2))
    return share, mean, same_mask


def test_dropout_facts_cannot_flake(reference):
    """For the visible cases and the hidden cases of 20 batch seeds, a correct layer fails
    any statistical fact of any case with probability below 1e-9 (Bernstein), and a whole
    batch's Dropout checks with probability below 1e-8."""
    worst, batch_worst = 0.0, 0.0
    for seed in range(20):
        cases = ch05.visible_dropout_forward_cases(None, reference) + \
            ch05.hidden_dropout_forward_cases(np.random.default_rng(seed), reference)
        bounds = [false_failure_probabilities(case) for case in cases]
        worst = max(worst, max(max(b) for b in bounds))
        batch_worst = max(batch_worst, sum(sum(b) for b in bounds))
    assert worst < FALSE_FAILURE and batch_worst < 10 * FALSE_FAILURE, (worst, batch_worst)


def test_dropout_facts_catch_the_scale_mistakes_by_far(reference):
    """Without the 1/(1-p) the mean misses by p sum(x): more than 30 standard errors in
    every hidden case, against the 7 allowed."""
    for case in ch05.hidden_dropout_forward_cases(np.random.default_rng(0), reference):
        x, p = np.asarray(case["x"]), case["p"]
        if p > 0:
            assert p * x.sum() / np.sqrt(np.sum(x ** 2) * p / (1 - p)) > 30


def test_hidden_dropout_cases_avoid_p_one_half(reference):
    """At p = 1/2, dividing by p and by 1 - p agree: no hidden case comes close."""
    for seed in range(20):
        for check in (ch05.hidden_dropout_forward_cases, ch05.hidden_dropout_backward_cases):
            for case in check(np.random.default_rng(seed), reference):
                assert abs(case["p"] - 0.5) > 0.01 or check is ch05.hidden_dropout_backward_cases


# Earlier chapters ----------------------------------------------------------------------


def test_earlier_chapters_bugs_do_not_cascade(repo, prepared):
    """Broken Linear, Sequential.backward, SGD and numerical_gradient (chapter 4) cost no
    chapter 5 check that does not train."""
    package = load_nnlib(repo / "nnlib", "nnlib_ch05_broken_earlier")
    package.layers.Linear.forward = lambda self, x: 0 * x
    package.network.Sequential.backward = lambda self, dout: None
    package.optim.SGD.step = lambda self: None
    package.gradcheck.numerical_gradient = lambda f, x, h=1e-5: np.zeros_like(x)
    failed = [g for g, v in _verdicts(prepared, package).items() if not v.passed]
    assert failed == []


# The regularised training run ---------------------------------------------------------


def test_the_notebook_makes_the_data_the_check_trains_on(repo, reference):
    source = nbformat.read(CHAPTER.source_notebook(repo), 4)
    cell = next(c for c in source.cells if c.cell_type == "code" and "y_small[wrong]" in c.source)
    namespace = {"np": np, "nnlib": reference}
    exec(cell.source.split("print(")[0], namespace)
    data = ch05.noisy_digits(reference)
    for name, key in (("X_small", "X_train"), ("y_small", "y_train"), ("X_val", "X_val"), ("y_val", "y_val")):
        assert np.array_equal(namespace[name], data[key]), name
    assert 0.25 < np.mean(data["y_train"] != reference.data.digits_split(rng=0)["train"][1][:300]) < 0.35


def _solution_function(repo, reference, grade_id, name):
    """The function ``name`` defined by the solution cell ``grade_id``, run on the reference."""
    source = nbformat.read(CHAPTER.source_notebook(repo), 4)
    cell = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    L, losses = reference.layers, reference.losses
    namespace = {"np": np, "Sequential": reference.network.Sequential, "Linear": L.Linear,
                 "ReLU": L.ReLU, "Dropout": L.Dropout, "SGD": reference.optim.SGD,
                 "EarlyStopping": reference.train.EarlyStopping, "fit": reference.train.fit,
                 "softmax_cross_entropy": losses.softmax_cross_entropy,
                 "l2_penalty": losses.l2_penalty, "l1_penalty": losses.l1_penalty}
    exec(cell.source, namespace)
    return namespace[name]


def training_verdict(reference, namespace, seed=0):
    """The judge's verdict on what the probe exports from ``namespace``, after the round trip."""
    case = dict(ch05.noisy_digits(reference), seed=seed)
    case = plaindata.from_bytes(plaindata.to_bytes(case))
    blob = plaindata.to_bytes(ch05.probe_regularized_training(reference, case, namespace))
    return ch05.judge_regularized_training(plaindata.from_bytes(blob), case, reference)


@pytest.mark.parametrize("seed", [0, 123456789])
def test_judge_accepts_the_reference_recipe(repo, reference, seed):
    train = _solution_function(repo, reference, "regularized_solution", "train_regularized")
    assert training_verdict(reference, {"train_regularized": train}, seed) is None


def baseline(reference, X, y, X_val, y_val, rng):
    """The notebook's unregularised baseline."""
    L = reference.layers
    model = reference.network.Sequential(L.Linear(64, 256, rng=rng, init="he"), L.ReLU(),
                                         L.Linear(256, 10, rng=rng))
    reference.train.fit(model, reference.losses.softmax_cross_entropy,
                        reference.optim.SGD(model.parameters(), lr=0.05, momentum=0.9), X, y, 60,
                        batch_size=32, rng=rng, progress=False)
    return model


def test_judge_rejects_the_baseline(reference):
    """The target lies between the baseline and the regularised recipe: the baseline's
    held-out accuracy is close to the stated figure and below the target."""
    from nncourse.grader.heldout import digits

    model = baseline(reference, *ch05.noisy_digits(reference).values(), np.random.default_rng(0))
    score = reference.train.accuracy(model, *digits())
    assert abs(score - ch05.BASELINE_HELDOUT_ACCURACY) < 0.04 and score < ch05.MIN_HELDOUT_ACCURACY
    verdict = training_verdict(reference, {"train_regularized": lambda *a: baseline(reference, *a)})
    assert verdict and "less than 80% of the held-out digits" in verdict


def test_judge_rejects_missing_functions_and_wrong_models(reference):
    L, Sequential = reference.layers, reference.network.Sequential
    assert "no function train_regularized" in training_verdict(reference, {})
    assert "no function train_regularized" in training_verdict(reference, {"train_regularized": 3})
    wrong = {"a list": lambda *a: [L.Linear(64, 10)],
             "nine outputs": lambda *a: Sequential(L.Linear(64, 9)),
             "a foreign layer": lambda *a: Sequential(L.Linear(64, 10), ch05.Holder({}))}
    words = {"a list": "Sequential", "nine outputs": "10 outputs", "a foreign layer": "is not one of"}
    for name, train in wrong.items():
        assert words[name] in training_verdict(reference, {"train_regularized": train}), name


def test_judge_evaluates_dropout_as_the_identity(reference):
    """A Dropout exported with its p is rebuilt and evaluated in eval mode (the identity)."""
    L = reference.layers
    model = reference.network.Sequential(L.Linear(64, 10, rng=0), L.Dropout(0.9, rng=0))
    layers = [ch05._export_layer(layer) for layer in model.layers]
    rebuilt = ch05.rebuild_model(reference, layers)
    X = np.random.default_rng(0).normal(size=(5, 64))
    predict = reference.train.predict_classes
    assert np.array_equal(predict(rebuilt, X), predict(model, X))


def test_judge_refuses_a_model_too_large_to_evaluate(reference):
    """The judge runs the held-out digits through the rebuilt model on the trusted side, so
    its size is bounded first: uint8 weights of Linear(64, 40000), 8 Tanh, Linear(40000,
    10) are 3 MB of plain data but ~1 GB of activations (tests/test_hostile_third_pass)."""
    from nncourse.probes.ch04_backprop import MAX_UNITS

    def forged(width, depth, dtype=np.uint8):
        layers = ([{"type": "Linear", "W": np.ones((width, 64), dtype), "b": np.zeros(width, dtype)}]
                  + [{"type": "Tanh"}] * depth
                  + [{"type": "Linear", "W": np.ones((10, width), dtype), "b": np.zeros(10, dtype)}])
        return {"found": True, "container": "Sequential", "layers": layers}

    case = dict(ch05.noisy_digits(reference), seed=0)
    assert "outputs together" in ch05.judge_regularized_training(forged(4000, 8), case, reference)
    assert "parameters" in ch05.judge_regularized_training(forged(40_000, 0), case, reference)
    assert ch05._structure_problem(forged(MAX_UNITS // 2 - 10, 0)) is None  # at the limits
    assert ch05._structure_problem(forged(256, 1, np.float64)) is None  # the reference's size
    assert "out >= 1" in ch05.judge_regularized_training(forged(0, 1), case, reference)  # no units


@pytest.mark.parametrize("part", ["found", "container", "type"])
def test_judge_refuses_arrays_where_it_expects_a_flag_or_a_name(reference, part):
    """Plain data may put an array anywhere; ``not array`` or ``array != "Sequential"`` has
    no single truth value (ValueError out of the trusted judge)."""
    got = {"found": True, "container": "Sequential",
           "layers": [{"type": "Linear", "W": np.zeros((10, 64)), "b": np.zeros(10)}]}
    if part == "type":
        got["layers"][0]["type"] = np.zeros(2)
    else:
        got[part] = np.zeros(2)
    assert isinstance(ch05.judge_regularized_training(got, {}, reference), str)
