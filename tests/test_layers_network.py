"""nnlib.layers, network, optim, gradcheck, neuron, train: finite-difference checks of every
backward with random upstream gradients, the worked 2-2-1 example, SGD by hand, training."""
import numpy as np
import pytest

from nnlib import layers
from nnlib.data import digits_split, logic_gate
from nnlib.gradcheck import check_layer, numerical_gradient, relative_error
from nnlib.losses import mse, softmax_cross_entropy
from nnlib.network import Sequential
from nnlib.neuron import LOSSES, neuron_forward, neuron_step, train_neuron
from nnlib.optim import SGD
from nnlib.train import accuracy, fit, iterate_minibatches

RNG = np.random.default_rng(42)


@pytest.mark.parametrize("make", [lambda: layers.Linear(5, 3, rng=0), layers.Sigmoid, layers.Tanh,
                                  layers.ReLU, layers.Softplus])
def test_layer_backward_matches_finite_differences(make):
    x = RNG.normal(size=(4, 5))
    x[np.abs(x) < 1e-3] = 0.1
    errors = check_layer(make(), x, rng=1)
    assert max(errors.values()) < 1e-7, errors


def test_softplus_backward_matches_finite_differences_at_large_inputs():
    """Inputs of size 5 (where dy/dx is far from 0.5) with a random upstream gradient; the
    backward uses the input of the last forward."""
    layer, x, dout = layers.Softplus(), RNG.normal(size=(3, 6)) * 5.0, RNG.normal(size=(3, 6))
    loss = lambda: float(np.sum(dout * layer.forward(x)))  # noqa: E731
    layer.forward(RNG.normal(size=(3, 6)))
    layer.forward(x)
    dx = layer.backward(dout)
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-8


def test_softplus_is_finite_and_exact_for_huge_inputs():
    """log(1 + e^x) ~ x for large x and ~ e^x for very negative x; no overflow, no warning."""
    x = np.array([[-800.0, -50.0, 0.0, 50.0, 800.0]])
    layer = layers.Softplus()
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # (underflow is harmless)
        y = layer.forward(x)
        dx = layer.backward(np.ones_like(x))
    np.testing.assert_allclose(y, [[0.0, np.exp(-50.0), np.log(2.0), 50.0, 800.0]], rtol=1e-12, atol=0)
    np.testing.assert_allclose(dx, [[0.0, np.exp(-50.0), 0.5, 1.0, 1.0]], rtol=1e-12, atol=0)


def test_linear_orientation_and_shapes():
    lin = layers.Linear(4, 2, rng=0)
    assert lin.params["W"].shape == (2, 4) and lin.params["b"].shape == (2,)
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(lin.forward(x), x @ lin.params["W"].T + lin.params["b"])
    lin.backward(np.ones((3, 2)))
    assert {k: g.shape for k, g in lin.grads.items()} == {"W": (2, 4), "b": (2,)}


def test_sequential_backward_matches_finite_differences():
    model = Sequential(layers.Linear(3, 4, rng=0), layers.Tanh(), layers.Linear(4, 2, rng=1),
                       layers.Sigmoid())
    x, target = RNG.normal(size=(5, 3)), RNG.uniform(size=(5, 2))
    loss = lambda: mse(model.forward(x), target)[0]  # noqa: E731
    model.backward(mse(model.forward(x), target)[1])
    analytic = [{k: g.copy() for k, g in grads.items()} for _, grads in model.parameters()]
    for (params, _), grads in zip(model.parameters(), analytic):
        for key in params:
            assert relative_error(grads[key], numerical_gradient(loss, params[key])) < 1e-7


