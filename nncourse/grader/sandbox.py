"""One sandbox per submission: bubblewrap namespaces, an unprivileged user, hard limits.

Inside, the runner (:mod:`nncourse.probes.runner`) and the student's kernel see a
read-only system (``/usr`` with only fonts and time zones of ``/usr/share``, where data
sets are installed; the Python installation and this virtual environment, without
PyTorch: :data:`HIDDEN_PACKAGES`), the job folder read-only at ``/job`` (the rebuilt
notebook, the restored ``nnlib``, the cases, the probes) and two private size-limited
scratch folders (``/home/student``, the working folder, and ``/tmp``), which vanish with
the sandbox. They see nothing of the repository, the reference, ``nncourse``, OUT, the
gradebook or other submissions; there is no network
(a new network namespace with only loopback); their own PID namespace, so every process
they start dies when the sandbox ends; a user that is not root, with no capabilities and
``no_new_privs``; and limits on memory, processes, file size and output that the user
cannot raise. Everything they send back is read from one pipe, within a byte cap and a
time budget; the grader trusts none of it (:mod:`nncourse.grader.checks` judges it).
"""
import base64
import ctypes
import json
import os
import platform
import resource
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..probes.runner import TAG
from .cgroup import Cgroup

HOME = "/home/student"
UID_BASE = 2_100_000_000  # sandbox users: UID_BASE + a random number, a new one per sandbox
UID_RANGE = 2_000_000_000
SYS_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
KEYCTL_JOIN_SESSION_KEYRING = 1
ETC_FILES = ("passwd", "group", "hosts", "localtime", "fonts", "matplotlibrc")
# /usr/share holds data as well as the system's support files: data sets come there too
# (Debian's dataset-fashion-mnist puts the official Fashion-MNIST test set, the held-out
# images' source, in /usr/share/datasets). The sandbox gets an empty /usr/share with only
# these folders in it (what matplotlib, fontconfig and time zones read).
USR_SHARE = ("fonts", "fontconfig", "zoneinfo")
# Packages of the Python installations the sandbox does not see (each becomes an empty
# read-only folder there). PyTorch is in the course's venv for the instructor's comparison
# tests, and it is a reference implementation of most functions the course grades, with
# autograd: a submission could hand sigmoid_cross_entropy, a backward pass or a whole
# training run (on the grader's renamed labels, with a stubbed backward) to it, as it
# could to the course's own nnlib, which the sandbox never sees either.
HIDDEN_PACKAGES = ("torch", "torchgen", "functorch")


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    timeout: float = 60.0  # seconds for a cell that is not a check (setup, solution cells)
    memory_mb: int = 2048  # per process (address space) and, with cgroups, all together
    output_bytes: int = 2_000_000  # notebook outputs kept, and (x8) the pipe to the grader
    file_mb: int = 64  # largest file; each scratch folder is 4x this
    processes: int = 64
    restarts: int = 3  # kernel restarts before the rest of the notebook is not run


@dataclass
class SandboxRun:
    """What a sandbox sent back (untrusted), and how it ended."""

    cells: dict = field(default_factory=dict)  # cell index -> status word
    results: dict = field(default_factory=dict)  # grade_id -> plain-data bytes
    notebook: bytes = b""
    ended: str = "finished"  # finished, budget, output limit
    seconds: float = 0.0


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot be created on this machine (the message says why)."""


def unavailable_reason():
    """Why no sandbox can be made here, or None if one can."""
    if not shutil.which("bwrap"):
        return "bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)"
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        return "setpriv (util-linux) is not installed"
    probe = subprocess.run(_bwrap_prefix(Path("/"), 16) + ["--", "/bin/true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {probe.stderr.strip()[:300]}"
    return None


def run_sandboxed(job, limits, budget, sandboxed=True):
    """Run the job's notebook in a new sandbox for at most ``budget`` seconds."""
    command = _command(Path(job), limits) if sandboxed else _unsandboxed_command(Path(job))
    cgroup = Cgroup.create(limits.memory_mb, limits.processes) if sandboxed else None
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=_environment(Path(job), sandboxed),
                            cwd=None if sandboxed else Path(job) / "home",
                            preexec_fn=lambda: _limit_child(limits, cgroup), start_new_session=True)
    try:
        run = _collect(proc, start + budget, 8 * limits.output_bytes + (64 << 20), sandboxed)
    finally:
        _end(proc, cgroup)
    run.seconds = time.monotonic() - start
    return run


def _bwrap_prefix(job, scratch_mb):
    args = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr", "--tmpfs", "/usr/share"]
    for name in USR_SHARE:
        if os.path.isdir(f"/usr/share/{name}"):
            args += ["--ro-bind", f"/usr/share/{name}", f"/usr/share/{name}"]
    args += ["--remount-ro", "/usr/share", "--proc", "/proc", "--dev", "/dev"]
    for name in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{name}"):
            args += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
    for folder in (HOME, "/tmp"):  # before the interpreters: a venv may live below /tmp
        args += ["--perms", "1777", "--size", str(scratch_mb << 20), "--tmpfs", folder]
    for prefix in sorted({sys.base_prefix, sys.prefix} - {"/usr"}):
        args += _parents(prefix) + ["--ro-bind", prefix, prefix]
    args += _hidden_packages({sys.base_prefix, sys.prefix, "/usr"})
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--ro-bind", str(job), "/job"]
    if os.geteuid() == 0:
        return args + ["--cap-add", "CAP_SETUID,CAP_SETGID"]
    return args + ["--unshare-user", "--disable-userns"]


