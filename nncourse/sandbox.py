"""Run a notebook in a kernel with limits, and keep going whatever a cell does.

Each code cell runs with a time limit. A cell that runs too long is interrupted and the
next cells run; if the kernel does not answer after the interrupt it is restarted. A cell
that kills the kernel (``os._exit``, a segfault) is recorded and a new kernel takes over.
After a restart, the ordinary cells that ran before (setup, solution cells, never test
cells) are replayed to restore the state, and grading continues with the next cell. The
kernel itself (:mod:`nncourse.kernel`) limits memory, file size and output.

The verdict for a cell is the status of the kernel's ``execute_reply``: an exception
anywhere in the cell makes it ``error``, whatever the cell printed, to stdout or stderr,
and even if the traceback display was tampered with.
"""
import asyncio
import os
import sys
from dataclasses import dataclass, field

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

TIMEOUT_ENAME = "GraderTimeout"
MEMORY_ENAMES = {"MemoryError", "_ArrayMemoryError"}
PROBE_SECONDS = 10


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


class LimitedKernelManager(AsyncKernelManager):
    """Starts :mod:`nncourse.kernel` (an IPython kernel that applies the limits)."""

    def format_kernel_cmd(self, extra_arguments=None):
        return [sys.executable, "-m", "nncourse.kernel", "-f", self.connection_file]


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
    km = LimitedKernelManager()
    await km.start_kernel(cwd=str(cwd), env=env)
    client = NotebookClient(
        notebook, km=km, timeout=limits.timeout, allow_errors=True,
        interrupt_on_timeout=True, iopub_timeout=30,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": f"the cell ran for more than "
                          f"{limits.timeout:g} s and was interrupted", "traceback": []})
    client.kc = km.client()
    client.kc.start_channels()
    try:
        await client.kc.wait_for_ready(timeout=60)
    except RuntimeError:
        await _stop(client)
        raise
    return client


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
        outcome = await _outcome_of(client, nbformat.v4.new_code_cell(source), -1)
    except DeadKernelError:
        raise _Restart() from None
    if outcome.status == "timeout" and not await _responsive(client):
        raise _Restart()
    return outcome


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
        return (await _outcome_of(client, nbformat.v4.new_code_cell("None"), -1)).status == "ok"
    except DeadKernelError:
        return False
    finally:
        client.timeout = timeout


async def _replay(client, notebook, run, is_test):
    """Re-run, in a new kernel, the non-test cells that completed before (outputs kept)."""
    for index, outcome in sorted(run.cells.items()):
        cell = notebook.cells[index]
        if outcome.status == "ok" and not is_test(cell):
            replay = nbformat.v4.new_code_cell(cell.source)
            try:
                await client.async_execute_cell(replay, index)
            except DeadKernelError:
                raise _Restart() from None
