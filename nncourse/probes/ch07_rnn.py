"""Chapter 7's graded tests as checks: the RNN step (forward and backward), the time loop
of backpropagation through time (``RNN.backward``), ``clip_grad_norm``, a recurrent model
trained on the adding problem and judged on sequences the student never sees, and the
optional LSTM (step forward and backward, ``LSTM.backward``; cells worth 0 points).

Each check mirrors one graded test cell of ``solutions/ch07_rnn``; see
:mod:`nncourse.probes.kit` for what each part does and where it runs.

Hidden cases draw the number of steps T at random with T = 1 in every batch (the last step
is then the first: it receives nothing from the future and its h_{t-1} is h0), an initial
state h0 that is not zero, D != H, and batch sizes other than the visible ones (1 and 2).

Isolation: the step kernels are graded on caches laid out as their docstrings fix, built
from values the trusted side computed with the reference (so ``rnn_step_backward`` does
not depend on the student's forward). ``RNN.backward`` and ``LSTM.backward`` are graded
with scripted stand-ins for the step kernels (:class:`StepScript`): the stand-in forward
returns drawn states and an opaque cache token, the stand-in backward records what the
loop hands it (which step's cache, which dh) and returns drawn gradients; so the check
grades the loop alone: its order, the recurrent term added to each step's dh, the sums
over t and dh0. The trained model is exported as plain data and rebuilt by the trusted
judge with the REFERENCE's layers. This module is shipped into the sandbox, so it holds
no correct implementation of a graded function.
"""
import numbers

import numpy as np

from .kit import Check, with_standins

VISIBLE_BATCHES = (1, 2)


def _floats(value):
    """A float64 copy of ``value``, or None (so None is graded as 'not an array')."""
    try:
        return None if value is None else np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _arrays(case, *keys):
    return [np.array(case[k], dtype=np.float64) for k in keys]


def _result_tuple(result, size):
    """``result`` as a list of ``size`` float64 arrays (None where it is not one)."""
    if not isinstance(result, (tuple, list)) or len(result) != size:
        return [None] * size
    return [_floats(part) for part in result]


def _batch(rng):
    """A batch size the visible cells never use."""
    return int(rng.choice([3, 4, 5]))


def _sizes(rng):
    """(D, H), different."""
    D = int(rng.integers(1, 6))
    return D, int(rng.choice([h for h in range(2, 7) if h != D]))


def _steps(rng, trial):
    """T: 1 on trial 0 (and every fifth), else 2 to 6."""
    return 1 if trial % 5 == 0 else int(rng.integers(2, 7))


# rnn_step_forward ---------------------------------------------------------------------------

RNN_STEP_KEYS = ("x_t", "h_prev", "W_xh", "W_hh", "h_t")


def probe_rnn_step_forward(nnlib, case, namespace):
    """``rnn_step_forward(x, h_prev, W_xh, W_hh, b)``: h_t, the cache's five parts (as its
    docstring fixes them) and the inputs afterwards."""
    x, h_prev, W_xh, W_hh, b = _arrays(case, "x", "h_prev", "W_xh", "W_hh", "b")
    result = nnlib.recurrent.rnn_step_forward(x, h_prev, W_xh, W_hh, b)
    h_t, cache = result if isinstance(result, tuple) and len(result) == 2 else (None, None)
    return {"h_t": _floats(h_t), "cache": _result_tuple(cache, 5),
            "inputs": [x, h_prev, W_xh, W_hh, b]}


def rnn_weights(rng, D, H, scale=0.7):
    return {"W_xh": rng.normal(scale=scale, size=(H, D)), "W_hh": rng.normal(scale=scale, size=(H, H)),
            "b": rng.normal(scale=0.5, size=H)}


def visible_rnn_step_cases(rng, reference):
    """The cell's examples: the hand-worked step (D = 1, H = 2), then N = 2, D = 3, H = 4
    (seed 70)."""
    hand = {"x": [[1.0]], "h_prev": [[0.5, -1.0]], "W_xh": [[0.5], [-1.0]],
            "W_hh": [[1.0, 0.0], [2.0, 1.0]], "b": [0.0, 0.5]}
    seeded = np.random.default_rng(70)
    random = dict(x=seeded.normal(size=(2, 3)), h_prev=seeded.normal(size=(2, 4)),
                  **rnn_weights(seeded, 3, 4))
    return [hand, random]


