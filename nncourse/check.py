"""``nncourse check``: prove a chapter's release is right, or say loudly what is wrong.

For each chapter: ``exercises/<id>/`` is byte-identical to a fresh regeneration; the
reference (solution notebook + reference nnlib) earns every autograded point; the
untouched release earns none (both graded in the sandbox); every catalogued mistake
(``nncourse/mutants/``) fails a trusted check; and no hidden-test text appears under
``exercises/``, nor a chapter's solution in its own or an earlier chapter's release (later
releases give it on purpose).
"""
import filecmp
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .chapters import CHAPTERS
from .grader.batch import autograde
from .mutants import catalogue as mutant_catalogue
from .grader.selftest import selftest
from .reference import REPO_ENV
from .release import release
from .grader.sandbox import Limits
from .solution_regions import BEGIN, END, package_files, solution_lines

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
FORBIDDEN = (BEGIN, END, HIDDEN_BEGIN, HIDDEN_END, "load_reference", "nnlib_reference")
MIN_SECRET_LENGTH = 8  # shorter lines ("pass", "else:") prove nothing


@dataclass
class Finding:
    """One verdict of the check."""

    ok: bool
    what: str
    detail: str = ""

    def __str__(self):
        return f"{'PASS' if self.ok else 'FAIL'} {self.what}" + (f"\n     {self.detail}" if self.detail else "")


def check_chapter(chapter, repo_root, timeout=60, mutants=True):
    """The findings for one chapter: fresh release, reference, untouched release, mutants.
    (The leak scan, :func:`find_leaks`, covers all of ``exercises/`` at once.)"""
    repo_root = Path(repo_root)
    with tempfile.TemporaryDirectory(prefix="nncourse-check-") as tmp:
        fresh = release(chapter, repo_root, Path(tmp) / "fresh")
        findings = [compare_release(repo_root / "exercises" / chapter.id, fresh),
                    run_solution_notebook(chapter, repo_root, Path(tmp) / "as-written", timeout)]
        findings += grade_extremes(chapter, repo_root, fresh, Path(tmp), timeout, mutants)
    return findings


def run_solution_notebook(chapter, repo_root, folder, timeout=60):
    """Does the solution notebook, as written, pass every test cell on the reference nnlib?

    The visible tests' hand-worked values are the oracle here: the trusted checks compare
    a submission with the reference, so only this run catches a wrong reference. It runs
    instructor code only, in a plain kernel, with ``NNCOURSE_REPO`` naming the repository
    whose reference the hidden cells' :func:`~nncourse.grader.in_notebook.run_check` uses.
    """
    shutil.copytree(repo_root / "solutions" / chapter.id, folder)
    shutil.copytree(repo_root / "nnlib", folder / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))
    notebook = nbformat.read(folder / chapter.notebook, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=dict(os.environ, **{REPO_ENV: str(Path(repo_root).resolve())}))
    failed = [c.metadata["nbgrader"]["grade_id"] for c in notebook.cells
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
              and any(o.get("output_type") == "error" for o in c.outputs)]
    return Finding(not failed, f"{chapter.id}: the solution notebook as written passes every "
                               f"test cell on the reference", "failed: " + ", ".join(failed) if failed else "")


