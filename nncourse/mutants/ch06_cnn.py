"""Plausible mistakes in chapter 6's loop kernels (convolution and max pooling) and in the
vectorised Conv2d and MaxPool2d layers."""
from . import Mutant

CONV = "conv.conv2d_forward_naive"
CONV_BACK = "conv.conv2d_backward_naive"
POOL = "conv.maxpool2d_forward_naive"
POOL_BACK = "conv.maxpool2d_backward_naive"
LAYER = "layers.Conv2d.forward"
LAYER_BACK = "layers.Conv2d.backward"
MAXPOOL = "layers.MaxPool2d.forward"
MAXPOOL_BACK = "layers.MaxPool2d.backward"

# A col2im written by hand with an assignment: where windows overlap, a pixel keeps the
# gradient of one window only.
_OVERWRITE = """N, C, H, W = {shape}
        P = {padding}
        padded = np.zeros((N, C, H + 2 * P, W + 2 * P))
        index = _conv.im2col(np.arange(padded.size).reshape(padded.shape), self.kernel_size, self.stride)
        padded.reshape(-1)[index.reshape(-1)] = {cols}.reshape(-1)
        return {result}"""

MUTANTS = [
    # conv2d_forward_naive
    Mutant(CONV, "kernel-flipped", "np.sum(window * w[f])", "np.sum(window * w[f, :, ::-1, ::-1])",
           "Frameworks' 'convolution' is a cross-correlation: the kernel is laid on the window as it "
           "is, w[f, c, p, q] times the pixel at (i S + p, j S + q), without flipping it (a flipped "
           "kernel is the mathematician's convolution)."),
    Mutant(CONV, "output-size-off-by-one", "h_out = (height + 2 * padding - kh) // stride + 1",
           "h_out = (height + 2 * padding - kh) // stride",
           "Count the window positions: the first window starts at row 0 and the last at row "
           "H + 2P - kh, every S rows, so there are (H + 2P - kh)/S + 1 of them (likewise columns)."),
    Mutant(CONV, "stride-ignored",
           "window = x_pad[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]",
           "window = x_pad[n, :, i:i + kh, j:j + kw]",
           "The window of output (i, j) starts at row i S and column j S of the padded input: "
           "consecutive outputs are S pixels apart."),
    Mutant(CONV, "padding-ignored",
           "x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))",
           "x_pad = np.pad(x, ((0, 0), (0, 0), (0, padding * 2), (0, padding * 2)))",
           "Padding adds P zeros on EVERY side (top and bottom, left and right), so that the image "
           "sits in the middle of the padded input; the windows are laid on the padded input."),
    Mutant(CONV, "channels-and-filters-swapped", "np.sum(window * w[f])",
           "np.sum(window * w.reshape(w.shape[1], w.shape[0], kh, kw)[:, f])",
           "w has shape (F, C, kh, kw): filter f is w[f], with one kh x kw slice per INPUT channel "
           "c; reading w as (C, F, kh, kw) mixes up the filter axis and the channel axis."),
    Mutant(CONV, "bias-missing", "np.sum(window * w[f]) + b[f]", "np.sum(window * w[f])",
           "Each output y[n, f, i, j] adds the bias of its filter, b[f], once, after the sum over "
           "channels and kernel."),
    # conv2d_backward_naive
    Mutant(CONV_BACK, "stride-ignored",
           "rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)",
           "rows, cols = slice(i, i + kh), slice(j, j + kw)",
           "Output (i, j) was computed from the window that starts at row i S and column j S: its "
           "gradient flows back to that window only, so the backward loop must use the stride too."),
    Mutant(CONV_BACK, "padding-not-cropped",
           "dx = dx_pad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]",
           "dx = dx_pad",
           "dx has the shape of x: the padded border is made of constants (zeros), not inputs, so "
           "the gradient that reaches it is dropped: crop P rows and columns on every side."),
    Mutant(CONV_BACK, "padding-cropped-on-one-side",
           "dx = dx_pad[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]",
           "dx = dx_pad[:, :, :x.shape[2], :x.shape[3]]",
           "Pixel (h, w) of x sits at (h + P, w + P) of the padded input: crop P rows and columns "
           "from EVERY side, not 2P from one side."),
    Mutant(CONV_BACK, "dw-only-last-image", "dw[f] += dout[n, f, i, j] * x_pad[n, :, rows, cols]",
           "dw[f] += dout[-1, f, i, j] * x_pad[-1, :, rows, cols] / dout.shape[0]",
           "The same filter is applied to every image of the batch, so dL/dw sums the "
           "contributions of every image (and every position), not those of one image."),
    Mutant(CONV_BACK, "dw-overwritten", "dw[f] += dout", "dw[f] = dout",
           "A shared weight touches every output position: its gradient is the SUM over all "
           "positions (and images) of dout times the input it multiplied; accumulate with +=."),
    Mutant(CONV_BACK, "db-averaged", "db = dout.sum(axis=(0, 2, 3))", "db = dout.mean(axis=(0, 2, 3))",
           "b[f] is added to every output of filter f, with derivative 1, so db[f] is the SUM of "
           "dout over the batch and all positions, not its mean (the loss already averages)."),
    Mutant(CONV_BACK, "dx-kernel-flipped", "+= dout[n, f, i, j] * w[f]",
           "+= dout[n, f, i, j] * w[f, :, ::-1, ::-1]",
           "Pixel (iS + p, jS + q) was multiplied by w[f, c, p, q] in the window of output (i, j): "
           "that same weight, unflipped, carries the gradient back to it."),
    Mutant(CONV_BACK, "dx-overwritten", "dx_pad[n, :, rows, cols] += dout", "dx_pad[n, :, rows, cols] = dout",
           "A pixel can lie in several windows (and feeds every filter): its gradient is the sum "
           "over all the outputs it reached; accumulate with +=."),
    # maxpool2d_forward_naive
    Mutant(POOL, "output-size-off-by-one", "h_out = (x.shape[2] - kh) // stride + 1",
           "h_out = (x.shape[2] - kh) // stride",
           "There are (H - kh)/S + 1 window positions along the height: the first starts at row 0, "
           "the last at row H - kh."),
    Mutant(POOL, "stride-ignored",
           "x[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw].max()",
           "x[n, c, i:i + kh, j:j + kw].max()",
           "Window (i, j) starts at row i S and column j S: consecutive windows are S pixels apart."),
    Mutant(POOL, "pooled-over-channels",
           "x[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw].max()",
           "x[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw].max()",
           "Max pooling works on each channel separately: the output of channel c is the maximum "
           "of channel c's window only."),
    # maxpool2d_backward_naive
    Mutant(POOL_BACK, "gradient-spread-over-window",
           "dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]",
           "dx[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw] += dout[n, c, i, j] / (kh * kw)",
           "A window's maximum depends on one input only, the one that is the maximum (derivative "
           "1); the others get 0. Spreading dout evenly over the window is AVERAGE pooling's "
           "gradient."),
    Mutant(POOL_BACK, "every-tied-maximum",
           "dx[n, c, i * stride + p, j * stride + q] += dout[n, c, i, j]",
           "dx[n, c, i * stride:i * stride + kh, j * stride:j * stride + kw] += dout[n, c, i, j] * "
           "(window == window.max())",
           "Tie rule: when several entries of a window share the maximum, only the FIRST of them in "
           "row-major order (what np.argmax returns) gets the gradient, all of it."),
    Mutant(POOL_BACK, "last-tied-maximum", "np.argmax(window)",
           "window.size - 1 - np.argmax(window.ravel()[::-1])",
           "Tie rule: the FIRST maximum in row-major order (smallest row, then smallest column; "
           "np.argmax) gets the gradient, not the last."),
    Mutant(POOL_BACK, "overlaps-overwrite", "dx[n, c, i * stride + p, j * stride + q] += dout",
           "dx[n, c, i * stride + p, j * stride + q] = dout",
           "Where windows overlap (stride < kernel), one input can be the maximum of several "
           "windows: it collects the SUM of their gradients; accumulate with +=."),
    Mutant(POOL_BACK, "argmax-offset-ignored", "dx[n, c, i * stride + p, j * stride + q]",
           "dx[n, c, i * stride, j * stride]",
           "np.argmax gives the position of the maximum INSIDE the window: add it to the window's "
           "corner (i S, j S) to find the input pixel."),
    # Conv2d.forward
    Mutant(LAYER, "weights-reshaped-without-transpose", 'self.params["W"].reshape(F, -1).T',
           'self.params["W"].reshape(-1, F)',
           "W.reshape(F, -1) puts filter f in row f, its entries in im2col's column order (c, p, "
           "q); the product with im2col's rows needs its transpose. reshape(-1, F) has the right "
           "shape but scrambles the weights."),
    Mutant(LAYER, "channels-and-filters-swapped", 'self.params["W"].reshape(F, -1).T',
           'self.params["W"].transpose(1, 0, 2, 3).reshape(F, -1).T',
           "W is (F, C, kh, kw): reshape it as it is to (F, C kh kw), whose columns follow im2col's "
           "order (c, p, q); swapping the filter and channel axes mixes them up."),
    Mutant(LAYER, "output-reshaped-without-transpose",
           "y_col.reshape(N, h_out, w_out, F).transpose(0, 3, 1, 2)", "y_col.reshape(N, F, h_out, w_out)",
           "The rows of the product are ordered (n, i, j) and its columns are the filters: reshape "
           "to (N, H_out, W_out, F), then move the filters to axis 1 with a transpose."),
    Mutant(LAYER, "kernel-flipped", 'self.params["W"].reshape(F, -1).T',
           'self.params["W"][:, :, ::-1, ::-1].reshape(F, -1).T',
           "Conv2d is a cross-correlation: use W as it is, without flipping the kernel."),
    Mutant(LAYER, "bias-missing", ' + self.params["b"]', "",
           "Each output adds its filter's bias: add b (one entry per column of the product)."),
    # Conv2d.backward
    Mutant(LAYER_BACK, "dout-reshaped-without-transpose", "dout.transpose(0, 2, 3, 1).reshape(-1, F)",
           "dout.reshape(-1, F)",
           "dout is (N, F, H_out, W_out); the window matrix has one row per (n, i, j): move the "
           "filters last (transpose to (N, H_out, W_out, F)) before reshaping to (-1, F)."),
    Mutant(LAYER_BACK, "dw-transposed", '(g_col.T @ self._cols).reshape(self.params["W"].shape)',
           '(self._cols.T @ g_col).reshape(self.params["W"].shape)',
           "dW as a matrix is (F, C kh kw) = G_col^T X_col; its transpose has the same number of "
           "entries, so reshaping it to W's shape raises nothing but scrambles the gradient."),
    Mutant(LAYER_BACK, "db-averaged", 'self.grads["b"] = g_col.sum(axis=0)',
           'self.grads["b"] = g_col.mean(axis=0)',
           "db[f] SUMS dout of filter f over the batch and all positions (the bias is added to "
           "each of them with derivative 1)."),
    Mutant(LAYER_BACK, "dx-weights-scrambled", 'g_col @ self.params["W"].reshape(F, -1)',
           'g_col @ self.params["W"].reshape(-1, F).T',
           "The gradient of the window matrix is G_col W_mat, with W_mat = W.reshape(F, -1) as in "
           "forward; reshape(-1, F).T has the right shape but scrambles the weights."),
    Mutant(LAYER_BACK, "col2im-overwrites",
           "return _conv.col2im(dx_col, self._x_shape, self.kernel_size, self.stride, self.padding)",
           _OVERWRITE.format(shape="self._x_shape", padding="self.padding", cols="dx_col",
                             result="padded[:, :, P:P + H, P:P + W]"),
           "A pixel is copied into every window that contains it, so its gradient is the SUM of "
           "the gradients of all its copies: that is col2im (np.add.at); an assignment keeps one."),
    # MaxPool2d.forward
    Mutant(MAXPOOL, "reshaped-like-conv", ".reshape(self._out_shape)",
           ".reshape(self._out_shape[0], self._out_shape[2], self._out_shape[3], self._out_shape[1])"
           ".transpose(0, 3, 1, 2)",
           "The window rows of a pooling layer come from x.reshape(N C, 1, H, W): they are ordered "
           "(n, c, i, j) already, so reshaping to (N, C, H_out, W_out) is all that is needed."),
    Mutant(MAXPOOL, "mean-of-window", "np.take_along_axis(windows, self._argmax[:, None], axis=1)",
           "windows.mean(axis=1)",
           "Max pooling keeps the LARGEST entry of each window (AvgPool2d is the mean)."),
    # MaxPool2d.backward
    Mutant(MAXPOOL_BACK, "gradient-spread-over-window",
           "np.put_along_axis(routed, self._argmax[:, None], dout.reshape(-1, 1), axis=1)",
           "routed[...] = dout.reshape(-1, 1) / routed.shape[1]",
           "Only the maximum of a window (the first one, on ties) receives its gradient, all of it; "
           "spreading it evenly is average pooling's backward."),
    Mutant(MAXPOOL_BACK, "dout-reshaped-like-conv", "dout.reshape(-1, 1)",
           "dout.transpose(0, 2, 3, 1).reshape(-1, 1)",
           "The window rows are ordered (n, c, i, j), as dout is: reshape dout to (-1, 1) as it is; "
           "Conv2d's transpose belongs to its filter axis, which pooling does not have."),
    Mutant(MAXPOOL_BACK, "overlaps-overwrite", "return self._to_images(routed)",
           "N, C, H, W = self._x_shape\n        kh, kw = self.kernel_size\n"
           "        index = _conv.im2col(np.arange(N * C * H * W).reshape(N * C, 1, H, W), (kh, kw),\n"
           "                             self.stride)\n"
           "        dx = np.zeros(N * C * H * W)\n        dx[index.reshape(-1)] = routed.reshape(-1)\n"
           "        return dx.reshape(self._x_shape)",
           "Where windows overlap, one input can win several windows: it receives the SUM of their "
           "gradients, which col2im (self._to_images) adds up; an assignment keeps one."),
]