def test_worked_2_2_1_example_of_the_sources():
    # Seed 003, section 4.6: x = (0.23, 0.82), target 1, sigmoid units, no biases, E = (t - y)^2 / 2.
    hidden, out = layers.Linear(2, 2), layers.Linear(2, 1)
    hidden.params["W"][:] = [[0.1, 0.4], [0.5, 0.3]]   # to C from (A, B); to D from (A, B)
    out.params["W"][:] = [[0.2, 0.6]]                  # to F from (C, D)
    model = Sequential(hidden, layers.Sigmoid(), out, layers.Sigmoid())
    x, t = np.array([[0.23, 0.82]]), np.array([[1.0]])
    y = model.forward(x)
    loss, dy = mse(y, t)
    # The source rounds every intermediate to 4 decimals, so its last digit can differ.
    assert y[0, 0] == pytest.approx(0.6155, abs=2e-4) and loss == pytest.approx(0.0739, abs=2e-4)
    model.backward(dy)
    np.testing.assert_allclose(out.grads["W"], [[-0.0533, -0.0535]], atol=2e-4)
    for layer in (hidden, out):
        layer.params["W"] -= 0.7 * layer.grads["W"]     # the example updates weights only
    # w4: the source prints 0.307 where 0.3 + 0.7 * 0.0108 = 0.3076 (truncated, not rounded).
    np.testing.assert_allclose(hidden.params["W"], [[0.1007, 0.4024], [0.5020, 0.3070]], atol=6e-4)
    np.testing.assert_allclose(out.params["W"], [[0.2373, 0.6374]], atol=2e-4)
    assert model.forward(x)[0, 0] == pytest.approx(0.6261, abs=2e-4)


def test_sgd_step_by_hand_with_momentum_and_weight_decay():
    params, grads = {"w": np.array([1.0, -2.0])}, {"w": np.array([0.5, 0.5])}
    opt = SGD([(params, grads)], lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step()  # g = 0.5 + 0.01 w = (0.51, 0.48); v = -0.1 g; w += v
    np.testing.assert_allclose(params["w"], [1.0 - 0.051, -2.0 - 0.048])
    opt.step()  # v = 0.9 v - 0.1 g'
    g2 = 0.5 + 0.01 * np.array([0.949, -2.048])
    np.testing.assert_allclose(params["w"], [0.949, -2.048] + 0.9 * np.array([-0.051, -0.048]) - 0.1 * g2)
    opt.zero_grad()
    assert np.all(grads["w"] == 0)
    with pytest.raises(ValueError, match="momentum"):
        SGD([], lr=0.1, momentum=1.0)


def test_numerical_gradient_of_a_known_function_and_restores_x():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])


@pytest.mark.parametrize("act, loss_name", [("sigmoid", "mse"), ("sigmoid", "bce"),
                                           ("tanh", "mse"), ("linear", "mse")])
def test_neuron_step_matches_finite_differences(act, loss_name):
    X, t = RNG.normal(size=(6, 3)), RNG.integers(0, 2, size=6).astype(float)
    w, b, lr = RNG.normal(size=3), np.array([0.3]), 0.5
    loss = lambda: LOSSES[loss_name](neuron_forward(X, w, b[0], act), t)[0]  # noqa: E731
    w_new, b_new, value = neuron_step(X, t, w.copy(), b[0], lr, act, loss_name)
    np.testing.assert_allclose(w_new, w - lr * numerical_gradient(loss, w), atol=1e-8)
    assert b_new == pytest.approx(b[0] - lr * numerical_gradient(loss, b)[0], abs=1e-8)
    assert value == pytest.approx(loss())


def test_train_neuron_learns_or_with_cross_entropy():
    X, y = logic_gate("or")
    w, b, history = train_neuron(X, y, np.zeros(2), 0.0, lr=2.0, epochs=200, loss="bce")
    assert history[-1] < history[0] / 10 and len(history) == 201
    np.testing.assert_array_equal(neuron_forward(X, w, b) > 0.5, y.astype(bool))


def test_minibatches_cover_every_example_once():
    batches = iterate_minibatches(10, 4, np.random.default_rng(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches)) == list(range(10))


def test_mlp_learns_digits():
    split = digits_split(rng=0)
    model = Sequential(layers.Linear(64, 32, rng=0), layers.Tanh(), layers.Linear(32, 10, rng=1))
    history = fit(model, softmax_cross_entropy, SGD(model.parameters(), lr=0.1, momentum=0.9),
                  *split["train"], epochs=15, batch_size=32, rng=np.random.default_rng(0),
                  validation=split["val"], progress=False)
    assert history["loss"][-1] < history["loss"][0] / 5
    assert len(history["val_accuracy"]) == 15
    assert accuracy(model, *split["test"]) > 0.95
