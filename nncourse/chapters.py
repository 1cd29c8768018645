"""The course's chapters: assignment ids and the nnlib functions each one asks for."""
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    """One chapter: a book page and a graded exercise.

    ``functions`` are the nnlib functions whose bodies the student writes, as
    ``"<module>.<qualname>"``; every solution region in ``nnlib/`` lies in one of them.
    """

    id: str
    number: int
    title: str
    functions: tuple

    @property
    def notebook(self):
        """File name of the exercise notebook."""
        return f"{self.id}.ipynb"

    def source_notebook(self, repo_root):
        """Path of the nbgrader source notebook, ``solutions/<id>/<id>.ipynb``."""
        return Path(repo_root) / "solutions" / self.id / self.notebook

    def has_exercise(self, repo_root):
        """Whether the chapter's source notebook exists yet."""
        return self.source_notebook(repo_root).is_file()


CHAPTERS = {chapter.id: chapter for chapter in (
    Chapter("ch01_perceptron", 1, "The perceptron",
            ("perceptron.Perceptron.predict", "perceptron.Perceptron.update")),
    Chapter("ch02_sigmoid", 2, "Sigmoid neurons and cost functions",
            ("activations.sigmoid", "activations.sigmoid_prime", "losses.mse",
             "losses.binary_cross_entropy", "neuron.neuron_step",
             "losses.sigmoid_cross_entropy")),
    Chapter("ch03_softmax", 3, "Softmax classification",
            ("activations.softmax", "losses.softmax_cross_entropy",
             "losses.temperature_cross_entropy")),
    Chapter("ch04_backprop", 4, "Feedforward networks and backpropagation",
            ("layers.Linear.forward", "layers.Linear.backward", "network.Sequential.backward",
             "optim.SGD.step", "gradcheck.numerical_gradient",
             "layers.Softplus.backward")),
    Chapter("ch05_regularization", 5, "Regularization, initialization and training deep networks",
            ("layers.Dropout.forward", "layers.Dropout.backward", "losses.l2_penalty",
             "losses.l1_penalty", "network.Sequential.weights", "init.he",
             "train.EarlyStopping.update", "train.EarlyStopping.restore")),
    Chapter("ch06_cnn", 6, "Convolutional networks",
            ("conv.conv2d_forward_naive", "conv.conv2d_backward_naive",
             "conv.maxpool2d_forward_naive", "conv.maxpool2d_backward_naive",
             "layers.Conv2d.forward", "layers.Conv2d.backward",
             "layers.MaxPool2d.forward", "layers.MaxPool2d.backward")),
    Chapter("ch07_rnn", 7, "Recurrent networks and backpropagation through time",
            ("recurrent.rnn_step_forward", "recurrent.rnn_step_backward", "layers.RNN.backward",
             "optim.clip_grad_norm", "recurrent.lstm_step_forward",
             "recurrent.lstm_step_backward", "layers.LSTM.backward")),
)}


def get_chapter(chapter_id):
    """The chapter with this assignment id, or a ``KeyError`` listing the valid ids."""
    try:
        return CHAPTERS[chapter_id]
    except KeyError:
        raise KeyError(f"unknown assignment {chapter_id!r}; expected one of: "
                       f"{', '.join(CHAPTERS)}") from None


def chapter_of_function(function):
    """The chapter whose exercise asks for ``function`` (``"module.Qual.name"``), or None."""
    return next((c for c in CHAPTERS.values() if function in c.functions), None)
