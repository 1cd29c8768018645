r"""Stochastic gradient descent with momentum and weight decay (chapters 4-5), and clipping
of the gradients' global norm (chapter 7)."""
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


def clip_grad_norm(grads, max_norm):
    r"""Scale gradients in place so that their global Euclidean norm is at most ``max_norm``.

    Parameters
    ----------
    grads : list of ndarray
        Float arrays of any shapes, e.g. ``[g for _, gs in model.parameters() for g in
        gs.values()]``; they are modified in place.
    max_norm : float
        :math:`c > 0`.

    Returns
    -------
    float
        The global norm before clipping, :math:`\lVert g \rVert`.

    Notes
    -----
    The norm is taken over all entries of all arrays together:
    :math:`\lVert g \rVert = \sqrt{\sum_i \lVert g_i \rVert^2}`. If it exceeds :math:`c`,
    every array is multiplied by the same factor :math:`c / \lVert g \rVert`, so the
    direction of the whole update is kept and its norm becomes :math:`c`; otherwise
    nothing changes. Recurrent networks use it against exploding gradients (chapter 7).
    """
    _check_clip(grads, max_norm)
    # YOUR CODE HERE
    raise NotImplementedError('clip_grad_norm is yours to write: complete it in nnlib/optim.py (chapter 7, ch07_rnn)')


def _check_clip(grads, max_norm):
    """TypeError/ValueError unless ``grads`` is a list of float arrays (which can be
    scaled in place) and ``max_norm`` a finite number > 0."""
    if not isinstance(grads, (list, tuple)) or not all(
            isinstance(g, np.ndarray) and g.dtype.kind == "f" for g in grads):
        kinds = type(grads).__name__ if not isinstance(grads, (list, tuple)) else \
            [type(g).__name__ if not isinstance(g, np.ndarray) else str(g.dtype) for g in grads]
        raise TypeError(f"clip_grad_norm: grads must be a list of float arrays, scaled in place; "
                        f"got {kinds}")
    number = isinstance(max_norm, (int, float, np.integer, np.floating))
    if isinstance(max_norm, bool) or not number or not 0 < max_norm < np.inf:
        raise ValueError(f"clip_grad_norm: max_norm must be a finite number > 0; got {max_norm!r}")
