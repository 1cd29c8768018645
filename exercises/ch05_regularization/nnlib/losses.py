r"""Loss functions (chapters 2-3) and weight penalties (chapter 5). Each loss returns
``(loss, grad)``: the mean over the batch of the per-example loss, and the gradient of that
mean with respect to the first argument (same shape as it).

The batch axis is axis 0, of length ``N``; the per-example loss sums over every other axis.
The penalties take a list of weight arrays and return ``(value, grads)``, one gradient per
array; add them to the data loss and to the weights' gradients.
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


def sigmoid_cross_entropy(logits, target):
    r"""Binary cross-entropy of the sigmoid of ``logits``, computed from the logits.

    :math:`L = -\frac{1}{N} \sum_n \sum_k \left[ t_{nk} \log \sigma(z_{nk})
    + (1 - t_{nk}) \log \left(1 - \sigma(z_{nk})\right) \right]`,

    the value of ``binary_cross_entropy(sigmoid(logits), target)``, but computed without
    ever taking the logarithm of a probability, so that it stays finite, exact and free of
    numpy warnings for logits of any finite size.

    Parameters
    ----------
    logits : array_like, shape (N, ...)
        Weighted inputs :math:`z` of sigmoid outputs; any finite size (1e4 is fine).
    target : array_like, same shape as ``logits``
        Targets in [0, 1], usually 0 or 1.

    Returns
    -------
    loss : float
        The mean over the N examples of the per-example loss (summed over the other axes).
    dlogits : ndarray, shape of ``logits``
        :math:`\partial L / \partial z`, the gradient of that mean.

    Notes
    -----
    Rewriting the loss in a form that never overflows, and differentiating that form, is
    chapter 2's exercise (``solutions/ch02_sigmoid``, Task 6).
    """
    logits, target = _pair(logits, target, "sigmoid_cross_entropy")
    if not np.all(np.isfinite(logits)):
        raise ValueError("sigmoid_cross_entropy: logits must be finite")
    # Given: the course's solution of chapter 2 (ch02_sigmoid). To use your own, copy this file from your previous exercise folder (see README.md).
    n = len(logits)
    e = np.exp(-np.abs(logits))  # in (0, 1]: never overflows
    per_entry = np.maximum(logits, 0.0) - target * logits + np.log1p(e)
    probs = np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # sigmoid(logits)
    return float(np.sum(per_entry)) / n, (probs - target) / n


def softmax_cross_entropy(logits, labels):
    r"""Cross-entropy of the softmax of ``logits`` against integer class labels.

    :math:`L = -\frac{1}{N} \sum_n \log \mathrm{softmax}(\mathbf z_n)_{y_n}`

    Parameters
    ----------
    logits : array_like, shape (N, K) or (N, T, K)
        Unnormalised scores, one row per example; any finite size (1e4 is fine). More
        leading axes, such as the time steps of a sequence, are more examples: the loss
        is the mean over all :math:`M = N T` positions.
    labels : array_like of int, shape (N,) or (N, T)
        Class indices in ``0 .. K-1``, the shape of ``logits`` without its last axis.

    Returns
    -------
    loss : float
    dlogits : ndarray, shape of ``logits``
        :math:`(\mathrm{softmax}(Z) - Y_{\text{onehot}}) / N` (divided by :math:`M`, the
        number of positions, for a sequence).

    Notes
    -----
    The loss is computed from the log-softmax (shift by the row maximum), never from
    the logarithm of a probability that may have underflowed to 0. A sequence's logits
    are flattened to :math:`(M, K)`, so the 2-D formula serves every shape.
    """
    logits, labels = _logits_and_labels(logits, labels)
    if logits.ndim > 2:  # (N, T, K): every position is one more example of the mean
        K = logits.shape[-1]
        loss, dlogits = softmax_cross_entropy(logits.reshape(-1, K), labels.reshape(-1))
        return loss, dlogits.reshape(logits.shape)
    # Given: the course's solution of chapter 3 (ch03_softmax). To use your own, copy this file from your previous exercise folder (see README.md).
    n = logits.shape[0]
    rows = np.arange(n)
    loss = -float(np.sum(log_softmax(logits, axis=1)[rows, labels])) / n
    dlogits = softmax(logits, axis=1)
    dlogits[rows, labels] -= 1.0
    return loss, dlogits / n


def temperature_cross_entropy(logits, labels, tau):
    r"""Cross-entropy of the softmax of ``logits / tau`` against integer class labels.

    :math:`L(Z, \tau) = -\frac{1}{N} \sum_n \log \mathrm{softmax}(\mathbf z_n / \tau)_{y_n}`,
    the loss of :func:`softmax_cross_entropy` at the scores divided by a temperature
    :math:`\tau > 0`. Fitting :math:`\tau` on validation data after training
    (*temperature scaling*) calibrates a classifier's probabilities without changing
    any of its predictions.

    Parameters
    ----------
    logits : array_like, shape (N, K)
        Unnormalised scores, one row per example; any finite size (1e4 is fine).
    labels : array_like of int, shape (N,)
        Class indices in ``0 .. K-1``.
    tau : float
        The temperature, finite and > 0.

    Returns
    -------
    loss : float
    dlogits : ndarray, shape (N, K)
        :math:`\partial L / \partial Z`.
    dtau : float
        :math:`\partial L / \partial \tau`.

    Notes
    -----
    Deriving both gradients is chapter 3's exercise (``solutions/ch03_softmax``, Task 4).
    """
    logits, labels = _logits_and_labels(logits, labels, "temperature_cross_entropy", sequences=False)
    tau = _temperature(tau)
    # Given: the course's solution of chapter 3 (ch03_softmax). To use your own, copy this file from your previous exercise folder (see README.md).
    scaled = logits / tau
    loss, dscaled = softmax_cross_entropy(scaled, labels)
    dtau = -float(np.sum(dscaled * scaled)) / tau
    return loss, dscaled / tau, dtau


def l2_penalty(weights, lam):
    r"""L2 penalty (weight decay) :math:`R = \frac{\lambda}{2} \sum_i \lVert W_i \rVert^2`.

    Parameters
    ----------
    weights : list of array_like
        The arrays to penalise, usually the weight matrices only (not the biases).
    lam : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    value : float
    grads : list of ndarray
        ``grads[i]`` has the shape of ``weights[i]``: :math:`\partial R/\partial W_i = \lambda W_i`.

    Notes
    -----
    :math:`R = \frac{\lambda}{2} \sum_i \sum_{jk} (W_i)_{jk}^2`, so
    :math:`\partial R / \partial (W_i)_{jk} = \lambda (W_i)_{jk}` (the 1/2 cancels the 2).
    A gradient step on :math:`L + R` multiplies each weight by :math:`1 - \eta\lambda`
    before the data gradient is applied, hence the name weight decay.
    """
    weights = _weight_list(weights, lam, "l2_penalty")
    # YOUR CODE HERE
    raise NotImplementedError('l2_penalty is yours to write: complete it in nnlib/losses.py (chapter 5, ch05_regularization)')


def l1_penalty(weights, lam):
    r"""L1 penalty :math:`R = \lambda \sum_i \sum_{jk} \lvert (W_i)_{jk} \rvert`.

    Parameters
    ----------
    weights : list of array_like
        The arrays to penalise, usually the weight matrices only (not the biases).
    lam : float
        :math:`\lambda \ge 0`.

    Returns
    -------
    value : float
    grads : list of ndarray
        ``grads[i]`` has the shape of ``weights[i]``: :math:`\lambda \operatorname{sign}(W_i)`.

    Notes
    -----
    :math:`\lvert w \rvert` has derivative :math:`\operatorname{sign}(w)` for
    :math:`w \ne 0`; at 0 every value in :math:`[-1, 1]` is a subgradient and we take 0,
    so :math:`\partial R/\partial w = \lambda \operatorname{sign}(w)` with
    :math:`\operatorname{sign}(0) = 0`. The step :math:`-\eta\lambda\operatorname{sign}(w)`
    has the same size for small and large weights, which drives small weights to 0.
    """
    weights = _weight_list(weights, lam, "l1_penalty")
    # YOUR CODE HERE
    raise NotImplementedError('l1_penalty is yours to write: complete it in nnlib/losses.py (chapter 5, ch05_regularization)')


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


def _logits_and_labels(logits, labels, where="softmax_cross_entropy", sequences=True):
    logits, labels = np.asarray(logits, dtype=np.float64), np.asarray(labels)
    shapes_ok = logits.ndim >= 2 if sequences else logits.ndim == 2
    if not shapes_ok or labels.shape != logits.shape[:-1] or labels.size == 0:
        also = (" with N >= 1, or (N, T, K) and (N, T) for sequences (labels: the shape of "
                "logits without its last axis)") if sequences else " with N >= 1"
        raise ValueError(f"{where}: logits must be (N, K) and labels (N,){also}; got "
                         f"{logits.shape} and {labels.shape}")
    if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= logits.shape[-1]:
        raise ValueError(f"{where}: labels must be integers in 0..{logits.shape[-1] - 1}; "
                         f"got dtype {labels.dtype}, range {labels.min()}..{labels.max()}")
    return logits, labels


def _temperature(tau):
    real = isinstance(tau, (int, float, np.integer, np.floating)) and not isinstance(tau, bool)
    if not (real and 0 < tau < np.inf):
        raise ValueError(f"temperature_cross_entropy: tau must be a finite number > 0; got {tau!r}")
    return float(tau)


def _weight_list(weights, lam, where):
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError(f"{where}: weights must be a list of arrays (e.g. [W1, W2]); "
                        f"got {type(weights).__name__}")
    if not np.isscalar(lam) or not lam >= 0:
        raise ValueError(f"{where}: lam must be a number >= 0; got {lam!r}")
    return [np.asarray(w, dtype=np.float64) for w in weights]
