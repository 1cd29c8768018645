"""Plausible mistakes in chapter 1's Perceptron.predict and Perceptron.update."""
from . import Mutant

PREDICT = "perceptron.Perceptron.predict"
UPDATE = "perceptron.Perceptron.update"

MUTANTS = [
    Mutant(PREDICT, "strict-inequality", "z >= 0", "z > 0",
           "A point exactly on the boundary (z = 0) belongs to class 1: use >=."),
    Mutant(PREDICT, "bias-ignored", "X @ self.w + self.b", "X @ self.w",
           "The weighted input includes the bias: z = X w + b."),
    Mutant(PREDICT, "bias-subtracted", "X @ self.w + self.b", "X @ self.w - self.b",
           "The bias is added (b = -threshold), not subtracted."),
    Mutant(PREDICT, "boolean-output", "(z >= 0).astype(np.int64)", "z >= 0",
           "Return integer labels 0 and 1, not booleans."),
    Mutant(UPDATE, "sign-flipped", "error = target - int(self.predict(x[None, :])[0])",
           "error = int(self.predict(x[None, :])[0]) - target",
           "The error is target minus prediction; reversing it pushes the boundary the wrong way."),
    Mutant(UPDATE, "bias-never-updated", "self.b = self.b + lr * error", "self.b = self.b",
           "The bias learns too: b <- b + lr * error."),
    Mutant(UPDATE, "learning-rate-ignored", "self.w = self.w + lr * error * x",
           "self.w = self.w + error * x", "Scale the weight change by the learning rate."),
    Mutant(UPDATE, "input-mutated", "self.w = self.w + lr * error * x",
           "x *= lr * error\n        self.w = self.w + x",
           "Never modify the caller's x; it is often a row of the training set."),
    Mutant(UPDATE, "returns-nothing", "return error", "return None",
           "update returns the error t - y_hat made before the change."),
]
