"""Run the rebuilt notebook inside the sandbox and stream what happened to the grader.

    python -m probes.runner JOB      (in the sandbox; the working folder is the scratch)

``JOB/plan.json`` says which notebook to run, each code cell's time budget and which
cells are graded tests. Each cell runs in a Jupyter kernel started here, inside the same
sandbox. A cell that runs too long is interrupted; if the kernel then does not answer, or
dies (``os._exit``, a segfault), a new kernel replays the ordinary cells that had
completed and grading goes on with the next cell. After each test cell the results its
probe left (:mod:`.in_kernel`) are sent on; at the end the executed notebook is sent,
with only plain text and PNG outputs and at most ``output_bytes`` of them.

What is sent is one line per record on the standard output: ``NNCOURSE1 <kind> <base64>``.
The grader trusts none of it: it is whatever this sandbox claims, and the grader judges.
"""
import asyncio
import base64
import json
import os
import queue
import shutil
import subprocess
import sys
from pathlib import Path

# jsonschema (under nbformat) imports the optional checkers of string formats it finds
# installed: rfc3987_syntax builds a grammar at import (0.9 s of every submission) and the
# others cost about 0.07 s together. Notebook validation checks no format, so the runner
# goes without them (jsonschema treats a module marked missing as not installed).
FORMAT_CHECKERS = ("rfc3987_syntax", "rfc3987", "rfc3986_validator", "rfc3339_validator", "isoduration",
                   "fqdn", "idna", "uri_template", "webcolors", "jsonpointer")
for _name in FORMAT_CHECKERS:
    sys.modules.setdefault(_name, None)

import nbformat  # noqa: E402
from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

from .in_kernel import IMPORT_FAILURE, RESULTS  # noqa: E402

TAG = "NNCOURSE1"
KERNELS = Path(__file__).parent / "kernels"  # the grading kernel's spec (see .kernel)
KERNEL_NAME = "nncourse-grading"
TIMEOUT_ENAME = "GraderTimeout"
PROBE_SECONDS, READY_SECONDS = 10, 60
IOPUB_POLL_SECONDS = 0.05
KEPT_MIME = ("text/plain", "image/png")
MAX_MIME_BYTES = 1_000_000


class Channel:
    """The records' way out: a private copy of the standard output (kernels get /dev/null)."""

    def __init__(self):
        self.stream = os.fdopen(os.dup(1), "w", buffering=1)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)

    def send(self, kind, payload):
        self.stream.write(f"{TAG} {kind} {base64.b64encode(payload).decode()}\n")


class CappedClient(NotebookClient):
    """An nbclient that keeps only plain text and PNG outputs, up to a byte budget."""

    def __init__(self, *args, output_bytes, **kwargs):
        super().__init__(*args, **kwargs)
        self.room = output_bytes

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None and outs and outs[-1] is out:
            kept = _trim(out, self.room)
            self.room -= _size(kept) if kept else 0
            outs[-1:] = [kept] if kept else []
        return out


def _trim(out, room):
    """The output with only kept types, within ``room`` bytes, or None."""
    if room <= 0:
        return None
    if out.get("output_type") == "stream":
        out["text"] = out.get("text", "")[:room]
    elif "data" in out:
        out["data"] = {k: v for k, v in out["data"].items()
                       if k in KEPT_MIME and len(str(v)) <= min(room, MAX_MIME_BYTES)}
        out["metadata"] = {}
    elif out.get("output_type") == "error":
        out["traceback"] = [line[:2000] for line in out.get("traceback", [])[:60]]
    return out if _size(out) <= room else None


def _size(out):
    return len(json.dumps(out, default=str))


async def run(job, channel):
    plan = json.loads((job / "plan.json").read_text())
    notebook = nbformat.read(job / "notebook.ipynb", as_version=4)
    tests = {int(i): g for i, g in plan["tests"].items()}
    timeouts = {int(i): t for i, t in plan["timeouts"].items()}
    pending = sorted(timeouts)
    done, restarts = {}, 0
    while pending and restarts <= plan["restarts"]:
        try:
            client = await _start(notebook, plan["output_bytes"])
        except DeadKernelError:
            restarts += 1
            continue
        try:
            await _replay(client, notebook, done, tests)
            while pending:
                index = pending.pop(0)
                done[index] = await _execute(client, notebook, index, timeouts[index])
                _report(channel, index, done[index], tests.get(index))
                if done[index] in ("died", "stuck"):
                    raise DeadKernelError("restart")
            break
        except DeadKernelError:
            restarts += 1
        finally:
            if not pending:  # every cell ran: the notebook goes out before the kernel stops
                channel.send("notebook", nbformat.writes(notebook).encode())
            await _stop(client)
    if pending:
        channel.send("notebook", nbformat.writes(notebook).encode())


