"""Chapter 4's graded tests as checks: ``Linear.forward``/``backward``,
``Sequential.backward``, the worked 2-2-1 example, ``SGD.step``, ``numerical_gradient``,
``Softplus``, the notebook's ``fixed_backward`` (find the bug) and the trained digits MLP.

Each check mirrors one graded test cell of ``solutions/ch04_backprop``; see
:mod:`nncourse.probes.kit` for what each part does and where it runs. Isolation: the
Sequential check chains :class:`ScriptedLayer` stand-ins (values recorded from the
reference's layers in ``cases``), the worked example replaces its sigmoids and its loss by
scripted values, and ``numerical_gradient`` differentiates closed-form functions written
here. This module is shipped into the sandbox, so it holds no correct implementation of a
graded function: trajectories come from calling the reference in ``cases``.
"""
import numpy as np

from .kit import Check, Scripted, same

LAYER_TYPES = ("Linear", "Tanh", "ReLU", "Sigmoid")  # the digits model's vocabulary
MAX_LAYERS = 64
# What the trusted judge will evaluate: the held-out digits pass through every layer, each
# output (300 rows of its width, float64) held at once. The reference: ~19,000 parameters,
# ~800 units; a model as large as these limits costs ~40 MB and ~0.1 s to judge.
MAX_PARAMETERS = 2_000_000
MAX_UNITS = 16_384  # the outputs of all the layers together
MIN_ACCURACY = 0.93  # the reference solution: 95.0% of the held-out digits
DIGITS_FEATURES, DIGITS_CLASSES = 64, 10


def _floats(value):
    """A float64 copy of ``value``, or None (so None is graded as 'not an array')."""
    return None if value is None else np.array(value, dtype=np.float64)


def _linear(nnlib, W, b):
    """``nnlib``'s ``Linear`` holding copies of ``W`` (out, in) and ``b`` (out,)."""
    W = np.array(W, dtype=np.float64)
    layer = nnlib.layers.Linear(W.shape[1], W.shape[0], rng=0)
    layer.params["W"], layer.params["b"] = W, np.array(b, dtype=np.float64)
    return layer


# Linear.forward ---------------------------------------------------------------------


def probe_linear_forward(nnlib, case, namespace):
    """``forward(x)`` of a Linear with ``W``, ``b``; and x, W, b afterwards (unchanged)."""
    layer = _linear(nnlib, case["W"], case["b"])
    x = np.array(case["x"], dtype=np.float64)
    y = layer.forward(x)
    return {"y": _floats(y), "x": x, "W": _floats(layer.params["W"]),
            "b": _floats(layer.params["b"])}


