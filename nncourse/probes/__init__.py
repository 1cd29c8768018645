"""Probes: the course code that runs inside the grading sandbox, and the checks it serves.

Everything in this package is shipped, as it is, into each submission's sandbox (see
:mod:`nncourse.grader.sandbox`), so it imports nothing but the standard library, numpy
and (``runner`` only) nbclient. It holds no secret: the hidden inputs of a batch come
from a per-batch secret seed, and the expected results never enter the sandbox.

- :mod:`.plaindata`: the only format that crosses the sandbox boundary, both ways.
- :mod:`.kit`: :class:`~.kit.Check`, how a chapter author declares a graded test.
- ``chNN_<topic>.py``: each chapter's checks (``CHECKS``).
- :mod:`.in_kernel`: what a graded test cell calls in the student's kernel.
- :mod:`.runner`: runs the rebuilt notebook in the sandbox and streams the results out.
"""
