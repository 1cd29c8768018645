r"""Weight initialisation (chapter 5): zero-mean Gaussians whose variance depends on the
layer's fan-in and fan-out.

For a weight array of shape ``(out, in)`` (``Linear``) or ``(F, C, kh, kw)`` (``Conv2d``):

- fan-in :math:`n_\text{in}` = ``prod(shape[1:])``: the inputs that feed one output unit
  (``in``, or :math:`C \cdot k_h \cdot k_w`);
- fan-out :math:`n_\text{out}` = ``shape[0] * prod(shape[2:])``: the outputs one input
  unit feeds (``out``, or :math:`F \cdot k_h \cdot k_w`).

These are the conventions of ``torch.nn.init``. Every function takes ``rng``: a
``numpy.random.Generator``, an int seed, or None (fresh entropy).
"""
import numpy as np


def fans(shape):
    r"""``(fan_in, fan_out)`` of a weight array of ``shape`` (at least two dimensions).

    Notes
    -----
    :math:`n_\text{in} = \prod_{i \ge 1} s_i` and
    :math:`n_\text{out} = s_0 \prod_{i \ge 2} s_i` for ``shape`` :math:`(s_0, s_1, \dots)`.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"init: a weight shape needs at least two positive dimensions, "
                         f"(out, in) or (F, C, kh, kw); got {shape}")
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def normal(shape, std, rng=None):
    r"""An array of ``shape`` with i.i.d. entries :math:`\mathcal N(0, \sigma^2)`, :math:`\sigma` = ``std``.

    Parameters
    ----------
    shape : tuple of int
    std : float
        Standard deviation :math:`\sigma \ge 0` (not the variance).
    rng : numpy.random.Generator, int or None
    """
    if not std >= 0:
        raise ValueError(f"init.normal: std must be >= 0; got {std}")
    return np.random.default_rng(rng).normal(0.0, std, tuple(shape))


def lecun(shape, rng=None):
    r"""LeCun initialisation: :math:`W_{ij} \sim \mathcal N(0, 1/n_\text{in})`.

    Notes
    -----
    With inputs of unit variance, independent of the weights, a pre-activation
    :math:`z = \sum_{k=1}^{n_\text{in}} w_k x_k` has variance
    :math:`n_\text{in} \operatorname{Var}(w)`, which is 1 for this choice. It is
    ``Linear``'s default.
    """
    fan_in, _ = fans(shape)
    return normal(shape, np.sqrt(1.0 / fan_in), rng)


def xavier(shape, rng=None):
    r"""Xavier (Glorot) initialisation: :math:`W_{ij} \sim \mathcal N(0, 2/(n_\text{in} + n_\text{out}))`.

    Notes
    -----
    The forward pass keeps the variance of activations when
    :math:`n_\text{in}\operatorname{Var}(w) = 1`, the backward pass keeps the variance of
    gradients when :math:`n_\text{out}\operatorname{Var}(w) = 1`; the harmonic compromise is
    :math:`\operatorname{Var}(w) = 2/(n_\text{in} + n_\text{out})`. Meant for tanh and
    sigmoid-like units, roughly linear around 0.
    """
    fan_in, fan_out = fans(shape)
    return normal(shape, np.sqrt(2.0 / (fan_in + fan_out)), rng)


def he(shape, rng=None):
    r"""He (Kaiming) initialisation for ReLU layers: :math:`W_{ij} \sim \mathcal N(0, 2/n_\text{in})`.

    Parameters
    ----------
    shape : tuple of int
        ``(out, in)`` or ``(F, C, kh, kw)``; :math:`n_\text{in}` = ``prod(shape[1:])``.
    rng : numpy.random.Generator, int or None

    Notes
    -----
    A ReLU zeroes half of a symmetric pre-activation, so
    :math:`\mathbb E[\mathrm{relu}(z)^2] = \tfrac12 \operatorname{Var}(z)`, and the next
    pre-activation has variance :math:`\tfrac12 n_\text{in} \operatorname{Var}(w)
    \operatorname{Var}(z)`. That factor is 1 when
    :math:`\operatorname{Var}(w) = 2/n_\text{in}`: standard deviation
    :math:`\sqrt{2/n_\text{in}}`.
    """
    fan_in, _ = fans(shape)
    # Given: the course's solution of chapter 5 (ch05_regularization). To use your own, copy this file from your previous exercise folder (see README.md).
    return normal(shape, np.sqrt(2.0 / fan_in), rng)


INITIALIZERS = {"lecun": lecun, "xavier": xavier, "he": he}


def get(init):
    """The initialiser named ``init`` ("lecun", "xavier", "he"), or ``init`` itself if it is
    a callable ``init(shape, rng) -> ndarray``."""
    if callable(init):
        return init
    if not isinstance(init, str) or init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; expected one of {sorted(INITIALIZERS)} "
                         f"or a callable (shape, rng) -> array")
    return INITIALIZERS[init]