def _report(channel, index, status, grade_id):
    channel.send("cell", json.dumps({"index": index, "status": status}).encode())
    for name in (grade_id, IMPORT_FAILURE) if grade_id else ():
        result = Path.cwd() / RESULTS / f"{name}.npz"
        if result.is_file():
            channel.send("result", name.encode() + b"\0" + result.read_bytes())


async def _start(notebook, output_bytes):
    km = AsyncKernelManager(kernel_name=KERNEL_NAME,
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(KERNELS)]))
    await km.start_kernel(cwd=os.getcwd(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = CappedClient(notebook, km=km, allow_errors=True, interrupt_on_timeout=True,
                          iopub_timeout=30, output_bytes=output_bytes,
                          error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "timed out",
                                            "traceback": []})
    client.kc = km.client()
    client.kc.start_channels()
    await _wait_ready(client.kc, READY_SECONDS)
    return client


async def _wait_ready(kc, timeout):
    """Return once the kernel answers and its output (IOPub) reaches us.

    IOPub is a subscription: until it is connected, the kernel's messages on it are lost.
    So kernel_info is asked again after every short silence on IOPub (one lost "idle"
    costs a poll, not a long wait), and the idle status of a request we sent proves IOPub
    works.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    sent = set()
    while asyncio.get_running_loop().time() < deadline:
        sent.add(kc.kernel_info())
        try:
            while True:
                msg = await kc.get_iopub_msg(timeout=IOPUB_POLL_SECONDS)
                if msg["parent_header"].get("msg_id") in sent \
                        and msg["content"].get("execution_state") == "idle":
                    return  # nbclient skips the other requests' replies by their ids
                if asyncio.get_running_loop().time() >= deadline:  # a flood is not silence
                    break
        except queue.Empty:
            if not await kc.is_alive():
                raise DeadKernelError("the kernel died while starting") from None
    raise DeadKernelError(f"the kernel did not answer within {timeout} s")


async def _stop(client):
    client.kc.stop_channels()
    if client.km.has_kernel:
        await client.km.shutdown_kernel(now=True)


async def _execute(client, notebook, index, timeout):
    """Run cell ``index``: ok, error, timeout, died or stuck (timed out, then silent)."""
    client.timeout = timeout
    try:
        status = await _status_of(client, notebook.cells[index], index)
    except DeadKernelError:
        return "died"
    if status == "timeout" and not await _responsive(client):
        return "stuck"
    return status


async def _status_of(client, cell, index):
    replies = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.update(r=execute_reply)
    await client.async_execute_cell(cell, index)
    content = replies.get("r", {}).get("content", {})
    if content.get("status") == "ok":
        return "ok"
    return "timeout" if content.get("ename") == TIMEOUT_ENAME else "error"


async def _aside(client, source):
    """Run ``source`` as a cell of a scratch notebook (nbclient writes a cell back to its
    notebook at the cell's index, which must not be ours)."""
    notebook, client.nb = client.nb, nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    try:
        return await _status_of(client, client.nb.cells[0], 0)
    finally:
        client.nb = notebook


async def _responsive(client):
    client.timeout = PROBE_SECONDS
    try:
        return await _aside(client, "None") == "ok"
    except DeadKernelError:
        return False


async def _replay(client, notebook, done, tests):
    """Re-run, in a new kernel, the ordinary cells that completed before."""
    for index, status in sorted(done.items()):
        if status == "ok" and index not in tests:
            await _aside(client, notebook.cells[index].source)


def main():
    job = Path(sys.argv[1])
    shutil.copytree(job / "nnlib", Path.cwd() / "nnlib")
    if (job / "matplotlib").is_dir():  # the grader's font cache: building one takes seconds
        shutil.copytree(job / "matplotlib", Path(os.environ["MPLCONFIGDIR"]))
    channel = Channel()
    asyncio.run(run(job, channel))


if __name__ == "__main__":
    main()
