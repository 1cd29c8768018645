"""nnlib.widgets and nnlib.plotting: explorers react to their sliders and carry a static
snapshot; plots draw without warnings; the confusion matrix counts by hand."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from nnlib.data import logic_gate  # noqa: E402
from nnlib.widgets import boundary_explorer  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
FEW = {"weights": (-2.0, 1.0), "biases": (-1.5, 0.5)}  # 8 pictures: a quick explorer


def sliders(box):
    return {s.description: s for s in box.children[0].children}


def title_after(box):
    fig = plt.figure()
    box._draw(fig)
    title = fig.axes[0].get_title()
    plt.close(fig)
    return title


def test_bundle_offers_live_widget_and_png_snapshot():
    import base64

    box = boundary_explorer(*logic_gate("and"), w=(1.0, 1.0), **FEW)
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"])[:8] == PNG


def test_sliders_move_the_boundary_and_the_error_count():
    box = boundary_explorer(*logic_gate("and"), w=(1.0, 1.0), b=-1.5, **FEW)
    assert title_after(box).endswith("0 of 4 wrong")
    before = box.snapshot_png()
    sliders(box)["b"].value = 0.5  # every input now lands on the "1" side
    assert title_after(box).endswith("3 of 4 wrong")
    assert box.snapshot_png() != before


def shown(box):
    """The picture the explorer's stacks currently select."""
    widget = box.children[1]
    while hasattr(widget, "selected_index"):
        widget = widget.children[widget.selected_index]
    return widget.value


def test_each_slider_setting_has_its_own_picture():
    box = boundary_explorer(*logic_gate("or"), w=(1.0, 1.0), **FEW)
    before = shown(box)
    assert before[:8] == PNG
    stack = box.children[1]
    stack.selected_index = 0                      # what jslink does when w1 moves to -2
    assert shown(box)[:8] == PNG and shown(box) != before


def test_boundary_plot_handles_lines_outside_the_axes_without_warnings(recwarn):
    from nnlib.plotting import plot_linear_boundary

    fig, ax = plt.subplots()
    plot_linear_boundary(ax, [1.0, 0.0], 10.0)  # boundary x1 = -10, far off the axes
    plot_linear_boundary(ax, [0.0, 0.0], 1.0)   # no boundary at all
    plot_linear_boundary(ax, [1.0, 1.0], -0.5)
    plt.close(fig)
    assert len(recwarn) == 0, [str(w.message) for w in recwarn]
    assert len(ax.patches) + len(ax.texts) == 1  # one normal arrow, for the visible line


def test_confusion_matrix_counts_by_hand():
    from nnlib.plotting import confusion_matrix, plot_confusion_matrix

    counts = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], 3)
    assert counts.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    fig, ax = plt.subplots()
    assert plot_confusion_matrix(ax, [0, 1], [1, 1], 2).tolist() == [[0, 1], [0, 1]]
    plt.close(fig)


def test_history_and_region_plots_draw_without_warnings(recwarn):
    from nnlib.plotting import plot_decision_regions, plot_history

    fig, axes = plt.subplots(1, 3)
    plot_history(axes[:2], {"loss": [1.0, 0.5], "accuracy": [0.5, 0.9],
                            "val_loss": [1.1, 0.6], "val_accuracy": [0.4, 0.8]})
    X, y = logic_gate("xor")
    plot_decision_regions(axes[2], lambda P: (P[:, 0] > 0.5).astype(int), X, y)
    assert len(axes[0].lines) == 2 and len(axes[1].lines) == 2
    assert len(axes[2].collections) >= 3  # filled regions and one scatter per class
    plt.close(fig)
    assert len(recwarn) == 0, [str(w.message) for w in recwarn]


def test_choice_explorer_draws_every_combination_and_links_sliders_to_stacks():
    import base64

    import ipywidgets as widgets

    from nnlib.widgets import choice_explorer

    seen = []

    def draw(fig, values):
        seen.append(dict(values))
        fig.add_subplot().set_title(f"{values['a']} {values['b']}")

    box = choice_explorer({"a": ((1, 2, 3), 2), "b": (("x", "y"), "y")}, draw)
    assert sorted((v["a"], v["b"]) for v in seen) == [(a, b) for a in (1, 2, 3) for b in "xy"]
    outer = box.children[1]                      # one level per slider: a by b
    assert isinstance(outer, widgets.Stack) and len(outer.children) == 3
    assert all(isinstance(inner, widgets.Stack) and len(inner.children) == 2
               for inner in outer.children)
    pictures = [p.value for inner in outer.children for p in inner.children]
    assert all(p[:8] == PNG for p in pictures) and len(set(pictures)) == 6
    assert outer.selected_index == 1 and outer.children[1].selected_index == 1  # a=2, b="y"
    links = [(*link.source, *link.target) for link in box.links]
    a, b = sliders(box)["a"], sliders(box)["b"]
    assert (a, "index", outer, "selected_index") in links
    assert all((b, "index", inner, "selected_index") in links for inner in outer.children)
    a.value = 3                                  # the snapshot follows the sliders
    assert title_after(box) == "3 y"
    bundle = box._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"])[:8] == PNG


