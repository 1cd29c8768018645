"""Speed of nnlib against references measured in the same run (reported, never asserted).

(a) nnlib ``Linear`` forward + backward on a batch of 256, 1024 -> 1024, as a fraction of
    the FLOP rate of a plain ``numpy.matmul`` of the same size (target: at least 0.5).
(b) Seconds per epoch training the same MLP on the bundled digits with the same batch size
    in nnlib and, when installed, PyTorch CPU (target: ratio at most 1.5), with both final
    test accuracies.

    .venv/bin/python benchmarks/bench_nnlib.py [--epochs 20] [--repeats 20]
"""
import argparse
import statistics
import time

import numpy as np

from nnlib import layers
from timing import median_time
from nnlib.data import digits_split
from nnlib.losses import softmax_cross_entropy
from nnlib.network import Sequential
from nnlib.optim import SGD
from nnlib.train import accuracy, fit

BATCH, IN, OUT = 256, 1024, 1024
HIDDEN, LR, MOMENTUM, BATCH_SIZE = 64, 0.05, 0.9, 32


def linear_vs_matmul(repeats):
    rng = np.random.default_rng(0)
    x, a, b = rng.normal(size=(BATCH, IN)), rng.normal(size=(BATCH, IN)), rng.normal(size=(IN, OUT))
    layer, dout = layers.Linear(IN, OUT, rng=1), rng.normal(size=(BATCH, OUT))
    matmul = median_time(lambda: np.matmul(a, b), repeats)
    step = median_time(lambda: (layer.forward(x), layer.backward(dout)), repeats)
    peak = 2 * BATCH * IN * OUT / matmul
    achieved = 6 * BATCH * IN * OUT / step  # forward, dW and dX: three matmuls of that size
    print(f"(a) numpy.matmul ({BATCH}x{IN}) @ ({IN}x{OUT}): {matmul * 1e3:.2f} ms, "
          f"{peak / 1e9:.1f} GFLOP/s")
    print(f"    nnlib Linear forward+backward: {step * 1e3:.2f} ms, {achieved / 1e9:.1f} GFLOP/s "
          f"= {achieved / peak:.2f} of matmul peak (target >= 0.5)")


def nnlib_epochs(split, epochs):
    model = Sequential(layers.Linear(64, HIDDEN, rng=0), layers.Tanh(), layers.Linear(HIDDEN, 10, rng=1))
    opt = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    rng, times = np.random.default_rng(0), []
    for _ in range(epochs):
        start = time.perf_counter()
        fit(model, softmax_cross_entropy, opt, *split["train"], epochs=1, batch_size=BATCH_SIZE,
            rng=rng, progress=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times), accuracy(model, *split["test"])


def torch_epochs(split, epochs):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.Tanh(),
                                torch.nn.Linear(HIDDEN, 10)).double()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    X, y = (torch.tensor(a) for a in split["train"])
    rng, times = np.random.default_rng(0), []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.tensor(rng.permutation(len(X)))
        for i in range(0, len(X), BATCH_SIZE):
            idx = order[i:i + BATCH_SIZE]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(X[idx]), y[idx]).backward()
            opt.step()
        with torch.no_grad():  # the same end-of-epoch training accuracy nnlib's fit computes
            (model(X).argmax(1) == y).double().mean()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        Xt, yt = (torch.tensor(a) for a in split["test"])
        return statistics.median(times), float((model(Xt).argmax(1) == yt).double().mean())


def epoch_times(epochs):
    split = digits_split(rng=0)
    mine, mine_acc = nnlib_epochs(split, epochs)
    print(f"(b) MLP 64-{HIDDEN}-10 (tanh), batch {BATCH_SIZE}, {epochs} epochs on digits "
          f"({len(split['train'][0])} training rows)")
    print(f"    nnlib:   {mine * 1e3:.1f} ms per epoch, test accuracy {mine_acc:.3f}")
    try:
        theirs, theirs_acc = torch_epochs(split, epochs)
    except ImportError:
        print("    PyTorch is not installed: ratio not measured (pip install torch==2.13.0)")
        return
    print(f"    PyTorch: {theirs * 1e3:.1f} ms per epoch, test accuracy {theirs_acc:.3f}")
    print(f"    ratio nnlib / PyTorch: {mine / theirs:.2f} (target <= 1.5)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    linear_vs_matmul(args.repeats)
    epoch_times(args.epochs)


if __name__ == "__main__":
    main()
