"""Interactive explorations (ipywidgets) that also move where no kernel runs.

An explorer built with :func:`choice_explorer` draws one picture per combination of its
sliders in advance and switches between them in the browser (``jslink`` from each slider
to a ``Stack`` of pictures), so it moves in Jupyter *and* in the built book, whose pages
embed the widget state and serve the widget manager themselves. Every explorer is a
``SnapshotBox``: its display bundle also carries a PNG of the current state, which
renderers without JavaScript (print, a notebook viewer) show instead.
"""
import base64
import io
import itertools
import math

import ipywidgets as widgets
import numpy as np

from .perceptron import Perceptron
from .plotting import plot_classifier

MAX_FRAMES = 200  # pictures one choice_explorer may embed (each is a PNG in the page)


def render_png(draw, figsize, dpi=90, tight=True):
    """PNG bytes of ``draw(fig)`` on a new matplotlib figure of ``figsize`` inches; with
    ``tight`` False the picture keeps the figure's size (frames of one explorer line up),
    and matplotlib draws it once instead of twice."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize, layout=None if tight else "constrained")
    try:
        draw(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    finally:
        plt.close(fig)
    return buf.getvalue()


class SnapshotBox(widgets.VBox):
    """A ``VBox`` that also offers a PNG of ``draw(fig)`` for static renderers."""

    def __init__(self, children, draw, figsize=(4.5, 4.5)):
        super().__init__(children)
        self._draw = draw
        self._figsize = figsize

    def snapshot_png(self):
        """The current state rendered as PNG bytes."""
        return render_png(self._draw, self._figsize)

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.snapshot_png()).decode("ascii")
        return bundle


WEIGHT_STEPS = (-1.0, 0.0, 1.0, 2.0)
BIAS_STEPS = (-2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5)


def boundary_explorer(X, y, w=(1.0, 1.0), b=-1.5, weights=WEIGHT_STEPS, biases=BIAS_STEPS):
    """Sliders for ``w1``, ``w2`` and ``b`` that move a perceptron's decision boundary.

    Parameters
    ----------
    X : array_like, shape (N, 2)
    y : array_like of {0, 1}, shape (N,)
    w : pair of float
        Starting weights, each one of ``weights``.
    b : float
        Starting bias, one of ``biases``.
    weights, biases : sequence of float
        The values the sliders offer (every combination is drawn in advance, see
        :func:`choice_explorer`).

    Returns
    -------
    SnapshotBox
        Display it; the title reports how many points the current line misclassifies.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)

    def draw(fig, values):
        unit = Perceptron(2)
        unit.w, unit.b = np.array([values["w1"], values["w2"]]), values["b"]
        wrong = int(np.sum(unit.predict(X) != y))
        plot_classifier(fig.add_subplot(), unit.w, unit.b, X, y,
                        title=f"w = ({unit.w[0]:.1f}, {unit.w[1]:.1f}), b = {unit.b:.1f}: "
                              f"{wrong} of {len(y)} wrong")

    return choice_explorer({"w1": (weights, w[0]), "w2": (weights, w[1]), "b": (biases, b)},
                           draw, figsize=(3.6, 3.6), dpi=72)


def choice_explorer(choices, draw, figsize=(4.5, 4.5), dpi=72):
    """Sliders over a few fixed values each, with a picture drawn in advance for every
    combination, switched by the browser.

    Parameters
    ----------
    choices : dict
        ``{description: (options, start)}``: one ``SelectionSlider`` per entry, over the
        sequence ``options``, starting at ``start``.
    draw : callable
        ``draw(fig, values)`` with ``values = {description: option}``; draws on the empty
        matplotlib figure ``fig``. It is called once per combination, when the explorer is
        made, so it may do real work (a training run per combination).
    figsize : pair of float
    dpi : int
        Resolution of the embedded pictures.

    Returns
    -------
    SnapshotBox
        Sliders in a row above the picture. Each slider's position is linked in the
        browser (``jslink``) to a ``Stack`` of pictures, one level of nesting per slider,
        so moving it needs no kernel: the explorer works in the static book. Its
        ``links`` attribute lists those links.

    Raises
    ------
    ValueError
        If a start is not one of its options, or the combinations exceed
        :data:`MAX_FRAMES` (each one is a picture in the page).
    """
    names = list(choices)
    options = [list(choices[name][0]) for name in names]
    for name, opts in zip(names, options):
        if choices[name][1] not in opts:
            raise ValueError(f"choice_explorer: the start {choices[name][1]!r} of {name!r} is "
                             f"not one of its options {opts}")
    if math.prod(len(o) for o in options) > MAX_FRAMES:
        raise ValueError(f"choice_explorer: {' x '.join(str(len(o)) for o in options)} "
                         f"combinations; at most {MAX_FRAMES} pictures can be embedded")
    sliders = [widgets.SelectionSlider(options=opts, value=choices[name][1], description=name)
               for name, opts in zip(names, options)]
    pictures = {combo: widgets.Image(value=render_png(
                    lambda fig, combo=combo: draw(fig, dict(zip(names, combo))), figsize, dpi,
                    tight=False),
                    format="png")
                for combo in itertools.product(*options)}
    links = []
    box = SnapshotBox([widgets.HBox(sliders), _linked_stack(sliders, options, pictures, (), links)],
                      lambda fig: draw(fig, {n: s.value for n, s in zip(names, sliders)}),
                      figsize=figsize)
    box.links = links
    return box


