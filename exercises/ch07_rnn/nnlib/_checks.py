"""Input validation shared by nnlib: every check says what was expected and what was given."""
import numpy as np


def as_matrix(X, n_features, where, name="X"):
    """Return ``X`` as a finite float64 array of shape ``(N, n_features)``.

    Parameters
    ----------
    X : array_like
        The candidate input.
    n_features : int or None
        Required number of columns; ``None`` accepts any.
    where : str
        The calling function, named in error messages (``"Perceptron.predict"``).
    name : str
        The argument's name in error messages.
    """
    arr = _as_float(X, where, name)
    wanted = f"(N, {n_features})" if n_features is not None else "(N, D)"
    if arr.ndim != 2:
        hint = " (one example? use X[None, :] or X.reshape(1, -1))" if arr.ndim == 1 else ""
        raise ValueError(f"{where}: {name} must be a 2-D array of shape {wanted}; "
                         f"got shape {arr.shape}{hint}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{where}: {name} must have shape {wanted}; got shape {arr.shape}")
    return arr


def as_vector(x, n_features, where, name="x"):
    """Return ``x`` as a finite float64 array of shape ``(n_features,)``."""
    arr = _as_float(x, where, name)
    if arr.shape != (n_features,):
        raise ValueError(f"{where}: {name} must have shape ({n_features},); got shape {arr.shape}")
    return arr


def as_binary_labels(y, n_samples, where, name="y"):
    """Return ``y`` as an int64 array of shape ``(n_samples,)`` holding only 0 and 1."""
    arr = np.asarray(y)
    if arr.shape != (n_samples,):
        raise ValueError(f"{where}: {name} must have shape ({n_samples},), one label per row "
                         f"of X; got shape {arr.shape}")
    if arr.dtype.kind not in "biuf" or not np.all(np.isin(arr, (0, 1))):
        bad = np.unique(arr[~np.isin(arr, (0, 1))]) if arr.dtype.kind in "biuf" else arr.dtype
        raise ValueError(f"{where}: {name} must contain only the labels 0 and 1 (this course's "
                         f"convention); got {bad!r}. Labels in {{-1, +1}} convert with "
                         f"(y + 1) // 2.")
    return arr.astype(np.int64)


def as_binary_label(target, where, name="target"):
    """Return a single label as the int 0 or 1."""
    if not (np.ndim(target) == 0 and np.isin(target, (0, 1))):
        raise ValueError(f"{where}: {name} must be the label 0 or 1; got {target!r}")
    return int(target)


def _as_float(X, where, name):
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{where}: {name} must be an array of numbers; got "
                        f"{type(X).__name__} ({err})") from None
    if not np.all(np.isfinite(arr)):
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        count = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{where}: {name} must be finite; it holds {count} non-finite "
                         f"value(s), the first {arr[first]} at index {first}")
    return arr
