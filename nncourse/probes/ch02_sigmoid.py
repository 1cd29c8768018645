"""Chapter 2's graded tests as checks: ``sigmoid``, ``sigmoid_prime``, ``mse``,
``binary_cross_entropy``, ``neuron_step`` and ``sigmoid_cross_entropy``.

Each check mirrors one graded test cell of ``solutions/ch02_sigmoid``; see
:mod:`nncourse.probes.kit` for what each part does and where it runs. Where a test turns
numpy warnings into errors, the probe reports whether the call ran without one
(:data:`NO_WARNING`). ``sigmoid_prime`` and ``neuron_step`` call other functions of the
chapter; their probes replace those by :class:`Lookup` tables of the reference's values,
so that only the function under test is graded and no correct code enters the sandbox.
"""
import numpy as np

from .kit import Check, fresh, unchanged, with_standins, without_warnings

NO_WARNING = "no numpy warning"
LN3, LN9 = np.log(3.0), np.log(9.0)
Z_BIG = [-1e4, -1e3, -40.0, 40.0, 1e3, 1e4]


class Lookup:
    """A stand-in for a function of arrays that answers from a table of the reference's
    values, never by computing.

    ``entries`` is a list of ``[args, result]``. A call whose arguments equal an entry's
    (same shapes, values within 1e-12) gets a copy of its result, as a pair
    ``(float, array)`` if ``pair``; any other call raises, since the reference never made it.
    """

    def __init__(self, entries, pair=False):
        self.entries = [([np.asarray(a, dtype=np.float64) for a in args], result)
                        for args, result in entries]
        self.pair = pair

    def __call__(self, *args):
        wanted = [np.asarray(a, dtype=np.float64) for a in args]
        for keys, result in self.entries:
            if len(keys) == len(wanted) and all(
                    k.shape == w.shape and np.allclose(w, k, rtol=1e-12, atol=1e-12)
                    for k, w in zip(keys, wanted)):
                return (float(result[0]), np.array(result[1])) if self.pair else np.array(result)
        raise LookupError("a stand-in was called with arguments the reference never used")


def centred_differences(loss, x, h):
    """``(loss(x + h e_i) - loss(x - h e_i)) / 2h`` for every entry ``i`` of ``x``."""
    numeric = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += h
        minus[i] -= h
        numeric[i] = (float(loss(plus)) - float(loss(minus))) / (2 * h)
    return numeric


# sigmoid -------------------------------------------------------------------------------

def probe_sigmoid(nnlib, case, namespace):
    """``sigmoid(z)`` with warnings made errors: whether none occurred, the values, whether
    they are float64, and whether ``z`` is unchanged."""
    z = fresh(case["z"])
    got, clean = without_warnings(nnlib.activations.sigmoid, z)
    if not clean:
        return {NO_WARNING: False}
    values = np.asarray(got)
    return {NO_WARNING: True, "sigmoid(z)": values,
            "dtype is float64": bool(values.dtype == np.float64),
            "z unchanged": unchanged(z, case["z"])}


def visible_sigmoid_cases(rng, reference):
    """The cell's inputs: 0 (a number), ln 3 and ln 9 values, -8..8 both ways (symmetry),
    a (2, 3) batch, integers, and abs(z) up to 1e4."""
    ramp = np.linspace(-8.0, 8.0, 17)
    zs = [0.0, np.array([0.0, LN3, -LN3, LN9, -LN9]), ramp, -ramp,
          np.array([[-1.0, 0.0, 1.0], [2.0, -2.0, 0.0]]), np.array([-1, 0, 1]), np.array(Z_BIG)]
    return [{"z": z} for z in zs]


