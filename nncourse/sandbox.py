"""Run a notebook in a kernel with limits, and keep going whatever a cell does.

Each code cell runs with a time limit. A cell that runs too long is interrupted and the
next cells run; if the kernel does not answer after the interrupt it is restarted. A cell
that kills the kernel (``os._exit``, a segfault) is recorded and a new kernel takes over.
After a restart, the ordinary cells that ran before (setup, solution cells, never test
cells) are replayed to restore the state, and grading continues with the next cell. The
kernel itself (:mod:`nncourse.kernel`) limits memory, file size and output. Kernels are
forked from a warm zygote (:mod:`nncourse.zygote`), so starting one costs milliseconds.

The verdict for a cell is the status of the kernel's ``execute_reply``: an exception
anywhere in the cell makes it ``error``, whatever the cell printed, to stdout or stderr,
and even if the traceback display was tampered with.
"""
import asyncio
import os
import queue
import uuid
from dataclasses import dataclass, field

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from .zygote import ForkedProcess, Zygote

TIMEOUT_ENAME = "GraderTimeout"
MEMORY_ENAMES = {"MemoryError", "_ArrayMemoryError"}
PROBE_SECONDS = 10
READY_SECONDS = 60


@dataclass
class Limits:
    """What one submission may use."""

    timeout: float = 60.0  # seconds per cell
    memory_mb: int = 2048  # address space of the kernel
    output_bytes: int = 2_000_000  # stdout + stderr kept per kernel
    file_mb: int = 64  # largest file the kernel may write
    restarts: int = 3  # kernel restarts per submission before the rest is not run


@dataclass
class CellRun:
    """How one code cell ended: ok, error, timeout, died, memory or not run."""

    status: str
    ename: str = ""
    evalue: str = ""


@dataclass
class NotebookRun:
    """Every code cell's outcome, by cell index, and what the sandbox had to do."""

    cells: dict = field(default_factory=dict)
    restarts: int = 0
    followups: dict = field(default_factory=dict)  # key -> CellRun of a follow-up cell


class ZygoteProvisioner(LocalProvisioner):
    """Starts each kernel by forking this process's zygote (:mod:`nncourse.zygote`)
    instead of running a command; the kernel applies the limits itself."""

    async def launch_kernel(self, cmd, **kwargs):
        pid = _zygote().fork_kernel(self.parent.connection_file, kwargs.get("cwd") or os.getcwd(),
                                    kwargs.get("env") or os.environ)
        self.process, self.pid, self.pgid = ForkedProcess(pid), pid, pid
        self.cwd = kwargs.get("cwd")
        return self.connection_info

    async def wait(self):
        """Wait for the kernel to be gone (polling every few ms, not every 0.1 s)."""
        while self.process is not None and self.process.poll() is None:
            await asyncio.sleep(0.005)
        self.process = None
        return 0


_ZYGOTES = []


def _zygote():
    """This process's zygote, started on first use (and again if it died)."""
    if not _ZYGOTES or _ZYGOTES[0].process.poll() is not None:
        _ZYGOTES[:] = [Zygote()]
    return _ZYGOTES[0]


def _kernel_manager():
    km = AsyncKernelManager(kernel_name="python3")
    km.kernel_id = str(uuid.uuid4())
    km.provisioner = ZygoteProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    return km


class _Restart(Exception):
    """The kernel must be replaced before the next cell."""


def run_notebook(notebook, cwd, limits, env=None, is_test=lambda cell: False, followup=None):
    """Execute ``notebook`` (in place: outputs are filled in) in ``cwd``; return its run.

    ``followup(run)``, if given, returns ``{key: source}`` of extra cells to run in the same
    kernel once the notebook is done (their outcomes go to ``run.followups``).
    """
    return asyncio.run(_run(notebook, cwd, limits, env or {}, is_test, followup))


async def _run(notebook, cwd, limits, env, is_test, followup):
    kernel_env = dict(os.environ, **env, NNCOURSE_MEMORY_MB=str(limits.memory_mb),
                      NNCOURSE_FILE_MB=str(limits.file_mb),
                      NNCOURSE_OUTPUT_BYTES=str(limits.output_bytes))
    run = NotebookRun()
    pending = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    while pending:
        client = await _start(notebook, cwd, limits, kernel_env)
        try:
            await _replay(client, notebook, run, is_test)
            while pending:
                await _execute(client, notebook, pending.pop(0), run, limits)
            for key, source in (followup(run) if followup else {}).items():
                run.followups[key] = await _execute_extra(client, source)
        except _Restart:
            run.restarts += 1
            if run.restarts > limits.restarts:
                for index in pending:
                    run.cells[index] = CellRun("not run", evalue="the kernel had to be restarted "
                                                                 f"{limits.restarts} times")
                break
        finally:
            await _stop(client)
    return run


