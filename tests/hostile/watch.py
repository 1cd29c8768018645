"""Watching a batch from outside: its processes while it runs, the file trees around it.

:func:`run_watched` runs a command and samples its process tree every 0.2 s: the peak
resident memory of the trusted processes (uid 0: the main process and the grading
workers), the uids of the sandboxes (uids from ``UID_BASE`` up) and how many processes at
once carry an attack's marker in their command line. :func:`tree_state`
records a folder's files (size, mtime, mode, never following links), so a test can say
exactly what a batch changed.
"""
import os
import re
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from nncourse.grader.sandbox import UID_BASE

SAMPLE_SECONDS = 0.2
MARKER = re.compile(r"redteam-[a-z0-9_]+-q7z")  # what tests/hostile/attacks.py plants


@dataclass
class Watched:
    """What :func:`run_watched` saw."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    trusted_peak_mb: dict = field(default_factory=dict)  # command line -> peak RSS (MB)
    sandbox_uids: set = field(default_factory=set)
    marked_processes: dict = field(default_factory=dict)  # marker -> most processes seen at once naming it


def run_watched(command, cwd=None):
    """Run ``command`` to the end, sampling its process tree; return a :class:`Watched`."""
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="surrogateescape")  # student ids are folder names, any bytes
    watched = Watched(0, "", "", 0.0)
    with proc:
        while proc.poll() is None:
            _sample(proc.pid, watched)
            time.sleep(SAMPLE_SECONDS)
        watched.stdout, watched.stderr = proc.communicate()
    watched.returncode, watched.seconds = proc.returncode, time.monotonic() - start
    return watched


def _sample(root, watched):
    marked = {}
    for pid in descendants(root):
        uid, rss_mb, command = _status(pid)
        if uid == 0:
            watched.trusted_peak_mb[command] = max(watched.trusted_peak_mb.get(command, 0), rss_mb)
        elif uid is not None and uid >= UID_BASE:
            watched.sandbox_uids.add(uid)
        for name in MARKER.findall(command):
            marked[name] = marked.get(name, 0) + 1
    for name, count in marked.items():
        watched.marked_processes[name] = max(watched.marked_processes.get(name, 0), count)


def descendants(root):
    """``root`` and every process below it."""
    children = {}
    for pid in _pids():
        parent = _parent(pid)
        if parent is not None:
            children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _parent(pid):
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _status(pid):
    """(real uid, resident MB, command line) of ``pid``, or (None, 0, "") if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None, 0, ""
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss = int(fields.get("VmRSS", "0 kB").split()[0]) // 1024
    return int(fields["Uid"].split()[0]), rss, command.strip()[:120]


def processes(predicate):
    """``[(pid, uid, command line)]`` of every live process for which ``predicate(uid, command)``."""
    found = []
    for pid in _pids():
        uid, _, command = _status(pid)
        if uid is not None and predicate(uid, command):
            found.append((pid, uid, command))
    return found


def tree_state(root):
    """``{relative path: (size, mtime_ns, mode)}`` of everything under ``root`` (links not
    followed; special files recorded, never opened). Empty if ``root`` does not exist."""
    root, state = Path(root), {}
    if not root.exists():
        return state
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = [s for s in subfolders if s not in ("__pycache__", ".git")]
        for name in subfolders + files:
            path = Path(folder) / name
            info = os.lstat(path)
            size = 0 if stat.S_ISDIR(info.st_mode) else info.st_size
            state[str(path.relative_to(root))] = (size, info.st_mtime_ns, info.st_mode)
    return state


def changes(before, after):
    """What differs between two :func:`tree_state` results, in words."""
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in set(before) & set(after) if before[p] != after[p])
    return [f"added {p}" for p in added] + [f"removed {p}" for p in removed] + \
        [f"changed {p}" for p in changed]


def names_containing(root, text):
    """Paths under ``root`` whose name contains ``text`` (links not followed)."""
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        subfolders[:] = [s for s in subfolders if s not in (".git", "node_modules")]
        found += [str(Path(folder) / n) for n in subfolders + files if text in n]
    return found
