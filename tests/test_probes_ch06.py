"""Chapter 6's checks: the reference passes and every catalogued mistake fails a hidden
check with its own hint; the hidden cases really hold strides, padding, non-square shapes,
tied maxima and overlapping windows; a planted wrong function gets a verdict that says
which case and which output; the trained-CNN judge accepts the notebook's recipe and
refuses a model below the target, a forbidden layer, a model that is not a CNN and models
too large to evaluate."""
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
from nncourse.probes import ch06_cnn as ch06
from nncourse.probes import plaindata
from nncourse.probes.in_kernel import probe_outputs

CHAPTER = get_chapter("ch06_cnn")
SEEDS = range(20)


@pytest.fixture(scope="module")
def reference(repo):
    return load_nnlib(repo / "nnlib", "nnlib_test_probes_ch06")


@pytest.fixture(scope="module")
def prepared(reference):
    return prepare(CHAPTER.id, reference, "test_probes_ch06")


@pytest.fixture(scope="module")
def mutants(repo):
    """{mutant name: its package}, loaded once."""
    yield from mutant_packages(repo, CHAPTER)


def test_selftest_reports_nothing(repo):
    assert selftest(CHAPTER, repo, repo / "exercises" / CHAPTER.id / "nnlib") == []


def test_the_catalogue_covers_the_brief():
    names = {(m.function, m.name) for m in catalogue(CHAPTER)}
    assert {("conv.conv2d_forward_naive", "kernel-flipped"),
            ("conv.conv2d_forward_naive", "output-size-off-by-one"),
            ("conv.conv2d_forward_naive", "channels-and-filters-swapped"),
            ("conv.conv2d_backward_naive", "stride-ignored"),
            ("conv.conv2d_backward_naive", "padding-not-cropped"),
            ("conv.conv2d_backward_naive", "dw-only-last-image"),
            ("conv.conv2d_backward_naive", "db-averaged"),
            ("conv.maxpool2d_backward_naive", "gradient-spread-over-window"),
            ("conv.maxpool2d_backward_naive", "every-tied-maximum"),
            ("conv.maxpool2d_forward_naive", "output-size-off-by-one"),
            ("layers.Conv2d.forward", "weights-reshaped-without-transpose"),
            ("layers.Conv2d.forward", "channels-and-filters-swapped"),
            ("layers.Conv2d.backward", "col2im-overwrites"),
            ("layers.MaxPool2d.backward", "gradient-spread-over-window"),
            ("layers.MaxPool2d.backward", "overlaps-overwrite")} <= names
    assert all(len(m.hint) > 60 for m in catalogue(CHAPTER))  # a hint that teaches, not a label


def test_every_mutant_fails_a_hidden_check(prepared, mutants):
    survivors = [name for name, package in mutants.items()
                 if all(v.passed for g, v in _verdicts(prepared, package).items() if g.endswith("_hidden"))]
    assert survivors == []


def test_every_mutant_gets_a_hint_of_its_function(repo, prepared, mutants, tmp_path):
    """The feedback names the mistake: a submission whose outputs are a mutant's gets the
    hint of that mutant, or of one of the same function that behaves the same there."""
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


# The hidden cases hold what the brief promises ----------------------------------------------


def test_hidden_convolutions_cover_strides_padding_and_odd_shapes(reference):
    for seed in SEEDS:
        cases = ch06.hidden_conv_forward_cases(np.random.default_rng(seed), reference)
        x_shapes = [np.shape(c["x"]) for c in cases]
        w_shapes = [np.shape(c["w"]) for c in cases]
        assert any(c["stride"] > 1 for c in cases) and any(c["padding"] > 0 for c in cases)
        assert any(c["stride"] > 1 and c["padding"] > 0 for c in cases)
        assert sum(w[2] != w[3] for w in w_shapes) >= len(cases) // 2  # kernels not square
        assert sum(x[2] != x[3] for x in x_shapes) >= len(cases) // 2  # images not square
        assert any(w[1] > 1 for w in w_shapes) and any(w[0] > 1 for w in w_shapes)
        assert sum(w[0] != w[1] for w in w_shapes) >= len(cases) // 2  # C != F
        assert all(x[0] not in (1, 2) for x in x_shapes)  # not the visible batch sizes
        for case in cases:  # every geometry fits (the reference raises on one that does not)
            reference.conv.conv2d_forward_naive(case["x"], case["w"], case["b"], case["stride"],
                                                case["padding"])


