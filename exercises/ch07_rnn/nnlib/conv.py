r"""Convolution and pooling on images (chapter 6): loop kernels, im2col and col2im.

Images are float64 arrays of shape ``(N, C, H, W)``: batch, channels, height, width. A
bank of ``F`` filters is ``w`` of shape ``(F, C, kh, kw)`` with a bias ``b`` of shape
``(F,)``. Like every framework, "convolution" here computes a cross-correlation: the
kernel slides over the (zero-padded) image without being flipped,

.. math::
    y_{n,f,i,j} = b_f + \sum_{c=0}^{C-1} \sum_{p=0}^{k_h-1} \sum_{q=0}^{k_w-1}
    w_{f,c,p,q}\, \tilde x_{n,c,\,iS+p,\,jS+q},

where :math:`S` is the stride and :math:`\tilde x` the input padded with :math:`P` zeros
on every side. The ``*_naive`` functions spell this out with loops (for teaching and for
tests); :class:`nnlib.layers.Conv2d` computes the same thing with :func:`im2col` and one
matrix product.

Output size rule: along an axis of size :math:`H`, a kernel :math:`K`, padding :math:`P`
and stride :math:`S` give :math:`H_\text{out} = (H + 2P - K)/S + 1` positions. If
:math:`H + 2P - K` is not a multiple of :math:`S`, the last rows (or columns) of the
padded input would be skipped without notice; nnlib refuses such a geometry with a
``ValueError`` naming the sizes (PyTorch instead rounds down and drops them).
"""
import functools
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# --- validation and sizes -----------------------------------------------------------------

def _count(value, name, where, minimum):
    """``value`` as an int >= ``minimum``, or a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}; got {value!r}")
    return int(value)


def pair(size, name="kernel_size", where="conv"):
    """``size`` as ``(height, width)``: an int ``k`` means ``(k, k)``; each must be >= 1."""
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return tuple(_count(s, name, where, 1) for s in size)
    if isinstance(size, (tuple, list)):
        raise ValueError(f"{where}: {name} must be an int or a pair (height, width); got {size!r}")
    k = _count(size, name, where, 1)
    return k, k


def output_size(size, kernel, stride=1, padding=0, where="output_size", axis="height"):
    r"""Number of window positions along one axis: :math:`(H + 2P - K)/S + 1`.

    Parameters
    ----------
    size, kernel, stride, padding : int
        :math:`H`, :math:`K`, :math:`S`, :math:`P`.
    where, axis : str
        Named in error messages.

    Raises
    ------
    ValueError
        If the kernel is larger than the padded input, or if :math:`H + 2P - K` is not a
        multiple of :math:`S` (the message gives every size; nnlib does not round down).
    """
    span = size + 2 * padding - kernel
    if span < 0:
        raise ValueError(f"{where}: the kernel ({kernel}) is larger than the padded input "
                         f"along the {axis} ({size} + 2*{padding} = {size + 2 * padding})")
    if span % stride:
        lines, symbol = ("row(s)", "H") if axis == "height" else ("column(s)", "W")
        raise ValueError(
            f"{where}: along the {axis}, {symbol} + 2P - K = {size} + 2*{padding} - {kernel} = "
            f"{span} is not a multiple of the stride {stride}, so the last {span % stride} "
            f"{lines} of the padded input would never be seen; choose a padding, kernel or "
            f"stride that divides")
    return span // stride + 1


def as_images(x, channels, where, name="x"):
    """``x`` as a float64 array ``(N, C, H, W)``, with ``C == channels`` unless it is None."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 4:
        hint = " (one grey image? use x[None, None])" if arr.ndim == 2 else \
            " (one image? use x[None])" if arr.ndim == 3 else ""
        raise ValueError(f"{where}: {name} must be a 4-D array of images (N, C, H, W); got "
                         f"shape {arr.shape}{hint}")
    if channels is not None and arr.shape[1] != channels:
        raise ValueError(f"{where}: {name} has {arr.shape[1]} channel(s) (shape {arr.shape}); "
                         f"expected {channels}")
    return arr


def output_shape(x_shape, kernel_size, stride, padding, where, channels_out=None):
    """``(N, F, H_out, W_out)`` of a window operation on images of ``x_shape``
    (``F`` = ``channels_out``, or ``C`` for pooling); a ValueError if it does not fit."""
    (kh, kw), (N, C, H, W) = pair(kernel_size, where=where), x_shape
    stride, padding = _count(stride, "stride", where, 1), _count(padding, "padding", where, 0)
    return (N, C if channels_out is None else channels_out,
            output_size(H, kh, stride, padding, where, "height"),
            output_size(W, kw, stride, padding, where, "width"))