def _rnn_step_case(rng):
    D, H = _sizes(rng)
    N = _batch(rng)
    return dict(x=rng.normal(size=(N, D)), h_prev=rng.uniform(-0.9, 0.9, size=(N, H)),
                **rnn_weights(rng, D, H))


def hidden_rnn_step_forward_cases(rng, reference):
    """10 random steps: D != H, batches of 3-5, a previous state that is not zero."""
    return [_rnn_step_case(rng) for _ in range(10)]


# rnn_step_backward --------------------------------------------------------------------------


def probe_rnn_step_backward(nnlib, case, namespace):
    """``rnn_step_backward(dh, cache)`` on the documented cache (x_t, h_prev, W_xh, W_hh,
    h_t) of the reference's forward: the five gradients, and dh and the cache afterwards."""
    dh, *cache = _arrays(case, "dh", *RNN_STEP_KEYS)
    dx, dh_prev, dW_xh, dW_hh, db = _result_tuple(nnlib.recurrent.rnn_step_backward(dh, tuple(cache)), 5)
    return {"dx_t": dx, "dh_prev": dh_prev, "dW_xh": dW_xh, "dW_hh": dW_hh, "db": db,
            "dh": dh, "cache": cache}


def _with_step_cache(rng, reference, case):
    """The case with h_t from the reference's step and a random upstream dh."""
    x, h_prev, W_xh, W_hh, b = (np.asarray(case[k], dtype=np.float64)
                                for k in ("x", "h_prev", "W_xh", "W_hh", "b"))
    h_t, _ = reference.recurrent.rnn_step_forward(x, h_prev, W_xh, W_hh, b)
    return {"x_t": x, "h_prev": h_prev, "W_xh": W_xh, "W_hh": W_hh, "h_t": h_t,
            "dh": rng.normal(size=h_t.shape)}


def visible_rnn_step_backward_cases(rng, reference):
    """The forward cell's examples with dh = ones (hand-worked) and normal (seed 71)."""
    hand, random = visible_rnn_step_cases(rng, reference)
    first = _with_step_cache(rng, reference, hand)
    first["dh"] = np.ones_like(first["h_t"])
    return [first, _with_step_cache(np.random.default_rng(71), reference, random)]


def hidden_rnn_step_backward_cases(rng, reference):
    """10 random steps as for the forward test, each with a random dh."""
    return [_with_step_cache(rng, reference, _rnn_step_case(rng)) for _ in range(10)]


# RNN.backward and LSTM.backward: the time loop, with scripted steps --------------------------


class StepScript:
    """Stand-ins for one recurrent cell's step kernels.

    ``forward(x_t, *states, *weights)`` returns the next drawn states and the cache token
    ``[t]`` (t counts the forward calls); ``backward(*upstream, cache)`` records the
    upstream arrays and the token it was given and returns the drawn gradients of that
    step: ``grads[t]`` is ``(dx_t, d<state>_prev..., dW_in, dW_rec, db)``.
    """

    def __init__(self, states, grads, n_states):
        self.states, self.grads, self.n_states = states, grads, n_states
        self.forward_calls, self.backward_calls = 0, []

    def forward(self, *args):
        t = self.forward_calls
        if t >= len(self.states):
            raise RuntimeError("a scripted step was called more often than the test expects")
        self.forward_calls += 1
        return (*[np.array(s) for s in self.states[t]], ["step", t])

    def backward(self, *args, **kwargs):
        names = ("dh_t", "dc_t", "cache") if self.n_states == 2 else ("dh_t", "cache")
        args = list(args) + [kwargs[name] for name in names[len(args):] if name in kwargs]
        if len(args) != len(names):
            raise TypeError(f"the step backward takes {', '.join(names)}")
        *upstream, cache = args
        if len(self.backward_calls) >= len(self.grads):
            raise RuntimeError("a scripted step was called more often than the test expects")
        t = cache[1] if isinstance(cache, list) and len(cache) == 2 and cache[0] == "step" else -1
        self.backward_calls.append((int(t) if isinstance(t, int) else -1, [_floats(u) for u in upstream]))
        if not 0 <= t < len(self.grads):
            raise RuntimeError("the backward step did not receive a cache of the forward pass")
        return tuple(np.array(g) for g in self.grads[t])


