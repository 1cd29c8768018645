"""Mini-batch training loop with a history and a progress bar (chapter 4 on); early stopping
and weight penalties (chapter 5)."""
import numpy as np


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
        validation=None, progress=True, early_stopping=None, penalty=None):
    """Train ``model`` with mini-batch SGD.

    Parameters
    ----------
    model : Sequential
    loss_fn : callable
        ``loss_fn(outputs, targets) -> (loss, doutputs)``, e.g. ``softmax_cross_entropy``.
    optimizer : SGD
    X, y : training inputs ``(N, D)`` and targets
    epochs : int
        The most epochs to run (fewer if ``early_stopping`` stops the run).
    batch_size : int
    rng : numpy.random.Generator or None
        Shuffles the examples each epoch (no shuffling if None).
    validation : tuple (X_val, y_val) or None
        Evaluated (loss and accuracy) after every epoch.
    progress : bool
        Show a tqdm progress bar over epochs.
    early_stopping : EarlyStopping or None
        Needs ``validation``. Fed ``history[early_stopping.monitor][-1]`` after every
        epoch; the run stops when it says so, and the best parameters it kept are copied
        back into the model at the end (whether or not it stopped early).
    penalty : callable or None
        ``penalty(weights) -> (value, grads)`` on ``model.weights()`` (biases excluded),
        e.g. ``lambda w: l1_penalty(w, 1e-4)``; added to each mini-batch's loss and to
        the weights' gradients before the optimizer's step.

    Returns
    -------
    dict
        Lists with one entry per epoch run: ``"loss"`` (mean training loss over the
        epoch's mini-batches, penalty included), ``"accuracy"`` (training accuracy at the
        end of the epoch) and, with ``validation``, ``"val_loss"`` and ``"val_accuracy"``.
        With ``early_stopping``, also ``"best_epoch"``: the (0-based) index of the epoch
        whose parameters the model ends with.
    """
    history = {"loss": [], "accuracy": []}
    if validation is not None:
        history.update(val_loss=[], val_accuracy=[])
    if early_stopping is not None and (validation is None or early_stopping.monitor not in history):
        raise ValueError(f"fit: early_stopping needs validation=(X_val, y_val) and monitor in "
                         f"{sorted(history)}; got monitor={early_stopping.monitor!r}")
    from tqdm.auto import tqdm  # imported here: in a kernel it loads ipywidgets (~0.1 s)
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for _ in bar:
        _epoch(model, loss_fn, optimizer, X, y, batch_size, rng, validation, penalty, history)
        postfix, stop = {"loss": f"{history['loss'][-1]:.4f}"}, False
        if early_stopping is not None:
            stop = early_stopping.update(history[early_stopping.monitor][-1], model)
            postfix["best epoch"] = early_stopping.best_epoch
        bar.set_postfix(postfix)
        if stop:
            break
    bar.close()
    if early_stopping is not None:
        early_stopping.restore(model)
        history["best_epoch"] = early_stopping.best_epoch
    model.train()
    return history


def _epoch(model, loss_fn, optimizer, X, y, batch_size, rng, validation, penalty, history):
    """One pass over the training set, then the epoch's entries of ``history``."""
    model.train()
    losses = [_train_step(model, loss_fn, optimizer, X[idx], y[idx], penalty)
              for idx in iterate_minibatches(len(X), batch_size, rng)]
    history["loss"].append(float(np.mean(losses)))
    history["accuracy"].append(accuracy(model, X, y))
    if validation is not None:
        model.eval()
        history["val_loss"].append(loss_fn(model.forward(validation[0]), validation[1])[0])
        history["val_accuracy"].append(accuracy(model, *validation))


def _train_step(model, loss_fn, optimizer, X, y, penalty=None):
    optimizer.zero_grad()
    loss, dout = loss_fn(model.forward(X), y)
    model.backward(dout)
    if penalty is not None:
        loss += _add_penalty(model, penalty)
    optimizer.step()
    return loss


def _add_penalty(model, penalty):
    """Add ``penalty(model.weights())``'s gradients to those arrays' gradients; return its value."""
    slots = {id(params[key]): (grads, key) for params, grads in model.parameters() for key in params}
    weights = model.weights()
    value, dweights = penalty(weights)
    for w, dw in zip(weights, dweights):
        grads, key = slots[id(w)]
        grads[key] = grads[key] + dw
    return value


class EarlyStopping:
    r"""Stop training once a validation metric has stopped improving; keep the best parameters.

    Call :meth:`update` once per epoch with the epoch's metric and the model; it records a
    copy of the parameters whenever the metric improves, and returns True when training
    should stop. :meth:`restore` then copies the best parameters back into the model.

    Parameters
    ----------
    patience : int
        How many consecutive epochs without improvement to tolerate (at least 1).
    mode : {"min", "max"}
        "min" for a loss (lower is better), "max" for an accuracy.
    monitor : str
        The ``fit`` history entry to watch (``"val_loss"`` or ``"val_accuracy"``); only
        ``fit`` reads it.

    Attributes
    ----------
    best : float or None
        The best metric so far.
    best_epoch : int or None
        The 0-based index of the ``update`` call that gave it.
    best_params : list of dict or None
        Copies of ``params`` of every layer with parameters, as of ``best_epoch``.
    wait : int
        Epochs since the last improvement.

    Notes
    -----
    Epoch :math:`t` improves when its metric :math:`m_t` is *strictly* better than the best
    so far, :math:`m_t < \min_{s<t} m_s` in mode "min" (the first epoch always improves; a
    NaN metric counts as the worst value). ``update`` returns True when the last
    ``patience`` epochs all failed to improve, i.e. at epoch :math:`b + \text{patience}`
    when :math:`b` is the best epoch: a run that stops has trained
    :math:`b + \text{patience} + 1` epochs.
    """

    def __init__(self, patience, mode="min", monitor="val_loss"):
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an int >= 1; got {patience!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max'; got {mode!r}")
        self.patience, self.mode, self.monitor = int(patience), mode, monitor
        self.best = self.best_epoch = self.best_params = None
        self.wait, self.epoch = 0, -1

    def update(self, metric, model):
        """Record epoch ``metric`` (and the parameters of ``model`` if it is the best so far);
        return True if training should stop now."""
        metric = float(metric)
        if np.isnan(metric):
            metric = np.inf if self.mode == "min" else -np.inf
        self.epoch += 1
        # Given: the course's solution of chapter 5 (ch05_regularization). To use your own, copy this file from your previous exercise folder (see README.md).
        if self.best is None or (metric < self.best if self.mode == "min" else metric > self.best):
            self.best, self.best_epoch, self.wait = metric, self.epoch, 0
            self.best_params = [{k: v.copy() for k, v in params.items()}
                                for params, _ in model.parameters()]
        else:
            self.wait += 1
        return self.wait >= self.patience

    def restore(self, model):
        """Copy the best parameters back into the model's own arrays (in place, so an
        optimizer holding them keeps working)."""
        if self.best_params is None:
            raise RuntimeError("EarlyStopping.restore: update() has not been called yet")
        # Given: the course's solution of chapter 5 (ch05_regularization). To use your own, copy this file from your previous exercise folder (see README.md).
        for (params, _), best in zip(model.parameters(), self.best_params):
            for key, value in params.items():
                value[...] = best[key]
