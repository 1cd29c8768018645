"""Chapter 5's graded tests as checks: ``Dropout.forward``/``backward``, the L2 and L1
penalties, ``Sequential.weights``, ``init.he``, ``EarlyStopping.update``/``restore`` and the
regularised training run judged on held-out digits.

Each check mirrors one graded test cell of ``solutions/ch05_regularization``; see
:mod:`nncourse.probes.kit` for what each part does and where it runs.

Dropout is random, and there is more than one right way to draw its mask, so its checks
are measured (:class:`MeasuredCheck`): the probe returns the layer's raw outputs, and
trusted code turns them into facts that any correct layer shares (the kept units are
scaled by 1/(1-p), the share of dropped units and the mean agree with p within
:data:`STANDARD_ERRORS` standard errors, backward zeroes exactly the units forward
dropped, ...); the verdict compares the student's facts with the reference's, and a
catalogued mistake is recognised by its facts. The masks come from generators seeded by
the batch's secret seed, so a batch is reproducible; ``tests/test_probes_ch05.py`` proves
(Bernstein's inequality) that a correct layer fails a statistical fact of a case with
probability below 1e-9. ``init.he`` is measured too: its draws are compared with the
reference's only when the seed decides them, so that ignoring ``rng`` is recognised.

Isolation: ``Sequential.weights`` runs over parameter holders, ``EarlyStopping`` over a
model stand-in whose parameters the probe sets epoch by epoch.
This module is shipped into the sandbox, so it holds no correct implementation of a
graded function.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .ch04_backprop import DIGITS_CLASSES, sequential_problem, size_problem, weights_problem
from .kit import ERROR_KEY, Check, same

STANDARD_ERRORS = 7.0  # the statistical tolerance of the Dropout facts
LAYER_TYPES = ("Linear", "ReLU", "Tanh", "Sigmoid", "Dropout")  # the trained model's vocabulary
MAX_LAYERS = 64
# The training run: 300 training digits, 30% of their labels replaced by another class.
NOISY_EXAMPLES, NOISY_SHARE, NOISE_SEED = 300, 0.3, 5
# The unregularised baseline of the notebook (Linear(64, 256, he), ReLU, Linear(256, 10);
# SGD lr 0.05, momentum 0.9; 60 epochs) classifies 73% of the held-out digits (mean over
# 40 seeds; 69%-77%); the reference's regularised run 88% (84%-91%).
BASELINE_HELDOUT_ACCURACY = 0.73
MIN_HELDOUT_ACCURACY = 0.80
# The graded run's budget (s): the reference trains in 0.1-0.2 s, 5 s on a machine loaded 10x.
TRAINING_BUDGET = 20.0


@dataclass(frozen=True)
class MeasuredCheck(Check):
    """A check of a random function: ``measure(output, case)`` (trusted) turns the raw
    output of a case into facts that do not depend on how the randomness was drawn, and
    the verdict compares the student's facts with the reference's (within rtol/atol)."""

    measure: Callable = None

    def verdict(self, got, expected, case, reference):
        if isinstance(got, dict) and ERROR_KEY in got:
            return super().verdict(got, expected, case, reference)
        return same(self.measure(got, case), self.measure(expected, case),
                    self.rtol, self.atol)


def _floats(value):
    """A float64 copy of ``value``, or None (so None is graded as 'not an array')."""
    return None if value is None else np.array(value, dtype=np.float64)


def _array(output, key, shape):
    """``output[key]`` as a finite float64 array of ``shape``, or None (trusted side:
    ``output`` is whatever plain data came back)."""
    value = output.get(key) if isinstance(output, dict) else None
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf" or value.shape != tuple(shape):
        return None
    value = value.astype(np.float64)
    return value if np.all(np.isfinite(value)) else None


def _close(a, b, rtol=1e-9):
    return a is not None and b is not None and bool(np.all(np.abs(a - b) <= rtol * np.abs(b) + 1e-300))


# Dropout: the statistics -----------------------------------------------------------


def share_dropped_ok(y, p):
    """Is the share of zeros in ``y`` within :data:`STANDARD_ERRORS` standard errors of p?

    The count of dropped units is Binomial(n, p), standard deviation sqrt(n p (1-p))."""
    n = y.size
    return bool(abs(np.sum(y == 0) - n * p) <= STANDARD_ERRORS * np.sqrt(n * p * (1 - p)))


def mean_preserved_ok(y, x, p):
    """Is sum(y) within :data:`STANDARD_ERRORS` standard errors of sum(x)?

    With y_i = m_i x_i / (1-p) and m_i ~ Bernoulli(1-p), E[sum y] = sum x and
    Var[sum y] = sum x_i^2 p / (1-p)."""
    sd = np.sqrt(np.sum(x ** 2) * p / (1 - p))
    return bool(abs(np.sum(y) - np.sum(x)) <= STANDARD_ERRORS * sd + 1e-9 * np.sum(np.abs(x)))


def kept_scale(y, x):
    """The median of y/x over the units y kept (y != 0), or -1.0 if it kept none."""
    kept = y != 0
    return float(np.median(y[kept] / x[kept])) if np.any(kept) else -1.0


def _scaled_consistently(y, x, scale):
    """Is every unit either dropped (0) or x times ``scale``?"""
    return bool(np.all((y == 0) | (np.abs(y - scale * x) <= 1e-9 * np.abs(scale * x))))


# Dropout.forward ----------------------------------------------------------------------


def probe_dropout_forward(nnlib, case, namespace):
    """Two training forward calls on the same x, one in eval mode, and x afterwards."""
    x = np.array(case["x"], dtype=np.float64)
    layer = nnlib.layers.Dropout(case["p"], rng=np.random.default_rng(case["seed"]))
    first, second = _floats(layer.forward(x)), _floats(layer.forward(x))
    layer.training = False
    return {"first": first, "second": second, "eval": _floats(layer.forward(x)), "x": x.copy()}


def measure_dropout_forward(output, case):
    """Facts about the forward outputs of one case (trusted)."""
    x, p = np.asarray(case["x"], dtype=np.float64), float(case["p"])
    first, second = _array(output, "first", x.shape), _array(output, "second", x.shape)
    facts = {"the training output has the shape of x (and is finite)":
             first is not None and second is not None}
    scale = kept_scale(first, x) if first is not None else -1.0
    facts["the scale of the kept units (the median of y / x where y != 0)"] = scale
    facts["every unit is either dropped (0) or x times that scale"] = \
        first is not None and _scaled_consistently(first, x, scale)
    facts["the share of dropped units is p (within 7 standard errors)"] = \
        first is not None and share_dropped_ok(first, p)
    facts["the mean is preserved: sum(y) = sum(x) within 7 standard errors"] = \
        first is not None and mean_preserved_ok(first, x, p)
    facts["a second forward call draws a new mask"] = \
        first is not None and second is not None and bool(np.any((first == 0) != (second == 0)))
    facts["eval mode returns x unchanged"] = _close(_array(output, "eval", x.shape), x, 1e-12)
    facts["x is left unchanged"] = _close(_array(output, "x", x.shape), x, 0.0)
    return facts


def _positive(rng, shape):
    """Inputs in [0.5, 1.5]: no exact zeros, and a sum far from 0 (the mean test needs it)."""
    return rng.uniform(0.5, 1.5, size=shape)


def visible_dropout_forward_cases(rng, reference):
    """The cell's layers: Dropout(0.3, rng=0) on ones (400, 50), Dropout(0.75, rng=1) on
    a (20, 10, 30) input, Dropout(0, rng=2) on a (3, 4) input."""
    return [{"p": 0.3, "seed": 0, "x": np.ones((400, 50))},
            {"p": 0.75, "seed": 1, "x": _positive(np.random.default_rng(10), (20, 10, 30))},
            {"p": 0.0, "seed": 2, "x": _positive(np.random.default_rng(11), (3, 4))}]


def hidden_dropout_forward_cases(rng, reference):
    """8 layers: p from 0.05 to 0.91 (never 0.5, where 1/p = 1/(1-p)), inputs of 24,000 to
    30,000 entries shaped (N, D), (N, T, D) or (N, C, H, W), and p = 0."""
    shapes = [(400, 60), (50, 20, 30), (10, 4, 25, 25), (1000, 25)]
    cases = []
    for trial, p in enumerate((0.08, 0.2, 0.35, 0.42, 0.6, 0.7, 0.88)):
        p = float(p + rng.uniform(-0.03, 0.03))
        cases.append({"p": p, "seed": int(rng.integers(2 ** 31)), "x": _positive(rng, shapes[trial % 4])})
    cases.append({"p": 0.0, "seed": int(rng.integers(2 ** 31)), "x": _positive(rng, (30, 7))})
    return cases


# Dropout.backward ---------------------------------------------------------------------


def probe_dropout_backward(nnlib, case, namespace):
    """Rounds of forward(x_other), forward(x), backward(dout) on one training layer, then
    one forward and backward in eval mode: each y, dx and dout afterwards."""
    layer = nnlib.layers.Dropout(case["p"], rng=np.random.default_rng(case["seed"]))
    rounds = []
    for step in case["rounds"]:
        x, dout = np.array(step["x"], dtype=np.float64), np.array(step["dout"], dtype=np.float64)
        layer.forward(np.array(step["x_other"], dtype=np.float64))  # backward must use the LAST mask
        y = _floats(layer.forward(x))
        dx = _floats(layer.backward(dout))
        rounds.append({"y": y, "dx": dx, "dout": dout.copy()})
    layer.training = False
    x, dout = np.array(case["x_eval"], dtype=np.float64), np.array(case["dout_eval"], dtype=np.float64)
    layer.forward(x)
    return {"rounds": rounds, "eval_dx": _floats(layer.backward(dout)), "eval_dout": dout.copy()}


def _round_facts(output, step, p):
    """(shape ok, zero pattern matches, kept scale, consistent, dout unchanged) of one round."""
    x, dout = np.asarray(step["x"], dtype=np.float64), np.asarray(step["dout"], dtype=np.float64)
    y, dx = _array(output, "y", x.shape), _array(output, "dx", x.shape)
    if y is None or dx is None:
        return False, False, -1.0, False, False
    kept = y != 0  # a round that kept no unit says nothing about the scale: neutral value
    scale = float(np.median(dx[kept] / dout[kept])) if np.any(kept) else 1.0 / (1.0 - p)
    return (True, bool(np.array_equal(dx == 0, ~kept)), scale, _scaled_consistently(dx, dout, scale),
            _close(_array(output, "dout", x.shape), dout, 0.0))


def measure_dropout_backward(output, case):
    """Facts about the backward outputs of one case (trusted)."""
    p = float(case["p"])
    rounds = output.get("rounds") if isinstance(output, dict) else None
    if not isinstance(rounds, list) or len(rounds) != len(case["rounds"]):
        rounds = [None] * len(case["rounds"])
    per_round = [_round_facts(got, step, p) for got, step in zip(rounds, case["rounds"])]
    dout_eval = np.asarray(case["dout_eval"], dtype=np.float64)
    return {
        "y and dx have the shape of x (and are finite)": all(f[0] for f in per_round),
        "dx is 0 exactly where the last forward call dropped a unit": all(f[1] for f in per_round),
        "the scale of the kept units' gradient (the median of dx / dout where y != 0)":
            [f[2] for f in per_round],
        "every kept unit's gradient is dout times that scale": all(f[3] for f in per_round),
        "dout is left unchanged": all(f[4] for f in per_round),
        "eval mode: backward returns dout unchanged":
            _close(_array(output, "eval_dx", dout_eval.shape), dout_eval, 1e-12),
    }


def _nonzero(rng, shape):
    """Values of random sign with size in [0.5, 1.5]: never 0."""
    return rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _backward_case(rng, p, seed, shape, n_rounds=2):
    rounds = [{"x": _nonzero(rng, shape), "dout": _nonzero(rng, shape), "x_other": _nonzero(rng, shape)}
              for _ in range(n_rounds)]
    return {"p": p, "seed": seed, "rounds": rounds, "x_eval": _nonzero(rng, shape),
            "dout_eval": _nonzero(rng, shape)}


def visible_dropout_backward_cases(rng, reference):
    """The cell's layers: Dropout(0.4, rng=3) on (6, 5) inputs and Dropout(0.8, rng=4) on
    (2, 3, 4) inputs (inputs and gradients from default_rng(12) and (13))."""
    return [_backward_case(np.random.default_rng(12), 0.4, 3, (6, 5)),
            _backward_case(np.random.default_rng(13), 0.8, 4, (2, 3, 4))]


def hidden_dropout_backward_cases(rng, reference):
    """8 layers with random p in (0.05, 0.9), shapes of 1 to 4 axes, three rounds each,
    every forward preceded by a forward of another input of the same shape; and p = 0."""
    cases = []
    for trial in range(8):
        shape = tuple(int(s) for s in rng.integers(2, 9, size=1 + trial % 4))
        p = 0.0 if trial == 7 else float(rng.uniform(0.05, 0.9))
        cases.append(_backward_case(rng, p, int(rng.integers(2 ** 31)), shape, n_rounds=3))
    return cases


# The penalties ------------------------------------------------------------------------


def _penalty_probe(name):
    """A probe of ``nnlib.losses.<name>``: its value, its gradients and the weights after."""
    def probe(nnlib, case, namespace):
        weights = [np.array(w, dtype=np.float64) for w in case["weights"]]
        value, grads = getattr(nnlib.losses, name)(weights, case["lam"])
        return {"value": float(value), "grads": [_floats(g) for g in grads],
                "weights": [w.copy() for w in weights]}
    probe.__name__ = f"probe_{name}"
    probe.__doc__ = f"``{name}(weights, lam)``: value, grads, and the weights afterwards (unchanged)."
    return probe


probe_l2_penalty, probe_l1_penalty = _penalty_probe("l2_penalty"), _penalty_probe("l1_penalty")


def visible_penalty_cases(rng, reference):
    """The cells' examples: W1 = [[1, -2], [0, 3]], W2 = [0.5, -0.5, 0], lam = 0.1; and
    a single (2, 3) matrix with lam = 2."""
    return [{"weights": [[[1.0, -2.0], [0.0, 3.0]], [0.5, -0.5, 0.0]], "lam": 0.1},
            {"weights": [[[0.0, 1.5, -1.0], [2.0, 0.0, -0.25]]], "lam": 2.0}]


def hidden_penalty_cases(rng, reference):
    """12 lists of 1-4 arrays of 1 to 4 axes, about a fifth of their entries exactly 0,
    random lam (0 every fourth case)."""
    cases = []
    for trial in range(12):
        weights = []
        for _ in range(int(rng.integers(1, 5))):
            shape = tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 5))))
            w = rng.normal(size=shape) * rng.choice([0.1, 1.0, 10.0])
            weights.append(np.where(rng.random(shape) < 0.2, 0.0, w))
        cases.append({"weights": weights, "lam": 0.0 if trial % 4 == 0 else float(rng.uniform(1e-4, 3.0))})
    return cases


# Sequential.weights -------------------------------------------------------------------


class Holder:
    """A layer stand-in that only holds ``params`` (and zero ``grads``)."""

    def __init__(self, params):
        self.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.training = True

    def forward(self, x):
        return x

    def backward(self, dout):
        return dout


def probe_weights(nnlib, case, namespace):
    """``Sequential(*holders).weights()``: copies of what it returns, and whether each is
    the holder's own array (not a copy)."""
    holders = [Holder(params) for params in case["layers"]]
    got = nnlib.network.Sequential(*holders).weights()
    own = [id(a) for h in holders for a in h.params.values()]
    return {"weights": [_floats(w) for w in got], "own_arrays": [id(w) in own for w in got]}


