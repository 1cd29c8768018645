r"""Layers with a forward and a backward pass (chapter 4; Dropout, chapter 5; Conv2d,
MaxPool2d, AvgPool2d and Flatten on images ``(N, C, H, W)``, chapter 6; RNN and LSTM on
sequences ``(N, T, D)``, chapter 7).

Protocol: ``forward(x)`` returns the output and caches what ``backward`` needs;
``backward(dout)`` takes :math:`\partial L/\partial \text{out}` and returns
:math:`\partial L/\partial x` (same shape as ``x``), and fills ``grads`` with one entry
per entry of ``params`` (same keys and shapes). ``training`` is True by default.
"""
import numpy as np

from . import conv as _conv
from . import init as _init
from . import recurrent as _recurrent
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
    x : (N, in) -> y : (N, out). A sequence ``(N, T, in)`` (any number of leading axes)
    gives ``(N, T, out)``: the layer is applied at every position, e.g. one output per time
    step of an ``RNN``, and backward sums the parameter gradients over all positions.

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
        self._x = self._lead = None

    def forward(self, x):
        x, self._lead = np.asarray(x, dtype=np.float64), None
        if x.ndim > 2:  # (N, T, in): the same layer at every position
            return self._over_positions(self.forward, x, "forward", self.params["W"].shape[1])
        ### BEGIN SOLUTION
        self._x = x
        return x @ self.params["W"].T + self.params["b"]
        ### END SOLUTION

    def backward(self, dout):
        if np.ndim(dout) > 2:
            dout = np.asarray(dout, dtype=np.float64)
            return self._over_positions(self.backward, dout, "backward", self.params["W"].shape[0])
        ### BEGIN SOLUTION
        self.grads["W"] = dout.T @ self._x
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"]
        ### END SOLUTION

    def _over_positions(self, method, array, name, width):
        """Apply the 2-D ``method`` to ``array`` ``(N, ..., width)`` flattened to
        ``(M, width)``, M the number of leading positions, and give the result its leading
        axes back; W's and b's gradients are thereby summed over every position."""
        lead = array.shape[:-1] if name == "forward" else self._lead
        if array.shape != tuple(lead or ()) + (width,):
            wanted = "(N, T, ...)" if lead is None else lead
            raise ValueError(f"Linear.{name}: expected shape {wanted} + ({width},) (after a "
                             f"forward of that sequence); got {array.shape}")
        out = method(array.reshape(-1, width))
        self._lead = lead
        return out.reshape(lead + out.shape[1:])


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


class Softplus(Layer):
    r"""Elementwise softplus :math:`y = \log(1 + e^{x})`, a smooth ReLU.

    Shape
    -----
    x : any shape -> y : the same shape.

    Notes
    -----
    Forward: :math:`y = \log(1 + e^{x})`, computed as ``np.logaddexp(0, x)`` so that no
    :math:`e^{x}` overflows for large :math:`x` (:math:`y \approx x` there) and no precision
    is lost for very negative :math:`x` (:math:`y \approx e^{x}`); it keeps its input.
    Backward multiplies the upstream gradient by :math:`dy/dx` at the input cached by the
    last forward; deriving that derivative, and computing it without overflow, is chapter
    4's exercise.
    """

    def __init__(self):
        super().__init__()
        self._x = None

    def forward(self, x):
        self._x = np.asarray(x, dtype=np.float64)
        return np.logaddexp(0.0, self._x)  # log(1 + e^x) without forming e^x

    def backward(self, dout):
        ### BEGIN SOLUTION
        return dout * sigmoid(self._x)  # d/dx log(1 + e^x) = e^x / (1 + e^x)
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        self._mask = None
        if self.training:
            keep = self.rng.random(x.shape) >= self.p
            self._mask = keep / (1.0 - self.p)
        return x if self._mask is None else x * self._mask
        ### END SOLUTION

    def backward(self, dout):
        ### BEGIN SOLUTION
        return dout if self._mask is None else dout * self._mask
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        self._cols = _conv.im2col(x, self.kernel_size, self.stride, self.padding)
        y_col = self._cols @ self.params["W"].reshape(F, -1).T + self.params["b"]
        return y_col.reshape(N, h_out, w_out, F).transpose(0, 3, 1, 2)
        ### END SOLUTION

    def backward(self, dout):
        if self._out_shape is None:
            raise RuntimeError("Conv2d.backward: call forward first")
        dout = _conv.check_gradient(dout, self._out_shape, "Conv2d.backward")
        F = self.out_channels
        ### BEGIN SOLUTION
        g_col = dout.transpose(0, 2, 3, 1).reshape(-1, F)
        self.grads["W"] = (g_col.T @ self._cols).reshape(self.params["W"].shape)
        self.grads["b"] = g_col.sum(axis=0)
        dx_col = g_col @ self.params["W"].reshape(F, -1)
        return _conv.col2im(dx_col, self._x_shape, self.kernel_size, self.stride, self.padding)
        ### END SOLUTION


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
        ### BEGIN SOLUTION
        self._argmax = np.argmax(windows, axis=1)
        return np.take_along_axis(windows, self._argmax[:, None], axis=1).reshape(self._out_shape)
        ### END SOLUTION

    def backward(self, dout):
        dout = self._checked(dout)
        ### BEGIN SOLUTION
        routed = np.zeros((dout.size, self.kernel_size[0] * self.kernel_size[1]))
        np.put_along_axis(routed, self._argmax[:, None], dout.reshape(-1, 1), axis=1)
        return self._to_images(routed)
        ### END SOLUTION


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


