"""A stack of layers applied in order (chapter 4)."""


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
        # YOUR CODE HERE
        raise NotImplementedError('Sequential.backward is yours to write: complete it in nnlib/network.py (chapter 4, ch04_backprop)')

    def parameters(self):
        """The ``(params, grads)`` dict pairs of every layer that has parameters."""
        return [(layer.params, layer.grads) for layer in self.layers if layer.params]

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
