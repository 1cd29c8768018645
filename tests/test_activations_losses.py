"""nnlib.activations and nnlib.losses: derivatives against finite differences, stability
at extreme inputs, hand-worked values and properties."""
import warnings

import numpy as np
import pytest

from nnlib import activations as act
from nnlib import losses
from nnlib.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "linear"])
def test_derivatives_match_finite_differences(name):
    f, f_prime = act.ACTIVATIONS[name]
    z = RNG.normal(size=(4, 5)) * 3
    z[np.abs(z) < 1e-3] = 0.5  # keep ReLU away from its kink
    upstream = RNG.normal(size=z.shape)
    numeric = numerical_gradient(lambda: float(np.sum(f(z) * upstream)), z)
    assert relative_error(f_prime(z) * upstream, numeric) < 1e-7


def test_sigmoid_by_hand_and_symmetry():
    assert act.sigmoid(0.0) == 0.5
    assert act.sigmoid(np.log(3.0)) == pytest.approx(0.75)
    z = RNG.normal(size=50) * 10
    np.testing.assert_allclose(act.sigmoid(-z), 1 - act.sigmoid(z), atol=1e-15)
    assert act.sigmoid_prime(0.0) == 0.25


def test_sigmoid_and_softmax_are_finite_and_silent_for_huge_inputs():
    z = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = act.sigmoid(z)
        p = act.softmax(np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]]))
        loss, grad = losses.softmax_cross_entropy(np.array([[1e4, 0.0, -1e4]]), np.array([2]))
    assert np.all(np.isfinite(s)) and s[0] == 0.0 and s[-1] == 1.0
    np.testing.assert_allclose(p, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])
    assert loss == pytest.approx(2e4) and np.all(np.isfinite(grad))


def test_softmax_rows_sum_to_one_and_are_shift_invariant():
    z = RNG.normal(size=(6, 4)) * 5
    p = act.softmax(z)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(act.softmax(z + 123.4), p)
    np.testing.assert_allclose(act.softmax(z.T, axis=0), p.T)
    np.testing.assert_allclose(np.exp(act.log_softmax(z)), p)


def test_mse_by_hand():
    loss, grad = losses.mse(np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 1.0]]))
    assert loss == pytest.approx((0.5 * 5 + 0.5 * 1) / 2)
    np.testing.assert_allclose(grad, [[0.5, 1.0], [0.0, -0.5]])


def test_binary_cross_entropy_by_hand_and_clipped():
    loss, grad = losses.binary_cross_entropy(np.array([0.8, 0.4]), np.array([1.0, 0.0]))
    assert loss == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    np.testing.assert_allclose(grad, [-1 / 0.8 / 2, 1 / 0.6 / 2])
    loss, grad = losses.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert np.isfinite(loss) and np.all(np.isfinite(grad))


