"""``nncourse student``: build the student edition, a folder to hand out as it is.

The edition holds the built book, the book's chapters as notebooks, the released
exercises, a student README, the students' requirements and ``start.py`` (creates the
environment and opens JupyterLab). It holds nothing of ``solutions/``, the reference
``nnlib/``, the mutant catalogues or ``nncourse``; :mod:`nncourse.edition_scan` proves it.
"""
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import nbformat
from myst_nb.core.read import read_myst_markdown_notebook

# What students need (nnlib imports numpy, matplotlib, ipywidgets, tqdm and IPython; the
# notebooks' setup cells need IPython 9's `%autoreload 2 --full`, so IPython is pinned as
# the course pins it), nothing more: no nbgrader (its menus and "Validate" would appear in
# their JupyterLab and fail there), no torch, no jupyter-book, no nncourse.
STUDENT_PACKAGES = ("numpy", "matplotlib", "ipywidgets", "tqdm", "ipython", "ipykernel", "jupyterlab")
OWN_PINS = {"jupyterlab": "jupyterlab==4.6.6"}  # for packages requirements.txt does not pin
# Everything the built book depends on: the pages execute the reference nnlib.
BOOK_INPUTS = ("_config.yml", "_toc.yml", "intro.md", "references.bib", "_static", "book",
               "nnlib", "requirements.txt")
MARKER = ".nncourse-student-edition"  # marks a folder this command may replace
IGNORED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")


def build_edition(repo_root, out, chapters, book_html):
    """Write the student edition of ``chapters`` (those with an exercise) to ``out``.

    Parameters
    ----------
    repo_root : pathlib.Path
        The course repository.
    out : pathlib.Path
        The edition's folder; replaced if it holds an earlier edition, refused if it
        holds anything else.
    chapters : list of nncourse.chapters.Chapter
        The chapters whose exercise folders and chapter notebooks go in.
    book_html : pathlib.Path
        A built book (``_build/html``), copied to ``out/book``.
    """
    repo_root, out = Path(repo_root), Path(out)
    _prepare_out(out)
    shutil.copytree(book_html, out / "book", ignore=shutil.ignore_patterns(".buildinfo"))
    for chapter in chapters:
        shutil.copytree(repo_root / "exercises" / chapter.id, out / "exercises" / chapter.id,
                        ignore=IGNORED)
        page = repo_root / "book" / f"{chapter.id}.md"
        if page.is_file():
            (out / "chapters").mkdir(exist_ok=True)
            nbformat.write(chapter_notebook(page, chapter), out / "chapters" / chapter.notebook)
    (out / "requirements.txt").write_text(student_requirements(repo_root))
    (out / "README.md").write_text(student_readme(repo_root, chapters))
    shutil.copyfile(repo_root / "student_edition" / "start.py", out / "start.py")
    (out / ".gitignore").write_text(".venv/\n__pycache__/\n.ipynb_checkpoints/\n")
    return out


def _prepare_out(out):
    """Empty ``out`` if it is an earlier edition (or new); refuse any other folder."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise FileExistsError(f"{out} is not empty and holds no student edition "
                                  f"(no {MARKER}); choose another --out")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("built by `nncourse student`; the folder is replaced on rebuild\n")


def student_requirements(repo_root):
    """The students' requirements file: :data:`STUDENT_PACKAGES`, pinned as in the
    course's ``requirements.txt`` where it pins them, else as in :data:`OWN_PINS`."""
    pins = {}
    for line in (Path(repo_root) / "requirements.txt").read_text().splitlines():
        name = re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0].lower()
        if name in STUDENT_PACKAGES:
            pins[name] = line.split("#")[0].strip()
    lines = [pins.get(name) or OWN_PINS[name] for name in STUDENT_PACKAGES]
    return ("# What the course's notebooks need (start.py installs it into .venv).\n"
            + "\n".join(lines) + "\n")