def visible_weights_cases(rng, reference):
    """The cell's model: Linear(3, 2), ReLU, Dropout, Linear(2, 1) as holders."""
    return [{"layers": [{"W": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "b": [0.5, -0.5]}, {}, {},
                        {"W": [[7.0, 8.0]], "b": [1.0]}]}]


def _sizes(rng, axes):
    """A random shape of ``axes`` axes, each of 1 to 4 entries."""
    return tuple(int(s) for s in rng.integers(1, 5, size=axes))


def hidden_weights_cases(rng, reference):
    """6 stacks of 1-6 holders: (W, b), parameter-free, W alone, or RNN-like (W_xh, W_hh, b)."""
    kinds = [("W", "b"), (), ("W",), ("W_xh", "W_hh", "b")]
    cases = []
    for _ in range(6):
        layers = []
        for _ in range(int(rng.integers(1, 7))):
            keys = kinds[int(rng.integers(len(kinds)))]
            layers.append({k: rng.normal(size=_sizes(rng, 1 if k == "b" else 2)) for k in keys})
        cases.append({"layers": layers})
    return cases


# init.he ------------------------------------------------------------------------------


def probe_he(nnlib, case, namespace):
    """``he(shape, rng=Generator(seed))`` and ``he(shape, rng=seed)``: the same draws."""
    shape = tuple(int(s) for s in case["shape"])
    return {"from_generator": _floats(nnlib.init.he(shape, rng=np.random.default_rng(case["seed"]))),
            "from_int_seed": _floats(nnlib.init.he(shape, rng=case["seed"]))}


