"""Checks for the exercise notebooks: on failure they say what was checked, on which
input, what was expected and what came back."""
import numpy as np


def check_array(got, expected, what, inputs=None, rtol=1e-7, atol=1e-12):
    """Raise ``AssertionError`` unless ``got`` matches ``expected`` in shape and value.

    Parameters
    ----------
    got, expected : array_like
    what : str
        What was computed, e.g. ``"Perceptron.predict on the AND gate"``.
    inputs : array_like, optional
        Rows of the input; the first mismatching row is quoted in the message.
    rtol, atol : float
        Tolerances for floating-point values (integers must match exactly).
    """
    if got is None:
        raise AssertionError(f"{what}: expected {_show(expected)}, got None "
                             f"(did you forget a return statement?)")
    got_arr, expected_arr = np.asarray(got), np.asarray(expected)
    if got_arr.shape != expected_arr.shape:
        raise AssertionError(f"{what}: expected shape {expected_arr.shape}, "
                             f"got shape {got_arr.shape}: {_show(got_arr)}")
    same = np.isclose(got_arr, expected_arr, rtol=rtol, atol=atol)
    if not np.all(same):
        where = tuple(int(i) for i in np.argwhere(~same)[0])
        detail = f"first difference at index {where}: expected {expected_arr[where].item()!r}, " \
                 f"got {got_arr[where].item()!r}"
        if inputs is not None and got_arr.ndim >= 1:
            detail += f", for input row {where[0]} = {_show(np.asarray(inputs)[where[0]])}"
        raise AssertionError(f"{what}: expected {_show(expected_arr)}, got {_show(got_arr)} "
                             f"({detail})")


def check_value(got, expected, what, rtol=1e-7, atol=1e-12):
    """Raise ``AssertionError`` unless the scalar ``got`` equals ``expected``."""
    if got is None or np.ndim(got) != 0:
        raise AssertionError(f"{what}: expected the number {expected!r}, got {got!r}")
    if not np.isclose(got, expected, rtol=rtol, atol=atol):
        raise AssertionError(f"{what}: expected {_plain(expected)!r}, got {_plain(got)!r}")


def _plain(value):
    """A numpy scalar as the Python number it holds (prints as 1.5, not np.float64(1.5))."""
    return value.item() if isinstance(value, np.generic) else value


def _show(arr):
    return np.array2string(np.asarray(arr), precision=4, separator=", ", threshold=20)
