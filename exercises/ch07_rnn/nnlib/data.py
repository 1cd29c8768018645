"""Small data sets for the course: logic gates, synthetic 2-D classification sets, the
bundled digits and Fashion-MNIST images, the adding problem for recurrent networks and an
excerpt of *Pride and Prejudice* for character models.

Every generator takes ``rng`` (a ``numpy.random.Generator``, an int seed, or ``None``
for fresh entropy). The 2-D sets return ``X`` as float64 ``(N, D)`` and ``y`` as int64
``(N,)`` with labels in {0, 1}; sequences are ``(N, T, D)``.
"""
import re
from pathlib import Path

import numpy as np

from ._checks import as_matrix

DATASETS = Path(__file__).resolve().parent / "datasets"

_GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
_GATE_OUTPUTS = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
    "nor": [1, 0, 0, 0],
    "xor": [0, 1, 1, 0],
    "xnor": [1, 0, 0, 1],
}
GATES = tuple(_GATE_OUTPUTS)

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
_FASHION_SPLIT = {"train": 200, "val": 50, "test": 50}  # images per class
AUSTEN_FILE = "pride_and_prejudice.txt"


def logic_gate(name):
    """Truth table of a two-input gate.

    Parameters
    ----------
    name : str
        One of ``"and"``, ``"or"``, ``"nand"``, ``"nor"``, ``"xor"``, ``"xnor"``
        (any case).

    Returns
    -------
    X : ndarray, shape (4, 2)
        The inputs (0,0), (0,1), (1,0), (1,1).
    y : ndarray of int64, shape (4,)
    """
    key = str(name).lower()
    if key not in _GATE_OUTPUTS:
        raise ValueError(f"logic_gate: unknown gate {name!r}; expected one of {', '.join(GATES)}")
    return _GATE_INPUTS.copy(), np.array(_GATE_OUTPUTS[key], dtype=np.int64)


def linearly_separable(n_samples=100, margin=0.1, rng=None):
    """Points in the square [-1, 1]^2 labelled by a random line, none closer than ``margin``.

    Parameters
    ----------
    n_samples : int
    margin : float
        Every point lies at least this far from the true boundary (> 0), so the
        perceptron convergence theorem applies.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    boundary : tuple (w, b)
        The true boundary ``w @ x + b = 0`` with ``||w|| = 1``; ``y = 1`` on the side
        where ``w @ x + b > 0``.
    """
    _check_positive(n_samples, "n_samples", "linearly_separable")
    if not 0 < margin < 0.5:
        raise ValueError(f"linearly_separable: margin must be in (0, 0.5); got {margin!r}")
    rng = np.random.default_rng(rng)
    angle = rng.uniform(0, 2 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])
    b = rng.uniform(-0.3, 0.3)
    X = np.empty((0, 2))
    while len(X) < n_samples:
        cand = rng.uniform(-1, 1, size=(2 * n_samples, 2))
        X = np.vstack([X, cand[np.abs(cand @ w + b) >= margin]])
    X = X[:n_samples]
    return X, (X @ w + b > 0).astype(np.int64), (w, float(b))