def measure_he(output, case):
    """Facts about one case's draws (trusted): whether the seed decides them (rng passed
    on), and then the draws themselves (compared with the reference's for the same seed).
    Draws that ignore the seed are left out, so that such a mistake is recognised."""
    shape = tuple(int(s) for s in case["shape"])
    drawn, again = _array(output, "from_generator", shape), _array(output, "from_int_seed", shape)
    seeded = drawn is not None and again is not None and _close(again, drawn, 1e-12)
    return {"the weights have the given shape (and are finite)": drawn is not None,
            "the same seed gives the same weights (rng is passed on)": seeded,
            "the weights drawn with the seed": drawn if seeded else None}


def visible_he_cases(rng, reference):
    """The cell's shapes: (300, 200) with seed 0 and (8, 3, 5, 5) with seed 1."""
    return [{"shape": [300, 200], "seed": 0}, {"shape": [8, 3, 5, 5], "seed": 1}]


def hidden_he_cases(rng, reference):
    """10 shapes: (out, in) with out != in, and (F, C, kh, kw); random seeds."""
    cases = []
    for trial in range(10):
        n_in = int(rng.integers(2, 60))
        shape = [n_in * int(rng.integers(2, 4)), n_in] if trial % 2 == 0 else \
            [int(rng.integers(2, 9)), int(rng.integers(1, 5)), 3, int(rng.integers(1, 6))]
        cases.append({"shape": shape, "seed": int(rng.integers(2 ** 31))})
    return cases


