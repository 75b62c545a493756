"""The sync client against the real server: writes, reads, pages, search, context, errors."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import memory_mesh
from memory_mesh import MemoryMesh, new_message
from memory_mesh import errors

ROOT = Path(__file__).resolve().parent.parent


def test_the_quickstart_runs_unchanged(base_url, account):
    env = {**os.environ, "MEMORY_MESH_URL": base_url, "MEMORY_MESH_API_KEY": account.write_key}
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "web scraper" in run.stdout
    assert "3 messages in chat-1" in run.stdout
    assert "not found: Message not found." in run.stdout


def test_messages_round_trip_as_models(base_url, account):
    with MemoryMesh(base_url, api_key=account.write_key) as mesh:
        stored = mesh.add_message("trip", "user", "Book the train to Porto", metadata={"topic": "travel"})
        assert isinstance(stored, memory_mesh.models.MessageResponse)
        assert stored.tenant_id == account.tenant and stored.metadata == {"topic": "travel"}
        assert stored.embedding_status == "completed"
        again = mesh.get_message(stored.id)
        assert again.content == "Book the train to Porto"
        edited = mesh.update_message(stored.id, content="Book the train to Porto on Friday")
        assert edited.content.endswith("Friday")
        batch = mesh.add_messages(
            [new_message("trip", "assistant", "Done: Friday 9:00"), new_message("trip", "tool", "not a role")]
        )
        assert len(batch.created) == 1
        assert batch.errors[0].index == 1 and batch.errors[0].field is not None
        hits = mesh.search("train to Porto", metadata={"topic": "travel"}).items
        assert [h.message_id for h in hits] == [stored.id]
        block = mesh.context(query="when is the train?", conversation_id="trip", max_tokens=100)
        assert "Porto" in block.text and block.tokens <= 100
        mesh.delete_message(stored.id)
        with pytest.raises(errors.NotFound):
            mesh.get_message(stored.id)


def test_iterators_walk_every_page(base_url, account):
    with MemoryMesh(base_url, api_key=account.write_key) as mesh:
        mesh.add_messages([new_message("long", "user", f"note number {i}") for i in range(7)])
        for i in range(5):
            mesh.add_message(f"chat-{i}", "user", "hello")
        contents = [m.content for m in mesh.iter_messages("long", page_size=3)]
        assert contents == [f"note number {i}" for i in range(7)]
        ids = [c.id for c in mesh.iter_conversations(page_size=2)]
        assert sorted(ids) == sorted(["long"] + [f"chat-{i}" for i in range(5)])
        assert len(ids) == len(set(ids)) == 6


def test_errors_carry_the_envelope(base_url, account):
    reader = MemoryMesh(base_url, api_key=account.read_key)
    with pytest.raises(errors.Forbidden) as refused:
        reader.add_message("c", "user", "a read key cannot write")
    assert refused.value.status == 403 and refused.value.code == "forbidden" and refused.value.request_id
    with pytest.raises(errors.ValidationFailed) as invalid:
        reader.search("anything", top_k=0)
    assert invalid.value.field == "top_k"
    with pytest.raises(errors.Unauthorized):
        MemoryMesh(base_url, api_key="mm_not_a_key").search("x")
    other = MemoryMesh(base_url, api_key=account.write_key)
    with pytest.raises(errors.Forbidden):
        other.search("x", tenant_id="some-other-tenant")


def test_retries_honour_retry_after():
    answers = [
        httpx.Response(429, headers={"retry-after": "0"}, json={"error": {"code": "rate_limited", "message": "slow"}}),
        httpx.Response(503, json={"error": {"code": "unavailable", "message": "db"}}),
        httpx.Response(200, json={"total": 0, "items": []}),
    ]
    seen = []

    def handler(request):
        seen.append(request)
        return answers[len(seen) - 1]

    mesh = MemoryMesh("http://mesh.test", api_key="mm_x", backoff=0, http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    assert mesh.search("x").items == []
    assert len(seen) == 3
    assert seen[0].headers["x-api-key"] == "mm_x"
    limited = MemoryMesh(
        "http://mesh.test", max_retries=0, http_client=httpx.Client(transport=httpx.MockTransport(lambda r: answers[0]))
    )
    with pytest.raises(errors.RateLimited) as e:
        limited.search("x")
    assert e.value.retry_after == 0


def test_the_async_client_is_generated_from_the_sync_one():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_async.py"), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