def visible_linear_forward_cases(rng, reference):
    """The cell's examples: the worked (2, 3) batch, one row, and Linear(1, 4)."""
    W, b = [[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], [0.5, -1.0]
    return [{"W": W, "b": b, "x": [[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]},
            {"W": W, "b": b, "x": [[0.0, 0.0, 2.0]]},
            {"W": [[1.0], [-1.0], [2.0], [0.0]], "b": [0.0, 1.0, 2.0, 3.0],
             "x": [[1.0], [2.0], [-1.0]]}]


def _random_sizes(rng, trial, every_single, every_unequal):
    """``(n_in, n_out, N)`` from 1 to 7; some batches of one, some with in != out."""
    n_in, n_out, N = (int(v) for v in rng.integers(1, 8, size=3))
    if trial % every_single == 0:
        N = 1
    if trial % every_unequal == 1 and n_in == n_out:
        n_out += 1
    return n_in, n_out, N


def hidden_linear_forward_cases(rng, reference):
    """25 random layers: sizes 1-7, batches of one, inputs scaled by 0.1, 1 or 10."""
    cases = []
    for trial in range(25):
        n_in, n_out, N = _random_sizes(rng, trial, 5, 4)
        cases.append({"W": rng.normal(size=(n_out, n_in)), "b": rng.normal(size=n_out),
                      "x": rng.normal(size=(N, n_in)) * rng.choice([0.1, 1.0, 10.0])})
    return cases


# Linear.backward --------------------------------------------------------------------


def probe_linear_backward(nnlib, case, namespace):
    """Rounds of forward (after an optional other forward) then backward on one layer:
    each round's dx, grads and the inputs and parameters afterwards."""
    layer = _linear(nnlib, case["W"], case["b"])
    rounds = []
    for step in case["rounds"]:
        x, dout = np.array(step["x"], dtype=np.float64), np.array(step["dout"], dtype=np.float64)
        if "x_other" in step:  # backward must use the input of the LAST forward
            layer.forward(np.array(step["x_other"], dtype=np.float64))
        layer.forward(x)
        dx = layer.backward(dout)
        rounds.append({"dx": _floats(dx), "dW": _floats(layer.grads.get("W")),
                       "db": _floats(layer.grads.get("b")), "x": x.copy(), "dout": dout.copy(),
                       "W": _floats(layer.params["W"]), "b": _floats(layer.params["b"])})
    return {"rounds": rounds}


def visible_linear_backward_cases(rng, reference):
    """The worked example, then the cell's random Linear(4, 3) (seed 42) over two rounds."""
    worked = {"W": [[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], "b": [0.5, -1.0],
              "rounds": [{"x": [[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]], "dout": [[1.0, 0.0], [2.0, -1.0]]}]}
    seeded = np.random.default_rng(42)
    W = reference.layers.Linear(4, 3, rng=seeded).params["W"]
    b = seeded.normal(size=3)
    rounds = [{"x": seeded.normal(size=(5, 4)), "dout": seeded.normal(size=(5, 3))} for _ in (1, 2)]
    return [worked, {"W": W, "b": b, "rounds": rounds}]


def hidden_linear_backward_cases(rng, reference):
    """20 random layers, two rounds each, every round after a forward of another batch."""
    cases = []
    for trial in range(20):
        n_in, n_out, N = _random_sizes(rng, trial, 4, 3)
        rounds = [{"x": rng.normal(size=(N, n_in)), "dout": rng.normal(size=(N, n_out)),
                   "x_other": rng.normal(size=(N + 1, n_in))} for _ in range(2)]
        cases.append({"W": rng.normal(size=(n_out, n_in)), "b": rng.normal(size=n_out),
                      "rounds": rounds})
    return cases


# Sequential.backward ----------------------------------------------------------------


class ScriptedLayer:
    """A layer stand-in: ``forward`` returns the next scripted output and ``backward``
    the next scripted gradient; each records what it received."""

    def __init__(self, outputs, gradients):
        self.params, self.grads, self.training = {}, {}, True
        self.forward_calls, self.backward_calls = Scripted(outputs), Scripted(gradients)

    def forward(self, x):
        return self.forward_calls(x)

    def backward(self, dout):
        return self.backward_calls(dout)

    __call__ = forward


def _received(script):
    """The first argument of each call a :class:`~.kit.Scripted` recorded."""
    return [call[0] if call else None for call in script.calls]


def probe_sequential_backward(nnlib, case, namespace):
    """``Sequential.backward`` over scripted layers: the dout each layer received (in
    layer order), the returned dx, and dout afterwards. Only the chaining is graded."""
    layers = [ScriptedLayer([y], [g]) for y, g in zip(case["outputs"], case["gradients"])]
    model = nnlib.network.Sequential(*layers)
    model.forward(np.array(case["x"], dtype=np.float64))
    dout = np.array(case["dout"], dtype=np.float64)
    dx = model.backward(dout)
    return {"received": [_received(layer.backward_calls) for layer in layers],
            "dx": _floats(dx), "dout": dout}


class _Recording:
    """Wraps a reference layer and records what its forward and backward return (trusted
    side, in ``cases``: the values the scripted stand-ins will replay)."""

    def __init__(self, layer):
        self.layer, self.params, self.outputs, self.gradients = layer, {}, [], []

    def forward(self, x):
        self.outputs.append(self.layer.forward(x))
        return self.outputs[-1]

    def backward(self, dout):
        self.gradients.append(self.layer.backward(dout))
        return self.gradients[-1]


def _trajectory(reference, layers, x, dout_of):
    """Run the reference Sequential of ``layers`` forward on ``x``, then backward on
    ``dout_of(output)``: ``{"x", "dout", "outputs", "gradients"}`` (one entry per layer)."""
    recordings = [_Recording(layer) for layer in layers]
    model = reference.network.Sequential(*recordings)
    dout = dout_of(model.forward(x))
    model.backward(dout)
    return {"x": x, "dout": dout, "outputs": [r.outputs[0] for r in recordings],
            "gradients": [r.gradients[0] for r in recordings]}


def visible_sequential_cases(rng, reference):
    """The cell's Linear(3, 4) -> Tanh -> Linear(4, 2), seed 7, batch of 5."""
    seeded = np.random.default_rng(7)
    first, second = (reference.layers.Linear(3, 4, rng=seeded), reference.layers.Linear(4, 2, rng=seeded))
    first.params["b"], second.params["b"] = seeded.normal(size=4), seeded.normal(size=2)
    x, dout = seeded.normal(size=(5, 3)), seeded.normal(size=(5, 2))
    return [_trajectory(reference, [first, reference.layers.Tanh(), second], x, lambda y: dout)]


def _random_stack(rng, reference, trial):
    """Reference Linear layers of random widths (all equal every third trial), with
    random activations between them (and after the last on even trials)."""
    depth = int(rng.integers(1, 5))
    widths = ([int(rng.integers(2, 6))] * (depth + 1) if trial % 3 == 0
              else [int(v) for v in rng.integers(1, 7, size=depth + 1)])
    activations = (reference.layers.Tanh, reference.layers.ReLU, reference.layers.Sigmoid)
    layers = []
    for k in range(depth):
        layers.append(reference.layers.Linear(widths[k], widths[k + 1], rng=rng))
        layers[-1].params["b"] = rng.normal(size=widths[k + 1])
        if k < depth - 1 or trial % 2 == 0:
            layers.append(activations[int(rng.integers(len(activations)))]())
    return layers, widths


def hidden_sequential_cases(rng, reference):
    """15 random stacks of 1-8 layers, batches of 1-6."""
    cases = []
    for trial in range(15):
        layers, widths = _random_stack(rng, reference, trial)
        N = int(rng.integers(1, 7))
        x, dout = rng.normal(size=(N, widths[0])), rng.normal(size=(N, widths[-1]))
        cases.append(_trajectory(reference, layers, x, lambda y, dout=dout: dout))
    return cases


# The worked 2-2-1 example -----------------------------------------------------------


def probe_worked_example(nnlib, case, namespace):
    """The book's 2-2-1 network with the student's Linear layers and Sequential, its
    sigmoids scripted and dE/dy given: pre-activations, gradients and the chained douts."""
    hidden, output = _linear(nnlib, case["W1"], case["b1"]), _linear(nnlib, case["W2"], case["b2"])
    sigmoids = [ScriptedLayer([y], [g]) for y, g in zip(case["sigmoid_outputs"], case["sigmoid_gradients"])]
    net = nnlib.network.Sequential(hidden, sigmoids[0], output, sigmoids[1])
    net.forward(np.array(case["x"], dtype=np.float64))
    dx = net.backward(np.array(case["dE_dy"], dtype=np.float64))
    return {"z_hidden": _received(sigmoids[0].forward_calls),
            "z_output": _received(sigmoids[1].forward_calls),
            "dW_output": _floats(output.grads.get("W")), "db_output": _floats(output.grads.get("b")),
            "dW_hidden": _floats(hidden.grads.get("W")), "db_hidden": _floats(hidden.grads.get("b")),
            "dy_hidden": _received(sigmoids[0].backward_calls), "dx": _floats(dx)}


def worked_example_cases(rng, reference):
    """x = (0.23, 0.82), t = 1, W hidden = [[0.1, 0.4], [0.5, 0.3]], W output = [[0.2, 0.6]],
    no biases; the sigmoids' values and dE/dy = y - t from the reference."""
    case = {"W1": [[0.1, 0.4], [0.5, 0.3]], "b1": [0.0, 0.0], "W2": [[0.2, 0.6]], "b2": [0.0],
            "x": [[0.23, 0.82]]}
    hidden, output = _linear(reference, case["W1"], case["b1"]), _linear(reference, case["W2"], case["b2"])
    layers = [hidden, reference.layers.Sigmoid(), output, reference.layers.Sigmoid()]
    loss_gradient = lambda y: reference.losses.mse(y, np.array([[1.0]]))[1]  # noqa: E731
    run = _trajectory(reference, layers, np.array(case["x"]), loss_gradient)
    return [dict(case, dE_dy=run["dout"], sigmoid_outputs=run["outputs"][1::2],
                 sigmoid_gradients=run["gradients"][1::2])]


# SGD.step ---------------------------------------------------------------------------


def _set_gradients(groups, case, step):
    """The gradients of ``step``: new arrays (``rebind``) or written into the old ones."""
    for (_, grads), group in zip(groups, case["groups"]):
        for key, value in group["grads"][step].items():
            if case["rebind"][step]:
                grads[key] = np.array(value, dtype=np.float64)
            else:
                grads[key][...] = value


def _sgd_state(groups, originals):
    """Each group's parameters and gradients (copies), and whether the parameter arrays
    are still the ones the optimizer was given (updated in place)."""
    return [{"params": {k: _floats(v) for k, v in params.items()},
             "grads": {k: _floats(v) for k, v in grads.items()},
             "in_place": all(params[k] is original[k] for k in original)}
            for (params, grads), original in zip(groups, originals)]


def probe_sgd_step(nnlib, case, namespace):
    """Several ``step()`` calls with the case's gradients: the state after each step."""
    groups = [({k: np.array(v, dtype=np.float64) for k, v in g["params"].items()},
               {k: np.array(v, dtype=np.float64) for k, v in g["grads"][0].items()})
              for g in case["groups"]]
    originals = [dict(params) for params, _ in groups]
    opt = nnlib.optim.SGD(groups, lr=case["lr"], momentum=case["momentum"],
                          weight_decay=case["weight_decay"])
    states = []
    for step in range(len(case["rebind"])):
        if step:
            _set_gradients(groups, case, step)
        opt.step()
        states.append(_sgd_state(groups, originals))
    return {"steps": states}


def visible_sgd_cases(rng, reference):
    """The cell's worked example (two groups, momentum and weight decay, two steps, the
    gradient of w replaced) and plain SGD on a (2, 3) matrix with a fixed gradient."""
    worked = {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.1, "rebind": [True, True],
              "groups": [{"params": {"w": [1.0, -2.0]}, "grads": [{"w": [0.5, 1.0]}, {"w": [-1.0, 0.5]}]},
                         {"params": {"b": [0.5]}, "grads": [{"b": [2.0]}, {"b": [2.0]}]}]}
    gW = [[0.5, -0.5, 1.0], [2.0, 0.0, -1.0]]
    plain = {"lr": 0.5, "momentum": 0.0, "weight_decay": 0.0, "rebind": [False, False],
             "groups": [{"params": {"W": [[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]]}, "grads": [{"W": gW}] * 2}]}
    return [worked, plain]


def _random_group(rng, g, n_steps):
    """Parameters W (and b for even groups) of random small shapes, a gradient per step."""
    params = {k: rng.normal(size=tuple(int(s) for s in rng.integers(1, 5, size=2 if k == "W" else 1)))
              for k in (["W", "b"] if g % 2 == 0 else ["W"])}
    return {"params": params,
            "grads": [{k: rng.normal(size=v.shape) for k, v in params.items()} for _ in range(n_steps)]}


def hidden_sgd_cases(rng, reference):
    """12 optimizers: random rates, momenta (0 every fourth), weight decays (0 every
    third), 1-3 groups, 3-6 steps with new gradients, alternately rebound and in place."""
    cases = []
    for trial in range(12):
        n_steps = int(rng.integers(3, 7))
        cases.append({"lr": float(rng.uniform(0.001, 1.0)),
                      "momentum": 0.0 if trial % 4 == 0 else float(rng.uniform(0.1, 0.99)),
                      "weight_decay": 0.0 if trial % 3 == 0 else float(rng.uniform(0.001, 0.5)),
                      "rebind": [step % 2 == 1 for step in range(n_steps)],
                      "groups": [_random_group(rng, g, n_steps) for g in range(int(rng.integers(1, 4)))]})
    return cases


# numerical_gradient -----------------------------------------------------------------


def _function(case, x):
    """The scalar function of the case, reading the array ``x`` each time it is called."""
    kind = case["function"]
    if kind == "cube":
        return lambda: float(np.sum(x ** 3))
    if kind == "sin":
        c = np.array(case["c"], dtype=np.float64)
        return lambda: float(np.sum(np.sin(x) * c))
    if kind == "cubic":
        return lambda: float(np.sum(x ** 3 - 2.0 * x ** 2))
    A, c = np.array(case["A"], dtype=np.float64), np.array(case["c"], dtype=np.float64)
    return lambda: float(0.5 * x.ravel() @ A @ x.ravel() + c @ x.ravel())


def probe_numerical_gradient(nnlib, case, namespace):
    """The estimate at ``x`` (step ``h`` if the case gives one), x afterwards (restored),
    and whether a new array came back."""
    x = np.array(case["x"], dtype=np.float64)
    options = {"h": case["h"]} if "h" in case else {}
    gradient = nnlib.gradcheck.numerical_gradient(_function(case, x), x, **options)
    return {"gradient": _floats(gradient), "x": x.copy(), "new_array": gradient is not x}


def visible_numerical_gradient_cases(rng, reference):
    """sum(x^3) at the cell's (2, 3) array (default h), sum(sin x) at its (3, 2) with h = 1e-4."""
    return [{"function": "cube", "x": [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]]},
            {"function": "sin", "c": np.ones((3, 2)), "h": 1e-4,
             "x": [[0.3, -1.2], [2.0, 0.0], [-0.7, 1.5]]}]


def hidden_numerical_gradient_cases(rng, reference):
    """12 random quadratics on 1-, 2- and 3-D arrays, weighted sines, and a cubic with
    large steps (where a forward difference or an ignored h shows)."""
    cases = []
    for trial in range(12):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=1 + trial % 3))
        size = int(np.prod(shape))
        cases.append({"function": "quadratic", "A": rng.normal(size=(size, size)),
                      "c": rng.normal(size=size), "x": rng.normal(size=shape)})
    for h in (1e-3, 1e-4):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=2))
        cases.append({"function": "sin", "c": rng.normal(size=shape), "x": rng.normal(size=shape), "h": h})
    for h in (1e-2, 3e-3, 1e-1):
        cases.append({"function": "cubic", "x": rng.normal(size=(3, 2)), "h": h})
    return cases


