"""Fifth red-team pass: chapter 7's ``train_adding`` judge, chapter 4's ``fixed_backward``
judge and chapter 2's ``sigmoid_cross_entropy`` check, attacked with the plain data a
hostile sandbox could send back (what a forged probe or a patched exporter would produce;
plain data is all that crosses the boundary). Trusted judges called directly; no sandbox.
Run time: a few seconds.
"""
import re
import shutil
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO
from nncourse.probes import ch02_sigmoid, ch04_backprop, ch07_rnn
from nncourse.probes.kit import same

import nnlib as reference  # the repository's reference package (as the trusted worker imports it)


# --------------------------------------------------------------------------- chapter 7: train_adding

def _model(kind="RNN", H=8, scale=0.05, head_b=1.0, dtype=np.float64, seed=0):
    gates = 4 if kind == "LSTM" else 1
    rng = np.random.default_rng(seed)
    keys = ch07_rnn.RECURRENT_KEYS[kind]
    params = {keys[0]: rng.normal(size=(gates * H, 2)) * scale,
              keys[1]: rng.normal(size=(gates * H, H)) * scale,
              keys[2]: rng.normal(size=(gates * H,)) * scale}
    params = {k: v.astype(dtype) for k, v in params.items()}
    return {"found": True, "pair": True, "recurrent": {"type": kind, "params": params},
            "head": {"type": "Linear", "params": {"W": np.zeros((1, H), dtype), "b": np.array([head_b], dtype)}}}


def _forged():
    """(name, exported model) pairs that must each be refused with a message, never raise."""
    out = []
    big = _model(H=ch07_rnn.MAX_HIDDEN + 1)
    out.append(("hidden size above the cap", big))
    m = _model(); m["recurrent"]["params"]["W_hh"] = np.zeros((8, 9)); out.append(("W_hh not square", m))
    m = _model(); m["recurrent"]["params"]["W_xh"] = np.zeros((8, 3)); out.append(("D = 3", m))
    m = _model(); m["recurrent"]["params"]["b"] = np.zeros((1, 8)); out.append(("bias 2-d", m))
    m = _model(); m["recurrent"]["params"]["W_hh"] = np.zeros(8); out.append(("W_hh 1-d", m))
    m = _model(); m["recurrent"]["params"]["W_hh"] = np.zeros((0, 0)); out.append(("H = 0", m))
    m = _model(); m["recurrent"]["params"]["W_hh"] = np.zeros((8, 8, 1)); out.append(("W_hh 3-d", m))
    m = _model(); m["recurrent"]["params"]["W_hh"][0, 0] = np.nan; out.append(("nan", m))
    m = _model(); m["head"]["params"]["b"] = np.array([np.inf]); out.append(("inf in head", m))
    m = _model(dtype=bool); out.append(("bool weights", m))
    m = _model(); m["recurrent"]["params"]["W_xh"] = [[0.0, 0.0]] * 8; out.append(("list not array", m))
    m = _model(); m["recurrent"]["params"]["W_xh"] = "zeros"; out.append(("str weights", m))
    m = _model(); del m["recurrent"]["params"]["b"]; out.append(("missing bias", m))
    m = _model(); m["recurrent"]["params"] = [1, 2]; out.append(("params a list", m))
    m = _model(); m["recurrent"]["type"] = ["RNN"]; out.append(("type a list", m))
    m = _model(); m["recurrent"]["type"] = "GRU"; out.append(("unknown kind", m))
    m = _model(kind="LSTM"); m["recurrent"]["type"] = "RNN"; out.append(("LSTM shapes called RNN", m))
    m = _model(); m["recurrent"]["type"] = "LSTM"; out.append(("RNN shapes called LSTM", m))
    m = _model(); m["head"]["params"]["W"] = np.zeros((8, 1)); out.append(("head transposed", m))
    m = _model(); m["head"]["params"]["W"] = np.zeros((2, 8)); out.append(("head of 2 outputs", m))
    m = _model(); m["head"]["params"]["b"] = np.zeros(()); out.append(("head bias scalar", m))
    m = _model(); m["head"]["type"] = "Sequential"; out.append(("head not Linear", m))
    m = _model(); m["head"] = None; out.append(("no head", m))
    m = _model(); m["head"]["params"] = "W"; out.append(("head params a str", m))
    out += [("not a dict", [1]), ("None", None), ("not found", {"found": False}),
            ("found truthy not True", {**_model(), "found": 1}), ("pair not True", {**_model(), "pair": "yes"})]
    return out