def test_sigmoid_cross_entropy_by_hand_and_equal_to_bce_of_sigmoid():
    loss, grad = losses.sigmoid_cross_entropy(np.zeros((2, 1)), np.array([[1.0], [0.0]]))
    assert loss == pytest.approx(np.log(2))
    np.testing.assert_allclose(grad, [[-0.25], [0.25]])
    z = RNG.normal(size=(6, 3)) * 4
    t = RNG.integers(0, 2, size=(6, 3)).astype(float)
    loss, grad = losses.sigmoid_cross_entropy(z, t)
    bce_loss, bce_grad = losses.binary_cross_entropy(act.sigmoid(z), t)
    assert loss == pytest.approx(bce_loss, rel=1e-10)
    np.testing.assert_allclose(grad, bce_grad * act.sigmoid_prime(z), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(grad, (act.sigmoid(z) - t) / 6)


def test_sigmoid_cross_entropy_is_finite_and_silent_for_huge_logits():
    z = np.array([[1e4, -1e4], [-1e4, 1e4]])
    t = np.array([[0.0, 1.0], [1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = losses.sigmoid_cross_entropy(z, t)
    assert loss == pytest.approx((1e4 + 1e4 + 1e4 + 0.0) / 2)   # |z| per wrong entry
    np.testing.assert_allclose(grad, [[0.5, -0.5], [-0.5, 0.0]])


def test_sigmoid_cross_entropy_rejects_bad_input():
    with pytest.raises(ValueError, match=r"same shape .* got \(2, 1\) and \(2,\)"):
        losses.sigmoid_cross_entropy(np.zeros((2, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="finite"):
        losses.sigmoid_cross_entropy(np.array([[np.inf]]), np.array([[1.0]]))


def test_softmax_cross_entropy_by_hand():
    loss, grad = losses.softmax_cross_entropy(np.zeros((2, 4)), np.array([1, 3]))
    assert loss == pytest.approx(np.log(4))
    np.testing.assert_allclose(grad, (np.full((2, 4), 0.25) - np.eye(4)[[1, 3]]) / 2)


def test_temperature_cross_entropy_by_hand_and_at_tau_one():
    loss, dz, dtau = losses.temperature_cross_entropy(np.array([[0.0, np.log(3.0)]]), np.array([1]), 1.0)
    assert loss == pytest.approx(np.log(4 / 3))                 # p = (1/4, 3/4)
    np.testing.assert_allclose(dz, [[0.25, -0.25]])
    assert dtau == pytest.approx(np.log(3.0) / 4)                # -sum((p - t) z) / N
    z, y = RNG.normal(size=(6, 5)) * 3, RNG.integers(0, 5, size=6)
    loss, dz, _ = losses.temperature_cross_entropy(z, y, 1.0)
    plain_loss, plain_dz = losses.softmax_cross_entropy(z, y)
    assert loss == plain_loss and np.array_equal(dz, plain_dz)
    loss, dz, dtau = losses.temperature_cross_entropy(np.zeros((3, 4)), np.array([0, 1, 3]), 0.5)
    assert loss == pytest.approx(np.log(4)) and dtau == 0.0     # zero logits: tau is invisible


def test_temperature_cross_entropy_gradients_match_finite_differences():
    z, y = RNG.normal(size=(5, 4)) * 3, RNG.integers(0, 4, size=5)
    for tau in (0.3, 1.0, 4.0):
        t = np.array([tau])
        loss, dz, dtau = losses.temperature_cross_entropy(z, y, tau)
        numeric_z = numerical_gradient(lambda: losses.temperature_cross_entropy(z, y, tau)[0], z)
        numeric_tau = numerical_gradient(lambda: losses.temperature_cross_entropy(z, y, float(t[0]))[0], t)
        assert relative_error(dz, numeric_z) < 1e-7
        assert relative_error(dtau, numeric_tau) < 1e-7


def test_temperature_cross_entropy_is_finite_and_silent_for_huge_scaled_logits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, dz, dtau = losses.temperature_cross_entropy(np.array([[1e4, 0.0, -1e4]]), np.array([2]), 0.01)
    assert loss == pytest.approx(2e6)                            # 2e4 / 0.01
    np.testing.assert_allclose(dz, [[100.0, 0.0, -100.0]])
    assert dtau == pytest.approx(-2e8)                           # a wrong answer: warmer is better


@pytest.mark.parametrize("tau", [0.0, -1.0, np.inf, np.nan, True, np.array([1.0]), "1"])
def test_temperature_cross_entropy_rejects_a_bad_temperature(tau):
    with pytest.raises(ValueError, match=r"tau must be a finite number > 0"):
        losses.temperature_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), tau)


@pytest.mark.parametrize("loss_name", ["mse", "binary_cross_entropy", "sigmoid_cross_entropy", "softmax_cross_entropy"])
def test_loss_gradients_match_finite_differences(loss_name):
    fn = getattr(losses, loss_name)
    if loss_name == "softmax_cross_entropy":
        x, target = RNG.normal(size=(5, 4)) * 2, RNG.integers(0, 4, size=5)
    elif loss_name == "sigmoid_cross_entropy":
        x, target = RNG.normal(size=(5, 3)) * 3, RNG.uniform(size=(5, 3))
    else:
        x, target = RNG.uniform(0.05, 0.95, size=(5, 3)), RNG.integers(0, 2, size=(5, 3)).astype(float)
    numeric = numerical_gradient(lambda: fn(x, target)[0], x)
    assert relative_error(fn(x, target)[1], numeric) < 1e-7


@pytest.mark.parametrize("call, match", [
    (lambda: losses.mse(np.ones((2, 3)), np.ones((3, 2))), r"same shape .* got \(2, 3\) and \(3, 2\)"),
    (lambda: losses.softmax_cross_entropy(np.ones((2, 3)), np.array([0, 3])), r"integers in 0..2"),
    (lambda: losses.softmax_cross_entropy(np.ones((2, 3)), np.array([0.0, 1.0])), r"integers"),
    (lambda: losses.softmax_cross_entropy(np.ones(3), np.array([0])), r"\(N, K\)"),
    (lambda: losses.temperature_cross_entropy(np.ones((2, 3)), np.array([0, 3]), 1.0),
     r"^temperature_cross_entropy: labels must be integers in 0..2"),
    (lambda: losses.temperature_cross_entropy(np.ones((2, 3, 4)), np.zeros((2, 3), int), 1.0),
     r"^temperature_cross_entropy: logits must be \(N, K\)"),
])
def test_losses_reject_bad_shapes_and_labels(call, match):
    with pytest.raises(ValueError, match=match):
        call()
