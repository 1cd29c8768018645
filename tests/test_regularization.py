"""Chapter 5 in nnlib: Dropout (layers), l2_penalty / l1_penalty (losses), EarlyStopping and
fit's early_stopping= and penalty= (train), Sequential.weights / gradient_norms (network).

Statistical tests use a fixed seed *and* a bound of 6 standard errors derived from the
variance of the statistic (a false alarm rate below 1e-8 whatever the seed), so they are
deterministic and would not flake if the seed changed. The mistakes they target shift the
statistic by far more than that bound.
"""
import numpy as np
import pytest

from nnlib import layers
from nnlib.gradcheck import check_layer, numerical_gradient, relative_error
from nnlib.losses import l1_penalty, l2_penalty, mse, softmax_cross_entropy
from nnlib.network import Sequential
from nnlib.optim import SGD
from nnlib.train import EarlyStopping, fit, iterate_minibatches

RNG = np.random.default_rng(2026)


# --- Dropout -------------------------------------------------------------------------------

def test_dropout_backward_matches_finite_differences_with_a_fixed_mask():
    x, dout = RNG.normal(size=(6, 5)), RNG.normal(size=(6, 5))
    layer = layers.Dropout(0.4)

    def forward():  # reseeding draws the same mask at every call
        layer.rng = np.random.default_rng(11)
        return layer.forward(x)

    loss = lambda: float(np.sum(forward() * dout))  # noqa: E731
    y = forward()
    dx = layer.backward(dout)
    assert 0 < np.count_nonzero(y) < y.size  # the mask drops some units and keeps others
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-9


def test_dropout_hand_worked_mask():
    # p = 0.5 with seed 0: rng.random((2, 3)) = [[.637, .270, .041], [.017, .813, .913]],
    # so the kept units are those >= 0.5 and they are doubled.
    layer = layers.Dropout(0.5, rng=0)
    y = layer.forward(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    np.testing.assert_array_equal(y, [[2.0, 0.0, 0.0], [0.0, 10.0, 12.0]])
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), [[2.0, 0.0, 0.0], [0.0, 2.0, 2.0]])


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_drops_a_share_p_and_preserves_the_mean(p):
    x = RNG.uniform(0.5, 2.0, size=(400, 500))
    y = layers.Dropout(p, rng=1).forward(x)
    n = x.size
    kept = y != 0
    # Each unit is dropped with probability p: the dropped share has standard error
    # sqrt(p (1 - p) / n) (about 0.0007 here; reading p as the keep probability is off by 0.3 at 0.8).
    assert abs((1 - kept.mean()) - p) <= 6 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-15)
    # sum(y) = sum(x_i m_i) / (1 - p) has mean sum(x) and variance p / (1 - p) * sum(x^2).
    assert abs(y.sum() - x.sum()) <= 6 * np.sqrt(p / (1 - p) * np.sum(x ** 2))


def test_dropout_bound_would_catch_a_missing_rescale():
    # The bound of the mean test above is tight enough: without 1/(1-p), sum(y) falls short
    # of sum(x) by p * sum(x), hundreds of standard errors.
    p, x = 0.1, RNG.uniform(0.5, 2.0, size=(400, 500))
    unscaled = layers.Dropout(p, rng=1).forward(x) * (1 - p)
    assert abs(unscaled.sum() - x.sum()) > 100 * np.sqrt(p / (1 - p) * np.sum(x ** 2))


def test_dropout_uses_a_new_mask_per_forward_and_the_same_mask_in_backward():
    layer, x = layers.Dropout(0.5, rng=3), RNG.uniform(1.0, 2.0, size=(50, 40))
    first = layer.forward(x)
    second = layer.forward(x)
    assert not np.array_equal(first != 0, second != 0)
    dx = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx * x, second)  # the last forward's mask, scaled the same
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), dx)  # backward draws nothing


def test_dropout_in_eval_is_the_identity_and_train_switches_it_back():
    layer = layers.Dropout(0.7, rng=4)
    model = Sequential(layer).eval()
    x, g = RNG.normal(size=(8, 9)), RNG.normal(size=(8, 9))
    np.testing.assert_array_equal(model.forward(x), x)
    np.testing.assert_array_equal(model.backward(g), g)
    assert max(check_layer(layer, x, rng=0).values()) < 1e-9
    model.train()
    assert layer.training and np.count_nonzero(model.forward(x)) < x.size