# Softplus ---------------------------------------------------------------------------


def probe_softplus(nnlib, case, namespace):
    """Rounds of forward (after a forward of another batch, if the case gives one) then
    backward on one ``Softplus``: each round's y and dx, and x and dout afterwards."""
    layer = nnlib.layers.Softplus()
    rounds = []
    for step in case["rounds"]:
        x, dout = np.array(step["x"], dtype=np.float64), np.array(step["dout"], dtype=np.float64)
        if "x_other" in step:  # backward must use the input of the LAST forward
            layer.forward(np.array(step["x_other"], dtype=np.float64))
        with np.errstate(all="ignore"):  # an overflow is graded by its value, inf or nan
            y = layer.forward(x)
            dx = layer.backward(dout)
        rounds.append({"y": _floats(y), "dx": _floats(dx), "x": x.copy(), "dout": dout.copy()})
    return {"rounds": rounds}


def visible_softplus_cases(rng, reference):
    """The cell's examples: the hand-worked row, its large row [[-800, -50, 0, 50, 800]]
    (where exp(800) overflows) with dout [[1, 2, -1, 1, 2]], and its random (4, 3) batch
    (seed 5) with a random dout, after a forward of the batch it draws next."""
    seeded = np.random.default_rng(5)
    x, dout = seeded.normal(size=(4, 3)) * 3.0, seeded.normal(size=(4, 3))
    return [{"rounds": [{"x": [[0.0, 1.0, -1.0, 2.0]], "dout": [[1.0, 1.0, 1.0, 1.0]]}]},
            {"rounds": [{"x": [[-800.0, -50.0, 0.0, 50.0, 800.0]], "dout": [[1.0, 2.0, -1.0, 1.0, 2.0]]}]},
            {"rounds": [{"x": x, "dout": dout, "x_other": seeded.normal(size=(4, 3))}]}]


