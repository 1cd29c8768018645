"""Chapter 3's graded tests as checks: ``softmax``, ``softmax_cross_entropy``,
``temperature_cross_entropy`` and the trained softmax regression on the digits.

Each check mirrors one graded test cell of ``solutions/ch03_softmax``; see
:mod:`nncourse.probes.kit` for what each part does and where it runs. Where a test turns
numpy warnings into errors, the probe reports whether the call ran without one
(:data:`NO_WARNING`). The ``softmax_cross_entropy`` probe replaces ``softmax`` and
``log_softmax`` by :class:`ShiftTable` lookups of the reference's values, so only the loss
is graded and no correct softmax enters the sandbox; the ``temperature_cross_entropy``
probe also replaces ``softmax_cross_entropy`` (:class:`LossTable`). The trained ``W`` and
``b`` are exported from the notebook and judged with the reference's softmax on held-out digits
that no student release contains (:mod:`nncourse.grader.heldout`).
"""
import numpy as np

from .kit import Check, fresh, unchanged, with_standins, without_warnings

NO_WARNING = "no numpy warning"
LN2, LN3, LN6 = np.log(2.0), np.log(3.0), np.log(6.0)
GRADCHECK_H = 1e-4
MIN_ACCURACY = 0.90
DIGITS_CLASSES, DIGITS_FEATURES = 10, 64


# softmax -------------------------------------------------------------------------------

def probe_softmax(nnlib, case, namespace):
    """``softmax(z[, axis])`` with warnings made errors: whether none occurred, the values,
    their sums along the axis, ``softmax(z + shift) - softmax(z)`` if the case has a
    ``shift`` (constant along the axis), and whether ``z`` is unchanged."""
    z, axis = fresh(case["z"]), case.get("axis", -1)
    options = {"axis": axis} if "axis" in case else {}
    P, clean = without_warnings(nnlib.activations.softmax, z, **options)
    if clean and "shift" in case:
        shifted, clean = without_warnings(nnlib.activations.softmax, case["z"] + case["shift"], **options)
    if not clean:
        return {NO_WARNING: False}
    P = np.asarray(P)
    out = {NO_WARNING: True, "softmax(z)": P}
    if P.shape == np.shape(z) and P.dtype.kind in "biuf":  # else 'softmax(z)' is wrong already
        out["sums along the axis"] = np.sum(P, axis=axis)
        if "shift" in case:
            out["softmax(z + shift) - softmax(z)"] = np.asarray(shifted) - P
    out["z unchanged"] = unchanged(z, case["z"])
    return out


def visible_softmax_cases(rng, reference):
    """The cell's exact fractions: three vectors, a (2, 3) batch, a square batch whose rows
    have very different maxima."""
    zs = [np.array([0.0, LN3]), np.array([0.0, LN2, LN3]), np.full(4, 5.0),
          np.array([[0.0, LN2, LN3], [LN3, LN3, 0.0]]),
          np.array([[0.0, LN3, 0.0], [10.0 + LN2, 10.0, 10.0], [-5.0, -5.0, -5.0 + LN6]])]
    return [{"z": z} for z in zs]


def visible_softmax_property_cases(rng, reference):
    """The cell's properties on its random (5, 7) Z: rows sum to 1, shift invariance (rows
    moved by -1000 to 1000), axis=0; and logits of size 1e4."""
    Z = np.random.default_rng(33).normal(size=(5, 7)) * 3.0
    shifts = np.array([[-1000.0], [-3.0], [0.5], [20.0], [1000.0]])
    big = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 0.0], [-1e4, -1e4, -1e4]])
    return [{"z": Z, "shift": shifts}, {"z": big}, {"z": Z, "axis": 0}]


def hidden_softmax_cases(rng, reference):
    """40 random arrays of 1 to 3 dimensions, every axis, magnitudes 0.1 to 1e4; every
    fifth moved by +-1e4 as a whole."""
    cases = []
    for trial in range(40):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 7, size=ndim))
        axis = int(rng.integers(-ndim, ndim))
        z = rng.normal(size=shape) * float(rng.choice([0.1, 1.0, 30.0, 1e3, 1e4]))
        if trial % 5 == 0:
            z = z + float(rng.choice([-1e4, 1e4]))  # every logit huge, of one sign
        cases.append({"z": z, "axis": axis})
    return cases