@pytest.mark.parametrize("name,got", _forged(), ids=[n for n, _ in _forged()])
def test_forged_adding_models_are_refused_with_a_message(name, got):
    verdict = ch07_rnn.judge_adding_training(got, {"seed": 5}, reference)
    assert isinstance(verdict, str) and verdict, name


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_the_mean_predictor_and_overflowing_models_fail(kind):
    """A head that predicts the mean (1) scores ~1/6; finite but huge weights (1e300, int64
    near 2**62) overflow to inf and fail: the trusted forward never lets inf/nan pass."""
    assert "mean squared error above" in ch07_rnn.judge_adding_training(_model(kind), {"seed": 3}, reference)
    huge = _model(kind, scale=1e300)
    huge["head"]["params"]["W"] = np.full((1, 8), 1e300)
    assert "mean squared error above" in ch07_rnn.judge_adding_training(huge, {"seed": 3}, reference)
    ints = _model(kind, scale=2.0 ** 60, dtype=np.int64)
    ints["head"]["params"]["W"] = np.full((1, 8), 2 ** 62, dtype=np.int64)
    assert "mean squared error above" in ch07_rnn.judge_adding_training(ints, {"seed": 3}, reference)


@pytest.mark.parametrize("kind", ["RNN", "LSTM"])
def test_the_largest_model_made_of_subnormals_is_judged_quickly(kind):
    """The cap's biggest model with subnormal weights (slow float arithmetic on the trusted
    side) and float16 weights: judged in seconds, and failing."""
    for scale, dtype in ((1e-310, np.float64), (0.05, np.float16)):
        got = _model(kind, H=ch07_rnn.MAX_HIDDEN, scale=scale, dtype=dtype)
        start = time.monotonic()
        verdict = ch07_rnn.judge_adding_training(got, {"seed": 4}, reference)
        assert time.monotonic() - start < 20
        assert "mean squared error above" in verdict


def test_the_judge_scores_a_model_only_with_the_references_layers():
    """The exported type is a name: rebuild() makes the REFERENCE's RNN/LSTM/Linear, so a
    student's LSTM cells (0 points) never run on the trusted side."""
    for kind in ("RNN", "LSTM"):
        layer, head = ch07_rnn.rebuild(reference, _model(kind))
        assert type(layer) is getattr(reference.layers, kind) and type(head) is reference.layers.Linear
        assert type(layer).__module__ == "nnlib.layers"


def test_the_heldout_sequences_cannot_be_rebuilt_from_the_seed_the_sandbox_sees():
    """The judge's sequences mix the case's seed with a salt the sandbox cannot read:
    they differ from adding_problem(seed) and from every generator seeded with the seed
    alone, and the salt's module lives outside the paths the sandbox binds (the venv and
    the base interpreter)."""
    from nncourse.grader import heldout

    seed = 12345
    X, y = heldout.adding_sequences(reference, seed, 50, ch07_rnn.SEQ_LEN)
    for guess in (seed, [seed], [seed, 0]):
        Xg, _ = reference.data.adding_problem(50, ch07_rnn.SEQ_LEN, rng=np.random.default_rng(guess))
        assert not np.array_equal(X, Xg)
    salt_file = Path(heldout.__file__).resolve()
    for bound in {sys.prefix, sys.base_prefix}:
        assert not salt_file.is_relative_to(Path(bound).resolve()), bound
    for site in Path(sys.prefix).glob("lib/python*/site-packages"):
        assert not list(site.glob("nncourse*")), "nncourse installed into the venv the sandbox binds"


