"""Speed of nnlib's Conv2d against its loop kernels and PyTorch (reported, never asserted).

For each case, one forward + backward pass on float64 28x28 images (3x3 kernel, padding
1, stride 1), median over repeats:

- nnlib ``Conv2d`` (im2col + one matrix product; col2im in the backward pass), with the
  share of its time spent in im2col and col2im;
- the loop kernels ``conv2d_forward_naive`` + ``conv2d_backward_naive`` (the speed-up of
  im2col over them is the ratio reported);
- ``torch.nn.functional.conv2d`` forward + autograd backward in float64 on the CPU, if
  torch is installed, with the same number of threads (target of chapter 6's issue: nnlib
  at most 2x torch's time for N=64, 8 -> 16 channels);
- one epoch of a small CNN on the bundled Fashion-MNIST training split (2,000 images,
  mini-batches of 64, SGD with momentum), the same network from the same initial weights in
  nnlib and in torch, with both validation accuracies after ``--epochs`` epochs.

Threads: BLAS and torch both get ``--threads`` (default 1, as ``make`` sets for tests and
grading); the environment variables are set before numpy is imported.

    .venv/bin/python benchmarks/bench_conv.py [--repeats 20] [--naive-repeats 1] [--threads 1]
                                              [--epochs 2]
"""
import argparse
import sys

from timing import set_blas_threads

CASES = [(32, 1, 8), (32, 8, 16), (64, 8, 16)]  # (N, C, F)
SIZE, KERNEL, PADDING = 28, 3, 1


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--naive-repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the CNN comparison")
    return parser.parse_args()


ARGS = parse() if __name__ == "__main__" else None
if ARGS is not None:  # before numpy loads its BLAS
    set_blas_threads(ARGS.threads)

import numpy as np  # noqa: E402

from nnlib import conv, data, layers, losses, network, optim, train  # noqa: E402
from timing import median_time  # noqa: E402


def nnlib_times(x, dout, layer, repeats):
    """(forward + backward, im2col alone, col2im alone) of the im2col layer."""
    total = median_time(lambda: (layer.forward(x), layer.backward(dout)), repeats)
    cols = conv.im2col(x, KERNEL, 1, PADDING)
    t_im2col = median_time(lambda: conv.im2col(x, KERNEL, 1, PADDING), repeats)
    t_col2im = median_time(lambda: conv.col2im(cols, x.shape, KERNEL, 1, PADDING), repeats)
    return total, t_im2col, t_col2im


def naive_time(x, dout, layer, repeats):
    w, b = layer.params["W"], layer.params["b"]
    return median_time(lambda: (conv.conv2d_forward_naive(x, w, b, 1, PADDING),
                                conv.conv2d_backward_naive(dout, x, w, 1, PADDING)), repeats)


