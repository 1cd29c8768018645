"""nnlib.data: gate tables, generators' guarantees, the seeded split, the bundled
Fashion-MNIST subset (its file, checksum, licence, loader and split), the bundled Pride and
Prejudice excerpt (checksum, loader, chapter split, and its maker regenerating it from
Debian's r-cran-janeaustenr) and the adding problem."""
import hashlib
import re
import struct

import numpy as np
import pytest

from nncourse.datasets import make_austen
from nnlib import data


def test_gate_truth_tables():
    X, y = data.logic_gate("XOR")
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    np.testing.assert_array_equal(data.logic_gate("nand")[1], [1, 1, 1, 0])
    with pytest.raises(ValueError, match="unknown gate 'xand'; expected one of and, or"):
        data.logic_gate("xand")


def test_gate_tables_are_copies():
    X, _ = data.logic_gate("and")
    X[0, 0] = 9
    assert data.logic_gate("and")[0][0, 0] == 0


@pytest.mark.parametrize("seed", range(4))
def test_linearly_separable_keeps_its_margin(seed):
    X, y, (w, b) = data.linearly_separable(150, margin=0.2, rng=seed)
    assert X.shape == (150, 2) and y.dtype == np.int64
    z = X @ w + b
    assert np.all(np.abs(z) >= 0.2)
    np.testing.assert_array_equal(y, z > 0)
    assert np.linalg.norm(w) == pytest.approx(1.0)


def test_generators_are_seeded():
    for make in (data.linearly_separable, data.overlapping_blobs, data.xor_blobs):
        first, second = make(30, rng=5), make(30, rng=5)
        np.testing.assert_array_equal(first[0], second[0])
        assert not np.array_equal(first[0], make(30, rng=6)[0])


def test_xor_blobs_follow_xor_labels():
    X, y = data.xor_blobs(400, spread=0.05, rng=0)
    corners = np.round(X).astype(int)
    np.testing.assert_array_equal(y, corners[:, 0] ^ corners[:, 1])


def test_overlapping_blobs_are_balanced():
    _, y = data.overlapping_blobs(101, rng=0)
    assert np.sum(y == 0) == 50 and np.sum(y == 1) == 51


