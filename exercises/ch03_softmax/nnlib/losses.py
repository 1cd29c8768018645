r"""Loss functions (chapters 2-3). Each returns ``(loss, grad)``: the mean over the batch
of the per-example loss, and the gradient of that mean with respect to the first argument
(same shape as it).

The batch axis is axis 0, of length ``N``; the per-example loss sums over every other axis.
"""
import numpy as np

from .activations import log_softmax, softmax

EPS = 1e-12  # probabilities are clipped to [EPS, 1 - EPS] before taking logs


def mse(pred, target):
    r"""Mean squared error: :math:`L = \frac{1}{N} \sum_n \frac12 \lVert \hat{\mathbf y}_n - \mathbf{t}_n \rVert^2`.

    Parameters
    ----------
    pred : array_like, shape (N, ...)
        Predictions.
    target : array_like, same shape as ``pred``
        Targets.

    Returns
    -------
    loss : float
    dpred : ndarray, shape of ``pred``
        :math:`\partial L / \partial \hat{\mathbf y} = (\hat{\mathbf y} - \mathbf t) / N`.
    """
    pred, target = _pair(pred, target, "mse")
    # Given: the course's solution of chapter 2 (ch02_sigmoid). To use your own, copy this file from your previous exercise folder (see README.md).
    n = pred.shape[0]
    diff = pred - target
    return 0.5 * float(np.sum(diff ** 2)) / n, diff / n


def binary_cross_entropy(p, target):
    r"""Binary cross-entropy of probabilities ``p`` against targets in [0, 1].

    :math:`L = -\frac{1}{N} \sum_n \sum_k \left[ t_{nk} \log p_{nk} + (1 - t_{nk}) \log (1 - p_{nk}) \right]`

    Parameters
    ----------
    p : array_like, shape (N, ...)
        Predicted probabilities (e.g. sigmoid outputs); clipped to
        ``[EPS, 1 - EPS]`` so that the loss stays finite.
    target : array_like, same shape as ``p``
        Targets, usually 0 or 1.

    Returns
    -------
    loss : float
    dp : ndarray, shape of ``p``
        :math:`\partial L / \partial p = \frac{1}{N} \frac{p - t}{p (1 - p)}` (at the
        clipped ``p``).
    """
    p, target = _pair(p, target, "binary_cross_entropy")
    # Given: the course's solution of chapter 2 (ch02_sigmoid). To use your own, copy this file from your previous exercise folder (see README.md).
    n = p.shape[0]
    p = np.clip(p, EPS, 1.0 - EPS)
    loss = -float(np.sum(target * np.log(p) + (1.0 - target) * np.log(1.0 - p))) / n
    return loss, (p - target) / (p * (1.0 - p)) / n


def softmax_cross_entropy(logits, labels):
    r"""Cross-entropy of the softmax of ``logits`` against integer class labels.

    :math:`L = -\frac{1}{N} \sum_n \log \mathrm{softmax}(\mathbf z_n)_{y_n}`

    Parameters
    ----------
    logits : array_like, shape (N, K)
        Unnormalised scores, one row per example; any finite size (1e4 is fine).
    labels : array_like of int, shape (N,)
        Class indices in ``0 .. K-1``.

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (N, K)
        :math:`(\mathrm{softmax}(Z) - Y_{\text{onehot}}) / N`.

    Notes
    -----
    The loss is computed from the log-softmax (shift by the row maximum), never from
    the logarithm of a probability that may have underflowed to 0.
    """
    logits, labels = _logits_and_labels(logits, labels)
    # YOUR CODE HERE
    raise NotImplementedError('softmax_cross_entropy is yours to write: complete it in nnlib/losses.py (chapter 3, ch03_softmax)')


def one_hot(labels, n_classes):
    """Integer labels ``(N,)`` -> float64 one-hot rows ``(N, n_classes)``."""
    labels = np.asarray(labels)
    out = np.zeros((labels.shape[0], n_classes))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def _pair(a, b, where):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim == 0 or a.shape[0] == 0:
        raise ValueError(f"{where}: predictions and targets must have the same shape (N, ...) "
                         f"with N >= 1; got {a.shape} and {b.shape}")
    return a, b


def _logits_and_labels(logits, labels):
    logits, labels = np.asarray(logits, dtype=np.float64), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],) or logits.shape[0] == 0:
        raise ValueError(f"softmax_cross_entropy: logits must be (N, K) and labels (N,) with "
                         f"N >= 1; got {logits.shape} and {labels.shape}")
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= logits.shape[1]:
        raise ValueError(f"softmax_cross_entropy: labels must be integers in 0..{logits.shape[1] - 1}; "
                         f"got dtype {labels.dtype}, range {labels.min()}..{labels.max()}")
    return logits, labels
