"""nnlib.init and Linear's init= choice: fan-in/fan-out, variances (statistical bounds that
cannot flake), and Linear's default drawing the very numbers it drew before chapter 5.

Every variance test compares the sample variance s^2 of n i.i.d. N(0, sigma^2) draws with
sigma^2. s^2 / sigma^2 has standard error sqrt(2 / (n - 1)); the tests allow 6 standard
errors (a seed-independent false alarm rate below 1e-8) and use a fixed seed, so they are
deterministic too. The mistakes they must catch change the variance by a factor of 2 or more.
"""
import numpy as np
import pytest

from nnlib import init, layers

SHAPES = {"dense": (192, 640), "conv": (24, 16, 5, 3)}


def assert_variance(W, variance):
    n = W.size
    assert abs(W.mean()) <= 6 * np.sqrt(variance / n), W.mean()
    bound = 6 * np.sqrt(2.0 / (n - 1))
    assert abs(W.var() / variance - 1) <= bound, (W.var(), variance, bound)


def test_fans_of_dense_and_conv_shapes():
    assert init.fans((3, 7)) == (7, 3)                        # (out, in)
    assert init.fans((8, 3, 5, 5)) == (3 * 25, 8 * 25)        # (F, C, kh, kw)
    assert init.fans((4, 2, 3)) == (6, 12)
    for bad in [(5,), (), (3, 0)]:
        with pytest.raises(ValueError, match="at least two positive dimensions"):
            init.fans(bad)


@pytest.mark.parametrize("kind", SHAPES)
@pytest.mark.parametrize("name, variance", [
    ("lecun", lambda fi, fo: 1.0 / fi),
    ("xavier", lambda fi, fo: 2.0 / (fi + fo)),
    ("he", lambda fi, fo: 2.0 / fi),
])
def test_initializer_variances(kind, name, variance):
    shape = SHAPES[kind]
    W = getattr(init, name)(shape, rng=0)
    assert W.shape == shape and W.dtype == np.float64
    assert_variance(W, variance(*init.fans(shape)))


def test_normal_takes_the_standard_deviation_and_any_rng_form():
    W = init.normal((300, 400), 0.5, rng=np.random.default_rng(1))
    assert_variance(W, 0.25)
    np.testing.assert_array_equal(init.normal((2, 3), 1.0, rng=4), init.normal((2, 3), 1.0, rng=4))
    assert init.normal((2, 3), 1.0).shape == (2, 3)
    assert np.all(init.normal((2, 2), 0.0, rng=0) == 0)
    with pytest.raises(ValueError, match="std"):
        init.normal((2, 2), -1.0)


def test_he_is_twice_lecun_for_the_same_draws():
    # The same seed gives the same standard normals, scaled by sqrt(2/fan_in) vs sqrt(1/fan_in).
    np.testing.assert_allclose(init.he((5, 9), rng=3), np.sqrt(2) * init.lecun((5, 9), rng=3), rtol=1e-15)


def test_linear_default_draws_the_same_numbers_as_before_chapter_5():
    # Computed with the chapter-4 code, rng.normal(0, sqrt(1 / in), (out, in)).
    np.testing.assert_array_equal(layers.Linear(2, 3, rng=0).params["W"], [
        [0.0889046919352223, -0.09341224466100138],
        [0.4528471989539067, 0.07417558418617766],
        [-0.37877544623616877, 0.2556863153700187]])
    shared = np.random.default_rng(5)  # one Generator for two layers: draws continue
    first, second = layers.Linear(3, 2, rng=shared), layers.Linear(2, 1, rng=shared)
    np.testing.assert_array_equal(first.params["W"], [
        [-0.4629953242416981, -0.7646190226296119, -0.14339164937306384],
        [0.2427441713766251, 0.6558967713448361, 0.06333901918027053]])
    np.testing.assert_array_equal(second.params["W"], [[-0.3907806679557455, -0.5549235110059277]])
    big = layers.Linear(784, 30, rng=3).params["W"]
    assert big.sum() == 5.141221038934667
    np.testing.assert_array_equal(layers.Linear(784, 30, rng=3, init="lecun").params["W"], big)


def test_linear_init_by_name_or_callable():
    assert_variance(layers.Linear(500, 300, rng=0, init="he").params["W"], 2.0 / 500)
    assert_variance(layers.Linear(500, 300, rng=0, init="xavier").params["W"], 2.0 / 800)
    seen = []

    def constant(shape, rng):
        seen.append((shape, type(rng)))
        return np.full(shape, 0.5)

    lin = layers.Linear(4, 2, rng=1, init=constant)
    assert seen == [((2, 4), np.random.Generator)]
    assert np.all(lin.params["W"] == 0.5) and np.all(lin.params["b"] == 0)
    with pytest.raises(ValueError, match="unknown init 'kaiming'"):
        layers.Linear(4, 2, init="kaiming")
    with pytest.raises(ValueError, match=r"init returned shape \(4, 2\)"):
        layers.Linear(4, 2, init=lambda shape, rng: np.zeros(shape[::-1]))