def hidden_sigmoid_cases(rng, reference):
    """24 random inputs: shapes () to (2, 5, 3), magnitudes 1 to 3e4, every 7th integer."""
    shapes = [(), (1,), (9,), (4, 3), (2, 5, 3), (64,)]
    cases = []
    for trial in range(24):
        shape = shapes[trial % len(shapes)]
        scale = [1.0, 5.0, 50.0, 1e3, 1e4, 3e4][(trial // 2) % 6]
        if trial % 7 == 6:
            z = np.asarray(rng.integers(-60, 61, size=shape), dtype=np.int64)
        else:
            z = np.asarray(rng.normal(size=shape) * scale)
        cases.append({"z": z})
    return cases


# sigmoid_prime -------------------------------------------------------------------------

def probe_sigmoid_prime(nnlib, case, namespace):
    """``sigmoid_prime(z)`` with warnings made errors; ``sigmoid`` answers from the
    reference's values of sigmoid(z) and sigmoid(-z)."""
    z = fresh(case["z"])
    table = Lookup(case["sigmoid"])
    got, clean = with_standins([nnlib.activations], {"sigmoid": table}, lambda: without_warnings(
        nnlib.activations.sigmoid_prime, z))
    if not clean:
        return {NO_WARNING: False}
    return {NO_WARNING: True, "sigmoid_prime(z)": np.asarray(got),
            "z unchanged": unchanged(z, case["z"])}


def _with_sigmoid_table(reference, z):
    """A sigmoid_prime case: ``z`` and the reference's sigmoid at ``z`` and ``-z``."""
    z64 = np.asarray(z, dtype=np.float64)
    table = [[[side], reference.activations.sigmoid(side)] for side in (z64, -z64)]
    return {"z": z, "sigmoid": table}


def visible_sigmoid_prime_cases(rng, reference):
    """The cell's inputs: 0, ln 3 and ln 9 values, abs(z) up to 1e4, a (3, 2) batch of
    zeros, and -6..6 in 49 steps (where the cell compares with centred differences)."""
    zs = [0.0, np.array([0.0, LN3, -LN3, LN9]), np.array(Z_BIG), np.zeros((3, 2)),
          np.linspace(-6.0, 6.0, 49)]
    return [_with_sigmoid_table(reference, z) for z in zs]


def hidden_sigmoid_prime_cases(rng, reference):
    """15 random inputs: shapes () to (2, 3, 4), magnitudes 1 to 2e4."""
    shapes = [(), (1,), (11,), (3, 4), (2, 3, 4)]
    return [_with_sigmoid_table(reference, np.asarray(
        rng.normal(size=shapes[trial % 5]) * [1.0, 8.0, 1e3, 2e4][trial % 4]))
        for trial in range(15)]


# mse and binary_cross_entropy ----------------------------------------------------------

def _loss_outputs(function, case, first, h):
    """The loss and gradient of ``function(first, target)`` with warnings made errors, whether
    the inputs are unchanged, and (if the case asks) centred differences of the loss."""
    pred, target = fresh(case[first]), fresh(case["target"])
    got, clean = without_warnings(function, pred, target)
    if not clean:
        return {NO_WARNING: False}
    loss, grad = got
    out = {NO_WARNING: True, "loss": np.asarray(loss), f"d{first}": np.asarray(grad),
           f"{first} unchanged": unchanged(pred, case[first]),
           "target unchanged": unchanged(target, case["target"])}
    if case.get("gradcheck"):
        out["centred differences of the loss"] = centred_differences(
            lambda x: without_warnings(function, x, target)[0][0], np.array(case[first]), h)
    return out


def probe_mse(nnlib, case, namespace):
    """``mse(pred, target)``: loss, dpred, inputs unchanged; centred differences (h = 1e-3,
    exact for a quadratic) when the case asks."""
    return _loss_outputs(nnlib.losses.mse, case, "pred", 1e-3)


def visible_mse_cases(rng, reference):
    """The 2x2 worked example, three single numbers, and a random (4, 3) batch."""
    gen = np.random.default_rng(0)
    return [{"pred": np.array([[1.0, 2.0], [3.0, 4.0]]), "target": np.array([[0.0, 2.0], [1.0, 1.0]])},
            {"pred": np.array([0.5, 0.0, 1.0]), "target": np.array([1.0, 0.0, 0.0])},
            {"pred": gen.normal(size=(4, 3)), "target": gen.normal(size=(4, 3)), "gradcheck": True}]


def _random_batch_shape(rng, trial):
    """Shape (N,), (N, K) or (N, K, M) by trial; N = 1 every fifth trial."""
    N = 1 if trial % 5 == 0 else int(rng.integers(2, 40))
    return [(N,), (N, int(rng.integers(1, 6))),
            (N, int(rng.integers(1, 4)), int(rng.integers(1, 4)))][trial % 3]


def hidden_mse_cases(rng, reference):
    """20 random batches of 1 to 3 dimensions, magnitudes 0.1 to 10."""
    cases = []
    for trial in range(20):
        shape = _random_batch_shape(rng, trial)
        scale = float(rng.choice([0.1, 1.0, 10.0]))
        cases.append({"pred": rng.normal(size=shape) * scale, "target": rng.normal(size=shape) * scale})
    return cases


def probe_bce(nnlib, case, namespace):
    """``binary_cross_entropy(p, target)`` with warnings made errors: loss, dp, inputs
    unchanged; centred differences (h = 1e-4) when the case asks."""
    return _loss_outputs(nnlib.losses.binary_cross_entropy, case, "p", 1e-4)


def visible_bce_cases(rng, reference):
    """The cell's worked examples, probabilities of exactly 0 and 1, and a random (3, 2)
    batch with hard and soft targets."""
    p3 = np.random.default_rng(0).uniform(0.05, 0.95, size=(3, 2))
    return [{"p": np.array([0.8, 0.25]), "target": np.array([1.0, 0.0])},
            {"p": np.array([[0.5, 0.9], [0.2, 0.5]]), "target": np.array([[1.0, 1.0], [0.0, 1.0]])},
            {"p": np.array([1.0, 0.0]), "target": np.array([1.0, 0.0])},
            {"p": np.array([0.0, 1.0]), "target": np.array([1.0, 0.0])},
            {"p": p3, "target": np.array([[1.0, 0.0], [0.0, 0.3], [1.0, 0.8]]), "gradcheck": True}]


def hidden_bce_cases(rng, reference):
    """20 random batches of 1 to 3 dimensions; every other one with exact 0s and 1s among
    the probabilities; hard targets in half, soft in the other half."""
    cases = []
    for trial in range(20):
        shape = _random_batch_shape(rng, trial)
        p = rng.uniform(0.0, 1.0, size=shape)
        if trial % 2 == 1:
            p[rng.random(shape) < 0.2] = 0.0
            p[rng.random(shape) < 0.2] = 1.0
        hard = trial % 4 < 2
        target = rng.integers(0, 2, size=shape).astype(np.float64) if hard else rng.uniform(size=shape)
        cases.append({"p": p, "target": target})
    return cases


# neuron_step ---------------------------------------------------------------------------

LOSS_FUNCTIONS = {"mse": "mse", "bce": "binary_cross_entropy"}


def probe_neuron_step(nnlib, case, namespace):
    """``neuron_step`` with the activation, its derivative and the loss answering from the
    reference's values: the step, the loss before it, whether the inputs are unchanged, and (if
    the case asks) centred differences of the returned loss in ``w`` and ``b``."""
    f, f_prime = Lookup(case["f"]), Lookup(case["f_prime"])
    loss_fn = Lookup(case["loss_table"], pair=True)
    standins = {"ACTIVATIONS": {case["activation"]: (f, f_prime)},
                "LOSSES": {case["loss"]: loss_fn}, LOSS_FUNCTIONS[case["loss"]]: loss_fn}
    return with_standins([nnlib.neuron], standins, lambda: _step_outputs(nnlib.neuron.neuron_step, case))


def _step_outputs(neuron_step, case):
    """What :func:`probe_neuron_step` returns, once the stand-ins are in place."""
    X, t, w = fresh(case["X"]), fresh(case["t"]), fresh(case["w"])
    options = {"activation": case["activation"], "loss": case["loss"]}
    w_new, b_new, loss_value = neuron_step(X, t, w, case["b"], case["lr"], **options)
    out = {"w_new": np.asarray(w_new), "b_new": np.asarray(b_new),
           "loss before the step": np.asarray(loss_value),
           "w unchanged": unchanged(w, case["w"]), "X unchanged": unchanged(X, case["X"]),
           "t unchanged": unchanged(t, case["t"])}
    if case.get("gradcheck"):
        wb = np.append(case["w"], case["b"])
        out["centred differences of the loss in (w, b)"] = centred_differences(
            lambda v: neuron_step(case["X"].copy(), case["t"].copy(), v[:-1], float(v[-1]),
                                  case["lr"], **options)[2], wb, GRADCHECK_H)
    return out


GRADCHECK_H = 1e-6


def _evaluation_points(case):
    """The (w, b) at which the probe calls neuron_step: the case's, and if it asks for
    centred differences, each one nudged by +-h."""
    wb = np.append(np.asarray(case["w"], dtype=np.float64), case["b"])
    points = [wb]
    if case.get("gradcheck"):
        for i in range(len(wb)):
            for sign in (1.0, -1.0):
                nudged = wb.copy()
                nudged[i] += sign * GRADCHECK_H
                points.append(nudged)
    return points


def _with_tables(reference, case):
    """``case`` plus the reference's activation, derivative and loss values at every
    point the probe will visit (the tables its stand-ins answer from)."""
    f, f_prime = reference.activations.ACTIVATIONS[case["activation"]]
    loss_fn = {"mse": reference.losses.mse, "bce": reference.losses.binary_cross_entropy}[case["loss"]]
    X, t = np.asarray(case["X"], dtype=np.float64), np.asarray(case["t"], dtype=np.float64)
    tables = {"f": [], "f_prime": [], "loss_table": []}
    for wb in _evaluation_points(case):
        z = X @ wb[:-1] + wb[-1]
        a = f(z)
        tables["f"].append([[z], a])
        tables["f_prime"].append([[z], f_prime(z)])
        tables["loss_table"].append([[a, t], list(loss_fn(a, t))])
    return dict(case, **tables)


def visible_neuron_step_cases(rng, reference):
    """The worked example with mse and with bce, the delta rule on a square X, and two
    random (5, 3) data sets at lr = 1 with centred differences (tanh/mse, sigmoid/bce)."""
    X, t = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.0]]), np.array([1.0, 0.0, 1.0])
    cases = [dict(X=X, t=t, w=np.zeros(2), b=0.0, lr=2.0, activation="sigmoid", loss="mse"),
             dict(X=X, t=t, w=np.zeros(2), b=0.0, lr=0.5, activation="sigmoid", loss="bce"),
             dict(X=np.array([[1.0, 2.0], [3.0, 4.0]]), t=np.array([1.0, 0.0]), w=np.array([1.0, -1.0]),
                  b=0.5, lr=0.1, activation="linear", loss="mse")]
    gen = np.random.default_rng(0)
    X3, w3 = gen.normal(size=(5, 3)), gen.normal(size=3)
    for activation, loss, t3 in [("tanh", "mse", gen.normal(size=5)),
                                 ("sigmoid", "bce", np.array([1.0, 0.0, 0.0, 1.0, 1.0]))]:
        cases.append(dict(X=X3, t=t3, w=w3, b=0.3, lr=1.0, activation=activation, loss=loss,
                          gradcheck=True))
    return [_with_tables(reference, case) for case in cases]