def test_train_test_split_is_seeded_disjoint_and_complete():
    X = np.arange(40).reshape(20, 2)
    y = np.arange(20)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test_fraction=0.25, rng=1)
    assert len(yte) == 5 and len(ytr) == 15
    assert sorted(np.concatenate([ytr, yte])) == list(range(20))
    np.testing.assert_array_equal(Xtr[:, 0] // 2, ytr)
    again = data.train_test_split(X, y, test_fraction=0.25, rng=1)
    np.testing.assert_array_equal(again[3], yte)


@pytest.mark.parametrize("kwargs, match", [
    (dict(X=np.ones((3, 2)), y=np.ones(2)), "3 rows but y has 2"),
    (dict(X=np.ones((1, 2)), y=np.ones(1)), "at least 2 rows"),
    (dict(X=np.ones((4, 2)), y=np.ones(4), test_fraction=1.0), r"in \(0, 1\)"),
])
def test_train_test_split_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.train_test_split(**kwargs)


def test_add_bias_column():
    np.testing.assert_array_equal(data.add_bias_column([[2, 3]]), [[2, 3, 1]])
    with pytest.raises(ValueError, match="2-D"):
        data.add_bias_column([1, 2])


# The bundled Fashion-MNIST subset (nnlib/datasets/fashion_mnist.npz).
FASHION_FILE = data.DATASETS / "fashion_mnist.npz"
FASHION_SPLIT_SIZES = {"train": 2000, "val": 500, "test": 500}


def readme_sha256(readme, filename):
    """The SHA-256 a README's section on ``filename`` (a ``## `filename` ...`` heading) states."""
    section = readme.read_text().split(f"## `{filename}`", 1)[1].split("\n## ", 1)[0]
    found = re.findall(r"SHA-256 of this file:\s*`([0-9a-f]{64})`", section)
    assert len(found) == 1, f"{readme} states no single SHA-256 for {filename}"
    return found[0]


def row_keys(X):
    """Each image's bytes, for finding the same image twice."""
    return [row.tobytes() for row in np.ascontiguousarray(X).reshape(len(X), -1)]


def test_fashion_mnist_file_matches_the_sha256_in_its_readme():
    stated = readme_sha256(data.DATASETS / "README.md", "fashion_mnist.npz")
    actual = hashlib.sha256(FASHION_FILE.read_bytes()).hexdigest()
    assert actual == stated, (f"{FASHION_FILE.name} has SHA-256 {actual} but its README states "
                              f"{stated}: a regenerated file needs the README updated")


def test_fashion_mnist_licence_notice_sits_beside_the_file():
    notice = (data.DATASETS / "LICENSE-fashion-mnist.txt").read_text()
    assert "Copyright © [2017] Zalando SE" in notice
    assert "The above copyright notice and this permission notice shall be included" in notice


def test_fashion_mnist_file_holds_300_distinct_images_per_class():
    with np.load(FASHION_FILE) as f:
        images, labels, indices = f["images"], f["labels"], f["indices"]
    assert images.shape == (3000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.uint8 and np.bincount(labels).tolist() == [300] * 10
    assert len(set(row_keys(images))) == 3000, "an image occurs twice in the file"
    assert np.all(np.diff(indices.astype(np.int64)) > 0) and indices.max() < 60000
    assert FASHION_FILE.stat().st_size < 2_500_000


def test_load_fashion_mnist_scales_to_the_image_layout():
    X, y = data.load_fashion_mnist()
    with np.load(FASHION_FILE) as f:
        images, labels = f["images"], f["labels"]
    assert X.shape == (3000, 1, 28, 28) and X.dtype == np.float64
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(X[:, 0] * 255.0, images)
    assert len(data.FASHION_MNIST_CLASSES) == 10
    assert data.FASHION_MNIST_CLASSES[0] == "T-shirt/top"
    assert data.FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_fashion_mnist_split_is_balanced_disjoint_and_complete():
    split = data.fashion_mnist_split()
    assert list(split) == list(FASHION_SPLIT_SIZES)
    keys = {}
    for name, (X, y) in split.items():
        assert X.shape == (FASHION_SPLIT_SIZES[name], 1, 28, 28) and y.dtype == np.int64
        per_class = FASHION_SPLIT_SIZES[name] // 10
        assert np.bincount(y, minlength=10).tolist() == [per_class] * 10, f"{name} is unbalanced"
        assert not np.all(np.diff(y) >= 0), f"{name} is sorted by class, not shuffled"
        keys[name] = set(row_keys(X))
    assert not keys["train"] & keys["val"] and not keys["train"] & keys["test"]
    assert not keys["val"] & keys["test"]
    assert len(keys["train"] | keys["val"] | keys["test"]) == 3000


def test_fashion_mnist_split_is_seeded():
    first, second, other = (data.fashion_mnist_split(rng=seed) for seed in (0, 0, 1))
    for name in FASHION_SPLIT_SIZES:
        np.testing.assert_array_equal(first[name][0], second[name][0])
        np.testing.assert_array_equal(first[name][1], second[name][1])
    assert not np.array_equal(first["test"][0], other["test"][0])


# The bundled Pride and Prejudice excerpt (nnlib/datasets/pride_and_prejudice.txt), the
# adding problem.
AUSTEN_FILE = data.DATASETS / data.AUSTEN_FILE


def test_austen_file_matches_the_sha256_in_its_readme():
    stated = readme_sha256(data.DATASETS / "README.md", data.AUSTEN_FILE)
    actual = hashlib.sha256(AUSTEN_FILE.read_bytes()).hexdigest()
    assert actual == stated, (f"{AUSTEN_FILE.name} has SHA-256 {actual} but its README states "
                              f"{stated}: a regenerated file needs the README updated")


def test_load_austen_is_the_first_twenty_chapters():
    text = data.load_austen()
    assert text.startswith("PRIDE AND PREJUDICE\n\nBy Jane Austen\n")
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert re.findall(r"(?m)^Chapter (\d+)$", text) == [str(k) for k in range(1, 21)]
    assert "It is a truth universally acknowledged" in text
    assert len(text) == AUSTEN_FILE.stat().st_size < 300_000 and text.isascii()


def test_austen_split_is_whole_chapters_seeded_and_complete():
    split = data.austen_split()
    text = data.load_austen()
    assert list(split) == ["train", "val"]
    val = re.findall(r"(?m)^Chapter (\d+)$", split["val"])
    train = re.findall(r"(?m)^Chapter (\d+)$", split["train"])
    assert len(val) == 2 and sorted(map(int, train + val)) == list(range(1, 21))
    assert split["val"].startswith("Chapter ") and split["train"].startswith("PRIDE AND PREJUDICE")
    assert len(split["train"]) + len(split["val"]) == len(text)
    for chapter in re.split(r"(?m)^(?=Chapter \d+$)", split["val"])[1:]:
        assert chapter in text
    assert data.austen_split(rng=0) == split and data.austen_split(rng=1) != split
    assert len(re.findall(r"(?m)^Chapter ", data.austen_split(5, rng=3)["val"])) == 5
    with pytest.raises(ValueError, match=r"austen_split: val_chapters must be an int in 1..19"):
        data.austen_split(20)


JANEAUSTENR = make_austen.find_package()


@pytest.mark.skipif(JANEAUSTENR is None, reason="r-cran-janeaustenr is not installed "
                    "(make test installs it when root; or set JANEAUSTENR_DIR)")
def test_the_maker_regenerates_the_austen_excerpt_byte_for_byte(tmp_path):
    made = make_austen.make(JANEAUSTENR, tmp_path / "excerpt.txt")
    assert made.read_bytes() == AUSTEN_FILE.read_bytes()


def test_the_r_reader_reads_what_the_maker_needs_and_rejects_the_rest():
    def item(kind, payload=b"", flags=0):
        return struct.pack(">i", kind | flags) + payload

    def chars(s):
        return item(9, struct.pack(">i", len(s)) + s.encode())

    header = b"X\n" + struct.pack(">iii", 2, 0x040201, 0x020300)
    names = item(2, item(1, chars("names")) + item(16, struct.pack(">i", 2) + chars("a") + chars("b"))
                 + item(254), flags=1 << 10)
    vector = item(19, struct.pack(">i", 2) + item(13, struct.pack(">iii", 2, 1, 3)) +
                  item(16, struct.pack(">i", 1) + item(9, struct.pack(">i", -1))) + names, flags=1 << 9)
    assert make_austen.RReader(header + vector).value() == {"a": [1, 3], "b": [None]}
    with pytest.raises(ValueError, match="not an XDR R serialisation"):
        make_austen.RReader(b"RDX3\n" + header)
    with pytest.raises(ValueError, match="R type 3 at byte 14 is not supported"):
        make_austen.RReader(header + item(3)).value()
    assert make_austen.excerpt(["T", "", "Chapter 1", "x", "", "Chapter 2", "y"], 1) == "T\n\nChapter 1\nx\n"


def test_adding_problem_marks_two_steps_and_sums_them():
    X, y = data.adding_problem(50, 12, rng=0)
    assert X.shape == (50, 12, 2) and y.shape == (50, 1) and X.dtype == y.dtype == np.float64
    markers = X[:, :, 1]
    assert np.all(markers.sum(axis=1) == 2) and set(np.unique(markers)) == {0.0, 1.0}
    assert np.all(markers[:, :6].sum(axis=1) == 1) and np.all(markers[:, 6:].sum(axis=1) == 1)
    assert np.all((X[:, :, 0] >= 0) & (X[:, :, 0] < 1))
    np.testing.assert_allclose(y[:, 0], np.sum(X[:, :, 0] * markers, axis=1), rtol=1e-15)
    np.testing.assert_array_equal(data.adding_problem(5, 4, rng=1)[0], data.adding_problem(5, 4, rng=1)[0])
    with pytest.raises(ValueError, match="seq_len must be an int >= 2"):
        data.adding_problem(5, 1)