def _run_loop(nnlib, case, lstm):
    """Build the layer with the case's weights, run forward(x, h0[, c0]) and backward(dhs)
    with scripted steps; what backward returned and set, and what the steps received."""
    kind = "lstm" if lstm else "rnn"
    names = (f"{kind}_step_forward", f"{kind}_step_backward")
    x, dhs, h0 = _arrays(case, "x", "dhs", "h0")
    N, T, D = x.shape
    H = h0.shape[1]
    layer = (nnlib.layers.LSTM if lstm else nnlib.layers.RNN)(D, H, rng=0)
    keys = ("W_x", "W_h", "b") if lstm else ("W_xh", "W_hh", "b")
    for key in keys:
        layer.params[key] = np.array(case[key], dtype=np.float64)
    script = StepScript(case["states"], case["step_grads"], 2 if lstm else 1)
    states = (h0, np.array(case["c0"], dtype=np.float64)) if lstm else (h0,)

    held = layer.grads  # what an optimiser built before training holds

    def run():
        layer.forward(x, *states)
        return layer.backward(dhs)

    dx = with_standins([nnlib.recurrent], dict(zip(names, (script.forward, script.backward))), run)
    grads = getattr(layer, "grads", None)
    grads = grads if isinstance(grads, dict) else {}
    calls = script.backward_calls
    out = {"steps_backpropagated_in_order": [t for t, _ in calls],
           "dh_handed_to_each_step": [upstream[0] for _, upstream in calls]}
    if lstm:
        out["dc_handed_to_each_step"] = [upstream[1] for _, upstream in calls]
    out.update({"dx": _floats(dx), "grads": {k: _floats(grads.get(k)) for k in keys},
                "grads_set_in_the_dict_an_optimiser_holds": grads is held,
                "dh0": _floats(getattr(layer, "dh0", None))})
    if lstm:
        out["dc0"] = _floats(getattr(layer, "dc0", None))
    out["dhs"] = dhs
    return out


def probe_rnn_backward(nnlib, case, namespace):
    """``RNN.forward(x, h0)`` then ``backward(dhs)`` with scripted steps: which step each
    call of the step backward received and the dh it was handed (in call order), dx,
    grads (and whether they are in the dict the layer had before), dh0, and dhs afterwards."""
    return _run_loop(nnlib, case, lstm=False)


def loop_case(rng, N, T, D, H, lstm=False):
    """Weights, x, h0 (and c0), dhs, the scripted states and per-step gradients."""
    G = 4 * H if lstm else H
    case = {"x": rng.normal(size=(N, T, D)), "h0": rng.normal(size=(N, H)),
            "dhs": rng.normal(size=(N, T, H))}
    keys = ("W_x", "W_h", "b") if lstm else ("W_xh", "W_hh", "b")
    for key, shape in zip(keys, ((G, D), (G, H), (G,))):
        case[key] = rng.normal(size=shape)
    n_states = 2 if lstm else 1
    case["states"] = [[rng.normal(size=(N, H)) for _ in range(n_states)] for _ in range(T)]
    shapes = [(N, D)] + [(N, H)] * n_states + [(G, D), (G, H), (G,)]
    case["step_grads"] = [[rng.normal(size=s) for s in shapes] for _ in range(T)]
    if lstm:
        case["c0"] = rng.normal(size=(N, H))
    return case


def visible_rnn_backward_cases(rng, reference):
    """N = 2, T = 3, D = 3, H = 4 (seed 72) and N = 1, T = 1, D = 2, H = 3 (seed 73)."""
    return [loop_case(np.random.default_rng(72), 2, 3, 3, 4),
            loop_case(np.random.default_rng(73), 1, 1, 2, 3)]


