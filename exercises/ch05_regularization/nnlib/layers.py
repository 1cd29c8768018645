r"""Layers with a forward and a backward pass (chapter 4; Dropout, chapter 5; Conv2d,
MaxPool2d, AvgPool2d and Flatten on images ``(N, C, H, W)``, chapter 6).

Protocol: ``forward(x)`` returns the output and caches what ``backward`` needs;
``backward(dout)`` takes :math:`\partial L/\partial \text{out}` and returns
:math:`\partial L/\partial x` (same shape as ``x``), and fills ``grads`` with one entry
per entry of ``params`` (same keys and shapes). ``training`` is True by default.
"""
import numpy as np

from . import conv as _conv
from . import init as _init
from .activations import relu, sigmoid, tanh


class Layer:
    """Base class: no parameters, training mode on."""

    def __init__(self):
        self.params, self.grads, self.training = {}, {}, True

    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)


class Linear(Layer):
    r"""Fully connected layer :math:`Y = X W^\top + \mathbf b`.

    Parameters
    ----------
    in_features : int
    out_features : int
    rng : numpy.random.Generator, int or None
        Draws the initial weights; the bias starts at 0.
    init : {"lecun", "xavier", "he"} or callable
        The initialiser of :mod:`nnlib.init` (default LeCun,
        :math:`W_{jk} \sim \mathcal N(0, 1/\text{in})`), or any ``init(shape, rng)``
        returning an array of ``shape`` = ``(out, in)``; it receives a Generator.

    Attributes
    ----------
    params : {"W": (out, in), "b": (out,)}
        :math:`W_{jk}` is the weight to output neuron :math:`j` from input :math:`k`.

    Shape
    -----
    x : (N, in) -> y : (N, out)

    Notes
    -----
    Forward: :math:`Y = X W^\top + \mathbf 1 \mathbf b^\top`. Backward, with
    :math:`G = \partial L/\partial Y`:

    .. math::
        \frac{\partial L}{\partial W} = G^\top X, \qquad
        \frac{\partial L}{\partial \mathbf b} = \sum_n G_{n,:}, \qquad
        \frac{\partial L}{\partial X} = G W.
    """

    def __init__(self, in_features, out_features, rng=None, init="lecun"):
        super().__init__()
        W = np.asarray(_init.get(init)((out_features, in_features), np.random.default_rng(rng)),
                       dtype=np.float64)
        if W.shape != (out_features, in_features):
            raise ValueError(f"Linear: init returned shape {W.shape}; expected "
                             f"{(out_features, in_features)}")
        self.params["W"] = W
        self.params["b"] = np.zeros(out_features)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x = None

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        # Given: the course's solution of chapter 4 (ch04_backprop). To use your own, copy this file from your previous exercise folder (see README.md).
        self._x = x
        return x @ self.params["W"].T + self.params["b"]

    def backward(self, dout):
        # Given: the course's solution of chapter 4 (ch04_backprop). To use your own, copy this file from your previous exercise folder (see README.md).
        self.grads["W"] = dout.T @ self._x
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"]


class _Elementwise(Layer):
    """A parameter-free layer y = f(x) whose derivative is written in terms of y."""

    def forward(self, x):
        self._y = self._f(np.asarray(x, dtype=np.float64))
        return self._y

    def backward(self, dout):
        return dout * self._derivative(self._y)


class Sigmoid(_Elementwise):
    r"""Elementwise :math:`\sigma(x)`; backward multiplies by :math:`\sigma(1 - \sigma)`."""

    _f = staticmethod(sigmoid)

    @staticmethod
    def _derivative(y):
        return y * (1.0 - y)


class Tanh(_Elementwise):
    r"""Elementwise :math:`\tanh x`; backward multiplies by :math:`1 - \tanh^2 x`."""

    _f = staticmethod(tanh)

    @staticmethod
    def _derivative(y):
        return 1.0 - y ** 2


class ReLU(_Elementwise):
    r"""Elementwise :math:`\max(0, x)`; backward passes the gradient where :math:`x > 0`."""

    _f = staticmethod(relu)

    @staticmethod
    def _derivative(y):
        return (y > 0).astype(np.float64)