# softmax_cross_entropy -----------------------------------------------------------------

class ShiftTable:
    """A stand-in for ``softmax`` or ``log_softmax`` that answers from a table of the
    reference's values, never by computing.

    ``entries`` is a list of ``[z, axis, value]``. Both functions are unchanged when a
    constant is added along the axis, so ``z`` matches an entry when the two agree (within
    1e-12 of their size) after each has its mean along the axis subtracted. A single row
    (1-D, axis 0) also matches a row of a 2-D entry along axis 1. Any other call raises,
    since the reference never made it.
    """

    def __init__(self, entries):
        self.entries = [(int(axis), _centred(z, int(axis)), np.asarray(value)) for z, axis, value in entries]

    def __call__(self, z, axis=-1):
        z = np.asarray(z, dtype=np.float64)
        axis = int(axis) % max(z.ndim, 1)
        key, tolerance = _centred(z, axis), 1e-12 * max(1.0, np.max(np.abs(z), initial=0.0))
        for entry_axis, centred, value in self.entries:
            if entry_axis == axis and centred.shape == key.shape:
                if np.max(np.abs(centred - key), initial=0.0) <= tolerance:
                    return value.copy()
            elif key.ndim == 1 and entry_axis == 1 and centred.shape[1:] == key.shape:
                rows = np.flatnonzero(np.max(np.abs(centred - key), axis=1) <= tolerance)
                if rows.size:
                    return value[rows[0]].copy()
        raise LookupError("a stand-in was called with arguments the reference never used")


def _centred(z, axis):
    """``z`` minus its mean along ``axis`` (what softmax and log_softmax cannot see)."""
    z = np.asarray(z, dtype=np.float64)
    return z - np.mean(z, axis=axis, keepdims=True)


def probe_sce(nnlib, case, namespace):
    """``softmax_cross_entropy(logits, labels)`` with warnings made errors and ``softmax`` and
    ``log_softmax`` answering from the reference's values: the loss, dlogits, whether the
    inputs are unchanged, and (if the case asks) centred differences of the loss."""
    standins = {"softmax": ShiftTable(case["softmax"]), "log_softmax": ShiftTable(case["log_softmax"])}
    modules = (nnlib.activations, nnlib.losses)
    return with_standins(modules, standins, lambda: _sce_outputs(nnlib.losses.softmax_cross_entropy, case))


def _sce_outputs(sce, case):
    """What :func:`probe_sce` returns, once the stand-ins are in place."""
    logits, labels = fresh(case["logits"]), fresh(case["labels"])
    got, clean = without_warnings(sce, logits, labels)
    if not clean:
        return {NO_WARNING: False}
    loss, dlogits = got
    out = {NO_WARNING: True, "loss": np.asarray(loss), "dlogits": np.asarray(dlogits),
           "logits unchanged": unchanged(logits, case["logits"]),
           "labels unchanged": unchanged(labels, case["labels"])}
    if case.get("gradcheck"):
        out["centred differences of the loss"] = _centred_differences(
            lambda x: sce(x, case["labels"].copy())[0], case["logits"])
    return out


def _centred_differences(loss, x):
    """``(loss(x + h e_i) - loss(x - h e_i)) / 2h`` for every entry ``i`` of ``x``."""
    numeric = np.zeros_like(x, dtype=np.float64)
    for i, nudged in _nudged(x):
        numeric[i] = (float(loss(nudged[0])) - float(loss(nudged[1]))) / (2 * GRADCHECK_H)
    return numeric


def _nudged(x):
    """``(index, (x + h e_i, x - h e_i))`` for every entry ``i`` of ``x``."""
    for i in np.ndindex(np.shape(x)):
        plus, minus = np.array(x, dtype=np.float64), np.array(x, dtype=np.float64)
        plus[i] += GRADCHECK_H
        minus[i] -= GRADCHECK_H
        yield i, (plus, minus)


