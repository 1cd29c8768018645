"""Catalogues of plausible wrong implementations ("mutants"), one module per chapter.

``nncourse/mutants/<chapter id>.py`` defines ``MUTANTS``, a list of :class:`Mutant`.
``nncourse check`` grades the reference with each mutant applied and fails if any earns
full marks: a test suite that a real mistake can pass is not finished.
"""
import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..solution_regions import find_regions, module_name


class MutantError(ValueError):
    """A mutant that does not apply to the reference (its text is not found once)."""


@dataclass(frozen=True)
class Mutant:
    """Replace ``old`` by ``new`` inside the solution region of ``function``.

    ``function`` is ``"module.Qual.name"`` as in ``nncourse/chapters.py``; ``name`` is a
    short id; ``hint`` says what such a mistake usually is, for feedback.
    """

    function: str
    name: str
    old: str
    new: str
    hint: str = ""


def catalogue(chapter):
    """The chapter's mutants (an empty list if it has no catalogue yet)."""
    try:
        module = importlib.import_module(f"{__name__}.{chapter.id}")
    except ModuleNotFoundError:
        return []
    return list(module.MUTANTS)


def write_mutated_package(package_dir, mutant, dest):
    """Copy ``package_dir`` to ``dest`` with ``mutant`` applied to its solution region."""
    package_dir, dest = Path(package_dir), Path(dest)
    shutil.copytree(package_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    path = dest / (mutant.function.split(".")[0] + ".py")
    lines = path.read_text().splitlines(keepends=True)
    region = next((r for r in find_regions(path, module_name(dest, path))
                   if r.function == mutant.function), None)
    if region is None:
        raise MutantError(f"mutant {mutant.name}: no solution region in {mutant.function}")
    body = "".join(lines[region.begin:region.end - 1])
    if body.count(mutant.old) != 1:
        raise MutantError(f"mutant {mutant.name}: {mutant.old!r} occurs {body.count(mutant.old)} "
                          f"times in the solution region of {mutant.function}; expected once")
    lines[region.begin:region.end - 1] = [body.replace(mutant.old, mutant.new)]
    path.write_text("".join(lines))