COMBOS = [("sigmoid", "mse"), ("sigmoid", "bce"), ("tanh", "mse"), ("linear", "mse"),
          ("relu", "mse"), ("sigmoid", "bce")]


def hidden_neuron_step_cases(rng, reference):
    """24 random data sets over every activation and both losses; N = D every fourth
    trial, N = 1 in some; learning rates 0.01 to 3."""
    cases = []
    for trial in range(24):
        activation, loss = COMBOS[trial % len(COMBOS)]
        D = int(rng.integers(1, 7))
        N = D if trial % 4 == 0 else (1 if trial % 7 == 3 else int(rng.integers(2, 30)))
        X = rng.normal(size=(N, D)) * float(rng.choice([0.5, 1.0, 3.0]))
        hard = loss == "bce" or trial % 3 == 0
        t = rng.integers(0, 2, size=N).astype(np.float64) if hard else rng.normal(size=N)
        case = dict(X=X, t=t, w=rng.normal(size=D), b=float(rng.normal()),
                    lr=float(rng.uniform(0.01, 3.0)), activation=activation, loss=loss)
        cases.append(_with_tables(reference, case))
    return cases


# sigmoid_cross_entropy -----------------------------------------------------------------

def probe_sigmoid_ce(nnlib, case, namespace):
    """``sigmoid_cross_entropy(logits, target)`` with warnings made errors: loss, dlogits,
    inputs unchanged; centred differences (h = 1e-4) when the case asks."""
    return _loss_outputs(nnlib.losses.sigmoid_cross_entropy, case, "logits", 1e-4)


