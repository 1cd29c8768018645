"""nbgrader's configuration for this course: its own commands on the repository's layout.

nbgrader reads this file when it runs in the repository root (``nbgrader release_assignment``,
``collect``, ``release_feedback``, the formgrader of a ``jupyter server`` started here).

- Source notebooks are ``solutions/<id>/`` and the student release is ``exercises/<id>/``
  (nbgrader's ``source/`` and ``release/``).
- The release is made by ``nncourse release``, never by ``nbgrader generate_assignment``:
  nncourse also writes the student copy of ``nnlib`` (chapter stubs), which
  generate_assignment would copy unchanged, solutions included. Likewise grade with
  ``nncourse autograde`` (sandboxed, hidden verdicts computed outside student code), not
  ``nbgrader autograde``.
- The grading state (``submitted/``, ``autograded/``, ``feedback/``, ``gradebook.db``) lives
  in the course root, ``grading/`` (git-ignored). Grade into it with
  ``nncourse autograde ID --submissions grading/submitted --out grading``.
- To keep grading somewhere else, put an ``nbgrader_config.py`` there that loads this one
  and sets the root::

      c = get_config()
      load_subconfig("/path/to/this/repository/nbgrader_config.py")
      c.CourseDirectory.root = "/path/to/that/folder"

Paths are absolute (from this file's location), so they hold from any working directory.
"""
import os

c = get_config()  # noqa: F821 (traitlets defines get_config in a config file's namespace)

REPOSITORY = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = os.environ.get("NNCOURSE_COURSE_ID", "nn-first-principles")
c.CourseDirectory.source_directory = os.path.join(REPOSITORY, "solutions")
c.CourseDirectory.release_directory = os.path.join(REPOSITORY, "exercises")
c.CourseDirectory.root = os.path.join(REPOSITORY, "grading")

# The exchange: a folder every student and instructor can write (nbgrader's default below;
# release_assignment creates it, or sets its mode to 0777). Override with
# NNCOURSE_EXCHANGE, a grading folder's config, or --Exchange.root=DIR on the command line.
c.Exchange.root = os.environ.get("NNCOURSE_EXCHANGE", "/usr/local/share/nbgrader/exchange")
