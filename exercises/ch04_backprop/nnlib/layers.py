r"""Layers with a forward and a backward pass (chapter 4).

Protocol: ``forward(x)`` returns the output and caches what ``backward`` needs;
``backward(dout)`` takes :math:`\partial L/\partial \text{out}` and returns
:math:`\partial L/\partial x` (same shape as ``x``), and fills ``grads`` with one entry
per entry of ``params`` (same keys and shapes). ``training`` is True by default.
"""
import numpy as np

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
    rng : numpy.random.Generator or None
        Draws the initial weights :math:`W_{jk} \sim \mathcal N(0, 1/\text{in})`; the bias
        starts at 0.

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

    def __init__(self, in_features, out_features, rng=None):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.params["W"] = rng.normal(0.0, np.sqrt(1.0 / in_features), (out_features, in_features))
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
