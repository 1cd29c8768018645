"""nnlib: the neural-network library built, chapter by chapter, in this course.

Conventions: float64, batch first (dense input ``(N, D)``, images ``(N, C, H, W)``, sequences
``(N, T, D)``), binary labels in {0, 1}, weights of a layer stored ``(out, in)``
(``(F, C, kh, kw)`` for a convolution), losses return the batch mean and its gradient,
and every random thing takes ``rng: numpy.random.Generator | None``. Modules import each
other relatively, so the package also loads under another name (the graders load the
reference that way).
"""
from . import (activations, conv, data, gradcheck, init, layers, losses, network, neuron, optim,
               perceptron, recurrent, testing, text, train)

__all__ = ["activations", "conv", "data", "gradcheck", "init", "layers", "losses", "network",
           "neuron", "optim", "perceptron", "recurrent", "testing", "text", "train"]
