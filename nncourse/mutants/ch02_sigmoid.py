"""Plausible mistakes in chapter 2's sigmoid, sigmoid_prime, mse, binary_cross_entropy,
neuron_step and sigmoid_cross_entropy."""
from . import Mutant

SIGMOID = "activations.sigmoid"
SIGMOID_PRIME = "activations.sigmoid_prime"
MSE = "losses.mse"
BCE = "losses.binary_cross_entropy"
STEP = "neuron.neuron_step"
SCE = "losses.sigmoid_cross_entropy"

_SCE_LOSS = "per_entry = np.maximum(logits, 0.0) - target * logits + np.log1p(e)"
_SCE_PROBS = "probs = np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))"
_SIGMOID_BODY = ("e = np.exp(-np.abs(z))  # in (0, 1]: never overflows\n"
                 "    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))")

MUTANTS = [
    # sigmoid
    Mutant(SIGMOID, "naive-overflowing", _SIGMOID_BODY, "return 1.0 / (1.0 + np.exp(-z))",
           "1 / (1 + e^(-z)) overflows (with a warning) for large negative z; use e^(-|z|) and "
           "e^z / (1 + e^z) for z < 0."),
    Mutant(SIGMOID, "branches-swapped", "np.where(z >= 0,", "np.where(z < 0,",
           "With the two cases swapped the function returns sigma(-z) = 1 - sigma(z): a sign error."),
    Mutant(SIGMOID, "abs-without-negative-branch",
           "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "return 1.0 / (1.0 + e)",
           "Using e^(-|z|) alone computes sigma(|z|); negative z need the form e^z / (1 + e^z)."),
    Mutant(SIGMOID, "naive-where-both-branches", _SIGMOID_BODY,
           "return np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))",
           "np.where evaluates both branches on the whole array, so each naive form still "
           "overflows somewhere."),
    # sigmoid_prime
    Mutant(SIGMOID_PRIME, "missing-factor", "return s * (1.0 - s)", "return 1.0 - s",
           "sigma'(z) = sigma(z) (1 - sigma(z)): both factors."),
    Mutant(SIGMOID_PRIME, "formula-applied-to-z", "return s * (1.0 - s)", "return z * (1.0 - z)",
           "The product uses sigma(z), not z itself."),
    Mutant(SIGMOID_PRIME, "naive-quotient", "s = sigmoid(z)\n    return s * (1.0 - s)",
           "return np.exp(-z) / (1.0 + np.exp(-z)) ** 2",
           "e^(-z) / (1 + e^(-z))^2 overflows to inf / inf = nan for large negative z; use "
           "sigmoid(z) (1 - sigmoid(z))."),
    Mutant(SIGMOID_PRIME, "sign-flipped", "s = sigmoid(z)", "s = sigmoid(-z) * -1.0",
           "A sign error in the derivative: it is never negative."),
    # mse
    Mutant(MSE, "loss-not-averaged", "0.5 * float(np.sum(diff ** 2)) / n",
           "0.5 * float(np.sum(diff ** 2))",
           "The loss is the mean over the N examples: divide the sum by N."),
    Mutant(MSE, "gradient-not-averaged", ", diff / n", ", diff",
           "The gradient of a mean carries the 1/N too: (pred - target) / N."),
    Mutant(MSE, "missing-half", "0.5 * float(np.sum(diff ** 2)) / n", "float(np.sum(diff ** 2)) / n",
           "The per-example loss is 1/2 of the squared error (the 1/2 cancels the 2 of the derivative)."),
    Mutant(MSE, "gradient-sign-flipped", "diff = pred - target", "diff = target - pred",
           "dL/dpred = (pred - target) / N; target - pred points uphill."),
    Mutant(MSE, "mean-over-all-entries", "n = pred.shape[0]", "n = pred.size",
           "Average over the N examples only (pred.shape[0]); the outputs of one example are summed."),
    # binary_cross_entropy
    Mutant(BCE, "no-clipping", "p = np.clip(p, EPS, 1.0 - EPS)", "pass",
           "Clip p to [1e-12, 1 - 1e-12] first: log(0) and division by zero otherwise."),
    Mutant(BCE, "gradient-not-averaged", "(p - target) / (p * (1.0 - p)) / n",
           "(p - target) / (p * (1.0 - p))",
           "The gradient of a mean carries the 1/N too."),
    Mutant(BCE, "gradient-p-minus-t", "(p - target) / (p * (1.0 - p)) / n", "(p - target) / n",
           "(p - t) is the gradient with respect to z through a sigmoid; with respect to p it is "
           "(p - t) / (p (1 - p))."),
    Mutant(BCE, "loss-sign-flipped", "loss = -float(", "loss = float(",
           "Cross-entropy is minus the log-likelihood: it is non-negative."),
    Mutant(BCE, "clip-in-place", "p = np.clip(p, EPS, 1.0 - EPS)", "np.clip(p, EPS, 1.0 - EPS, out=p)",
           "np.clip with out= overwrites the caller's array; clip into a new array."),
    Mutant(BCE, "mean-over-all-entries", "n = p.shape[0]", "n = p.size",
           "Average over the N examples only (p.shape[0]); the outputs of one example are summed."),
    # neuron_step
    Mutant(STEP, "forgets-f-prime", "delta = da * f_prime(z)", "delta = da",
           "delta = dL/da * f'(z): the chain rule goes through the activation."),
    Mutant(STEP, "f-prime-at-a", "delta = da * f_prime(z)", "delta = da * f_prime(f(z))",
           "f' is evaluated at the weighted input z, not at the output a = f(z)."),
    Mutant(STEP, "sum-not-mean", "loss_value, da = loss_fn(f(z), t)",
           "loss_value, _ = loss_fn(f(z), t)\n    da = f(z) - t",
           "Use the loss's own gradient: a - t by hand is the gradient of the summed squared "
           "error (no 1/N) and is wrong for cross-entropy."),
    Mutant(STEP, "w-modified-in-place", "return w - lr * (X.T @ delta),",
           "w -= lr * (X.T @ delta)\n    return w,",
           "Return a new array; w -= ... changes the caller's weights."),
    Mutant(STEP, "wrong-transpose", "X.T @ delta", "X @ delta",
           "dL/dw = X^T delta (shape (D,)); X delta has shape (N,) and is wrong even when N = D."),
    Mutant(STEP, "gradient-ascent", "return w - lr * (X.T @ delta)", "return w + lr * (X.T @ delta)",
           "Gradient descent moves against the gradient: w - lr * dL/dw."),
    Mutant(STEP, "bias-gradient-averaged", "np.sum(delta)", "np.mean(delta)",
           "dL/db = sum of delta; the 1/N is already inside delta (from the loss)."),
    Mutant(STEP, "bias-not-updated", "float(b - lr * np.sum(delta))", "float(b)",
           "The bias learns too: b - lr * sum(delta)."),
    Mutant(STEP, "loss-after-step", "return w - lr * (X.T @ delta), float(b - lr * np.sum(delta)), loss_value",
           "w_new, b_new = w - lr * (X.T @ delta), float(b - lr * np.sum(delta))\n"
           "    return w_new, b_new, loss_fn(f(X @ w_new + b_new), t)[0]",
           "Return the loss before the step (at the w and b passed in)."),
    # sigmoid_cross_entropy
    Mutant(SCE, "log-of-sigmoid", _SCE_LOSS,
           "per_entry = -(target * np.log(1.0 / (1.0 + np.exp(-logits)))\n"
           "                  + (1.0 - target) * np.log(1.0 - 1.0 / (1.0 + np.exp(-logits))))",
           "Taking the log of sigma(z) is what this loss avoids: sigma(z) rounds to 0 or 1 for "
           "large |z| (and e^(-z) overflows), so the log is -inf. Write log sigma(z) and "
           "log(1 - sigma(z)) in terms of z first, then simplify."),
    Mutant(SCE, "log-of-stable-sigmoid", _SCE_LOSS,
           "per_entry = -(target * np.log(" + _SCE_PROBS[8:] + ")\n"
           "                  + (1.0 - target) * np.log(1.0 - " + _SCE_PROBS[8:] + "))",
           "Even a stable sigmoid rounds to exactly 0 or 1 for |z| above about 37 and 745, and "
           "log(0) = -inf: never take the log of a probability; work from the logits."),
    Mutant(SCE, "gradient-not-averaged", "(probs - target) / n", "(probs - target)",
           "The loss is the mean over the N examples, so its gradient carries the 1/N too."),
    Mutant(SCE, "loss-not-averaged", "float(np.sum(per_entry)) / n", "float(np.sum(per_entry))",
           "The loss is the mean over the N examples: divide the sum by N = logits.shape[0]."),
    Mutant(SCE, "mean-over-all-entries", "n = len(logits)", "n = logits.size",
           "Average over the N examples only; the outputs of one example are summed."),
    Mutant(SCE, "gradient-sign-flipped", "(probs - target) / n", "(target - probs) / n",
           "A sign error in the gradient: raising z must raise the loss when t = 0 (the loss "
           "grows with z there), so dL/dz > 0 for t = 0."),
    Mutant(SCE, "max-without-log1p", _SCE_LOSS, "per_entry = np.maximum(logits, 0.0) - target * logits",
           "max(z, 0) alone is the limit for large |z|; the exact rewriting of log(1 + e^z) "
           "keeps a second, small term that never overflows (0 < it <= log 2)."),
    Mutant(SCE, "log-instead-of-log1p-of-exp-z", _SCE_LOSS,
           "per_entry = np.log1p(np.exp(logits)) - target * logits",
           "log(1 + e^z) typed in literally overflows for z above about 709.8: split off "
           "max(z, 0) first, so that the exponent is never positive."),
    Mutant(SCE, "abs-missing", "np.log1p(e)", "np.log1p(np.exp(-logits))",
           "Without the absolute value e^(-z) overflows for large negative z: the exponent must "
           "be -|z|, which is never positive."),
    Mutant(SCE, "unstable-gradient", _SCE_PROBS,
           "probs = np.exp(logits) / (1.0 + np.exp(logits))",
           "e^z / (1 + e^z) is inf / inf = nan for z above about 709.8: the gradient's sigmoid "
           "needs the same two cases (z >= 0 and z < 0) as a stable sigmoid."),
    Mutant(SCE, "gradient-branches-swapped", "np.where(logits >= 0,", "np.where(logits < 0,",
           "With the two cases swapped the gradient uses sigma(-z) = 1 - sigma(z): check which "
           "form is safe for which sign of z."),
    Mutant(SCE, "gradient-of-bce-in-p", "(probs - target) / n",
           "(probs - target) / np.maximum(probs * (1.0 - probs), 1e-300) / n",
           "That is dL/dp, the gradient with respect to the probability; with respect to the "
           "logit the factor sigma'(z) = p (1 - p) cancels it."),
]
