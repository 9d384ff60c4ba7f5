"""One bot per fuzzed module, every channel on, and the check that it still answers afterwards."""
from __future__ import annotations

import pytest_asyncio

from tests.fuzz.world import everything


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory, request):
    async with everything(tmp_path_factory.mktemp(f"fuzz-{request.module.__name__.rpartition('.')[2]}")) as world:
        yield world


@pytest_asyncio.fixture(loop_scope="module")
async def still_answering(bot):
    """After each test's examples: a new resident is still answered."""
    yield
    await bot.alive()