def _linked_stack(sliders, options, pictures, chosen, links):
    """The pictures whose first ``len(chosen)`` options are ``chosen``, as nested Stacks:
    one level per remaining slider, each level's ``selected_index`` linked to its slider
    (the links are appended to ``links``)."""
    if len(chosen) == len(sliders):
        return pictures[chosen]
    level = len(chosen)
    stack = widgets.Stack([_linked_stack(sliders, options, pictures, chosen + (option,), links)
                           for option in options[level]], selected_index=sliders[level].index)
    links.append(widgets.jslink((sliders[level], "index"), (stack, "selected_index")))
    return stack


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


def draw_convolution(fig, image, kernel, stride, padding, name="kernel"):
    """Three panels on ``fig``: the padded ``image`` (H, W), the ``kernel`` (kh, kw) with its
    numbers, on a symmetric colour scale, and the feature map :func:`conv_output` gives
    (red positive, blue negative). The third panel's title gives the map's shape; when the
    stride does not divide :math:`H + 2P - K` it shows nnlib's ``ValueError`` instead."""
    image, kernel = np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    ax_in, ax_k, ax_out = (fig.add_subplot(1, 3, k) for k in (1, 2, 3))
    ax_in.imshow(np.pad(image, padding), cmap="gray_r")
    ax_in.set_title(f"input {image.shape[0]}x{image.shape[1]}, padding {padding}", fontsize=9)
    m = float(np.abs(kernel).max()) or 1.0
    ax_k.imshow(kernel, cmap="RdBu_r", vmin=-m, vmax=m)
    for (i, j), v in np.ndenumerate(kernel):
        ax_k.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=8)
    ax_k.set_title(f"kernel: {name}", fontsize=9)
    try:
        out = conv_output(image, kernel, stride, padding)
    except ValueError as error:
        ax_out.text(0.5, 0.5, str(error).split(": ", 1)[1], wrap=True, ha="center",
                    va="center", fontsize=7, transform=ax_out.transAxes)
        ax_out.set_title(f"stride {stride}: ValueError", fontsize=9)
    else:
        m = float(np.abs(out).max()) or 1.0
        ax_out.imshow(out, cmap="RdBu_r", vmin=-m, vmax=m)
        ax_out.set_title(f"output {out.shape[0]}x{out.shape[1]}, stride {stride}", fontsize=9)
    for ax in (ax_in, ax_k, ax_out):
        ax.set_xticks([])
        ax.set_yticks([])


def conv_explorer(image, kernels=None, strides=(1, 2, 3), paddings=(0, 1), start=None,
                  figsize=(8.4, 3.0), dpi=60):
    """Sliders for a kernel, a stride and a padding applied to a real image, with the
    feature map; a :func:`choice_explorer`, so it moves in the built book too.

    Parameters
    ----------
    image : array_like, shape (H, W)
        One grey image.
    kernels : dict or None
        ``{name: (kh, kw) array}``; default :data:`CONV_KERNELS`.
    strides, paddings : sequence of int
        The values the two sliders offer.
    start : str or None
        The kernel shown first (default: the first of ``kernels``).
    figsize, dpi
        Of each picture; every combination of kernel, stride and padding is drawn in
        advance (:func:`draw_convolution`).

    Returns
    -------
    SnapshotBox
    """
    kernels = dict(CONV_KERNELS if kernels is None else kernels)

    def draw(fig, values):
        draw_convolution(fig, image, kernels[values["kernel"]], values["stride"],
                         values["padding"], values["kernel"])

    return choice_explorer({"kernel": (list(kernels), start or next(iter(kernels))),
                            "stride": (strides, strides[0]),
                            "padding": (paddings, paddings[0])},
                           draw, figsize=figsize, dpi=dpi)
