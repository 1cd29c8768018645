"""The grading kernel: a standard ipykernel, started without its debugger.

Nothing in grading attaches a debugger, and ipykernel imports debugpy at start when it is
installed (about 0.1 s of every kernel). With ``debugpy`` marked missing, ipykernel starts
without debugger support and everything else is as ``ipykernel_launcher`` does it: the
working folder is off ``sys.path`` while ipykernel loads, and then goes where IPython puts
it (before site-packages), so the notebook imports the ``nnlib`` beside it. Started by the
runner through the kernel spec ``kernels/nncourse-grading/kernel.json`` next to this file,
as ``python -P -m probes.kernel``: without ``-P``, ``-m`` would look for ``probes`` in the
working folder first, which the notebook can write (a kernel the runner restarts would be
whatever ``probes/kernel.py`` the previous one left there). With ``-P`` IPython leaves the
working folder off ``sys.path`` too, so this module puts it back itself.
"""
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.modules["debugpy"] = None  # any import of debugpy now raises ImportError

    from ipykernel.kernelapp import launch_new_instance

    if "" not in sys.path:  # what IPython does without -P: the notebook imports the nnlib beside it
        sys.path.insert(next((i for i, p in enumerate(sys.path)
                              if Path(p).name in ("site-packages", "dist-packages")), len(sys.path)), "")
    launch_new_instance()
