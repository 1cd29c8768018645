"""Cost of nnlib's Dropout against ReLU on the same tensor (reported, never asserted).

Forward + backward (training mode) of ``Dropout(p)`` and of ``ReLU`` on a float64 batch
of 256 x 1024, median over repeats, and their ratio. Dropout draws one uniform number per
unit at every forward call, which ReLU does not, so a ratio above 1 is expected; the line
"of which the mask draw" shows how much of it is ``rng.random`` alone.

    .venv/bin/python benchmarks/bench_regularization.py [--repeats 50] [--p 0.5]
"""
import argparse

import numpy as np

from nnlib import layers
from timing import median_time

SHAPE = (256, 1024)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--p", type=float, default=0.5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, dout = rng.normal(size=SHAPE), rng.normal(size=SHAPE)
    relu, dropout = layers.ReLU(), layers.Dropout(args.p, rng=1)
    t_relu = median_time(lambda: (relu.forward(x), relu.backward(dout)), args.repeats)
    t_drop = median_time(lambda: (dropout.forward(x), dropout.backward(dout)), args.repeats)
    t_draw = median_time(lambda: dropout.rng.random(SHAPE), args.repeats)
    print(f"forward + backward on a float64 {SHAPE[0]}x{SHAPE[1]} batch, median of {args.repeats}")
    print(f"    ReLU:          {t_relu * 1e3:.2f} ms")
    print(f"    Dropout(p={args.p}): {t_drop * 1e3:.2f} ms, of which the mask draw {t_draw * 1e3:.2f} ms")
    print(f"    ratio Dropout / ReLU: {t_drop / t_relu:.2f}")


if __name__ == "__main__":
    main()
