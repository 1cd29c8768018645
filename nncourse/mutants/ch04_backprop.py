"""Plausible mistakes in chapter 4's Linear.forward/backward, Sequential.backward, SGD.step,
numerical_gradient and Softplus.backward."""
from . import Mutant

FORWARD = "layers.Linear.forward"
BACKWARD = "layers.Linear.backward"
SEQUENTIAL = "network.Sequential.backward"
STEP = "optim.SGD.step"
NUMGRAD = "gradcheck.numerical_gradient"
SOFTPLUS_BACKWARD = "layers.Softplus.backward"

MUTANTS = [
    # Linear.forward
    Mutant(FORWARD, "weights-not-transposed", 'x @ self.params["W"].T', 'x @ self.params["W"]',
           "W has shape (out, in), so the product is X @ W.T: (N, in) times (in, out)."),
    Mutant(FORWARD, "bias-ignored", ' + self.params["b"]', "",
           "The output adds the bias to every row: Y = X W^T + b."),
    Mutant(FORWARD, "bias-subtracted", ' + self.params["b"]', ' - self.params["b"]',
           "The bias is added, not subtracted: Y = X W^T + b."),
    Mutant(FORWARD, "input-not-cached", "self._x = x", "pass",
           "forward must keep its input (self._x) for backward, which needs X for dL/dW."),
    # Linear.backward
    Mutant(BACKWARD, "dW-transposed", "dout.T @ self._x", "self._x.T @ dout",
           "dL/dW = G^T X has the shape of W, (out, in); X^T G is its transpose, (in, out)."),
    Mutant(BACKWARD, "db-mean", "dout.sum(axis=0)", "dout.mean(axis=0)",
           "dL/db is the SUM of G's rows; the 1/N of the mean loss is already inside G."),
    Mutant(BACKWARD, "db-wrong-axis", "dout.sum(axis=0)", "dout.sum(axis=1)",
           "Sum G over the batch axis (axis 0), giving one value per output neuron."),
    Mutant(BACKWARD, "dx-W-transposed", 'return dout @ self.params["W"]',
           'return dout @ self.params["W"].T',
           "dL/dX = G W: (N, out) times (out, in); G W^T only has the right shape when in == out."),
    Mutant(BACKWARD, "grads-accumulated", 'self.grads["W"] = dout.T @ self._x',
           'self.grads["W"] += dout.T @ self._x',
           "backward sets the gradients; adding to the old values mixes in earlier batches."),
    # Sequential.backward
    Mutant(SEQUENTIAL, "forward-order", "reversed(self.layers)", "self.layers",
           "The chain rule runs from the output back: visit the layers last to first."),
    Mutant(SEQUENTIAL, "dout-not-propagated", "dout = layer.backward(dout)", "layer.backward(dout)",
           "Each layer must receive the gradient returned by the layer after it, not the original dout."),
    Mutant(SEQUENTIAL, "returns-nothing", "return dout", "return None",
           "backward returns dL/dx, what the first layer's backward returns."),
    Mutant(SEQUENTIAL, "first-layer-skipped", "reversed(self.layers)", "reversed(self.layers[1:])",
           "Every layer, the first included, must run its backward (the first has parameters too)."),
    # SGD.step
    Mutant(STEP, "gradient-sign", "- self.lr * g", "+ self.lr * g",
           "Gradient DEScent: the velocity moves against the gradient, v = mu v - lr g."),
    Mutant(STEP, "momentum-sign", "velocity[key] = self.momentum * velocity[key]",
           "velocity[key] = -self.momentum * velocity[key]",
           "Momentum keeps a fraction mu of the previous velocity: v = mu v - lr g."),
    Mutant(STEP, "weight-decay-ignored", "g = grads[key] + self.weight_decay * params[key]",
           "g = grads[key]",
           "Weight decay adds lambda * theta to the gradient before the velocity update."),
    Mutant(STEP, "weight-decay-sign", "+ self.weight_decay * params[key]",
           "- self.weight_decay * params[key]",
           "The L2 penalty's gradient is +lambda * theta: weight decay shrinks the weights."),
    Mutant(STEP, "not-in-place", "params[key] += velocity[key]",
           "params[key] = params[key] + velocity[key]",
           "Update the parameter array in place (+=): rebinding params[key] hides the update "
           "from the layer that holds the old array."),
    Mutant(STEP, "velocity-not-stored",
           "velocity[key] = self.momentum * velocity[key] - self.lr * g\n"
           "                params[key] += velocity[key]",
           "v = self.momentum * velocity[key] - self.lr * g\n"
           "                params[key] += v",
           "Store the new velocity in velocity[key]; otherwise momentum never builds up."),
    Mutant(STEP, "gradient-modified", "g = grads[key] + self.weight_decay * params[key]",
           "g = grads[key]\n                g += self.weight_decay * params[key]",
           "g = grads[key] is the same array as the gradient: += then changes the layer's "
           "gradient. Compute g + lambda * theta as a new array."),
    # numerical_gradient
    Mutant(NUMGRAD, "forward-difference",
           "x[i] = old - h\n        f_minus = f()\n        x[i] = old\n"
           "        grad[i] = (f_plus - f_minus) / (2 * h)",
           "x[i] = old\n        f_minus = f()\n        grad[i] = (f_plus - f_minus) / h",
           "Use the centred difference (f(x + h) - f(x - h)) / (2 h): its error is O(h^2), the "
           "forward difference's O(h)."),
    Mutant(NUMGRAD, "missing-half", "/ (2 * h)", "/ h",
           "The two evaluations are 2h apart: divide by 2 h."),
    Mutant(NUMGRAD, "sign-flipped", "(f_plus - f_minus)", "(f_minus - f_plus)",
           "The difference is f(x + h) - f(x - h), in that order."),
    Mutant(NUMGRAD, "x-not-restored", "x[i] = old\n        grad[i]", "grad[i]",
           "Put every entry back to its saved value before moving on: f reads x, and the "
           "caller's x must end unchanged."),
    Mutant(NUMGRAD, "rows-not-entries", "np.ndindex(x.shape)", "range(x.shape[0])",
           "Perturb one ENTRY at a time (np.ndindex(x.shape)); x[i] with an integer i is a whole "
           "row of a 2-D array."),
    # Softplus.backward
    Mutant(SOFTPLUS_BACKWARD, "derivative-is-the-function",
           "sigmoid(self._x)", "np.logaddexp(0.0, self._x)",
           "backward multiplies dout by the DERIVATIVE dy/dx, not by y itself: differentiate "
           "log(1 + e^x) with the chain rule (the derivative of log u is u'/u)."),
    Mutant(SOFTPLUS_BACKWARD, "sigmoid-of-minus-x", "sigmoid(self._x)",
           "sigmoid(-self._x)",
           "Check the sign: the derivative grows from 0 (x very negative) to 1 (x very large), "
           "so it is increasing in x. Compare your formula with numerical_gradient at x = 3."),
    Mutant(SOFTPLUS_BACKWARD, "dout-ignored", "return dout * sigmoid", "return sigmoid",
           "backward returns dL/dx = dL/dy * dy/dx: multiply the local derivative by dout."),
    Mutant(SOFTPLUS_BACKWARD, "derivative-at-output", "sigmoid(self._x)",
           "sigmoid(np.logaddexp(0.0, self._x))",
           "The derivative is a function of the layer's INPUT x (cached by forward), evaluated "
           "at x; evaluating it at the output y = softplus(x) gives other values."),
    Mutant(SOFTPLUS_BACKWARD, "backward-overflow", "sigmoid(self._x)",
           "np.exp(self._x) / (1.0 + np.exp(self._x))",
           "For large x, exp(x) overflows and inf / inf is nan. Rewrite the derivative so that "
           "no exp of a large positive number is formed (divide above and below by e^x), or "
           "recognise a function that chapter 2 already computes stably."),
]
