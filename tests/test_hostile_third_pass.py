"""Third red-team pass: holes found in what changed after the second (plain data read
without ``np.load``), as real submissions graded by ``nncourse autograde ch01_perceptron``
in real sandboxes, beside an honest control. Run time: about 20 s.
"""
import shutil
import sys

import pytest

from conftest import REPO
from hostile.attacks2 import (CH05, CH05_RELEASE, build_overlap_bomb, build_array_found,
                              build_empty_layer,
                              build_shadow_kernel, build_startup_file, build_wide_model)
from hostile.corpus import CHAPTER, MAX_SCORE, correct_submission
from hostile.watch import run_watched
from test_hostile_second_pass import TRUSTED_PEAK_MB, grade, outcome, scores


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    root = tmp_path_factory.mktemp("judged3")
    for sid, build in {"control": correct_submission, "overlap_bomb": build_overlap_bomb}.items():
        build(root / "submitted" / sid / CHAPTER)
    run = grade(root / "submitted", root / "out")
    return run, *outcome(run, root / "out"), root / "out"


def test_members_sharing_one_local_header_cannot_inflate_the_trusted_worker(judged):
    """A 4 MB result whose central directory names one array 250 times (every entry at the
    same local header): ``from_bytes`` copied each member, so the worker reached ~1 GB
    (with a 64 MB archive it could ask for terabytes). It earns nothing, the control is
    untouched, and no trusted process may pass TRUSTED_PEAK_MB."""
    run, rows, _, out = judged
    executed = "".join(p.read_text(errors="replace") for p in (out / "autograded").rglob("*.ipynb")
                       if "overlap_bomb" in str(p))
    assert "redteam-overlap_bomb-q7z ran" in executed, "the attack did not run"
    assert float(rows["overlap_bomb"]["score"]) == 0 and float(rows["control"]["score"]) == MAX_SCORE
    assert "grading failed" not in rows["overlap_bomb"]["status"], rows["overlap_bomb"]["status"]
    worst = max(run.trusted_peak_mb.items(), key=lambda item: item[1])
    assert worst[1] < TRUSTED_PEAK_MB, (f"a trusted process reached {worst[1]:.0f} MB (limit "
                                        f"{TRUSTED_PEAK_MB} MB): {worst[0]}")


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """Chapter 5: a stub release beside one whose trained model is forged wide and deep."""
    root = tmp_path_factory.mktemp("wide")
    shutil.copytree(CH05_RELEASE, root / "submitted" / "stubs" / CH05,
                    ignore=shutil.ignore_patterns("__pycache__"))
    build_wide_model(root / "submitted" / "wide_model" / CH05)
    build_empty_layer(root / "submitted" / "empty_layer" / CH05)
    build_array_found(root / "submitted" / "array_found" / CH05)
    run = run_watched([sys.executable, "-m", "nncourse.cli", "autograde", CH05, "--submissions",
                       str(root / "submitted"), "--out", str(root / "out"), "--timeout", "30",
                       "--memory", "1500", "--jobs", "2"], cwd=REPO)
    return run, *outcome(run, root / "out"), root / "out"


def test_a_wide_trained_model_cannot_exhaust_the_trusted_judge(wide):
    """Chapter 5's trained model comes back as layers; the judge rebuilt any shapes that
    chain from 64 inputs to 10 outputs with the reference's layers and ran the held-out
    digits through them. 3 MB of uint8 weights (Linear(64, 40000), 8 Tanh, Linear(40000,
    10)) made the trusted worker hold 9 activations of 300 x 40000 floats (~1 GB); within
    the 64 MB cap, ~850,000 hidden units and 62 activations were possible (~130 GB). The
    model earns nothing, grading goes on, and no trusted process passes TRUSTED_PEAK_MB."""
    run, rows, results, out = wide
    executed = "".join(p.read_text(errors="replace") for p in (out / "autograded").rglob("*.ipynb")
                       if "wide_model" in str(p))
    assert "redteam-wide_model-q7z ran" in executed, "the attack did not run"
    assert "grading failed" not in rows["wide_model"]["status"], rows["wide_model"]["status"]
    assert scores(results["wide_model"]).get("test_regularized_training") == 0
    worst = max(run.trusted_peak_mb.items(), key=lambda item: item[1])
    assert worst[1] < TRUSTED_PEAK_MB, (f"a trusted process reached {worst[1]:.0f} MB (limit "
                                        f"{TRUSTED_PEAK_MB} MB): {worst[0]}")


