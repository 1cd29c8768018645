"""The grading kernel: a standard ipykernel, started without its debugger.

Nothing in grading attaches a debugger, and ipykernel imports debugpy at start when it is
installed (about 0.1 s of every kernel). With ``debugpy`` marked missing, ipykernel starts
without debugger support and everything else is as ``ipykernel_launcher`` does it: the
working folder is off ``sys.path`` while ipykernel loads, and IPython puts it back (so the
notebook imports the ``nnlib`` beside it). Started by the runner through the kernel spec
``kernels/nncourse-grading/kernel.json`` next to this file.
"""
import sys
from pathlib import Path

if __name__ == "__main__":
    if sys.path[0] in ("", str(Path.cwd())):
        del sys.path[0]
    sys.modules["debugpy"] = None  # any import of debugpy now raises ImportError

    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()