def _hidden_loop_cases(rng, lstm):
    cases = []
    for trial in range(10):
        D, H = _sizes(rng)
        cases.append(loop_case(rng, _batch(rng), _steps(rng, trial), D, H, lstm))
    return cases


def hidden_rnn_backward_cases(rng, reference):
    """10 random sequences: T from 1 to 6 (T = 1 twice), D != H, batches of 3-5, h0 not zero."""
    return _hidden_loop_cases(rng, lstm=False)


# clip_grad_norm -----------------------------------------------------------------------------


def probe_clip(nnlib, case, namespace):
    """``clip_grad_norm(grads, max_norm)``: the returned norm and the arrays afterwards."""
    grads = [np.array(g, dtype=np.float64) for g in case["grads"]]
    norm = nnlib.optim.clip_grad_norm(grads, float(case["max_norm"]))
    ok = isinstance(norm, numbers.Real) and not isinstance(norm, bool) or \
        (isinstance(norm, np.ndarray) and norm.shape == ())
    return {"norm": float(norm) if ok else None, "grads": grads}


def visible_clip_cases(rng, reference):
    """The cell's examples: [3, 4] and [[12]] (norm 13) clipped to 6.5, left alone at 20,
    and three normal arrays of shapes (2, 3), (4,), (3, 2, 2) (seed 74) clipped to 1."""
    small = [[3.0, 4.0], [[12.0]]]
    seeded = np.random.default_rng(74)
    return [{"grads": small, "max_norm": 6.5}, {"grads": small, "max_norm": 20.0},
            {"grads": [seeded.normal(size=s) for s in ((2, 3), (4,), (3, 2, 2))], "max_norm": 1.0}]


def hidden_clip_cases(rng, reference):
    """12 random lists of 1-4 arrays (scalars to 3-d), max_norm above the norm in a third of
    them and below it (by a factor of 1.5 to 20) in the rest."""
    cases = []
    for trial in range(12):
        shapes = [tuple(int(v) for v in rng.integers(1, 4, size=int(rng.integers(0, 4))))
                  for _ in range(int(rng.integers(1, 5)))]
        grads = [rng.normal(scale=float(rng.choice([0.5, 3.0])), size=s) for s in shapes]
        norm = float(np.sqrt(sum(np.sum(g * g) for g in grads)))
        factor = rng.uniform(1.2, 3.0) if trial % 3 == 0 else 1.0 / rng.uniform(1.5, 20.0)
        cases.append({"grads": grads, "max_norm": norm * factor})
    return cases


# lstm_step_forward / lstm_step_backward (optional) ------------------------------------------

LSTM_STEP_KEYS = ("x_t", "h_prev", "c_prev", "W_x", "W_h", "gates", "c_t")


def probe_lstm_step_forward(nnlib, case, namespace):
    """``lstm_step_forward(x, h_prev, c_prev, W_x, W_h, b)``: h_t, c_t, the cache's seven
    parts and the inputs afterwards."""
    inputs = _arrays(case, "x", "h_prev", "c_prev", "W_x", "W_h", "b")
    result = nnlib.recurrent.lstm_step_forward(*inputs)
    h_t, c_t, cache = result if isinstance(result, tuple) and len(result) == 3 else (None, None, None)
    return {"h_t": _floats(h_t), "c_t": _floats(c_t), "cache": _result_tuple(cache, 7), "inputs": inputs}


def lstm_weights(rng, D, H):
    return {"W_x": rng.normal(scale=0.7, size=(4 * H, D)), "W_h": rng.normal(scale=0.7, size=(4 * H, H)),
            "b": rng.normal(scale=0.5, size=4 * H)}


def visible_lstm_step_cases(rng, reference):
    """N = 2, D = 3, H = 4 (seed 75) and N = 1, D = 2, H = 2 (seed 76)."""
    cases = []
    for seed, (N, D, H) in ((75, (2, 3, 4)), (76, (1, 2, 2))):
        seeded = np.random.default_rng(seed)
        cases.append(dict(x=seeded.normal(size=(N, D)), h_prev=seeded.normal(size=(N, H)),
                          c_prev=seeded.normal(size=(N, H)), **lstm_weights(seeded, D, H)))
    return cases