def hidden_softplus_cases(rng, reference):
    """15 layers, two rounds each after a forward of another batch: shapes (N, D) from
    (1, 1) to (7, 7), inputs scaled by 0.1, 1, 10 or 100, some entries set to +-50 and
    +-800 (where exp overflows), random douts."""
    cases = []
    for trial in range(15):
        rounds = []
        for _ in range(2):
            N, D = (int(v) for v in rng.integers(1, 8, size=2))
            x = rng.normal(size=(N, D)) * rng.choice([0.1, 1.0, 10.0, 100.0])
            x.flat[rng.integers(x.size)] = rng.choice([50.0, -50.0, 800.0, -800.0])
            if trial % 3 == 0:
                x[0, 0] = 800.0 if trial % 2 == 0 else -800.0
            rounds.append({"x": x, "dout": rng.normal(size=(N, D)),
                           "x_other": rng.normal(size=(N + 1, D)) * 5.0})
        cases.append({"rounds": rounds})
    return cases


# Find the bug: fixed_backward ---------------------------------------------------------


def probe_fixed_backward(nnlib, case, namespace):
    """Call the notebook's ``fixed_backward(x, dout)``: the dx it returns, and x and dout
    afterwards (``found`` False when there is no such function)."""
    fixed = (namespace or {}).get("fixed_backward")
    if not callable(fixed):
        return {"found": False}
    x, dout = np.array(case["x"], dtype=np.float64), np.array(case["dout"], dtype=np.float64)
    with np.errstate(all="ignore"):
        dx = fixed(x, dout)
    return {"found": True, "dx": _floats(dx), "x": x.copy(), "dout": dout.copy()}