def _hidden_packages(prefixes):
    """bwrap arguments that cover each package of :data:`HIDDEN_PACKAGES` (and its
    ``.dist-info``) in the site-packages of ``prefixes`` with an empty read-only folder."""
    args = []
    for prefix in sorted(prefixes):
        for site in sorted(Path(prefix).glob("lib/python3*/*-packages")):
            for entry in sorted(site.iterdir()):
                if entry.is_dir() and not entry.is_symlink() and \
                        entry.name.split("-")[0].split(".")[0] in HIDDEN_PACKAGES:
                    args += ["--tmpfs", str(entry), "--remount-ro", str(entry)]
    return args


def _parents(path):
    """Create the folders above ``path`` readable by all (bwrap would make them 0700)."""
    args = []
    for parent in reversed(Path(path).parents[:-1]):
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _command(job, limits):
    python = [sys.executable, "-P", "-m", "probes.runner", "/job"]  # -P: not the writable cwd
    prefix = _bwrap_prefix(job, 4 * limits.file_mb) + ["--chdir", HOME, "--"]
    if os.geteuid() != 0:
        return prefix + python
    uid = str(UID_BASE + secrets.randbelow(UID_RANGE))  # its own user, keyring and process count
    return prefix + ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                     "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"] + python


def _unsandboxed_command(job):
    (job / "home").mkdir(exist_ok=True)
    return [sys.executable, "-P", "-m", "probes.runner", str(job)]


def _environment(job, sandboxed):
    home = HOME if sandboxed else str(job / "home")
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": home,
            "LANG": "C.UTF-8", "PYTHONPATH": "/job/lib" if sandboxed else str(job / "lib"),
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": f"{home}/.config/matplotlib",
            "JUPYTER_RUNTIME_DIR": f"{home}/.jupyter-runtime", "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            # not under the writable HOME: a kernel the runner restarts would run the startup
            # files the previous one left there (read-only /job: IPython takes a fresh temp dir)
            "IPYTHONDIR": "/job/ipython" if sandboxed else str(job / "ipython"),
            "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _limit_child(limits, cgroup):
    """In the child, before bwrap starts: join the cgroup, set hard limits (the sandbox
    user has no CAP_SYS_RESOURCE, so it cannot raise them)."""
    if cgroup:
        cgroup.join(os.getpid())
    _new_session_keyring()
    megabytes = {resource.RLIMIT_AS: limits.memory_mb, resource.RLIMIT_FSIZE: limits.file_mb}
    for which, mb in megabytes.items():
        resource.setrlimit(which, (mb << 20, mb << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    if os.geteuid() == 0:  # per-user count: the sandbox user is ours alone
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


def _new_session_keyring():
    """Give the sandbox an empty session keyring of its own: keys it adds cannot reach
    another sandbox through the keyring it would otherwise inherit from the grader."""
    if SYS_KEYCTL is not None:
        ctypes.CDLL(None, use_errno=True).syscall(SYS_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None)


def _collect(proc, deadline, max_bytes, stop_at_notebook):
    """Read the records until the sandbox ends, the deadline passes or it sends too much
    (or, with ``stop_at_notebook``, until the last record, the executed notebook)."""
    run, buffer, total = SandboxRun(), b"", 0
    fd = proc.stdout.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            run.ended = "budget"
            break
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            run.ended = "output limit"
            break
        *lines, buffer = (buffer + chunk).split(b"\n")
        for line in lines:
            _record(run, line)
        if run.notebook and stop_at_notebook:  # what is left of the sandbox is then killed
            break
    return run


def _record(run, line):
    """Take one record line if it is well formed; ignore anything else."""
    parts = line.split(b" ")
    if len(parts) != 3 or parts[0] != TAG.encode():
        return
    try:
        payload = base64.b64decode(parts[2], validate=True)
    except ValueError:
        return
    kind = parts[1]
    if kind == b"cell":
        _cell_record(run, payload)
    elif kind == b"result" and b"\0" in payload:
        grade_id, blob = payload.split(b"\0", 1)
        run.results.setdefault(grade_id.decode("utf-8", "replace"), blob)
    elif kind == b"notebook" and not run.notebook:
        run.notebook = payload


def _cell_record(run, payload):
    try:
        record = json.loads(payload)
        index, status = int(record["index"]), str(record["status"])
    except (ValueError, KeyError, TypeError):
        return
    run.cells.setdefault(index, status)


def _end(proc, cgroup):
    """Kill whatever is left of the sandbox and wait for it."""
    for target in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait()
    proc.stdout.close()
    if cgroup:
        cgroup.destroy()