def student_readme(repo_root, chapters):
    """The edition's README: the template in ``student_edition/`` with the chapter list."""
    template = (Path(repo_root) / "student_edition" / "README.template.md").read_text()
    listing = "".join(
        f"- **Chapter {c.number}, {c.title}**: `exercises/{c.id}/`; you write "
        + ", ".join(f"`{f}`" for f in c.functions) + "\n" for c in chapters)
    return string.Template(template).substitute(chapters=listing)


SETUP = '''\
# Chapter {number} of the book, run on YOUR nnlib: ../exercises/{id}/nnlib.
# There, earlier chapters' functions are given and this chapter's are yours to write;
# until you have written them, the cells that call them stop with NotImplementedError.
# After editing a file of nnlib, restart the kernel and run the notebook again.
import sys
from pathlib import Path

_exercise = Path("../exercises/{id}").resolve()
if not (_exercise / "nnlib").is_dir():
    raise FileNotFoundError(f"{{_exercise}} is missing: this notebook needs that exercise folder")
sys.path.insert(0, str(_exercise))
'''


def chapter_notebook(page, chapter):
    """The book page ``page`` (a MyST Markdown notebook) as a notebook for JupyterLab.

    Read with myst-nb's own reader (the one the book build executes), so code cells and
    their tags are the book's; MyST-only Markdown becomes plain Markdown; a first cell
    puts the chapter's exercise folder on ``sys.path``. No outputs: the student runs it.
    """
    notebook = read_myst_markdown_notebook(Path(page).read_text(encoding="utf-8"))
    notebook.metadata.pop("jupytext", None)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = plain_markdown(cell.source)
    setup = nbformat.v4.new_code_cell(SETUP.format(number=chapter.number, id=chapter.id))
    notebook.cells.insert(0, setup)
    for number, cell in enumerate(notebook.cells):
        cell.id = f"{chapter.id}-{number:03d}"  # stable ids: rebuilds give the same file
    return notebook


ROLE = re.compile(r"\{(\w+)\}`([^`]*)`")
DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{(\w[\w-]*)\}[ \t]*(.*?)\n(.*?)^\1[ \t]*$",
                       re.MULTILINE | re.DOTALL)


def plain_markdown(text):
    """MyST roles and directives rewritten as Markdown that JupyterLab renders:
    ``{doc}`text <target>``` -> text, ``{eq}`label``` -> (label), an admonition or
    other directive -> a block quote headed by its title."""
    text = DIRECTIVE.sub(_directive_as_quote, text)
    return ROLE.sub(_role_as_text, text)


def _role_as_text(match):
    role, content = match.groups()
    shown = re.sub(r"\s*<[^>]*>$", "", content).strip() or content
    return f"({shown})" if role in ("eq", "numref") else shown


def _directive_as_quote(match):
    _, name, argument, body = match.groups()
    lines = [line for line in body.splitlines() if not re.match(r"^:[\w-]+:", line)]
    while lines and not lines[0].strip():
        lines.pop(0)
    title = argument.strip() or name.capitalize()
    return "\n".join([f"> **{title}**", ">"] + [f"> {line}".rstrip() for line in lines])


def book_is_fresh(repo_root, html):
    """Whether ``html`` (a built book) is newer than every input of the book.

    The rule: ``html/index.html`` exists and its modification time is later than that
    of every file in :data:`BOOK_INPUTS` (pages, configuration, the reference nnlib the
    pages execute, the pinned requirements).
    """
    index = Path(html) / "index.html"
    if not index.is_file():
        return False
    built = index.stat().st_mtime
    for name in BOOK_INPUTS:
        path = Path(repo_root) / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                                and "__pycache__" not in p.parts]
        if any(f.stat().st_mtime > built for f in files):
            return False
    return True


def build_book(repo_root):
    """Build the book as ``make book`` does (strict, executed); return ``_build/html``."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run([str(jupyter_book), "build", str(repo_root), "-W", "-n",
                           "--keep-going"], cwd=repo_root)
    if done.returncode:  # a failed build must not look fresh next time
        (Path(repo_root) / "_build" / "html" / "index.html").unlink(missing_ok=True)
        raise RuntimeError(f"the book build failed (exit {done.returncode}); see above")
    return Path(repo_root) / "_build" / "html"
