"""Draw, once, the course's two Fashion-MNIST files from Debian's ``dataset-fashion-mnist``.

Chapter 6 trains a CNN on real photographs of clothes, and its graded accuracy target must
be judged on images no student has. This script reads the four IDX files of the Debian
package ``dataset-fashion-mnist`` 0.0~git20200523.55506a9-1 (Zalando's Fashion-MNIST, MIT
licence) and writes

- ``nnlib/datasets/fashion_mnist.npz``: 300 images of every class (3000) from the
  official *training* file, drawn without replacement by ``default_rng(VISIBLE_SEED)``,
  class 0 first, kept in their original order; released with every exercise;
- ``nncourse/heldout/fashion_mnist_heldout.npz``: 50 images of every class (500) from the
  official *test* file (t10k), drawn the same way with ``default_rng(HELDOUT_SEED)``;
  never released.

Each file holds ``images`` uint8 ``(N, 28, 28)`` (0 is background, 255 full ink),
``labels`` uint8 ``(N,)`` (0..9, the order of ``nnlib.data.FASHION_MNIST_CLASSES``) and
``indices`` uint16 ``(N,)``, each image's row in the IDX file it came from. An image
whose 784 bytes occur more than once in the 70000 is never drawn (the 2020 files hold no
such pair, so this rule changes nothing today), so no image can sit in both files.

To regenerate, and check that git then reports no change (the output is byte for byte the
same with numpy 2.x, whose ``savez_compressed`` writes fixed zip timestamps)::

    apt-get download dataset-fashion-mnist
    dpkg-deb -x dataset-fashion-mnist_0.0~git20200523.55506a9-1_all.deb /tmp/fmnist
    .venv/bin/python nncourse/heldout/make_fashion_mnist.py /tmp/fmnist/usr/share/datasets/fashion-mnist
    git status --short nnlib/datasets nncourse/heldout

It refuses IDX files whose uncompressed SHA-256 differs from :data:`SOURCE_DIGESTS`.
``tests/test_heldout.py`` reruns it into a temporary folder and compares the bytes when the
IDX files are at hand (the package installed, or ``FASHION_MNIST_IDX`` naming the folder).
"""
import gzip
import hashlib
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
STUDENT_FILE = REPO / "nnlib" / "datasets" / "fashion_mnist.npz"
HELDOUT_FILE = REPO / "nncourse" / "heldout" / "fashion_mnist_heldout.npz"
VISIBLE_SEED, HELDOUT_SEED = 6, 60
VISIBLE_PER_CLASS, HELDOUT_PER_CLASS = 300, 50
CLASSES, SIDE = 10, 28
IMAGE_MAGIC, LABEL_MAGIC = 0x0803, 0x0801  # IDX: two zero bytes, 0x08 (uint8), rank
SOURCE_DIGESTS = {  # SHA-256 of each IDX file after gunzip
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}


def parse_idx(raw, magic, name):
    """The uint8 array an IDX file holds: big-endian header ``magic`` (a uint32 whose
    low byte is the rank), one uint32 per dimension, then the bytes, row-major."""
    rank = magic & 0xFF
    header = 4 + 4 * rank
    if len(raw) < header:
        raise ValueError(f"{name}: {len(raw)} bytes, shorter than an IDX header of rank {rank}")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(f"{name}: magic number {found:#010x}, expected {magic:#010x}")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=rank, offset=4))
    if len(raw) != header + int(np.prod(shape)):
        raise ValueError(f"{name}: header says {shape} ({header + int(np.prod(shape))} bytes "
                         f"with the header) but the file has {len(raw)} bytes")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def read_idx(folder, stem, magic):
    """Read ``stem`` (or ``stem.gz``) from ``folder``, check its digest, parse it."""
    folder = Path(folder)
    path = folder / stem if (folder / stem).is_file() else folder / f"{stem}.gz"
    if not path.is_file():
        raise FileNotFoundError(f"neither {stem} nor {stem}.gz in {folder}")
    raw = path.read_bytes()
    raw = gzip.decompress(raw) if path.suffix == ".gz" else raw
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_DIGESTS[stem]:
        raise ValueError(f"{path}: SHA-256 {digest} of its IDX bytes is not the "
                         f"recorded {SOURCE_DIGESTS[stem]}")
    return parse_idx(raw, magic, path.name)


def read_split(folder, prefix, n):
    """Images ``(n, 28, 28)`` and labels ``(n,)`` of the official ``prefix`` set."""
    images = read_idx(folder, f"{prefix}-images-idx3-ubyte", IMAGE_MAGIC)
    labels = read_idx(folder, f"{prefix}-labels-idx1-ubyte", LABEL_MAGIC)
    if images.shape != (n, SIDE, SIDE) or labels.shape != (n,):
        raise ValueError(f"{prefix}: images {images.shape} and labels {labels.shape}; "
                         f"expected ({n}, {SIDE}, {SIDE}) and ({n},)")
    if labels.max() >= CLASSES:
        raise ValueError(f"{prefix}: a label {labels.max()} outside 0..{CLASSES - 1}")
    return images, labels


def unique_rows(images, others):
    """Mask of the rows of ``images`` whose bytes occur once in ``images`` and ``others``."""
    keys = [row.tobytes() for row in np.concatenate([images, others]).reshape(-1, SIDE * SIDE)]
    counts = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return np.array([counts[key] == 1 for key in keys[:len(images)]])


def draw(labels, allowed, per_class, seed):
    """Sorted indices of ``per_class`` allowed rows of every class, by ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero((labels == k) & allowed), per_class, replace=False)
              for k in range(CLASSES)]
    return np.sort(np.concatenate(chosen))


def subset(images, labels, rows):
    """The arrays of one output file."""
    return {"images": images[rows], "labels": labels[rows], "indices": rows.astype(np.uint16)}


def make(folder, student_file=STUDENT_FILE, heldout_file=HELDOUT_FILE):
    """Write the student file and the held-out file from the IDX files in ``folder``."""
    train_images, train_labels = read_split(folder, "train", 60000)
    test_images, test_labels = read_split(folder, "t10k", 10000)
    visible = draw(train_labels, unique_rows(train_images, test_images),
                   VISIBLE_PER_CLASS, VISIBLE_SEED)
    held = draw(test_labels, unique_rows(test_images, train_images),
                HELDOUT_PER_CLASS, HELDOUT_SEED)
    np.savez_compressed(student_file, **subset(train_images, train_labels, visible))
    np.savez_compressed(heldout_file, **subset(test_images, test_labels, held))
    for path in (Path(student_file), Path(heldout_file)):
        print(f"{path}: {path.stat().st_size} bytes, "
              f"SHA-256 {hashlib.sha256(path.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    make(sys.argv[1])