class Dropout(Layer):
    r"""Inverted dropout: in training, zero each unit with probability ``p`` and scale the
    kept ones by :math:`1/(1-p)`; in evaluation, the identity.

    Parameters
    ----------
    p : float
        Probability of *dropping* a unit, :math:`0 \le p < 1` (0: the identity).
    rng : numpy.random.Generator, int or None
        Draws the masks.

    Shape
    -----
    x : any shape -> y : same shape

    Notes
    -----
    In training, a new mask :math:`m` is drawn at every forward call, one entry per entry
    of :math:`x` (units are dropped, not weights): :math:`m_i = 1` with probability
    :math:`1-p` (``rng.random(x.shape) >= p``), else 0. Then

    .. math::
        y = \frac{m \odot x}{1-p}, \qquad
        \mathbb E[y_i] = \frac{(1-p)\,x_i}{1-p} = x_i.

    Backward returns :math:`\partial L/\partial x` from :math:`G = \partial L/\partial y`,
    differentiating :math:`y` with the mask of the last forward call held fixed (chapter
    5's exercise asks students to derive it, so it is not written out here). Because the
    expectation is already right, evaluation (``training`` False, set by
    ``Sequential.eval()``) needs no rescaling: :math:`y = x`.
    """

    def __init__(self, p, rng=None):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) \
                or not 0 <= p < 1:
            raise ValueError(f"Dropout: p is the probability of dropping a unit and must "
                             f"satisfy 0 <= p < 1; got {p!r}")
        self.p, self.rng, self._mask = float(p), np.random.default_rng(rng), None

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        # YOUR CODE HERE
        raise NotImplementedError('Dropout.forward is yours to write: complete it in nnlib/layers.py (chapter 5, ch05_regularization)')

    def backward(self, dout):
        # YOUR CODE HERE
        raise NotImplementedError('Dropout.backward is yours to write: complete it in nnlib/layers.py (chapter 5, ch05_regularization)')


class Conv2d(Layer):
    r"""2-D convolution layer (a cross-correlation, as in every framework) computed with
    :func:`nnlib.conv.im2col` and one matrix product.

    Parameters
    ----------
    in_channels : int
        :math:`C`, channels of the input images.
    out_channels : int
        :math:`F`, number of filters (channels of the output).
    kernel_size : int or (int, int)
        :math:`(k_h, k_w)`; an int means a square kernel.
    stride : int
        :math:`S \ge 1`, the same along both axes.
    padding : int
        :math:`P \ge 0` zeros on every side.
    rng : numpy.random.Generator, int or None
        Draws the initial weights; the bias starts at 0.
    init : {"he", "lecun", "xavier"} or callable
        Default He, :math:`w \sim \mathcal N(0, 2/(C k_h k_w))`: the fan-in of one output
        is :math:`C k_h k_w`, and convolutions are usually followed by a ReLU (see
        :func:`nnlib.init.he`).

    Attributes
    ----------
    params : {"W": (F, C, kh, kw), "b": (F,)}

    Shape
    -----
    x : (N, C, H, W) -> y : (N, F, H_out, W_out), with
    :math:`H_\text{out} = (H + 2P - k_h)/S + 1` and :math:`W_\text{out} = (W + 2P - k_w)/S + 1`.
    A ``ValueError`` names the sizes when :math:`H + 2P - k_h` or :math:`W + 2P - k_w`
    is not a multiple of :math:`S` (no silent rounding down; see :mod:`nnlib.conv`).

    Notes
    -----
    Forward, with :math:`\tilde x` the padded input:
    :math:`y_{n,f,i,j} = b_f + \sum_{c,p,q} W_{f,c,p,q}\, \tilde x_{n,c,iS+p,jS+q}`.
    In matrix form, with :math:`X_\text{col}` = ``im2col(x)`` (one row per window) and
    :math:`W_\text{mat}` = ``W.reshape(F, -1)``: :math:`Y_\text{col} = X_\text{col}
    W_\text{mat}^\top + \mathbf 1 \mathbf b^\top`, a ``Linear`` layer shared by every window.

    Backward: :math:`\partial L/\partial W`, :math:`\partial L/\partial b` and
    :math:`\partial L/\partial x` from :math:`G = \partial L/\partial y` are the
    exercise of chapter 6, which you derive and check with
    :func:`nnlib.gradcheck.numerical_gradient`; ``col2im``, the adjoint of ``im2col``,
    adds the rows of a window matrix back onto their windows.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, rng=None,
                 init="he"):
        super().__init__()
        where = "Conv2d"
        self.in_channels = _conv._count(in_channels, "in_channels", where, 1)
        self.out_channels = _conv._count(out_channels, "out_channels", where, 1)
        self.kernel_size = _conv.pair(kernel_size, where=where)
        self.stride = _conv._count(stride, "stride", where, 1)
        self.padding = _conv._count(padding, "padding", where, 0)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        W = np.asarray(_init.get(init)(shape, np.random.default_rng(rng)), dtype=np.float64)
        if W.shape != shape:
            raise ValueError(f"Conv2d: init returned shape {W.shape}; expected {shape}")
        self.params = {"W": W, "b": np.zeros(self.out_channels)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._cols = self._x_shape = self._out_shape = None

    def forward(self, x):
        x = _conv.as_images(x, self.in_channels, "Conv2d.forward")
        self._x_shape = x.shape
        self._out_shape = _conv.output_shape(x.shape, self.kernel_size, self.stride, self.padding,
                                             "Conv2d.forward", self.out_channels)
        N, F, h_out, w_out = self._out_shape
        # YOUR CODE HERE
        raise NotImplementedError('Conv2d.forward is yours to write: complete it in nnlib/layers.py (chapter 6, ch06_cnn)')

    def backward(self, dout):
        if self._out_shape is None:
            raise RuntimeError("Conv2d.backward: call forward first")
        dout = _conv.check_gradient(dout, self._out_shape, "Conv2d.backward")
        F = self.out_channels
        # YOUR CODE HERE
        raise NotImplementedError('Conv2d.backward is yours to write: complete it in nnlib/layers.py (chapter 6, ch06_cnn)')


class _Pool2d(Layer):
    """Shared set-up of the pooling layers: windows of ``kernel_size`` every ``stride``
    pixels on each channel separately, no padding, no parameters."""

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.kernel_size, self.stride = _conv.pool_window(kernel_size, stride, type(self).__name__)
        self._x_shape = self._out_shape = None

    def _windows(self, x):
        """Validate ``x``; return its windows, one row per (image, channel, position)."""
        where = f"{type(self).__name__}.forward"
        x = _conv.as_images(x, None, where)
        self._x_shape = x.shape
        self._out_shape = _conv.output_shape(x.shape, self.kernel_size, self.stride, 0, where)
        N, C, H, W = x.shape
        return _conv.im2col(x.reshape(N * C, 1, H, W), self.kernel_size, self.stride)

    def _checked(self, dout):
        where = f"{type(self).__name__}.backward"
        if self._out_shape is None:
            raise RuntimeError(f"{where}: call forward first")
        return _conv.check_gradient(dout, self._out_shape, where)

    def _to_images(self, dcols):
        """col2im of per-window gradients ``dcols``, back to the input's shape."""
        N, C, H, W = self._x_shape
        dx = _conv.col2im(dcols, (N * C, 1, H, W), self.kernel_size, self.stride)
        return dx.reshape(self._x_shape)


