"""The held-out digits and Fashion-MNIST images (images no student release contains) and
chapter 7's fresh adding-problem sequences, for the trusted judges.

Only trusted code in the grading worker may call :func:`digits` and :func:`fashion_mnist`;
the sandbox never sees the files (``nncourse/heldout/README.md``).
"""
from pathlib import Path

import numpy as np

HELDOUT_DIR = Path(__file__).resolve().parent.parent / "heldout"
HELDOUT_FILE = HELDOUT_DIR / "digits_heldout.npz"
FASHION_HELDOUT_FILE = HELDOUT_DIR / "fashion_mnist_heldout.npz"


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


def fashion_mnist():
    """The held-out Fashion-MNIST images, scaled as ``nnlib.data.load_fashion_mnist`` scales
    the student's.

    Returns
    -------
    X : ndarray, shape (500, 1, 28, 28)
        Grey levels scaled from 0..255 to [0, 1] (float64), one channel per image.
    y : ndarray of int64, shape (500,)
        Labels 0..9, 50 of each, drawn from the official test set (t10k).
    """
    with np.load(FASHION_HELDOUT_FILE) as f:
        images, labels = f["images"], f["labels"]
    return images[:, None].astype(np.float64) / 255.0, labels.astype(np.int64)


# The adding problem's held-out sequences are drawn afresh for every graded run, from the
# case's seed mixed with this salt: the seed crosses into the sandbox (it seeds the
# student's training run), the salt never does, so the sandbox cannot rebuild them.
ADDING_SALT = 0x7A3D_C0DE_0717


def adding_sequences(reference, seed, n_samples, seq_len):
    """Fresh adding-problem sequences for chapter 7's trusted judge: ``reference``'s
    ``data.adding_problem`` drawn from ``seed`` mixed with :data:`ADDING_SALT`.

    Returns
    -------
    X : ndarray, shape (n_samples, seq_len, 2)
    y : ndarray, shape (n_samples, 1)
    """
    rng = np.random.default_rng([int(seed), ADDING_SALT])
    return reference.data.adding_problem(n_samples, seq_len, rng=rng)
