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
from pathlib import Path

from . import plaindata
from .kit import ERROR_KEY, NOT_IMPLEMENTED, NOT_PLAIN, RAISED

RESULTS = ".nncourse-results"


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
        nnlib = import_package("nnlib")
        blob = plaindata.to_bytes(probe_outputs(self.checks[grade_id].probe, nnlib, cases, namespace))
        partial = self.out / f"{grade_id}.partial"
        partial.write_bytes(blob)
        os.replace(partial, self.out / f"{grade_id}.npz")
        print(f"{grade_id}: {len(cases)} case(s) run; the grader judges the results outside "
              f"this notebook")


def import_package(name):
    """Import the package ``name`` and all its modules (a probe reaches any of them)."""
    package = importlib.import_module(name)
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{name}.{module.name}")
    return package


def _probe_one(probe, nnlib, case, namespace):
    try:
        return probe(nnlib, case, namespace)
    except NotImplementedError:
        return {ERROR_KEY: NOT_IMPLEMENTED}
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
