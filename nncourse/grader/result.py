"""A submission's grade: the one type that goes from the worker to the store, the gradebook
and the feedback (:class:`Result`, with a :class:`TestOutcome` per graded test cell)."""
from dataclasses import asdict, dataclass, field

from ..notebook_schema import TestCell


@dataclass
class TestOutcome:
    """One test cell's trusted verdict for one student."""

    cell: TestCell
    verdict: str  # passed, wrong, not implemented, ... (nncourse.grader.checks)
    detail: str = ""  # trusted words: which case and output
    hint: str = ""  # a catalogued mistake the student's outputs match, if any

    @property
    def score(self):
        return self.cell.points if self.passed else 0.0

    @property
    def passed(self):
        return self.verdict == "passed"


@dataclass
class Result:
    """One submission's grade: per-test outcomes, written answers and a one-line status."""

    student_id: str
    assignment: str
    tests: list
    status: str
    written: list = field(default_factory=list)  # [grade_id, points, answer text]
    reused: bool = False  # read back from the store instead of graded in this run

    @property
    def score(self):
        return sum(t.score for t in self.tests)

    @property
    def max_score(self):
        return sum(t.cell.points for t in self.tests)

    def to_dict(self):
        record = asdict(self)
        record.pop("reused")
        return record

    @classmethod
    def from_dict(cls, record, reused=True):
        tests = [TestOutcome(TestCell(**t["cell"]), t["verdict"], t["detail"], t["hint"])
                 for t in record["tests"]]
        return cls(record["student_id"], record["assignment"], tests, record["status"],
                   [list(w) for w in record["written"]], reused=reused)

    def row(self):
        """The grades.csv row."""
        return {"student_id": self.student_id, "assignment": self.assignment,
                "score": f"{self.score:g}", "max_score": f"{self.max_score:g}",
                "status": self.status}
