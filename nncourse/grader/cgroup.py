"""A control group per sandbox: one memory limit and one process limit for all its processes.

Resource limits (``setrlimit``) bound each process; a cgroup bounds the sandbox as a whole
and lets the grader kill every process in it. cgroup v2 (the unified hierarchy) is used if
it offers the memory and pids controllers, else v1's ``memory`` and ``pids`` hierarchies.
Creating one needs root; without it :meth:`Cgroup.create` returns None and the sandbox
relies on its per-process limits and its PID namespace.
"""
import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


class Cgroup:
    """The folders of one sandbox's cgroup (one per hierarchy in v1, one in v2)."""

    def __init__(self, folders):
        self.folders = folders

    @classmethod
    def create(cls, memory_mb, processes):
        """A new cgroup with these limits, or None where cgroups cannot be made."""
        if os.geteuid() != 0:
            return None
        name = f"nncourse-{uuid.uuid4().hex[:12]}"
        limits = _v2_limits(memory_mb, processes) if _has_v2() else _v1_limits(memory_mb, processes)
        folders = []
        try:
            for folder, settings in limits(name):
                folder.mkdir()
                folders.append(folder)
                for file, value in settings.items():
                    (folder / file).write_text(value)
        except OSError:
            Cgroup(folders).destroy()
            return None
        return cls(folders) if folders else None

    @staticmethod
    def sweep():
        """Remove the empty cgroups that killed batches left behind (the kernel already
        ended their processes with their PID namespaces)."""
        for parent in (ROOT, ROOT / "memory", ROOT / "pids"):
            for folder in parent.glob("nncourse-*") if os.geteuid() == 0 else ():
                try:
                    if not (folder / "cgroup.procs").read_text().split():
                        folder.rmdir()
                except OSError:
                    pass

    def join(self, pid):
        """Move process ``pid`` (and so its future children) into the cgroup."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(pid))

    def destroy(self):
        """Kill every process left in the cgroup, then remove it."""
        for _ in range(50):
            pids = self._pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        for folder in self.folders:
            try:
                folder.rmdir()
            except OSError:
                pass

    def _pids(self):
        pids = set()
        for folder in self.folders:
            try:
                pids |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return pids


def _has_v2():
    controllers = ROOT / "cgroup.controllers"
    return controllers.is_file() and {"memory", "pids"} <= set(controllers.read_text().split())


def _v2_limits(memory_mb, processes):
    return lambda name: [(ROOT / name, {"memory.max": str(memory_mb << 20), "memory.swap.max": "0",
                                        "pids.max": str(processes)})]


def _v1_limits(memory_mb, processes):
    def folders(name):
        out = []
        if (ROOT / "memory" / "memory.limit_in_bytes").exists():
            out.append((ROOT / "memory" / name, {"memory.limit_in_bytes": str(memory_mb << 20)}))
        if (ROOT / "pids" / "pids.max").exists():
            out.append((ROOT / "pids" / name, {"pids.max": str(processes)}))
        return out
    return folders
