"""The trusted side of the checks: inputs, expected results, budgets and verdicts.

For a batch, :func:`prepare` draws every check's cases from a secret seed, runs each probe
on the reference ``nnlib`` (in this trusted process) to get the expected results, and
times it to set the check's budget. :func:`judge` turns the plain data a sandbox sent back
into a :class:`Verdict`. Student code never runs here.
"""
import hashlib
import importlib
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..probes import plaindata
from ..probes.in_kernel import import_package
from ..probes.kit import ERRORS
from ..reference import load_package

BUDGET_FACTOR = 20  # a check may take this many times the reference's time (at least its floor)
PASSED, WRONG, MISSING = "passed", "wrong", "no result"
TIMED_OUT, DIED = "timed out", "crashed the kernel"


@dataclass(frozen=True)
class Verdict:
    """A check's outcome: ``status`` from a fixed vocabulary, ``detail`` written by trusted
    code (which case, which output), never a value the student's code produced."""

    status: str
    detail: str = ""

    @property
    def passed(self):
        return self.status == PASSED


@dataclass
class Prepared:
    """One chapter's checks made ready for a batch."""

    checks: dict  # grade_id -> Check
    cases: dict = field(default_factory=dict)  # grade_id -> list of cases
    blobs: dict = field(default_factory=dict)  # grade_id -> the cases packed for the sandbox
    expected: dict = field(default_factory=dict)  # grade_id -> list of outputs, or None
    budgets: dict = field(default_factory=dict)  # grade_id -> seconds
    reference: object = None


def chapter_checks(chapter_id):
    """``{grade_id: Check}`` of a chapter (empty if it has no probes module yet)."""
    try:
        module = importlib.import_module(f"nncourse.probes.{chapter_id}")
    except ModuleNotFoundError:
        return {}
    return {check.grade_id: check for check in module.CHECKS}


def load_nnlib(package_dir, name):
    """Import the nnlib in ``package_dir`` as ``name``, with every module (trusted code only).
    Modules an earlier load left under ``name`` are dropped first, so none is reused."""
    for cached in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[cached]
    load_package(package_dir, name)
    return import_package(name)


def prepare(chapter_id, reference, seed, only=None):
    """Cases, expected results and budgets of every check of the chapter (or of the one
    named ``only``), for one batch."""
    checks = chapter_checks(chapter_id)
    prepared = Prepared({g: c for g, c in checks.items() if only in (None, g)}, reference=reference)
    for grade_id, check in prepared.checks.items():
        rng = np.random.default_rng(_check_seed(seed, grade_id))
        # what the sandbox will see: the cases after a round trip through plain data
        cases = plaindata.from_bytes(plaindata.to_bytes(check.cases(rng, reference)))
        start = time.perf_counter()
        expected = None if check.judge else [check.probe(reference, c, None) for c in cases]
        elapsed = time.perf_counter() - start
        prepared.cases[grade_id], prepared.expected[grade_id] = cases, expected
        prepared.blobs[grade_id] = plaindata.to_bytes(cases)
        prepared.budgets[grade_id] = max(check.budget, BUDGET_FACTOR * elapsed)
    return prepared


def _check_seed(seed, grade_id):
    return int.from_bytes(hashlib.sha256(f"{seed}:{grade_id}".encode()).digest()[:8], "little")


def judge(prepared, grade_id, blob, cell_status="ok"):
    """The verdict on what the sandbox sent back for ``grade_id`` (``blob``, or None)."""
    if blob is None:
        return Verdict({"timeout": TIMED_OUT, "stuck": TIMED_OUT, "died": DIED}.get(cell_status, MISSING),
                       f"the test cell ended with status {cell_status!r}" if cell_status else "")
    try:
        outputs = plaindata.from_bytes(blob)
    except plaindata.NotPlain:
        return Verdict(WRONG, "the results were not plain data")
    cases = prepared.cases[grade_id]
    if not isinstance(outputs, list) or len(outputs) != len(cases):
        return Verdict(WRONG, "the results do not cover every case")
    return first_problem(prepared, grade_id, outputs)


def first_problem(prepared, grade_id, outputs):
    """The verdict of ``outputs`` (one per case): the first case that fails, or passed."""
    check, cases = prepared.checks[grade_id], prepared.cases[grade_id]
    expected = prepared.expected[grade_id] or [None] * len(cases)
    for number, (got, want, case) in enumerate(zip(outputs, expected, cases), start=1):
        problem = check.verdict(got, want, case, prepared.reference)
        if problem in ERRORS:
            return Verdict(problem, f"case {number} of {len(cases)}")
        if problem:
            return Verdict(WRONG, f"case {number} of {len(cases)}: {problem}")
    return Verdict(PASSED)
