r"""Elementwise activation functions, their derivatives, and the softmax (chapters 2-3).

Every function takes an array ``z`` of any shape and returns an array of the same shape
(``softmax`` normalises along ``axis``). Inputs are converted to float64.
"""
import numpy as np


def sigmoid(z):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, stable for any finite ``z``.

    Parameters
    ----------
    z : array_like
        Weighted inputs, any shape.

    Returns
    -------
    ndarray
        Values in [0, 1], same shape as ``z``; no overflow warning even for
        ``abs(z)`` of 1e4 or more.

    Notes
    -----
    For :math:`z \ge 0` use :math:`1 / (1 + e^{-z})`; for :math:`z < 0` use the equal
    form :math:`e^{z} / (1 + e^{z})`. Either way the exponent is never positive, so
    :math:`e^{(\cdot)}` cannot overflow.
    """
    z = np.asarray(z, dtype=np.float64)
    # Given: the course's solution of chapter 2 (ch02_sigmoid). To use your own, copy this file from your previous exercise folder (see README.md).
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime(z):
    r"""Derivative of the sigmoid, :math:`\sigma'(z) = \sigma(z)\,(1 - \sigma(z))`.

    Parameters
    ----------
    z : array_like
        Weighted inputs, any shape.

    Returns
    -------
    ndarray
        Same shape as ``z``, values in [0, 1/4].
    """
    z = np.asarray(z, dtype=np.float64)
    # Given: the course's solution of chapter 2 (ch02_sigmoid). To use your own, copy this file from your previous exercise folder (see README.md).
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    r"""Hyperbolic tangent :math:`\tanh z = (e^{z} - e^{-z}) / (e^{z} + e^{-z})`."""
    return np.tanh(np.asarray(z, dtype=np.float64))


def tanh_prime(z):
    r"""Derivative of tanh, :math:`1 - \tanh^2 z`."""
    return 1.0 - np.tanh(np.asarray(z, dtype=np.float64)) ** 2


def relu(z):
    r"""Rectified linear unit :math:`\max(0, z)`."""
    return np.maximum(np.asarray(z, dtype=np.float64), 0.0)


def relu_prime(z):
    r"""Derivative of ReLU: 1 where :math:`z > 0`, else 0 (we take 0 at :math:`z = 0`)."""
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)


def linear(z):
    r"""The identity, :math:`f(z) = z` (a linear neuron)."""
    return np.asarray(z, dtype=np.float64).copy()


def linear_prime(z):
    r"""Derivative of the identity: ones."""
    return np.ones_like(np.asarray(z, dtype=np.float64))


def softmax(z, axis=-1):
    r"""Softmax along ``axis``: :math:`\mathrm{softmax}(\mathbf{z})_j = e^{z_j} / \sum_i e^{z_i}`.

    Parameters
    ----------
    z : array_like
        Scores (logits), e.g. shape ``(N, K)`` with one row per example.
    axis : int
        The axis that holds the classes.

    Returns
    -------
    ndarray
        Same shape as ``z``; non-negative, summing to 1 along ``axis``; finite for
        logits as large as 1e4.

    Notes
    -----
    Softmax is unchanged when a constant is added to every score, so we subtract
    :math:`m = \max_i z_i` first: every exponent is then at most 0 and cannot overflow,
    and the largest term is exactly :math:`e^0 = 1`, so the sum is at least 1.
    """
    z = np.asarray(z, dtype=np.float64)
    # Given: the course's solution of chapter 3 (ch03_softmax). To use your own, copy this file from your previous exercise folder (see README.md).
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    r"""Logarithm of the softmax, computed without forming the softmax:
    :math:`z_j - m - \log \sum_i e^{z_i - m}` with :math:`m = \max_i z_i`."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "linear": (linear, linear_prime),
}
"""Name -> (function, derivative), for the single-neuron code of chapter 2."""