# --------------------------------------------------------------------------- chapter 4: fixed_backward

FIXED_CHECK = next(c for c in ch04_backprop.CHECKS if c.judge is ch04_backprop.judge_fixed_backward
                   and c.grade_id.endswith("hidden"))


def _tanh_case(seed=1, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=shape) * 3.0, "dout": rng.normal(size=shape)}


def _right(case):
    x, dout = np.array(case["x"]), np.array(case["dout"])
    return {"found": True, "dx": dout * (1 - np.tanh(x) ** 2), "x": x.copy(), "dout": dout.copy()}


def _lying(case):
    right = _right(case)
    x, dx = right["x"], right["dx"]
    attempts = {
        "dx a str": {**right, "dx": "dx"},
        "dx None": {**right, "dx": None},
        "dx a list of numbers": {**right, "dx": dx.tolist()},
        "dx a dict": {**right, "dx": {"dx": dx}},
        "dx transposed": {**right, "dx": np.ascontiguousarray(dx.T)},
        "dx one row (broadcastable)": {**right, "dx": dx[:1] if len(dx) > 1 else dx[:, :0]},
        "dx flattened": {**right, "dx": dx.ravel()},
        "dx with a leading axis": {**right, "dx": dx[None]},
        "dx a scalar": {**right, "dx": float(dx.mean())},
        "dx bool": {**right, "dx": dx > 0},
        "dx rounded to ints": {**right, "dx": np.rint(dx).astype(np.int64)},
        "dx float16": {**right, "dx": dx.astype(np.float16)},
        "dx with nan": {**right, "dx": np.where(np.arange(dx.size).reshape(dx.shape) == 0, np.nan, dx)},
        "dx the buggy (1 - x**2)": {**right, "dx": right["dout"] * (1 - x ** 2)},
        "x mutated (tanh in place)": {**right, "x": np.tanh(x)},
        "dout mutated": {**right, "dout": dx},
        "x missing": {k: v for k, v in right.items() if k != "x"},
        "found truthy": {**right, "found": 1},
        "an error key not in ERRORS": {"error": "passed"},
    }
    return attempts


@pytest.mark.parametrize("name", list(_lying(_tanh_case())))
def test_fixed_backward_judge_refuses_forged_results(name):
    for case in (_tanh_case(), _tanh_case(2, (4, 5)), _tanh_case(3, (1, 5))):
        got = _lying(case)[name]
        verdict = FIXED_CHECK.verdict(got, None, case, reference)
        assert isinstance(verdict, str) and verdict, name


def test_fixed_backward_judge_accepts_the_right_dx():
    for case in ch04_backprop.hidden_fixed_backward_cases(np.random.default_rng(0), reference):
        assert FIXED_CHECK.verdict(_right(case), None, case, reference) is None


# --------------------------------------------------------------------------- chapter 2: sigmoid_cross_entropy

def _fake_nnlib(function):
    return types.SimpleNamespace(losses=types.SimpleNamespace(sigmoid_cross_entropy=function))


def _naive(logits, target):  # the unstable textbook form
    p = 1 / (1 + np.exp(-logits))
    loss = -np.mean(target * np.log(p) + (1 - target) * np.log(1 - p))
    return loss, (p - target) / logits.size


def _silenced_naive(logits, target):  # the same, warnings silenced and inf/nan patched away
    with np.errstate(all="ignore"):
        loss, grad = _naive(logits, target)
    return np.nan_to_num(loss, posinf=1e300), np.nan_to_num(grad)


def _clipped(logits, target):  # clips the logits: finite, silent, wrong for |z| > 30
    return _naive(np.clip(logits, -30, 30), target)


def _sum_not_mean(logits, target):
    loss, grad = reference.losses.sigmoid_cross_entropy(logits, target)
    return loss * logits.size, grad * logits.size


def _in_place(logits, target):
    out = reference.losses.sigmoid_cross_entropy(logits.copy(), target)
    logits[...] = 0.0
    return out


