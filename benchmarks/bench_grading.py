"""Cost of autograding, measured against its floor in the same run (reported, never asserted).

- floor: start a kernel, run an empty notebook and shut the kernel down (nbclient);
- per submission: ``nncourse autograde ch01_perceptron`` on N synthetic submissions
  (copies of the reference solution), at ``--jobs 1`` and ``--jobs 2``: the batch's wall
  time (setup included) divided by N.
Targets (issue 3): per-submission cost at most 1.5x the floor; ``--jobs 2`` at least 1.7x
faster than ``--jobs 1`` on 2 cores.

    .venv/bin/python benchmarks/bench_grading.py [--submissions 200] [--floor-runs 5]
"""
import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nncourse import REPO_ROOT
from nncourse.chapters import get_chapter
from nncourse.grading import autograde

CHAPTER = get_chapter("ch01_perceptron")


def floor_seconds(runs):
    """Median time to start a kernel, run one empty cell and tear the kernel down."""
    times = []
    for _ in range(runs):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])
        start = time.perf_counter()
        NotebookClient(notebook, kernel_name="python3").execute()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_submissions(folder, count):
    """``count`` copies of the reference solution in nbgrader's submitted layout."""
    for number in range(count):
        dest = folder / f"student{number:04d}" / CHAPTER.id
        shutil.copytree(REPO_ROOT / "solutions" / CHAPTER.id, dest)
        shutil.copytree(REPO_ROOT / "nnlib", dest / "nnlib", ignore=shutil.ignore_patterns("__pycache__"))


def per_submission_seconds(submissions, out, count, jobs):
    start = time.perf_counter()
    results = autograde(CHAPTER, submissions, out, REPO_ROOT, jobs=jobs)
    total = time.perf_counter() - start
    full = sum(r.score == r.max_score for r in results)
    print(f"  --jobs {jobs}: {total:.1f} s for {count} submissions ({full} full marks)")
    return total / count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--floor-runs", type=int, default=5)
    args = parser.parse_args()
    floor = floor_seconds(args.floor_runs)
    print(f"floor (start kernel, run an empty notebook, shut down): {floor:.2f} s")
    with tempfile.TemporaryDirectory(prefix="nncourse-bench-") as tmp:
        tmp = Path(tmp)
        make_submissions(tmp / "submitted", args.submissions)
        one = per_submission_seconds(tmp / "submitted", tmp / "out1", args.submissions, 1)
        two = per_submission_seconds(tmp / "submitted", tmp / "out2", args.submissions, 2)
    print(f"per submission, --jobs 1: {one:.2f} s = {one / floor:.2f}x the floor (target <= 1.5)")
    print(f"per submission, --jobs 2: {two:.2f} s; speed-up {one / two:.2f}x (target >= 1.7)")


if __name__ == "__main__":
    main()
