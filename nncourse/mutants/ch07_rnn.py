"""Plausible mistakes in chapter 7's RNN step, backpropagation through time, gradient
clipping and the (optional) LSTM."""
from . import Mutant

STEP = "recurrent.rnn_step_forward"
STEP_BACK = "recurrent.rnn_step_backward"
BPTT = "layers.RNN.backward"
CLIP = "optim.clip_grad_norm"
LSTM_STEP = "recurrent.lstm_step_forward"
LSTM_STEP_BACK = "recurrent.lstm_step_backward"
LSTM_BPTT = "layers.LSTM.backward"

_SUMS = """grads["W_xh"] += dW_xh
            grads["W_hh"] += dW_hh
            grads["b"] += db"""

MUTANTS = [
    # rnn_step_forward
    Mutant(STEP, "W_hh-transposed", "h_prev @ W_hh.T", "h_prev @ W_hh",
           "W_hh is stored (out, in): (W_hh)[j, k] is the weight TO unit j FROM unit k of the previous "
           "state, so with states as rows the recurrent term is h_prev times the TRANSPOSE of W_hh, as "
           "for a Linear layer's W."),
    Mutant(STEP, "bias-missing", "h_prev @ W_hh.T + b)", "h_prev @ W_hh.T)",
           "The bias b is added to the pre-activation of every unit, inside the tanh, at every step."),
    Mutant(STEP, "previous-state-ignored", "x_t @ W_xh.T + h_prev @ W_hh.T + b", "x_t @ W_xh.T + b",
           "The new state depends on the input AND on the previous state h_{t-1} (through W_hh): that "
           "is what makes the layer recurrent, and the first step uses h0, which need not be zero."),
    Mutant(STEP, "sigmoid-instead-of-tanh", "h_t = np.tanh(", "h_t = sigmoid(",
           "The RNN cell's nonlinearity is tanh (values in (-1, 1), centred on 0), not the sigmoid."),
    # rnn_step_backward
    Mutant(STEP_BACK, "dW_hh-uses-h_t", "dz.T @ h_prev", "dz.T @ h_t",
           "W_hh multiplies the PREVIOUS state in the forward formula, so its gradient pairs the "
           "gradient at the pre-activation with h_{t-1} (from the cache), not with the new state h_t."),
    Mutant(STEP_BACK, "tanh-derivative-of-pre-activation", "(1.0 - h_t ** 2)",
           "(1.0 - np.arctanh(h_t) ** 2)",
           "tanh'(z) = 1 - tanh(z)^2 is written with the OUTPUT h_t = tanh(z), not the pre-activation z: "
           "1 - z^2 is not the derivative of tanh."),
    Mutant(STEP_BACK, "tanh-applied-to-output", "(1.0 - h_t ** 2)", "(1.0 - np.tanh(h_t) ** 2)",
           "The cache holds h_t, which is already tanh(z): the derivative is 1 - h_t^2; applying tanh "
           "to h_t again treats the output as if it were the pre-activation."),
    Mutant(STEP_BACK, "tanh-derivative-missing", "dz = dh_t * (1.0 - h_t ** 2)", "dz = dh_t",
           "The gradient must pass through the tanh before it reaches the weights, the input and the "
           "previous state: multiply by the derivative of tanh at this step, elementwise."),
    Mutant(STEP_BACK, "dh_prev-with-W_hh-transposed", "dz @ W_hh,", "dz @ W_hh.T,",
           "The previous state entered as h_prev @ W_hh.T; its gradient goes back through the same "
           "matrix the other way, as dx does through a Linear layer's W (check the shapes with D != H "
           "and a W_hh that is not symmetric)."),
    Mutant(STEP_BACK, "db-averaged", "dz.sum(axis=0)", "dz.mean(axis=0)",
           "b is added to every example of the batch, so its gradient is the SUM over the batch of the "
           "gradient at the pre-activation (the loss already takes the batch mean)."),
    # RNN.backward (backpropagation through time)
    Mutant(BPTT, "recurrent-term-dropped", "rnn_step_backward(dhs[:, t] + dh,",
           "rnn_step_backward(dhs[:, t],",
           "h_t reaches the loss along two paths: through this step's output (dhs[:, t]) and through "
           "h_{t+1}, the later steps. The step backward must receive the sum of both; keeping only "
           "the first truncates backpropagation to one step."),
    Mutant(BPTT, "time-loop-forwards", "in reversed(range(dhs.shape[1]))", "in range(dhs.shape[1])",
           "The gradient flowing into h_t from the future is only known once step t+1 has been "
           "backpropagated: run the steps from the last to the first."),
    Mutant(BPTT, "gradients-overwritten", _SUMS, _SUMS.replace("+=", "="),
           "The same W_xh, W_hh and b are used at every step, so their gradient is the SUM over t of "
           "each step's contribution: accumulate with +=, starting from zero."),
    Mutant(BPTT, "gradients-averaged-over-time", "self.grads.update(grads)",
           "self.grads.update({k: v / dhs.shape[1] for k, v in grads.items()})",
           "The loss is a function of the shared weights through every step: its gradient is the "
           "plain sum over t of the steps' contributions, not their mean."),
    Mutant(BPTT, "dh0-zero", "self.dh0 = dh", "self.dh0 = np.zeros_like(dh)",
           "h0 feeds the first step exactly as h_{t-1} feeds step t: dL/dh0 is the dh_prev that the "
           "first step's backward returns (not zero, and it is what a truncated BPTT or a stacked "
           "layer needs)."),
    Mutant(BPTT, "grads-dict-replaced", "self.grads.update(grads)", "self.grads = grads",
           "Set the entries of the layer's existing grads dict (self.grads['W_hh'] = ...): an optimiser "
           "built before training holds that dict, and a new one would leave it stepping with stale "
           "gradients (the recurrent layer would never learn)."),
    # clip_grad_norm
    Mutant(CLIP, "per-element", "g *= max_norm / norm", "np.clip(g, -max_norm, max_norm, out=g)",
           "Clipping by the norm rescales ALL the gradients by the same factor max_norm / ||g||, so the "
           "update keeps its direction; clipping each entry separately changes the direction."),
    Mutant(CLIP, "norm-after-clipping", "return norm", "return min(norm, max_norm)",
           "Return the global norm measured BEFORE clipping (it is what you monitor to see the "
           "gradients explode), not the norm after it."),
    Mutant(CLIP, "per-array-norm", "g *= max_norm / norm",
           "g *= min(1.0, max_norm / np.sqrt(np.sum(g * g)))",
           "The norm is global: one norm over all the entries of all the arrays together, and one "
           "common factor for every array, not a norm and a factor per array."),
    Mutant(CLIP, "not-in-place", "g *= max_norm / norm", "g = g * (max_norm / norm)",
           "The arrays must be scaled IN PLACE (g *= ... or g[...] = ...): assigning to the loop "
           "variable makes a new array and leaves the caller's gradients unchanged."),
    Mutant(CLIP, "always-rescaled", "if norm > max_norm:", "if norm > 0:",
           "Gradients whose global norm is already at most max_norm are left as they are; only "
           "larger ones are scaled down to max_norm."),
    Mutant(CLIP, "squared-norm", "norm = float(np.sqrt(", "norm = float((",
           "The Euclidean norm is the SQUARE ROOT of the sum of the squares of all the entries."),
    # lstm_step_forward (optional task)
    Mutant(LSTM_STEP, "gate-order-ifog", "i, f, g, o = np.split(gates, 4, axis=1)",
           "i, f, o, g = np.split(gates, 4, axis=1)",
           "The gates are stacked in the order i, f, g, o (as in PyTorch): rows H:2H of the weights "
           "belong to the forget gate, 2H:3H to the candidate g (tanh), 3H:4H to the output gate."),
    Mutant(LSTM_STEP, "forget-gate-on-hidden-state", "c_t = f * c_prev + i * g", "c_t = f * h_prev + i * g",
           "The forget gate decides how much of the previous CELL state c_{t-1} is kept; h_{t-1} enters "
           "the cell only through the gates."),
    Mutant(LSTM_STEP, "output-without-tanh", "h_t = o * np.tanh(c_t)", "h_t = o * c_t",
           "The hidden state is the output gate times tanh of the cell state, which keeps h_t in (-1, 1)."),
    # lstm_step_backward
    Mutant(LSTM_STEP_BACK, "future-cell-gradient-dropped", "dc = dc_t + dh_t", "dc = dh_t",
           "c_t reaches the loss along two paths: through h_t = o tanh(c_t) and directly through "
           "c_{t+1}; the gradient dc_t from the next step must be added to the one through h_t."),
    Mutant(LSTM_STEP_BACK, "dc_prev-without-forget-gate", "dc * f, da.T", "dc, da.T",
           "c_{t-1} enters c_t multiplied by the forget gate, so the gradient it receives is dc_t times f."),
    Mutant(LSTM_STEP_BACK, "forget-gradient-from-new-cell", "dc * c_prev * f", "dc * c_t * f",
           "The forget gate multiplies the PREVIOUS cell state: its gradient pairs dc with c_{t-1}."),
    Mutant(LSTM_STEP_BACK, "gate-order", "dc * i * (1.0 - g ** 2), dh_t * tanh_c * o * (1.0 - o)",
           "dh_t * tanh_c * o * (1.0 - o), dc * i * (1.0 - g ** 2)",
           "The gradient at the pre-activations must be stacked in the order of the forward gates, i, "
           "f, g, o, so that dW_x, dW_h and db line up with the rows of W_x, W_h and b."),
    # LSTM.backward
    Mutant(LSTM_BPTT, "cell-gradient-not-carried", "dhs[:, t] + dh, dc, self._caches[t])",
           "dhs[:, t] + dh, np.zeros_like(dc), self._caches[t])",
           "The cell state carries gradient from step t+1 back to step t: pass the dc_prev of the later "
           "step on to the earlier one, as you do with dh."),
    Mutant(LSTM_BPTT, "recurrent-term-dropped", "dhs[:, t] + dh, dc", "dhs[:, t], dc",
           "h_t reaches the loss through this step's output and through the later steps: add the dh_prev "
           "returned by step t+1 to dhs[:, t]."),
    Mutant(LSTM_BPTT, "time-loop-forwards", "in reversed(range(dhs.shape[1]))", "in range(dhs.shape[1])",
           "Backpropagation through time runs from the last step to the first."),
    Mutant(LSTM_BPTT, "grads-dict-replaced", "self.grads.update(grads)", "self.grads = grads",
           "Set the entries of the layer's existing grads dict: an optimiser built before training "
           "holds that dict."),
    Mutant(LSTM_BPTT, "dc0-missing", "self.dh0, self.dc0 = dh, dc",
           "self.dh0, self.dc0 = dh, np.zeros_like(dc)",
           "c0 feeds the first step as c_{t-1} feeds step t: dc0 is the dc_prev that the first step's "
           "backward returns."),
]
