"""Fourth red-team pass: chapter 6's exercise (the loop kernels, the layers and the trained
CNN that the trusted judge rebuilds with the reference's layers and scores on 500 held-out
Fashion-MNIST images). Real submissions graded by ``nncourse autograde ch06_cnn`` in real
sandboxes beside an honest control, and the trusted judge called directly with crafted
plain data where that is the honest unit. Run time: about 40 s on 2 cores.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from conftest import REPO
from hostile.attacks import lines, prelude
from hostile.watch import run_watched
from test_hostile_second_pass import TRUSTED_PEAK_MB, outcome, scores

CH06 = "ch06_cnn"
CH06_RELEASE = REPO / "exercises" / CH06
CH06_SOURCE = REPO / "solutions" / CH06 / f"{CH06}.ipynb"
SOLVED_MODULES = ("conv.py", "layers.py")  # the modules whose stubs chapter 6 grades
# what the sandbox may see of /usr/share (nncourse.grader.sandbox.USR_SHARE)
SANDBOX_USR_SHARE = {"fonts", "fontconfig", "zoneinfo"}
T10K = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"  # Debian's dataset-fashion-mnist


def solved_submission(folder):
    """The release with the reference's conv and layers modules and the source notebook's
    solution code cells (as a student who wrote the reference would hand it in)."""
    shutil.copytree(CH06_RELEASE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in SOLVED_MODULES:  # the reference's modules, solution markers taken out
        (folder / "nnlib" / name).write_text("".join(
            line for line in (REPO / "nnlib" / name).read_text().splitlines(keepends=True)
            if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")))
    source = {c.metadata.get("nbgrader", {}).get("grade_id"): c
              for c in nbformat.read(CH06_SOURCE, as_version=4).cells}
    path = folder / f"{CH06}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            cell.source = "\n".join(line for line in source[meta["grade_id"]].source.splitlines()
                                    if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)
    nbformat.write(notebook, path)


def plant(folder, case, top):
    """``top`` (after the attacks' prelude) at the end of the submission's nnlib/conv.py
    (nnlib/__init__.py imports it in the notebook's first cell)."""
    module = folder / "nnlib" / "conv.py"
    module.write_text(module.read_text().rstrip("\n") + "\n\n\n"
                      + "\n".join(prelude(case) + lines(top)) + "\n")


# --------------------------------------------------------------------------- the held-out images' source

T10K_TOP = r'''
_ip = _load("IPython").get_ipython()
if _ip is not None:
    _PATH = "T10K"
    _readable = _os.access(_PATH, _os.R_OK)
    _labels = 0
    if _readable:  # the official test set's labels: the held-out images are 500 of them
        with _load("gzip").open(_PATH) as _fh:
            _labels = len(_fh.read()) - 8
    print(_MARK, "ran: t10k", "READABLE" if _readable else "unreadable", _labels, "labels;",
          "usr/share:", ",".join(sorted(_os.listdir("/usr/share"))))
'''.replace("T10K", T10K)


def build_t10k_reader(folder):
    """A correct submission whose nnlib, on import in the kernel, reads the official
    Fashion-MNIST test set where Debian's dataset-fashion-mnist installs it (the source of
    the held-out images) and lists /usr/share, printing what it saw into the notebook."""
    solved_submission(folder)
    plant(folder, "t10k", T10K_TOP)


# --------------------------------------------------------------------------- forged trained models

FORGED_TOP = r'''
_json = _load("json")
_FORGED = _MARK + ".npz"  # in the working folder: the results folder's file system


def _write_forged():
    """The trained CNN's result, forged: LAYERS (ARRAYS are its arrays, as uint8)."""
    document = _json.dumps([{"found": True, "container": "Sequential", "layers": LAYERS}]).encode()
    np.savez(_FORGED, __json__=np.frombuffer(document, np.uint8),
             **{name: np.ones(shape, np.uint8) for name, shape in ARRAYS.items()})


def _swap_in(*args):
    target = ".nncourse-results/test_cnn_training.npz"
    if _os.path.exists(target) and _os.path.exists(_FORGED):
        _os.replace(_FORGED, target)


_ip = _load("IPython").get_ipython()
if _ip is not None and not _os.path.exists(_FORGED):
    _write_forged()
    _ip.events.register("post_run_cell", _swap_in)
    print(_MARK, "ran: the forged model is", _os.path.getsize(_FORGED), "bytes")
'''

# Conv2d(1, 49000, 1, stride 27) gives 49,000 channels of 2 x 2 (196,000 outputs, under the
# 200,000 allowed); Conv2d(49000, 1, 1, stride 27, padding 13) reads 4 windows of 1 x 1 per
# channel (196,000 im2col entries, under the 400,000 allowed), but im2col first copies the
# input padded to 28 x 28: 38 million floats per image, 7.7 GB for the judge's 25 images.
PADDING_BOMB = {
    "layers": [{"type": "Conv2d", "W": {"__array__": "a0"}, "b": {"__array__": "a1"}, "stride": 27, "padding": 0},
               {"type": "Conv2d", "W": {"__array__": "a2"}, "b": {"__array__": "a3"}, "stride": 27, "padding": 13},
               {"type": "Flatten"},
               {"type": "Linear", "W": {"__array__": "a4"}, "b": {"__array__": "a5"}}],
    "arrays": {"a0": (49000, 1, 1, 1), "a1": (49000,), "a2": (1, 49000, 1, 1), "a3": (1,),
               "a4": (10, 4), "a5": (10,)}}
# A MaxPool2d whose kernel_size is a list of three ints (each in range): the judge unpacked
# it into (kh, kw) and raised ValueError ("grading failed").
TRIPLE_KERNEL = {
    "layers": [{"type": "Conv2d", "W": {"__array__": "a0"}, "b": {"__array__": "a1"}, "stride": 2, "padding": 1},
               {"type": "MaxPool2d", "kernel_size": [2, 2, 2], "stride": 2},
               {"type": "Flatten"},
               {"type": "Linear", "W": {"__array__": "a2"}, "b": {"__array__": "a3"}}],
    "arrays": {"a0": (4, 1, 4, 4), "a1": (4,), "a2": (10, 4 * 7 * 7), "a3": (10,)}}


def build_forged(folder, case, forged):
    """The release (stubs: train_cnn is not written) whose nnlib swaps the trained CNN's
    result for ``forged`` after the test cell has run."""
    shutil.copytree(CH06_RELEASE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    top = FORGED_TOP.replace("LAYERS", repr(forged["layers"])).replace("ARRAYS", repr(forged["arrays"]))
    plant(folder, case, top)


def executed(out, sid):
    return "".join(p.read_text(errors="replace") for p in (out / "autograded").rglob("*.ipynb")
                   if sid in str(p))


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    """One watched batch of chapter 6: the control, the t10k reader and two forged models."""
    root = tmp_path_factory.mktemp("cnn4")
    solved_submission(root / "submitted" / "control" / CH06)
    build_t10k_reader(root / "submitted" / "t10k_reader" / CH06)
    build_forged(root / "submitted" / "padding_bomb" / CH06, "padding_bomb", PADDING_BOMB)
    build_forged(root / "submitted" / "triple_kernel" / CH06, "triple_kernel", TRIPLE_KERNEL)
    run = run_watched([sys.executable, "-m", "nncourse.cli", "autograde", CH06, "--submissions",
                       str(root / "submitted"), "--out", str(root / "out"), "--timeout", "60",
                       "--memory", "1500", "--jobs", "2"], cwd=REPO)
    return run, *outcome(run, root / "out"), root / "out"


def test_the_control_earns_every_point_of_chapter_6(cnn):
    """The reference's bodies and recipe earn every automatically graded point in the
    sandbox as it is now (with /usr/share cut down to fonts and time zones)."""
    run, rows, results, out = cnn
    failed = {t["cell"]["name"]: t["verdict"] for t in results["control"]["tests"] if t["verdict"] != "passed"}
    assert not failed, failed
    assert scores(results["control"]).get("test_cnn_training") == 5


def test_the_sandbox_cannot_read_the_official_test_set(cnn):
    """The held-out images are 500 images of Fashion-MNIST's official test set (t10k), and
    the course's machine has Debian's dataset-fashion-mnist (it made the held-out file):
    the sandbox bound all of /usr read-only, so a student's code read t10k's 10,000 images
    and labels in /usr/share/datasets while it trained (or looked the held-out images up).
    Now the sandbox's /usr/share holds only fonts, fontconfig and time zones."""
    run, rows, results, out = cnn
    text = executed(out, "t10k_reader")
    assert "redteam-t10k-q7z ran" in text, "the attack did not run"
    assert "READABLE" not in text, "the sandbox read the official Fashion-MNIST test set"
    listed = text.split("usr/share:", 1)[1].split("\\n", 1)[0].strip()
    assert set(filter(None, listed.split(","))) <= SANDBOX_USR_SHARE, listed
    assert float(rows["t10k_reader"]["score"]) == float(rows["control"]["score"])


def test_a_padded_input_cannot_make_the_trusted_judge_allocate_gigabytes(cnn):
    """The forged PADDING_BOMB (600 kB of weights) passes every bound the judge had (units,
    im2col windows, multiply-adds, parameters), but the reference's im2col pads its input
    first: 7.7 GB per chunk of 25 held-out images. The padded inputs now count against the
    window entries; the model earns nothing and no trusted process passes TRUSTED_PEAK_MB."""
    run, rows, results, out = cnn
    assert "redteam-padding_bomb-q7z ran" in executed(out, "padding_bomb"), "the attack did not run"
    assert "grading failed" not in rows["padding_bomb"]["status"], rows["padding_bomb"]["status"]
    assert scores(results["padding_bomb"]).get("test_cnn_training") == 0
    worst = max(run.trusted_peak_mb.items(), key=lambda item: item[1])
    assert worst[1] < TRUSTED_PEAK_MB, (f"a trusted process reached {worst[1]:.0f} MB (limit "
                                        f"{TRUSTED_PEAK_MB} MB): {worst[0]}")


def test_a_pooling_kernel_of_three_ints_cannot_crash_the_trusted_judge(cnn):
    """kernel_size [2, 2, 2]: the judge checked each int but not that there are two, and
    raised ValueError unpacking them ("grading failed"). It is a wrong answer."""
    run, rows, results, out = cnn
    assert "redteam-triple_kernel-q7z ran" in executed(out, "triple_kernel"), "the attack did not run"
    assert "grading failed" not in rows["triple_kernel"]["status"], rows["triple_kernel"]["status"]
    assert scores(results["triple_kernel"]).get("test_cnn_training") == 0


# --------------------------------------------------------------------------- the judge, called directly

def _forged_result(forged):
    """``forged`` as the judge receives it: one case's plain data, arrays of uint8 ones."""
    from nncourse.probes import plaindata

    def resolve(node):
        if isinstance(node, dict) and set(node) == {"__array__"}:
            return np.ones(forged["arrays"][node["__array__"]], np.uint8)
        if isinstance(node, dict):
            return {k: resolve(v) for k, v in node.items()}
        return [resolve(v) for v in node] if isinstance(node, list) else node

    value = {"found": True, "container": "Sequential", "layers": resolve(forged["layers"])}
    return plaindata.from_bytes(plaindata.to_bytes(value))


JUDGE_IN_A_BOX = r'''
import pickle, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1500 << 20, 1500 << 20))
from pathlib import Path
from nncourse.grader.checks import load_nnlib
from nncourse.probes import ch06_cnn, plaindata
got = plaindata.from_bytes(sys.stdin.buffer.read())
reference = load_nnlib(Path("nnlib"), "nnlib_reference_fourth_pass")
try:
    print("verdict:", ch06_cnn.judge_cnn_training(got, {}, reference))
except MemoryError:
    print("MemoryError")
'''


@pytest.mark.parametrize("forged", [PADDING_BOMB, TRIPLE_KERNEL], ids=["padding_bomb", "triple_kernel"])
def test_the_judge_refuses_forged_models_within_1500_mb(forged):
    """The trusted judge itself, in a process limited to 1.5 GB, on each forged model: a
    verdict in words (the model is too large / the kernel is not a pair), never an
    exception or a MemoryError."""
    from nncourse.probes import plaindata

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", JUDGE_IN_A_BOX], input=plaindata.to_bytes(_forged_result(forged)),
                          capture_output=True, cwd=REPO, env=env, timeout=120)
    said = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0 and "verdict:" in said, said + proc.stderr.decode(errors="replace")[-800:]
    assert "None" not in said.split("verdict:", 1)[1][:6], said
    assert ("too large to judge" if forged is PADDING_BOMB else "kernel_size must be a pair") in said, said
