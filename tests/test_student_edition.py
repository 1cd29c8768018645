"""The student edition (``nncourse student``): what it holds, the leak rule (and that the
scan catches a pasted solution), and an exercise notebook run with nbclient in an
environment made by the edition's own ``start.py`` from its ``requirements.txt``."""
import filecmp
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, run_nncourse
from nncourse.chapters import CHAPTERS, get_chapter
from nncourse.check import FORBIDDEN, HIDDEN_BEGIN, secret_lines
from nncourse.edition import book_is_fresh
from nncourse.edition_scan import scan_edition, solution_regions
from nncourse.solution_regions import find_regions, module_name, package_files, stub_text

CHAPTER = get_chapter("ch01_perceptron")  # the cheapest notebook to run
VENV_CACHE = REPO / ".venv-cache"
STUDENT_PACKAGES = {"numpy", "matplotlib", "ipywidgets", "tqdm", "ipython", "ipykernel", "jupyterlab"}


@pytest.fixture(scope="module")
def edition(built_book, tmp_path_factory):
    """The full edition, built by the CLI from the session's book build."""
    html_dir, returncode, log = built_book
    assert returncode == 0, "the book does not build:\n" + log[-3000:]
    out = tmp_path_factory.mktemp("edition") / "student"
    proc = run_nncourse("student", "--book", html_dir, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_edition_holds_book_chapters_exercises_and_no_instructor_files(edition):
    chapters = [c for c in CHAPTERS.values() if c.has_exercise(REPO)]
    assert (edition / "book" / "index.html").is_file()
    assert (edition / "book" / "book" / f"{CHAPTER.id}.html").is_file()
    for chapter in chapters:
        ours, theirs = REPO / "exercises" / chapter.id, edition / "exercises" / chapter.id
        files = [p.relative_to(ours) for p in ours.rglob("*") if p.is_file()
                 and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts]
        assert files and all(filecmp.cmp(ours / f, theirs / f, shallow=False) for f in files)
        setup = nbformat.read(edition / "chapters" / chapter.notebook, 4).cells[0].source
        assert f'Path("../exercises/{chapter.id}")' in setup
    assert {p.name for p in edition.iterdir()} >= {"README.md", "start.py", "requirements.txt"}
    for name in ("solutions", "nncourse", "nnlib", "tests", ".venv"):
        assert not (edition / name).exists(), name
    assert "`nncourse student --chapters" in (edition / "README.md").read_text()


def test_requirements_are_the_students_pinned_as_the_course_pins_them(edition):
    wanted = dict(line.split("==") for line in (REPO / "requirements.txt").read_text().splitlines()
                  if "==" in line and not line.startswith("#"))
    pins = dict(line.split("==") for line in (edition / "requirements.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    assert set(pins) == STUDENT_PACKAGES, pins
    assert all(pins[name] == wanted[name] for name in pins if name in wanted), pins


def test_chapters_option_limits_exercises_and_chapter_notebooks(built_book, tmp_path):
    out = tmp_path / "one"
    proc = run_nncourse("student", "--chapters", CHAPTER.id, "--book", built_book[0], "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [p.name for p in (out / "exercises").iterdir()] == [CHAPTER.id]
    assert [p.name for p in (out / "chapters").iterdir()] == [CHAPTER.notebook]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    refused = run_nncourse("student", "--book", built_book[0], "--out", tmp_path / "other")
    assert refused.returncode == 2 and (tmp_path / "other" / "notes.txt").exists()


def test_the_built_edition_passes_the_leak_scan(edition):
    assert scan_edition(edition, REPO) == []


def test_book_is_fresh_only_when_newer_than_every_input(tmp_path):
    html_dir = tmp_path / "_build" / "html"
    assert not book_is_fresh(tmp_path, html_dir)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "page.md").write_text("# a page")
    html_dir.mkdir(parents=True)
    (html_dir / "index.html").write_text("<html></html>")
    assert book_is_fresh(tmp_path, html_dir)
    os.utime(html_dir / "index.html", (1, 1))  # built long before the page was written
    assert not book_is_fresh(tmp_path, html_dir)


def _body(function):
    """The reference solution lines of ``function`` ("module.Qual.name"), as written."""
    for path in package_files(REPO / "nnlib"):
        lines = path.read_text().splitlines()
        for region in find_regions(path, module_name(REPO / "nnlib", path)):
            if region.function == function:
                return region.body(lines)
    raise LookupError(function)


def _mini_edition(root, files):
    """An edition holding only ``files`` ({relative path: text})."""
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_scan_flags_a_solution_pasted_into_the_book_or_a_later_release(edition, tmp_path):
    page = (edition / "book" / "book" / f"{CHAPTER.id}.html").read_text()
    update = "\n".join(_body("perceptron.Perceptron.update"))
    sigmoid = "\n".join(_body("activations.sigmoid"))
    leaky = _mini_edition(tmp_path, {
        "book/book/page.html": page.replace("</body>", f"<pre>{html.escape(update)}</pre></body>"),
        "chapters/ch02_sigmoid.ipynb": nbformat.writes(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(f"def sigmoid(z):\n{sigmoid}")])),
        "exercises/ch02_sigmoid/nnlib/activations.py": f"def sigmoid(z):\n{sigmoid}\n",
        "exercises/ch01_perceptron/nnlib/perceptron.py": f"def update():\n{update}\n",
    })
    flagged = {leak.split(":")[0] for leak in scan_edition(leaky, REPO)}
    assert flagged == {"book/book/page.html", "chapters/ch02_sigmoid.ipynb",
                       "exercises/ch02_sigmoid/nnlib/activations.py",
                       "exercises/ch01_perceptron/nnlib/perceptron.py"}, flagged


def test_scan_allows_earlier_chapters_given_code_and_single_common_lines(tmp_path):
    update = "\n".join(_body("perceptron.Perceptron.update"))
    secret = secret_lines(REPO)
    single = next(line for _, body in solution_regions(REPO) for line in body
                  if line in secret and len(body) > 1)
    fine = _mini_edition(tmp_path, {
        "exercises/ch02_sigmoid/nnlib/perceptron.py": f"def update():\n{update}\n",
        "book/book/page.html": f"<pre>x = 1\n{html.escape(single)}\ny = 2</pre>",
    })
    assert scan_edition(fine, REPO) == []


def _first_pair(block):
    """Two consecutive lines of ``block``, each of 20+ characters, without markers."""
    return next(p for p in zip(block, block[1:]) if min(map(len, p)) >= 20
                and not any(marker in line for marker in FORBIDDEN for line in p))


def test_scan_flags_hidden_tests_and_instructor_files(tmp_path):
    source = CHAPTER.source_notebook(REPO)
    hidden = next(c.source for c in nbformat.read(source, 4).cells if HIDDEN_BEGIN in c.source)
    block = [line.strip() for line in hidden.split(HIDDEN_BEGIN)[1].splitlines() if line.strip()]
    checks = (REPO / "nncourse" / "probes" / f"{CHAPTER.id}.py").read_text()
    code = [line.strip() for line in checks.splitlines() if line.strip()]
    code = code[next(i for i, line in enumerate(code) if line.startswith("def hidden_")):]
    leaky = _mini_edition(tmp_path, {
        "README.md": "Some text.\n" + "\n".join(_first_pair(block)) + "\n",
        "chapters/notes.ipynb": nbformat.writes(nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell("\n".join(_first_pair(code)))])),
    })
    shutil.copyfile(source, tmp_path / "copy.ipynb")
    (tmp_path / "nncourse").mkdir()
    flagged = {leak.split(":")[0] for leak in scan_edition(leaky, REPO)}
    assert flagged == {"README.md", "chapters/notes.ipynb", "copy.ipynb", "nncourse"}, flagged