# EarlyStopping ------------------------------------------------------------------------


class ParamModel:
    """A model stand-in: ``parameters()`` gives its ``(params, grads)`` pairs, and
    :meth:`load` writes new values into the same arrays (in place, as SGD does)."""

    def __init__(self, groups):
        self.groups = [({k: np.array(v, dtype=np.float64) for k, v in g.items()}, {}) for g in groups]

    def parameters(self):
        return list(self.groups)

    def load(self, groups):
        for (params, _), values in zip(self.groups, groups):
            for key, value in values.items():
                params[key][...] = value

    def snapshot(self):
        return [{k: v.copy() for k, v in params.items()} for params, _ in self.groups]


def _plain_params(groups):
    """Copies of a list of parameter dicts, or None if it is not one."""
    if not isinstance(groups, (list, tuple)):
        return None
    return [{str(k): _floats(v) for k, v in g.items()} if isinstance(g, dict) else None for g in groups]


def probe_early_stopping_update(nnlib, case, namespace):
    """Feed the case's metrics to ``update``, the model's parameters set to that epoch's
    values before each call, until it says stop: each answer, then best, best_epoch and
    best_params (copies) at the end."""
    stopper = nnlib.train.EarlyStopping(case["patience"], mode=case["mode"])
    model = ParamModel(case["params"][0])
    answers = []
    for metric, values in zip(case["metrics"], case["params"]):
        model.load(values)
        answers.append(bool(stopper.update(metric, model)))
        if answers[-1]:
            break
    return {"answers": answers, "best": _number(stopper.best),
            "best_epoch": None if stopper.best_epoch is None else int(stopper.best_epoch),
            "best_params": _plain_params(stopper.best_params)}


