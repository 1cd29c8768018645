"""nnlib.perceptron: hand-worked examples, the convergence bound, XOR cycling, bad input."""
import numpy as np
import pytest

from nnlib.data import add_bias_column, linearly_separable, logic_gate
from nnlib.perceptron import Perceptron, geometric_margin


def unit(w, b):
    p = Perceptron(len(w))
    p.w, p.b = np.array(w, dtype=float), float(b)
    return p


def test_predict_and_gate_by_hand():
    X, y = logic_gate("and")
    got = unit([1, 1], -1.5).predict(X)
    assert got.dtype == np.int64 and got.shape == (4,)
    np.testing.assert_array_equal(got, y)


def test_predict_counts_z_equal_zero_as_class_one():
    assert unit([1, 1], -1).predict([[0, 1]])[0] == 1
    assert unit([1, 1], -1).predict([[0, 0.999]])[0] == 0


def test_update_worked_example_or_gate():
    # From zero weights, lr = 1: (0,0) t=0 -> z=0, yhat=1, error -1: w=(0,0), b=-1
    #                            (0,1) t=1 -> z=-1, yhat=0, error +1: w=(0,1), b=0
    #                            (1,0) t=1 -> z=0,  yhat=1, error 0: unchanged
    p = Perceptron(2)
    steps = [((0, 0), 0, -1, (0, 0), -1), ((0, 1), 1, 1, (0, 1), 0), ((1, 0), 1, 0, (0, 1), 0)]
    for x, t, error, w, b in steps:
        assert p.update(np.array(x, float), t) == error
        np.testing.assert_array_equal(p.w, w)
        assert p.b == b


def test_update_scales_with_learning_rate_and_keeps_input():
    p = unit([0, 0], -1)
    x = np.array([2.0, 3.0])
    assert p.update(x, 1, lr=0.5) == 1
    np.testing.assert_allclose(p.w, [1.0, 1.5])
    assert p.b == -0.5
    np.testing.assert_array_equal(x, [2.0, 3.0])


@pytest.mark.parametrize("gate", ["and", "or", "nand", "nor"])
def test_fit_learns_linearly_separable_gates(gate):
    X, y = logic_gate(gate)
    p = Perceptron(2).fit(X, y)
    assert p.converged and p.history["mistakes"][-1] == 0
    np.testing.assert_array_equal(p.predict(X), y)


@pytest.mark.parametrize("seed", range(5))
def test_total_mistakes_respect_the_convergence_bound(seed):
    X, y, (w_true, b_true) = linearly_separable(80, margin=0.05, rng=seed)
    Xa = add_bias_column(X)
    w_star = np.append(w_true, b_true) / np.linalg.norm(np.append(w_true, b_true))
    gamma = np.min((2 * y - 1) * (Xa @ w_star))
    R = np.max(np.linalg.norm(Xa, axis=1))
    p = Perceptron(2).fit(X, y, epochs=10_000)
    assert p.converged
    assert sum(p.history["mistakes"]) <= (R / gamma) ** 2


def test_xor_never_converges_and_revisits_a_state():
    X, y = logic_gate("xor")
    p = Perceptron(2).fit(X, y, epochs=30)
    assert not p.converged and min(p.history["mistakes"]) > 0
    states = [tuple(w) + (b,) for w, b in zip(p.history["w"], p.history["b"])]
    assert len(set(states)) < len(states)


def test_fit_with_rng_is_reproducible():
    X, y, _ = linearly_separable(50, rng=3)
    a = Perceptron(2).fit(X, y, rng=np.random.default_rng(7))
    b = Perceptron(2).fit(X, y, rng=np.random.default_rng(7))
    assert a.history["mistakes"] == b.history["mistakes"]


def test_geometric_margin_by_hand():
    assert geometric_margin([2, 0], 0, [[2, 0], [-1, 0]], [1, 0]) == pytest.approx(1.0)
    assert geometric_margin([1, 0], 0, [[2, 0], [1, 0]], [1, 0]) == pytest.approx(-1.0)


@pytest.mark.parametrize("call, match", [
    (lambda p: p.predict([1.0, 2.0]), r"shape \(N, 2\); got shape \(2,\)"),
    (lambda p: p.predict(np.ones((3, 5))), r"shape \(N, 2\); got shape \(3, 5\)"),
    (lambda p: p.predict([[np.nan, 1.0]]), r"finite.*nan at index \(0, 0\)"),
    (lambda p: p.predict([["a", "b"]]), r"array of numbers"),
    (lambda p: p.fit(np.ones((2, 2)), [-1, 1]), r"only the labels 0 and 1.*\(y \+ 1\) // 2"),
    (lambda p: p.fit(np.ones((2, 2)), [0, 1, 1]), r"shape \(2,\), one label per row"),
    (lambda p: p.update([1.0, np.inf], 1), r"finite"),
    (lambda p: p.update([1.0, 1.0], 2), r"label 0 or 1; got 2"),
])
def test_bad_input_says_what_was_expected(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(Perceptron(2))


@pytest.mark.parametrize("n", [0, -1, 2.5, "2"])
def test_n_features_must_be_a_positive_int(n):
    with pytest.raises(ValueError, match="positive int"):
        Perceptron(n)
