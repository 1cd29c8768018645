"""The tamper screen: defence in depth, static rules on the code a student owns.

It is not what keeps grading honest: student code runs only in the sandbox
(:mod:`nncourse.grader.sandbox`), and verdicts are computed outside it on plain data
(:mod:`nncourse.grader.checks`). The screen only rejects early, with the file, the line
and the rule, code that no correct solution needs, in the graded function bodies and
solution cells (everything else is restored from the release, :mod:`.restore`):

- imports of anything but numpy, math, typing and nnlib's own modules (an allowlist);
- writing or deleting an attribute of a module (``np.allclose = ...``, also through an alias
  such as ``m = np``);
- reflection and dynamic code: ``setattr``, ``delattr``, ``vars``, ``globals``, ``locals``,
  ``eval``, ``exec``, ``compile``, ``__import__``, ``breakpoint``, ``type(name, bases, ns)``;
  ``sys.modules``, ``sys._getframe`` and the other interpreter hooks of ``sys``;
- dunder attributes (``x.__class__``, ``f.__globals__``, ``obj.__dict__``) other than
  ``__init__``, ``__name__``, ``__doc__``; defining dunder methods other than ``__init__``,
  ``__repr__`` and ``__str__`` (an object whose ``__eq__`` is always true);
- IPython's ``get_ipython`` (silencing ``showtraceback``, registering hooks).
"""
import ast
from dataclasses import dataclass

FORBIDDEN_CALLS = {"setattr", "delattr", "vars", "globals", "locals", "eval", "exec",
                   "compile", "__import__", "breakpoint", "get_ipython"}
ALLOWED_MODULES = {"numpy", "math", "nnlib", "typing", "__future__"}
IMPORT_RULE = "graded code may import only numpy, math, typing and nnlib's own modules"
FORBIDDEN_SYS = {"modules", "_getframe", "settrace", "setprofile", "excepthook",
                 "displayhook", "addaudithook", "meta_path", "path_hooks"}
ALLOWED_DUNDER_ATTRIBUTES = {"__init__", "__name__", "__doc__"}
ALLOWED_DUNDER_METHODS = {"__init__", "__repr__", "__str__"}


@dataclass(frozen=True)
class Violation:
    """One rule broken at one line of one piece of student code."""

    where: str  # "nnlib/perceptron.py" or "cell mlp_solution"
    line: int
    rule: str

    def __str__(self):
        return f"{self.where} line {self.line}: {self.rule}"


def screen(source, where):
    """The rule violations in ``source`` (Python code; IPython magics are a violation)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return [Violation(where, err.lineno or 0, f"does not parse ({err.msg})")]
    visitor = _Screen(where, _module_aliases(tree))
    visitor.visit(tree)
    return visitor.violations


def _module_aliases(tree):
    """Names bound to modules: by ``import``, and by assigning such a name to another."""
    aliases = {"sys", "os", "np", "numpy"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            aliases |= {a.asname or a.name for a in node.names}  # may be modules (numpy.testing)
    changed = True
    while changed:  # m = np; k = m
        changed = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) \
                    and node.value.id in aliases:
                new = {t.id for t in node.targets if isinstance(t, ast.Name)} - aliases
                aliases |= new
                changed |= bool(new)
    return aliases


class _Screen(ast.NodeVisitor):
    def __init__(self, where, module_aliases):
        self.where, self.modules, self.violations = where, module_aliases, []

    def flag(self, node, rule):
        self.violations.append(Violation(self.where, node.lineno, rule))

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] not in ALLOWED_MODULES:
                self.flag(node, f"imports {alias.name}; {IMPORT_RULE}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        if node.level == 0 and (node.module or "").split(".")[0] not in ALLOWED_MODULES:
            self.flag(node, f"imports from {node.module}; {IMPORT_RULE}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in FORBIDDEN_CALLS or node.id in ("__builtins__", "__loader__", "__spec__"):
            self.flag(node, f"uses {node.id}")

    def visit_Attribute(self, node):
        if node.attr.startswith("__") and node.attr.endswith("__") \
                and node.attr not in ALLOWED_DUNDER_ATTRIBUTES:
            self.flag(node, f"uses the dunder attribute {node.attr}")
        base = node.value
        if isinstance(base, ast.Name) and base.id == "sys" and node.attr in FORBIDDEN_SYS:
            self.flag(node, f"uses sys.{node.attr}")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and self._is_module(base):
            verb = "assigns to" if isinstance(node.ctx, ast.Store) else "deletes"
            self.flag(node, f"{verb} {ast.unparse(node)}, an attribute of a module")
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id == "type" and len(node.args) == 3:
            self.flag(node, "creates a class with type(name, bases, namespace)")
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        name = node.name
        if name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDER_METHODS:
            self.flag(node, f"defines {name}, which changes how objects compare or convert")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def _is_module(self, node):
        """Is ``node`` a module, or an attribute path rooted at one (np.testing)?"""
        while isinstance(node, ast.Attribute):
            node = node.value
        return isinstance(node, ast.Name) and node.id in self.modules