def check_gradient(dout, shape, where):
    """``dout`` as float64, which must have ``shape`` (the forward output's)."""
    arr = np.asarray(dout, dtype=np.float64)
    if arr.shape != tuple(shape):
        raise ValueError(f"{where}: dout must have the shape of the forward output, "
                         f"{tuple(shape)}; got {arr.shape}")
    return arr


def check_conv(x, w, b, stride, padding, where):
    """Validated ``(x, w, b)`` of a convolution (``b`` may be None); errors name the
    mismatch."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 4:
        raise ValueError(f"{where}: w must be a 4-D array of filters (F, C, kh, kw); "
                         f"got shape {w.shape}")
    x = as_images(x, w.shape[1], where)
    if b is not None:
        b = np.asarray(b, dtype=np.float64)
        if b.shape != (w.shape[0],):
            raise ValueError(f"{where}: b must have shape ({w.shape[0]},), one bias per filter; "
                             f"got {b.shape}")
    output_shape(x.shape, w.shape[2:], stride, padding, where, w.shape[0])
    return x, w, b


# --- convolution: loops --------------------------------------------------------------------

def conv2d_forward_naive(x, w, b, stride=1, padding=0):
    r"""Convolution (cross-correlation) of images with a filter bank, by explicit loops.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    w : ndarray, shape (F, C, kh, kw)
    b : ndarray, shape (F,)
    stride : int
        :math:`S \ge 1`, the step between window positions (both axes).
    padding : int
        :math:`P \ge 0` zeros added on every side of each image.

    Returns
    -------
    out : ndarray, shape (N, F, H_out, W_out)
        :math:`H_\text{out} = (H + 2P - k_h)/S + 1`, :math:`W_\text{out} = (W + 2P - k_w)/S + 1`.

    Notes
    -----
    One output value per image :math:`n`, filter :math:`f` and position :math:`(i, j)`:
    :math:`y_{n,f,i,j} = b_f + \sum_{c,p,q} w_{f,c,p,q}\,\tilde x_{n,c,iS+p,jS+q}` (the
    module docstring). A ``ValueError`` is raised if the sizes do not fit (see
    :func:`output_size`).
    """
    x, w, b = check_conv(x, w, b, stride, padding, "conv2d_forward_naive")
    # Given: the course's solution of chapter 6 (ch06_cnn). To use your own, copy this file from your previous exercise folder (see README.md).
    n_images, _, height, width = x.shape
    n_filters, _, kh, kw = w.shape
    h_out = (height + 2 * padding - kh) // stride + 1
    w_out = (width + 2 * padding - kw) // stride + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    y = np.zeros((n_images, n_filters, h_out, w_out))
    for n, f, i, j in np.ndindex(y.shape):
        window = x_pad[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
        y[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return y


def conv2d_backward_naive(dout, x, w, stride=1, padding=0):
    r"""Gradients of a convolution, by explicit loops over the output positions.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H_out, W_out)
        Upstream gradient :math:`G = \partial L/\partial y`.
    x, w, stride, padding
        The forward pass's arguments (see :func:`conv2d_forward_naive`).

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, kh, kw)
    db : ndarray, shape (F,)

    Notes
    -----
    Every output position is visited once, as in the forward loop; deriving what each
    visit contributes to the three gradients is the exercise of chapter 6.
    """
    where = "conv2d_backward_naive"
    x, w, _ = check_conv(x, w, None, stride, padding, where)
    dout = check_gradient(dout, output_shape(x.shape, w.shape[2:], stride, padding, where,
                                             w.shape[0]), where)
    # Given: the course's solution of chapter 6 (ch06_cnn). To use your own, copy this file from your previous exercise folder (see README.md).
    kh, kw = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n, f, i, j in np.ndindex(dout.shape):
        rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
        dw[f] += dout[n, f, i, j] * x_pad[n, :, rows, cols]
        dx_pad[n, :, rows, cols] += dout[n, f, i, j] * w[f]
    db = dout.sum(axis=(0, 2, 3))
    dx = dx_pad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return dx, dw, db


# --- pooling: loops ------------------------------------------------------------------------

def pool_window(kernel_size, stride, where):
    """Validated ``((kh, kw), stride)`` of a pooling. ``stride`` None means the kernel
    size (windows that tile the image), which needs a square kernel."""
    kh, kw = pair(kernel_size, where=where)
    if stride is None and kh != kw:
        raise ValueError(f"{where}: stride=None means stride = kernel size, which needs a "
                         f"square kernel; give the stride for the kernel {(kh, kw)}")
    return (kh, kw), _count(kh if stride is None else stride, "stride", where, 1)


def _pool_args(x, kernel_size, stride, where):
    """Validated ``(x, (kh, kw), stride)`` of a pooling (see :func:`pool_window`)."""
    kernel, stride = pool_window(kernel_size, stride, where)
    x = as_images(x, None, where)
    output_shape(x.shape, kernel, stride, 0, where)
    return x, kernel, stride


def maxpool2d_forward_naive(x, kernel_size, stride=None):
    r"""Max pooling by explicit loops: the largest value of each window, channel by channel.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    kernel_size : int or (int, int)
        Window :math:`(k_h, k_w)`.
    stride : int or None
        Step between windows; None means ``kernel_size`` (non-overlapping windows).

    Returns
    -------
    out : ndarray, shape (N, C, H_out, W_out)
        :math:`H_\text{out} = (H - k_h)/S + 1` (no padding; a ``ValueError`` if it does
        not divide).

    Notes
    -----
    :math:`y_{n,c,i,j} = \max_{0 \le p < k_h,\ 0 \le q < k_w} x_{n,c,iS+p,jS+q}`.
    """
    x, (kh, kw), stride = _pool_args(x, kernel_size, stride, "maxpool2d_forward_naive")
    # Given: the course's solution of chapter 6 (ch06_cnn). To use your own, copy this file from your previous exercise folder (see README.md).
    h_out = (x.shape[2] - kh) // stride + 1
    w_out = (x.shape[3] - kw) // stride + 1
    pooled = np.zeros(x.shape[:2] + (h_out, w_out))
    for n, c, i, j in np.ndindex(pooled.shape):
        pooled[n, c, i, j] = x[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw].max()
    return pooled


def maxpool2d_backward_naive(dout, x, kernel_size, stride=None):
    r"""Gradient of max pooling by explicit loops.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H_out, W_out)
        Upstream gradient.
    x, kernel_size, stride
        The forward pass's arguments.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Notes
    -----
    Each window's output depends on one input only, its maximum, with derivative 1, so
    the whole upstream gradient of that output goes to the position of the maximum; every
    other input of the window gets nothing from it. Tie rule: when several entries of a
    window share the maximum, the *first* of them in row-major order (smallest row, then
    smallest column; what ``np.argmax`` returns) receives all of it. Where windows overlap
    (stride smaller than the kernel), an input collects the gradients of every window it
    wins.
    """
    x, (kh, kw), stride = _pool_args(x, kernel_size, stride, "maxpool2d_backward_naive")
    where = "maxpool2d_backward_naive"
    dout = check_gradient(dout, output_shape(x.shape, (kh, kw), stride, 0, where), where)
    # Given: the course's solution of chapter 6 (ch06_cnn). To use your own, copy this file from your previous exercise folder (see README.md).
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(dout.shape):
        window = x[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw]
        p, q = np.unravel_index(np.argmax(window), window.shape)
        dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]
    return dx


def avgpool2d_forward_naive(x, kernel_size, stride=None):
    r"""Average pooling by explicit loops: the mean of each window, channel by channel.

    Same arguments and shapes as :func:`maxpool2d_forward_naive`;
    :math:`y_{n,c,i,j} = \frac{1}{k_h k_w}\sum_{p,q} x_{n,c,iS+p,jS+q}`.
    """
    x, (kh, kw), stride = _pool_args(x, kernel_size, stride, "avgpool2d_forward_naive")
    mean = np.zeros(output_shape(x.shape, (kh, kw), stride, 0, "avgpool2d_forward_naive"))
    for n, c, i, j in np.ndindex(mean.shape):
        mean[n, c, i, j] = x[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw].mean()
    return mean


def avgpool2d_backward_naive(dout, x, kernel_size, stride=None):
    r"""Gradient of average pooling by explicit loops: every input of a window receives
    :math:`1/(k_h k_w)` of that window's upstream gradient (summed over the windows it
    belongs to)."""
    x, (kh, kw), stride = _pool_args(x, kernel_size, stride, "avgpool2d_backward_naive")
    where = "avgpool2d_backward_naive"
    dout = check_gradient(dout, output_shape(x.shape, (kh, kw), stride, 0, where), where)
    spread, share = np.zeros_like(x), dout / (kh * kw)
    for n, c, i, j in np.ndindex(share.shape):
        top, left = i * stride, j * stride
        spread[n, c, top:top + kh, left:left + kw] += share[n, c, i, j]
    return spread


# --- im2col / col2im -----------------------------------------------------------------------

def im2col(x, kernel_size, stride=1, padding=0):
    r"""Copy every window of the padded images into one row of a matrix.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Any dtype; it is kept.
    kernel_size : int or (int, int)
    stride, padding : int

    Returns
    -------
    cols : ndarray, shape (N * H_out * W_out, C * kh * kw)
        Row :math:`(n H_\text{out} + i) W_\text{out} + j` holds the window of image
        :math:`n` at output position :math:`(i, j)`, flattened in the order
        :math:`(c, p, q)`: the order of ``w.reshape(F, -1)``'s columns.

    Notes
    -----
    With this matrix :math:`X_\text{col}`, a convolution is a ``Linear`` layer applied to
    every window: :math:`Y_\text{col} = X_\text{col} W_\text{mat}^\top + \mathbf b^\top`,
    with :math:`W_\text{mat}` = ``w.reshape(F, -1)``; each pixel is copied into as many
    rows as windows contain it (about :math:`k_h k_w / S^2` times).
    """
    x = np.asarray(x)
    (kh, kw), (N, C, H, W) = pair(kernel_size, where="im2col"), x.shape
    _, _, h_out, w_out = output_shape(x.shape, (kh, kw), stride, padding, "im2col")
    x_pad = np.zeros((N, H + 2 * padding, W + 2 * padding, C), dtype=x.dtype)
    x_pad[:, padding:padding + H, padding:padding + W, :] = x.transpose(0, 2, 3, 1)
    windows = sliding_window_view(x_pad, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    return windows.reshape(N * h_out * w_out, C * kh * kw)  # (N, H_out, W_out, C, kh, kw)


@functools.lru_cache(maxsize=8)
def _window_index(x_shape, kernel_size, stride, padding):
    """im2col of the flat indices of the padded images: where each entry of cols comes from."""
    N, C, H, W = x_shape
    padded = (N, C, H + 2 * padding, W + 2 * padding)
    index = im2col(np.arange(np.prod(padded)).reshape(padded), kernel_size, stride, 0)
    index.flags.writeable = False
    return index


def col2im(cols, x_shape, kernel_size, stride=1, padding=0):
    r"""The adjoint of :func:`im2col`: add every entry of ``cols`` back to the pixel it was
    copied from, and crop the padding.

    Parameters
    ----------
    cols : ndarray, shape (N * H_out * W_out, C * kh * kw)
        Typically :math:`\partial L/\partial X_\text{col}`.
    x_shape : (N, C, H, W)
        Shape of the images ``im2col`` was applied to.
    kernel_size, stride, padding
        As given to ``im2col``.

    Returns
    -------
    ndarray, shape ``x_shape``

    Notes
    -----
    ``im2col`` is linear, :math:`X_\text{col} = A x` for a 0/1 matrix :math:`A` with one 1
    per row; ``col2im`` computes :math:`A^\top c`, so a pixel shared by several windows
    receives the *sum* of its copies. It is therefore not an inverse: ``col2im(im2col(x))``
    is ``x`` times the number of windows covering each pixel (exactly ``x`` when the
    windows tile the image), and :math:`\langle A x, c\rangle = \langle x, A^\top c\rangle`.
    This is what turns :math:`\partial L/\partial X_\text{col}` into
    :math:`\partial L/\partial x`.
    """
    x_shape = tuple(int(s) for s in x_shape)
    kernel_size, (N, C, H, W) = pair(kernel_size, where="col2im"), x_shape
    index = _window_index(x_shape, kernel_size, stride, padding)
    cols = np.asarray(cols, dtype=np.float64)
    if cols.shape != index.shape:
        raise ValueError(f"col2im: cols must have shape {index.shape} for images {x_shape}, "
                         f"kernel {kernel_size}, stride {stride}, padding {padding}; "
                         f"got {cols.shape}")
    summed = np.zeros(N * C * (H + 2 * padding) * (W + 2 * padding))
    np.add.at(summed, index.ravel(), cols.ravel())  # 1-D: numpy's fast path
    summed = summed.reshape(N, C, H + 2 * padding, W + 2 * padding)
    return summed[:, :, padding:padding + H, padding:padding + W]