def _number(value):
    """A float, or None, or the words "inf", "-inf" or "nan" (plain data compares them)."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else str(value)


def _epoch_params(rng, shapes, n_epochs):
    return [[{k: rng.normal(size=s) for k, s in layer.items()} for layer in shapes] for _ in range(n_epochs)]


def _update_case(metrics, patience, mode, params):
    return {"metrics": [float(m) for m in metrics], "patience": patience, "mode": mode, "params": params}


def _numbered_params(n_epochs):
    """The cell's model, one Linear(2, 2), at each epoch: W filled with the epoch's number
    and b with minus it."""
    return [[{"W": np.full((2, 2), float(epoch)), "b": np.full(2, -float(epoch))}]
            for epoch in range(n_epochs)]


def visible_update_cases(rng, reference):
    """The cell's runs: losses [1.0, 0.8, 0.9, 0.85, 0.8, 0.95] with patience 3 (stops at
    epoch 4, best epoch 1: 0.8 again is no improvement), the same with patience 5 (never
    stops), and accuracies [0.5, 0.7, 0.7, 0.6] in mode "max" with patience 2 (stops at
    epoch 3)."""
    losses = [1.0, 0.8, 0.9, 0.85, 0.8, 0.95]
    return [_update_case(losses, 3, "min", _numbered_params(6)),
            _update_case(losses, 5, "min", _numbered_params(6)),
            _update_case([0.5, 0.7, 0.7, 0.6], 2, "max", _numbered_params(4))]


def _random_metrics(rng, n_epochs):
    """A noisy decreasing curve rounded to 2 decimals (so that ties happen), with a NaN
    now and then after the first epoch."""
    curve = np.round(1.0 / (1.0 + 0.3 * np.arange(n_epochs)) + rng.normal(0, 0.05, n_epochs) +
                     0.02 * np.maximum(0, np.arange(n_epochs) - n_epochs / 2), 2)
    curve[1:][rng.random(n_epochs - 1) < 0.08] = np.nan
    return curve


def hidden_update_cases(rng, reference):
    """14 runs of 6-25 epochs: noisy curves with ties and NaNs, patience 1-6, modes min
    and max (max sees the negated curve), models of one to three layers."""
    cases = []
    for trial in range(14):
        metrics = _random_metrics(rng, int(rng.integers(6, 26)))
        mode = "min" if trial % 2 == 0 else "max"
        shapes = [{"W": (int(rng.integers(1, 4)), int(rng.integers(1, 4))), "b": (2,)}
                  for _ in range(int(rng.integers(1, 4)))]
        cases.append(_update_case(metrics if mode == "min" else -metrics, int(rng.integers(1, 7)), mode,
                                  _epoch_params(rng, shapes, len(metrics))))
    return cases


def probe_early_stopping_restore(nnlib, case, namespace):
    """``restore`` with ``best_params`` set to the case's copies: the parameters after,
    whether they are still the model's own arrays, and the saved copies after a later
    change of the model (restore must copy values, not share arrays)."""
    stopper = nnlib.train.EarlyStopping(2)
    stopper.best_params = [{k: np.array(v, dtype=np.float64) for k, v in g.items()} for g in case["best"]]
    model = ParamModel(case["current"])
    originals = [dict(params) for params, _ in model.groups]
    stopper.restore(model)
    restored = model.snapshot()
    in_place = all(params[k] is original[k] for (params, _), original in zip(model.groups, originals)
                   for k in original)
    for params, _ in model.groups:  # training goes on: the saved copies must not move
        for value in params.values():
            value += 1.0
    return {"restored": restored, "in_place": in_place, "saved_after": _plain_params(stopper.best_params)}


def visible_restore_cases(rng, reference):
    """The cell's model: one layer, W (2, 2) and b (2,), best and current values fixed."""
    return [{"best": [{"W": [[1.0, 2.0], [3.0, 4.0]], "b": [0.5, -0.5]}],
             "current": [{"W": [[0.0, 0.0], [0.0, 0.0]], "b": [9.0, 9.0]}]}]