RUNNER = r"""
import json, sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
notebook = nbformat.read(path, 4)
notebook.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.prefix)"))
NotebookClient(notebook, timeout=300, kernel_name="python3", allow_errors=True,
               resources={"metadata": {"path": sys.argv[2]}}).execute()
cells = []
for cell in notebook.cells:
    errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
    code = [l for l in cell.source.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    visible_test = cell.cell_type == "code" and bool(code)
    cells.append({"test": visible_test and cell.metadata.get("nbgrader", {}).get("grade", False),
                  "id": cell.metadata.get("nbgrader", {}).get("grade_id"),
                  "answer": cell.metadata.get("nbgrader", {}).get("solution", False),
                  "error": [errors[0].ename, errors[0].evalue] if errors else None,
                  "text": "".join(o.get("text", "") for o in cell.get("outputs", []))})
print(json.dumps(cells))
"""


@pytest.fixture(scope="module")
def student_python(edition, tmp_path_factory):
    """The edition's environment, made by its ``start.py --check`` from its requirements
    alone; cached in .venv-cache/ under the hash of requirements.txt, start.py and the
    Python version, built under a temporary name and renamed only once complete."""
    key = hashlib.sha256((edition / "requirements.txt").read_bytes()
                         + (edition / "start.py").read_bytes() + sys.version.encode()).hexdigest()
    final = VENV_CACHE / f"student-{key[:16]}"
    if not final.is_dir():
        building = VENV_CACHE / f"building-{uuid.uuid4().hex}"
        _start_check(edition, building)
        try:
            os.rename(building, final)
        except OSError:  # another run finished first
            shutil.rmtree(building, ignore_errors=True)
        for stale in VENV_CACHE.glob("student-*"):  # environments of older requirements
            if stale != final:
                shutil.rmtree(stale, ignore_errors=True)
    _start_check(edition, final)
    return final / "bin" / "python"


