"""What a graded test cell runs in the student's kernel, inside the sandbox.

At grading time every graded test cell of the notebook is replaced by a call
``_nncourse.run("<grade_id>", globals())``. :meth:`Prober.run` feeds the cases the
trusted worker wrote for that check to the check's probe, with the student's ``nnlib``,
and leaves the outputs as plain data in the results folder, which the runner sends out.
It decides nothing: whether an output is right is judged outside the sandbox.
"""
import importlib
import os
import pkgutil
import traceback
from pathlib import Path

from . import plaindata
from .kit import ERROR_KEY, NOT_IMPLEMENTED, NOT_PLAIN, OUT_OF_MEMORY, RAISED

RESULTS = ".nncourse-results"
IMPORT_FAILURE = "__import__"  # the results entry that says where importing nnlib failed


class Prober:
    """Runs one chapter's probes in this kernel; ``job`` holds ``cases/<grade_id>.npz``."""

    def __init__(self, job, chapter_id):
        self.job = Path(job)
        self.checks = {c.grade_id: c for c in importlib.import_module(
            f"{__package__}.{chapter_id}").CHECKS}
        self.out = Path.cwd() / RESULTS
        self.out.mkdir(exist_ok=True)

    def run(self, grade_id, namespace=None):
        """Run check ``grade_id`` on every case; write the outputs; print a short note."""
        cases = plaindata.from_bytes((self.job / "cases" / f"{grade_id}.npz").read_bytes())
        try:
            nnlib = import_package("nnlib")
        except BaseException as err:  # say where, once; every case of the check then fails
            self._write(IMPORT_FAILURE, where_import_failed(err))
            nnlib = None
        self._write(grade_id, probe_outputs(self.checks[grade_id].probe, nnlib, cases, namespace))
        print(f"{grade_id}: {len(cases)} case(s) run; the grader judges the results outside "
              f"this notebook")


    def _write(self, name, value):
        partial = self.out / f"{name}.partial"
        partial.write_bytes(plaindata.to_bytes(value))
        os.replace(partial, self.out / f"{name}.npz")


def where_import_failed(err):
    """{"ename", "file", "line"} of the deepest frame of the error inside nnlib/ (plain data)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if "/nnlib/" in f.filename]
    last = frames[-1] if frames else None
    return {"ename": type(err).__name__,
            "file": last.filename.rsplit("/nnlib/", 1)[1] if last else "",
            "line": int(last.lineno or 0) if last else 0}


def import_package(name):
    """Import the package ``name`` and all its modules (a probe reaches any of them)."""
    package = importlib.import_module(name)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{name}.{module.name}")
    return package


def _probe_one(probe, nnlib, case, namespace):
    if nnlib is None:
        return {ERROR_KEY: RAISED}
    try:
        return probe(nnlib, case, namespace)
    except NotImplementedError:
        return {ERROR_KEY: NOT_IMPLEMENTED}
    except MemoryError:
        return {ERROR_KEY: OUT_OF_MEMORY}
    except KeyboardInterrupt:  # the runner's timeout: let it end the cell
        raise
    except BaseException:
        return {ERROR_KEY: RAISED}


def probe_outputs(probe, nnlib, cases, namespace):
    """The probe's output for each case, as plain data: an exception, or an output that
    is not plain data, becomes an error marker for that case."""
    outputs = []
    for case in cases:
        output = _probe_one(probe, nnlib, case, namespace)
        try:
            plaindata.to_bytes(output)
        except Exception:
            output = {ERROR_KEY: NOT_PLAIN}
        outputs.append(output)
    return outputs