class _Recurrent(Layer):
    """Shared set-up of the recurrent layers: weights, input and state checks.

    ``state_names`` are the forward's initial-state arguments (``h0``, ``c0``); after a
    forward, ``state`` holds the final states in that order, so ``forward(x_next,
    *layer.state)`` continues a sequence, and after a backward each ``d<name>`` holds the
    gradient of the loss with respect to that initial state.
    """

    state_names = ("h0",)

    def __init__(self, input_size, hidden_size, gates, rng):
        super().__init__()
        where = type(self).__name__
        self.input_size = _conv._count(input_size, "input_size", where, 1)
        self.hidden_size = _conv._count(hidden_size, "hidden_size", where, 1)
        rng, rows = np.random.default_rng(rng), gates * self.hidden_size
        self._weights = (_init.lecun((rows, self.input_size), rng),
                         _init.lecun((rows, self.hidden_size), rng), np.zeros(rows))
        self.state = self._caches = None

    def _sequence(self, x, states):
        """``x`` as float64 ``(N, T, D)`` and the initial states as ``(N, H)`` arrays
        (zeros where None); a ValueError naming the shapes otherwise."""
        where, D, H = f"{type(self).__name__}.forward", self.input_size, self.hidden_size
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 3 or x.shape[2] != D or 0 in x.shape:
            hint = " (one sequence? use x[None])" if x.ndim == 2 else ""
            raise ValueError(f"{where}: x must have shape (N, T, {D}) with N, T >= 1; got "
                             f"shape {x.shape}{hint}")
        N = x.shape[0]
        arrays = [np.zeros((N, H)) if s is None else np.asarray(s, dtype=np.float64)
                  for s in states]
        for name, array in zip(self.state_names, arrays):
            if array.shape != (N, H):
                raise ValueError(f"{where}: {name} must have shape (N, H) = {(N, H)}; "
                                 f"got {array.shape}")
        return x, arrays

    def _upstream(self, dhs):
        """``dhs`` as float64 with the shape of the last forward's output."""
        where = f"{type(self).__name__}.backward"
        if self._caches is None:
            raise RuntimeError(f"{where}: call forward first")
        shape = (self._x_shape[0], self._x_shape[1], self.hidden_size)
        return _conv.check_gradient(dhs, shape, where)


def _time_major(x):
    """``(N, T, D)`` -> a contiguous ``(T, N, D)`` copy, so that every step's ``x_t`` is one
    block of memory (faster matrix products than a strided slice ``x[:, t]``)."""
    return np.ascontiguousarray(x.transpose(1, 0, 2))