def visible_fixed_backward_cases(rng, reference):
    """The cell's batches: the bug's (3, 4) example (seed 11), and one row of large inputs."""
    seeded = np.random.default_rng(11)
    return [{"x": seeded.normal(size=(3, 4)) * 2.0, "dout": seeded.normal(size=(3, 4))},
            {"x": [[-6.0, -0.5, 0.0, 0.5, 6.0]], "dout": [[1.0, 1.0, 1.0, 1.0, 1.0]]}]


def hidden_fixed_backward_cases(rng, reference):
    """12 random batches (N, D) up to (7, 7), inputs scaled by 0.1, 1, 3 or 30, random douts."""
    cases = []
    for _ in range(12):
        N, D = (int(v) for v in rng.integers(1, 8, size=2))
        cases.append({"x": rng.normal(size=(N, D)) * rng.choice([0.1, 1.0, 3.0, 30.0]),
                      "dout": rng.normal(size=(N, D))})
    return cases


# A derivative that is right is right to rounding: every exact form (1 - tanh^2, sech^2,
# (1 - t)(1 + t), 4 / (e^x + e^-x)^2) is within 1e-15 of the reference in absolute terms.
# The centred differences the visible cell compares with (h = 1e-6), pasted in as the
# "fixed" function, are off by 1e-11 to 1e-10: the visible check accepts them as the cell
# does; the hidden check, the derivative only.
FIXED_TOLERANCE = {"rtol": 1e-10, "atol": 1e-13}
FIXED_VISIBLE_TOLERANCE = {"rtol": 1e-7, "atol": 1e-10}


