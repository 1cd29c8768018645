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
