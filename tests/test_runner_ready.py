"""The runner's wait for a starting kernel ends by its deadline, whatever the kernel sends."""
import asyncio
import itertools

import pytest

from nncourse.probes import runner


class FloodingClient:
    """A kernel client whose IOPub never falls silent and never says our request is done
    (a kernel busy printing for another client)."""

    def __init__(self):
        self.ids = itertools.count()

    def kernel_info(self):
        return f"ours-{next(self.ids)}"

    async def get_iopub_msg(self, timeout):
        await asyncio.sleep(0.001)
        return {"parent_header": {"msg_id": "someone-else"}, "content": {"name": "stdout"}}

    async def is_alive(self):
        return True


def test_a_flood_on_iopub_does_not_outlast_the_deadline():
    """The inner loop only looked at the clock after 50 ms of silence: a flood kept the
    runner waiting for ever (until the sandbox's budget ended it)."""
    async def wait():
        await asyncio.wait_for(runner._wait_ready(FloodingClient(), 0.3), timeout=5)

    with pytest.raises(runner.DeadKernelError, match="did not answer"):
        asyncio.run(wait())