def test_a_model_with_an_empty_layer_cannot_crash_the_trusted_judge(wide):
    """Linear(64, 0), Tanh, Linear(0, 10): W of shapes (0, 64) and (10, 0) chain, so the
    judge rebuilt the model, and the reference's Linear refused a shape without units
    (ValueError out of the trusted judge: "grading failed"). It is a wrong answer."""
    run, rows, results, out = wide
    executed = "".join(p.read_text(errors="replace") for p in (out / "autograded").rglob("*.ipynb")
                       if "empty_layer" in str(p))
    assert "grading failed" not in rows["empty_layer"]["status"], rows["empty_layer"]["status"]
    assert "redteam-empty_layer-q7z ran" in executed, "the attack did not run"
    assert scores(results["empty_layer"]).get("test_regularized_training") == 0


def test_an_array_where_the_judge_expects_a_flag_cannot_crash_it(wide):
    """The trained model's result with ``found`` an array of two numbers (plain data): the
    judge's ``not got.get("found")`` raised ValueError (an array has no single truth
    value; "grading failed"). Flags and names are compared as what they must be."""
    run, rows, results, out = wide
    assert "grading failed" not in rows["array_found"]["status"], rows["array_found"]["status"]
    executed = "".join(p.read_text(errors="replace") for p in (out / "autograded").rglob("*.ipynb")
                       if "array_found" in str(p))
    assert "redteam-array_found-q7z ran" in executed, "the attack did not run"
    assert scores(results["array_found"]).get("test_regularized_training") == 0


@pytest.fixture(scope="module")
def restarted(tmp_path_factory):
    root = tmp_path_factory.mktemp("restarted")
    for sid, build in {"control": correct_submission, "shadow_kernel": build_shadow_kernel,
                       "startup_file": build_startup_file}.items():
        build(root / "submitted" / sid / CHAPTER)
    run = grade(root / "submitted", root / "out")
    return run, *outcome(run, root / "out"), root / "out"


def test_a_restarted_kernel_is_not_started_from_the_working_folder(restarted):
    """The kernel spec ran ``python -m probes.kernel`` with the writable working folder as
    cwd, so ``-m`` looked there first: a ``probes`` package the submission planted before
    killing its kernel was the restarted kernel (the runner's own ``-P`` did not cover
    it). The kernel is started with ``-P`` too; the notebook still imports its nnlib."""
    run, rows, _, out = restarted
    executed = "".join(p.read_text(errors="replace") for p in (out / "autograded").rglob("*.ipynb")
                       if "shadow_kernel" in str(p))
    assert "redteam-shadow_kernel-q7z ran" in executed, "the attack did not run"
    assert "started from the planted probes package" not in executed
    assert "planted, but this kernel is the real one" in executed
    assert float(rows["control"]["score"]) == MAX_SCORE


def test_a_restarted_kernel_runs_no_startup_file_the_previous_one_planted(restarted):
    """HOME is the writable working area, and IPython's profile was under it: a startup file
    the submission wrote there before killing its kernel ran in the restarted kernel. The
    profile now lives under the read-only job folder (IPython takes a fresh temp dir)."""
    run, rows, _, out = restarted
    executed = "".join(p.read_text(errors="replace") for p in (out / "autograded").rglob("*.ipynb")
                       if "startup_file" in str(p))
    assert "redteam-startup_file-q7z ran" in executed, "the attack did not run"
    assert "the planted startup file ran" not in executed
    assert float(rows["startup_file"]["score"]) == MAX_SCORE