def _lstm_step_case(rng):
    D, H = _sizes(rng)
    N = _batch(rng)
    return dict(x=rng.normal(size=(N, D)), h_prev=rng.uniform(-0.9, 0.9, size=(N, H)),
                c_prev=rng.normal(size=(N, H)), **lstm_weights(rng, D, H))


def hidden_lstm_step_forward_cases(rng, reference):
    """8 random steps: D != H, batches of 3-5, previous states that are not zero."""
    return [_lstm_step_case(rng) for _ in range(8)]


def probe_lstm_step_backward(nnlib, case, namespace):
    """``lstm_step_backward(dh, dc, cache)`` on the documented cache of the reference's
    forward: the six gradients, and dh, dc and the cache afterwards."""
    dh, dc, *cache = _arrays(case, "dh", "dc", *LSTM_STEP_KEYS)
    parts = _result_tuple(nnlib.recurrent.lstm_step_backward(dh, dc, tuple(cache)), 6)
    out = dict(zip(("dx_t", "dh_prev", "dc_prev", "dW_x", "dW_h", "db"), parts))
    out.update(dh=dh, dc=dc, cache=cache)
    return out


def _with_lstm_cache(rng, reference, case):
    inputs = [np.asarray(case[k], dtype=np.float64) for k in ("x", "h_prev", "c_prev", "W_x", "W_h", "b")]
    h_t, c_t, cache = reference.recurrent.lstm_step_forward(*inputs)
    return {**dict(zip(LSTM_STEP_KEYS, [np.array(part) for part in cache])),
            "dh": rng.normal(size=h_t.shape), "dc": rng.normal(size=c_t.shape)}


def visible_lstm_step_backward_cases(rng, reference):
    """The forward cell's examples with normal dh and dc (seed 77)."""
    seeded = np.random.default_rng(77)
    return [_with_lstm_cache(seeded, reference, case) for case in visible_lstm_step_cases(rng, reference)]


def hidden_lstm_step_backward_cases(rng, reference):
    """8 random steps as for the forward test, each with random dh and dc."""
    return [_with_lstm_cache(rng, reference, _lstm_step_case(rng)) for _ in range(8)]


def probe_lstm_backward(nnlib, case, namespace):
    """``LSTM.forward(x, h0, c0)`` then ``backward(dhs)`` with scripted steps: dx, grads,
    dh0, dc0, the (step, dh, dc) of every backward step call in order, dhs afterwards."""
    return _run_loop(nnlib, case, lstm=True)


def visible_lstm_backward_cases(rng, reference):
    """N = 2, T = 3, D = 3, H = 2 (seed 78) and N = 1, T = 1, D = 2, H = 3 (seed 79)."""
    return [loop_case(np.random.default_rng(78), 2, 3, 3, 2, lstm=True),
            loop_case(np.random.default_rng(79), 1, 1, 2, 3, lstm=True)]


def hidden_lstm_backward_cases(rng, reference):
    """10 random sequences as for RNN.backward."""
    return _hidden_loop_cases(rng, lstm=True)


# The trained model: the adding problem --------------------------------------------------------

SEQ_LEN = 20  # steps per sequence
N_TRAIN = 2000  # nnlib.data.adding_problem(N_TRAIN, SEQ_LEN, rng=0), what the probe trains on
N_HELDOUT = 1000  # fresh sequences the trusted judge draws (from a seed the sandbox never sees)
# Held-out MSE, measured on this course's machine through this judge: the notebook's recipe
# (RNN(2, 32), Linear(32, 1); SGD lr 0.05, momentum 0.9, batches of 32, 30 epochs,
# clip_grad_norm 1.0) reaches 0.004-0.027 over seeds 0-59 (mean 0.010) in 1-2 s; predicting
# the mean scores 1/6 ~ 0.167. (With RNN(2, 16): 0.007-0.070, mean 0.018, over seeds 0-29.)
# The target leaves three times the worst seed and half the mean predictor's error.
MAX_HELDOUT_MSE = 0.08
REFERENCE_HELDOUT_MSE = 0.01
BASELINE_MSE = 1 / 6
MAX_HIDDEN = 256  # a rebuilt LSTM of this size is judged in ~2 s
# The graded run's budget (s): the reference trains in 1-2 s alone, 2-4 s on a loaded machine.
TRAINING_BUDGET = 60.0
RECURRENT_KEYS = {"RNN": ("W_xh", "W_hh", "b"), "LSTM": ("W_x", "W_h", "b")}