def hidden_restore_cases(rng, reference):
    """6 models of one to four layers of random shapes."""
    cases = []
    for _ in range(6):
        shapes = [{"W": (int(rng.integers(1, 5)), int(rng.integers(1, 5))), "b": (int(rng.integers(1, 5)),)}
                  for _ in range(int(rng.integers(1, 5)))]
        best, current = _epoch_params(rng, shapes, 2)
        cases.append({"best": best, "current": current})
    return cases


# The regularised training run ---------------------------------------------------------


def noisy_digits(reference):
    """The notebook's data: the first 300 training digits of ``digits_split(rng=0)`` with
    30% of their labels replaced by another class (seed 5), and the clean validation set."""
    split = reference.data.digits_split(rng=0)
    X, y = split["train"][0][:NOISY_EXAMPLES], split["train"][1][:NOISY_EXAMPLES].copy()
    noise = np.random.default_rng(NOISE_SEED)
    wrong = noise.random(NOISY_EXAMPLES) < NOISY_SHARE
    y[wrong] = (y[wrong] + noise.integers(1, DIGITS_CLASSES, wrong.sum())) % DIGITS_CLASSES
    X_val, y_val = split["val"]
    return {"X_train": X, "y_train": y, "X_val": X_val, "y_val": y_val}


def training_cases(rng, reference):
    """The notebook's data and a secret seed for the run's generator."""
    return [dict(noisy_digits(reference), seed=int(rng.integers(2 ** 31)))]


