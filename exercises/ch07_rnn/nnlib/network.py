"""A stack of layers applied in order (chapter 4; weights and gradient norms, chapter 5)."""
import numpy as np


class Sequential:
    """Layers applied one after another.

    Parameters
    ----------
    *layers : Layer
        In the order the forward pass visits them.

    Notes
    -----
    The backward pass visits the layers in reverse: each turns the gradient with respect
    to its output into the gradient with respect to its input (the chain rule), filling
    its own ``grads`` on the way.
    """

    def __init__(self, *layers):
        self.layers = list(layers)

    def forward(self, x):
        """Output of the last layer for input ``x``."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, dout):
        """Backpropagate ``dout`` (dL/d output) through every layer; return dL/d input."""
        # Given: the course's solution of chapter 4 (ch04_backprop). To use your own, copy this file from your previous exercise folder (see README.md).
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        """The ``(params, grads)`` dict pairs of every layer that has parameters."""
        return [(layer.params, layer.grads) for layer in self.layers if layer.params]

    def weights(self):
        """The weight arrays of every layer (``params`` whose name starts with "W"), in
        order, biases excluded: what ``losses.l2_penalty`` and ``l1_penalty`` take. The
        arrays are the layers' own, not copies."""
        # Given: the course's solution of chapter 5 (ch05_regularization). To use your own, copy this file from your previous exercise folder (see README.md).
        return [params[key] for params, _ in self.parameters() for key in params
                if key.startswith("W")]

    def gradient_norms(self, keys=None):
        r"""One Euclidean norm per layer with parameters, in forward order, of the gradients
        left by the last ``backward``.

        Parameters
        ----------
        keys : iterable of str or None
            Which gradients to include, e.g. ``("W",)``; by default all of the layer's
            (weights and biases together).

        Returns
        -------
        list of float
            :math:`\sqrt{\sum_{\text{key}} \lVert \partial L/\partial \theta_\text{key} \rVert^2}`
            per layer.
        """
        return [float(np.sqrt(sum(np.sum(np.square(g)) for k, g in grads.items()
                                  if keys is None or k in keys)))
                for _, grads in self.parameters()]

    def train(self):
        """Switch every layer to training mode (Dropout drops)."""
        for layer in self.layers:
            layer.training = True
        return self

    def eval(self):
        """Switch every layer to evaluation mode."""
        for layer in self.layers:
            layer.training = False
        return self