def test_dropout_p_zero_is_the_identity_and_p_is_validated():
    x = RNG.normal(size=(4, 3))
    layer = layers.Dropout(0, rng=0)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)
    assert layers.Dropout(0.5).params == {} and layers.Dropout(np.float64(0.25)).p == 0.25
    for bad in (1, 1.0, -0.1, 1.5, "0.5", None, True, float("nan")):
        with pytest.raises(ValueError, match=r"probability of dropping a unit.*0 <= p < 1"):
            layers.Dropout(bad)


def test_dropout_shapes_of_images_and_sequences():
    for shape in [(2, 3, 4, 5), (3, 7, 2)]:
        x = RNG.normal(size=shape)
        layer = layers.Dropout(0.3, rng=0)
        assert layer.forward(x).shape == shape and layer.backward(x).shape == shape


# --- penalties -----------------------------------------------------------------------------

def test_penalties_hand_worked():
    W1, W2 = np.array([[1.0, -2.0], [0.0, 3.0]]), np.array([[-0.5]])
    value, grads = l2_penalty([W1, W2], 0.1)
    assert value == pytest.approx(0.05 * (1 + 4 + 0 + 9 + 0.25))  # 0.7125
    np.testing.assert_allclose(grads[0], [[0.1, -0.2], [0.0, 0.3]])
    np.testing.assert_allclose(grads[1], [[-0.05]])
    value, grads = l1_penalty([W1, W2], 0.1)
    assert value == pytest.approx(0.1 * (1 + 2 + 0 + 3 + 0.5))  # 0.65
    np.testing.assert_array_equal(grads[0], [[0.1, -0.1], [0.0, 0.1]])  # 0 at 0
    np.testing.assert_array_equal(grads[1], [[-0.1]])


@pytest.mark.parametrize("penalty", [l2_penalty, l1_penalty])
def test_penalty_gradients_match_finite_differences(penalty):
    weights = [RNG.normal(size=(4, 3)), RNG.normal(size=(2, 3, 2, 2))]
    for w in weights:
        w[np.abs(w) < 1e-2] = 0.5  # away from L1's kink
    upstream = RNG.normal()  # the penalty enters the loss as upstream * R
    _, grads = penalty(weights, 0.3)
    for w, g in zip(weights, grads):
        assert g.shape == w.shape
        numeric = numerical_gradient(lambda: upstream * penalty(weights, 0.3)[0], w)
        assert relative_error(upstream * g, numeric) < 1e-8


@pytest.mark.parametrize("penalty", [l2_penalty, l1_penalty])
def test_penalties_edge_cases_and_validation(penalty):
    w = np.array([1.0, -2.0])
    value, grads = penalty([w], 0.0)
    assert value == 0 and np.all(grads[0] == 0)
    assert penalty([], 0.5) == (0.0, [])
    value, grads = penalty([[1.0, -1.0]], 2.0)  # nested lists are arrays too
    assert isinstance(value, float) and grads[0].dtype == np.float64
    _, grads = penalty([w], 1.0)
    grads[0][:] = 99.0
    np.testing.assert_array_equal(w, [1.0, -2.0])  # grads are new arrays, not views of w
    with pytest.raises(TypeError, match="list of arrays"):
        penalty(np.ones((2, 2)), 0.1)
    with pytest.raises(ValueError, match="lam must be a number >= 0"):
        penalty([w], -0.1)


def test_l1_subgradient_is_zero_at_zero_and_has_the_sign_of_w():
    _, (g,) = l1_penalty([np.array([-3.0, -1e-300, 0.0, -0.0, 1e-300, 2.0])], 0.5)
    np.testing.assert_array_equal(g, [-0.5, -0.5, 0.0, 0.0, 0.5, 0.5])


def test_sequential_weights_excludes_biases_and_shares_the_arrays():
    model = Sequential(layers.Linear(3, 4, rng=0), layers.ReLU(), layers.Dropout(0.5),
                       layers.Linear(4, 2, rng=1))
    weights = model.weights()
    assert [w.shape for w in weights] == [(4, 3), (2, 4)]
    assert weights[0] is model.layers[0].params["W"]


