"""Plotting helpers for the book and the exercises (matplotlib, imported on first use)."""
import numpy as np

CLASS_COLOURS = ("#1f77b4", "#d62728")  # label 0 blue, label 1 red
CLASS_MARKERS = ("o", "^")


def plot_points(ax, X, y, size=40):
    """Scatter 2-D points coloured and shaped by their {0, 1} label."""
    X, y = np.asarray(X), np.asarray(y)
    for label in (0, 1):
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=size, c=CLASS_COLOURS[label],
                   marker=CLASS_MARKERS[label], edgecolors="k", linewidths=0.5,
                   label=f"y = {label}", zorder=3)


def plot_linear_boundary(ax, w, b, xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), arrow=True):
    r"""Shade the half-plane where :math:`\mathbf{w}^\top\mathbf{x} + b \ge 0` (predicted 1),
    draw the boundary line and, optionally, the normal vector ``w`` (from the boundary
    point closest to the origin, when that point is inside the axes).
    """
    w = np.asarray(w, dtype=np.float64)
    xs, ys = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    z = w[0] * xs + w[1] * ys + b
    ax.contourf(xs, ys, (z >= 0).astype(float), levels=[-0.5, 0.5, 1.5],
                colors=[CLASS_COLOURS[0], CLASS_COLOURS[1]], alpha=0.12)
    if z.min() < 0 < z.max():  # the boundary crosses the axes
        ax.contour(xs, ys, z, levels=[0], colors="k", linewidths=1.5)
        foot = -b * w / np.dot(w, w)  # the boundary point closest to the origin
        inside = xlim[0] <= foot[0] <= xlim[1] and ylim[0] <= foot[1] <= ylim[1]
        if arrow and inside:
            step = 0.4 * w / np.linalg.norm(w)
            ax.annotate("", xy=foot + step, xytext=foot,
                        arrowprops=dict(arrowstyle="->", lw=1.5, color="k"))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def plot_classifier(ax, w, b, X, y, title=None, pad=0.5):
    """Points and a linear boundary on one axis, with limits that fit the points."""
    X = np.asarray(X)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    plot_linear_boundary(ax, w, b, xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]))
    plot_points(ax, X, y)
    if title:
        ax.set_title(title)


def plot_mistakes(ax, mistakes, title="Mistakes per epoch"):
    """Bar chart of the number of mistakes the perceptron made in each epoch."""
    epochs = np.arange(1, len(mistakes) + 1)
    ax.bar(epochs, mistakes, color="#555555")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mistakes")
    ax.set_title(title)


def plot_history(axes, history):
    """Training curves: loss on ``axes[0]``, accuracy on ``axes[1]`` (training and, when
    present, validation), one point per epoch."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    for ax, key in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, history[key], label="training")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.legend()


def confusion_matrix(y_true, y_pred, n_classes):
    """Counts ``C[i, j]`` of examples of class ``i`` predicted as ``j``."""
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def plot_confusion_matrix(ax, y_true, y_pred, n_classes):
    """Confusion matrix as an annotated heat map (rows: true class, columns: predicted)."""
    counts = confusion_matrix(y_true, y_pred, n_classes)
    ax.imshow(counts, cmap="Blues")
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(j, i, str(c), ha="center", va="center", fontsize=8,
                    color="white" if c > counts.max() / 2 else "black")
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    return counts


def plot_decision_regions(ax, predict, X, y, pad=0.5, resolution=300):
    """Shade the class that ``predict`` (rows ``(M, 2)`` -> labels ``(M,)``) assigns to each
    point of the plane, and scatter the labelled points on top."""
    X = np.asarray(X)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    labels = np.asarray(predict(np.column_stack([xs.ravel(), ys.ravel()]))).reshape(xs.shape)
    ax.contourf(xs, ys, labels, levels=np.arange(labels.max() + 2) - 0.5, alpha=0.15,
                colors=CLASS_COLOURS if labels.max() <= 1 else None)
    plot_points(ax, X, y)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def plot_layer_histograms(axes, activations, bins=50, value_range=None, colour="#4c72b0"):
    """One histogram per layer: ``activations[l]`` (any shape) on ``axes[l]``.

    Each axis gets the title "layer l" (counting from 1) and the standard deviation of the
    values; the y axis shows the share of values per bin, so layers of different sizes
    compare directly. ``value_range`` fixes the bins' range (default: each array's own).
    """
    for index, (ax, values) in enumerate(zip(axes, activations), start=1):
        values = np.ravel(values)
        weights = np.full(values.shape, 1.0 / max(values.size, 1))
        ax.hist(values, bins=bins, range=value_range, weights=weights, color=colour)
        ax.set_title(f"layer {index}\nstd {values.std():.2g}", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_yticks([])


def plot_per_layer(ax, values, label=None, logy=True, marker="o", **style):
    """A quantity per layer (a norm, a standard deviation) against the layer number 1..L,
    on a logarithmic y axis by default; returns the line."""
    values = np.asarray(values, dtype=np.float64)
    layers = np.arange(1, len(values) + 1)
    (line,) = ax.plot(layers, values, marker=marker, label=label, **style)
    if logy:
        ax.set_yscale("log")
    ax.set_xticks(layers)
    ax.set_xlabel("layer")
    return line
