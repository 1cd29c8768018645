"""A fast, trusted-only proof that a chapter's checks are sound, without any sandbox.

Each check's probe runs in this process on instructor code only: the reference must
pass every check, the chapter's release (its stubs) must pass none, and every catalogued
mistake (:mod:`nncourse.mutants`) must fail at least one. Every graded test cell of the
source notebook must have a check, and every check a cell. ``nncourse check`` also grades
real submissions in the sandbox; this is the quick loop for a chapter author.
"""
import tempfile
from pathlib import Path

import nbformat

from ..mutants import catalogue, write_mutated_package
from ..probes.in_kernel import probe_outputs
from .checks import first_problem, load_nnlib, prepare


def selftest(chapter, repo_root, release_nnlib, seed="selftest"):
    """Problems found (strings); an empty list means the checks are sound."""
    repo_root = Path(repo_root)
    reference = load_nnlib(repo_root / "nnlib", "nnlib_selftest_reference")
    prepared = prepare(chapter.id, reference, seed)
    problems = _cell_problems(chapter, repo_root, prepared.checks)
    problems += [f"the reference fails {g}: {v.detail}" for g, v in
                 _verdicts(prepared, reference).items() if not v.passed]
    stubs = load_nnlib(release_nnlib, "nnlib_selftest_release")
    problems += [f"the untouched release passes {g}" for g, v in
                 _verdicts(prepared, stubs).items() if v.passed]
    with tempfile.TemporaryDirectory() as tmp:
        for number, mutant in enumerate(catalogue(chapter)):
            folder = Path(tmp) / f"m{number}"
            write_mutated_package(repo_root / "nnlib", mutant, folder)
            verdicts = _verdicts(prepared, load_nnlib(folder, f"nnlib_selftest_m{number}"))
            if all(v.passed for v in verdicts.values()):
                problems.append(f"mutant {mutant.name} ({mutant.function}) passes every check")
    return problems


def _verdicts(prepared, package):
    return {grade_id: first_problem(prepared, grade_id, probe_outputs(
        check.probe, package, prepared.cases[grade_id], None))
        for grade_id, check in prepared.checks.items() if check.judge is None}


def _cell_problems(chapter, repo_root, checks):
    source = nbformat.read(chapter.source_notebook(repo_root), as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"] for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")}
    return [f"graded test cell {g} has no check in nncourse/probes/{chapter.id}.py"
            for g in sorted(cells - set(checks))] + \
           [f"check {g} has no graded test cell in the source notebook" for g in sorted(set(checks) - cells)]
