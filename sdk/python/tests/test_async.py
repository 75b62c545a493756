"""The async client and the live feed against the real server."""

import asyncio

import pytest

from memory_mesh import AsyncMemoryMesh, errors


async def test_async_calls_and_errors(base_url, account):
    async with AsyncMemoryMesh(base_url, api_key=account.write_key) as mesh:
        stored = await mesh.add_message("a", "user", "Async clients await their answers")
        assert (await mesh.get_message(stored.id)).id == stored.id
        ids = [m.id async for m in mesh.iter_messages("a")]
        assert ids == [stored.id]
        with pytest.raises(errors.NotFound):
            await mesh.get_message("00000000-0000-0000-0000-000000000000")


async def test_live_feed_delivers_and_resumes(base_url, account):
    async with AsyncMemoryMesh(base_url, api_key=account.read_key, tenant_id=account.tenant) as watcher, \
            AsyncMemoryMesh(base_url, api_key=account.write_key) as writer:
        feed = watcher.live(events=["message.created"])
        first = asyncio.ensure_future(feed.__anext__())
        # The subscription is in place once the server has the connection; keep writing until
        # the first event arrives (a write before the subscription is not sent live).
        written = []
        while not first.done():
            written.append(await writer.add_message("live", "user", f"live {len(written)}"))
            await asyncio.wait([first], timeout=0.5)
        event = first.result()
        assert event["event"] == "message.created" and event["tenant_id"] == account.tenant
        await feed.aclose()

        later = [await writer.add_message("live", "user", f"later {i}") for i in range(2)]
        resumed = watcher.live(last_event_id=event["id"], events=["message.created"])
        got = []
        async for e in resumed:
            got.append(e["data"]["id"])
            if e["data"]["id"] == later[-1].id:
                break
        await resumed.aclose()
        k = [m.id for m in written].index(event["data"]["id"])
        assert got == [m.id for m in written[k + 1:]] + [m.id for m in later], "exactly what came after"


async def test_live_feed_refuses_a_bad_key(base_url, account):
    async with AsyncMemoryMesh(base_url, api_key="mm_wrong", tenant_id=account.tenant) as mesh:
        with pytest.raises(errors.Unauthorized):
            async for _ in mesh.live():
                pass
