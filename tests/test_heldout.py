"""The held-out digits: disjoint from the student's file, together exactly the original
1797, every class in both, none of their images anywhere under nnlib/ or exercises/, and
the trusted loader's contract. The held-out Fashion-MNIST images: their checksum and
licence beside them, 50 per class, none in the student's file or anywhere released."""
import hashlib
import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nncourse.grader import heldout
from nncourse.heldout import make_fashion_mnist
from nncourse.heldout.make_heldout import ORIGINAL_DIGEST, content_digest

REPO = Path(__file__).resolve().parents[1]
STUDENT_FILE = REPO / "nnlib" / "datasets" / "digits.npz"
HELDOUT_FILE = heldout.HELDOUT_FILE
RELEASED = (REPO / "nnlib", REPO / "exercises")  # what students receive, in every form
ORIGINAL_ROWS, PER_CLASS, CLASSES = 1797, 30, 10
FASHION_STUDENT_FILE = REPO / "nnlib" / "datasets" / "fashion_mnist.npz"
FASHION_HELDOUT_FILE = heldout.FASHION_HELDOUT_FILE
FASHION_PER_CLASS = 50


def arrays(path):
    """``(images, labels)`` of a digits file."""
    with np.load(path) as f:
        return f["images"], f["labels"]


def image_keys(images):
    """The set of images as bytes (64 uint8 pixels each)."""
    return {row.tobytes() for row in np.asarray(images, np.uint8).reshape(len(images), -1)}


def test_heldout_images_are_not_in_the_student_file():
    shared = image_keys(arrays(HELDOUT_FILE)[0]) & image_keys(arrays(STUDENT_FILE)[0])
    assert not shared, f"{len(shared)} held-out images are also in {STUDENT_FILE}"


def test_the_two_files_are_exactly_the_original_digits():
    (held, held_labels), (student, student_labels) = arrays(HELDOUT_FILE), arrays(STUDENT_FILE)
    images = np.concatenate([held, student])
    labels = np.concatenate([held_labels, student_labels])
    assert len(images) == len(labels) == ORIGINAL_ROWS
    assert content_digest(images, labels) == ORIGINAL_DIGEST, (
        "the union of the held-out and the student file is not the original 1797 digits")


def test_every_class_is_present_in_both_files():
    held_counts = np.bincount(arrays(HELDOUT_FILE)[1], minlength=CLASSES)
    student_counts = np.bincount(arrays(STUDENT_FILE)[1], minlength=CLASSES)
    assert held_counts.tolist() == [PER_CLASS] * CLASSES
    assert len(student_counts) == CLASSES and student_counts.min() > 100


def searchable_bytes(path):
    """A file's bytes and, for a zip (every .npz), each member's uncompressed bytes."""
    blobs = [path.read_bytes()]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            blobs += [archive.read(member) for member in archive.namelist()]
    return blobs


def heldout_patterns():
    """Each held-out image (digits and Fashion-MNIST) as stored (uint8) and as the loaders
    scale it (float64)."""
    patterns = []
    for path, top in ((HELDOUT_FILE, 16.0), (FASHION_HELDOUT_FILE, 255.0)):
        images = arrays(path)[0]
        images = images.reshape(len(images), -1)
        scaled = images.astype(np.float64) / top
        patterns += [row.tobytes() for row in images] + [row.tobytes() for row in scaled]
    return patterns


def test_no_released_file_contains_a_heldout_image():
    patterns = heldout_patterns()
    leaks = []
    for root in RELEASED:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if any(pattern in blob for blob in searchable_bytes(path) for pattern in patterns):
                leaks.append(str(path.relative_to(REPO)))
    assert not leaks, f"held-out digits found in {leaks}; they must never be released"


def test_loader_returns_scaled_heldout_digits():
    X, y = heldout.digits()
    images, labels = arrays(HELDOUT_FILE)
    assert X.shape == (CLASSES * PER_CLASS, 64) and X.dtype == np.float64
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X * 16.0, images.reshape(len(images), -1))


