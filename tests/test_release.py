"""nncourse release/check: the committed release is fresh and leak-free, the reference
earns everything and the stubs nothing; and each of those checks fails when it should."""
import ast
import json
import shutil

import pytest

from conftest import REPO, run_nncourse
from nncourse.chapters import CHAPTERS, get_chapter
from nncourse.check import check_chapter, compare_release, find_leaks
from nncourse.grader.selftest import selftest
from nncourse.mutants import catalogue
from nncourse.release import release

CHAPTER = get_chapter("ch01_perceptron")


def test_nncourse_check_passes_on_the_repository():
    """Every chapter's release is fresh, its solution notebook passes, the reference earns
    full marks and the untouched release nothing, in the sandbox. (The mutant proof, the
    same selftest, runs per chapter in tests/test_probes_*.py and for chapter 1 below; run
    twice it cost the suite about two minutes.)"""
    chapters = [c for c in CHAPTERS.values() if c.has_exercise(REPO)]
    proc = run_nncourse("check", "--no-mutants")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASS") == 1 + 4 * len(chapters) and "FAIL" not in proc.stdout
    assert "catalogued mistakes" not in proc.stdout


def test_every_chapter_1_mistake_fails_a_check():
    assert len(catalogue(CHAPTER)) == 9
    assert selftest(CHAPTER, REPO, REPO / "exercises" / CHAPTER.id / "nnlib") == []


