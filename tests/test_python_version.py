"""The Python version the repository promises is one every pinned dependency installs on."""
import re
import tomllib
from importlib.metadata import metadata

from packaging.specifiers import SpecifierSet

from conftest import REPO


def pinned():
    """(name, version) of every pin in requirements.txt."""
    lines = (line.split("#")[0].strip() for line in (REPO / "requirements.txt").read_text().splitlines())
    return [tuple(line.split("==")) for line in lines if "==" in line]


def oldest_python_for_all_pins():
    """The oldest 3.x that every pinned distribution (as installed) accepts."""
    specs = [SpecifierSet(metadata(name).get("Requires-Python") or "") for name, _ in pinned()]
    return next(f"3.{minor}" for minor in range(8, 30) if all(f"3.{minor}" in s for s in specs))


def test_pyproject_and_readme_promise_the_python_the_pins_need():
    oldest = oldest_python_for_all_pins()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == f">={oldest}"
    promised = re.findall(r"`python3` \((3\.\d+) or newer\)", (REPO / "README.md").read_text())
    assert promised == [oldest]


def test_ipython_is_pinned_to_the_version_whose_reloader_the_notebooks_rely_on():
    assert ("ipython", metadata("ipython")["Version"]) in pinned()