def overlapping_blobs(n_samples=100, spread=1.0, rng=None):
    """Two Gaussian clouds, centred at (-1, -1) and (1, 1), that overlap for ``spread`` near 1.

    Half the points (rounded down) get label 0. No line separates them when they overlap.

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    _check_positive(n_samples, "n_samples", "overlapping_blobs")
    rng = np.random.default_rng(rng)
    y = np.arange(n_samples) >= n_samples // 2
    centres = np.where(y[:, None], 1.0, -1.0)
    X = centres + spread * rng.normal(size=(n_samples, 2))
    return X, y.astype(np.int64)


def xor_blobs(n_samples=100, spread=0.15, rng=None):
    """Noisy copies of the four XOR corners: label 1 near (0, 1) and (1, 0), else 0.

    Returns
    -------
    X : ndarray, shape (n_samples, 2)
    y : ndarray of int64, shape (n_samples,)
    """
    _check_positive(n_samples, "n_samples", "xor_blobs")
    rng = np.random.default_rng(rng)
    corner = np.arange(n_samples) % 4
    X = _GATE_INPUTS[corner] + spread * rng.normal(size=(n_samples, 2))
    return X, np.array(_GATE_OUTPUTS["xor"], dtype=np.int64)[corner]


def train_test_split(X, y, test_fraction=0.25, rng=0):
    """Split rows into a training and a test set with a seeded shuffle.

    Parameters
    ----------
    X : array_like, shape (N, ...)
    y : array_like, shape (N,)
    test_fraction : float
        Share of the rows that go to the test set, in (0, 1); at least one row goes
        to each side.
    rng : numpy.random.Generator, int or None
        The same seed always gives the same split.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} rows but y has {len(y)} labels")
    if len(X) < 2:
        raise ValueError(f"train_test_split: need at least 2 rows to split; got {len(X)}")
    if not 0 < test_fraction < 1:
        raise ValueError(f"train_test_split: test_fraction must be in (0, 1); got {test_fraction!r}")
    n_test = min(max(1, round(test_fraction * len(X))), len(X) - 1)
    order = np.random.default_rng(rng).permutation(len(X))
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def load_digits():
    """The UCI optical digits bundled with nnlib: 1497 images of 8x8 pixels, labels 0..9.

    Returns
    -------
    X : ndarray, shape (1497, 64)
        Pixel values scaled from 0..16 to [0, 1], one flattened image per row.
    y : ndarray of int64, shape (1497,)

    Notes
    -----
    Source and licence (CC BY 4.0): ``nnlib/datasets/README.md``. The data set has 1797
    images; the other 300 (30 per class) are held out by the course's grader, which
    judges accuracy targets on them, so no student ever sees them.
    """
    with np.load(DATASETS / "digits.npz") as f:
        images, labels = f["images"], f["labels"]
    return images.reshape(len(images), -1).astype(np.float64) / 16.0, labels.astype(np.int64)


def digits_split(rng=0):
    """The digits split 60/20/20 into train, validation and test with a seeded shuffle.

    Returns
    -------
    dict
        ``{"train": (X, y), "val": (X, y), "test": (X, y)}`` with 898, 300 and 299 rows.
    """
    X, y = load_digits()
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_fraction=0.2, rng=rng)
    X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_fraction=0.25, rng=rng)
    return {"train": (X_train, y_train), "val": (X_val, y_val), "test": (X_test, y_test)}


def load_fashion_mnist():
    """The Fashion-MNIST subset bundled with nnlib: 3000 photographs of clothes, 28x28.

    Returns
    -------
    X : ndarray, shape (3000, 1, 28, 28)
        Grey levels scaled from 0..255 to [0, 1] (0 is the background), one channel per
        image: the ``(N, C, H, W)`` layout of ``Conv2d``.
    y : ndarray of int64, shape (3000,)
        Labels 0..9, 300 of each; ``FASHION_MNIST_CLASSES[k]`` names class ``k``.

    Notes
    -----
    The images come from Zalando's official training set (MIT licence; source, licence
    and how they were drawn: ``nnlib/datasets/README.md``). The course's grader judges
    accuracy targets on 500 images of the official test set that no student file holds.
    """
    with np.load(DATASETS / "fashion_mnist.npz") as f:
        images, labels = f["images"], f["labels"]
    return images[:, None].astype(np.float64) / 255.0, labels.astype(np.int64)


def fashion_mnist_split(rng=0):
    """The Fashion-MNIST subset split by class into train, validation and test.

    Every class gives 200 images to train, 50 to validation and 50 to test, chosen by a
    seeded shuffle within the class, so every split is balanced.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        The same seed always gives the same split.

    Returns
    -------
    dict
        ``{"train": (X, y), "val": (X, y), "test": (X, y)}`` with 2000, 500 and 500 rows,
        ``X`` of shape ``(n, 1, 28, 28)``; rows are shuffled, so the classes are mixed.
    """
    X, y = load_fashion_mnist()
    rng = np.random.default_rng(rng)
    parts = {name: [] for name in _FASHION_SPLIT}
    for k in range(len(FASHION_MNIST_CLASSES)):
        rows = rng.permutation(np.flatnonzero(y == k))
        for name, stop in zip(parts, np.cumsum(list(_FASHION_SPLIT.values()))):
            parts[name].append(rows[stop - _FASHION_SPLIT[name]:stop])
    order = {name: rng.permutation(np.concatenate(rows)) for name, rows in parts.items()}
    return {name: (X[rows], y[rows]) for name, rows in order.items()}


