r"""Layers with a forward and a backward pass (chapter 4; Dropout, chapter 5).

Protocol: ``forward(x)`` returns the output and caches what ``backward`` needs;
``backward(dout)`` takes :math:`\partial L/\partial \text{out}` and returns
:math:`\partial L/\partial x` (same shape as ``x``), and fills ``grads`` with one entry
per entry of ``params`` (same keys and shapes). ``training`` is True by default.
"""
import numpy as np

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
        # YOUR CODE HERE
        raise NotImplementedError('Linear.forward is yours to write: complete it in nnlib/layers.py (chapter 4, ch04_backprop)')

    def backward(self, dout):
        # YOUR CODE HERE
        raise NotImplementedError('Linear.backward is yours to write: complete it in nnlib/layers.py (chapter 4, ch04_backprop)')


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