def _list_result(logits, target):
    loss, grad = reference.losses.sigmoid_cross_entropy(logits, target)
    return [float(loss)], grad.tolist()


@pytest.mark.parametrize("function", [_naive, _silenced_naive, _clipped, _sum_not_mean, _in_place, _list_result])
def test_sigmoid_cross_entropy_hidden_check_fails_wrong_functions(function):
    check = ch02_sigmoid.CHECKS[[c.grade_id for c in ch02_sigmoid.CHECKS].index("test_sigmoid_ce_hidden")]
    cases = ch02_sigmoid.hidden_sigmoid_ce_cases(np.random.default_rng(2), reference)
    failures = 0
    for case in cases:
        expected = ch02_sigmoid.probe_sigmoid_ce(reference, case, None)
        try:
            got = ch02_sigmoid.probe_sigmoid_ce(_fake_nnlib(function), case, None)
        except Exception:
            failures += 1
            continue
        if same(got, expected, rtol=check.rtol, atol=check.atol):
            failures += 1
    assert failures > 0, function.__name__


def test_sigmoid_cross_entropy_hidden_check_passes_the_reference():
    check = ch02_sigmoid.CHECKS[[c.grade_id for c in ch02_sigmoid.CHECKS].index("test_sigmoid_ce_hidden")]
    for case in ch02_sigmoid.hidden_sigmoid_ce_cases(np.random.default_rng(2), reference):
        expected = ch02_sigmoid.probe_sigmoid_ce(reference, case, None)
        assert same(ch02_sigmoid.probe_sigmoid_ce(reference, case, None), expected,
                    rtol=check.rtol, atol=check.atol) is None


# --------------------------------------------------------------------------- chapter 7: a real sandbox

SALT_HUNT = r'''
_hits, _seen = [], 0
for _root in ["/work", "/root", "/job", "/usr/lib", _sys.prefix, _sys.base_prefix] + list(_sys.path):
    if not _root or not _os.path.isdir(_root):
        continue
    for _d, _x, _files in _os.walk(_root):
        for _f in _files:
            if _f.endswith(".py") or _f.endswith(".npz"):
                _p = _os.path.join(_d, _f)
                _seen += 1
                try:
                    with open(_p, "rb") as _fh:
                        if b"ADDING" + b"_SALT" in _fh.read():
                            _hits.append(_p)
                except OSError:
                    pass
print(_MARK, "salt hits:", _hits, "python files seen:", _seen)
'''


def test_the_sandbox_cannot_read_the_adding_salt(tmp_path):
    """A chapter 7 submission whose nnlib, imported in the kernel, reads every .py and .npz
    file it can reach (/work, /root, /job, /usr/lib, the interpreters, sys.path) for the
    judge's salt: it finds none (nncourse is an editable install whose source the sandbox
    does not bind), and the stubs still score 0."""
    from hostile.attacks import lines, prelude
    from hostile.watch import run_watched
    from test_hostile_second_pass import outcome

    folder = tmp_path / "submitted" / "salt" / "ch07_rnn"
    shutil.copytree(REPO / "exercises" / "ch07_rnn", folder, ignore=shutil.ignore_patterns("__pycache__"))
    module = folder / "nnlib" / "recurrent.py"
    module.write_text(module.read_text().rstrip("\n") + "\n\n\n"
                      + "\n".join(prelude("salt") + lines(SALT_HUNT)) + "\n")
    run = run_watched([sys.executable, "-m", "nncourse.cli", "autograde", "ch07_rnn", "--submissions",
                       str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--timeout", "60",
                       "--memory", "1500", "--jobs", "1"], cwd=REPO)
    rows, results = outcome(run, tmp_path / "out")
    assert rows["salt"]["score"] == "0"
    text = "".join(p.read_text(errors="replace") for p in (tmp_path / "out" / "autograded").rglob("*.ipynb"))
    found = re.search(r"redteam-salt-q7z salt hits: \[(.*?)\] python files seen: (\d+)", text)
    assert found, "the attack did not run"
    assert found[1] == "" and int(found[2]) > 1000, found[0]
