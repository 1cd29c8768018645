"""Where ``nncourse autograde`` puts feedback, so that ``nbgrader release_feedback`` finds it.

nbgrader's exchange releases ``<course root>/feedback/<student_id>/<assignment>/*.html``.
For each page it reads ``timestamp.txt`` and ``submission_secret.txt`` in the same folder
(``nbgrader submit`` writes both into the submission, ``nbgrader collect`` copies them into
``submitted/``), and names the released file ``md5(secret + notebook name).html``; the
student's ``nbgrader fetch_feedback`` computes the same name from its own copy of the
secret. So ``OUT`` laid out as a course root, with those two files copied next to each
page, is all ``release_feedback`` needs; it does not read the gradebook.
"""
import shutil
from pathlib import Path

EXCHANGE_STAMPS = ("timestamp.txt", "submission_secret.txt")
MAX_STAMP_BYTES = 4096  # nbgrader's secret is 128 hex digits and its timestamp ~32 bytes


def feedback_path(out_dir, student_id, assignment):
    """``OUT/feedback/<student_id>/<assignment>/<assignment>.html`` (nbgrader's layout)."""
    return Path(out_dir) / "feedback" / student_id / assignment / f"{assignment}.html"


def copy_exchange_stamps(submission_dir, feedback_dir):
    """Copy the submission's ``timestamp.txt`` and ``submission_secret.txt`` into
    ``feedback_dir``; return the names copied.

    Only small regular files are copied (a symbolic link in a submission could otherwise
    point at the instructor's files). A submission that did not come through the exchange
    has neither, and its feedback is simply not released by ``release_feedback``.
    """
    copied = []
    for name in EXCHANGE_STAMPS:
        source = Path(submission_dir) / name
        if source.is_symlink() or not source.is_file() or source.stat().st_size > MAX_STAMP_BYTES:
            continue
        Path(feedback_dir).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, Path(feedback_dir) / name)
        copied.append(name)
    return copied
