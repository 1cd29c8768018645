"""A TA scores a written answer in nbgrader's formgrader, in a real browser, on the
gradebook and executed notebooks that ``nncourse autograde`` wrote; ``nncourse grades``
then counts that score.

The formgrader runs in a ``jupyter server`` on loopback with a token, in a course root that
is ``nncourse autograde``'s ``--out``. The browser is Debian's chromium driven by Selenium
through Debian's chromedriver (nothing is downloaded: the driver's path is explicit).
"""
import csv
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import CHROMEDRIVER, CHROMIUM, REPO, run_nncourse
from nbgrader_course import (WRITTEN_ANSWER, answer_written_questions, fill_in_bodies,
                             instructor_root, isolated_env)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                "(make test installs requirements.txt)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()),
    reason="Debian's chromium and chromium-driver are not installed "
           "(make test installs them when run as root with apt-get)")

CHAPTER, STUDENT, WRITTEN = "ch01_perceptron", "ada", "written_xor"
TA_SCORE = 1.5  # of the written answer's 2 points
SERVER_EXTENSIONS = {  # only the formgrader: no JupyterLab, no other nbgrader extension
    "nbgrader.server_extensions.formgrader": True, "jupyterlab": False, "notebook": False,
    "jupyter_lsp": False, "jupyter_server_terminals": False, "notebook_shim": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course root graded by ``nncourse autograde``: one complete submission whose
    written answer waits for a TA."""
    root = instructor_root(tmp_path_factory.mktemp("formgrader") / "course",
                           exchange=tmp_path_factory.mktemp("exchange"))
    submission = root / "submitted" / STUDENT / CHAPTER
    shutil.copytree(REPO / "exercises" / CHAPTER, submission,
                    ignore=shutil.ignore_patterns("__pycache__"))
    fill_in_bodies(submission / "nnlib" / "perceptron.py", REPO / "nnlib" / "perceptron.py")
    answer_written_questions(submission / f"{CHAPTER}.ipynb")
    graded = run_nncourse("autograde", CHAPTER, "--submissions", root / "submitted",
                          "--out", root, "--jobs", 1)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    return root


@pytest.fixture(scope="module")
def formgrader(course):
    """``(base URL, token)`` of a formgrader serving ``course`` on loopback."""
    port, token = free_port(), "nncourse-test-token"
    extensions = json.dumps(SERVER_EXTENSIONS).replace("true", "True").replace("false", "False")
    log = open(course.parent / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--ip=127.0.0.1", f"--port={port}",
         "--no-browser", "--allow-root", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={course}", f"--ServerApp.jpserver_extensions={extensions}"],
        cwd=course, env=isolated_env(course.parent), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: api(base, token, "/formgrader/api/status") is not None, 60,
                 lambda: f"no formgrader at {base}:\n{(course.parent / 'server.log').read_text()}")
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def api(base, token, path):
    """The JSON the formgrader answers at ``path``, or None if it does not answer yet."""
    request = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except OSError:
        return None


def wait_for(condition, seconds, message):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message()
        time.sleep(0.25)


def written_score(base, token):
    """The written score the formgrader holds for the student's notebook."""
    rows = api(base, token, f"/formgrader/api/submitted_notebooks/{CHAPTER}/{CHAPTER}") or []
    return next((r["written_score"] for r in rows if r["student"] == STUDENT), None)


def open_submission(driver, base, token):
    """Log in with the token, open the notebook's submission list, click the submission;
    return the score box of the written answer."""
    driver.get(f"{base}/formgrader?token={token}")  # the login cookie's path is then "/"
    driver.get(f"{base}/formgrader/gradebook/{CHAPTER}/{CHAPTER}")
    WebDriverWait(driver, 30).until(
        ready.element_to_be_clickable((By.LINK_TEXT, "Submission #1"))).click()
    box = WebDriverWait(driver, 30).until(ready.element_to_be_clickable((By.ID, WRITTEN)))
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    return box


def test_a_ta_scores_the_written_answer_and_nncourse_grades_counts_it(course, formgrader,
                                                                      browser, tmp_path):
    base, token = formgrader
    listed = written_score(base, token)
    assert listed == 0, f"the formgrader lists no unscored written answer for {STUDENT}: {listed}"
    box = open_submission(browser, base, token)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert WRITTEN_ANSWER in page and "test_predict_hidden" in page, \
        "the manual grading page does not show the autograded notebook"
    box.clear()
    box.send_keys(str(TA_SCORE), Keys.TAB)
    wait_for(lambda: written_score(base, token) == TA_SCORE, 30,
             lambda: f"the formgrader did not save the score: {written_score(base, token)}")
    browser.save_screenshot(str(course.parent / "manual-grading.png"))

    exported = run_nncourse("grades", "--db", f"sqlite:///{course / 'gradebook.db'}",
                            "--out", tmp_path / "grades.csv")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["student_id"] == STUDENT)
    assert (row["assignment"], row["autograded_score"], row["written_score"], row["total"],
            row["needs_manual_grading"]) == (CHAPTER, "15", "1.5", "16.5", "no"), row
