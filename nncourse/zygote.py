"""Grading kernels forked from a warm process, so each one starts in milliseconds.

A zygote is a process that has imported what every grading kernel needs (IPython,
ipykernel, numpy, matplotlib) and nothing else: it never runs student code, opens no
socket and starts no thread. For each submission it forks; the child sets up its own
session, limits and environment and becomes an ordinary IPython kernel (``ipykernel``)
on the connection file the grader wrote. The child is a fresh copy of the pristine
zygote, so no state passes from one submission to the next.

Protocol: one JSON request per line on the zygote's stdin (``connection_file``, ``cwd``,
``env``); it answers each with the child's pid on a line of its stdout, and exits at EOF.
Children are reaped automatically, and die with the zygote (``PR_SET_PDEATHSIG``).
"""
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading

PRELOAD = ("numpy", "matplotlib.pyplot", "IPython", "IPython.core.debugger",
           "IPython.core.completerlib", "IPython.extensions.storemagic", "sqlite3",
           "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger")
PR_SET_PDEATHSIG = 1


def main():
    """Run a zygote: preload, then fork a kernel for every request.

    It starts in ``/`` (see :class:`Zygote`), so ``sys.path[0]`` holds no package a
    submission could be confused with; each kernel puts its own folder there.
    """
    os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = "1"  # no threads to fork
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy's import-time warning
    for module in PRELOAD:
        __import__(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps nothing: no zombies
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _become_kernel(request)
            finally:
                os._exit(1)
        print(pid, flush=True)


def _become_kernel(request):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()  # its own process group: interrupts and kills reach it and its children
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # never write into the zygote's protocol pipe
        os.dup2(devnull, fd)
    os.chdir(request["cwd"])
    sys.path[0] = request["cwd"]  # as for `python -m ipykernel` started there: its nnlib first
    os.environ.clear()
    os.environ.update(request["env"])
    from . import kernel

    kernel.set_limits()
    if int(os.environ.get("NNCOURSE_OUTPUT_BYTES", "0")) > 0:
        kernel.cap_output(int(os.environ["NNCOURSE_OUTPUT_BYTES"]))
    sys.argv = ["nncourse-kernel", "-f", request["connection_file"]]
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=sys.argv[1:])
    os._exit(0)


class Zygote:
    """The grader's handle on one zygote process (started on first use)."""

    def __init__(self, env=None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nncourse.zygote"], stdin=subprocess.PIPE, cwd=os.sep,
            stdout=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))
        self.lock = threading.Lock()
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the kernel zygote did not start (exit {self.process.poll()})")

    def fork_kernel(self, connection_file, cwd, env):
        """Start a kernel on ``connection_file`` in ``cwd`` with exactly ``env``; its pid."""
        request = json.dumps({"connection_file": str(connection_file), "cwd": str(cwd),
                              "env": dict(env)})
        with self.lock:
            self.process.stdin.write(request + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer.strip().isdigit():
            raise RuntimeError(f"the kernel zygote failed (exit {self.process.poll()})")
        return int(answer)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


class ForkedProcess:
    """The bits of :class:`subprocess.Popen` jupyter_client uses, for a forked kernel."""

    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL  # reaped by the zygote; the code is gone
        return self.returncode

    def wait(self, timeout=None):
        waited = 0.0
        while self.poll() is None:
            if timeout is not None and waited >= timeout:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            threading.Event().wait(0.02)
            waited += 0.02
        return self.returncode

    def send_signal(self, signum):
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


if __name__ == "__main__":
    main()