def test_gradient_norms_one_per_parameterised_layer():
    model = Sequential(layers.Linear(3, 4, rng=0), layers.Sigmoid(), layers.Linear(4, 2, rng=1))
    model.backward(mse(model.forward(RNG.normal(size=(5, 3))), RNG.normal(size=(5, 2)))[1])
    first, last = model.layers[0].grads, model.layers[2].grads
    norms = model.gradient_norms()
    assert len(norms) == 2 and all(isinstance(n, float) for n in norms)
    assert norms[0] == pytest.approx(np.sqrt(np.sum(first["W"] ** 2) + np.sum(first["b"] ** 2)))
    assert model.gradient_norms(keys=("W",))[1] == pytest.approx(np.linalg.norm(last["W"]))


# --- early stopping ------------------------------------------------------------------------

class Toy:
    """A 'model' with one parameter array, whose value we set by hand each epoch."""

    def __init__(self):
        self.params = {"w": np.zeros(2)}

    def parameters(self):
        return [(self.params, {})]


def run(stopper, metrics):
    """Feed ``metrics`` one epoch at a time, the parameters being [epoch, epoch]; return the
    answers of update, stopping at the first True."""
    model, answers = Toy(), []
    for epoch, metric in enumerate(metrics):
        model.params["w"][:] = epoch  # in place, as SGD does
        answers.append(stopper.update(metric, model))
        if answers[-1]:
            break
    return model, answers


def test_early_stopping_patience_boundary_and_strict_improvement():
    # patience 2: best at epoch 1; epoch 2 is worse and epoch 3 only equal (not strictly
    # better), so epoch 3 is the second epoch without improvement: stop there, not earlier or later.
    stopper = EarlyStopping(patience=2)
    model, answers = run(stopper, [3.0, 2.0, 2.5, 2.0, 1.0])
    assert answers == [False, False, False, True]
    assert (stopper.best, stopper.best_epoch, stopper.wait) == (2.0, 1, 2)
    stopper.restore(model)
    np.testing.assert_array_equal(model.params["w"], [1.0, 1.0])  # the best, not the last (3)


def test_early_stopping_resets_the_count_on_improvement():
    stopper = EarlyStopping(patience=3)
    _, answers = run(stopper, [5, 6, 7, 4, 6, 7, 8, 0])
    assert answers == [False] * 6 + [True] and stopper.best_epoch == 3


def test_early_stopping_patience_one_and_mode_max():
    stopper = EarlyStopping(patience=1, mode="max")
    _, answers = run(stopper, [0.5, 0.7, 0.7])
    assert answers == [False, False, True] and stopper.best_epoch == 1


def test_early_stopping_keeps_a_copy_and_restores_in_place():
    stopper, model = EarlyStopping(patience=5), Toy()
    original = model.params["w"]
    model.params["w"][:] = [1.0, 2.0]
    stopper.update(0.1, model)
    model.params["w"] += 10.0  # an optimizer step after the best epoch
    stopper.update(0.2, model)
    np.testing.assert_array_equal(stopper.best_params[0]["w"], [1.0, 2.0])
    stopper.restore(model)
    assert model.params["w"] is original
    np.testing.assert_array_equal(original, [1.0, 2.0])


def test_early_stopping_nan_never_improves_and_validation():
    stopper = EarlyStopping(patience=2)
    _, answers = run(stopper, [1.0, float("nan"), float("nan")])
    assert answers == [False, False, True] and stopper.best == 1.0
    with pytest.raises(RuntimeError, match="update"):
        EarlyStopping(patience=1).restore(Toy())
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="patience"):
            EarlyStopping(patience=bad)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(patience=2, mode="lowest")


def small_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X[:40], y[:40], X[40:], y[40:]


def mlp(seed=0):
    return Sequential(layers.Linear(4, 8, rng=seed), layers.Tanh(), layers.Linear(8, 2, rng=seed + 1))


