"""Chapter 6 in nnlib: the convolution and pooling kernels (nnlib.conv) and the layers
Conv2d, MaxPool2d, AvgPool2d and Flatten (nnlib.layers).

Every backward pass is checked against float64 centred differences with a random upstream
gradient, at strides above 1 and paddings above 0, several channels and non-square
kernels; the loop kernels and the im2col layers are checked against each other; and the
references for the kernel flip are written out here, independent of nnlib.
"""
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from nnlib import conv, init, layers
from nnlib.gradcheck import check_layer, numerical_gradient, relative_error
from nnlib.losses import softmax_cross_entropy
from nnlib.network import Sequential

RNG = np.random.default_rng(6)

# (N, C, H, W, F, kernel, stride, padding): square and not, strides 1-3, paddings 0-2.
GEOMETRIES = [
    (2, 3, 5, 5, 4, 3, 1, 0),
    (2, 3, 7, 6, 4, (3, 2), 2, 1),
    (3, 2, 7, 8, 3, (2, 3), 3, 2),
    (1, 1, 6, 6, 2, 2, 2, 0),
    (2, 2, 5, 7, 3, (1, 3), 2, 1),
]
IDS = [f"N{g[0]}C{g[1]}_{g[2]}x{g[3]}_F{g[4]}_k{g[5]}_S{g[6]}_P{g[7]}" for g in GEOMETRIES]


def _problem(geometry):
    N, C, H, W, F, kernel, stride, padding = geometry
    kh, kw = conv.pair(kernel)
    return (RNG.normal(size=(N, C, H, W)), RNG.normal(size=(F, C, kh, kw)), RNG.normal(size=F),
            stride, padding)


# --- output size ---------------------------------------------------------------------------

def test_output_size_rule_and_hand_worked_sizes():
    assert conv.output_size(28, 3) == 26
    assert conv.output_size(28, 3, stride=1, padding=1) == 28
    assert conv.output_size(28, 2, stride=2) == 14
    assert conv.output_size(7, 3, stride=2) == 3
    assert conv.output_size(5, 5) == 1
    assert conv.output_size(3, 5, padding=1) == 1


