"""Chapter 7 cross-checks against PyTorch (CPU, float64), when it is installed: layers.RNN
against ``torch.nn.RNN`` (tanh, ``batch_first``, ``b_hh`` = 0) and layers.LSTM against
``torch.nn.LSTM`` (gates stacked i, f, g, o), forward and every gradient: the input, the
weights, the bias and the initial states. Also the sequence cross-entropy against
``torch.nn.functional.cross_entropy`` and clip_grad_norm against
``torch.nn.utils.clip_grad_norm_``. Skipped otherwise (torch is never a runtime
dependency)."""
import numpy as np
import pytest

from nnlib import layers, optim
from nnlib.losses import softmax_cross_entropy

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(70)
CLOSE = dict(rtol=1e-10, atol=1e-12)


def t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def torch_twin(layer, cls):
    """A torch.nn.RNN / LSTM with ``layer``'s weights, its second bias b_hh held at 0."""
    twin = cls(layer.input_size, layer.hidden_size, batch_first=True, dtype=torch.float64)
    W_in, W_rec, b = layer.params.values()
    with torch.no_grad():
        twin.weight_ih_l0.copy_(t(W_in))
        twin.weight_hh_l0.copy_(t(W_rec))
        twin.bias_ih_l0.copy_(t(b))
        twin.bias_hh_l0.zero_()
    return twin


def randomised(layer):
    for value in layer.params.values():
        value[...] = RNG.normal(size=value.shape) * 0.5
    return layer


def assert_matches_torch(layer, cls, x, states):
    """Forward, final states and every gradient of ``layer`` against its torch twin, from
    the initial ``states`` ((h0,) or (h0, c0)) and a random upstream gradient."""
    twin = torch_twin(layer, cls)
    xt, st = t(x, True), [t(s[None], True) for s in states]
    ref, finals = twin(xt, st[0] if len(st) == 1 else tuple(st))
    hs = layer.forward(x, *states)
    np.testing.assert_allclose(hs, ref.detach().numpy(), **CLOSE)
    for ours, theirs in zip(layer.state, (finals,) if len(st) == 1 else finals):
        np.testing.assert_allclose(ours, theirs[0].detach().numpy(), **CLOSE)
    dhs = RNG.normal(size=hs.shape)
    ref.backward(t(dhs))
    np.testing.assert_allclose(layer.backward(dhs), xt.grad.numpy(), **CLOSE)
    for name, state in zip(layer.state_names, st):
        np.testing.assert_allclose(getattr(layer, "d" + name), state.grad[0].numpy(), **CLOSE)
    W_in, W_rec, b = layer.grads.values()
    np.testing.assert_allclose(W_in, twin.weight_ih_l0.grad.numpy(), **CLOSE)
    np.testing.assert_allclose(W_rec, twin.weight_hh_l0.grad.numpy(), **CLOSE)
    np.testing.assert_allclose(b, twin.bias_ih_l0.grad.numpy(), **CLOSE)


# (N, T, D, H)
SIZES = [(3, 1, 4, 5), (2, 30, 3, 4), (4, 12, 6, 2)]


@pytest.mark.parametrize("N, T, D, H", SIZES)
def test_rnn_matches_torch(N, T, D, H):
    layer = randomised(layers.RNN(D, H, rng=0))
    assert_matches_torch(layer, torch.nn.RNN, RNG.normal(size=(N, T, D)), (RNG.normal(size=(N, H)),))


@pytest.mark.parametrize("N, T, D, H", SIZES)
def test_lstm_matches_torch(N, T, D, H):
    layer = randomised(layers.LSTM(D, H, rng=0))
    states = (RNG.normal(size=(N, H)), RNG.normal(size=(N, H)))
    assert_matches_torch(layer, torch.nn.LSTM, RNG.normal(size=(N, T, D)), states)


def test_sequence_cross_entropy_matches_torch():
    logits, labels = RNG.normal(size=(3, 7, 5)) * 4, RNG.integers(0, 5, size=(3, 7))
    lt = t(logits, True)
    ref = torch.nn.functional.cross_entropy(lt.reshape(-1, 5), torch.tensor(labels.reshape(-1)))
    ref.backward()
    loss, dlogits = softmax_cross_entropy(logits, labels)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(dlogits, lt.grad.numpy(), **CLOSE)


def test_clip_grad_norm_matches_torch():
    grads = [RNG.normal(size=(4, 3)) * 3, RNG.normal(size=5)]
    params = [t(np.zeros_like(g), True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = t(g)
    ref = torch.nn.utils.clip_grad_norm_(params, 2.0)
    assert optim.clip_grad_norm(grads, 2.0) == pytest.approx(ref.item(), rel=1e-12)
    for p, g in zip(params, grads):  # torch divides by (norm + 1e-6): equal to about 1e-7
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-6)
