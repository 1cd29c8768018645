"""Third red-team pass: holes found in what changed after the second (plain data read
without ``np.load``), as real submissions graded by ``nncourse autograde ch01_perceptron``
in real sandboxes, beside an honest control. Run time: about 20 s.
"""
import pytest

from hostile.attacks2 import build_overlap_bomb
from hostile.corpus import CHAPTER, MAX_SCORE, correct_submission
from test_hostile_second_pass import TRUSTED_PEAK_MB, grade, outcome


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