def visible_sigmoid_ce_cases(rng, reference):
    """The cell's inputs: zero logits, +-ln 3 (hand-worked), logits of +-1e4 with targets
    that agree and that disagree with them, and its random (4, 3) batch of moderate logits
    with hard and with fractional targets (centred differences)."""
    gen = np.random.default_rng(22)
    Z = gen.normal(size=(4, 3)) * 3.0
    hard = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    soft = np.array([[0.2, 0.5, 0.9], [0.0, 0.7, 1.0], [0.35, 0.1, 0.6], [1.0, 0.25, 0.8]])
    return [{"logits": np.zeros((2, 1)), "target": np.array([[1.0], [0.0]])},
            {"logits": np.array([LN3, -LN3]), "target": np.array([1.0, 0.0])},
            {"logits": np.array([[1e4, -1e4], [-1e4, 1e4]]), "target": np.array([[1.0, 0.0], [0.0, 1.0]])},
            {"logits": np.array([[1e4, -1e4], [-1e4, 1e4]]), "target": np.array([[0.0, 1.0], [1.0, 0.0]])},
            {"logits": np.array([1e4, -1e4, 40.0, -40.0]), "target": np.array([0.5, 0.25, 0.9, 0.0])},
            {"logits": Z, "target": hard, "gradcheck": True},
            {"logits": Z, "target": soft, "gradcheck": True}]