@pytest.fixture
def repo_copy(tmp_path):
    """The parts of the repository that release/check read, in a scratch folder."""
    for part in ("nnlib", "solutions", "exercises"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_stale_release_is_caught(repo_copy, tmp_path_factory):
    fresh = release(CHAPTER, repo_copy, tmp_path_factory.mktemp("fresh"))
    assert compare_release(repo_copy / "exercises" / CHAPTER.id, fresh).ok
    with open(repo_copy / "nnlib" / "data.py", "a") as fh:
        fh.write("\nNEW_CONSTANT = 1\n")
    fresh = release(CHAPTER, repo_copy, tmp_path_factory.mktemp("fresh2"))
    finding = compare_release(repo_copy / "exercises" / CHAPTER.id, fresh)
    assert not finding.ok and "differ: nnlib/data.py" in finding.detail
    assert f"nncourse release {CHAPTER.id}" in finding.detail


def test_release_is_byte_for_byte_reproducible(tmp_path):
    first, second = release(CHAPTER, REPO, tmp_path / "a"), release(CHAPTER, REPO, tmp_path / "b")
    assert compare_release(first, second).ok


def test_leaked_solution_or_hidden_test_is_caught(repo_copy):
    assert find_leaks(repo_copy).ok
    student = repo_copy / "exercises" / CHAPTER.id / "nnlib" / "perceptron.py"
    student.write_text(student.read_text() + "\n        return (z >= 0).astype(np.int64)\n")
    finding = find_leaks(repo_copy)
    assert not finding.ok and "nnlib/perceptron.py" in finding.detail

    student.write_text(student.read_text().rsplit("\n        return (z", 1)[0])
    assert find_leaks(repo_copy).ok
    path = repo_copy / "exercises" / CHAPTER.id / CHAPTER.notebook
    notebook = json.loads(path.read_text())
    source = json.loads((repo_copy / "solutions" / CHAPTER.id / CHAPTER.notebook).read_text())
    hidden = next(c for c in source["cells"] if "### BEGIN HIDDEN TESTS" in "".join(c["source"]))
    notebook["cells"].append(dict(hidden, id="leaked-hidden-cell"))
    path.write_text(json.dumps(notebook))
    finding = find_leaks(repo_copy)
    assert not finding.ok and CHAPTER.notebook in finding.detail


def test_a_release_may_give_earlier_chapters_solutions_but_not_its_own_or_later_ones(repo_copy):
    # ch02's release gives ch01's Perceptron.predict on purpose: no leak.
    given = (repo_copy / "exercises" / "ch02_sigmoid" / "nnlib" / "perceptron.py").read_text()
    assert "return (z >= 0).astype(np.int64)" in given and find_leaks(repo_copy).ok
    # The same file in ch01's own release, or ch04's Linear.forward in ch03's: leaks.
    for folder, module in (("ch01_perceptron", "perceptron"), ("ch03_softmax", "layers")):
        reference = (repo_copy / "nnlib" / f"{module}.py").read_text()
        (repo_copy / "exercises" / folder / "nnlib" / f"{module}.py").write_text(reference.replace(
            "### BEGIN SOLUTION", "").replace("### END SOLUTION", ""))
        finding = find_leaks(repo_copy)
        assert not finding.ok and f"exercises/{folder}/nnlib/{module}.py" in finding.detail
        shutil.copyfile(REPO / "exercises" / folder / "nnlib" / f"{module}.py",
                        repo_copy / "exercises" / folder / "nnlib" / f"{module}.py")
    assert find_leaks(repo_copy).ok


def _function_source(path, qualname):
    """The lines of the function ``qualname`` ("Class.method" or "function") in ``path``."""
    node = ast.parse(path.read_text())
    for name in qualname.split("."):
        node = next(n for n in node.body if getattr(n, "name", None) == name)
    return path.read_text().splitlines()[node.lineno - 1:node.end_lineno]


EXERCISES = [c for c in CHAPTERS.values() if c.has_exercise(REPO)]


@pytest.mark.parametrize("chapter", EXERCISES, ids=lambda c: c.id)
def test_a_release_stubs_its_own_and_later_chapters_and_gives_the_earlier_ones(chapter):
    stubbed = set()
    for other in CHAPTERS.values():
        for function in other.functions:
            module, qualname = function.split(".", 1)
            released = _function_source(REPO / "exercises" / chapter.id / "nnlib" / f"{module}.py", qualname)
            reference = _function_source(REPO / "nnlib" / f"{module}.py", qualname)
            if any("raise NotImplementedError(" in line and f"chapter {other.number}, {other.id}" in line
                   for line in released):
                stubbed.add(function)
                continue
            comment = [line for line in released if line.strip().startswith("# Given:")]
            assert len(comment) == 1 and f"chapter {other.number} ({other.id})" in comment[0], function
            assert [line for line in released if line not in comment] == [
                line for line in reference if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    assert stubbed == {f for c in CHAPTERS.values() if c.number >= chapter.number for f in c.functions}


def test_check_fails_on_a_wrong_reference_and_a_test_that_cannot_fail(repo_copy):
    module = repo_copy / "nnlib" / "perceptron.py"
    module.write_text(module.read_text().replace("return (z >= 0)", "return (z > 0)"))
    path = repo_copy / "solutions" / CHAPTER.id / CHAPTER.notebook
    notebook = json.loads(path.read_text())
    notebook["cells"].append({"cell_type": "code", "id": "vacuous", "execution_count": None, "outputs": [],
                              "source": "assert True", "metadata": {"nbgrader": {
                                  "grade": True, "solution": False, "locked": True, "points": 1,
                                  "grade_id": "test_vacuous", "schema_version": 3, "task": False}}})
    path.write_text(json.dumps(notebook))
    shutil.rmtree(repo_copy / "exercises" / CHAPTER.id)
    release(CHAPTER, repo_copy)
    findings = {f.what.split(":")[-1].split("(")[0].strip(): f for f in check_chapter(CHAPTER, repo_copy, mutants=False)}
    # The hand-worked visible tests are the oracle for the reference itself ...
    as_written = findings["the solution notebook as written passes every test cell on the reference"]
    assert not as_written.ok and "test_predict_gates" in as_written.detail
    # ... and a test cell with no trusted check earns nobody anything, the reference included.
    reference = findings["the reference earns full marks"]
    assert not reference.ok and "test_vacuous (0/1: no result this test has no trusted check)" in reference.detail
    assert findings["the untouched release scores 0 on every autograded cell"].ok
