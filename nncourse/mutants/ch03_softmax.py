"""Plausible mistakes in chapter 3's softmax and softmax_cross_entropy."""
from . import Mutant

SOFTMAX = "activations.softmax"
SCE = "losses.softmax_cross_entropy"

MUTANTS = [
    Mutant(SOFTMAX, "no-max-subtraction",
           "e = np.exp(z - np.max(z, axis=axis, keepdims=True))", "e = np.exp(z)",
           "Subtract the maximum along the axis before np.exp: e^z overflows float64 above "
           "z = 709.8, and inf / inf is nan."),
    Mutant(SOFTMAX, "min-subtracted", "np.max(z, axis=axis, keepdims=True)",
           "np.min(z, axis=axis, keepdims=True)",
           "Subtracting the minimum makes every exponent >= 0, so widely spread logits still "
           "overflow; subtract the maximum."),
    Mutant(SOFTMAX, "max-without-keepdims", "np.max(z, axis=axis, keepdims=True)",
           "np.max(z, axis=axis)",
           "Without keepdims=True the row maxima have shape (N,) and numpy lines them up with "
           "the columns, not the rows."),
    Mutant(SOFTMAX, "sum-without-keepdims", "np.sum(e, axis=axis, keepdims=True)",
           "np.sum(e, axis=axis)",
           "Without keepdims=True the row sums have shape (N,) and divide the columns, not the "
           "rows."),
    Mutant(SOFTMAX, "max-over-wrong-axis", "np.max(z, axis=axis, keepdims=True)",
           "np.max(z, axis=0, keepdims=True)",
           "The constant subtracted must be the maximum along the class axis (the one being "
           "normalised); a different constant per class changes the result."),
    Mutant(SOFTMAX, "axis-ignored", "np.sum(e, axis=axis, keepdims=True)",
           "np.sum(e, axis=-1, keepdims=True)",
           "Normalise along the axis argument, not always along the last axis."),
    Mutant(SOFTMAX, "input-mutated", "e = np.exp(z - np.max(z, axis=axis, keepdims=True))",
           "z -= np.max(z, axis=axis, keepdims=True)\n    e = np.exp(z)",
           "Never shift z in place: np.asarray returns the caller's own float64 array."),
    Mutant(SCE, "gradient-not-divided-by-n", "return loss, dlogits / n", "return loss, dlogits",
           "The loss is a mean over the batch, so its gradient is (softmax - onehot) / N."),
    Mutant(SCE, "loss-summed-not-averaged",
           "loss = -float(np.sum(log_softmax(logits, axis=1)[rows, labels])) / n",
           "loss = -float(np.sum(log_softmax(logits, axis=1)[rows, labels]))",
           "The loss is the mean over the batch: divide the sum by N."),
    Mutant(SCE, "onehot-not-subtracted", "dlogits[rows, labels] -= 1.0", "pass",
           "The gradient is softmax minus the one-hot labels, not the softmax alone."),
    Mutant(SCE, "log-of-softmax", "log_softmax(logits, axis=1)[rows, labels]",
           "np.log(softmax(logits, axis=1)[rows, labels])",
           "np.log of a probability that has underflowed to 0 is -inf: compute the loss from "
           "log_softmax."),
    Mutant(SCE, "loss-sign-flipped", "loss = -float(", "loss = float(",
           "The loss is the NEGATIVE log-likelihood; it is >= 0."),
    Mutant(SCE, "gradient-sign-flipped", "return loss, dlogits / n", "return loss, -dlogits / n",
           "The gradient is (softmax - onehot) / N; onehot - softmax points uphill."),
    Mutant(SCE, "labels-as-columns", "log_softmax(logits, axis=1)[rows, labels]",
           "log_softmax(logits, axis=1)[:, labels]",
           "A[:, labels] is an (N, N) matrix; A[np.arange(N), labels] picks one entry per row."),
    Mutant(SCE, "onehot-in-every-row", "dlogits[rows, labels] -= 1.0",
           "dlogits[:, labels] -= 1.0",
           "Subtract 1 only at [n, labels[n]], one entry per row: dlogits[np.arange(N), labels]."),
    Mutant(SCE, "softmax-over-wrong-axis", "dlogits = softmax(logits, axis=1)",
           "dlogits = softmax(logits, axis=0)",
           "Each example (row) is a distribution over the classes: softmax along axis=1."),
    Mutant(SCE, "input-mutated", "n = logits.shape[0]",
           "n = logits.shape[0]\n    logits -= np.max(logits, axis=1, keepdims=True)",
           "Never shift the logits in place: the caller's array would change."),
]