def test_fashion_heldout_file_matches_the_sha256_in_its_readme():
    readme = (FASHION_HELDOUT_FILE.parent / "README.md").read_text()
    section = readme.split("## `fashion_mnist_heldout.npz`", 1)[1].split("\n## ", 1)[0]
    stated = re.findall(r"SHA-256 of this file:\s*`([0-9a-f]{64})`", section)
    actual = hashlib.sha256(FASHION_HELDOUT_FILE.read_bytes()).hexdigest()
    assert stated == [actual], (f"{FASHION_HELDOUT_FILE.name} has SHA-256 {actual}; its README "
                                f"states {stated}: a regenerated file needs the README updated")
    assert "nnlib/datasets/LICENSE-fashion-mnist.txt" in section  # the notice, kept once


def test_fashion_heldout_images_are_distinct_balanced_and_not_in_the_student_file():
    images, labels = arrays(FASHION_HELDOUT_FILE)
    assert images.shape == (CLASSES * FASHION_PER_CLASS, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=CLASSES).tolist() == [FASHION_PER_CLASS] * CLASSES
    assert len(image_keys(images)) == len(images), "a held-out image occurs twice"
    shared = image_keys(images) & image_keys(arrays(FASHION_STUDENT_FILE)[0])
    assert not shared, f"{len(shared)} held-out images are also in {FASHION_STUDENT_FILE}"
    assert FASHION_HELDOUT_FILE.stat().st_size < 500_000


def test_fashion_loader_returns_scaled_heldout_images():
    X, y = heldout.fashion_mnist()
    images, labels = arrays(FASHION_HELDOUT_FILE)
    assert X.shape == (CLASSES * FASHION_PER_CLASS, 1, 28, 28) and X.dtype == np.float64
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X[:, 0] * 255.0, images)


def idx_bytes(magic, shape, payload):
    """An IDX file's bytes: the magic number, the dimensions, then the data."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in shape)
    return header + bytes(payload)


def test_the_maker_parses_idx_and_rejects_broken_files():
    parse, LABELS = make_fashion_mnist.parse_idx, make_fashion_mnist.LABEL_MAGIC
    np.testing.assert_array_equal(parse(idx_bytes(LABELS, (3,), [7, 0, 9]), LABELS, "ok"), [7, 0, 9])
    images = parse(idx_bytes(0x0803, (2, 1, 3), range(6)), 0x0803, "ok")
    np.testing.assert_array_equal(images, np.arange(6).reshape(2, 1, 3))
    with pytest.raises(ValueError, match="magic number 0x00000803, expected 0x00000801"):
        parse(idx_bytes(0x0803, (1, 1, 1), [0]), LABELS, "labels")
    with pytest.raises(ValueError, match=r"header says \(3,\) .* the file has 10 bytes"):
        parse(idx_bytes(LABELS, (3,), [1, 2]), LABELS, "labels")
    with pytest.raises(ValueError, match="shorter than an IDX header"):
        parse(b"\0\0\x08", LABELS, "labels")


IDX_FOLDER = Path(os.environ.get("FASHION_MNIST_IDX", "/usr/share/datasets/fashion-mnist"))


@pytest.mark.skipif(not IDX_FOLDER.is_dir(), reason=f"no Fashion-MNIST IDX files in {IDX_FOLDER} "
                    "(install dataset-fashion-mnist or set FASHION_MNIST_IDX)")
def test_the_maker_regenerates_both_fashion_files_byte_for_byte(tmp_path):
    make_fashion_mnist.make(IDX_FOLDER, tmp_path / "student.npz", tmp_path / "heldout.npz")
    assert (tmp_path / "student.npz").read_bytes() == FASHION_STUDENT_FILE.read_bytes()
    assert (tmp_path / "heldout.npz").read_bytes() == FASHION_HELDOUT_FILE.read_bytes()
