"""nncourse.solution_regions: the student copy of nnlib, and loud errors for malformed regions."""
import ast
import textwrap

import pytest

from nncourse.chapters import CHAPTERS
from nncourse.reference import load_package
from nncourse.solution_regions import (SolutionMarkerError, find_regions, module_name, package_files,
                            stubbed_source, write_student_package)


def test_every_chapter_function_has_exactly_one_region(repo):
    found = [r.function for p in package_files(repo / "nnlib")
             for r in find_regions(p, module_name(repo / "nnlib", p))]
    listed = [f for c in CHAPTERS.values() for f in c.functions]
    assert sorted(found) == sorted(listed)


def test_student_package_raises_not_implemented_naming_function_and_chapter(repo, tmp_path):
    write_student_package(repo / "nnlib", tmp_path / "student_nnlib")
    package = load_package(tmp_path / "student_nnlib", "student_nnlib")
    unit = package.perceptron.Perceptron(2)
    with pytest.raises(NotImplementedError, match=r"Perceptron\.predict.*chapter 1, ch01_perceptron"):
        unit.predict([[0.0, 1.0]])
    with pytest.raises(NotImplementedError, match=r"Perceptron\.update.*ch01_perceptron"):
        unit.update([0.0, 1.0], 1)
    with pytest.raises(ValueError, match="shape"):  # validation outside the region still works
        unit.predict([0.0, 1.0])
    assert "### BEGIN SOLUTION" not in (tmp_path / "student_nnlib" / "perceptron.py").read_text()


def test_stubbing_is_deterministic_and_leaves_files_without_regions_alone(repo):
    data = repo / "nnlib" / "data.py"
    assert stubbed_source(data, "data") == data.read_text()
    perceptron = repo / "nnlib" / "perceptron.py"
    assert stubbed_source(perceptron, "perceptron") == stubbed_source(perceptron, "perceptron")


def test_nnlib_imports_itself_only_relatively(repo):
    # The graders load the reference under another name; absolute self-imports would
    # silently pull in the student's package instead.
    for path in package_files(repo / "nnlib"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            assert not any(n == "nnlib" or n.startswith("nnlib.") for n in names), path


BROKEN = {
    "unclosed": ("def predict(self):\n    ### BEGIN SOLUTION\n    return 1\n", r"m\.py:2: .* never closed"),
    "nested": ("def predict(self):\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n"
               "    ### END SOLUTION\n", r"m\.py:3: .* inside the region opened at line 2"),
    "stray end": ("def predict(self):\n    ### END SOLUTION\n", r"m\.py:2: .* without"),
    "module level": ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", r"m\.py:1: .* outside any function"),
    "unlisted": ("def helper():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
                 r"m\.py:2: .* perceptron\.helper, which no chapter lists"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_malformed_regions_name_file_and_line(tmp_path, case):
    source, match = BROKEN[case]
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent(source))
    with pytest.raises(SolutionMarkerError, match=match):
        find_regions(path, "perceptron")
