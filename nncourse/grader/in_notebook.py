"""A trusted check run in an instructor's own kernel: what a source notebook's hidden cell calls.

Grading never runs a hidden cell (the grader replaces every test cell by its probe and
judges outside the sandbox). In the instructor's source notebook the hidden cell calls
:func:`run_check`, which runs the same check here, on the ``nnlib`` this kernel imports,
against the reference, with inputs drawn from a fresh seed; a failure raises
``AssertionError`` with the trusted verdict.
"""
import secrets

from ..probes.in_kernel import import_package, probe_outputs
from ..reference import REFERENCE_NAME, load_reference
from .checks import first_problem, prepare


def run_check(chapter_id, grade_id, namespace=None):
    """Run check ``grade_id`` of the chapter on ``import nnlib``; raise if it fails."""
    load_reference()  # the repository's reference nnlib (NNCOURSE_REPO chooses another)
    reference = import_package(REFERENCE_NAME)
    prepared = prepare(chapter_id, reference, secrets.token_hex(8), only=grade_id)
    check = prepared.checks[grade_id]
    outputs = probe_outputs(check.probe, import_package("nnlib"), prepared.cases[grade_id], namespace)
    verdict = first_problem(prepared, grade_id, outputs)
    assert verdict.passed, f"{grade_id}: {verdict.status} ({verdict.detail})"
    print(f"{grade_id} passed ({len(outputs)} cases)")
