"""Split the bundled digits, once, into the student file and the instructor's held-out file.

Graded accuracy targets must be judged on images no student has. This script took the
1797 images that ``nnlib/datasets/digits.npz`` held when it was first committed (commit
875f9ee) and wrote

- ``nncourse/heldout/digits_heldout.npz``: 30 images of every class (300), drawn without
  replacement by ``numpy.random.default_rng(SEED)``, class 0 first, kept in their original
  order; never released;
- ``nnlib/datasets/digits.npz``: the other 1497 images, in their original order; released
  with every exercise.

Both files have the original's arrays: ``images`` uint8 ``(N, 8, 8)``, ``labels`` uint8
``(N,)``. To audit the split, run it again on the original and see that git reports no
change (the output is byte for byte the same)::

    git show 875f9ee:nnlib/datasets/digits.npz > /tmp/digits_original.npz
    .venv/bin/python nncourse/heldout/make_heldout.py /tmp/digits_original.npz
    git status --short nnlib/datasets nncourse/heldout

It refuses any input whose :func:`content_digest` is not :data:`ORIGINAL_DIGEST`, so it
cannot split an already split file a second time.
"""
import hashlib
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
STUDENT_FILE = REPO / "nnlib" / "datasets" / "digits.npz"
HELDOUT_FILE = REPO / "nncourse" / "heldout" / "digits_heldout.npz"
SEED = 0
PER_CLASS = 30
ORIGINAL_DIGEST = "f67d6a29d0e1f70e7f0cd9dcf25816b694881f4b8f27f5cc1db59551f0499fb8"


def content_digest(images, labels):
    """SHA-256 of the rows (64 pixel bytes, then the label byte) sorted as bytes, so it
    does not depend on the rows' order: the union of the two files has the original's."""
    rows = np.hstack([np.asarray(images, np.uint8).reshape(len(images), -1),
                      np.asarray(labels, np.uint8)[:, None]])
    return hashlib.sha256(b"".join(sorted(row.tobytes() for row in rows))).hexdigest()


def heldout_rows(labels, seed=SEED, per_class=PER_CLASS):
    """Sorted indices of ``per_class`` rows of every class, drawn with ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == k), per_class, replace=False)
              for k in np.unique(labels)]
    return np.sort(np.concatenate(chosen))


def split(original):
    """Write the held-out and the student file from the original digits file."""
    with np.load(original) as f:
        images, labels = f["images"], f["labels"]
    digest = content_digest(images, labels)
    if digest != ORIGINAL_DIGEST:
        raise SystemExit(f"{original} is not the original 1797 digits (content digest {digest})")
    held = np.zeros(len(labels), dtype=bool)
    held[heldout_rows(labels)] = True
    np.savez_compressed(HELDOUT_FILE, images=images[held], labels=labels[held])
    np.savez_compressed(STUDENT_FILE, images=images[~held], labels=labels[~held])
    print(f"held out {held.sum()} images to {HELDOUT_FILE}; {(~held).sum()} left in {STUDENT_FILE}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    split(sys.argv[1])