async def _start(notebook, cwd, limits, env):
    """A notebook client with its own freshly started limited kernel."""
    km = _kernel_manager()
    await km.start_kernel(cwd=str(cwd), env=env)
    client = NotebookClient(
        notebook, km=km, timeout=limits.timeout, allow_errors=True,
        interrupt_on_timeout=True, iopub_timeout=30,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"the cell ran for more than "
                          f"{limits.timeout:g} s and was interrupted", "traceback": []})
    client.kc = km.client()
    client.kc.start_channels()
    try:
        await _wait_ready(client.kc, READY_SECONDS)
    except RuntimeError:
        await _stop(client)
        raise
    return client


async def _wait_ready(kc, timeout):
    """Return once the kernel answers on the shell channel and its output reaches us.

    (jupyter_client's ``wait_for_ready`` also waits, every time, for 0.2 s of silence.)
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        request = kc.kernel_info()
        try:
            while (await kc.get_shell_msg(timeout=1))["parent_header"].get("msg_id") != request:
                pass
            while True:  # the idle status of that request proves IOPub is subscribed
                msg = await kc.get_iopub_msg(timeout=0.5)
                if msg["parent_header"].get("msg_id") == request \
                        and msg["content"].get("execution_state") == "idle":
                    return
        except queue.Empty:
            if not await kc.is_alive():
                raise RuntimeError("the kernel died while starting") from None
    raise RuntimeError(f"the kernel did not answer within {timeout} s")


async def _stop(client):
    client.kc.stop_channels()
    if client.km.has_kernel:
        await client.km.shutdown_kernel(now=True)


async def _execute(client, notebook, index, run, limits):
    """Run one notebook cell and record its outcome; raise :class:`_Restart` if the kernel
    is lost or does not answer after a timeout."""
    try:
        run.cells[index] = await _outcome_of(client, notebook.cells[index], index)
    except DeadKernelError:
        run.cells[index] = CellRun("died")
        raise _Restart() from None
    if run.cells[index].status == "timeout" and not await _responsive(client):
        raise _Restart()


async def _execute_extra(client, source):
    """Run a cell that is not part of the notebook; return its outcome."""
    try:
        outcome = await _aside(client, source)
    except DeadKernelError:
        raise _Restart() from None
    if outcome.status == "timeout" and not await _responsive(client):
        raise _Restart()
    return outcome


async def _aside(client, source):
    """Run ``source`` in the kernel as a cell of a scratch notebook (nbclient stores an
    executed cell back into its notebook at the cell's index, which must not be ours)."""
    notebook, client.nb = client.nb, nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    try:
        return await _outcome_of(client, client.nb.cells[0], 0)
    finally:
        client.nb = notebook


async def _outcome_of(client, cell, index):
    """Execute ``cell``; how it ended, from the kernel's execute_reply."""
    replies = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.update(
        reply=execute_reply)
    await client.async_execute_cell(cell, index)
    content = replies.get("reply", {}).get("content", {})
    if content.get("status") == "ok":
        return CellRun("ok")
    ename, evalue = str(content.get("ename", "")), str(content.get("evalue", ""))
    if ename == TIMEOUT_ENAME:
        return CellRun("timeout", ename, evalue)
    if ename in MEMORY_ENAMES:
        return CellRun("memory", ename, evalue)
    return CellRun("error", ename or "Error", evalue)


async def _responsive(client):
    """After an interrupt: does the kernel answer a trivial request within a few seconds?"""
    timeout, client.timeout = client.timeout, PROBE_SECONDS
    try:
        return (await _aside(client, "None")).status == "ok"
    except DeadKernelError:
        return False
    finally:
        client.timeout = timeout


async def _replay(client, notebook, run, is_test):
    """Re-run, in a new kernel, the non-test cells that completed before (their recorded
    outputs are kept)."""
    for index, outcome in sorted(run.cells.items()):
        cell = notebook.cells[index]
        if outcome.status == "ok" and not is_test(cell):
            try:
                await _aside(client, cell.source)
            except DeadKernelError:
                raise _Restart() from None
