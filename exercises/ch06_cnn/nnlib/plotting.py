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


def _panels(axes_or_fig, count, ncols):
    """``count`` axes: the first ``count`` of an array of axes (any extra ones are hidden),
    or a new grid of ``ceil(count / ncols)`` rows on a figure."""
    if hasattr(axes_or_fig, "add_subplot"):
        nrows = -(-count // ncols)
        axes = [axes_or_fig.add_subplot(nrows, ncols, k + 1) for k in range(count)]
    else:
        axes = list(np.ravel(axes_or_fig))
        if len(axes) < count:
            raise ValueError(f"need at least {count} axes to draw {count} panels; got {len(axes)}")
        for ax in axes[count:]:
            ax.set_axis_off()
    for ax in axes[:count]:
        ax.set_xticks([])
        ax.set_yticks([])
    return axes[:count]


def plot_filters(axes_or_fig, W, ncols=None, cmap="RdBu_r"):
    """A grid of convolution filters, one panel per filter and input channel.

    Parameters
    ----------
    axes_or_fig : matplotlib Figure or array of Axes
        A figure gets a new grid; with axes, panel ``f * C + c`` is drawn on the
        ``f * C + c``-th axis (row-major) and extra axes are hidden.
    W : array_like, shape (F, C, kh, kw)
        A filter bank, e.g. ``Conv2d.params["W"]``.
    ncols : int or None
        Columns of a new grid; default ``C`` when ``C > 1`` (one row per filter), else
        ``min(F, 8)``.
    cmap : str
        A diverging colour map: white is 0.

    Returns
    -------
    list of AxesImage
        One per panel. All share the colour scale ``[-m, m]`` with ``m = max |W|``, so
        colours compare across filters and 0 sits in the middle.
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 4:
        raise ValueError(f"plot_filters: W must have shape (F, C, kh, kw); got {W.shape}")
    F, C = W.shape[:2]
    axes = _panels(axes_or_fig, F * C, ncols or (C if C > 1 else min(F, 8)))
    m = float(np.abs(W).max()) or 1.0
    return [ax.imshow(W[k // C, k % C], cmap=cmap, vmin=-m, vmax=m)
            for k, ax in enumerate(axes)]


def plot_feature_maps(axes_or_fig, maps, ncols=8, cmap="viridis", titles=None):
    """One image's feature maps (the channels of a layer's output), one panel each.

    Parameters
    ----------
    axes_or_fig : matplotlib Figure or array of Axes
        As in :func:`plot_filters`.
    maps : array_like, shape (C, H, W)
        E.g. ``layer.forward(x)[n]``.
    ncols : int
        Columns of a new grid.
    cmap : str
    titles : sequence of str or None
        One per channel; default "channel c".

    Returns
    -------
    list of AxesImage
        One per channel, all on the common colour scale ``[min, max]`` of ``maps``.
    """
    maps = np.asarray(maps, dtype=np.float64)
    if maps.ndim != 3:
        raise ValueError(f"plot_feature_maps: maps must have shape (C, H, W); got {maps.shape}")
    axes = _panels(axes_or_fig, len(maps), min(ncols, len(maps)))
    lo, hi = float(maps.min()), float(maps.max())
    images = []
    for c, ax in enumerate(axes):
        images.append(ax.imshow(maps[c], cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1))
        ax.set_title(titles[c] if titles is not None else f"channel {c}", fontsize=8)
    return images


def _node(ax, xy, text, colour):
    """A rounded box with a TeX label, centred at ``xy``."""
    ax.text(*xy, text, ha="center", va="center", fontsize=11, zorder=3,
            bbox=dict(boxstyle="round,pad=0.35", fc=colour, ec="0.3"))


def _edge(ax, start, end, label=None, offset=(0.12, 0.0), style="-|>", rad=0.0):
    """An arrow from ``start`` to ``end``, its label beside its middle."""
    ax.annotate("", xy=end, xytext=start, zorder=2,
                arrowprops=dict(arrowstyle=style, color="0.25", lw=1.2, shrinkA=13,
                                shrinkB=13, connectionstyle=f"arc3,rad={rad}"))
    if label:
        mid = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(*mid, label, fontsize=9, color="C3", ha="left", va="center")


def plot_unrolled_rnn(ax, steps=4):
    r"""A recurrent network drawn folded (a loop through :math:`W_{hh}`) and unrolled for
    ``steps`` time steps (chapter 7): inputs :math:`x_t` below, states :math:`h_t` in the
    middle, outputs :math:`o_t` above, the same weight names on every copy."""
    colours = {"x": "#dbe9f6", "h": "#fde2c4", "o": "#d9f0d3"}
    rows = {"x": 0.0, "h": 1.0, "o": 2.0}
    _node(ax, (0, rows["x"]), r"$x_t$", colours["x"])
    _node(ax, (0, rows["h"]), r"$h_t$", colours["h"])
    _node(ax, (0, rows["o"]), r"$o_t$", colours["o"])
    _edge(ax, (0, rows["x"]), (0, rows["h"]), r"$W_{xh}$")
    _edge(ax, (0, rows["h"]), (0, rows["o"]), r"$W_{hy}$")
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch((-0.15, rows["h"] + 0.16), (-0.15, rows["h"] - 0.16),
                                 connectionstyle="arc3,rad=2.6", arrowstyle="-|>",
                                 mutation_scale=12, color="0.25", lw=1.2))
    ax.text(-0.9, rows["h"], r"$W_{hh}$", fontsize=9, color="C3", ha="center",
            va="center")
    ax.text(0.95, rows["h"], "=", fontsize=20, ha="center", va="center")
    left = 2.2
    _node(ax, (left - 0.9, rows["h"]), r"$h_0$", colours["h"])
    for t in range(1, steps + 1):
        col = left + 1.25 * (t - 1)
        _node(ax, (col, rows["x"]), f"$x_{t}$", colours["x"])
        _node(ax, (col, rows["h"]), f"$h_{t}$", colours["h"])
        _node(ax, (col, rows["o"]), f"$o_{t}$", colours["o"])
        _edge(ax, (col, rows["x"]), (col, rows["h"]), r"$W_{xh}$")
        _edge(ax, (col, rows["h"]), (col, rows["o"]), r"$W_{hy}$")
        prev = left - 0.9 if t == 1 else col - 1.25
        _edge(ax, (prev, rows["h"]), (col, rows["h"]), r"$W_{hh}$", offset=(-0.3, 0.17))
    ax.set_xlim(-1.1, left + 1.25 * (steps - 1) + 0.5)
    ax.set_ylim(-0.3, 2.3)
    ax.set_axis_off()
    ax.set_title("A recurrent network, folded (left) and unrolled in time (right): every "
                 "copy shares $W_{xh}$, $W_{hh}$, $W_{hy}$", fontsize=10)
