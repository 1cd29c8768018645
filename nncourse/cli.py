"""The ``nncourse`` command: release, check and autograde the course's exercises."""
import argparse
import os
import sys
import time
from pathlib import Path

from . import REPO_ROOT
from .chapters import CHAPTERS, get_chapter


def main(argv=None):
    """Entry point; returns the exit status (0 ok, 1 check failed, 2 bad usage)."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (KeyError, FileNotFoundError, ValueError) as err:
        print(f"nncourse {args.command}: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2


def _parser():
    parser = argparse.ArgumentParser(prog="nncourse", description=__doc__)
    parser.add_argument("--repo", type=Path, default=REPO_ROOT,
                        help="course repository (default: the one nncourse is installed from)")
    sub = parser.add_subparsers(dest="command", required=True)
    ids = f"assignment ids ({', '.join(CHAPTERS)}); default: all"

    p = sub.add_parser("release", help="regenerate exercises/<id>/ from solutions/ and nnlib/")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help=ids)
    p.set_defaults(run=_release)

    p = sub.add_parser("check", help="prove the releases are fresh, leak-free and graded right")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help=ids)
    p.add_argument("--timeout", type=int, default=60, help="seconds per cell (default 60)")
    p.add_argument("--no-mutants", action="store_true",
                   help="skip proving every catalogued mistake fails a check (the slow part)")
    p.set_defaults(run=_check)

    p = sub.add_parser("autograde", help="grade DIR/<student_id>/<assignment>/ submissions")
    p.add_argument("assignment", metavar="ASSIGNMENT")
    p.add_argument("--submissions", type=Path, required=True, metavar="DIR")
    p.add_argument("--out", type=Path, required=True, metavar="OUT",
                   help="writes OUT/grades.csv, OUT/feedback/<student_id>/<assignment>/ "
                        "(nbgrader's layout), OUT/results/ (kept for resuming) and "
                        "OUT/autograded/ (executed notebooks)")
    p.add_argument("--timeout", type=float, default=60, metavar="S",
                   help="most seconds for any notebook cell (default 60; a check gets less: "
                        "20x the reference's own time, at least 5 s)")
    p.add_argument("--memory", type=int, default=2048, metavar="MB",
                   help="memory limit of each sandbox (default 2048)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="grade N submissions at a time (default: the number of cores)")
    p.add_argument("--db", metavar="URL",
                   help="nbgrader gradebook, a SQLAlchemy URL (default sqlite:///OUT/gradebook.db; "
                        "postgresql://... for a gradebook shared by several batches)")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade without the sandbox (only where no sandbox can be made and every "
                        "submission is trusted; every status says NOT SANDBOXED)")
    p.set_defaults(run=_autograde)

    p = sub.add_parser("grades", help="export every student's grades and per-topic progress "
                                      "from a gradebook")
    p.add_argument("--db", required=True, metavar="URL",
                   help="the gradebook autograde wrote: sqlite:///path or a PostgreSQL URL")
    p.add_argument("--out", type=Path, required=True, metavar="CSV",
                   help="one row per student and assignment")
    p.add_argument("--progress", type=Path, metavar="CSV",
                   help="per student and topic: points and whether every test passed, "
                        "plus (class) pass rates")
    p.add_argument("--plot", type=Path, metavar="PNG", help="a picture of that progress")
    p.set_defaults(run=_grades)

    p = sub.add_parser("student", help="build the student edition: book, exercises, README, "
                                       "requirements and start.py, checked for leaks")
    p.add_argument("--chapters", nargs="+", metavar="ID", help=ids)
    p.add_argument("--out", type=Path, metavar="DIR", help="default: <repo>/dist/student")
    p.add_argument("--book", type=Path, metavar="HTML",
                   help="a built book to use (default: _build/html, rebuilt first unless it is "
                        "newer than every page, _config.yml, _toc.yml, intro.md, "
                        "references.bib, nnlib/ and requirements.txt)")
    p.set_defaults(run=_student)
    return parser


def _chapters(ids, repo_root):
    """The chapters named (each must have an exercise), or every chapter that has one."""
    if ids:
        chosen = [get_chapter(i) for i in ids]
        missing = [c for c in chosen if not c.has_exercise(repo_root)]
        if missing:
            raise FileNotFoundError(f"no source notebook {missing[0].source_notebook(repo_root)}")
        return chosen
    for chapter in CHAPTERS.values():
        if not chapter.has_exercise(repo_root):
            print(f"SKIP {chapter.id}: no exercise yet ({chapter.source_notebook(repo_root)} "
                  f"does not exist)")
    return [c for c in CHAPTERS.values() if c.has_exercise(repo_root)]


def _release(args):
    from .release import release

    for chapter in _chapters(args.assignments, args.repo):
        dest = release(chapter, args.repo)
        print(f"released {chapter.id} -> {dest}")
    return 0


def _check(args):
    from .check import check_chapter, find_leaks

    findings = [find_leaks(args.repo)]
    print(findings[0], flush=True)
    for chapter in _chapters(args.assignments, args.repo):
        for finding in check_chapter(chapter, args.repo, args.timeout, mutants=not args.no_mutants):
            print(finding, flush=True)
            findings.append(finding)
    failed = [f for f in findings if not f.ok]
    print(f"\nnncourse check: {len(findings) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _autograde(args):
    from .grader.batch import autograde
    from .grader.sandbox import Limits, SandboxUnavailable

    chapter = get_chapter(args.assignment)
    if args.timeout <= 0 or args.memory < 256:
        raise ValueError(f"--timeout must be positive and --memory at least 256 MB; got "
                         f"{args.timeout:g} s and {args.memory} MB")
    start = time.perf_counter()
    try:
        results = autograde(chapter, args.submissions, args.out, args.repo,
                            Limits(timeout=args.timeout, memory_mb=args.memory),
                            jobs=max(1, args.jobs), db_url=args.db, sandboxed=not args.no_sandbox)
    except SandboxUnavailable as err:
        print(f"nncourse autograde: {err}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    for r in results:
        print(f"{r.student_id}: {r.score:g}/{r.max_score:g}  {r.status}")
    fresh = sum(not r.reused for r in results)
    print(f"\ngraded {fresh} submission(s) in {seconds:.1f} s"
          + (f" ({seconds / fresh:.1f} s each)" if fresh else "")
          + f"; reused {len(results) - fresh} stored result(s); wrote {args.out / 'grades.csv'} "
          f"and {args.out / 'feedback'}/")
    return 0


def _grades(args):
    from .report import export_grades

    export = export_grades(args.db, args.repo, args.out, args.progress, args.plot)
    print(f"{len(export.students)} student(s), {len(export.assignments)} assignment(s)")
    for assignment, (mean, max_total, submitted) in export.means.items():
        print(f"{assignment}: class mean {mean:.1f}/{max_total:g} "
              f"({submitted} of {len(export.students)} submitted)")
    if export.other_assignments:
        print(f"ignored (not course assignments): {', '.join(export.other_assignments)}")
    print("wrote " + ", ".join(map(str, export.written)))
    return 0


def _student(args):
    from .edition import book_is_fresh, build_book, build_edition
    from .edition_scan import scan_edition

    chapters = _chapters(args.chapters, args.repo)
    book = args.book or args.repo / "_build" / "html"
    try:
        if args.book is None and not book_is_fresh(args.repo, book):
            print(f"{book} is missing or older than the book's sources: building the book")
            book = build_book(args.repo)
        out = build_edition(args.repo, args.out or args.repo / "dist" / "student", chapters, book)
    except (FileExistsError, RuntimeError) as err:
        print(f"nncourse student: {err}", file=sys.stderr)
        return 2
    leaks = scan_edition(out, args.repo)
    for leak in leaks:
        print(f"LEAK {leak}", file=sys.stderr)
    print(f"{'FAILED' if leaks else 'wrote'} the student edition {out} "
          f"({', '.join(c.id for c in chapters)})" + (f": {len(leaks)} leak(s)" if leaks else ""))
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