def test_a_stride_that_does_not_divide_raises_naming_the_sizes():
    # (28 + 0 - 3) = 25 is odd: PyTorch would give 12 and skip the last row; nnlib refuses.
    with pytest.raises(ValueError, match=r"28 \+ 2\*0 - 3 = 25 is not a multiple of the stride 2"):
        conv.output_size(28, 3, stride=2)
    with pytest.raises(ValueError, match=r"kernel \(5\) is larger than the padded input.*"
                                         r"\(3 \+ 2\*0 = 3\)"):
        conv.output_size(3, 5)
    layer = layers.Conv2d(1, 2, 3, stride=2, rng=0)
    with pytest.raises(ValueError, match=r"Conv2d\.forward: along the height, H \+ 2P - K = 28"):
        layer.forward(np.zeros((1, 1, 28, 27)))
    with pytest.raises(ValueError, match=r"along the width, W \+ 2P - K = 26 \+ 2\*0 - 3 = 23"):
        layer.forward(np.zeros((1, 1, 27, 26)))
    assert layer.forward(np.zeros((1, 1, 27, 27))).shape == (1, 2, 13, 13)
    with pytest.raises(ValueError, match=r"MaxPool2d\.forward: along the height.*7 \+ 2\*0 - 2 "
                                         r"= 5"):
        layers.MaxPool2d(2).forward(np.zeros((1, 1, 7, 8)))
    with pytest.raises(ValueError, match="not a multiple of the stride 2"):
        conv.conv2d_forward_naive(np.zeros((1, 1, 6, 6)), np.zeros((1, 1, 3, 3)), np.zeros(1), 2)
    with pytest.raises(ValueError, match="not a multiple of the stride 2"):
        conv.im2col(np.zeros((1, 1, 6, 6)), 3, stride=2)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_shapes_of_every_output_and_gradient(geometry):
    x, w, b, stride, padding = _problem(geometry)
    (N, C, H, W), (F, _, kh, kw) = x.shape, w.shape
    expected = (N, F, (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1)
    layer = layers.Conv2d(C, F, (kh, kw), stride, padding, rng=0)
    y = layer.forward(x)
    assert y.shape == expected == conv.conv2d_forward_naive(x, w, b, stride, padding).shape
    assert layer.backward(np.ones(expected)).shape == x.shape
    assert {k: g.shape for k, g in layer.grads.items()} == {"W": (F, C, kh, kw), "b": (F,)}
    cols = conv.im2col(x, (kh, kw), stride, padding)
    assert cols.shape == (N * expected[2] * expected[3], C * kh * kw)


# --- convolution: hand-worked example, loops against im2col, finite differences ------------

def test_conv_hand_worked_example():
    # 3x3 image, 2x2 kernel, stride 1, no padding: y[i, j] = sum of window * kernel + bias.
    x = np.arange(9.0).reshape(1, 1, 3, 3)       # [[0 1 2] [3 4 5] [6 7 8]]
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])  # top-left minus bottom-right
    y = conv.conv2d_forward_naive(x, w, np.array([0.5]))
    np.testing.assert_array_equal(y, [[[[0 - 4 + 0.5, 1 - 5 + 0.5], [3 - 7 + 0.5, 4 - 8 + 0.5]]]])
    layer = layers.Conv2d(1, 1, 2, rng=0)
    layer.params["W"][...], layer.params["b"][...] = w, 0.5
    np.testing.assert_array_equal(layer.forward(x), y)
    # padding 1 adds a ring of zeros: the corner output sees only x[0, 0] (times -1).
    padded = conv.conv2d_forward_naive(x, w, np.zeros(1), padding=1)
    assert padded.shape == (1, 1, 4, 4) and padded[0, 0, 0, 0] == -0.0 and padded[0, 0, 3, 3] == 8.0


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_naive_and_im2col_agree_forward_and_backward(geometry):
    x, w, b, stride, padding = _problem(geometry)
    layer = layers.Conv2d(x.shape[1], w.shape[0], w.shape[2:], stride, padding, rng=0)
    layer.params["W"][...], layer.params["b"][...] = w, b
    y = layer.forward(x)
    np.testing.assert_allclose(y, conv.conv2d_forward_naive(x, w, b, stride, padding),
                               rtol=1e-12, atol=1e-12)
    dout = RNG.normal(size=y.shape)
    dx = layer.backward(dout)
    dx_naive, dw_naive, db_naive = conv.conv2d_backward_naive(dout, x, w, stride, padding)
    np.testing.assert_allclose(dx, dx_naive, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], dw_naive, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], db_naive, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_conv2d_layer_gradients_match_finite_differences(geometry):
    x, w, b, stride, padding = _problem(geometry)
    layer = layers.Conv2d(x.shape[1], w.shape[0], w.shape[2:], stride, padding, rng=1)
    layer.params["b"][...] = b
    errors = check_layer(layer, x, rng=2)
    assert set(errors) == {"x", "W", "b"} and max(errors.values()) < 1e-8, errors


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_naive_conv_backward_matches_finite_differences(geometry):
    x, w, b, stride, padding = _problem(geometry)
    dout = RNG.normal(size=conv.conv2d_forward_naive(x, w, b, stride, padding).shape)

    def loss():
        return float(np.sum(conv.conv2d_forward_naive(x, w, b, stride, padding) * dout))

    dx, dw, db = conv.conv2d_backward_naive(dout, x, w, stride, padding)
    for analytic, point in ((dx, x), (dw, w), (db, b)):
        assert relative_error(analytic, numerical_gradient(loss, point)) < 1e-8


def _true_convolution_valid(image, kernel):
    """2-D convolution by its definition (the kernel index runs backwards), 'valid' part."""
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i, j in np.ndindex(out.shape):
        for p, q in np.ndindex(kernel.shape):
            out[i, j] += kernel[p, q] * image[i + kh - 1 - p, j + kw - 1 - q]
    return out