def _export_layer(layer):
    """A layer as plain data: its class name, W and b of a Linear, p of a Dropout."""
    name = type(layer).__name__
    if name == "Linear":
        return {"type": name, "W": _floats(layer.params["W"]), "b": _floats(layer.params["b"])}
    if name == "Dropout":
        return {"type": name, "p": float(layer.p)}
    return {"type": name}


def probe_regularized_training(nnlib, case, namespace):
    """Run the notebook's ``train_regularized`` on the case's data with
    ``default_rng(seed)`` and export the model it returns."""
    train = (namespace or {}).get("train_regularized")
    if not callable(train):
        return {"found": False, "container": "", "layers": None}
    arrays = [np.array(case[k]) for k in ("X_train", "y_train", "X_val", "y_val")]
    model = train(*arrays, np.random.default_rng(case["seed"]))
    layers = getattr(model, "layers", None)
    if not isinstance(layers, (list, tuple)):
        return {"found": True, "container": type(model).__name__, "layers": None}
    return {"found": True, "container": type(model).__name__,
            "layers": [_export_layer(layer) for layer in layers[:MAX_LAYERS + 1]]}


def _structure_problem(got):
    """What is wrong with the exported model's structure (trusted), or None."""
    problem = sequential_problem(
        got, "there is no function train_regularized: run the cell of Task 7 that defines it",
        "the model train_regularized returned", LAYER_TYPES, MAX_LAYERS)
    if problem:
        return problem
    return (weights_problem([layer for layer in got["layers"] if layer["type"] == "Linear"])
            or size_problem(got["layers"]))


