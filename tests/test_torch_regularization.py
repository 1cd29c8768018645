"""Chapter 5 cross-checks against PyTorch (CPU), when it is installed: dropout's scaling
convention, SGD weight decay against torch's and against l2_penalty, and the initialisers'
fans and variances against torch.nn.init. Skipped otherwise (torch is never a runtime
dependency). Random draws differ between the two libraries, so dropout and the initialisers
are compared through statistics, each within 6 standard errors of the theory (fixed seeds).
"""
import numpy as np
import pytest

from nnlib import init, layers
from nnlib.losses import l2_penalty, softmax_cross_entropy
from nnlib.network import Sequential
from nnlib.optim import SGD

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(5)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_scaling_matches_torch(p):
    torch.manual_seed(0)
    x = RNG.uniform(1.0, 2.0, size=(300, 400))
    theirs = torch.nn.functional.dropout(torch.tensor(x), p=p, training=True).numpy()
    mine = layers.Dropout(p, rng=0).forward(x)
    bound = 6 * np.sqrt(p * (1 - p) / x.size)
    for y in (mine, theirs):
        kept = y != 0
        np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-15)  # both inverted
        assert abs((1 - kept.mean()) - p) <= bound                           # both drop p
    np.testing.assert_array_equal(torch.nn.functional.dropout(torch.tensor(x), p=p, training=False).numpy(), x)
    np.testing.assert_array_equal(Sequential(layers.Dropout(p, rng=0)).eval().forward(x), x)


def _copy_to_torch(model):
    ref = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3)).double()
    with torch.no_grad():
        for mine, theirs in ((model.layers[0], ref[0]), (model.layers[2], ref[2])):
            theirs.weight.copy_(torch.tensor(mine.params["W"]))
            theirs.bias.copy_(torch.tensor(mine.params["b"]))
    return ref


def _mlp():
    return Sequential(layers.Linear(5, 4, rng=0), layers.Tanh(), layers.Linear(4, 3, rng=1))


def test_sgd_weight_decay_matches_torch_and_l2_penalty_over_several_steps():
    lam, lr, mu, steps = 0.05, 0.1, 0.9, 6
    decayed, penalised = _mlp(), _mlp()
    ref = _copy_to_torch(decayed)
    opt_decay = SGD(decayed.parameters(), lr=lr, momentum=mu, weight_decay=lam)
    opt_penalty = SGD(penalised.parameters(), lr=lr, momentum=mu)
    opt_torch = torch.optim.SGD(ref.parameters(), lr=lr, momentum=mu, weight_decay=lam)
    for _ in range(steps):
        x, labels = RNG.normal(size=(8, 5)), RNG.integers(0, 3, size=8)
        for model, opt in ((decayed, opt_decay), (penalised, opt_penalty)):
            opt.zero_grad()
            model.backward(softmax_cross_entropy(model.forward(x), labels)[1])
        # weight_decay decays every parameter, biases included: penalise them all here.
        pairs = [(params, grads, key) for params, grads in penalised.parameters() for key in params]
        _, dpenalty = l2_penalty([params[key] for params, _, key in pairs], lam)
        for (_, grads, key), d in zip(pairs, dpenalty):
            grads[key] = grads[key] + d
        opt_decay.step()
        opt_penalty.step()
        opt_torch.zero_grad()
        torch.nn.functional.cross_entropy(ref(torch.tensor(x)), torch.tensor(labels)).backward()
        opt_torch.step()
    for index, theirs in ((0, ref[0]), (2, ref[2])):
        for key, tensor in (("W", theirs.weight), ("b", theirs.bias)):
            expected = tensor.detach().numpy()
            np.testing.assert_allclose(decayed.layers[index].params[key], expected, rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(penalised.layers[index].params[key], expected, rtol=1e-10, atol=1e-13)


SHAPES = [(150, 260), (20, 12, 3, 5)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    assert init.fans(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, fill", [
    ("he", lambda w: torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")),
    ("lecun", lambda w: torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="linear")),
    ("xavier", lambda w: torch.nn.init.xavier_normal_(w)),
])
def test_initializer_variances_match_torch_init(shape, name, fill):
    torch.manual_seed(1)
    theirs = fill(torch.empty(shape, dtype=torch.float64)).numpy()
    mine = getattr(init, name)(shape, rng=1)
    # Both sample variances within 6 standard errors (sqrt(2 / (n - 1)), relative) of the
    # variance torch's documentation gives: 2/fan_in, 1/fan_in, 2/(fan_in + fan_out).
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    variance = {"he": 2 / fan_in, "lecun": 1 / fan_in, "xavier": 2 / (fan_in + fan_out)}[name]
    bound = 6 * np.sqrt(2 / (mine.size - 1))
    for W in (mine, theirs):
        assert abs(W.var() / variance - 1) <= bound, (name, W.var(), variance)