def test_conv2d_is_a_cross_correlation_and_convolution_uses_the_flipped_kernel():
    image, kernel = RNG.normal(size=(6, 7)), RNG.normal(size=(3, 2))
    true_conv = _true_convolution_valid(image, kernel)
    flipped = kernel[::-1, ::-1][None, None]
    ours = conv.conv2d_forward_naive(image[None, None], flipped, np.zeros(1))[0, 0]
    np.testing.assert_allclose(ours, true_conv, rtol=1e-12)
    unflipped = conv.conv2d_forward_naive(image[None, None], kernel[None, None], np.zeros(1))[0, 0]
    assert not np.allclose(unflipped, true_conv)  # the flip matters for this kernel


def _dx_by_full_convolution(dout, w, stride, padding, x_shape):
    """dL/dx as the Notes of Conv2d state it, computed without nnlib: dilate dout by the
    stride, pad it by k - 1, cross-correlate with the flipped kernel (filters and channels
    exchanged), crop the padding."""
    (N, F, h_out, w_out), (_, _, kh, kw) = dout.shape, w.shape
    dilated = np.zeros((N, F, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1))
    dilated[:, :, ::stride, ::stride] = dout
    framed = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    windows = sliding_window_view(framed, (kh, kw), axis=(2, 3))  # (N, F, Hp, Wp, kh, kw)
    dx_pad = np.einsum("nfuvpq,fcpq->ncuv", windows, w[:, :, ::-1, ::-1])
    H, W = x_shape[2:]
    return dx_pad[:, :, padding:padding + H, padding:padding + W]


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_dx_is_the_full_convolution_of_the_dilated_gradient_with_the_flipped_kernel(geometry):
    x, w, b, stride, padding = _problem(geometry)
    layer = layers.Conv2d(x.shape[1], w.shape[0], w.shape[2:], stride, padding, rng=0)
    layer.params["W"][...] = w
    dout = RNG.normal(size=layer.forward(x).shape)
    expected = _dx_by_full_convolution(dout, w, stride, padding, x.shape)
    np.testing.assert_allclose(layer.backward(dout), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_dw_is_the_cross_correlation_of_the_padded_input_with_the_dilated_gradient(geometry):
    x, w, b, stride, padding = _problem(geometry)
    layer = layers.Conv2d(x.shape[1], w.shape[0], w.shape[2:], stride, padding, rng=0)
    dout = RNG.normal(size=layer.forward(x).shape)
    layer.backward(dout)
    (N, F, h_out, w_out), (kh, kw) = dout.shape, w.shape[2:]
    dilated = np.zeros((N, F, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1))
    dilated[:, :, ::stride, ::stride] = dout
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dh, dw_ = dilated.shape[2:]
    expected = np.zeros_like(w)
    for p, q in np.ndindex(kh, kw):  # offset (p, q) of the kernel-sized gradient
        expected[:, :, p, q] = np.einsum("nfuv,ncuv->fc", dilated, x_pad[:, :, p:p + dh, q:q + dw_])
    np.testing.assert_allclose(layer.grads["W"], expected, rtol=1e-12, atol=1e-12)


def test_dw_sums_over_positions_and_the_batch_and_db_is_a_sum():
    # A 1x1 kernel on two images: dW = sum over n, i, j of dout * x, db = sum of dout.
    x, dout = RNG.normal(size=(2, 1, 3, 3)), RNG.normal(size=(2, 1, 3, 3))
    layer = layers.Conv2d(1, 1, 1, rng=0)
    layer.forward(x)
    layer.backward(dout)
    assert layer.grads["W"][0, 0, 0, 0] == pytest.approx(np.sum(dout * x), rel=1e-12)
    assert layer.grads["b"][0] == pytest.approx(np.sum(dout), rel=1e-12)


# --- im2col / col2im -----------------------------------------------------------------------

def test_im2col_hand_worked():
    x = np.arange(9).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(conv.im2col(x, 2),
                                  [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]])
    assert conv.im2col(x, 2).dtype == x.dtype
    # two channels: each row is channel 0's window, then channel 1's (the order of w.reshape(F, -1))
    two = np.stack([x[0, 0], 10 * x[0, 0]])[None]
    np.testing.assert_array_equal(conv.im2col(two, 3, padding=0), [[*range(9), *range(0, 90, 10)]])
    padded = conv.im2col(x, 3, stride=2, padding=1)
    np.testing.assert_array_equal(padded[0], [0, 0, 0, 0, 0, 1, 0, 3, 4])


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_col2im_is_the_adjoint_of_im2col(geometry):
    x, w, _, stride, padding = _problem(geometry)
    kernel = w.shape[2:]
    cols = conv.im2col(x, kernel, stride, padding)
    c = RNG.normal(size=cols.shape)
    back = conv.col2im(c, x.shape, kernel, stride, padding)
    assert back.shape == x.shape
    assert np.sum(cols * c) == pytest.approx(np.sum(x * back), rel=1e-12)  # <Ax, c> = <x, A^T c>


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=IDS)
def test_col2im_of_im2col_multiplies_each_pixel_by_its_window_count(geometry):
    x, w, _, stride, padding = _problem(geometry)
    kernel = w.shape[2:]

    def round_trip(images):
        cols = conv.im2col(images, kernel, stride, padding)
        return conv.col2im(cols, x.shape, kernel, stride, padding)

    counts = round_trip(np.ones_like(x))
    np.testing.assert_allclose(round_trip(x), counts * x, rtol=1e-12)
    assert counts.max() <= np.prod(kernel)