class RNN(_Recurrent):
    r"""A tanh recurrent layer over sequences, batch first.

    Parameters
    ----------
    input_size : int
        :math:`D`, features of each time step's input.
    hidden_size : int
        :math:`H`, units of the hidden state.
    rng : numpy.random.Generator, int or None
        Draws the initial weights (LeCun, :math:`\mathcal N(0, 1/\text{fan-in})`, for
        each matrix); the bias starts at 0.

    Attributes
    ----------
    params : {"W_xh": (H, D), "W_hh": (H, H), "b": (H,)}
    state : (ndarray,)
        After ``forward``: ``(h_T,)``, the last hidden state, shape (N, H).
    dh0 : ndarray, shape (N, H)
        After ``backward``: :math:`\partial L/\partial h_0`.

    Shape
    -----
    x : (N, T, D), h0 : (N, H) or None (zeros) -> hs : (N, T, H), ``hs[:, t]`` being
    :math:`h_{t+1}` (time counted from 1; :math:`h_0` is the initial state).

    Notes
    -----
    Forward: :math:`h_t = \tanh(x_t W_{xh}^\top + h_{t-1} W_{hh}^\top + \mathbf b)` for
    :math:`t = 1, \dots, T`, one :func:`nnlib.recurrent.rnn_step_forward` per step, the
    same weights at every step. ``torch.nn.RNN`` computes the same with ``batch_first=True``
    and its second bias ``b_hh`` set to 0.

    Backward (backpropagation through time) returns :math:`\partial L/\partial x` from
    :math:`\partial L/\partial \text{hs}`, sets ``grads`` for the three parameters and
    ``dh0``. Deriving it is chapter 7's exercise.
    """

    def __init__(self, input_size, hidden_size, rng=None):
        super().__init__(input_size, hidden_size, 1, rng)
        self.params = dict(zip(("W_xh", "W_hh", "b"), self._weights))
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.dh0 = None

    def forward(self, x, h0=None):
        x, (h,) = self._sequence(x, (h0,))
        N, T, _ = self._x_shape = x.shape
        p, hs, self._caches = self.params, np.empty((N, T, self.hidden_size)), []
        for t, x_t in enumerate(_time_major(x)):
            h, cache = _recurrent.rnn_step_forward(x_t, h, p["W_xh"], p["W_hh"], p["b"])
            hs[:, t] = h
            self._caches.append(cache)
        self.state = (h,)
        return hs

    def backward(self, dhs):
        dhs = self._upstream(dhs)
        ### BEGIN SOLUTION
        grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        dx, dh = np.empty(self._x_shape), np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            dx[:, t], dh, dW_xh, dW_hh, db = _recurrent.rnn_step_backward(dhs[:, t] + dh,
                                                                          self._caches[t])
            grads["W_xh"] += dW_xh
            grads["W_hh"] += dW_hh
            grads["b"] += db
        self.grads.update(grads)
        self.dh0 = dh
        return dx
        ### END SOLUTION


class LSTM(_Recurrent):
    r"""A long short-term memory layer over sequences, batch first; gates stacked in the
    order i, f, g, o (as in PyTorch).

    Parameters
    ----------
    input_size : int
        :math:`D`.
    hidden_size : int
        :math:`H`.
    rng : numpy.random.Generator, int or None
        Draws the initial weights (LeCun for each matrix). The bias starts at 0 except
        the forget gate's block, which starts at 1, so that at first the cell keeps most
        of its memory.

    Attributes
    ----------
    params : {"W_x": (4H, D), "W_h": (4H, H), "b": (4H,)}
        Rows ``0:H`` input gate, ``H:2H`` forget gate, ``2H:3H`` candidate, ``3H:4H``
        output gate.
    state : (ndarray, ndarray)
        After ``forward``: ``(h_T, c_T)``, each (N, H).
    dh0, dc0 : ndarray, shape (N, H)
        After ``backward``: the gradients with respect to the initial states.

    Shape
    -----
    x : (N, T, D), h0 and c0 : (N, H) or None (zeros) -> hs : (N, T, H).

    Notes
    -----
    Each step is :func:`nnlib.recurrent.lstm_step_forward`:
    :math:`c_t = f \odot c_{t-1} + i \odot g` and :math:`h_t = o \odot \tanh c_t`, the
    gates computed from :math:`x_t` and :math:`h_{t-1}`. Only ``hs`` leaves the layer;
    the cell states are internal. ``torch.nn.LSTM`` with ``batch_first=True`` and
    ``b_hh`` = 0 computes the same. Backward returns :math:`\partial L/\partial x` and
    sets ``grads``, ``dh0`` and ``dc0`` (chapter 7's optional exercise).
    """

    state_names = ("h0", "c0")

    def __init__(self, input_size, hidden_size, rng=None):
        super().__init__(input_size, hidden_size, 4, rng)
        self.params = dict(zip(("W_x", "W_h", "b"), self._weights))
        H = self.hidden_size
        self.params["b"][H:2 * H] = 1.0
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.dh0 = self.dc0 = None

    def forward(self, x, h0=None, c0=None):
        x, (h, c) = self._sequence(x, (h0, c0))
        N, T, _ = self._x_shape = x.shape
        p, hs, self._caches = self.params, np.empty((N, T, self.hidden_size)), []
        for t, x_t in enumerate(_time_major(x)):
            h, c, cache = _recurrent.lstm_step_forward(x_t, h, c, p["W_x"], p["W_h"], p["b"])
            hs[:, t] = h
            self._caches.append(cache)
        self.state = (h, c)
        return hs

    def backward(self, dhs):
        dhs = self._upstream(dhs)
        ### BEGIN SOLUTION
        grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        dx, dh, dc = np.empty(self._x_shape), np.zeros(dhs[:, 0].shape), np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            dx[:, t], dh, dc, dW_x, dW_h, db = _recurrent.lstm_step_backward(
                dhs[:, t] + dh, dc, self._caches[t])
            grads["W_x"] += dW_x
            grads["W_h"] += dW_h
            grads["b"] += db
        self.grads.update(grads)
        self.dh0, self.dc0 = dh, dc
        return dx
        ### END SOLUTION
