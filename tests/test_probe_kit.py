"""The probe kit's comparison agrees with numpy.allclose (equal_nan=True) on every kind of
value a check meets: tiny and large magnitudes, near misses, nan and both infinities."""
import numpy as np

from nncourse.probes.kit import _close, same


def test_close_agrees_with_numpy_allclose_on_random_values_with_nan_and_inf():
    rng = np.random.default_rng(0)
    for _ in range(20_000):
        n = int(rng.integers(0, 4))
        want = rng.normal(size=n) * 10.0 ** rng.integers(-12, 3)
        have = want * (1 + rng.normal(size=n) * 10.0 ** rng.integers(-10, -5)) \
            + rng.normal(size=n) * 10.0 ** rng.integers(-12, -8)
        for values in (want, have):
            values[rng.random(n) < 0.1] = rng.choice([np.nan, np.inf, -np.inf])
        assert _close(have, want, 1e-7, 1e-10) == np.allclose(have, want, rtol=1e-7, atol=1e-10,
                                                               equal_nan=True), (have, want)


def test_same_names_the_part_that_differs_without_quoting_it():
    expected = {"y": np.array([1.0, np.inf]), "n": 3}
    assert same({"y": np.array([1.0, np.inf]), "n": 3}, expected) is None
    assert same({"y": np.array([1.0, 1e308]), "n": 3}, expected) == "'y' differs from the reference"
    assert same({"y": np.array([1.0, np.inf]), "n": 4}, expected) == "'n' differs from the reference"
