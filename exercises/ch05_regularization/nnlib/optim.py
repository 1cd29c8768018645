r"""Stochastic gradient descent with momentum and weight decay (chapters 4-5)."""
import numpy as np


class SGD:
    r"""Updates parameters in place from their gradients.

    Parameters
    ----------
    parameters : list of (dict, dict)
        ``(params, grads)`` pairs with the same keys, e.g. ``model.parameters()``.
    lr : float
        Learning rate :math:`\eta`.
    momentum : float
        :math:`\mu` in [0, 1); 0 gives plain SGD.
    weight_decay : float
        :math:`\lambda`: adds :math:`\lambda \theta` to each gradient (L2 penalty
        :math:`\frac{\lambda}{2}\lVert\theta\rVert^2`).

    Notes
    -----
    For each parameter :math:`\theta` with gradient :math:`g`:

    .. math::
        g \leftarrow g + \lambda\theta, \qquad v \leftarrow \mu v - \eta g, \qquad
        \theta \leftarrow \theta + v,

    with the velocity :math:`v` starting at 0. The arrays in ``params`` are updated in
    place, so the layers see the new values.
    """

    def __init__(self, parameters, lr, momentum=0.0, weight_decay=0.0):
        if lr <= 0 or not 0 <= momentum < 1 or weight_decay < 0:
            raise ValueError(f"SGD: need lr > 0, 0 <= momentum < 1, weight_decay >= 0; got "
                             f"lr={lr}, momentum={momentum}, weight_decay={weight_decay}")
        self.parameters = list(parameters)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity = [{k: np.zeros_like(v) for k, v in params.items()}
                         for params, _ in self.parameters]

    def step(self):
        """Apply one update to every parameter."""
        for (params, grads), velocity in zip(self.parameters, self.velocity):
            for key in params:
                # Given: the course's solution of chapter 4 (ch04_backprop). To use your own, copy this file from your previous exercise folder (see README.md).
                g = grads[key] + self.weight_decay * params[key]
                velocity[key] = self.momentum * velocity[key] - self.lr * g
                params[key] += velocity[key]

    def zero_grad(self):
        """Set every gradient to 0 (in place)."""
        for _, grads in self.parameters:
            for g in grads.values():
                g[...] = 0.0
