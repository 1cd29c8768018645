"""Chapter 7 in nnlib: the recurrent kernels (nnlib.recurrent), the RNN and LSTM layers,
Linear at every time step, the sequence cross-entropy, clip_grad_norm, and the text
helpers (nnlib.text).

Every backward pass is checked against float64 centred differences with random upstream
gradients, for one time step and for 30, with a nonzero initial state and D != H. The
forward passes are checked against recurrences written out here, independent of nnlib.
"""
import warnings

import numpy as np
import pytest

from nnlib import data, layers, optim, recurrent, text
from nnlib.gradcheck import numerical_gradient, relative_error
from nnlib.losses import softmax_cross_entropy
from nnlib.network import Sequential

RNG = np.random.default_rng(7)
TOLERANCE = 1e-7  # relative error of an analytic gradient against centred differences


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def assert_gradient(analytic, f, x, name):
    err = relative_error(analytic, numerical_gradient(f, x))
    assert err < TOLERANCE, f"d{name}: relative error {err:.2e}"


# --- the step kernels ----------------------------------------------------------------------

def rnn_arrays(N=3, D=4, H=5):
    return (RNG.normal(size=(N, D)), RNG.normal(size=(N, H)), RNG.normal(size=(H, D)) * 0.5,
            RNG.normal(size=(H, H)) * 0.5, RNG.normal(size=H))


def test_rnn_step_forward_hand_worked():
    # z = 0.5 * 2 + (-1) * 0.5 + 0.25 = 0.75 for the first unit; 0.5 * -1 + (-1) * 1 + 0 for the second
    h, _ = recurrent.rnn_step_forward(np.array([[0.5]]), np.array([[-1.0, 0.0]]),
                                      np.array([[2.0], [-1.0]]), np.array([[0.5, 3.0], [1.0, 3.0]]),
                                      np.array([0.25, 0.0]))
    np.testing.assert_allclose(h, [[np.tanh(0.75), np.tanh(-1.5)]], rtol=1e-15)


def test_rnn_step_forward_matches_the_formula_and_caches_its_inputs():
    x, h_prev, W_xh, W_hh, b = rnn_arrays()
    h, cache = recurrent.rnn_step_forward(x, h_prev, W_xh, W_hh, b)
    np.testing.assert_allclose(h, np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b), rtol=1e-14)
    assert len(cache) == 5 and cache[0] is x and cache[1] is h_prev and cache[4] is h


def test_rnn_step_backward_matches_finite_differences():
    arrays = rnn_arrays()
    dh = RNG.normal(size=(3, 5))
    loss = lambda: float(np.sum(recurrent.rnn_step_forward(*arrays)[0] * dh))  # noqa: E731
    grads = recurrent.rnn_step_backward(dh, recurrent.rnn_step_forward(*arrays)[1])
    for name, array, grad in zip(("x_t", "h_prev", "W_xh", "W_hh", "b"), arrays, grads):
        assert grad.shape == array.shape, name
        assert_gradient(grad, loss, array, name)


def lstm_arrays(N=3, D=4, H=5):
    return (RNG.normal(size=(N, D)), RNG.normal(size=(N, H)), RNG.normal(size=(N, H)),
            RNG.normal(size=(4 * H, D)) * 0.5, RNG.normal(size=(4 * H, H)) * 0.5,
            RNG.normal(size=4 * H))


def test_lstm_step_forward_matches_the_gate_equations():
    x, h_prev, c_prev, W_x, W_h, b = lstm_arrays(H=5)
    h, c, _ = recurrent.lstm_step_forward(x, h_prev, c_prev, W_x, W_h, b)
    block = lambda k: x @ W_x[5 * k:5 * k + 5].T + h_prev @ W_h[5 * k:5 * k + 5].T + b[5 * k:5 * k + 5]  # noqa: E731
    i, f, g, o = sigmoid(block(0)), sigmoid(block(1)), np.tanh(block(2)), sigmoid(block(3))
    np.testing.assert_allclose(c, f * c_prev + i * g, rtol=1e-13)
    np.testing.assert_allclose(h, o * np.tanh(f * c_prev + i * g), rtol=1e-13)


