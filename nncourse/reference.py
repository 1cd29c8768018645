"""Load the reference nnlib as a package of another name, beside any ``nnlib``.

Trusted code only: the grading worker loads the reference (and mutated copies) with
:func:`load_package` to compute expected results, and a source notebook's hidden cell,
run by an instructor, reaches it through :func:`load_reference`; ``import nnlib`` still
finds the kernel's own package, so the two never shadow each other.
"""
import importlib.util
import os
import sys
from pathlib import Path

from . import REPO_ROOT

REFERENCE_NAME = "nnlib_reference"
REPO_ENV = "NNCOURSE_REPO"


def load_reference(root=None):
    """Return the reference ``nnlib`` package (imported once, then cached).

    Parameters
    ----------
    root : path-like or None
        The repository that holds the reference ``nnlib/``; by default the one named
        by the ``NNCOURSE_REPO`` environment variable (set by ``nncourse check``), else the
        repository nncourse was installed from.
    """
    if REFERENCE_NAME in sys.modules:
        return sys.modules[REFERENCE_NAME]
    return load_package(Path(root or os.environ.get(REPO_ENV) or REPO_ROOT) / "nnlib",
                        REFERENCE_NAME)


def load_package(package_dir, name):
    """Import the package in ``package_dir`` under the module name ``name``."""
    package_dir = Path(package_dir)
    spec = importlib.util.spec_from_file_location(
        name, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
