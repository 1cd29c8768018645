"""The executed notebook kept for instructors (``OUT/autograded/``), made safe to open.

Cell sources come from the notebook the grader built (trusted); only outputs come from the
sandbox, and only plain text, PNG images, stream text and error tracebacks are kept, each
capped, so nothing a student's code displayed runs script in a TA's browser (formgrader
renders these notebooks). Never return these files to students: they show how each test
was probed; students get ``OUT/feedback/``.
"""
from pathlib import Path

import nbformat

KEPT_MIME = ("text/plain", "image/png")
MAX_NOTEBOOK_BYTES = 20_000_000  # read at most this much of what the sandbox sent
MAX_KEPT_BYTES = 4_000_000  # outputs kept per notebook
MAX_TEXT = 20_000


def keep_autograded(graded_nb, sandbox_notebook, path):
    """Write ``graded_nb`` with the outputs of ``sandbox_notebook`` (bytes, untrusted)."""
    executed = _parse(sandbox_notebook)
    for index, cell in enumerate(graded_nb.cells):
        if cell.cell_type != "code":
            continue
        theirs = executed.cells[index] if executed and index < len(executed.cells) else None
        outputs = theirs.get("outputs", []) if theirs and theirs.get("cell_type") == "code" else []
        cell.outputs = [o for o in (_clean(out) for out in outputs[:50]) if o is not None]
        cell.execution_count = None
    _cap(graded_nb)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(graded_nb, path)


def _cap(notebook):
    """Drop outputs, from the last cell back, until they hold at most MAX_KEPT_BYTES."""
    sizes = {i: sum(len(str(o)) for o in c.get("outputs", [])) for i, c in enumerate(notebook.cells)}
    total = sum(sizes.values())
    for index in sorted(sizes, reverse=True):
        if total <= MAX_KEPT_BYTES:
            return
        if sizes[index]:
            total -= sizes[index]
            notebook.cells[index].outputs = [nbformat.v4.new_output(
                "stream", name="stdout", text="[nncourse: outputs dropped: over the size kept]\n")]


def _parse(blob):
    if not blob or len(blob) > MAX_NOTEBOOK_BYTES:
        return None
    try:
        return nbformat.reads(blob.decode("utf-8"), as_version=4)
    except Exception:  # whatever the sandbox sent, it is only a display
        return None


def _clean(out):
    """A fresh output holding only the kept parts of ``out``, or None."""
    kind = out.get("output_type") if isinstance(out, dict) else None
    if kind == "stream" and isinstance(out.get("text"), str):
        return nbformat.v4.new_output("stream", name="stdout" if out.get("name") != "stderr"
                                      else "stderr", text=out["text"][:MAX_TEXT])
    if kind in ("display_data", "execute_result") and isinstance(out.get("data"), dict):
        data = {k: v for k, v in out["data"].items() if k in KEPT_MIME and isinstance(v, str)
                and len(v) <= 2_000_000}
        return nbformat.v4.new_output("display_data", data=data) if data else None
    if kind == "error":
        lines = [str(line)[:2000] for line in out.get("traceback", [])[:60] if isinstance(line, str)]
        return nbformat.v4.new_output("error", ename=str(out.get("ename", ""))[:200],
                                      evalue=str(out.get("evalue", ""))[:2000], traceback=lines)
    return None