def adding_problem(n_samples, seq_len, rng=None):
    r"""The adding problem (Hochreiter and Schmidhuber, 1997): add the two marked numbers
    of a long sequence, a test of memory over many time steps.

    Parameters
    ----------
    n_samples : int
    seq_len : int
        :math:`T \ge 2`.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    X : ndarray, shape (n_samples, seq_len, 2)
        Channel 0: numbers drawn uniformly from [0, 1). Channel 1: the markers, 1 at
        exactly two steps (one in the first half, one in the second), else 0.
    y : ndarray, shape (n_samples, 1)
        The sum of the two marked numbers, in [0, 2).

    Notes
    -----
    Always predicting 1 gives a mean squared error of :math:`\operatorname{Var}(u_1 + u_2)
    = 2/12 = 1/6`, the baseline a model that remembers nothing cannot beat.
    """
    _check_positive(n_samples, "n_samples", "adding_problem")
    if not (isinstance(seq_len, (int, np.integer)) and seq_len >= 2):
        raise ValueError(f"adding_problem: seq_len must be an int >= 2; got {seq_len!r}")
    rng, half, rows = np.random.default_rng(rng), seq_len // 2, np.arange(n_samples)
    values = rng.random((n_samples, seq_len))
    markers = np.zeros((n_samples, seq_len))
    markers[rows, rng.integers(0, half, n_samples)] = 1.0
    markers[rows, rng.integers(half, seq_len, n_samples)] = 1.0
    y = np.sum(values * markers, axis=1, keepdims=True)
    return np.stack([values, markers], axis=2), y


def load_austen():
    """The opening of Jane Austen's *Pride and Prejudice* bundled with nnlib (public domain).

    Returns
    -------
    str
        The title and chapters 1 to 20, 200,735 characters, lines separated by ``"\\n"``
        (Project Gutenberg's line breaks; ``_word_`` marks italics).

    Notes
    -----
    Source (Debian's ``r-cran-janeaustenr``), licence and checksum:
    ``nnlib/datasets/README.md``. Nothing is downloaded at run time.
    """
    return (DATASETS / AUSTEN_FILE).read_bytes().decode("utf-8")


def austen_split(val_chapters=2, rng=0):
    """The bundled excerpt split into whole chapters for training and validation.

    Parameters
    ----------
    val_chapters : int
        How many of the 20 chapters go to validation, drawn by a seeded shuffle.
    rng : numpy.random.Generator, int or None
        The same seed always gives the same split.

    Returns
    -------
    dict
        ``{"train": str, "val": str}``: the title and the other chapters, and the drawn
        chapters, each in the book's order. Every chapter starts with its heading line.
    """
    head, *chapters = re.split(r"(?m)^(?=Chapter \d+$)", load_austen())
    if not (isinstance(val_chapters, (int, np.integer)) and 1 <= val_chapters < len(chapters)):
        raise ValueError(f"austen_split: val_chapters must be an int in 1..{len(chapters) - 1}; "
                         f"got {val_chapters!r}")
    drawn = np.random.default_rng(rng).choice(len(chapters), val_chapters, replace=False)
    val = set(drawn.tolist())
    return {"train": head + "".join(c for k, c in enumerate(chapters) if k not in val),
            "val": "".join(chapters[k] for k in sorted(val))}


def add_bias_column(X):
    """Append a column of ones, so that a bias becomes one more weight.

    Parameters
    ----------
    X : array_like, shape (N, D)

    Returns
    -------
    ndarray, shape (N, D + 1)
    """
    X = as_matrix(X, None, "add_bias_column")
    return np.hstack([X, np.ones((len(X), 1))])


def _check_positive(value, name, where):
    if not (isinstance(value, (int, np.integer)) and value > 0):
        raise ValueError(f"{where}: {name} must be a positive int; got {value!r}")