def test_choice_explorer_refuses_more_pictures_than_a_page_should_embed():
    import pytest

    from nnlib.widgets import MAX_FRAMES, choice_explorer

    with pytest.raises(ValueError, match=f"at most {MAX_FRAMES} pictures"):
        choice_explorer({"a": (range(MAX_FRAMES), 0), "b": ((0, 1), 0)},
                        lambda fig, values: None)


def test_layer_plots_draw_one_histogram_per_layer_and_a_line(recwarn):
    import numpy as np

    from nnlib.plotting import plot_layer_histograms, plot_per_layer

    rng = np.random.default_rng(0)
    acts = [rng.uniform(-s, s, size=(50, 8)) for s in (2.0, 1.0, 0.5)]
    fig, axes = plt.subplots(1, 4)
    plot_layer_histograms(axes[:3], acts, bins=10, value_range=(-3, 3))
    assert [ax.get_title().splitlines()[0] for ax in axes[:3]] == ["layer 1", "layer 2", "layer 3"]
    assert all(len(ax.patches) == 10 for ax in axes[:3])
    heights = [p.get_height() for p in axes[0].patches]
    assert abs(sum(heights) - 1.0) < 1e-12           # shares of the values in range
    line = plot_per_layer(axes[3], [1.0, 0.1, 0.01], label="norm")
    assert list(line.get_xdata()) == [1, 2, 3] and axes[3].get_yscale() == "log"
    plt.close(fig)
    assert len(recwarn) == 0, [str(w.message) for w in recwarn]


def test_plot_filters_draws_each_filter_channel_on_one_symmetric_scale():
    import numpy as np

    from nnlib.plotting import plot_filters

    W = np.random.default_rng(0).normal(size=(4, 2, 3, 3))
    W[2, 1, 0, 0] = -5.0                              # the largest magnitude, negative
    fig = plt.figure()
    images = plot_filters(fig, W)
    assert len(fig.axes) == 8 and len(images) == 8    # one panel per (filter, channel)
    for k, im in enumerate(images):
        assert np.array_equal(im.get_array(), W[k // 2, k % 2])
        assert im.get_clim() == (-5.0, 5.0)
    plt.close(fig)
    fig, axes = plt.subplots(3, 4)                    # 12 axes for 8 panels
    plot_filters(axes, W)
    assert sum(ax.axison for ax in axes.ravel()) == 8
    plt.close(fig)


def test_plot_feature_maps_shows_every_channel_on_a_common_scale():
    import numpy as np
    import pytest

    from nnlib.plotting import plot_feature_maps

    maps = np.arange(5 * 4 * 6, dtype=float).reshape(5, 4, 6)
    fig = plt.figure()
    images = plot_feature_maps(fig, maps, ncols=3)
    assert len(fig.axes) == 5
    assert [ax.get_title() for ax in fig.axes] == [f"channel {c}" for c in range(5)]
    for c, im in enumerate(images):
        assert np.array_equal(im.get_array(), maps[c])
        assert im.get_clim() == (0.0, maps.max())
    plt.close(fig)
    with pytest.raises(ValueError, match="C, H, W"):
        plot_feature_maps(plt.figure(), maps[0])
    plt.close("all")


def test_conv_explorer_shows_the_true_feature_map_and_the_stride_error():
    import numpy as np

    from nnlib.widgets import CONV_KERNELS, conv_explorer

    image = np.random.default_rng(1).random((10, 13))
    kernels = {**CONV_KERNELS, "hand-set": [[0, 0, 0], [0, 0, 2], [0, 0, 0]]}
    box = conv_explorer(image, kernels, strides=(1, 2, 3), paddings=(0, 1))
    assert len(box.children[1].children) == len(kernels)     # one frame stack per kernel
    controls = sliders(box)

    def output_panel():
        fig = plt.figure()
        box._draw(fig)
        ax = fig.axes[2]
        result = (ax.get_title(), ax.images[0].get_array().copy() if ax.images else None)
        plt.close(fig)
        return result

    title, out = output_panel()                       # identity kernel, stride 1, no padding
    assert title == "output 8x11, stride 1" and np.array_equal(out, image[1:-1, 1:-1])
    controls["kernel"].value = "vertical edges (Sobel)"
    controls["padding"].value = 1
    _, out = output_panel()
    x = np.pad(image, 1)
    expected = (x[:-2, :-2] + 2 * x[1:-1, :-2] + x[2:, :-2]) \
        - (x[:-2, 2:] + 2 * x[1:-1, 2:] + x[2:, 2:])  # cross-correlation: no flip
    assert np.allclose(out, expected)
    controls["stride"].value = 3                      # 9 and 12 rows/columns: divide
    assert output_panel()[0] == "output 4x5, stride 3"
    controls["stride"].value = 2                      # 9 is odd: nnlib refuses
    title, out = output_panel()
    assert title == "stride 2: ValueError" and out is None
    controls["stride"].value, controls["kernel"].value = 1, "hand-set"
    _, out = output_panel()
    assert np.allclose(out, 2 * x[1:-1, 2:])          # picks the right neighbour, twice