def test_col2im_inverts_im2col_when_the_windows_tile_the_image():
    x = RNG.normal(size=(2, 3, 6, 8))
    np.testing.assert_array_equal(conv.col2im(conv.im2col(x, 2, stride=2), x.shape, 2, stride=2), x)
    counts = conv.col2im(conv.im2col(np.ones((1, 1, 4, 4)), 3), (1, 1, 4, 4), 3)
    np.testing.assert_array_equal(counts[0, 0],
                                  [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_col2im_checks_the_shape_of_cols():
    with pytest.raises(ValueError, match=r"col2im: cols must have shape \(4, 4\) for images "
                                         r"\(1, 1, 3, 3\)"):
        conv.col2im(np.zeros((4, 3)), (1, 1, 3, 3), 2)


# --- pooling -------------------------------------------------------------------------------

def test_maxpool_hand_worked_forward_and_tie_rule():
    x = np.array([[[[1.0, 3.0, 2.0, 2.0],
                    [3.0, 0.0, 2.0, 2.0],
                    [5.0, 4.0, -1.0, -2.0],
                    [4.0, 5.0, -3.0, -1.0]]]])
    expected = [[[[3.0, 2.0], [5.0, -1.0]]]]
    layer = layers.MaxPool2d(2)
    np.testing.assert_array_equal(layer.forward(x), expected)
    np.testing.assert_array_equal(conv.maxpool2d_forward_naive(x, 2), expected)
    dout = np.array([[[[10.0, 20.0], [30.0, 40.0]]]])
    # Ties: the first maximum in row-major order gets all of the window's gradient:
    # 3 at (0, 1) before (1, 0); 2 at (0, 2) of four; 5 at (2, 0) before (3, 1).
    routed = [[[[0, 10, 20, 0], [0, 0, 0, 0], [30, 0, 40, 0], [0, 0, 0, 0]]]]
    np.testing.assert_array_equal(layer.backward(dout), routed)
    np.testing.assert_array_equal(conv.maxpool2d_backward_naive(dout, x, 2), routed)


def test_maxpool_overlapping_windows_sum_the_gradients_an_input_wins():
    x = np.array([[[[0.0, 1.0, 0.0], [0.0, 9.0, 0.0], [0.0, 1.0, 0.0]]]])
    dout = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = np.zeros_like(x)
    expected[0, 0, 1, 1] = 10.0  # the centre is the maximum of all four 2x2 windows
    layer = layers.MaxPool2d(2, stride=1)
    assert layer.forward(x).shape == (1, 1, 2, 2)
    np.testing.assert_array_equal(layer.backward(dout), expected)
    np.testing.assert_array_equal(conv.maxpool2d_backward_naive(dout, x, 2, stride=1), expected)


POOLS = [((2, 3, 8, 6), 2, None), ((2, 2, 7, 7), 3, 2), ((1, 3, 6, 9), (2, 3), 2),
         ((3, 1, 5, 5), 2, 1)]


@pytest.mark.parametrize("shape, kernel, stride", POOLS)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_layers_match_loops_and_finite_differences(shape, kernel, stride, kind):
    x = RNG.normal(size=shape)  # continuous values: no ties, so max pooling is differentiable here
    layer = (layers.MaxPool2d if kind == "max" else layers.AvgPool2d)(kernel, stride)
    forward_naive, backward_naive = (
        (conv.maxpool2d_forward_naive, conv.maxpool2d_backward_naive) if kind == "max"
        else (conv.avgpool2d_forward_naive, conv.avgpool2d_backward_naive))
    y = layer.forward(x)
    np.testing.assert_allclose(y, forward_naive(x, kernel, stride), rtol=1e-12)
    dout = RNG.normal(size=y.shape)
    dx_naive = backward_naive(dout, x, kernel, stride)
    np.testing.assert_allclose(layer.backward(dout), dx_naive, rtol=1e-12, atol=1e-15)
    assert layer.params == {} and check_layer(layer, x, rng=3)["x"] < 1e-8
    loss = lambda: float(np.sum(forward_naive(x, kernel, stride) * dout))  # noqa: E731
    assert relative_error(dx_naive, numerical_gradient(loss, x)) < 1e-8


def test_avgpool_gradient_is_shared_equally():
    x = RNG.normal(size=(1, 1, 4, 4))
    layer = layers.AvgPool2d(2)
    np.testing.assert_allclose(layer.forward(x)[0, 0, 0, 0], x[0, 0, :2, :2].mean(), rtol=1e-15)
    dx = layer.backward(np.array([[[[4.0, 8.0], [-4.0, 0.0]]]]))
    np.testing.assert_array_equal(dx[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [-1, -1, 0, 0], [-1, -1, 0, 0]])


# --- Flatten and a small CNN ---------------------------------------------------------------

def test_flatten_round_trip_and_order():
    x = RNG.normal(size=(3, 2, 4, 5))
    layer = layers.Flatten()
    y = layer.forward(x)
    assert y.shape == (3, 40) and layer.params == {}
    np.testing.assert_array_equal(y[1, 20:25], x[1, 1, 0])  # channel by channel, row by row
    np.testing.assert_array_equal(layer.backward(y), x)
    assert check_layer(layer, x, rng=0)["x"] < 1e-9
    with pytest.raises(ValueError, match=r"Flatten\.backward: dout must have shape \(3, 40\); "
                                         r"got \(3, 39\)"):
        layer.backward(np.zeros((3, 39)))


def test_small_cnn_gradients_match_finite_differences_end_to_end():
    model = Sequential(layers.Conv2d(2, 3, 3, stride=1, padding=1, rng=0), layers.ReLU(),
                       layers.MaxPool2d(2), layers.Conv2d(3, 2, (2, 4), stride=2, padding=1, rng=1),
                       layers.Tanh(), layers.Flatten(), layers.Linear(2 * 3 * 2, 4, rng=2))
    x, labels = RNG.normal(size=(3, 2, 8, 8)), np.array([0, 3, 1])
    loss = lambda: softmax_cross_entropy(model.forward(x), labels)[0]  # noqa: E731
    dx = model.backward(softmax_cross_entropy(model.forward(x), labels)[1])
    assert relative_error(dx, numerical_gradient(loss, x)) < 1e-7
    for params, grads in model.parameters():
        analytic = {k: g.copy() for k, g in grads.items()}
        for key, value in params.items():
            assert relative_error(analytic[key], numerical_gradient(loss, value)) < 1e-7, key


# --- initialisation and validation ---------------------------------------------------------

def test_conv2d_initialisation_is_he_by_fan_in():
    layer = layers.Conv2d(3, 4, (3, 2), rng=5)
    np.testing.assert_array_equal(layer.params["W"], init.he((4, 3, 3, 2), rng=5))
    np.testing.assert_array_equal(layer.params["b"], np.zeros(4))
    # fan-in 16 * 3 * 3 = 144; a Gaussian's sample variance has standard error var * sqrt(2 / n)
    for name, var in (("he", 2.0 / 144), ("lecun", 1.0 / 144)):
        W = layers.Conv2d(16, 64, 3, rng=0, init=name).params["W"]
        assert abs(W.var() - var) <= 6 * var * np.sqrt(2.0 / W.size), name
    with pytest.raises(ValueError, match=r"init returned shape \(2, 2\); expected \(4, 3, 3, 3\)"):
        layers.Conv2d(3, 4, 3, init=lambda shape, rng: np.zeros((2, 2)))


BAD_ARGUMENTS = [({"stride": 0}, "stride must be an int >= 1"),
                 ({"padding": -1}, "padding must be an int >= 0"),
                 ({"kernel_size": (3, 0)}, "kernel_size must be an int >= 1"),
                 ({"kernel_size": (1, 2, 3)}, "kernel_size must be an int or a pair"),
                 ({"stride": 1.5}, "stride must be an int"),
                 ({"padding": True}, "padding must be an int"),
                 ({"in_channels": 0}, "in_channels must be an int >= 1")]


@pytest.mark.parametrize("change, match", BAD_ARGUMENTS)
def test_conv2d_arguments_are_validated(change, match):
    with pytest.raises(ValueError, match=match):
        layers.Conv2d(**{"in_channels": 1, "out_channels": 1, "kernel_size": 3, **change})


def test_layer_errors_name_the_problem():
    layer = layers.Conv2d(1, 2, 3, padding=1, rng=0)
    with pytest.raises(ValueError, match=r"Conv2d\.forward: x has 3 channel\(s\) "
                                         r"\(shape \(2, 3, 5, 5\)\); expected 1"):
        layer.forward(np.zeros((2, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"4-D array of images \(N, C, H, W\); got shape \(5, 5\) "
                                         r"\(one grey image"):
        layer.forward(np.zeros((5, 5)))
    with pytest.raises(RuntimeError, match="call forward first"):
        layers.Conv2d(1, 1, 1).backward(np.zeros((1, 1, 1, 1)))
    layer.forward(np.zeros((2, 1, 5, 5)))
    with pytest.raises(ValueError, match=r"Conv2d\.backward: dout must have the shape of the "
                                         r"forward output, \(2, 2, 5, 5\); got \(2, 2, 4, 4\)"):
        layer.backward(np.zeros((2, 2, 4, 4)))
    with pytest.raises(ValueError, match=r"MaxPool2d: stride=None .* square kernel"):
        layers.MaxPool2d((2, 3))
    with pytest.raises(RuntimeError, match=r"AvgPool2d\.backward: call forward first"):
        layers.AvgPool2d(2).backward(np.zeros((1, 1, 1, 1)))


def test_kernel_errors_name_the_problem():
    x = np.zeros((1, 1, 3, 3))
    with pytest.raises(ValueError, match=r"w must be a 4-D array of filters \(F, C, kh, kw\); "
                                         r"got shape \(3, 3\)"):
        conv.conv2d_forward_naive(x, np.zeros((3, 3)), np.zeros(1))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\), one bias per filter; "
                                         r"got \(3,\)"):
        conv.conv2d_forward_naive(x, np.zeros((2, 1, 2, 2)), np.zeros(3))
    with pytest.raises(ValueError, match=r"conv2d_forward_naive: x has 1 channel\(s\).*expected 2"):
        conv.conv2d_forward_naive(x, np.zeros((2, 2, 2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match=r"conv2d_backward_naive: dout must have the shape"):
        conv.conv2d_backward_naive(np.zeros((1, 2, 3, 3)), x, np.zeros((2, 1, 2, 2)))
    with pytest.raises(ValueError, match=r"maxpool2d_backward_naive: dout must have the shape"):
        conv.maxpool2d_backward_naive(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 4, 4)), 2)
