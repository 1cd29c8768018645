"""A control group per sandbox: one memory, process and CPU limit for all its processes.

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
CPU_PERIOD_US = 100_000  # with an equal quota: at most one CPU per sandbox


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
        for folder, settings in limits(name):
            try:
                folder.mkdir()
                for file, value in settings.items():
                    (folder / file).write_text(value)
                folders.append(folder)
            except OSError:  # this controller cannot be used here: the others still can
                Cgroup([folder]).destroy()
        return cls(folders) if folders else None

    @staticmethod
    def sweep():
        """Remove the empty cgroups that killed batches left behind (the kernel already
        ended their processes with their PID namespaces)."""
        parents = [ROOT] + [ROOT / kind / path.lstrip("/") for kind, path in _own_v1_paths().items()
                            if kind in ("memory", "pids", "cpu")]
        for parent in parents:
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
    """One folder at the top of the unified hierarchy (a cgroup with processes of its own
    cannot have children with controllers, so the grader's cgroup cannot be the parent)."""
    return lambda name: [(ROOT / name, {"memory.max": str(memory_mb << 20), "pids.max": str(processes),
                                        "cpu.max": f"{CPU_PERIOD_US} {CPU_PERIOD_US}"})]


def _v1_limits(memory_mb, processes):
    """A folder per hierarchy, under the grader's own cgroup in each (so the sandbox stays
    inside whatever limits the grader itself runs under)."""
    settings = {"memory": {"memory.limit_in_bytes": str(memory_mb << 20)},
                "pids": {"pids.max": str(processes)},
                "cpu": {"cpu.cfs_period_us": str(CPU_PERIOD_US), "cpu.cfs_quota_us": str(CPU_PERIOD_US)}}
    own = _own_v1_paths()

    def folders(name):
        return [(ROOT / kind / own.get(kind, "").lstrip("/") / name, values)
                for kind, values in settings.items() if (ROOT / kind / "cgroup.procs").is_file()]
    return folders


def _own_v1_paths():
    """``{controller: path}`` of this process's cgroups, from ``/proc/self/cgroup``."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            paths[controller] = path
    return paths
