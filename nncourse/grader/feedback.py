"""Each student's feedback page, in trusted words only, where ``nbgrader release_feedback``
finds it.

The page lists every graded test with its points and verdict. The words come from a fixed
vocabulary and from trusted code (which case and which output of a visible test, a hint,
a catalogued mistake); never text, names or values that the student's code produced while
it was graded. The student's own written answers are shown back to them.

nbgrader's exchange releases ``<course root>/feedback/<student_id>/<assignment>/*.html``.
For each page it reads ``timestamp.txt`` and ``submission_secret.txt`` in the same folder
(``nbgrader submit`` writes both into the submission, ``nbgrader collect`` copies them into
``submitted/``), and names the released file ``md5(secret + notebook name).html``; the
student's ``nbgrader fetch_feedback`` computes the same name from its own copy of the
secret. So ``OUT`` laid out as a course root, with those two files copied next to each
page, is all ``release_feedback`` needs; it does not read the gradebook.
"""
import html
import shutil
from pathlib import Path

from . import checks

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


VERDICT_WORDS = {
    checks.WRONG: "Your code's results differ from the reference's",
    "not implemented": "Not implemented yet: a function this test needs still raises NotImplementedError",
    "raised an exception": "Your code raised an exception",
    "returned something that is not plain data":
        "Your code returned something that is not a number, an array or a list of them (None?)",
    "ran out of memory": "Your code ran out of memory (the grader's limit)",
    checks.TIMED_OUT: "The test ran longer than its time budget and was stopped (an endless loop?)",
    checks.DIED: "The kernel died while this test ran (a crash, os._exit or a segfault in your code)",
    checks.MISSING: "No result came back for this test (the notebook stopped before it, or an "
                    "earlier problem in the status prevented it)",
}


def message(outcome):
    """What the page says about one test outcome."""
    if outcome.passed:
        return "passed"
    text = VERDICT_WORDS.get(outcome.verdict, "failed")
    if outcome.cell.hidden:
        text += " on inputs you have not seen."
    else:
        text += f" ({outcome.detail}); run this visible test in your notebook to see the values." \
            if outcome.detail else "; run this visible test in your notebook to see why."
    if outcome.cell.hint:
        text += f" Hint: {outcome.cell.hint}"
    if outcome.hint:
        text += f" Your code behaves like a known mistake: {outcome.hint}"
    return text


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Feedback: {assignment} ({student})</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: .4rem .6rem; text-align: left; vertical-align: top; }}
.pass {{ color: #176b2c; }} .fail {{ color: #a11; }}
pre {{ white-space: pre-wrap; background: #f6f6f6; padding: .5rem; }}
</style></head><body>
<h1>{assignment}: feedback for {student}</h1>
<p><strong>Autograded score: {score} / {max_score}</strong></p>
<p>Status: {status}</p>
<table><thead><tr><th>test</th><th>kind</th><th>points</th><th>result</th></tr></thead>
<tbody>
{rows}
</tbody></table>
{written}
</body></html>
"""


def write_feedback(path, result):
    """Write one student's page: every test with points and verdict, no test code."""
    rows = "\n".join(
        f'<tr><td>{html.escape(t.cell.name)}</td><td>{"hidden" if t.cell.hidden else "visible"}'
        f'</td><td>{t.score:g} / {t.cell.points:g}</td><td class="{"pass" if t.passed else "fail"}">'
        f"{html.escape(message(t))}</td></tr>" for t in result.tests)
    written = "".join(
        f"<h2>Written answer {html.escape(name)} ({points:g} points, graded by hand)</h2>"
        f"<pre>{html.escape(answer)}</pre>" for name, points, answer in result.written)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(PAGE.format(
        assignment=html.escape(result.assignment), student=html.escape(result.student_id),
        score=f"{result.score:g}", max_score=f"{result.max_score:g}",
        status=html.escape(result.status), rows=rows, written=written), encoding="utf-8",
        errors="replace")  # a student id that is not UTF-8 (a folder name) shows as "?"