def _window_facts(case):
    """(windows whose maximum is tied, pixels that are the first maximum of 2+ windows,
    windows overlap) for one pooling case."""
    x, (kh, kw) = np.asarray(case["x"]), case["kernel"]
    stride = kh if case["stride"] is None else case["stride"]
    N, C, H, W = x.shape
    wins = np.zeros(x.shape, dtype=int)
    tied = 0
    for n, c, i, j in np.ndindex(N, C, (H - kh) // stride + 1, (W - kw) // stride + 1):
        window = x[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw]
        tied += np.sum(window == window.max()) > 1
        p, q = np.unravel_index(np.argmax(window), window.shape)
        wins[n, c, i * stride + p, j * stride + q] += 1
    return tied, int(np.sum(wins > 1)), stride < max(kh, kw)


def test_hidden_poolings_really_hold_ties_and_overlapping_windows(reference):
    """Every batch has windows with tied maxima, pixels that win several overlapping windows,
    non-square kernels and stride None, so the tie rule and the summing are graded."""
    for seed in SEEDS:
        cases = ch06.hidden_pool_cases(np.random.default_rng(seed), reference)
        facts = [_window_facts(case) for case in cases]
        assert sum(tied for tied, _, _ in facts) >= 20, seed
        assert sum(overlap for _, _, overlap in facts) >= 4, seed
        assert any(tied and shared for tied, shared, _ in facts), seed
        assert any(case["stride"] is None for case in cases)
        assert any(case["kernel"][0] != case["kernel"][1] for case in cases)
        assert all(np.shape(case["x"])[0] not in (1, 2) for case in cases)


def test_the_visible_pool_example_has_ties_that_decide_the_answer(reference):
    tied, shared, _ = _window_facts({"x": ch06.POOL_HAND_X, "kernel": [3, 3], "stride": 1})
    assert tied >= 1 and shared >= 1


# Verdicts say which case and which output ---------------------------------------------------


def test_a_planted_wrong_function_fails_with_a_clear_message(repo, prepared):
    package = load_nnlib(repo / "nnlib", "nnlib_ch06_planted")
    right = package.conv.conv2d_forward_naive

    def flipped(x, w, b, stride=1, padding=0):  # a true convolution
        return right(x, np.asarray(w)[:, :, ::-1, ::-1], b, stride, padding)

    def wrong_size(x, w, b, stride=1, padding=0):
        return right(x, w, b, stride, padding)[:, :, :-1]

    package.conv.conv2d_forward_naive = flipped
    verdict = _verdicts(prepared, package)["test_conv_forward_naive_hidden"]
    assert verdict.status == "wrong" and verdict.detail.startswith("case ") \
        and verdict.detail.endswith(" of 14: 'y' differs from the reference")
    package.conv.conv2d_forward_naive = wrong_size
    verdict = _verdicts(prepared, package)["test_conv_forward_naive_hidden"]
    assert verdict.status == "wrong" and "'y' has the wrong shape; expected (" in verdict.detail

    package.conv.conv2d_backward_naive = lambda dout, x, w, stride=1, padding=0: np.zeros_like(x)
    verdict = _verdicts(prepared, package)["test_conv_backward_naive_hidden"]
    assert verdict.status == "wrong" and "'dx' is not a number or an array" in verdict.detail


def test_the_stubs_are_reported_not_implemented(repo, prepared):
    stubs = load_nnlib(repo / "exercises" / CHAPTER.id / "nnlib", "nnlib_ch06_stubs")
    verdicts = _verdicts(prepared, stubs)
    assert {v.status for v in verdicts.values()} == {"not implemented"}


def test_earlier_chapters_bugs_do_not_cascade(repo, prepared):
    """Broken Linear, Sequential, SGD, numerical_gradient and Dropout (chapters 4 and 5)
    cost no chapter 6 check that does not train."""
    package = load_nnlib(repo / "nnlib", "nnlib_ch06_broken_earlier")
    package.layers.Linear.forward = lambda self, x: 0 * x
    package.network.Sequential.backward = lambda self, dout: None
    package.optim.SGD.step = lambda self: None
    package.gradcheck.numerical_gradient = lambda f, x, h=1e-5: np.zeros_like(x)
    package.layers.Dropout.forward = lambda self, x: 0 * x
    assert [g for g, v in _verdicts(prepared, package).items() if not v.passed] == []


# The trained CNN ----------------------------------------------------------------------------


def _solution_function(repo, reference):
    """``train_cnn`` as the solution cell defines it, run on the reference."""
    source = nbformat.read(CHAPTER.source_notebook(repo), 4)
    cell = next(c for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "cnn_solution")
    L = reference.layers
    namespace = {"np": np, "Sequential": reference.network.Sequential, "SGD": reference.optim.SGD,
                 "fit": reference.train.fit, "softmax_cross_entropy": reference.losses.softmax_cross_entropy,
                 **{name: getattr(L, name) for name in ("Conv2d", "MaxPool2d", "Flatten", "Linear", "ReLU")}}
    exec(cell.source, namespace)
    return namespace["train_cnn"]


def training_verdict(reference, namespace, seed=0, case=None):
    """The judge's verdict on what the probe exports from ``namespace``, after the round trip
    (``case`` defaults to the grader's case for ``seed``: a run seed and renamed classes)."""
    case = case or ch06.training_cases(np.random.default_rng(seed), reference)[0]
    case = plaindata.from_bytes(plaindata.to_bytes(case))
    blob = plaindata.to_bytes(ch06.probe_cnn_training(reference, case, namespace))
    return ch06.judge_cnn_training(plaindata.from_bytes(blob), case, reference)


def test_judge_accepts_the_reference_recipe(repo, reference):
    train = _solution_function(repo, reference)
    assert training_verdict(reference, {"train_cnn": train}, seed=0) is None  # 81.2% (seed 0)


def test_the_grader_renames_the_classes_with_a_secret_shuffle(reference):
    cases = [ch06.training_cases(np.random.default_rng(seed), reference)[0] for seed in range(20)]
    assert all(sorted(case["classes"]) == list(range(10)) for case in cases)
    assert sum(case["classes"] != list(range(10)) for case in cases) == 20
    assert len({tuple(case["classes"]) for case in cases}) == 20


def test_weights_trained_on_the_original_class_names_fail_the_judge(repo, reference):
    """A train_cnn that ignores the labels it is given and returns a network trained on the
    public names (here: the reference recipe on the original labels, as weights brought
    from elsewhere would be) passes only if the classes keep their names."""
    train = _solution_function(repo, reference)
    split = reference.data.fashion_mnist_split(rng=0)
    pretrained = train(*split["train"], *split["val"], np.random.default_rng(0))
    namespace = {"train_cnn": lambda *args: pretrained}
    identity = {"seed": 0, "classes": list(range(10))}
    assert training_verdict(reference, namespace, case=identity) is None
    verdict = training_verdict(reference, namespace, seed=0)
    assert verdict and "classes renamed" in verdict and "less than 75%" in verdict


def _untrained(reference, extra=()):
    L = reference.layers
    return reference.network.Sequential(L.Conv2d(1, 4, 3, padding=1, rng=0), L.ReLU(), L.MaxPool2d(2),
                                        *extra, L.Flatten(), L.Linear(4 * 14 * 14, 10, rng=0))


def test_judge_rejects_a_model_below_the_target(reference):
    verdict = training_verdict(reference, {"train_cnn": lambda *a: _untrained(reference)})
    assert verdict and "less than 75% of the 500 held-out Fashion-MNIST images" in verdict


def test_judge_rejects_forbidden_layers_and_models_that_are_not_cnns(reference):
    L, Sequential = reference.layers, reference.network.Sequential

    class Softmax(L.ReLU):
        pass

    cases = {
        "no function train_cnn": {},
        "non-empty nnlib.network.Sequential": {"train_cnn": lambda *a: [L.Flatten()]},
        "is not one of Conv2d": {"train_cnn": lambda *a: _untrained(reference, [Softmax()])},
        "at least one Conv2d": {"train_cnn": lambda *a: Sequential(L.Flatten(), L.Linear(784, 10, rng=0))},
        "put a Flatten before": {"train_cnn": lambda *a: Sequential(L.Conv2d(1, 2, 3, rng=0),
                                                                    L.Linear(26, 10))},
        "10 outputs, one per image class": {"train_cnn": lambda *a: Sequential(
            L.Conv2d(1, 2, 2, stride=2, rng=0), L.Flatten(), L.Linear(2 * 14 * 14, 9, rng=0))},
        "in = the previous layer's out (392 for the first)": {"train_cnn": lambda *a: Sequential(
            L.Conv2d(1, 2, 2, stride=2, rng=0), L.Flatten(), L.Linear(100, 10, rng=0))},
        "the channels of its input (4 here)": {"train_cnn": lambda *a: _untrained(
            reference, [L.Conv2d(3, 4, 3, rng=0)])},
        "only Linear, activation and Dropout": {"train_cnn": lambda *a: Sequential(
            L.Conv2d(1, 2, 2, stride=2, rng=0), L.Flatten(), L.Linear(392, 10, rng=0), L.Flatten())},
    }
    for words, namespace in cases.items():
        verdict = training_verdict(reference, namespace)
        assert verdict and words in verdict, (words, verdict)


def _exported(layers):
    return {"found": True, "container": "Sequential", "layers": layers}


def _conv(F, C, k, stride=1, padding=0, dtype=np.float64):
    return {"type": "Conv2d", "W": np.zeros((F, C, k, k), dtype), "b": np.zeros(F, dtype),
            "stride": stride, "padding": padding}


def _linear(n_out, n_in, dtype=np.float64):
    return {"type": "Linear", "W": np.zeros((n_out, n_in), dtype), "b": np.zeros(n_out, dtype)}


def test_judge_refuses_geometries_that_do_not_fit_and_models_too_large_to_evaluate(reference):
    """The judge runs 500 images through the rebuilt model on the trusted side, so the
    geometry and the size are checked first, on the exported plain data alone."""
    flat = [{"type": "Flatten"}]
    problem = ch06._structure_problem
    assert "do not fit" in problem(_exported([_conv(2, 1, 3, stride=2)] + flat + [_linear(10, 2 * 13 * 13)]))
    assert "stride must be an int" in problem(_exported([_conv(2, 1, 3, stride=0)] + flat + [_linear(10, 1)]))
    assert "kernel_size must be a pair" in problem(_exported(
        [_conv(2, 1, 3, padding=1), {"type": "MaxPool2d", "kernel_size": None, "stride": 2}] + flat))
    # uint8 weights are small as plain data but not to evaluate
    wide = [_conv(64, 1, 3, padding=1, dtype=np.uint8), {"type": "ReLU"}] * 1 + \
        [_conv(64, 64, 3, padding=1, dtype=np.uint8)] + flat + [_linear(10, 64 * 28 * 28, np.uint8)]
    assert "too large to judge" in problem(_exported(wide))
    deep = [_conv(8, 1, 3, padding=1)] + [{"type": "ReLU"}] * 40 + flat + [_linear(10, 8 * 28 * 28)]
    assert "outputs together per image" in problem(_exported(deep))
    # the reference's size passes
    pool = {"type": "MaxPool2d", "kernel_size": [2, 2], "stride": 2}
    reference_like = [_conv(8, 1, 3, padding=1), {"type": "ReLU"}, pool, _conv(16, 8, 3, padding=1),
                      {"type": "ReLU"}, pool] + flat + [_linear(10, 784)]
    assert problem(_exported(reference_like)) is None


@pytest.mark.parametrize("part", ["found", "container", "type", "stride"])
def test_judge_refuses_arrays_where_it_expects_a_flag_a_name_or_an_int(reference, part):
    got = _exported([_conv(2, 1, 2, stride=2), {"type": "Flatten"}, _linear(10, 392)])
    if part == "type":
        got["layers"][0]["type"] = np.zeros(2)
    elif part == "stride":
        got["layers"][0]["stride"] = np.ones(2, dtype=np.int64)
    else:
        got[part] = np.zeros(2)
    assert isinstance(ch06.judge_cnn_training(got, {}, reference), str)


def test_the_rebuilt_model_predicts_as_the_original_with_dropout_as_the_identity(reference):
    L = reference.layers
    model = reference.network.Sequential(
        L.Conv2d(1, 3, (3, 1), stride=1, padding=1, rng=1), L.Tanh(), L.AvgPool2d(2), L.Dropout(0.5, rng=0),
        L.Conv2d(3, 4, (2, 3), stride=3, rng=2), L.Sigmoid(), L.MaxPool2d((1, 2), 1), L.Flatten(),
        L.Linear(4 * 5 * 4, 10, rng=3))  # (3, 28, 30), (3, 14, 15), (4, 5, 5), (4, 5, 4)
    layers = plaindata.from_bytes(plaindata.to_bytes([ch06._export_layer(layer) for layer in model.layers]))
    assert ch06._structure_problem(_exported(layers)) is None
    X = np.random.default_rng(0).uniform(size=(7, 1, 28, 28))
    rebuilt = ch06.rebuild_model(reference, layers)
    model.eval()
    rebuilt.eval()
    assert np.allclose(rebuilt.forward(X[:3]), model.forward(X[:3]))
    y = reference.train.predict_classes(model, X)
    assert ch06.heldout_accuracy(reference, rebuilt, X, y) == 1.0