def test_lstm_step_backward_matches_finite_differences():
    arrays = lstm_arrays()
    dh, dc = RNG.normal(size=(3, 5)), RNG.normal(size=(3, 5))

    def loss():
        h, c, _ = recurrent.lstm_step_forward(*arrays)
        return float(np.sum(h * dh) + np.sum(c * dc))

    grads = recurrent.lstm_step_backward(dh, dc, recurrent.lstm_step_forward(*arrays)[2])
    names = ("x_t", "h_prev", "c_prev", "W_x", "W_h", "b")
    order = (0, 1, 2, 3, 4, 5)  # the returned order: dx, dh_prev, dc_prev, dW_x, dW_h, db
    for name, k in zip(names, order):
        assert grads[k].shape == arrays[k].shape, name
        assert_gradient(grads[k], loss, arrays[k], name)


@pytest.mark.parametrize("kernel, args, match", [
    (recurrent.rnn_step_forward, (np.ones((2, 3)), np.ones((2, 4)), np.ones((4, 4)), np.ones((4, 4)),
                                  np.ones(4)), r"rnn_step_forward: expected x_t \(N, D\).*\(4, 4\)"),
    (recurrent.rnn_step_forward, (np.ones(3), np.ones((1, 4)), np.ones((4, 3)), np.ones((4, 4)),
                                  np.ones(4)), r"rnn_step_forward: .*got \(3,\)"),
    (recurrent.lstm_step_forward, (np.ones((2, 3)), np.ones((2, 4)), np.ones((2, 4)), np.ones((4, 3)),
                                   np.ones((16, 4)), np.ones(16)), r"lstm_step_forward: .*\(4H, D\)"),
    (recurrent.lstm_step_forward, (np.ones((2, 3)), np.ones((2, 4)), np.ones((3, 4)), np.ones((16, 3)),
                                   np.ones((16, 4)), np.ones(16)), "c_prev must have the shape"),
])
def test_step_kernels_name_the_expected_shapes(kernel, args, match):
    with pytest.raises(ValueError, match=match):
        kernel(*args)


# --- the RNN and LSTM layers ---------------------------------------------------------------

def rnn_reference(x, h0, W_xh, W_hh, b):
    hs, h = [], h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ W_xh.T + h @ W_hh.T + b)
        hs.append(h)
    return np.stack(hs, axis=1)


def randomised(layer):
    for value in layer.params.values():
        value[...] = RNG.normal(size=value.shape) * 0.4
    return layer


def test_rnn_forward_is_the_recurrence():
    layer = randomised(layers.RNN(3, 5, rng=0))
    x, h0 = RNG.normal(size=(2, 7, 3)), RNG.normal(size=(2, 5))
    p = layer.params
    np.testing.assert_allclose(layer.forward(x, h0), rnn_reference(x, h0, p["W_xh"], p["W_hh"], p["b"]),
                               rtol=1e-13)
    np.testing.assert_allclose(layer.forward(x), rnn_reference(x, np.zeros((2, 5)), p["W_xh"],
                                                               p["W_hh"], p["b"]), rtol=1e-13)
    assert layer.params["W_xh"].shape == (5, 3) and layer.params["W_hh"].shape == (5, 5)


def layer_gradients_match(layer, x, states, n_states):
    """Finite differences of sum(hs * dhs) for x, every parameter and every initial state."""
    dhs = RNG.normal(size=x.shape[:2] + (layer.hidden_size,))
    loss = lambda: float(np.sum(layer.forward(x, *states) * dhs))  # noqa: E731
    layer.forward(x, *states)
    dx = layer.backward(dhs)
    analytic = dict(layer.grads, x=dx)
    analytic.update({name: getattr(layer, "d" + name) for name in layer.state_names[:n_states]})
    inputs = dict(layer.params, x=x, **dict(zip(layer.state_names, states)))
    for name, array in inputs.items():
        assert analytic[name].shape == array.shape, name
        assert_gradient(analytic[name], loss, array, name)


@pytest.mark.parametrize("T", [1, 30])
def test_rnn_backward_matches_finite_differences(T):
    layer = randomised(layers.RNN(3, 4, rng=0))
    layer_gradients_match(layer, RNG.normal(size=(2, T, 3)), (RNG.normal(size=(2, 4)),), 1)