def test_fit_stops_and_restores_the_best_epoch():
    X, y, Xv, yv = small_problem()
    # Monitoring the training loss in mode "max": only epoch 0 "improves", so the run stops
    # after patience + 1 = 3 epochs and ends with the parameters of epoch 0.
    model, stopper = mlp(), EarlyStopping(patience=2, mode="max", monitor="loss")
    history = fit(model, softmax_cross_entropy, SGD(model.parameters(), lr=0.1), X, y, epochs=10,
                  batch_size=8, rng=np.random.default_rng(1), validation=(Xv, yv),
                  early_stopping=stopper, progress=False)
    assert len(history["loss"]) == len(history["val_loss"]) == 3 and history["best_epoch"] == 0
    reference = mlp()
    fit(reference, softmax_cross_entropy, SGD(reference.parameters(), lr=0.1), X, y, epochs=1,
        batch_size=8, rng=np.random.default_rng(1), progress=False)
    for (mine, _), (theirs, _) in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(mine["W"], theirs["W"])


def test_fit_with_early_stopping_on_validation_loss_and_its_errors():
    X, y, Xv, yv = small_problem()
    model = mlp()
    opt = SGD(model.parameters(), lr=0.2)
    history = fit(model, softmax_cross_entropy, opt, X, y, epochs=30, batch_size=8,
                  validation=(Xv, yv), early_stopping=EarlyStopping(patience=3), progress=False)
    best = history["best_epoch"]
    assert history["val_loss"][best] == min(history["val_loss"])
    model.eval()
    assert softmax_cross_entropy(model.forward(Xv), yv)[0] == pytest.approx(history["val_loss"][best])
    with pytest.raises(ValueError, match="validation"):
        fit(model, softmax_cross_entropy, opt, X, y, epochs=1, early_stopping=EarlyStopping(2))
    with pytest.raises(ValueError, match="monitor='val_acc'"):
        fit(model, softmax_cross_entropy, opt, X, y, epochs=1, validation=(Xv, yv),
            early_stopping=EarlyStopping(2, monitor="val_acc"))


def test_fit_progress_bar_shows_the_best_epoch(capsys):
    X, y, Xv, yv = small_problem()
    model = mlp()
    fit(model, softmax_cross_entropy, SGD(model.parameters(), lr=0.1), X, y, epochs=2,
        validation=(Xv, yv), early_stopping=EarlyStopping(5), progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "best epoch=1" in err


def test_fit_without_the_new_arguments_is_the_chapter_4_loop():
    X, y, _, _ = small_problem()
    model, manual = mlp(), mlp()
    history = fit(model, softmax_cross_entropy, SGD(model.parameters(), lr=0.1, momentum=0.9), X, y,
                  epochs=3, batch_size=16, rng=np.random.default_rng(5), progress=False)
    assert set(history) == {"loss", "accuracy"}
    opt, rng = SGD(manual.parameters(), lr=0.1, momentum=0.9), np.random.default_rng(5)
    for _ in range(3):
        for idx in iterate_minibatches(len(X), 16, rng):
            opt.zero_grad()
            manual.backward(softmax_cross_entropy(manual.forward(X[idx]), y[idx])[1])
            opt.step()
    for (mine, _), (theirs, _) in zip(model.parameters(), manual.parameters()):
        np.testing.assert_array_equal(mine["W"], theirs["W"])


def test_fit_penalty_adds_to_weight_gradients_only():
    X, y, _, _ = small_problem()
    lam, model, before = 0.5, mlp(), mlp()
    for net in (model, before):  # non-zero biases, so that decaying them would show
        for layer in net.layers[::2]:
            layer.params["b"][:] = np.linspace(-1.0, 1.0, layer.params["b"].size)
    history = fit(model, softmax_cross_entropy, SGD(model.parameters(), lr=0.1), X, y, epochs=1,
                  batch_size=len(X), penalty=lambda w: l2_penalty(w, lam), progress=False)
    loss, dout = softmax_cross_entropy(before.forward(X), y)
    before.backward(dout)
    assert history["loss"][0] == pytest.approx(loss + l2_penalty(before.weights(), lam)[0])
    for layer, old in zip(model.layers[::2], before.layers[::2]):
        np.testing.assert_allclose(layer.params["W"], old.params["W"] - 0.1 * (
            old.grads["W"] + lam * old.params["W"]), rtol=1e-12)
        np.testing.assert_allclose(layer.params["b"], old.params["b"] - 0.1 * old.grads["b"], rtol=1e-12)