def judge_fixed_backward(got, case, reference, tolerance=FIXED_TOLERANCE):
    """Trusted: dx must be the reference Tanh layer's backward of ``dout`` at ``x`` (to
    rounding: :data:`FIXED_TOLERANCE`), and neither x nor dout may change."""
    if not isinstance(got, dict) or got.get("found") is not True:
        return ("there is no function fixed_backward: run the answer cell of Task 8 (it must define "
                "fixed_backward(x, dout))")
    x, dout = np.array(case["x"], dtype=np.float64), np.array(case["dout"], dtype=np.float64)
    layer = reference.layers.Tanh()
    layer.forward(x)
    expected = {"dx": layer.backward(dout), "x": x, "dout": dout}
    return same(got, expected, **tolerance)


def judge_fixed_backward_visible(got, case, reference):
    """Trusted: :func:`judge_fixed_backward` within the visible cell's tolerance."""
    return judge_fixed_backward(got, case, reference, FIXED_VISIBLE_TOLERANCE)


# The trained digits model -----------------------------------------------------------


def _export_layer(layer):
    """A layer as plain data: its class name, and W and b for a Linear."""
    name = type(layer).__name__
    if name != "Linear":
        return {"type": name}
    return {"type": name, "W": _floats(layer.params["W"]), "b": _floats(layer.params["b"])}


