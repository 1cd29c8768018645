"""Cross-checks against PyTorch (CPU), when it is installed: forward values, gradients
and one SGD step. Skipped otherwise (torch is never a runtime dependency)."""
import numpy as np
import pytest

from nnlib import activations, layers, losses
from nnlib.network import Sequential
from nnlib.optim import SGD

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(7)


def t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def test_activations_and_losses_match_torch():
    z = RNG.normal(size=(5, 4)) * 4
    np.testing.assert_allclose(activations.sigmoid(z), torch.sigmoid(t(z)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(activations.softmax(z), torch.softmax(t(z), dim=1).numpy(), rtol=1e-12)
    labels = RNG.integers(0, 4, size=5)
    logits = t(z, grad=True)
    ref = torch.nn.functional.cross_entropy(logits, torch.tensor(labels))
    ref.backward()
    loss, grad = losses.softmax_cross_entropy(z, labels)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, logits.grad.numpy(), rtol=1e-10, atol=1e-14)
    p, target = RNG.uniform(0.05, 0.95, size=(5, 3)), RNG.integers(0, 2, size=(5, 3)).astype(float)
    pt = t(p, grad=True)
    ref = torch.nn.functional.binary_cross_entropy(pt, t(target), reduction="sum") / 5
    ref.backward()
    loss, grad = losses.binary_cross_entropy(p, target)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, pt.grad.numpy(), rtol=1e-10)


def test_mlp_forward_gradients_and_sgd_step_match_torch():
    model = Sequential(layers.Linear(6, 5, rng=0), layers.ReLU(), layers.Linear(5, 3, rng=1))
    ref = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3)).double()
    with torch.no_grad():
        for mine, theirs in ((model.layers[0], ref[0]), (model.layers[2], ref[2])):
            theirs.weight.copy_(t(mine.params["W"]))  # both (out, in)
            theirs.bias.copy_(t(mine.params["b"]))
    x, labels = RNG.normal(size=(8, 6)), RNG.integers(0, 3, size=8)
    out = model.forward(x)
    ref_out = ref(t(x))
    np.testing.assert_allclose(out, ref_out.detach().numpy(), rtol=1e-12)
    loss, dout = losses.softmax_cross_entropy(out, labels)
    model.backward(dout)
    torch.nn.functional.cross_entropy(ref_out, torch.tensor(labels)).backward()
    np.testing.assert_allclose(model.layers[0].grads["W"], ref[0].weight.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(model.layers[2].grads["b"], ref[2].bias.grad.numpy(), rtol=1e-10, atol=1e-14)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    opt.step()
    ref_opt.step()
    np.testing.assert_allclose(model.layers[0].params["W"], ref[0].weight.detach().numpy(), rtol=1e-12)
