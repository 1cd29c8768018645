"""Shared fixtures: the repository root, an nncourse runner and the built book."""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def repo():
    return REPO


def mutant_packages(repo, chapter, key=lambda mutant: f"{mutant.function}:{mutant.name}"):
    """The body of a module fixture: every catalogued mistake of ``chapter`` written into a
    temporary copy of ``nnlib`` and loaded; yields ``{key(mutant): package}``."""
    from nncourse.grader.checks import load_nnlib
    from nncourse.mutants import catalogue, write_mutated_package

    with tempfile.TemporaryDirectory() as tmp:
        packages = {}
        for number, mutant in enumerate(catalogue(chapter)):
            folder = Path(tmp) / f"m{number}"
            write_mutated_package(repo / "nnlib", mutant, folder)
            packages[key(mutant)] = load_nnlib(folder, f"nnlib_{chapter.id}_m{number}")
        yield packages


def run_nncourse(*args, cwd=REPO, env=None):
    """Run the installed ``nncourse`` CLI; return the completed process."""
    return subprocess.run([sys.executable, "-m", "nncourse.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, env=env)


@pytest.fixture(scope="session")
def built_book():
    """The book built once per session (``-W -n --keep-going``, into a temporary folder):
    ``(html folder, exit status, log)``. The book tests and the student edition share it."""
    out = Path(tempfile.mkdtemp(prefix="nn-book-"))
    proc = subprocess.run([Path(sys.executable).parent / "jupyter-book", "build", str(REPO),
                           "--path-output", str(out), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, cwd=REPO)
    yield out / "_build" / "html", proc.returncode, proc.stdout + proc.stderr
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless chromium through Debian's chromedriver (Selenium), a fresh profile, no
    network but loopback; skips when either is missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                    "(make test installs requirements.txt)")
    from selenium.webdriver.chrome.service import Service

    if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
        pytest.skip("Debian's chromium and chromium-driver are not installed "
                    "(make test installs them when run as root with apt-get)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--window-size=1280,1500",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
                 "--proxy-server=127.0.0.1:9",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
