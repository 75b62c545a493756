"""The live feed (``/v1/ws/messages/{tenant_id}``) as an async iterator that resumes.

Every committed change in a tenant arrives as an event ``{"type": "event", "event":
"message.created", "id": …, "data": {…}}``. The iterator remembers the ``id`` of the last event
it yielded; when the connection drops (the server restarting, a slow read) it reconnects and
asks for everything after that id, so nothing is missed or repeated while the server still
keeps it (``MEMORY_EVENTS_KEEP_SECONDS``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, AsyncIterator, Dict, Optional, Sequence
from urllib.parse import quote

from . import _ops as ops
from . import errors

log = logging.getLogger("memory_mesh.live")

#: Close codes after which reconnecting cannot help.
_FINAL = {4401: errors.Unauthorized, 4403: errors.Forbidden, 4029: errors.RateLimited}


def _ws_url(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://") :]
    if base_url.startswith("http://"):
        return "ws://" + base_url[len("http://") :]
    return base_url


class LiveFeed:
    """The async client's ``live`` method (mixed into :class:`AsyncMemoryMesh`)."""

    base_url: str
    api_key: Optional[str]
    token: Optional[str]
    tenant_id: Optional[str]

    async def live(
        self,
        tenant_id: Optional[str] = None,
        *,
        last_event_id: Optional[str] = None,
        conversation_id: Optional[str] = None,
        events: Optional[Sequence[str]] = None,
        reconnect_delay: float = 1.0,
        max_reconnects: Optional[int] = None,
    ) -> AsyncIterator[Dict[str, Any]]:
        """Yields the tenant's events as they are committed, after ``last_event_id`` when given
        (replayed first), only ``conversation_id``'s or only the ``events`` named when given.
        Reconnects and resumes by itself (``max_reconnects`` in a row; unlimited by default);
        a credential refused or revoked raises :class:`~memory_mesh.errors.Unauthorized` or
        :class:`~memory_mesh.errors.Forbidden`."""
        import websockets

        tenant = tenant_id if tenant_id is not None else self.tenant_id
        if not tenant:
            raise ValueError("live() needs a tenant_id (or the client's default tenant_id)")
        url = f"{_ws_url(self.base_url)}/v1/ws/messages/{quote(tenant, safe='')}"
        headers = ops.headers(self.api_key, self.token)
        last = last_event_id
        failures = 0
        while True:
            try:
                async with websockets.connect(url, additional_headers=headers) as ws:
                    if conversation_id is not None or events is not None:
                        frame = {"action": "subscribe", "conversation_id": conversation_id, "events": events}
                        await ws.send(json.dumps({k: v for k, v in frame.items() if v is not None}))
                    if last is not None:
                        await ws.send(json.dumps({"action": "resume", "last_event_id": last}))
                    async for raw in ws:
                        frame = json.loads(raw)
                        kind = frame.get("type")
                        if kind == "event":
                            failures = 0
                            last = frame.get("id", last)
                            yield frame
                        elif kind == "error":
                            log.warning("live feed: %s: %s", frame.get("code"), frame.get("message"))
            except websockets.InvalidStatus as e:
                status = e.response.status_code
                body: Any = None
                try:
                    body = json.loads(e.response.body or b"null")
                except ValueError:
                    pass
                if status not in ops.RETRY_STATUSES:
                    raise errors.from_response(status, body, None) from e
            except websockets.ConnectionClosed as e:
                code = e.rcvd.code if e.rcvd is not None else None
                if code in _FINAL:
                    reason = e.rcvd.reason if e.rcvd is not None else ""
                    raise _FINAL[code](code, "closed", reason or f"closed with {code}") from e
            except OSError as e:
                log.warning("live feed: %s", e)
            failures += 1
            if max_reconnects is not None and failures > max_reconnects:
                raise errors.Unavailable(0, "disconnected", "the live feed could not reconnect")
            await asyncio.sleep(min(reconnect_delay * (2 ** (failures - 1)), ops.MAX_BACKOFF_SECONDS))
