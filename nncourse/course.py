"""A throwaway nbgrader course folder for ``generate_assignment`` (the release).

nbgrader wants its own layout (``source/``, ``release/`` and a gradebook). The repository
keeps the course's layout (``solutions/``, ``exercises/``), so the release runs nbgrader in
a course folder that nncourse lays out from the repository. (Grading does not use nbgrader's
command line: see :mod:`nncourse.grader.batch`.)
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .solution_regions import write_student_package

COURSE_ID = "nn-course"
CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = {db_url!r}
"""


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message holds the end of its log."""


def make_course(course, chapter, repo_root):
    """Lay out ``course/source/<id>/`` (source notebook + student nnlib), configure it and
    run ``nbgrader generate_assignment``; the release is then in ``course/release/<id>/``."""
    course = Path(course).resolve()
    source = course / "source" / chapter.id
    if course.exists():
        shutil.rmtree(course)
    shutil.copytree(Path(repo_root) / "solutions" / chapter.id, source,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    write_student_package(Path(repo_root) / "nnlib", source / "nnlib", chapter=chapter)
    (course / "nbgrader_config.py").write_text(CONFIG.format(
        root=str(course), course_id=COURSE_ID, db_url=f"sqlite:///{course / 'gradebook.db'}"))
    run_nbgrader(course, "generate_assignment", chapter.id, "--force")
    return course


def run_nbgrader(course, *args):
    """Run ``nbgrader ARGS`` in ``course``; raise :class:`NbgraderError` if it fails."""
    env = dict(os.environ)
    # nbgrader runs helpers (alembic) by name: make this environment's bin/ come first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise NbgraderError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return proc
