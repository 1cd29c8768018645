"""Notebook support for the exercises: a cell stops at once when a file of nnlib does not compile.

With ``%autoreload``, a file saved with a syntax error is not reloaded: the kernel keeps the
old code, the tests keep passing on it, and only a note on stderr says that the reload
failed. :func:`stop_on_syntax_errors` makes every cell check the package first: if a file
does not compile, the cell does not run and raises that ``SyntaxError`` instead, with the
file, the line and a caret under the fault, as Python reports it.
"""
import ast
from pathlib import Path


class SyntaxGuard(ast.NodeTransformer):
    """An IPython AST transformer that replaces a cell by ``raise SyntaxError(...)`` while a
    ``.py`` file of ``package_dir`` does not compile.

    Files are compiled again only when their size or modification time changes.
    """

    def __init__(self, package_dir):
        self.package_dir = Path(package_dir)
        self._checked = {}  # path -> ((mtime_ns, size), SyntaxError or None)

    def first_error(self):
        """The ``SyntaxError`` of the first file (sorted by path) that does not compile, or None."""
        for path in sorted(self.package_dir.rglob("*.py")):
            try:
                stat = path.stat()
            except OSError:  # deleted between listing and reading
                continue
            stamp = (stat.st_mtime_ns, stat.st_size)
            if self._checked.get(path, (None,))[0] != stamp:
                self._checked[path] = (stamp, _compile_error(path))
            if self._checked[path][1] is not None:
                return self._checked[path][1]
        return None

    def visit_Module(self, node):
        """The cell unchanged, or a cell that raises the package's syntax error."""
        try:
            error = self.first_error()
            if error is None:
                return node
            label = Path(self.package_dir.name, Path(error.filename).relative_to(self.package_dir))
            return raising_cell(error, label.as_posix())
        except Exception:  # never break the student's kernel over a check
            return node


def _compile_error(path):
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except SyntaxError as err:  # IndentationError and TabError included
        return err
    except (OSError, ValueError):
        return None
    return None


def raising_cell(error, label):
    """A module AST whose only statement raises a ``SyntaxError`` like ``error`` (found in
    the file ``label``), with a message that says the cell did not run."""
    message = (f"{error.msg} ({label} does not compile, so this cell did not run: fix the "
               f"line shown above, save the file and run the cell again)")
    details = (error.filename, error.lineno, error.offset, error.text)
    return ast.parse(f"raise SyntaxError({message!r}, {details!r})")


def stop_on_syntax_errors(package_dir=None, shell=None):
    """Register a :class:`SyntaxGuard` for ``package_dir`` (default: the folder of this
    ``nnlib``) with the running IPython ``shell``; running it again replaces the guard.
    Outside IPython it does nothing."""
    if shell is None:
        from IPython import get_ipython
        shell = get_ipython()
    if shell is None:
        return None
    guard = SyntaxGuard(package_dir or Path(__file__).resolve().parent)
    shell.ast_transformers[:] = [t for t in shell.ast_transformers
                                 if type(t).__name__ != SyntaxGuard.__name__]
    shell.ast_transformers.append(guard)