def probe_mlp_digits(nnlib, case, namespace):
    """Export ``digits_model`` from the notebook's globals: its class name and layers
    (``layers`` is None when there is no such model)."""
    model = (namespace or {}).get("digits_model")
    layers = getattr(model, "layers", None)
    if model is None or not isinstance(layers, (list, tuple)):
        return {"found": model is not None, "container": type(model).__name__, "layers": None}
    return {"found": True, "container": type(model).__name__,
            "layers": [_export_layer(layer) for layer in layers[:MAX_LAYERS + 1]]}


def is_text(value, text):
    """Whether plain data ``value`` is the string ``text`` (an array compared with a string
    has no single truth value)."""
    return isinstance(value, str) and value == text


def sequential_problem(got, missing, what, layer_types, max_layers):
    """What is wrong with the plain data of an exported ``Sequential`` (trusted), or None:
    ``missing`` if there is none; otherwise ``what`` (the model, as messages name it) must be
    a non-empty Sequential of at most ``max_layers`` layers, each one of ``layer_types``,
    every Dropout with p in [0, 1). Chapters 5 and 6 share it."""
    if not isinstance(got, dict) or got.get("found") is not True:  # (plain data: maybe an array)
        return missing
    if not is_text(got.get("container"), "Sequential") \
            or not isinstance(got.get("layers"), list) or not got["layers"]:
        return f"{what} must be a non-empty nnlib.network.Sequential"
    if len(got["layers"]) > max_layers:
        return f"{what} has more than {max_layers} layers"
    for number, layer in enumerate(got["layers"], start=1):
        if not isinstance(layer, dict) or not any(is_text(layer.get("type"), t) for t in layer_types):
            return f"layer {number} of {what} is not one of {', '.join(layer_types)}"
        if layer["type"] == "Dropout" and not (isinstance(layer.get("p"), float) and 0 <= layer["p"] < 1):
            return f"layer {number} of {what} is a Dropout whose p is not in [0, 1)"
    return None


def _architecture_problem(got):
    """What is wrong with an exported model's structure (trusted), or None."""
    problem = sequential_problem(
        got, "there is no variable digits_model: run the training cell (it must define digits_model)",
        "digits_model", LAYER_TYPES, MAX_LAYERS)
    if problem:
        return problem
    linears = [layer for layer in got["layers"] if layer["type"] == "Linear"]
    if len(linears) < 2:
        return ("digits_model needs at least two Linear layers (a hidden layer), with an "
                "activation between them")
    return weights_problem(linears) or size_problem(got["layers"])


def weights_problem(linears, inputs=DIGITS_FEATURES, classes=DIGITS_CLASSES, what="digit"):
    """What is wrong with the exported Linear layers' weights and shapes of a digits model
    (trusted; chapter 5's trained model uses it too, and chapter 6's the Linear layers after
    its Flatten, with ``inputs`` features and ``classes`` outputs, one per ``what``), or None."""
    if not linears:
        return "the model has no Linear layer"
    first = inputs
    for number, layer in enumerate(linears, start=1):
        W, b = layer.get("W"), layer.get("b")
        if not all(isinstance(a, np.ndarray) and a.dtype.kind in "iuf" for a in (W, b)):
            return f"Linear layer {number}: W and b must be arrays of numbers"
        if W.ndim != 2 or b.shape != (W.shape[0],) or W.shape[1] != inputs or W.shape[0] < 1:
            return (f"Linear layer {number}: W must have shape (out, in) with out >= 1, in = the "
                    f"previous layer's out ({first} for the first) and b shape (out,)")
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            return f"Linear layer {number}: W or b contains inf or nan"
        inputs = W.shape[0]
    if inputs != classes:
        return f"the last Linear layer must have {classes} outputs, one per {what}"
    return None