class MaxPool2d(_Pool2d):
    r"""Max pooling: the largest value of each window, channel by channel.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window :math:`(k_h, k_w)`.
    stride : int or None
        Step between windows; None means ``kernel_size`` (windows that tile the image).

    Shape
    -----
    x : (N, C, H, W) -> y : (N, C, H_out, W_out), :math:`H_\text{out} = (H - k_h)/S + 1`
    (a ``ValueError`` if :math:`S` does not divide :math:`H - k_h`, likewise for widths).

    Notes
    -----
    :math:`y_{n,c,i,j} = \max_{p,q} x_{n,c,iS+p,jS+q}`. The backward pass sends each
    output's upstream gradient to the input that was the window's maximum and nothing to
    the others. Tie rule: if several inputs of a window share the maximum, the first in
    row-major order (smallest row, then smallest column) gets all of it. With overlapping
    windows an input sums the gradients of every window it wins.
    """

    def forward(self, x):
        windows = self._windows(x)
        # YOUR CODE HERE
        raise NotImplementedError('MaxPool2d.forward is yours to write: complete it in nnlib/layers.py (chapter 6, ch06_cnn)')

    def backward(self, dout):
        dout = self._checked(dout)
        # YOUR CODE HERE
        raise NotImplementedError('MaxPool2d.backward is yours to write: complete it in nnlib/layers.py (chapter 6, ch06_cnn)')


class AvgPool2d(_Pool2d):
    r"""Average pooling: the mean of each window, channel by channel.

    Same arguments and shapes as :class:`MaxPool2d`.

    Notes
    -----
    :math:`y_{n,c,i,j} = \frac{1}{k_h k_w} \sum_{p,q} x_{n,c,iS+p,jS+q}`, so
    :math:`\partial y_{n,c,i,j}/\partial x_{n,c,iS+p,jS+q} = 1/(k_h k_w)`: unlike max
    pooling, every input of a window receives an equal share of its gradient.
    """

    def forward(self, x):
        return self._windows(x).mean(axis=1).reshape(self._out_shape)

    def backward(self, dout):
        dout = self._checked(dout)
        share = dout.reshape(-1, 1) / (self.kernel_size[0] * self.kernel_size[1])
        return self._to_images(np.repeat(share, self.kernel_size[0] * self.kernel_size[1], axis=1))


class Flatten(Layer):
    r"""Reshape each example to a vector: ``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``, in
    C order (for images: channel by channel, each row by row). Backward reshapes the
    gradient back to the input's shape."""

    def __init__(self):
        super().__init__()
        self._x_shape = None

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 1:
            raise ValueError(f"Flatten.forward: x needs a batch axis (N, ...); got shape {x.shape}")
        self._x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        if self._x_shape is None:
            raise RuntimeError("Flatten.backward: call forward first")
        dout = np.asarray(dout, dtype=np.float64)
        expected = (self._x_shape[0], int(np.prod(self._x_shape[1:])))
        if dout.shape != expected:
            raise ValueError(f"Flatten.backward: dout must have shape {expected}; got {dout.shape}")
        return dout.reshape(self._x_shape)