def training_cases(rng, reference):
    """A secret seed for the run's generator (the training data is the notebook's,
    ``adding_problem(N_TRAIN, SEQ_LEN, rng=0)``; the judge's sequences come from a seed
    derived on the trusted side only)."""
    return [{"seed": int(rng.integers(2 ** 31))}]


def _export(layer, keys):
    params = getattr(layer, "params", None)
    params = params if isinstance(params, dict) else {}
    return {"type": type(layer).__name__, "params": {k: _floats(params.get(k)) for k in keys}}


def probe_adding_training(nnlib, case, namespace):
    """Run the notebook's ``train_adding(X, y, rng)`` with ``default_rng(seed)`` and export
    the ``(recurrent, head)`` pair it returns."""
    train = (namespace or {}).get("train_adding")
    if not callable(train):
        return {"found": False, "pair": False, "recurrent": None, "head": None}
    X, y = nnlib.data.adding_problem(N_TRAIN, SEQ_LEN, rng=0)
    result = train(X, y, np.random.default_rng(case["seed"]))
    if not (isinstance(result, tuple) and len(result) == 2):
        return {"found": True, "pair": False, "recurrent": None, "head": None}
    recurrent, head = result
    keys = RECURRENT_KEYS.get(type(recurrent).__name__, ())
    return {"found": True, "pair": True, "recurrent": _export(recurrent, keys),
            "head": _export(head, ("W", "b"))}


def _numbers(value):
    return isinstance(value, np.ndarray) and value.dtype.kind in "iuf"


def _model_problem(got):
    """What is wrong with the exported model's structure and size (trusted), or None."""
    if not isinstance(got, dict) or got.get("found") is not True:
        return "there is no function train_adding: run the cell of Task 5 that defines it"
    if got.get("pair") is not True:
        return "train_adding must return a pair (recurrent layer, head)"
    recurrent, head = got.get("recurrent"), got.get("head")
    kind = recurrent.get("type") if isinstance(recurrent, dict) else None
    if not isinstance(kind, str) or kind not in RECURRENT_KEYS:
        return "the first item train_adding returns must be an nnlib.layers.RNN or an nnlib.layers.LSTM"
    if not isinstance(head, dict) or not isinstance(head.get("type"), str) or head["type"] != "Linear":
        return "the second item train_adding returns must be an nnlib.layers.Linear (the head)"
    params, gates = recurrent.get("params"), 4 if kind == "LSTM" else 1
    W_in, W_rec, b = (params.get(k) if isinstance(params, dict) else None for k in RECURRENT_KEYS[kind])
    if not all(_numbers(a) for a in (W_in, W_rec, b)) or W_rec.ndim != 2 or W_rec.shape[1] < 1:
        return f"the {kind}'s parameters must be arrays of numbers"
    H = W_rec.shape[1]
    if H > MAX_HIDDEN:
        return f"the model is too large to judge: its hidden size must be at most {MAX_HIDDEN}"
    if W_rec.shape != (gates * H, H) or W_in.shape != (gates * H, 2) or b.shape != (gates * H,):
        return (f"the {kind}'s parameters have the wrong shapes: for hidden size H its weights must be "
                f"({gates * H if gates > 1 else 'H'}, 2) and ({'4H' if gates > 1 else 'H'}, H) and its bias "
                f"({'4H' if gates > 1 else 'H'},) (the adding problem has D = 2 inputs per step)")
    head_params = head.get("params") if isinstance(head.get("params"), dict) else {}
    W, bh = head_params.get("W"), head_params.get("b")
    if not (_numbers(W) and _numbers(bh) and W.shape == (1, H) and bh.shape == (1,)):
        return f"the head must be a Linear({H}, 1): W of shape (1, {H}) and b of shape (1,)"
    if not all(np.all(np.isfinite(a)) for a in (W_in, W_rec, b, W, bh)):
        return "the model's parameters contain inf or nan"
    return None


