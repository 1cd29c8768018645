"""What the course's nbgrader notebooks hold: graded test cells, written answers, grade ids.

Shared by the release, the grader and the report, which all read the same source notebook.
"""
from dataclasses import dataclass

HIDDEN_MARK = "### BEGIN HIDDEN TESTS"


@dataclass(frozen=True)
class TestCell:
    """A graded test cell of the source notebook.

    ``topic`` is what it grades: ``metadata["nncourse"]["topic"]`` (a function of
    ``nncourse/chapters.py`` or a label such as "training"), else the cell's own name.
    """

    name: str
    points: float
    hidden: bool
    hint: str
    topic: str = ""


def grade_id(cell):
    """The cell's nbgrader grade id, or None."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_test_cell(cell):
    """An autograded test cell (graded, not a solution)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution")


def test_cells(notebook):
    """The autograded test cells of a source notebook, in order."""
    cells = []
    for cell in notebook.cells:
        if is_test_cell(cell):
            meta, ours = cell.metadata["nbgrader"], cell.metadata.get("nncourse", {})
            cells.append(TestCell(meta["grade_id"], float(meta.get("points", 0)),
                                  HIDDEN_MARK in cell.source, ours.get("hint", ""),
                                  ours.get("topic", meta["grade_id"])))
    return cells


def written_cells(notebook):
    """(grade_id, points) of the manually graded answers."""
    return [(grade_id(c), float(c.metadata["nbgrader"].get("points", 0))) for c in notebook.cells
            if c.metadata.get("nbgrader", {}).get("grade") and c.metadata["nbgrader"].get("solution")]
