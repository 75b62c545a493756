"""The synchronous client, :class:`MemoryMesh`."""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import httpx

from . import _ops as ops
from . import errors
from . import models as m


class MemoryMesh:
    """A Memory Mesh server, called synchronously.

    ``api_key`` (an ``mm_…`` key) or ``token`` (an access token from :meth:`login`)
    authenticates every call; ``tenant_id`` is the default tenant of calls that take one (the
    credential's own tenant when left out). 429 and 503 answers are retried up to
    ``max_retries`` times, waiting as ``Retry-After`` says (else ``backoff`` seconds, doubling).
    """

    def __init__(
        self,
        base_url: str = ops.DEFAULT_BASE_URL,
        *,
        api_key: Optional[str] = None,
        token: Optional[str] = None,
        tenant_id: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.token = token
        self.tenant_id = tenant_id
        self.max_retries = max_retries
        self.backoff = backoff
        self._http = http_client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "MemoryMesh":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tenant(self, tenant_id: Optional[str]) -> Optional[str]:
        return tenant_id if tenant_id is not None else self.tenant_id

    def _send(self, call: ops.Call) -> Any:
        url = self.base_url + call.path
        for attempt in range(self.max_retries + 1):
            response: Optional[httpx.Response] = None
            try:
                response = self._http.request(
                    call.method, url, headers=ops.headers(self.api_key, self.token), **call.request_kwargs()
                )
            except httpx.TransportError as e:
                if attempt == self.max_retries or not ops.should_retry(call, None):
                    raise errors.MemoryMeshError(0, "transport_error", str(e)) from e
            if response is not None and (attempt == self.max_retries or not ops.should_retry(call, response)):
                return ops.read(call, response)
            time.sleep(ops.backoff(response, attempt, self.backoff))
        raise AssertionError("unreachable")

    # --- Accounts and keys --------------------------------------------------------------------

    def register(
        self, email: str, username: str, password: str, *, full_name: Optional[str] = None, tenant_id: Optional[str] = None
    ) -> m.UserResponse:
        return self._send(ops.register(email, username, password, full_name, tenant_id))

    def login(self, username: str, password: str) -> m.TokenResponse:
        """Signs in; later calls use the access token (unless the client has an API key)."""
        tokens: m.TokenResponse = self._send(ops.login(username, password))
        self.token = tokens.access_token
        return tokens

    def me(self) -> m.UserResponse:
        return self._send(ops.me())

    def create_api_key(
        self,
        name: str,
        *,
        scope: Optional[str] = None,
        tenant_id: Optional[str] = None,
        expires_days: Optional[int] = None,
    ) -> m.ApiKeyResponse:
        """A new key; its secret is in ``.key``, this once."""
        return self._send(ops.create_api_key(name, scope, self._tenant(tenant_id), expires_days))

    def list_api_keys(self, *, include_revoked: bool = False) -> List[m.ApiKeyResponse]:
        return self._send(ops.list_api_keys(include_revoked))

    def revoke_api_key(self, key_id: str) -> None:
        self._send(ops.revoke_api_key(key_id))

    def list_tenants(self) -> m.TenantList:
        return self._send(ops.list_tenants())

    def create_tenant(self, tenant_id: str, *, name: Optional[str] = None) -> m.TenantResponse:
        return self._send(ops.create_tenant(tenant_id, name))

    # --- Messages -----------------------------------------------------------------------------

    def add_message(
        self,
        conversation_id: str,
        role: str,
        content: str,
        *,
        metadata: Optional[Mapping[str, Any]] = None,
        importance_override: Optional[float] = None,
        created_at: Optional[str] = None,
        tenant_id: Optional[str] = None,
        defer: Optional[bool] = None,
    ) -> m.MessageResponse:
        """Stores one message (its conversation is created if new). ``defer=True`` answers
        before the message is embedded (``embedding_status`` ``pending``)."""
        message = ops.new_message(
            conversation_id,
            role,
            content,
            metadata=metadata,
            importance_override=importance_override,
            created_at=created_at,
            tenant_id=self._tenant(tenant_id),
        )
        return self._send(ops.add_message(message, defer))

    def add_messages(self, messages: Sequence[Dict[str, Any]], *, defer: Optional[bool] = None) -> m.BatchResponse:
        """Stores up to 1000 messages (build each with :func:`memory_mesh.new_message`); items
        that fail their own validation are listed in ``errors``, the rest stored."""
        return self._send(ops.add_messages(messages, defer))

    def get_message(self, message_id: str, *, tenant_id: Optional[str] = None) -> m.MessageResponse:
        return self._send(ops.get_message(message_id, self._tenant(tenant_id)))

    def update_message(
        self,
        message_id: str,
        *,
        content: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        importance_override: Optional[float] = None,
        archived: Optional[bool] = None,
        tenant_id: Optional[str] = None,
    ) -> m.MessageResponse:
        changes = {
            "content": content,
            "metadata": dict(metadata) if metadata is not None else None,
            "importance_override": importance_override,
            "archived": archived,
        }
        return self._send(ops.update_message(message_id, changes, self._tenant(tenant_id)))

    def delete_message(self, message_id: str, *, tenant_id: Optional[str] = None) -> None:
        self._send(ops.delete_message(message_id, self._tenant(tenant_id)))

    def delete_messages(self, message_ids: Sequence[str]) -> m.BatchResponse:
        return self._send(ops.delete_messages(message_ids))

    # --- Conversations ------------------------------------------------------------------------

    def list_conversations(
        self,
        *,
        tenant_id: Optional[str] = None,
        archived: Optional[bool] = None,
        page_size: Optional[int] = None,
        cursor: Optional[str] = None,
        q: Optional[str] = None,
        updated_since: Optional[str] = None,
    ) -> m.ConversationPage:
        """One page, most recently active first; pass ``next_cursor`` for the next."""
        call = ops.list_conversations(self._tenant(tenant_id), archived, page_size, cursor, q, updated_since)
        return self._send(call)

    def iter_conversations(
        self,
        *,
        tenant_id: Optional[str] = None,
        archived: Optional[bool] = None,
        page_size: Optional[int] = None,
        q: Optional[str] = None,
        updated_since: Optional[str] = None,
    ) -> Iterator[m.ConversationResponse]:
        """Every conversation, page after page."""
        cursor: Optional[str] = None
        while True:
            page = self.list_conversations(
                tenant_id=tenant_id, archived=archived, page_size=page_size, cursor=cursor, q=q, updated_since=updated_since
            )
            yield from page.conversations
            cursor = page.next_cursor
            if not cursor:
                return

    def get_conversation(self, conversation_id: str, *, tenant_id: Optional[str] = None) -> m.ConversationResponse:
        return self._send(ops.get_conversation(conversation_id, self._tenant(tenant_id)))

    def delete_conversation(
        self, conversation_id: str, *, tenant_id: Optional[str] = None, delete_messages: bool = False
    ) -> None:
        self._send(ops.delete_conversation(conversation_id, self._tenant(tenant_id), delete_messages))

    def list_messages(
        self,
        conversation_id: str,
        *,
        tenant_id: Optional[str] = None,
        order: Optional[str] = None,
        page_size: Optional[int] = None,
        cursor: Optional[str] = None,
        include_archived: Optional[bool] = None,
    ) -> m.MessagePage:
        """One page of a conversation's messages in time order (``order="desc"``: newest first)."""
        call = ops.conversation_messages(
            conversation_id, self._tenant(tenant_id), order, page_size, cursor, include_archived
        )
        return self._send(call)

    def iter_messages(
        self,
        conversation_id: str,
        *,
        tenant_id: Optional[str] = None,
        order: Optional[str] = None,
        page_size: Optional[int] = None,
        include_archived: Optional[bool] = None,
    ) -> Iterator[m.MessageResponse]:
        """Every message of a conversation, page after page."""
        cursor: Optional[str] = None
        while True:
            page = self.list_messages(
                conversation_id,
                tenant_id=tenant_id,
                order=order,
                page_size=page_size,
                cursor=cursor,
                include_archived=include_archived,
            )
            yield from page.messages
            cursor = page.next_cursor
            if not cursor:
                return

    # --- Search and context -------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        top_k: Optional[int] = None,
        conversation_id: Optional[str] = None,
        role: Optional[str] = None,
        importance_min: Optional[float] = None,
        start: Optional[str] = None,
        end: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        mode: Optional[str] = None,
        fusion: Optional[str] = None,
        explain: Optional[bool] = None,
        include_archived: Optional[bool] = None,
        tenant_id: Optional[str] = None,
    ) -> m.SearchResponse:
        """What do I remember about ``query``? Results best first (``.items``)."""
        options = {
            "top_k": top_k,
            "conversation_id": conversation_id,
            "role": role,
            "importance_min": importance_min,
            "start": start,
            "end": end,
            "metadata": dict(metadata) if metadata is not None else None,
            "mode": mode,
            "fusion": fusion,
            "explain": explain,
            "include_archived": include_archived,
            "tenant_id": self._tenant(tenant_id),
        }
        return self._send(ops.search(query, options))

    def context(
        self,
        *,
        query: Optional[str] = None,
        conversation_id: Optional[str] = None,
        max_tokens: Optional[int] = None,
        recent_turns: Optional[int] = None,
        top_k: Optional[int] = None,
        neighbours: Optional[int] = None,
        tenant_id: Optional[str] = None,
    ) -> m.ContextResponse:
        """A prompt block within ``max_tokens``: ``.text`` to paste, ``.messages`` as data."""
        options = {
            "query": query,
            "conversation_id": conversation_id,
            "max_tokens": max_tokens,
            "recent_turns": recent_turns,
            "top_k": top_k,
            "neighbours": neighbours,
            "tenant_id": self._tenant(tenant_id),
        }
        return self._send(ops.context(options))

    def usage(self, *, tenant_id: Optional[str] = None) -> m.UsageStats:
        return self._send(ops.usage(self._tenant(tenant_id)))
