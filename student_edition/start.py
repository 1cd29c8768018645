"""Set up this course's Python environment and open JupyterLab.

Usage (from this folder; on Windows type ``py`` instead of ``python3``)::

    python3 start.py               first run: create .venv here and install requirements.txt;
                                   then open JupyterLab on this folder in your browser
    python3 start.py --no-browser  the same, but print JupyterLab's address instead
    python3 start.py --check       set up and check the environment, then exit

The environment is reinstalled only when requirements.txt changes. Needs Python 3.11
or newer and, for the first run, an internet connection.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
MIN_PYTHON = (3, 11)
# What the course's notebooks import, and what must not be there: nbgrader's extensions
# add menus and a "Validate" button that only work in an instructor's setup.
NEEDED = ("numpy", "matplotlib", "ipywidgets", "tqdm", "ipykernel", "jupyterlab")
UNWANTED = ("nbgrader",)


def main(argv=None):
    """Create or update the environment, check it, and (unless ``--check``) open JupyterLab."""
    args = _parser().parse_args(argv)
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"start.py needs Python {'.'.join(map(str, MIN_PYTHON))} or newer; this is "
                 f"{sys.version.split()[0]}. Install a newer Python from https://www.python.org")
    python = ensure_environment(args.venv.resolve())
    problem = environment_problem(python)
    if problem:
        sys.exit(f"start.py: the environment in {args.venv} is not usable: {problem}")
    if args.check:
        print(f"environment ready: {python}")
        return 0
    command = [str(python), "-m", "jupyterlab", f"--ServerApp.root_dir={HERE}"]
    if args.no_browser:
        command.append("--no-browser")
    if getattr(os, "geteuid", lambda: 1)() == 0:  # root, as in many containers
        command.append("--allow-root")
    return subprocess.call(command, cwd=HERE)


def _parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-browser", action="store_true",
                        help="do not open a browser; JupyterLab prints its address")
    parser.add_argument("--check", action="store_true",
                        help="set up and check the environment, then exit without starting JupyterLab")
    parser.add_argument("--venv", type=Path, default=HERE / ".venv",
                        help="where the environment lives (default: .venv next to start.py)")
    return parser


def ensure_environment(env):
    """Create ``env`` if needed and install requirements.txt into it unless already done;
    return the path of its Python."""
    python = venv_python(env)
    if not python.exists():
        print(f"creating the environment in {env} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(env)
    stamp = env / "course-requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != wanted:
        print("installing the course's packages (a few minutes, once) ...", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check",
                        "--quiet", "-r", str(REQUIREMENTS)], check=True)
        stamp.write_text(wanted + "\n")
    return python


def venv_python(env):
    """The Python executable inside the environment ``env`` (Windows or not)."""
    windows = env / "Scripts" / "python.exe"
    return windows if sys.platform == "win32" else env / "bin" / "python"


def environment_problem(python):
    """What is wrong with the environment (a missing or an unwanted package), or ''."""
    probe = ("import importlib.util as u\n"
             f"missing = [n for n in {NEEDED!r} if u.find_spec(n) is None]\n"
             f"unwanted = [n for n in {UNWANTED!r} if u.find_spec(n) is not None]\n"
             "print(('missing: ' + ', '.join(missing)) if missing else "
             "('should not be installed: ' + ', '.join(unwanted)) if unwanted else '')\n")
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    return done.stdout.strip() or (done.stderr.strip() if done.returncode else "")


if __name__ == "__main__":
    sys.exit(main())