def _start_check(edition, venv):
    proc = subprocess.run([sys.executable, edition / "start.py", "--check", "--venv", venv],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def run_notebook(python, notebook, workdir):
    """Execute ``notebook`` in the student environment; per cell: whether it is a visible
    test (a graded code cell with code in the release), its grade id, error and output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTHON"))}
    env["HOME"] = str(workdir)  # no user kernelspec can redirect the kernel
    proc = subprocess.run([python, "-c", RUNNER, notebook, notebook.parent], env=env,
                          capture_output=True, text=True, timeout=900, cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cells = json.loads(proc.stdout.splitlines()[-1])
    kernel_prefix = Path(cells[-1]["text"].strip()).resolve()
    assert kernel_prefix == Path(python).parent.parent.resolve(), "the kernel ran outside the venv"
    return cells[:-1]


def test_student_environment_imports_every_nnlib_module_and_has_no_nbgrader(
        edition, student_python):
    folder = edition / "exercises" / CHAPTER.id
    modules = [module_name(folder / "nnlib", p) for p in package_files(folder / "nnlib")]
    imports = "; ".join(f"import nnlib.{m}" for m in modules if not m.startswith("_"))
    proc = subprocess.run([student_python, "-c", f"import nnlib; {imports}"], cwd=folder,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = subprocess.run([student_python, "-m", "pip", "list", "--format=json"],
                          capture_output=True, text=True, check=True)
    installed = {p["name"].lower() for p in json.loads(proc.stdout)}
    assert STUDENT_PACKAGES <= installed
    assert not installed & {"nbgrader", "torch", "nn-course", "jupyter-book"}, installed


def test_exercise_stubs_fail_then_pass_once_written(edition, student_python, tmp_path):
    folder = tmp_path / CHAPTER.id
    shutil.copytree(edition / "exercises" / CHAPTER.id, folder)
    notebook = folder / CHAPTER.notebook
    untouched = run_notebook(student_python, notebook, tmp_path)
    tests = [c for c in untouched if c["test"]]
    assert tests and all(c["error"] for c in tests), "a visible test passed on the stubs"
    for cell in (c for c in untouched if c["error"] and not c["answer"]):
        name, message = cell["error"]
        assert name == "NotImplementedError" and "is yours to write" in message, cell
        assert any(f.split(".")[-1] in message for f in CHAPTER.functions), cell
        assert f"(chapter {CHAPTER.number}, {CHAPTER.id})" in message, cell
    write_reference_bodies(folder / "nnlib", CHAPTER)
    written = run_notebook(student_python, notebook, tmp_path)
    failed = [c for c in written if c["error"] and not c["answer"]]
    assert len([c for c in written if c["test"]]) == len(tests) and not failed, failed


def test_chapter_notebook_runs_on_the_students_nnlib(edition, student_python, tmp_path):
    shutil.copytree(edition / "exercises" / CHAPTER.id, tmp_path / "exercises" / CHAPTER.id)
    shutil.copytree(edition / "chapters", tmp_path / "chapters")
    write_reference_bodies(tmp_path / "exercises" / CHAPTER.id / "nnlib", CHAPTER)
    cells = run_notebook(student_python, tmp_path / "chapters" / CHAPTER.notebook, tmp_path)
    failed = [c for c in cells if c["error"]]
    assert not failed, failed


def write_reference_bodies(student_nnlib, chapter):
    """Replace each stub of ``chapter`` in ``student_nnlib`` with the reference body, as a
    student who got it right would."""
    written = 0
    for path in package_files(REPO / "nnlib"):
        lines = path.read_text().splitlines()
        target = student_nnlib / path.relative_to(REPO / "nnlib")
        text = target.read_text()
        for region in find_regions(path, module_name(REPO / "nnlib", path)):
            stub = "\n".join(stub_text(region))
            if region.function in chapter.functions and stub in text:
                text = text.replace(stub, "\n".join(region.body(lines)))
                written += 1
        target.write_text(text)
    assert written == len(chapter.functions), f"wrote {written} of {chapter.functions}"
