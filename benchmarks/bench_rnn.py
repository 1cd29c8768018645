"""Speed of nnlib's RNN and LSTM layers against PyTorch (reported, never asserted).

One forward pass and one backward pass (backpropagation through time, every gradient) on
float64 sequences, N=32, T=50, D=64, H=128, median over repeats:

- nnlib ``layers.RNN`` / ``layers.LSTM`` (one step kernel of ``nnlib.recurrent`` per time
  step, forward and backward);
- ``torch.nn.RNN`` / ``torch.nn.LSTM`` (``batch_first``, float64, CPU) forward + autograd
  backward of the same upstream gradient, with the same weights, if torch is installed.

The two take turns in every round (``timing.interleaved_times``), so both see the same load
on a shared machine; the ratio reported is the median of the per-round ratios.

Target of chapter 7's issue: the RNN at most 1x torch's time; the LSTM's ratio is reported.
Threads: BLAS and torch both get ``--threads`` (default 1, as ``make`` sets for tests and
grading); the environment variables are set before numpy is imported.

    .venv/bin/python benchmarks/bench_rnn.py [--repeats 30] [--threads 1]
"""
import argparse
import os
import sys

from timing import set_blas_threads

N, T, D, H = 32, 50, 64, 128


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--char-epochs", type=int, default=1,
                        help="epochs of the character model timed (after one warm-up epoch)")
    return parser.parse_args()


ARGS = parse() if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    set_blas_threads(ARGS.threads)

import numpy as np  # noqa: E402

from nnlib import data, layers, losses, optim, text  # noqa: E402
from timing import interleaved_times, median_time  # noqa: E402


def torch_step(layer, x, dhs, threads):
    """Forward + backward of the torch twin (``b_hh`` = 0) as a function, or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    cls = torch.nn.RNN if isinstance(layer, layers.RNN) else torch.nn.LSTM
    twin = cls(D, H, batch_first=True, dtype=torch.float64)
    W_in, W_rec, b = layer.params.values()
    with torch.no_grad():
        for target, value in zip((twin.weight_ih_l0, twin.weight_hh_l0, twin.bias_ih_l0), (W_in, W_rec, b)):
            target.copy_(torch.tensor(value))
        twin.bias_hh_l0.zero_()
    xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(dhs)

    def step():
        xt.grad = None
        twin.zero_grad()
        twin(xt)[0].backward(gt)

    return step


CHAR_HIDDEN, CHAR_BATCH, CHAR_WINDOW = 96, 64, 40


def char_epoch_seconds(repeats):
    """Seconds (median) of one epoch of chapter 7's character model: LSTM(V, 96) and a
    Linear head over the Pride and Prejudice training text in windows of 40 characters, 64
    per batch, SGD with momentum, the global gradient norm clipped to 5."""
    split = data.austen_split(val_chapters=2, rng=0)
    vocab = text.CharVocab(split["train"] + split["val"])
    ids, V = vocab.encode(split["train"]), len(vocab)
    cell, head = layers.LSTM(V, CHAR_HIDDEN, rng=0), layers.Linear(CHAR_HIDDEN, V, rng=1)
    sgd = optim.SGD([(layer.params, layer.grads) for layer in (cell, head)], lr=0.5, momentum=0.9)

    def epoch():
        for X, Y in text.char_batches(ids, CHAR_BATCH, CHAR_WINDOW, rng=0):
            sgd.zero_grad()
            _, dlogits = losses.softmax_cross_entropy(head.forward(cell.forward(vocab.one_hot(X))), Y)
            cell.backward(head.backward(dlogits))
            optim.clip_grad_norm([g for layer in (cell, head) for g in layer.grads.values()], 5.0)
            sgd.step()

    return median_time(epoch, repeats), len(ids)


def main(args):
    rng = np.random.default_rng(0)
    x, dhs = rng.normal(size=(N, T, D)), rng.normal(size=(N, T, H))
    print(f"forward + BPTT, float64, N={N}, T={T}, D={D}, H={H}; {args.threads} thread(s); "
          f"median of {args.repeats}")
    for layer, target in ((layers.RNN(D, H, rng=1), "  (target <= 1)"), (layers.LSTM(D, H, rng=1), "")):
        name, ours = type(layer).__name__, lambda layer=layer: (layer.forward(x), layer.backward(dhs))
        theirs = torch_step(layer, x, dhs, args.threads)
        (mine, *other), (_, *ratio) = interleaved_times([ours] + ([theirs] if theirs else []), args.repeats)
        print(f"{name}:\n    nnlib {name:4s} {mine * 1e3:8.2f} ms")
        if not other:
            print("    torch: not installed")
        else:
            print(f"    torch {name:4s} {other[0] * 1e3:8.2f} ms  -> nnlib / torch = "
                  f"{1 / ratio[0]:.2f}{target} (median of the per-round ratios)")
    seconds, characters = char_epoch_seconds(args.char_epochs)
    print(f"character LSTM (H={CHAR_HIDDEN}, windows of {CHAR_WINDOW}, batches of {CHAR_BATCH}): "
          f"{seconds:.1f} s per epoch over {characters:,} characters (median of {args.char_epochs})")
    sys.stdout.flush()


if __name__ == "__main__":
    main(ARGS)
