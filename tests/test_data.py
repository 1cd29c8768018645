"""nnlib.data: gate tables, generators' guarantees, the seeded split."""
import numpy as np
import pytest

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
