"""Mini-batch training loop with a history and a progress bar (chapter 4 on)."""
import numpy as np
from tqdm.auto import tqdm


def iterate_minibatches(n_samples, batch_size, rng=None):
    """Index arrays covering ``range(n_samples)`` once, in random order if ``rng`` is given.

    The last batch is smaller when ``batch_size`` does not divide ``n_samples``; the
    number of batches (iterations per epoch) is ``ceil(n_samples / batch_size)``.
    """
    order = np.arange(n_samples) if rng is None else rng.permutation(n_samples)
    return [order[i:i + batch_size] for i in range(0, n_samples, batch_size)]


def accuracy(model, X, y):
    """Share of rows of ``X`` whose highest-scoring class is ``y`` (model in eval mode).

    Meant for models with one output per class; for a single sigmoid output, threshold
    the output at 0.5 yourself.
    """
    return float(np.mean(predict_classes(model, X) == np.asarray(y)))


def predict_classes(model, X):
    """Class with the highest output, per row, in evaluation mode."""
    model.eval()
    scores = model.forward(X)
    model.train()
    return np.argmax(scores, axis=1)


def fit(model, loss_fn, optimizer, X, y, epochs, batch_size=32, rng=None,
        validation=None, progress=True):
    """Train ``model`` with mini-batch SGD.

    Parameters
    ----------
    model : Sequential
    loss_fn : callable
        ``loss_fn(outputs, targets) -> (loss, doutputs)``, e.g. ``softmax_cross_entropy``.
    optimizer : SGD
    X, y : training inputs ``(N, D)`` and targets
    epochs : int
    batch_size : int
    rng : numpy.random.Generator or None
        Shuffles the examples each epoch (no shuffling if None).
    validation : tuple (X_val, y_val) or None
        Evaluated (loss and accuracy) after every epoch.
    progress : bool
        Show a tqdm progress bar over epochs.

    Returns
    -------
    dict of lists, one entry per epoch
        ``"loss"`` (mean training loss over the epoch's mini-batches), ``"accuracy"``
        (training accuracy at the end of the epoch) and, with ``validation``,
        ``"val_loss"`` and ``"val_accuracy"``.
    """
    history = {"loss": [], "accuracy": []}
    if validation is not None:
        history.update(val_loss=[], val_accuracy=[])
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for _ in bar:
        model.train()
        losses = [_train_step(model, loss_fn, optimizer, X[idx], y[idx])
                  for idx in iterate_minibatches(len(X), batch_size, rng)]
        history["loss"].append(float(np.mean(losses)))
        history["accuracy"].append(accuracy(model, X, y))
        if validation is not None:
            model.eval()
            history["val_loss"].append(loss_fn(model.forward(validation[0]), validation[1])[0])
            history["val_accuracy"].append(accuracy(model, *validation))
        bar.set_postfix(loss=f"{history['loss'][-1]:.4f}")
    model.train()
    return history


def _train_step(model, loss_fn, optimizer, X, y):
    optimizer.zero_grad()
    loss, dout = loss_fn(model.forward(X), y)
    model.backward(dout)
    optimizer.step()
    return loss
