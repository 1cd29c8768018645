"""Plausible mistakes in chapter 5's Dropout, penalties, Sequential.weights, init.he and
EarlyStopping."""
from . import Mutant

FORWARD = "layers.Dropout.forward"
BACKWARD = "layers.Dropout.backward"
L2 = "losses.l2_penalty"
L1 = "losses.l1_penalty"
WEIGHTS = "network.Sequential.weights"
HE = "init.he"
UPDATE = "train.EarlyStopping.update"
RESTORE = "train.EarlyStopping.restore"

MUTANTS = [
    # Dropout.forward
    Mutant(FORWARD, "not-rescaled", "keep / (1.0 - self.p)", "keep * 1.0",
           "Inverted dropout scales the kept units by 1/(1-p) in training, so that the expected "
           "output equals the input and evaluation needs no change."),
    Mutant(FORWARD, "divided-by-p", "keep / (1.0 - self.p)", "keep / self.p",
           "Divide the kept units by the probability of KEEPING them, 1 - p, not by p."),
    Mutant(FORWARD, "multiplied-by-keep-probability", "keep / (1.0 - self.p)", "keep * (1.0 - self.p)",
           "Multiplying by 1 - p is the old convention's test-time weight scaling; inverted dropout "
           "divides the kept units by 1 - p in training."),
    Mutant(FORWARD, "p-read-as-keep-probability",
           "keep = self.rng.random(x.shape) >= self.p\n            self._mask = keep / (1.0 - self.p)",
           "keep = self.rng.random(x.shape) < self.p\n            self._mask = keep / self.p",
           "p is the probability of DROPPING a unit: keep each unit with probability 1 - p and "
           "scale the kept ones by 1/(1-p)."),
    Mutant(FORWARD, "keeps-share-p", "self.rng.random(x.shape) >= self.p",
           "self.rng.random(x.shape) < self.p",
           "About a share p of the units must be zeroed: a unit is kept when its uniform draw is "
           "at least p (probability 1 - p)."),
    Mutant(FORWARD, "active-in-eval", "if self.training:", "if True:",
           "In evaluation mode (training False, set by Sequential.eval()) Dropout is the identity: "
           "return x unchanged, and backward then passes dout through."),
    Mutant(FORWARD, "same-mask-every-call", "self.rng.random(x.shape)",
           "np.random.default_rng(0).random(x.shape)",
           "Draw a new mask at every forward call from the layer's generator (self.rng): each "
           "mini-batch trains a different thinned network."),
    # Dropout.backward
    Mutant(BACKWARD, "mask-resampled", "dout * self._mask",
           "dout * (self.rng.random(dout.shape) >= self.p) / (1.0 - self.p)",
           "Backward must use the mask that the last forward call drew (keep it in forward): a new "
           "mask differentiates a different network from the one that produced the loss."),
    Mutant(BACKWARD, "gradient-not-rescaled", "dout * self._mask", "dout * (self._mask != 0)",
           "Each kept output is x / (1-p), so its derivative with respect to x is 1/(1-p): scale "
           "the kept units' gradient too."),
    Mutant(BACKWARD, "gradient-passed-through", "else dout * self._mask", "else dout",
           "A dropped unit's output does not depend on its input: its gradient is 0."),
    # l2_penalty
    Mutant(L2, "gradient-doubled", "[lam * w for w in weights]", "[2 * lam * w for w in weights]",
           "The derivative of (lam/2) w^2 is lam w: the 1/2 cancels the 2."),
    Mutant(L2, "value-without-half", "0.5 * lam * sum(", "lam * sum(",
           "The L2 penalty is (lam/2) times the sum of the squared entries."),
    Mutant(L2, "gradient-sign", "[lam * w for w in weights]", "[-lam * w for w in weights]",
           "The gradient of the penalty is +lam w: a step against it shrinks the weights."),
    # l1_penalty
    Mutant(L1, "subgradient-one-at-zero", "lam * np.sign(w)", "lam * np.where(w >= 0, 1.0, -1.0)",
           "At w = 0 the L1 penalty takes the subgradient 0 (np.sign(0) is 0), so a weight that "
           "is exactly 0 stays put."),
    Mutant(L1, "sign-flipped", "lam * np.sign(w)", "-lam * np.sign(w)",
           "The derivative of lam |w| is +lam sign(w): positive for w > 0, negative for w < 0."),
    Mutant(L1, "value-without-abs", "np.sum(np.abs(w))", "np.sum(w)",
           "The L1 penalty sums the ABSOLUTE values of the entries."),
    Mutant(L1, "l2-gradient", "lam * np.sign(w)", "lam * w",
           "The L1 gradient is lam sign(w), the same size for every nonzero weight; lam w is L2's."),
    # Sequential.weights
    Mutant(WEIGHTS, "biases-included", '\n                if key.startswith("W")]', "]",
           "Penalties apply to the weights only (the params whose name starts with W), not to "
           "the biases."),
    Mutant(WEIGHTS, "only-key-W", 'key.startswith("W")', 'key == "W"',
           "Every parameter whose name starts with W is a weight (an RNN has W_xh and W_hh)."),
    Mutant(WEIGHTS, "copies", "params[key] for", "params[key].copy() for",
           "Return the layers' own arrays, not copies."),
    # init.he
    Mutant(HE, "fan-out", "np.sqrt(2.0 / fan_in)", "np.sqrt(2.0 / fans(shape)[1])",
           "He initialisation divides by the fan-in, prod(shape[1:]), the inputs of one unit."),
    Mutant(HE, "std-as-variance", "np.sqrt(2.0 / fan_in)", "2.0 / fan_in",
           "2/fan_in is the VARIANCE; normal() takes the standard deviation, its square root."),
    Mutant(HE, "lecun-variance", "np.sqrt(2.0 / fan_in)", "np.sqrt(1.0 / fan_in)",
           "He's variance is 2/fan_in (ReLU zeroes half of its input); 1/fan_in is LeCun's."),
    Mutant(HE, "rng-ignored", ", rng)", ", None)",
           "Pass rng on to the random draw, so that a seed gives the same weights every time."),
    # EarlyStopping.update
    Mutant(UPDATE, "patience-off-by-one", "self.wait >= self.patience", "self.wait > self.patience",
           "Stop as soon as `patience` epochs in a row failed to improve (wait == patience)."),
    Mutant(UPDATE, "best-params-shared", "{k: v.copy() for", "{k: v for",
           "Keep COPIES of the best parameters: the optimizer updates the model's arrays in place, "
           "so references end up holding the last epoch's values."),
    Mutant(UPDATE, "saves-every-epoch", "        else:\n            self.wait += 1\n",
           "        else:\n            self.wait += 1\n        self.best_params = [{k: v.copy() for k, v in "
           "params.items()} for params, _ in model.parameters()]\n",
           "Save the parameters only when the metric improves; restoring must give the best "
           "epoch's parameters, not the last ones."),
    Mutant(UPDATE, "ties-improve", "metric < self.best if", "metric <= self.best if",
           "An epoch improves only when its metric is strictly better than the best so far."),
    Mutant(UPDATE, "mode-ignored", '(metric < self.best if self.mode == "min" else metric > self.best)',
           "metric < self.best",
           'In mode "max" (an accuracy) higher is better.'),
    Mutant(UPDATE, "wait-not-reset", "metric, self.epoch, 0", "metric, self.epoch, self.wait",
           "An improvement resets the count of epochs without improvement to 0."),
    # EarlyStopping.restore
    Mutant(RESTORE, "restores-nothing", "value[...] = best[key]", "pass",
           "restore must copy the best parameters back into the model; otherwise it ends with the "
           "last epoch's."),
    Mutant(RESTORE, "rebinds", "value[...] = best[key]", "params[key] = best[key]",
           "Copy the values into the model's own arrays (value[...] = best): rebinding shares the "
           "saved copy with the model, and training would then change it."),
]
