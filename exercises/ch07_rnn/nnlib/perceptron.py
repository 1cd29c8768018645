"""Rosenblatt's perceptron: a linear threshold unit and its learning rule (chapter 1)."""
import numpy as np

from ._checks import as_binary_label, as_binary_labels, as_matrix, as_vector


class Perceptron:
    r"""A single linear threshold unit with labels in {0, 1}.

    Parameters
    ----------
    n_features : int
        Number of inputs ``D``.
    rng : numpy.random.Generator or None
        If given, the weights start as small normal draws (std 0.01); otherwise
        they start at zero. The bias always starts at zero.

    Attributes
    ----------
    w : ndarray, shape (D,)
        Weights, one per input.
    b : float
        Bias (the negative of the threshold).
    history : dict of lists
        Filled by :meth:`fit`, one entry per epoch: ``"mistakes"`` (int), ``"w"``
        (copy of the weights after the epoch) and ``"b"``.
    converged : bool
        Whether the last :meth:`fit` ended with an epoch without mistakes.

    Notes
    -----
    The unit computes :math:`z = \mathbf{w}^\top \mathbf{x} + b` and outputs
    :math:`\hat y = H(z)`, where :math:`H(z) = 1` if :math:`z \ge 0` and 0 otherwise.
    The learning rule, for one example :math:`(\mathbf{x}, t)` and learning rate
    :math:`\eta`, is

    .. math::
        \mathbf{w} \leftarrow \mathbf{w} + \eta\,(t - \hat y)\,\mathbf{x}, \qquad
        b \leftarrow b + \eta\,(t - \hat y).
    """

    def __init__(self, n_features, rng=None):
        if not (isinstance(n_features, (int, np.integer)) and n_features > 0):
            raise ValueError(f"Perceptron: n_features must be a positive int; got {n_features!r}")
        self.n_features = int(n_features)
        self.w = np.zeros(self.n_features) if rng is None else rng.normal(0, 0.01, self.n_features)
        self.b = 0.0
        self.history = {"mistakes": [], "w": [], "b": []}
        self.converged = False

    def predict(self, X):
        """Classify each row of ``X``.

        Parameters
        ----------
        X : array_like, shape (N, D)
            One example per row.

        Returns
        -------
        ndarray of int64, shape (N,)
            1 where :math:`\\mathbf{w}^\\top \\mathbf{x} + b \\ge 0`, else 0.
        """
        X = as_matrix(X, self.n_features, "Perceptron.predict")
        # Given: the course's solution of chapter 1 (ch01_perceptron). To use your own, copy this file from your previous exercise folder (see README.md).
        z = X @ self.w + self.b
        return (z >= 0).astype(np.int64)

    def update(self, x, target, lr=1.0):
        """Apply the perceptron learning rule to one example.

        Parameters
        ----------
        x : array_like, shape (D,)
            One example.
        target : int
            Its label, 0 or 1.
        lr : float
            Learning rate :math:`\\eta > 0`.

        Returns
        -------
        int
            The error :math:`t - \\hat y` (-1, 0 or 1) made *before* the update; the
            weights change only when it is not 0.
        """
        x = as_vector(x, self.n_features, "Perceptron.update")
        target = as_binary_label(target, "Perceptron.update")
        # Given: the course's solution of chapter 1 (ch01_perceptron). To use your own, copy this file from your previous exercise folder (see README.md).
        error = target - int(self.predict(x[None, :])[0])
        self.w = self.w + lr * error * x
        self.b = self.b + lr * error
        return error

    def fit(self, X, y, epochs=100, lr=1.0, rng=None):
        """Train with the learning rule until an epoch makes no mistake.

        Parameters
        ----------
        X : array_like, shape (N, D)
        y : array_like of {0, 1}, shape (N,)
        epochs : int
            The most passes over the data.
        lr : float
            Learning rate.
        rng : numpy.random.Generator or None
            If given, the examples are visited in a fresh random order each epoch;
            otherwise in the order given.

        Returns
        -------
        Perceptron
            ``self``, with :attr:`history` and :attr:`converged` set.
        """
        X = as_matrix(X, self.n_features, "Perceptron.fit")
        y = as_binary_labels(y, len(X), "Perceptron.fit")
        self.history = {"mistakes": [], "w": [], "b": []}
        self.converged = False
        for _ in range(epochs):
            order = np.arange(len(X)) if rng is None else rng.permutation(len(X))
            mistakes = sum(self.update(X[i], y[i], lr) != 0 for i in order)
            self._record_epoch(int(mistakes))
            if mistakes == 0:
                self.converged = True
                break
        return self

    def _record_epoch(self, mistakes):
        self.history["mistakes"].append(mistakes)
        self.history["w"].append(np.array(self.w, dtype=np.float64))
        self.history["b"].append(float(self.b))


def geometric_margin(w, b, X, y):
    r"""Signed distance from the boundary :math:`\mathbf{w}^\top\mathbf{x} + b = 0` to the
    closest example, positive when every example is on its own side.

    Parameters
    ----------
    w : array_like, shape (D,)
    b : float
    X : array_like, shape (N, D)
    y : array_like of {0, 1}, shape (N,)

    Notes
    -----
    With :math:`s_i = 2 y_i - 1 \in \{-1, +1\}`, the margin is
    :math:`\gamma = \min_i s_i (\mathbf{w}^\top \mathbf{x}_i + b) / \lVert \mathbf{w} \rVert`.
    """
    w = np.asarray(w, dtype=np.float64)
    X = as_matrix(X, len(w), "geometric_margin")
    y = as_binary_labels(y, len(X), "geometric_margin")
    norm = np.linalg.norm(w)
    if norm == 0:
        raise ValueError("geometric_margin: w is the zero vector, so there is no boundary")
    return float(np.min((2 * y - 1) * (X @ w + b)) / norm)
