"""Chapter 1's graded tests as checks: ``Perceptron.predict``, ``Perceptron.update``, ``fit``.

Each check mirrors one graded test cell of ``solutions/ch01_perceptron``; see
:mod:`nncourse.probes.kit` for what each part does and where it runs.
"""
import numpy as np

from .kit import Check, Scripted

GATES = {"and": ([1.0, 1.0], -1.5), "or": ([1.0, 1.0], -0.5), "nand": ([-1.0, -1.0], 1.5)}
GATE_INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]


def _perceptron(nnlib, w, b):
    p = nnlib.perceptron.Perceptron(len(w))
    p.w, p.b = np.array(w, dtype=np.float64), float(b)
    return p


def probe_predict(nnlib, case, namespace):
    """Labels for ``case["X"]`` with weights ``w``, bias ``b``; and the inputs afterwards."""
    p = _perceptron(nnlib, case["w"], case["b"])
    X = np.array(case["X"], dtype=np.float64)
    labels = p.predict(X)
    return {"labels": labels, "X": X, "w": p.w, "b": p.b}


def visible_predict_cases(rng, reference):
    cases = [{"w": w, "b": b, "X": GATE_INPUTS} for w, b in GATES.values()]
    cases.append({"w": [1.0, 1.0], "b": -1.0, "X": [[0.0, 1.0]]})  # z = 0 exactly
    cases.append({"w": [0.5, -1.0, 2.0], "b": 0.25, "X": np.arange(15.0).reshape(5, 3) - 7})
    return cases


def hidden_predict_cases(rng, reference):
    """Random N and D; every third case integer-valued with rows put on z = 0 exactly."""
    cases = []
    for trial in range(30):
        D, N = int(rng.integers(1, 7)), int(rng.integers(1, 51))
        if trial % 3:
            w, b = rng.normal(size=D), float(rng.normal())
            X = rng.normal(size=(N, D)) * rng.choice([0.1, 1.0, 10.0])
        else:
            w, b, X = _on_boundary(rng, D, N)
        cases.append({"w": w, "b": b, "X": X})
    return cases


def _on_boundary(rng, D, N):
    w = rng.integers(-3, 4, size=D).astype(np.float64)
    j = int(rng.integers(D))
    w[j] = 1.0
    b = float(rng.integers(-3, 4))
    X = rng.integers(-3, 4, size=(N, D)).astype(np.float64)
    rows = rng.random(N) < 0.5
    X[rows, j] = 0.0
    X[rows, j] = -b - X[rows] @ w
    return w, b, X


def probe_update(nnlib, case, namespace):
    """A sequence of updates from ``w0``, ``b0``; ``predict`` is a scripted stand-in that
    answers what the reference predicted at each step, so only ``update`` is graded."""
    p = _perceptron(nnlib, case["w0"], case["b0"])
    p.predict = Scripted([[label] for label in case["predictions"]])
    steps = []
    for x, t in zip(np.array(case["xs"], dtype=np.float64), case["targets"]):
        x_before = x.copy()
        error = p.update(x, int(t), case["lr"])
        steps.append({"error": np.asarray(error), "w": np.asarray(p.w, dtype=np.float64),
                      "b": np.asarray(p.b, dtype=np.float64), "x": x, "x_sent": x_before})
    return {"steps": steps}


def _with_predictions(reference, case):
    """``case`` plus the reference's prediction before each of its updates."""
    q = _perceptron(reference, case["w0"], case["b0"])
    predictions = []
    for x, t in zip(np.array(case["xs"], dtype=np.float64), case["targets"]):
        predictions.append(int(q.predict(x[None, :])[0]))
        q.update(x, int(t), case["lr"])
    return dict(case, predictions=predictions)


def visible_update_cases(rng, reference):
    X, y = reference.data.logic_gate("or")
    worked = {"w0": [0.0, 0.0], "b0": 0.0, "lr": 1.0, "xs": np.tile(X, (3, 1)), "targets": list(np.tile(y, 3))}
    half = {"w0": [0.5, -0.5], "b0": 0.25, "lr": 0.5, "xs": [[1.0, 2.0], [-1.0, 0.5], [2.0, -1.0]],
            "targets": [0, 1, 1]}
    return [_with_predictions(reference, c) for c in (worked, half)]


def hidden_update_cases(rng, reference):
    """Random D, rates, targets and starting weights; half exact (0/1 inputs, zero start)."""
    cases = []
    for trial in range(20):
        D, n = int(rng.integers(1, 7)), int(rng.integers(5, 30))
        if trial % 2 == 0:
            w0, b0, lr = np.zeros(D), 0.0, float(rng.choice([1.0, 0.5, 0.25, 2.0]))
            xs = rng.integers(0, 2, size=(n, D)).astype(np.float64)
        else:
            w0, b0, lr = rng.normal(size=D), float(rng.normal()), float(rng.uniform(0.01, 2.0))
            xs = rng.normal(size=(n, D))
        case = {"w0": w0, "b0": b0, "lr": lr, "xs": xs, "targets": [int(t) for t in rng.integers(0, 2, n)]}
        cases.append(_with_predictions(reference, case))
    return cases


def probe_fit(nnlib, case, namespace):
    """``fit`` from zero weights (the student's predict and update together)."""
    p = nnlib.perceptron.Perceptron(len(case["X"][0]))
    p.fit(np.array(case["X"], dtype=np.float64), np.array(case["y"]), epochs=case["epochs"])
    return {"mistakes": np.array(p.history["mistakes"], dtype=np.int64),
            "converged": bool(p.converged)}


def visible_fit_cases(rng, reference):
    return [dict(zip(("X", "y"), reference.data.logic_gate(g)), epochs=100) for g in ("and", "or")]


def hidden_fit_cases(rng, reference):
    seeds = rng.integers(0, 2**31, size=5)
    return [dict(zip(("X", "y"), reference.data.linearly_separable(60, margin=0.1, rng=int(s))[:2]),
                 epochs=1000) for s in seeds]


CHECKS = [
    Check("test_predict_gates", probe_predict, visible_predict_cases),
    Check("test_predict_hidden", probe_predict, hidden_predict_cases),
    Check("test_update_worked_example", probe_update, visible_update_cases),
    Check("test_update_hidden", probe_update, hidden_update_cases),
    Check("test_fit_gates", probe_fit, visible_fit_cases),
    Check("test_fit_hidden", probe_fit, hidden_fit_cases),
]
