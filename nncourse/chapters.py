"""The course's chapters: assignment ids and the nnlib functions each one asks for."""
from dataclasses import dataclass


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


CHAPTERS = {chapter.id: chapter for chapter in (
    Chapter("ch01_perceptron", 1, "The perceptron",
            ("perceptron.Perceptron.predict", "perceptron.Perceptron.update")),
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