def rebuild_model(reference, layers):
    """The exported ``layers`` as a Sequential of the REFERENCE's layers (trusted)."""
    built = []
    for layer in layers:
        if layer["type"] == "Linear":
            W = np.array(layer["W"], dtype=np.float64)
            linear = reference.layers.Linear(W.shape[1], W.shape[0], rng=0)
            linear.params["W"], linear.params["b"] = W, np.array(layer["b"], dtype=np.float64)
            built.append(linear)
        elif layer["type"] == "Dropout":
            built.append(reference.layers.Dropout(layer["p"], rng=0))
        else:
            built.append(getattr(reference.layers, layer["type"])())
    return reference.network.Sequential(*built)


def judge_regularized_training(got, case, reference):
    """Trusted: rebuild the returned model with the reference's layers and require at
    least :data:`MIN_HELDOUT_ACCURACY` on the held-out digits (images no release holds)."""
    from nncourse.grader.heldout import digits  # trusted worker only: not in the sandbox

    problem = _structure_problem(got)
    if problem:
        return problem
    X_test, y_test = digits()
    with np.errstate(all="ignore"):
        score = reference.train.accuracy(rebuild_model(reference, got["layers"]), X_test, y_test)
    if not score >= MIN_HELDOUT_ACCURACY:
        return (f"the model train_regularized returned (run with a generator of the grader's seed) "
                f"classifies less than {MIN_HELDOUT_ACCURACY:.0%} of the held-out digits (images you "
                f"have not seen) correctly; the unregularised baseline gets about "
                f"{BASELINE_HELDOUT_ACCURACY:.0%}. Regularise more (dropout, a penalty, early "
                f"stopping on the validation set) and check your recipe with several seeds")
    return None


def _measured(grade_id, probe, cases, measure):
    return MeasuredCheck(grade_id, probe, cases, measure=measure)


CHECKS = [
    _measured("test_dropout_forward", probe_dropout_forward, visible_dropout_forward_cases,
              measure_dropout_forward),
    _measured("test_dropout_forward_hidden", probe_dropout_forward, hidden_dropout_forward_cases,
              measure_dropout_forward),
    _measured("test_dropout_backward", probe_dropout_backward, visible_dropout_backward_cases,
              measure_dropout_backward),
    _measured("test_dropout_backward_hidden", probe_dropout_backward, hidden_dropout_backward_cases,
              measure_dropout_backward),
    Check("test_l2_penalty", probe_l2_penalty, visible_penalty_cases),
    Check("test_l2_penalty_hidden", probe_l2_penalty, hidden_penalty_cases),
    Check("test_l1_penalty", probe_l1_penalty, visible_penalty_cases),
    Check("test_l1_penalty_hidden", probe_l1_penalty, hidden_penalty_cases),
    Check("test_weights", probe_weights, visible_weights_cases),
    Check("test_weights_hidden", probe_weights, hidden_weights_cases),
    MeasuredCheck("test_he", probe_he, visible_he_cases, measure=measure_he),
    MeasuredCheck("test_he_hidden", probe_he, hidden_he_cases, measure=measure_he),
    Check("test_early_stopping_update", probe_early_stopping_update, visible_update_cases),
    Check("test_early_stopping_update_hidden", probe_early_stopping_update, hidden_update_cases),
    Check("test_early_stopping_restore", probe_early_stopping_restore, visible_restore_cases),
    Check("test_early_stopping_restore_hidden", probe_early_stopping_restore, hidden_restore_cases),
    Check("test_regularized_training", probe_regularized_training, training_cases,
          judge=judge_regularized_training, budget=TRAINING_BUDGET),
]
