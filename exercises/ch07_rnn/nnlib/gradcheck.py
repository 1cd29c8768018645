r"""Numerical gradients by centred differences, to check backward passes (chapter 4)."""
import numpy as np


def numerical_gradient(f, x, h=1e-5):
    r"""Centred-difference gradient of the scalar function ``f`` at the array ``x``.

    Parameters
    ----------
    f : callable
        Takes no argument and returns a float; it must read ``x`` (which is perturbed in
        place, one entry at a time, and restored).
    x : ndarray of float64
        The point; any shape.
    h : float
        Step size.

    Returns
    -------
    ndarray, shape of ``x``
        :math:`\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}`,
        with error :math:`O(h^2)`.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    # Given: the course's solution of chapter 4 (ch04_backprop). To use your own, copy this file from your previous exercise folder (see README.md).
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b, eps=1e-12):
    r"""Relative error :math:`\lVert a - b\rVert / \max(\lVert a\rVert + \lVert b\rVert, \epsilon)`
    (Euclidean norms over all entries); below about 1e-7 a float64 gradient is almost
    surely right, above 1e-3 it is almost surely wrong."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), eps))


def check_layer(layer, x, rng=None):
    """Compare a layer's backward pass with centred differences, for a random upstream
    gradient ``dout``, on the loss ``sum(forward(x) * dout)``.

    Returns
    -------
    dict
        ``{"x": err, <param name>: err, ...}``: the relative error of each gradient.
    """
    rng = np.random.default_rng(rng)
    x = np.array(x, dtype=np.float64)
    dout = rng.normal(size=layer.forward(x).shape)
    loss = lambda: float(np.sum(layer.forward(x) * dout))  # noqa: E731
    layer.forward(x)
    errors = {"x": relative_error(layer.backward(dout), numerical_gradient(loss, x))}
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    for name, value in layer.params.items():
        errors[name] = relative_error(analytic[name], numerical_gradient(loss, value))
    return errors