def compare_release(committed, fresh):
    """Is ``committed`` byte-identical to the fresh regeneration ``fresh``?"""
    what = f"{committed.parent.name}/{committed.name}/ matches a fresh regeneration"
    files = lambda root: {p.relative_to(root) for p in root.rglob("*") if p.is_file()
                          and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
    have = files(committed) if committed.is_dir() else set()
    want = files(fresh)
    differ = sorted(str(p) for p in have & want
                    if not filecmp.cmp(committed / p, fresh / p, shallow=False))
    problems = [f"{label}: {', '.join(sorted(map(str, items)))}" for label, items in
                (("missing", want - have), ("extra", have - want), ("differ", differ)) if items]
    fix = f"; run `nncourse release {committed.name}` and commit the result"
    return Finding(not problems, what, "; ".join(problems) + fix if problems else "")


def find_leaks(repo_root):
    """Does a marker, a hidden-test line, or a solution line of chapter k or a later chapter
    appear in ``exercises/<chapter k>/``? (Earlier chapters' solutions are given there on
    purpose.) Files outside a chapter's folder may hold no solution line at all."""
    secrets, leaks = {}, []
    for path in sorted((repo_root / "exercises").rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        chapter = CHAPTERS.get(path.relative_to(repo_root / "exercises").parts[0])
        if chapter not in secrets:
            secrets[chapter] = secret_lines(repo_root, release_of=chapter)
        for number, line in enumerate(_text_lines(path), start=1):
            stripped = line.strip()
            if stripped in secrets[chapter] or any(marker in line for marker in FORBIDDEN):
                leaks.append(f"{path.relative_to(repo_root)}:{number}: {stripped[:80]}")
    detail = "; ".join(leaks[:10]) + (f" (and {len(leaks) - 10} more)" if len(leaks) > 10 else "")
    return Finding(not leaks, "no hidden-test text under exercises/, and no solution of a "
                              "chapter in its own or an earlier release", detail)


def secret_lines(repo_root, hidden_tests_only=False, release_of=None):
    """Stripped lines that only solutions and hidden tests contain, never the public text.

    With ``hidden_tests_only``, just the hidden-test lines of the source notebooks (what
    feedback must not show; a student's own solutions may appear in their feedback). With
    ``release_of`` (a chapter), what that chapter's release must not contain: the
    earlier chapters' solutions, which it gives, are not secret there.
    """
    solutions, hidden, public = _lines_by_kind(repo_root)
    first = release_of.number if release_of else 0
    secret = set(hidden)
    if not hidden_tests_only:
        secret |= {line for c in CHAPTERS.values() if c.number >= first for line in solutions[c.id]}
    given = {line for c in CHAPTERS.values() if c.number < first for line in solutions[c.id]}
    return {s for s in secret - public - given if len(s) >= MIN_SECRET_LENGTH}


def _lines_by_kind(repo_root):
    """({chapter id: its solution lines (nnlib regions and notebook)}, hidden-test lines,
    public lines), all stripped."""
    nnlib = repo_root / "nnlib"
    solutions = {c.id: solution_lines(nnlib, {c.id}) for c in CHAPTERS.values()}
    public = {line.strip() for path in package_files(nnlib)
              for line in path.read_text().splitlines()} - solution_lines(nnlib)
    hidden = set()
    for chapter in (c for c in CHAPTERS.values() if c.has_exercise(repo_root)):
        for cell in nbformat.read(chapter.source_notebook(repo_root), 4).cells:
            regions = _split_cell(cell)
            solutions[chapter.id] |= set(regions["solution"])
            hidden |= set(regions["hidden"])
            public |= set(regions["public"])
    return solutions, hidden, public


def _split_cell(cell):
    """The stripped lines of one source-notebook cell by kind: solution, hidden, public."""
    meta = cell.metadata.get("nbgrader", {})
    lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
    regions = {"solution": [], "hidden": [], "public": []}
    if meta.get("solution") and cell.cell_type == "markdown":
        regions["solution"] = lines
        return regions
    kind = "public"
    for line in lines:
        if line in (BEGIN, HIDDEN_BEGIN):
            kind = "solution" if line == BEGIN else "hidden"
        elif line in (END, HIDDEN_END):
            kind = "public"
        else:
            regions[kind].append(line)
    return regions


def _text_lines(path):
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, 4)
        return [line for cell in notebook.cells for line in cell.source.splitlines()]
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        return []


def grade_extremes(chapter, repo_root, fresh_release, tmp, timeout=60, mutants=True):
    """Autograde, in one sandboxed batch, the reference (must earn everything) and the
    untouched release (nothing); with ``mutants``, prove the checks sound in this trusted
    process (:mod:`nncourse.grader.selftest`: the same probes and judges, without a sandbox)."""
    submissions = tmp / "submissions"
    reference = submissions / "reference" / chapter.id
    shutil.copytree(repo_root / "solutions" / chapter.id, reference)
    shutil.copytree(repo_root / "nnlib", reference / "nnlib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(fresh_release, submissions / "untouched" / chapter.id)
    results = {r.student_id: r for r in autograde(chapter, submissions, tmp / "graded", repo_root,
                                                   Limits(timeout=timeout), progress=False,
                                                   jobs=os.cpu_count() or 1, diagnose=False)}
    findings = [_reference_finding(chapter, results["reference"]),
                _untouched_finding(chapter, results["untouched"])]
    if mutants:
        findings.append(_selftest_finding(chapter, repo_root, fresh_release))
    return findings


def _reference_finding(chapter, result):
    lost = [f"{t.cell.name} ({t.score:g}/{t.cell.points:g}: {t.verdict} {t.detail})"
            for t in result.tests if not t.passed]
    return Finding(not lost and bool(result.tests),
                   f"{chapter.id}: the reference earns full marks ({result.score:g}/{result.max_score:g})",
                   "; ".join(lost) or ("no autograded tests found" if not result.tests else ""))


def _untouched_finding(chapter, result):
    earned = [f"{t.cell.name} ({t.score:g} points)" for t in result.tests if t.score]
    return Finding(not earned, f"{chapter.id}: the untouched release scores 0 on every "
                               f"autograded cell ({len(result.tests)} cells)", "; ".join(earned))


def _selftest_finding(chapter, repo_root, fresh_release):
    catalogue = mutant_catalogue(chapter)
    problems = selftest(chapter, repo_root, fresh_release / "nnlib")
    if not catalogue:
        problems.append(f"no catalogue: add nncourse/mutants/{chapter.id}.py")
    return Finding(not problems, f"{chapter.id}: every check is sound and every one of the "
                                 f"{len(catalogue)} catalogued mistakes fails a check", "; ".join(problems))
