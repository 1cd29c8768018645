"""The held-out digits: images no student release contains, for the trusted judges.

Only trusted code in the grading worker may call :func:`digits`; the sandbox never sees
the file (``nncourse/heldout/README.md``).
"""
from pathlib import Path

import numpy as np

HELDOUT_FILE = Path(__file__).resolve().parent.parent / "heldout" / "digits_heldout.npz"


def digits():
    """The held-out digits, scaled as ``nnlib.data.load_digits`` scales the student's.

    Returns
    -------
    X : ndarray, shape (300, 64)
        Pixel values scaled from 0..16 to [0, 1], one flattened image per row (float64).
    y : ndarray of int64, shape (300,)
        Labels 0..9, 30 of each.
    """
    with np.load(HELDOUT_FILE) as f:
        images, labels = f["images"], f["labels"]
    return images.reshape(len(images), -1).astype(np.float64) / 16.0, labels.astype(np.int64)
