"""Name the catalogued mistake a wrong answer matches (trusted code, no student code).

When a check finds a student's outputs wrong, the same probe is run here on each mutated
reference of :mod:`nncourse.mutants` that makes a mistake in the test's topic, on the same
cases. If the student's outputs equal one mutant's, the feedback gives that mistake's hint.
"""
import functools
import json
from pathlib import Path

from ..probes import plaindata
from ..probes.in_kernel import probe_outputs
from .checks import PASSED, first_problem, load_nnlib


def known_mistake(mutants_dir, prepared, test, blob):
    """The hint of the first catalogued mistake whose outputs equal ``blob``'s, or ""."""
    if not mutants_dir or blob is None:
        return ""
    try:
        outputs = plaindata.from_bytes(blob)
    except plaindata.NotPlain:
        return ""
    for mutant in _index(mutants_dir):
        if mutant["function"] != test.topic:
            continue
        expected = _mutant_outputs(mutants_dir, mutant["folder"], prepared, test.name)
        if expected is not None and _equal(prepared, test.name, outputs, expected):
            return mutant["hint"]
    return ""


@functools.lru_cache(maxsize=1)
def _index(mutants_dir):
    return json.loads((Path(mutants_dir) / "index.json").read_text())


_CACHE = {}


def _mutant_outputs(mutants_dir, folder, prepared, grade_id):
    """The mutant's outputs on the batch's cases (computed once per worker)."""
    key = (mutants_dir, folder, grade_id, id(prepared))
    if key not in _CACHE:
        check = prepared.checks[grade_id]
        package = load_nnlib(Path(mutants_dir) / folder, f"nnlib_mutant_{abs(hash(key))}")
        _CACHE[key] = None if check.judge else probe_outputs(
            check.probe, package, prepared.cases[grade_id], None)
    return _CACHE[key]


def _equal(prepared, grade_id, outputs, mutant_outputs):
    """Do ``outputs`` pass the check when the mutant's outputs are taken as expected?"""
    as_expected = dict(prepared.expected, **{grade_id: mutant_outputs})
    view = type(prepared)(prepared.checks, prepared.cases, prepared.blobs, as_expected,
                          prepared.budgets, prepared.reference)
    return isinstance(outputs, list) and len(outputs) == len(mutant_outputs) and \
        first_problem(view, grade_id, outputs).status == PASSED
