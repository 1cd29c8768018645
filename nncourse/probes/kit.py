"""How a chapter author declares a graded test: a :class:`Check`.

A check has three parts, and only the first runs near student code:

- ``probe(nnlib, case, namespace)``: calls into an ``nnlib`` package and returns plain
  data (:mod:`.plaindata`). In the sandbox it runs on the student's package (and, for a
  notebook-level task, reads the kernel's ``namespace``); in the trusted worker the same
  function runs on the reference to compute the expected result.
- ``cases(rng, reference)``: the inputs, as a list of plain-data dicts, made by the trusted
  worker: drawn from ``rng``, seeded by a per-batch secret (a hidden test), or fixed (a
  visible test). ``reference`` is the reference ``nnlib``, for inputs that need it (the
  values a scripted stand-in returns along the reference's trajectory).
- ``judge(got, case, reference)``: trusted; ``None`` if the student's output is right,
  otherwise a short description of what is wrong that quotes no value the student's code
  produced. Without a judge, the probe also runs on the reference and :func:`same`
  compares the two within tolerances. A notebook-level task (a trained model) has a judge:
  its probe exports the model's parameters and the judge evaluates them with the
  reference on held-out data that never enters the sandbox.

Within a chapter, a probe isolates the function it grades by giving its collaborators
scripted stand-ins (:class:`Scripted`): they return values drawn in ``cases`` and record
what they were called with, so no correct implementation ever enters the sandbox.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

ERROR_KEY = "__error__"  # a case whose probe raised: {"__error__": kind}
NOT_IMPLEMENTED = "not implemented"
RAISED = "raised an exception"
NOT_PLAIN = "returned something that is not plain data"
OUT_OF_MEMORY = "ran out of memory"
ERRORS = (NOT_IMPLEMENTED, RAISED, NOT_PLAIN, OUT_OF_MEMORY)  # what a probe may report


def one_case(rng, reference):
    """The cases of a check that needs no input: one empty case."""
    return [{}]


@dataclass(frozen=True)
class Check:
    """One graded test cell, computed where student code never runs.

    ``grade_id`` is the nbgrader id of the test cell it scores. ``rtol``/``atol`` are the
    tolerances of the default judge. ``budget`` is the least time (seconds) the sandbox
    gets for this check; the grader allows more when the reference itself is slow.
    """

    grade_id: str
    probe: Callable
    cases: Callable = one_case
    judge: Callable = None
    rtol: float = 1e-7
    atol: float = 1e-10
    budget: float = 5.0

    def verdict(self, got, expected, case, reference):
        """``None`` if ``got`` passes for ``case``, else what is wrong (trusted code)."""
        if isinstance(got, dict) and ERROR_KEY in got:
            return got[ERROR_KEY] if got[ERROR_KEY] in ERRORS else RAISED
        if self.judge is not None:
            return self.judge(got, case, reference)
        return same(got, expected, rtol=self.rtol, atol=self.atol)


def same(got, expected, rtol=1e-7, atol=1e-10, where="the result"):
    """``None`` if ``got`` matches ``expected`` (structure, kinds, shapes, values), else
    which part differs and how, in words that quote no value of ``got``."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where} is not a dict of outputs"
        for key, value in expected.items():
            if key not in got:
                return f"{where}: '{key}' is missing"
            problem = same(got[key], value, rtol, atol, f"'{key}'" if where == "the result" else f"{where}['{key}']")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return f"{where} has the wrong number of items (expected {len(expected)})"
        for i, (g, e) in enumerate(zip(got, expected)):
            problem = same(g, e, rtol, atol, f"{where}[{i}]")
            if problem:
                return problem
        return None
    return _same_leaf(got, expected, rtol, atol, where)


def _same_leaf(got, expected, rtol, atol, where):
    if expected is None or isinstance(expected, (str, bool)):
        return None if type(got) is type(expected) and got == expected else f"{where} is wrong"
    if isinstance(got, (dict, list, str)) or got is None:
        return f"{where} is not a number or an array"
    want, have = np.asarray(expected), np.asarray(got)
    if have.dtype.kind not in "biuf":
        return f"{where} is not a number or an array"
    if want.shape != have.shape:
        return f"{where} has the wrong shape; expected {want.shape}"
    for kinds, words in (("iu", "integers"), ("b", "booleans")):
        if want.dtype.kind in kinds and have.dtype.kind not in kinds:
            return f"{where} must hold {words}"
    if not np.all(np.isfinite(have[np.isfinite(want)] if want.ndim else have)):
        return f"{where} contains inf or nan where the reference is finite"
    if not _close(have.astype(np.float64), want.astype(np.float64), rtol, atol):
        return f"{where} differs from the reference"
    return None


def _close(have, want, rtol, atol):
    """``numpy.allclose(have, want, rtol, atol, equal_nan=True)`` for float64 arrays of one
    shape, without its per-call overhead (a check compares hundreds of small arrays)."""
    with np.errstate(invalid="ignore", over="ignore"):
        near = np.abs(have - want) <= atol + rtol * np.abs(want)
    close = (have == want) | (near & np.isfinite(have) & np.isfinite(want))
    return bool(np.all(close | (np.isnan(have) & np.isnan(want))))


class Scripted:
    """A stand-in that returns ``values`` one call after another and records each call's
    positional arguments (as arrays), so a probe can return what it was called with."""

    def __init__(self, values):
        self.values, self.calls = list(values), []

    def __call__(self, *args):
        self.calls.append([np.array(a, dtype=np.float64) for a in args])
        if len(self.calls) > len(self.values):
            raise RuntimeError("a scripted stand-in was called more often than the test expects")
        return np.array(self.values[len(self.calls) - 1])


def without_warnings(function, *args, **kwargs):
    """``(result, True)``: ``function(*args, **kwargs)`` run with numpy's overflow, invalid
    and divide warnings made errors (as the tests do); ``(None, False)`` if one occurred."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            return function(*args, **kwargs), True
        except FloatingPointError:
            return None, False


def unchanged(after, before):
    """Whether an input is exactly as it was before the call (the tests use array_equal)."""
    return bool(np.array_equal(np.asarray(after), np.asarray(before)))


def fresh(value):
    """A copy of an array from a case (the function under test may modify it)."""
    return value.copy() if isinstance(value, np.ndarray) else value


def with_standins(modules, standins, call):
    """``call()`` while the attributes named in ``standins`` of every module in ``modules``
    are replaced by its values; the originals are put back afterwards, whatever happens."""
    saved = [(module, name, getattr(module, name)) for module in modules for name in standins]
    try:
        for module, name, _ in saved:
            setattr(module, name, standins[name])
        return call()
    finally:
        for module, name, value in saved:
            setattr(module, name, value)
