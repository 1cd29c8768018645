"""A throwaway nbgrader course folder, and running nbgrader commands in it.

nbgrader wants its own layout (``source/``, ``release/``, ``submitted/``,
``autograded/`` and a gradebook). The repository keeps the course's layout
(``solutions/``, ``exercises/``), so every nbgrader step runs in a course folder that
nncourse lays out and configures from the repository.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .reference import REPO_ENV
from .stubs import package_files, write_student_package

COURSE_ID = "nn-course"
CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = {db_url!r}
c.Autograde.exclude_overwriting = {exclude!r}
c.Execute.timeout = {timeout}
c.Execute.iopub_timeout = 30  # nbgrader raises after nbclient's 4 s default on a busy machine
c.Execute.kernel_name = "python3"
"""


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message holds the end of its log."""


def make_course(course, chapter, repo_root, timeout=60):
    """Lay out ``course/source/<id>/`` (source notebook + student nnlib) and its config.

    The student nnlib sits in the source folder as it does in the release, and every
    one of its files is listed in ``Autograde.exclude_overwriting``, so autograding
    keeps the student's edited ``nnlib`` instead of restoring the stubs.
    """
    course = Path(course).resolve()
    source = course / "source" / chapter.id
    if course.exists():
        shutil.rmtree(course)
    shutil.copytree(Path(repo_root) / "solutions" / chapter.id, source,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    write_student_package(Path(repo_root) / "nnlib", source / "nnlib")
    write_config(course, chapter, timeout)
    run_nbgrader(course, "generate_assignment", chapter.id, "--force")
    return course


def clone_course(course, dest, chapter, timeout=60):
    """A copy of a prepared course (gradebook included) at ``dest``, configured for there."""
    dest = Path(dest).resolve()
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(course, dest, ignore=shutil.ignore_patterns("submitted", "autograded"))
    write_config(dest, chapter, timeout)
    return dest


def write_config(course, chapter, timeout):
    """Write ``course/nbgrader_config.py`` for the course folder ``course``."""
    source_nnlib = course / "source" / chapter.id / "nnlib"
    student_files = [str(Path("nnlib") / p.relative_to(source_nnlib)) for p in package_files(source_nnlib)]
    (course / "nbgrader_config.py").write_text(CONFIG.format(
        root=str(course), course_id=COURSE_ID, db_url=f"sqlite:///{course / 'gradebook.db'}",
        exclude={chapter.id: student_files}, timeout=int(timeout)))


def run_nbgrader(course, *args, repo_root=None, timeout=None):
    """Run ``nbgrader ARGS`` in ``course``; raise :class:`NbgraderError` if it fails.

    With ``repo_root``, kernels started by nbgrader find that repository's reference
    nnlib through :func:`nncourse.reference.load_reference`.
    """
    env = dict(os.environ, **({REPO_ENV: str(repo_root)} if repo_root else {}))
    # nbgrader runs helpers (alembic) by name: make this environment's bin/ come first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return proc