def _with_tables(reference, logits, labels, gradcheck=False):
    """A case: ``logits``, ``labels``, and the reference's softmax and log_softmax along
    both axes at the logits (and, for centred differences, at each nudged copy)."""
    logits = np.asarray(logits, dtype=np.float64)
    points = [logits] + ([x for _, pair in _nudged(logits) for x in pair] if gradcheck else [])
    case = {"logits": logits, "labels": np.asarray(labels, dtype=np.int64), "gradcheck": gradcheck}
    for name in ("softmax", "log_softmax"):
        function = getattr(reference.activations, name)
        case[name] = [[z, axis, function(z, axis=axis)] for z in points for axis in (0, 1)]
    return case


def visible_sce_cases(rng, reference):
    """The worked example, one example of two classes with either label, zero logits."""
    pairs = [([[0.0, LN3, 0.0], [LN2, 0.0, LN2]], [1, 0]), ([[0.0, LN3]], [1]), ([[0.0, LN3]], [0]),
             (np.zeros((3, 4)), [0, 3, 1])]
    return [_with_tables(reference, logits, labels) for logits, labels in pairs]


def visible_sce_stability_cases(rng, reference):
    """Logits of size 1e4 (one label at the maximum, one 1e4 below it), and the cell's
    random (4, 5) logits with centred differences of the loss."""
    logits = np.random.default_rng(303).normal(size=(4, 5))
    return [_with_tables(reference, [[1e4, 0.0, 0.0], [1e4, 0.0, 0.0]], [0, 1]),
            _with_tables(reference, logits, [2, 0, 4, 2], gradcheck=True)]


def hidden_sce_cases(rng, reference):
    """40 random batches: N 1 to 39, K 2 to 11, magnitudes 0.1 to 1e4."""
    cases = []
    for trial in range(40):
        N, K = int(rng.integers(1, 40)), int(rng.integers(2, 12))
        logits = rng.normal(size=(N, K)) * float(rng.choice([0.1, 1.0, 10.0, 1e3, 1e4]))
        cases.append(_with_tables(reference, logits, rng.integers(0, K, size=N)))
    return cases


# temperature_cross_entropy -------------------------------------------------------------

class LossTable:
    """A stand-in for ``softmax_cross_entropy`` that answers from a table of the reference's
    ``(loss, dlogits)``, never by computing.

    ``entries`` is a list of ``[logits, labels, loss, dlogits]``. The logits match an entry
    as a :class:`ShiftTable` matches (the loss cannot see a constant added to a row), the
    labels exactly; any other call raises.
    """

    def __init__(self, entries):
        self.entries = entries
        self.index = ShiftTable([[logits, 1, np.array(i)] for i, (logits, *_) in enumerate(entries)])

    def __call__(self, logits, labels):
        logits = np.asarray(logits, dtype=np.float64)
        if logits.ndim != 2:
            raise LookupError("a stand-in was called with arguments the reference never used")
        _, known_labels, loss, dlogits = self.entries[int(self.index(logits, axis=1))]
        if not np.array_equal(np.asarray(labels), known_labels):
            raise LookupError("a stand-in was called with arguments the reference never used")
        return float(loss), np.array(dlogits)


def probe_tce(nnlib, case, namespace):
    """``temperature_cross_entropy(logits, labels, tau)`` with warnings made errors and
    ``softmax``, ``log_softmax`` and ``softmax_cross_entropy`` answering from the
    reference's values: loss, dlogits, dtau, inputs unchanged, and (if the case asks)
    centred differences of the loss in the logits and in tau."""
    standins = {"softmax": ShiftTable(case["softmax"]), "log_softmax": ShiftTable(case["log_softmax"])}
    losses_standins = {**standins, "softmax_cross_entropy": LossTable(case["softmax_cross_entropy"])}

    def call():
        return with_standins((nnlib.losses,), losses_standins,
                             lambda: _tce_outputs(nnlib.losses.temperature_cross_entropy, case))

    return with_standins((nnlib.activations,), standins, call)


