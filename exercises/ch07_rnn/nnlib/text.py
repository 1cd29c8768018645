r"""Text for character-level models (chapter 7): a character vocabulary, batches of
index sequences, and sampling from a trained recurrent network.

A character model reads one-hot vectors ``(N, T, V)`` (``V`` the vocabulary size) and
predicts, at every time step, the next character: its targets are the input indices
shifted by one position.
"""
import numpy as np

from .activations import softmax


class CharVocab:
    """The characters of a text, each given an integer id (in sorted order).

    Parameters
    ----------
    text : str
        Every character that will ever be encoded must occur in it.

    Attributes
    ----------
    chars : tuple of str
        ``chars[i]`` is the character with id ``i``.
    """

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError(f"CharVocab: text must be a non-empty str; got {type(text).__name__}")
        self.chars = tuple(sorted(set(text)))
        self._ids = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """``str`` of length L -> int64 ids ``(L,)``; a ValueError names unknown characters."""
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise ValueError(f"CharVocab.encode: characters not in the vocabulary: {unknown}")
        return np.array([self._ids[c] for c in text], dtype=np.int64)

    def decode(self, ids):
        """Ids of any shape, read in C order -> ``str``."""
        ids = np.asarray(ids)
        if ids.size and (ids.dtype.kind not in "iu" or ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"CharVocab.decode: ids must be integers in 0..{len(self) - 1}")
        return "".join(self.chars[i] for i in ids.ravel())

    def one_hot(self, ids):
        """Ids ``(...)`` -> float64 one-hot vectors ``(..., V)``, the input of an RNN."""
        ids = np.asarray(ids)
        return (ids[..., None] == np.arange(len(self))).astype(np.float64)


def char_batches(ids, batch_size, seq_len, rng=None):
    """Mini-batches of a text's ids for next-character prediction, in a seeded order.

    The ids are cut into consecutive, non-overlapping windows of ``seq_len + 1`` ids
    (window ``k`` starts at ``k * seq_len``, so neighbours share one id); the windows are
    shuffled and grouped ``batch_size`` at a time (the last batch may be smaller).

    Parameters
    ----------
    ids : array_like of int, shape (L,)
    batch_size, seq_len : int
    rng : numpy.random.Generator, int or None

    Yields
    ------
    X, Y : ndarray of int64, shape (N, T)
        ``Y[:, t]`` is the id that follows ``X[:, t]`` in the text.
    """
    ids = np.asarray(ids, dtype=np.int64)
    if ids.ndim != 1 or seq_len < 1 or batch_size < 1 or len(ids) < seq_len + 1:
        raise ValueError(f"char_batches: need ids (L,) with L >= seq_len + 1 and sizes >= 1; got "
                         f"shape {ids.shape}, batch_size={batch_size}, seq_len={seq_len}")
    starts = np.random.default_rng(rng).permutation((len(ids) - 1) // seq_len) * seq_len
    for first in range(0, len(starts), batch_size):
        windows = ids[starts[first:first + batch_size, None] + np.arange(seq_len + 1)]
        yield windows[:, :-1], windows[:, 1:]


def sample(rnn, head, vocab, start, n, temperature=1.0, rng=None):
    r"""Generate ``n`` characters after ``start`` from a character model.

    Parameters
    ----------
    rnn : layers.RNN or layers.LSTM
        Reads one-hot characters ``(1, T, V)``; ``forward(x, *rnn.state)`` continues from
        the state the previous call ended in.
    head : layer
        Maps a hidden state ``(1, H)`` to logits ``(1, V)``, e.g. ``Linear(H, V)``.
    vocab : CharVocab
    start : str
        The prompt, at least one character of the vocabulary.
    n : int
        Number of characters to generate.
    temperature : float
        :math:`\tau > 0`; below 1 sharpens the distribution (towards the most likely
        character), above 1 flattens it.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    str
        The ``n`` generated characters (without ``start``).

    Notes
    -----
    Each character is drawn from :math:`p = \mathrm{softmax}(\mathbf z / \tau)`,
    :math:`\mathbf z` the logits after the characters so far, and fed back as the next
    input.
    """
    if not start or not temperature > 0:
        raise ValueError(f"sample: start must be a non-empty str and temperature > 0; got "
                         f"{start!r}, {temperature!r}")
    rng, drawn = np.random.default_rng(rng), []
    hs = rnn.forward(vocab.one_hot(vocab.encode(start)[None]))
    for _ in range(n):
        p = softmax(head.forward(hs[:, -1])[0] / temperature)
        drawn.append(rng.choice(len(p), p=p))
        hs = rnn.forward(vocab.one_hot([[drawn[-1]]]), *rnn.state)
    return vocab.decode(np.array(drawn, dtype=np.int64))
