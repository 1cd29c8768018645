"""The grader's limits, applied by each grading kernel before it starts (see
:mod:`nncourse.zygote`).

From the environment the grader sets, a kernel limits:
``NNCOURSE_MEMORY_MB`` the address space (a runaway allocation raises ``MemoryError``),
``NNCOURSE_FILE_MB`` the size of any file it writes, and core dumps (none). It also caps
what the kernel sends as output at ``NNCOURSE_OUTPUT_BYTES`` (stdout and stderr together);
beyond that, output is dropped and one line says so.
"""
import os
import resource

TRUNCATED = "\n[nncourse: output truncated here; the grader keeps at most {} bytes]\n"


def set_limits(environ=os.environ):
    """Apply the resource limits named in ``environ``."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for name, limit in (("NNCOURSE_MEMORY_MB", resource.RLIMIT_AS),
                        ("NNCOURSE_FILE_MB", resource.RLIMIT_FSIZE)):
        megabytes = int(environ.get(name, "0"))
        if megabytes > 0:
            resource.setrlimit(limit, (megabytes << 20, megabytes << 20))


def cap_output(limit):
    """Make every kernel output stream drop what comes after ``limit`` bytes in total."""
    from ipykernel.iostream import OutStream

    write = OutStream.write
    sent = {"bytes": 0, "noted": False}

    def capped_write(self, text):
        room = limit - sent["bytes"]
        if room <= 0:
            if not sent["noted"]:
                sent["noted"] = True
                write(self, TRUNCATED.format(limit))
            return len(text)
        sent["bytes"] += min(len(text), room)
        return write(self, text[:room]) if len(text) > room else write(self, text)

    OutStream.write = capped_write