def size_problem(layers, inputs=DIGITS_FEATURES):
    """Whether a model whose Linear layers chain (:func:`weights_problem` passed) is small
    enough to judge (trusted; chapter 5's trained model uses it too): at most
    :data:`MAX_PARAMETERS` parameters, and at most :data:`MAX_UNITS` outputs over all its
    layers (a parameter-free layer outputs as many as its input); ``inputs`` is the width
    of the first layer's input."""
    parameters, units, width = 0, 0, inputs
    for layer in layers:
        if layer["type"] == "Linear":
            parameters += layer["W"].size + layer["b"].size
            width = layer["W"].shape[0]
        units += width
    if parameters > MAX_PARAMETERS:
        return f"the model has more than {MAX_PARAMETERS:,} parameters"
    if units > MAX_UNITS:
        return (f"the model's layers have more than {MAX_UNITS:,} outputs together (the sum of "
                f"each layer's width)")
    return None


def rebuild_model(reference, layers):
    """The exported ``layers`` as a Sequential of the REFERENCE's layers (trusted)."""
    built = []
    for layer in layers:
        if layer["type"] == "Linear":
            built.append(_linear(reference, layer["W"], layer["b"]))
        else:
            built.append(getattr(reference.layers, layer["type"])())
    return reference.network.Sequential(*built)


def judge_mlp_digits(got, case, reference):
    """Trusted: rebuild the exported model with the reference's layers and require at
    least 93% accuracy on the held-out digits (images no release contains)."""
    from nncourse.grader.heldout import digits  # trusted worker only: not in the sandbox

    problem = _architecture_problem(got)
    if problem:
        return problem
    X_test, y_test = digits()
    with np.errstate(all="ignore"):
        score = reference.train.accuracy(rebuild_model(reference, got["layers"]), X_test, y_test)
    if not score >= MIN_ACCURACY:
        return (f"digits_model classifies less than {MIN_ACCURACY:.0%} of the held-out digits (images you "
                f"have not seen) correctly; if training does not reduce the loss, check the gradient tests")
    return None


CHECKS = [
    Check("test_linear_forward", probe_linear_forward, visible_linear_forward_cases),
    Check("test_linear_forward_hidden", probe_linear_forward, hidden_linear_forward_cases),
    Check("test_linear_backward", probe_linear_backward, visible_linear_backward_cases),
    Check("test_linear_backward_hidden", probe_linear_backward, hidden_linear_backward_cases),
    Check("test_sequential_backward", probe_sequential_backward, visible_sequential_cases),
    Check("test_sequential_backward_hidden", probe_sequential_backward, hidden_sequential_cases),
    Check("test_worked_example", probe_worked_example, worked_example_cases),
    Check("test_sgd_step", probe_sgd_step, visible_sgd_cases),
    Check("test_sgd_step_hidden", probe_sgd_step, hidden_sgd_cases),
    # a margin for correct variants (x[i] += h; x[i] -= 2 h; ...), whose f may differ by an ulp,
    # ~1e-10 in the estimate where the gradient is near 0; every catalogued mistake is off by >= 1e-5
    Check("test_numerical_gradient", probe_numerical_gradient, visible_numerical_gradient_cases,
          rtol=1e-6, atol=1e-8),
    Check("test_numerical_gradient_hidden", probe_numerical_gradient, hidden_numerical_gradient_cases,
          rtol=1e-6, atol=1e-8),
    Check("test_softplus", probe_softplus, visible_softplus_cases),
    # the derivative to rounding (every exact form of sigmoid is within 1e-13 relative, or
    # 1e-10 absolute where it underflows); the visible cell's own centred differences,
    # pasted in as backward, are 1e-9 off at |x| of hundreds
    Check("test_softplus_hidden", probe_softplus, hidden_softplus_cases, rtol=1e-11),
    Check("test_fixed_backward", probe_fixed_backward, visible_fixed_backward_cases,
          judge=judge_fixed_backward_visible),
    Check("test_fixed_backward_hidden", probe_fixed_backward, hidden_fixed_backward_cases,
          judge=judge_fixed_backward),
    Check("test_mlp_digits", probe_mlp_digits, judge=judge_mlp_digits),
]