@pytest.mark.parametrize("T", [1, 30])
def test_lstm_backward_matches_finite_differences(T):
    layer = randomised(layers.LSTM(3, 4, rng=0))
    states = (RNG.normal(size=(2, 4)), RNG.normal(size=(2, 4)))
    layer_gradients_match(layer, RNG.normal(size=(2, T, 3)), states, 2)


def test_backward_sets_fresh_gradients_every_call():
    layer = randomised(layers.RNN(2, 3, rng=0))
    x, dhs = RNG.normal(size=(2, 4, 2)), RNG.normal(size=(2, 4, 3))
    layer.forward(x)
    layer.backward(dhs)
    first = {k: g.copy() for k, g in layer.grads.items()}
    layer.forward(x)
    layer.backward(dhs)
    for key, grad in layer.grads.items():
        np.testing.assert_allclose(grad, first[key], rtol=1e-14, err_msg=key)


@pytest.mark.parametrize("make", [lambda: layers.RNN(3, 4, rng=1), lambda: layers.LSTM(3, 4, rng=1)])
def test_state_continues_a_sequence(make):
    layer, x = make(), RNG.normal(size=(2, 9, 3))
    whole = layer.forward(x)
    head = layer.forward(x[:, :4])
    tail = layer.forward(x[:, 4:], *layer.state)
    np.testing.assert_allclose(np.concatenate([head, tail], axis=1), whole, rtol=1e-13)
    np.testing.assert_allclose(layer.state[0], whole[:, -1], rtol=1e-13)


def test_lstm_layout_and_forget_bias():
    layer = layers.LSTM(3, 4, rng=0)
    assert {k: v.shape for k, v in layer.params.items()} == {"W_x": (16, 3), "W_h": (16, 4), "b": (16,)}
    np.testing.assert_array_equal(layer.params["b"], [0.0] * 4 + [1.0] * 4 + [0.0] * 8)
    assert layers.RNN(3, 4, rng=5).params["W_xh"].tolist() == layers.RNN(3, 4, rng=5).params["W_xh"].tolist()


@pytest.mark.parametrize("cls", [layers.RNN, layers.LSTM])
def test_layers_name_the_expected_shapes(cls):
    layer = cls(3, 4, rng=0)
    name = cls.__name__
    with pytest.raises(ValueError, match=rf"{name}.forward: x must have shape \(N, T, 3\).*\(2, 3\).*x\[None\]"):
        layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{name}.forward: x must have shape \(N, T, 3\)"):
        layer.forward(np.ones((2, 5, 4)))
    with pytest.raises(ValueError, match=rf"{name}.forward: h0 must have shape \(N, H\) = \(2, 4\)"):
        layer.forward(np.ones((2, 5, 3)), np.ones((1, 4)))
    with pytest.raises(RuntimeError, match=rf"{name}.backward: call forward first"):
        cls(3, 4).backward(np.ones((2, 5, 4)))
    layer.forward(np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=rf"{name}.backward: dout must have the shape .*\(2, 5, 4\)"):
        layer.backward(np.ones((2, 4, 4)))
    with pytest.raises(ValueError, match=rf"{name}: hidden_size must be an int >= 1"):
        cls(3, 0)


def test_lstm_checks_c0():
    with pytest.raises(ValueError, match=r"LSTM.forward: c0 must have shape \(N, H\) = \(2, 4\)"):
        layers.LSTM(3, 4).forward(np.ones((2, 5, 3)), None, np.ones((2, 3)))


# --- Linear at every time step, and the sequence cross-entropy -----------------------------

def test_linear_over_time_steps_matches_the_flat_layer_and_finite_differences():
    layer, flat = layers.Linear(4, 3, rng=0), layers.Linear(4, 3, rng=0)
    layer.params["b"][...] = flat.params["b"][...] = RNG.normal(size=3)
    x, dout = RNG.normal(size=(2, 5, 4)), RNG.normal(size=(2, 5, 3))
    y = layer.forward(x)
    np.testing.assert_allclose(y, flat.forward(x.reshape(10, 4)).reshape(2, 5, 3), rtol=1e-14)
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, flat.backward(dout.reshape(10, 3)).reshape(2, 5, 4), rtol=1e-14)
    loss = lambda: float(np.sum(layer.forward(x) * dout))  # noqa: E731
    grads = dict(layer.grads, x=dx)
    for name, array in dict(layer.params, x=x).items():
        assert_gradient(grads[name], loss, array, name)
    assert layer.forward(x[:, 0]).shape == (2, 3) and layer.backward(dout[:, 0]).shape == (2, 4)


