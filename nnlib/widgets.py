"""Interactive explorations (ipywidgets) that degrade to a picture where no kernel runs.

Each explorer is a ``VBox`` whose display bundle carries, next to the live widget, a PNG
of its current state. Jupyter shows the live widget; a static page (the built book, a
notebook viewer) shows the PNG.
"""
import base64
import io

import ipywidgets as widgets
import numpy as np

from .perceptron import Perceptron
from .plotting import plot_classifier


class SnapshotBox(widgets.VBox):
    """A ``VBox`` that also offers a PNG of ``draw(fig)`` for static renderers."""

    def __init__(self, children, draw, figsize=(4.5, 4.5)):
        super().__init__(children)
        self._draw = draw
        self._figsize = figsize

    def snapshot_png(self):
        """The current state rendered as PNG bytes."""
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=self._figsize)
        try:
            self._draw(fig)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
        finally:
            plt.close(fig)
        return buf.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.snapshot_png()).decode("ascii")
        return bundle


def boundary_explorer(X, y, w=(1.0, 1.0), b=-1.5, limit=3.0):
    """Sliders for ``w1``, ``w2`` and ``b`` that move a perceptron's decision boundary.

    Parameters
    ----------
    X : array_like, shape (N, 2)
    y : array_like of {0, 1}, shape (N,)
    w : pair of float
        Starting weights.
    b : float
        Starting bias.
    limit : float
        Each slider ranges over [-limit, limit].

    Returns
    -------
    SnapshotBox
        Display it; the title reports how many points the current line misclassifies.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    sliders = [widgets.FloatSlider(value=v, min=-limit, max=limit, step=0.1, description=d,
                                   continuous_update=True)
               for v, d in ((w[0], "w1"), (w[1], "w2"), (b, "b"))]

    def draw(fig):
        w_now = np.array([sliders[0].value, sliders[1].value])
        unit = Perceptron(2)
        unit.w, unit.b = w_now, sliders[2].value
        wrong = int(np.sum(unit.predict(X) != y))
        plot_classifier(fig.add_subplot(), w_now, unit.b, X, y,
                        title=f"w = ({w_now[0]:.1f}, {w_now[1]:.1f}), b = {unit.b:.1f}: "
                              f"{wrong} of {len(y)} wrong")

    picture = widgets.Image(format="png")
    box = SnapshotBox([widgets.HBox(sliders), picture], draw)

    def redraw(_change=None):
        picture.value = box.snapshot_png()

    for slider in sliders:
        slider.observe(redraw, names="value")
    redraw()
    return box


def choice_explorer(choices, draw, figsize=(4.5, 4.5)):
    """Sliders over a few fixed values each, redrawing one picture.

    Meant for results computed in advance (one training run per combination), so that
    moving a slider only redraws.

    Parameters
    ----------
    choices : dict
        ``{description: (options, start)}``: one ``SelectionSlider`` per entry, over the
        sequence ``options``, starting at ``start``.
    draw : callable
        ``draw(fig, values)`` with ``values = {description: current option}``; draws on
        the empty matplotlib figure ``fig``.
    figsize : pair of float

    Returns
    -------
    SnapshotBox
        Sliders in a row above the picture; a static page shows the starting picture.
    """
    sliders = {name: widgets.SelectionSlider(options=list(options), value=start,
                                             description=name, continuous_update=False)
               for name, (options, start) in choices.items()}
    picture = widgets.Image(format="png")
    box = SnapshotBox([widgets.HBox(list(sliders.values())), picture],
                      lambda fig: draw(fig, {n: s.value for n, s in sliders.items()}),
                      figsize=figsize)

    def redraw(_change=None):
        picture.value = box.snapshot_png()

    for slider in sliders.values():
        slider.observe(redraw, names="value")
    redraw()
    return box


CONV_KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "blur (3x3 mean)": [[1 / 9] * 3] * 3,
    "vertical edges (Sobel)": [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "horizontal edges (Sobel)": [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "sharpen": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
}


def conv_output(image, kernel, stride, padding):
    """The feature map of one grey ``image`` (H, W) under one ``kernel`` (kh, kw), no bias,
    as ``Conv2d`` computes it (a cross-correlation); a ValueError if the sizes do not fit."""
    from .conv import conv2d_forward_naive

    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    return conv2d_forward_naive(image[None, None], kernel[None, None], np.zeros(1),
                                stride, padding)[0, 0]


def conv_explorer(images, kernels=None, strides=(1, 2, 3), paddings=(0, 1, 2)):
    """A kernel, a stride and a padding applied to a real image, with the feature map.

    Parameters
    ----------
    images : dict
        ``{name: (H, W) array}``: the images to choose from.
    kernels : dict or None
        ``{name: (kh, kw) array}``; default :data:`CONV_KERNELS`. A last choice, "hand-set",
        uses the 3x3 grid of number boxes below the menus.
    strides, paddings : sequence of int
        The values the two sliders offer.

    Returns
    -------
    SnapshotBox
        Menus and sliders, the 3x3 boxes, then the picture: the padded input, the kernel
        (on a symmetric colour scale) and the output, whose title gives its shape, or the
        ``ValueError`` when the stride does not divide :math:`H + 2P - K`.
    """
    kernels = dict(CONV_KERNELS if kernels is None else kernels)
    image_menu = widgets.Dropdown(options=list(images), description="image")
    kernel_menu = widgets.Dropdown(options=[*kernels, "hand-set"], description="kernel")
    stride = widgets.SelectionSlider(options=list(strides), value=strides[0], description="stride")
    padding = widgets.SelectionSlider(options=list(paddings), value=paddings[0],
                                      description="padding")
    boxes = [widgets.FloatText(value=1.0 if k == 4 else 0.0, layout={"width": "70px"})
             for k in range(9)]
    hand = widgets.GridBox(boxes, layout={"grid_template_columns": "repeat(3, 75px)"})

    def current_kernel():
        if kernel_menu.value == "hand-set":
            return np.array([b.value for b in boxes]).reshape(3, 3)
        return np.asarray(kernels[kernel_menu.value], dtype=np.float64)

    def draw(fig):
        image, kernel = np.asarray(images[image_menu.value], dtype=np.float64), current_kernel()
        P, S = padding.value, stride.value
        ax_in, ax_k, ax_out = (fig.add_subplot(1, 3, k) for k in (1, 2, 3))
        ax_in.imshow(np.pad(image, P), cmap="gray_r")
        ax_in.set_title(f"input {image.shape[0]}x{image.shape[1]}, padding {P}", fontsize=9)
        m = float(np.abs(kernel).max()) or 1.0
        ax_k.imshow(kernel, cmap="RdBu_r", vmin=-m, vmax=m)
        for (i, j), v in np.ndenumerate(kernel):
            ax_k.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=8)
        ax_k.set_title(f"kernel: {kernel_menu.value}", fontsize=9)
        try:
            out = conv_output(image, kernel, S, P)
        except ValueError as error:
            ax_out.text(0.5, 0.5, str(error).split(": ", 1)[1], wrap=True, ha="center",
                        va="center", fontsize=7, transform=ax_out.transAxes)
            ax_out.set_title(f"stride {S}: ValueError", fontsize=9)
        else:
            ax_out.imshow(out, cmap="RdBu_r", vmin=-np.abs(out).max(), vmax=np.abs(out).max())
            ax_out.set_title(f"output {out.shape[0]}x{out.shape[1]}, stride {S}", fontsize=9)
        for ax in (ax_in, ax_k, ax_out):
            ax.set_xticks([])
            ax.set_yticks([])

    picture = widgets.Image(format="png")
    box = SnapshotBox([widgets.HBox([image_menu, kernel_menu]), widgets.HBox([stride, padding]),
                       hand, picture], draw, figsize=(10, 3.6))

    def redraw(_change=None):
        picture.value = box.snapshot_png()

    for control in (image_menu, kernel_menu, stride, padding, *boxes):
        control.observe(redraw, names="value")
    redraw()
    return box