def hidden_sigmoid_ce_cases(rng, reference):
    """24 random batches of shape (N,), (N, K) or (N, K, M), N = 1 in some; magnitudes 0.1
    to 1e4 (some entries moved to +-1e4 outright); hard targets in half, fractional in the
    other half."""
    cases = []
    for trial in range(24):
        shape = _random_batch_shape(rng, trial)
        logits = rng.normal(size=shape) * float(rng.choice([0.1, 1.0, 10.0, 1e3, 1e4]))
        if trial % 3 == 2:
            logits[rng.random(shape) < 0.3] = 1e4
            logits[rng.random(shape) < 0.3] = -1e4
        hard = trial % 4 < 2
        target = rng.integers(0, 2, size=shape).astype(np.float64) if hard else rng.uniform(size=shape)
        cases.append({"logits": logits, "target": target})
    return cases


SIGMOID_TOLERANCE = {"rtol": 1e-9, "atol": 1e-15}
TIGHT = {"rtol": 1e-9, "atol": 1e-12}

CHECKS = [
    Check("test_sigmoid_values", probe_sigmoid, visible_sigmoid_cases, **SIGMOID_TOLERANCE),
    Check("test_sigmoid_hidden", probe_sigmoid, hidden_sigmoid_cases, **SIGMOID_TOLERANCE),
    Check("test_sigmoid_prime_values", probe_sigmoid_prime, visible_sigmoid_prime_cases,
          **SIGMOID_TOLERANCE),
    Check("test_sigmoid_prime_hidden", probe_sigmoid_prime, hidden_sigmoid_prime_cases,
          **SIGMOID_TOLERANCE),
    Check("test_mse_values", probe_mse, visible_mse_cases, **TIGHT),
    Check("test_mse_hidden", probe_mse, hidden_mse_cases, **TIGHT),
    Check("test_bce_values", probe_bce, visible_bce_cases),
    Check("test_bce_hidden", probe_bce, hidden_bce_cases),
    Check("test_neuron_step_values", probe_neuron_step, visible_neuron_step_cases, **TIGHT),
    Check("test_neuron_step_hidden", probe_neuron_step, hidden_neuron_step_cases, **TIGHT),
    Check("test_sigmoid_ce_values", probe_sigmoid_ce, visible_sigmoid_ce_cases, **TIGHT),
    Check("test_sigmoid_ce_hidden", probe_sigmoid_ce, hidden_sigmoid_ce_cases, **TIGHT),
]
