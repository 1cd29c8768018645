"""Cost of autograding, measured against its floor in the same run (reported, never asserted).

- floor: start a kernel, run an empty notebook and shut the kernel down (nbclient);
- the notebook alone: the same, for the notebook grading runs (the chapter-1 source
  notebook, reference solution, cells no test needs removed), with the reference nnlib;
  this is what any grader that runs the notebook must pay;
- per submission: ``nncourse autograde ch01_perceptron`` on N synthetic submissions
  (the release, solved with the reference's code), each in its own sandbox, at ``--jobs 1`` and
  ``--jobs 2``: the batch's wall time (setup included) divided by N;
- the worst hostile case: one submission whose graded methods loop forever, so that every
  check runs out its budget.
Targets (issue 9): per-submission cost at most 2x the floor; ``--jobs 2`` at least 1.7x
faster than ``--jobs 1`` on 2 cores.

    .venv/bin/python benchmarks/bench_grading.py [--submissions 200] [--floor-runs 5]
"""
import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nncourse import REPO_ROOT
from nncourse.chapters import get_chapter
from nncourse.grader.batch import autograde
from nncourse.grader.restore import prune_unneeded_cells, rebuild_notebook

CHAPTER = get_chapter("ch01_perceptron")


def median_run_seconds(make_notebook, runs, cwd):
    """Median time to start a kernel, run ``make_notebook()`` in ``cwd`` and tear down."""
    times = []
    for _ in range(runs):
        notebook = make_notebook()
        start = time.perf_counter()
        NotebookClient(notebook, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
                       ).execute(env=dict(os.environ, MPLBACKEND="Agg"))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def empty_notebook():
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")])


def graded_notebook():
    """The notebook grading runs for a reference submission (pruned as the grader does)."""
    source = nbformat.read(CHAPTER.source_notebook(REPO_ROOT), as_version=4)
    notebook, _ = rebuild_notebook(source, source)
    return prune_unneeded_cells(notebook, lambda c: "grade_id" in c.metadata.get("nbgrader", {}))


def make_submissions(folder, count):
    """``count`` submissions as a student hands one in: the released chapter folder, with
    the solved notebook and the chapter's module(s) of ``nnlib`` taken from the reference."""
    modules = {function.split(".")[0] for function in CHAPTER.functions}
    for number in range(count):
        dest = folder / f"student{number:04d}" / CHAPTER.id
        shutil.copytree(REPO_ROOT / "exercises" / CHAPTER.id, dest)
        shutil.copy(CHAPTER.source_notebook(REPO_ROOT), dest / CHAPTER.notebook)
        for module in modules:
            shutil.copy(REPO_ROOT / "nnlib" / f"{module}.py", dest / "nnlib" / f"{module}.py")


def make_endless(folder):
    """One submission whose predict and update bodies are ``while True: pass``."""
    dest = folder / "endless" / CHAPTER.id
    shutil.copytree(REPO_ROOT / "exercises" / CHAPTER.id, dest)
    module = dest / "nnlib" / "perceptron.py"
    lines = module.read_text().splitlines()
    for number, line in enumerate(lines):
        if "raise NotImplementedError(" in line:
            lines[number] = line[:len(line) - len(line.lstrip())] + "while True: pass"
    module.write_text("\n".join(lines) + "\n")


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
    with tempfile.TemporaryDirectory(prefix="nncourse-bench-") as tmp:
        tmp = Path(tmp)
        make_submissions(tmp / "submitted", args.submissions)
        floor = median_run_seconds(empty_notebook, args.floor_runs, tmp)
        alone = median_run_seconds(graded_notebook, args.floor_runs,
                                   tmp / "submitted" / "student0000" / CHAPTER.id)
        print(f"the graded chapter-1 notebook alone (same measure): {alone:.2f} s")
        one = per_submission_seconds(tmp / "submitted", tmp / "out1", args.submissions, 1)
        two = per_submission_seconds(tmp / "submitted", tmp / "out2", args.submissions, 2)
        make_endless(tmp / "hostile")
        worst = per_submission_seconds(tmp / "hostile", tmp / "out3", 1, 1)
        # measured before and after the batches; the smaller median (a busy moment only adds)
        floor = min(floor, median_run_seconds(empty_notebook, args.floor_runs, tmp))
        print(f"floor (start kernel, run an empty notebook, shut down): {floor:.2f} s")
    print(f"the notebook alone = {alone / floor:.2f}x the floor")
    print(f"per submission, --jobs 1: {one:.2f} s = {one / floor:.2f}x the floor (target <= 2); "
          f"{one / alone:.2f}x the notebook alone")
    print(f"per submission, --jobs 2: {two:.2f} s; speed-up {one / two:.2f}x (target >= 1.7)")
    print(f"worst hostile case (every check loops until its budget): {worst:.1f} s")


if __name__ == "__main__":
    main()
