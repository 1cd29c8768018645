"""Chapter 6 cross-checks against PyTorch (CPU), when it is installed: Conv2d forward and
every gradient against ``torch.nn.functional.conv2d`` with the same weights (strides,
paddings, non-square kernels, several channels), and MaxPool2d / AvgPool2d against
``max_pool2d`` / ``avg_pool2d`` on inputs without ties. Skipped otherwise (torch is never
a runtime dependency)."""
import numpy as np
import pytest

from nnlib import layers

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(60)
F = torch.nn.functional


def t(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


# (N, C, H, W, out_channels, kernel, stride, padding)
CONVS = [(2, 1, 28, 28, 8, 3, 1, 1), (3, 3, 9, 8, 4, (3, 2), 2, 1), (2, 2, 7, 9, 3, (2, 4), 3, 2),
         (4, 8, 6, 6, 16, 1, 1, 0), (1, 2, 5, 5, 2, 5, 1, 2)]


@pytest.mark.parametrize("N, C, H, W, out, kernel, stride, padding", CONVS)
def test_conv2d_forward_and_gradients_match_torch(N, C, H, W, out, kernel, stride, padding):
    layer = layers.Conv2d(C, out, kernel, stride=stride, padding=padding, rng=0)
    layer.params["b"][...] = RNG.normal(size=out)
    x = RNG.normal(size=(N, C, H, W))
    xt, wt, bt = t(x, True), t(layer.params["W"], True), t(layer.params["b"], True)
    ref = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    y = layer.forward(x)
    assert y.shape == tuple(ref.shape)
    np.testing.assert_allclose(y, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    dout = RNG.normal(size=y.shape)
    ref.backward(t(dout))
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], wt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], bt.grad.numpy(), rtol=1e-10, atol=1e-12)


# (shape, kernel, stride): tiling windows, overlapping ones, a non-square window
POOLS = [((2, 3, 8, 8), 2, None), ((2, 2, 7, 7), 3, 2), ((1, 4, 6, 9), (2, 3), 2),
         ((3, 2, 6, 6), 3, 1)]


@pytest.mark.parametrize("shape, kernel, stride", POOLS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_forward_and_gradient_match_torch(shape, kernel, stride, kind):
    x = RNG.normal(size=shape)  # continuous values: no ties, so the argmax is unambiguous
    layer = (layers.MaxPool2d if kind == "max" else layers.AvgPool2d)(kernel, stride)
    xt = t(x, True)
    ref = (F.max_pool2d if kind == "max" else F.avg_pool2d)(xt, kernel, stride)
    y = layer.forward(x)
    np.testing.assert_allclose(y, ref.detach().numpy(), rtol=1e-12, atol=1e-15)
    dout = RNG.normal(size=y.shape)
    ref.backward(t(dout))
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_where_torch_rounds_the_output_size_down_nnlib_refuses():
    x = RNG.normal(size=(1, 1, 7, 7))
    assert F.max_pool2d(t(x), 2).shape[-2:] == (3, 3)  # torch drops row 6 and column 6
    w = RNG.normal(size=(1, 1, 3, 3))
    assert F.conv2d(t(x), t(w), stride=3).shape[-2:] == (2, 2)  # (7 - 3) / 3 rounded down
    with pytest.raises(ValueError, match="not a multiple of the stride 2"):
        layers.MaxPool2d(2).forward(x)
    with pytest.raises(ValueError, match="not a multiple of the stride 3"):
        layers.Conv2d(1, 1, 3, stride=3).forward(x)


def test_flatten_matches_torch_order():
    x = RNG.normal(size=(2, 3, 4, 5))
    np.testing.assert_array_equal(layers.Flatten().forward(x), torch.flatten(t(x), 1).numpy())