def torch_time(x, dout, layer, repeats, threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(layer.params["W"], requires_grad=True)
    bt = torch.tensor(layer.params["b"], requires_grad=True)
    gt = torch.tensor(dout)

    def step():
        xt.grad = wt.grad = bt.grad = None
        torch.nn.functional.conv2d(xt, wt, bt, padding=PADDING).backward(gt)

    return median_time(step, repeats)


BATCH, LR, MOMENTUM = 64, 0.05, 0.9


def small_cnn():
    """conv 1->8 3x3 pad 1, ReLU, max-pool 2, conv 8->16 3x3 pad 1, ReLU, max-pool 2, dense
    784 -> 10 (8,810 parameters)."""
    return network.Sequential(
        layers.Conv2d(1, 8, 3, padding=1, rng=1), layers.ReLU(), layers.MaxPool2d(2),
        layers.Conv2d(8, 16, 3, padding=1, rng=2), layers.ReLU(), layers.MaxPool2d(2),
        layers.Flatten(), layers.Linear(16 * 7 * 7, 10, rng=3))


def nnlib_epochs(model, split, epochs):
    """Seconds per epoch (median) and the validation accuracy after ``epochs`` epochs."""
    X, y = split["train"]
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    rng = np.random.default_rng(0)

    def epoch():
        for idx in train.iterate_minibatches(len(X), BATCH, rng):
            opt.zero_grad()
            model.backward(losses.softmax_cross_entropy(model.forward(X[idx]), y[idx])[1])
            opt.step()

    seconds = median_time(epoch, epochs - 1) if epochs > 1 else None
    return seconds, train.accuracy(model, *split["val"])


def torch_model(model):
    """The same network in torch, float64, with ``model``'s current weights."""
    import torch
    nn = torch.nn
    twin = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10)).double()
    ours = [layer for layer in model.layers if layer.params]
    theirs = [layer for layer in twin if isinstance(layer, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        for mine, twin_layer in zip(ours, theirs):
            twin_layer.weight.copy_(torch.tensor(mine.params["W"]))
            twin_layer.bias.copy_(torch.tensor(mine.params["b"]))
    return twin


def torch_epochs(model, split, epochs):
    """As :func:`nnlib_epochs`, for the torch twin of ``model`` (same initial weights)."""
    import torch
    twin = torch_model(model)
    opt = torch.optim.SGD(twin.parameters(), lr=LR, momentum=MOMENTUM)
    X, y = (torch.tensor(a) for a in split["train"])
    rng = np.random.default_rng(0)

    def epoch():
        for idx in train.iterate_minibatches(len(X), BATCH, rng):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(twin(X[idx]), y[idx]).backward()
            opt.step()

    seconds = median_time(epoch, epochs - 1) if epochs > 1 else None
    with torch.no_grad():
        X_val, y_val = (torch.tensor(a) for a in split["val"])
        return seconds, float((twin(X_val).argmax(1) == y_val).double().mean())


def report_cnn_epoch(args):
    split = data.fashion_mnist_split(rng=0)
    model = small_cnn()
    try:
        import torch
        torch.set_num_threads(args.threads)
        theirs = torch_epochs(model, split, args.epochs)  # before nnlib trains `model`
    except ImportError:
        theirs = None
    ours = nnlib_epochs(model, split, args.epochs)
    print(f"Small CNN on Fashion-MNIST ({len(split['train'][0])} training images, batch {BATCH}, "
          f"SGD lr {LR} momentum {MOMENTUM}), median epoch of {args.epochs - 1} after a first one:")
    print(f"    nnlib: {ours[0]:6.2f} s per epoch, validation accuracy {ours[1]:.3f}")
    if theirs is None:
        print("    torch: not installed")
    else:
        print(f"    torch: {theirs[0]:6.2f} s per epoch, validation accuracy {theirs[1]:.3f}"
              f"  -> nnlib / torch = {ours[0] / theirs[0]:.2f}")


def main(args):
    rng = np.random.default_rng(0)
    print(f"Conv2d forward + backward, float64, {SIZE}x{SIZE} images, {KERNEL}x{KERNEL} kernel, "
          f"padding {PADDING}; {args.threads} thread(s); median of {args.repeats} "
          f"(loops: {args.naive_repeats})")
    for N, C, F in CASES:
        layer = layers.Conv2d(C, F, KERNEL, padding=PADDING, rng=1)
        x, dout = rng.normal(size=(N, C, SIZE, SIZE)), rng.normal(size=(N, F, SIZE, SIZE))
        fast, t_im2col, t_col2im = nnlib_times(x, dout, layer, args.repeats)
        loops = naive_time(x, dout, layer, args.naive_repeats)
        ref = torch_time(x, dout, layer, args.repeats, args.threads)
        print(f"N={N}, {C} -> {F} channels:")
        print(f"    nnlib Conv2d (im2col): {fast * 1e3:8.1f} ms  (im2col {t_im2col * 1e3:.1f} ms, "
              f"col2im {t_col2im * 1e3:.1f} ms)")
        print(f"    loop kernels:          {loops * 1e3:8.1f} ms  -> im2col is {loops / fast:.0f}x faster")
        if ref is None:
            print("    torch: not installed")
        else:
            print(f"    torch conv2d:          {ref * 1e3:8.1f} ms  -> nnlib / torch = {fast / ref:.2f}"
                  + ("  (target <= 2)" if (N, C, F) == (64, 8, 16) else ""))
    report_cnn_epoch(args)
    sys.stdout.flush()


if __name__ == "__main__":
    main(ARGS)
