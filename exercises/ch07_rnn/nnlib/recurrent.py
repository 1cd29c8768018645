r"""One time step of a recurrent cell, forward and backward (chapter 7).

``layers.RNN`` and ``layers.LSTM`` run these kernels over a sequence ``(N, T, D)``, one
step per time index; backpropagation through time (BPTT) runs the backward kernels in
reverse order. Symbols, as in the book: batch ``N``, input size ``D``, hidden size ``H``;
a row of ``x_t`` is one example's input at time :math:`t`. Weights are stored
``(out, in)`` as in ``Linear``, so a step computes :math:`x_t W_{xh}^\top`.

Every forward kernel returns a ``cache``: a tuple, with the layout its docstring fixes,
holding what the matching backward kernel needs. Only its backward kernel reads it.
"""
import numpy as np

from .activations import sigmoid


def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b):
    r"""One step of a tanh RNN cell.

    Parameters
    ----------
    x_t : ndarray, shape (N, D)
        Inputs at time :math:`t`.
    h_prev : ndarray, shape (N, H)
        Hidden state :math:`h_{t-1}`.
    W_xh : ndarray, shape (H, D)
        Input-to-hidden weights.
    W_hh : ndarray, shape (H, H)
        Hidden-to-hidden weights: :math:`(W_{hh})_{jk}` is the weight to unit :math:`j`
        from unit :math:`k` of the previous state.
    b : ndarray, shape (H,)

    Returns
    -------
    h_t : ndarray, shape (N, H)
    cache : tuple
        ``(x_t, h_prev, W_xh, W_hh, h_t)``, for :func:`rnn_step_backward`.

    Notes
    -----
    .. math::
        h_t = \tanh\left(x_t W_{xh}^\top + h_{t-1} W_{hh}^\top + \mathbf b\right).

    The same weights serve every time step.
    """
    _check_step("rnn_step_forward", x_t, h_prev, W_xh, W_hh, b, 1)
    # YOUR CODE HERE
    raise NotImplementedError('rnn_step_forward is yours to write: complete it in nnlib/recurrent.py (chapter 7, ch07_rnn)')


def rnn_step_backward(dh_t, cache):
    r"""Backward pass of :func:`rnn_step_forward`.

    Parameters
    ----------
    dh_t : ndarray, shape (N, H)
        :math:`\partial L/\partial h_t`: everything the loss receives through
        :math:`h_t` (the output at time :math:`t` and the later steps).
    cache : tuple
        What :func:`rnn_step_forward` returned: ``(x_t, h_prev, W_xh, W_hh, h_t)``.

    Returns
    -------
    dx_t : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dW_xh : ndarray, shape (H, D)
    dW_hh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
        The gradients of this one step (summed over the batch).

    Notes
    -----
    Deriving these five gradients from the forward formula is chapter 7's exercise;
    check your derivation with :func:`nnlib.gradcheck.numerical_gradient`.
    """
    # YOUR CODE HERE
    raise NotImplementedError('rnn_step_backward is yours to write: complete it in nnlib/recurrent.py (chapter 7, ch07_rnn)')


def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    r"""One step of an LSTM cell, gates stacked in the order i, f, g, o (as in PyTorch).

    Parameters
    ----------
    x_t : ndarray, shape (N, D)
    h_prev : ndarray, shape (N, H)
        Hidden state :math:`h_{t-1}`.
    c_prev : ndarray, shape (N, H)
        Cell state :math:`c_{t-1}`.
    W_x : ndarray, shape (4H, D)
    W_h : ndarray, shape (4H, H)
    b : ndarray, shape (4H,)
        Rows ``0:H`` belong to the input gate, ``H:2H`` to the forget gate, ``2H:3H`` to
        the candidate, ``3H:4H`` to the output gate.

    Returns
    -------
    h_t : ndarray, shape (N, H)
    c_t : ndarray, shape (N, H)
    cache : tuple
        ``(x_t, h_prev, c_prev, W_x, W_h, gates, c_t)`` for :func:`lstm_step_backward`,
        ``gates`` of shape (N, 4H) holding :math:`[i, f, g, o]` side by side.

    Notes
    -----
    With :math:`a = x_t W_x^\top + h_{t-1} W_h^\top + \mathbf b` split into four blocks of
    :math:`H` columns, :math:`a = [a_i, a_f, a_g, a_o]`:

    .. math::
        i = \sigma(a_i), \quad f = \sigma(a_f), \quad g = \tanh(a_g), \quad
        o = \sigma(a_o), \\
        c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t).
    """
    _check_step("lstm_step_forward", x_t, h_prev, W_x, W_h, b, 4)
    if np.shape(c_prev) != np.shape(h_prev):
        raise ValueError(f"lstm_step_forward: c_prev must have the shape of h_prev, "
                         f"{np.shape(h_prev)}; got {np.shape(c_prev)}")
    # YOUR CODE HERE
    raise NotImplementedError('lstm_step_forward is yours to write: complete it in nnlib/recurrent.py (chapter 7, ch07_rnn)')


def lstm_step_backward(dh_t, dc_t, cache):
    r"""Backward pass of :func:`lstm_step_forward`.

    Parameters
    ----------
    dh_t : ndarray, shape (N, H)
        :math:`\partial L/\partial h_t` (from the output at time :math:`t` and the later
        steps).
    dc_t : ndarray, shape (N, H)
        :math:`\partial L/\partial c_t` arriving from step :math:`t+1` only (0 at the
        last step); the path through :math:`h_t = o \odot \tanh(c_t)` is added here.
    cache : tuple
        ``(x_t, h_prev, c_prev, W_x, W_h, gates, c_t)`` from :func:`lstm_step_forward`.

    Returns
    -------
    dx_t : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dc_prev : ndarray, shape (N, H)
    dW_x : ndarray, shape (4H, D)
    dW_h : ndarray, shape (4H, H)
    db : ndarray, shape (4H,)

    Notes
    -----
    Deriving these gradients (through the four gates, with the cell state's two paths)
    is the optional part of chapter 7's exercise.
    """
    # YOUR CODE HERE
    raise NotImplementedError('lstm_step_backward is yours to write: complete it in nnlib/recurrent.py (chapter 7, ch07_rnn)')


def _check_step(where, x_t, h_prev, W_in, W_rec, b, n_gates):
    """Shapes of one step's arrays: x_t (N, D), h_prev (N, H), W_in (G*H, D),
    W_rec (G*H, H), b (G*H,) with G = ``n_gates``; a ValueError naming them otherwise."""
    shapes = [np.shape(a) for a in (x_t, h_prev, W_in, W_rec, b)]
    if len(shapes[0]) == 2 and len(shapes[1]) == 2:
        (N, D), (_, H) = shapes[0], shapes[1]
        G = n_gates * H
        if shapes[1][0] == N and shapes[2:] == [(G, D), (G, H), (G,)]:
            return
    gates = "" if n_gates == 1 else f"{n_gates}"
    raise ValueError(f"{where}: expected x_t (N, D), h_prev (N, H), weights ({gates}H, D) and "
                     f"({gates}H, H), bias ({gates}H,); got {', '.join(map(str, shapes))}")
