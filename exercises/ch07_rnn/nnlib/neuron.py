r"""A single neuron trained by gradient descent (chapter 2).

A neuron with weights :math:`\mathbf w` (shape ``(D,)``), bias :math:`b` and activation
:math:`f` maps a batch ``X`` of shape ``(N, D)`` to outputs
:math:`\mathbf a = f(X\mathbf w + b)` of shape ``(N,)``.
"""
import numpy as np

from ._checks import as_matrix
from .activations import ACTIVATIONS
from .losses import binary_cross_entropy, mse

LOSSES = {"mse": mse, "bce": binary_cross_entropy}


def neuron_forward(X, w, b, activation="sigmoid"):
    r"""Outputs :math:`f(X\mathbf w + b)` of one neuron, shape ``(N,)``."""
    X = as_matrix(X, len(w), "neuron_forward")
    f, _ = _activation(activation)
    return f(X @ np.asarray(w, dtype=np.float64) + b)


def neuron_step(X, t, w, b, lr, activation="sigmoid", loss="mse"):
    r"""One gradient-descent step for a single neuron on a batch.

    Parameters
    ----------
    X : array_like, shape (N, D)
    t : array_like, shape (N,)
        Targets.
    w : ndarray, shape (D,)
    b : float
    lr : float
        Learning rate :math:`\eta`.
    activation : {"sigmoid", "tanh", "relu", "linear"}
    loss : {"mse", "bce"}

    Returns
    -------
    w_new : ndarray, shape (D,)
        :math:`\mathbf w - \eta\, \partial L / \partial \mathbf w` (a new array; ``w`` is
        not modified).
    b_new : float
        :math:`b - \eta\, \partial L / \partial b`.
    loss_value : float
        The loss *before* the step.

    Notes
    -----
    With :math:`\mathbf z = X\mathbf w + b` and :math:`\mathbf a = f(\mathbf z)`, the chain
    rule gives :math:`\boldsymbol\delta = \partial L/\partial \mathbf z =
    \partial L/\partial \mathbf a \odot f'(\mathbf z)`, then
    :math:`\partial L/\partial \mathbf w = X^\top \boldsymbol\delta` and
    :math:`\partial L/\partial b = \sum_n \delta_n`.
    """
    X = as_matrix(X, len(w), "neuron_step")
    t = np.asarray(t, dtype=np.float64)
    f, f_prime = _activation(activation)
    loss_fn = _loss(loss)
    # Given: the course's solution of chapter 2 (ch02_sigmoid). To use your own, copy this file from your previous exercise folder (see README.md).
    z = X @ w + b
    loss_value, da = loss_fn(f(z), t)
    delta = da * f_prime(z)
    return w - lr * (X.T @ delta), float(b - lr * np.sum(delta)), loss_value


def train_neuron(X, t, w, b, lr, epochs, activation="sigmoid", loss="mse"):
    """Full-batch gradient descent for ``epochs`` steps.

    Returns
    -------
    w, b : the final parameters
    losses : list of float
        The loss before each step, then the final loss (``epochs + 1`` values).
    """
    w, b, losses = np.asarray(w, dtype=np.float64), float(b), []
    for _ in range(epochs):
        w, b, value = neuron_step(X, t, w, b, lr, activation, loss)
        losses.append(value)
    losses.append(_loss(loss)(neuron_forward(X, w, b, activation), t)[0])
    return w, b, losses


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def _loss(name):
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; expected one of {', '.join(LOSSES)}")
    return LOSSES[name]