def test_linear_over_time_steps_rejects_mismatched_gradients():
    layer = layers.Linear(4, 3, rng=0)
    layer.forward(np.ones((2, 5, 4)))
    with pytest.raises(ValueError, match=r"Linear.backward: expected shape \(2, 5\) \+ \(3,\)"):
        layer.backward(np.ones((2, 4, 3)))
    layer.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"Linear.backward: expected shape \(N, T, ...\)"):
        layer.backward(np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=r"Linear.forward: expected shape \(2, 5\) \+ \(4,\)"):
        layer.forward(np.ones((2, 5, 3)))


def test_sequence_cross_entropy_is_the_flat_one_and_its_gradient_checks():
    logits, labels = RNG.normal(size=(3, 4, 5)) * 3, RNG.integers(0, 5, size=(3, 4))
    loss, dlogits = softmax_cross_entropy(logits, labels)
    flat_loss, flat_grad = softmax_cross_entropy(logits.reshape(12, 5), labels.reshape(12))
    assert loss == pytest.approx(flat_loss, rel=1e-15)
    np.testing.assert_allclose(dlogits, flat_grad.reshape(3, 4, 5), rtol=1e-15)
    assert_gradient(dlogits, lambda: softmax_cross_entropy(logits, labels)[0], logits, "logits")
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: logits must be \(N, K\).*\(3, 4, 5\) and \(3,\)"):
        softmax_cross_entropy(logits, labels[:, 0])
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: labels must be integers in 0..4; .*range 0..5"):
        softmax_cross_entropy(logits, np.where(labels == labels.max(), 5, labels))


def test_char_model_gradient_end_to_end():
    """Sequential(RNN, Tanh, Linear) + cross-entropy over every time step: the whole chain."""
    model = Sequential(randomised(layers.RNN(3, 4, rng=0)), layers.Tanh(), layers.Linear(4, 3, rng=1))
    x, labels = RNG.normal(size=(2, 6, 3)), RNG.integers(0, 3, size=(2, 6))
    loss = lambda: softmax_cross_entropy(model.forward(x), labels)[0]  # noqa: E731
    _, dlogits = softmax_cross_entropy(model.forward(x), labels)
    dx = model.backward(dlogits)
    assert_gradient(dx, loss, x, "x")
    for params, grads in model.parameters():
        for name in params:
            assert_gradient(grads[name].copy(), loss, params[name], name)


# --- clip_grad_norm ------------------------------------------------------------------------

def test_clip_grad_norm_scales_in_place_and_returns_the_norm_before():
    grads = [np.array([[3.0, 0.0]]), np.array([0.0, 4.0, 0.0]), np.array([12.0])]  # norm 13
    originals = [g.copy() for g in grads]
    ids = [id(g) for g in grads]
    assert optim.clip_grad_norm(grads, 6.5) == pytest.approx(13.0, rel=1e-15)
    assert [id(g) for g in grads] == ids
    for g, before in zip(grads, originals):
        np.testing.assert_allclose(g, before / 2, rtol=1e-15)
    assert np.sqrt(sum(np.sum(g ** 2) for g in grads)) == pytest.approx(6.5, rel=1e-14)


def test_clip_grad_norm_leaves_small_gradients_alone():
    grads = [RNG.normal(size=(3, 2)), RNG.normal(size=4)]
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    before = [g.copy() for g in grads]
    assert optim.clip_grad_norm(grads, norm * 1.01) == pytest.approx(norm, rel=1e-14)
    assert optim.clip_grad_norm(grads, norm) == pytest.approx(norm, rel=1e-14)  # at the limit
    for g, b in zip(grads, before):
        np.testing.assert_array_equal(g, b)


