"""The held-out digits: disjoint from the student's file, together exactly the original
1797, every class in both, none of their images anywhere under nnlib/ or exercises/, and
the trusted loader's contract."""
import zipfile
from pathlib import Path

import numpy as np

from nncourse.grader import heldout
from nncourse.heldout.make_heldout import ORIGINAL_DIGEST, content_digest

REPO = Path(__file__).resolve().parents[1]
STUDENT_FILE = REPO / "nnlib" / "datasets" / "digits.npz"
HELDOUT_FILE = heldout.HELDOUT_FILE
RELEASED = (REPO / "nnlib", REPO / "exercises")  # what students receive, in every form
ORIGINAL_ROWS, PER_CLASS, CLASSES = 1797, 30, 10


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
    """Each held-out image as stored (uint8) and as ``load_digits`` scales it (float64)."""
    images = arrays(HELDOUT_FILE)[0].reshape(-1, 64)
    scaled = images.astype(np.float64) / 16.0
    return [row.tobytes() for row in images] + [row.tobytes() for row in scaled]


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