def _tce_outputs(tce, case):
    """What :func:`probe_tce` returns, once the stand-ins are in place."""
    logits, labels, tau = fresh(case["logits"]), fresh(case["labels"]), case["tau"]
    got, clean = without_warnings(tce, logits, labels, tau)
    if not clean:
        return {NO_WARNING: False}
    if not (isinstance(got, tuple) and len(got) == 3):
        return {NO_WARNING: True, "returns (loss, dlogits, dtau)": False}
    loss, dlogits, dtau = got
    out = {NO_WARNING: True, "returns (loss, dlogits, dtau)": True, "loss": np.asarray(loss),
           "dlogits": np.asarray(dlogits), "dtau": np.asarray(dtau),
           "logits unchanged": unchanged(logits, case["logits"]),
           "labels unchanged": unchanged(labels, case["labels"])}
    if case.get("gradcheck"):
        out["centred differences of the loss in the logits"] = _centred_differences(
            lambda x: tce(x, case["labels"].copy(), tau)[0], case["logits"])
        out["centred difference of the loss in tau"] = _centred_differences(
            lambda t: tce(case["logits"].copy(), case["labels"].copy(), float(t[0]))[0], np.array([tau]))
    return out


def _tce_case(reference, logits, labels, tau, gradcheck=False):
    """A case: ``logits``, ``labels``, ``tau``, and the reference's softmax, log_softmax and
    softmax_cross_entropy at every ``logits / tau`` the loss may be asked for (for
    centred differences, also at each nudged copy of the logits and at ``tau +- h``)."""
    logits, labels = np.asarray(logits, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    points = [(logits, tau)]
    if gradcheck:
        points += [(x, tau) for _, pair in _nudged(logits) for x in pair]
        points += [(logits, tau + GRADCHECK_H), (logits, tau - GRADCHECK_H)]
    scaled = [z / t for z, t in points]
    case = {"logits": logits, "labels": labels, "tau": float(tau), "gradcheck": gradcheck}
    for name in ("softmax", "log_softmax"):
        function = getattr(reference.activations, name)
        case[name] = [[u, axis, function(u, axis=axis)] for u in scaled for axis in (0, 1)]
    case["softmax_cross_entropy"] = [[u, labels, *reference.losses.softmax_cross_entropy(u, labels)]
                                     for u in scaled]
    return case


def visible_tce_cases(rng, reference):
    """The cell's hand-worked cases (logits (0, ln 3) at tau = 1 and 2 with either label,
    zero logits at tau = 0.5), logits of size 1e4 at tau = 0.01 and 100, and its random
    (3, 4) logits at tau = 1 and at tau = 0.7 with centred differences."""
    one = [[0.0, LN3]]
    logits = np.random.default_rng(404).normal(size=(3, 4)) * 2.0
    return [_tce_case(reference, one, [1], 1.0), _tce_case(reference, one, [0], 1.0),
            _tce_case(reference, one, [1], 2.0), _tce_case(reference, np.zeros((3, 4)), [0, 1, 3], 0.5),
            _tce_case(reference, [[1e4, 0.0, -1e4], [1e4, 0.0, -1e4]], [0, 2], 0.01),
            _tce_case(reference, [[1e4, 0.0, -1e4]], [1], 100.0),
            _tce_case(reference, logits, [3, 0, 1], 1.0),
            _tce_case(reference, logits, [3, 0, 1], 0.7, gradcheck=True)]


def hidden_tce_cases(rng, reference):
    """30 random batches: N 1 to 29, K 2 to 11, magnitudes 0.1 to 1e4, temperatures from
    0.05 to 20 (exactly 1 in every sixth); only batches whose dtau every exact formula
    gives within the check's tolerance (:func:`_dtau_is_well_conditioned`)."""
    cases = []
    while len(cases) < 30:
        N, K = int(rng.integers(1, 30)), int(rng.integers(2, 12))
        logits = rng.normal(size=(N, K)) * float(rng.choice([0.1, 1.0, 10.0, 1e3, 1e4]))
        tau = 1.0 if len(cases) % 6 == 0 else float(np.exp(rng.uniform(np.log(0.05), np.log(20.0))))
        labels = rng.integers(0, K, size=N)
        if _dtau_is_well_conditioned(reference, logits, labels, tau):
            cases.append(_tce_case(reference, logits, labels, tau))
    return cases


def _dtau_is_well_conditioned(reference, logits, labels, tau):
    """Whether rounding cannot move a correct dtau out of the hidden check's tolerance.

    dtau sums dL/du * u over every entry; an exact formula may round each term by about
    eps |u| / (N tau), so a batch whose dtau is small next to that bound (a confident batch
    of huge logits) would fail an honest student whose rounding differs from the
    reference's. Rows whose softmax is exactly one-hot at the label add exactly 0 in every
    form and are left out of the bound."""
    u = logits / tau
    p = reference.activations.softmax(u, axis=1)
    one_hot = (p[np.arange(len(u)), labels] == 1.0) & (np.count_nonzero(p, axis=1) == 1)
    rounding = 16 * np.finfo(np.float64).eps * np.abs(u[~one_hot]).sum() / (len(u) * tau)
    dtau = reference.losses.temperature_cross_entropy(logits, labels, tau)[2]
    return rounding <= SOFTMAX_TOLERANCE["atol"] + SOFTMAX_TOLERANCE["rtol"] * abs(dtau)


# The trained softmax regression --------------------------------------------------------

def probe_trained(nnlib, case, namespace):
    """Export ``W`` and ``b`` from the notebook's globals as float64 arrays (None for a
    name that is not defined)."""
    namespace = namespace or {}
    return {name: np.array(namespace[name], dtype=np.float64) if name in namespace else None
            for name in ("W", "b")}


def _parameters_problem(got):
    """What is wrong with exported ``W`` and ``b`` (trusted), or None."""
    if not isinstance(got, dict):
        return "W and b were not exported"
    for name, shape in (("W", (DIGITS_CLASSES, DIGITS_FEATURES)), ("b", (DIGITS_CLASSES,))):
        value = got.get(name)
        if value is None:
            return f"there is no variable {name}: the Task 3 cell must leave the trained parameters in W and b"
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
            return f"{name} must be an array of numbers"
        if value.shape != shape:
            return f"{name} must have shape {shape}"
        if not np.all(np.isfinite(value)):
            return f"{name} contains inf or nan: the training diverged or a gradient was not finite"
    return None


def judge_trained(got, case, reference):
    """Trusted: at least 90% of the held-out digits (images no release contains) classified
    correctly by the reference's softmax of ``X W^T + b``."""
    from nncourse.grader.heldout import digits  # trusted worker only: not in the sandbox

    problem = _parameters_problem(got)
    if problem:
        return problem
    X_test, y_test = digits()
    W, b = got["W"].astype(np.float64), got["b"].astype(np.float64)
    with np.errstate(all="ignore"):
        probabilities = reference.activations.softmax(X_test @ W.T + b, axis=1)
    if not np.all(np.isfinite(probabilities)):
        return "the class probabilities of the held-out digits are not finite: W or b is far too large"
    if not np.mean(np.argmax(probabilities, axis=1) == y_test) >= MIN_ACCURACY:
        return (f"W and b classify less than {MIN_ACCURACY:.0%} of the held-out digits (images you have "
                f"not seen) correctly; check the step, the learning rate, the number of epochs and the "
                f"softmax_cross_entropy tests")
    return None


SOFTMAX_TOLERANCE = {"rtol": 1e-9, "atol": 1e-12}

CHECKS = [
    Check("test_softmax_values", probe_softmax, visible_softmax_cases, **SOFTMAX_TOLERANCE),
    Check("test_softmax_properties", probe_softmax, visible_softmax_property_cases, **SOFTMAX_TOLERANCE),
    Check("test_softmax_hidden", probe_softmax, hidden_softmax_cases, **SOFTMAX_TOLERANCE),
    Check("test_sce_values", probe_sce, visible_sce_cases, **SOFTMAX_TOLERANCE),
    Check("test_sce_stability_gradcheck", probe_sce, visible_sce_stability_cases, rtol=1e-9, atol=1e-10),
    Check("test_sce_hidden", probe_sce, hidden_sce_cases, **SOFTMAX_TOLERANCE),
    Check("test_tce_values", probe_tce, visible_tce_cases, rtol=1e-9, atol=1e-10),
    Check("test_tce_hidden", probe_tce, hidden_tce_cases, **SOFTMAX_TOLERANCE),
    Check("test_training_accuracy", probe_trained, judge=judge_trained),
    Check("test_training_hidden", probe_trained, judge=judge_trained),
]