def rebuild(reference, got):
    """The exported pair as the REFERENCE's layers (trusted)."""
    recurrent, head = got["recurrent"], got["head"]
    kind, keys = recurrent["type"], RECURRENT_KEYS[recurrent["type"]]
    H = recurrent["params"][keys[1]].shape[1]
    layer = getattr(reference.layers, kind)(2, H, rng=0)
    for key in keys:
        layer.params[key] = np.array(recurrent["params"][key], dtype=np.float64)
    linear = reference.layers.Linear(H, 1, rng=0)
    linear.params["W"] = np.array(head["params"]["W"], dtype=np.float64)
    linear.params["b"] = np.array(head["params"]["b"], dtype=np.float64)
    return layer, linear


def heldout_mse(reference, layer, head, X, y):
    """Mean squared error of ``head(layer(X)[:, -1])`` against y (the plain MSE, not half)."""
    with np.errstate(all="ignore"):
        prediction = head.forward(layer.forward(X)[:, -1])
        error = float(np.mean((prediction - y) ** 2))  # overflows to inf silently (fails below)
    return error if np.isfinite(error) else float("inf")


def judge_adding_training(got, case, reference):
    """Trusted: rebuild the returned model with the reference's layers and require a mean
    squared error of at most :data:`MAX_HELDOUT_MSE` on fresh adding-problem sequences."""
    from nncourse.grader.heldout import adding_sequences  # trusted worker only: not in the sandbox

    problem = _model_problem(got)
    if problem:
        return problem
    X, y = adding_sequences(reference, case.get("seed", 0), N_HELDOUT, SEQ_LEN)
    error = heldout_mse(reference, *rebuild(reference, got), X, y)
    if not error <= MAX_HELDOUT_MSE:
        return (f"the model train_adding returned (run with a generator of the grader's seed) has a mean "
                f"squared error above {MAX_HELDOUT_MSE} on {N_HELDOUT} fresh adding-problem sequences of "
                f"{SEQ_LEN} steps (sequences you have not seen); predicting the mean scores about "
                f"{BASELINE_MSE:.3f} and the notebook's recipe about {REFERENCE_HELDOUT_MSE}. Check your "
                f"layers' tests first, then your recipe on the validation set with several seeds")
    return None


CHECKS = [
    Check("test_rnn_step_forward", probe_rnn_step_forward, visible_rnn_step_cases),
    Check("test_rnn_step_forward_hidden", probe_rnn_step_forward, hidden_rnn_step_forward_cases),
    Check("test_rnn_step_backward", probe_rnn_step_backward, visible_rnn_step_backward_cases),
    Check("test_rnn_step_backward_hidden", probe_rnn_step_backward, hidden_rnn_step_backward_cases),
    Check("test_rnn_backward", probe_rnn_backward, visible_rnn_backward_cases),
    Check("test_rnn_backward_hidden", probe_rnn_backward, hidden_rnn_backward_cases),
    Check("test_clip_grad_norm", probe_clip, visible_clip_cases),
    Check("test_clip_grad_norm_hidden", probe_clip, hidden_clip_cases),
    Check("test_adding_training", probe_adding_training, training_cases, judge=judge_adding_training,
          budget=TRAINING_BUDGET),
    Check("test_lstm_step_forward", probe_lstm_step_forward, visible_lstm_step_cases),
    Check("test_lstm_step_forward_hidden", probe_lstm_step_forward, hidden_lstm_step_forward_cases),
    Check("test_lstm_step_backward", probe_lstm_step_backward, visible_lstm_step_backward_cases),
    Check("test_lstm_step_backward_hidden", probe_lstm_step_backward, hidden_lstm_step_backward_cases),
    Check("test_lstm_backward", probe_lstm_backward, visible_lstm_backward_cases),
    Check("test_lstm_backward_hidden", probe_lstm_backward, hidden_lstm_backward_cases),
]