def test_clip_grad_norm_of_zero_gradients_is_zero_without_warnings():
    grads = [np.zeros((2, 2)), np.zeros(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert optim.clip_grad_norm(grads, 1.0) == 0.0
        assert optim.clip_grad_norm([], 1.0) == 0.0
    assert all(np.all(g == 0) for g in grads)


@pytest.mark.parametrize("grads, max_norm, error, match", [
    (np.ones(3), 1.0, TypeError, "grads must be a list of float arrays"),
    ([[1.0, 2.0]], 1.0, TypeError, r"got \['list'\]"),
    ([np.ones(3, dtype=np.int64)], 1.0, TypeError, r"got \['int64'\]"),
    ([np.ones(3)], 0.0, ValueError, "max_norm must be a finite number > 0; got 0.0"),
    ([np.ones(3)], np.inf, ValueError, "max_norm must be a finite number > 0"),
])
def test_clip_grad_norm_rejects_bad_input(grads, max_norm, error, match):
    with pytest.raises(error, match=match):
        optim.clip_grad_norm(grads, max_norm)


# --- text helpers --------------------------------------------------------------------------

def test_char_vocab_round_trip_and_one_hot():
    vocab = text.CharVocab("hello, world")
    assert vocab.chars == tuple(sorted(set("hello, world"))) and len(vocab) == 9
    ids = vocab.encode("low")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "low"
    one_hot = vocab.one_hot(ids[None])
    assert one_hot.shape == (1, 3, 9) and one_hot.dtype == np.float64
    np.testing.assert_array_equal(one_hot.argmax(axis=-1), ids[None])
    assert one_hot.sum() == 3
    with pytest.raises(ValueError, match=r"not in the vocabulary: \['a', 'y', 'z'\]"):
        vocab.encode("lazy")
    with pytest.raises(ValueError, match=r"ids must be integers in 0..8"):
        vocab.decode([9])


def test_char_batches_predict_the_next_character_and_cover_the_text():
    ids = np.arange(103)
    batches = list(text.char_batches(ids, batch_size=4, seq_len=10, rng=0))
    assert [X.shape for X, _ in batches] == [(4, 10), (4, 10), (2, 10)]
    starts = sorted(int(X[k, 0]) for X, _ in batches for k in range(len(X)))
    assert starts == list(range(0, 100, 10))
    for X, Y in batches:
        np.testing.assert_array_equal(Y, X + 1)
    again = list(text.char_batches(ids, 4, 10, rng=0))
    np.testing.assert_array_equal(again[0][0], batches[0][0])
    with pytest.raises(ValueError, match="L >= seq_len \\+ 1"):
        next(text.char_batches(ids[:5], 2, 10))


def test_sample_is_seeded_and_greedy_at_low_temperature():
    vocab = text.CharVocab("abc")
    rnn, head = layers.RNN(3, 4, rng=0), layers.Linear(4, 3, rng=1)
    first = text.sample(rnn, head, vocab, "ab", 20, rng=3)
    assert len(first) == 20 and set(first) <= set("abc")
    assert text.sample(rnn, head, vocab, "ab", 20, rng=3) == first
    head.params["b"][...] = [0.0, 5.0, 0.0]  # "b" is by far the most likely next character
    assert text.sample(rnn, head, vocab, "a", 30, temperature=0.01, rng=0) == "b" * 30
    with pytest.raises(ValueError, match="temperature > 0"):
        text.sample(rnn, head, vocab, "a", 3, temperature=0.0)


def test_a_char_rnn_learns_from_the_austen_excerpt():
    """A few clipped SGD steps on real text lower the loss: the pieces work together. (The
    recurrent layer trains too: its backward fills the grads dict the optimiser holds; with
    lr 1.0 the loss here once fell only because the head alone was training.)"""
    corpus = data.austen_split()["train"][:3000]
    vocab = text.CharVocab(corpus)
    rnn, head = layers.RNN(len(vocab), 32, rng=0), layers.Linear(32, len(vocab), rng=1)
    model = Sequential(rnn, head)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    W_hh = rnn.params["W_hh"].copy()
    X, Y = next(text.char_batches(vocab.encode(corpus), 16, 25, rng=0))
    losses = []
    for _ in range(40):
        loss, dlogits = softmax_cross_entropy(model.forward(vocab.one_hot(X)), Y)
        model.backward(dlogits)
        optim.clip_grad_norm([g for _, gs in model.parameters() for g in gs.values()], 5.0)
        opt.step()
        losses.append(loss)
    assert losses[0] == pytest.approx(np.log(len(vocab)), rel=0.1)
    assert losses[-1] < 0.7 * losses[0], losses
    assert np.abs(rnn.params["W_hh"] - W_hh).max() > 0.01
