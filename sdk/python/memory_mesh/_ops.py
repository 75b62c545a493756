"""What both clients share: each operation as a :class:`Call` (method, path, query, body and
the model of its answer), how an answer is read, and when a failed request is retried.

The sync and async clients differ only in how they send a :class:`Call`.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from . import errors
from . import models as m

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
#: Answers worth retrying: over budget, or briefly unavailable.
RETRY_STATUSES = frozenset({429, 503})
#: The longest wait between two attempts, whatever ``Retry-After`` says.
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Call:
    """One HTTP request of the API and the model its answer is read into."""

    method: str
    path: str
    params: Dict[str, Any] = field(default_factory=dict)
    body: Any = None
    answer: Any = None  # a pydantic model class, a typing form (List[...]) or None

    def request_kwargs(self) -> Dict[str, Any]:
        params = {k: _query_value(v) for k, v in self.params.items() if v is not None}
        kwargs: Dict[str, Any] = {"params": params}
        if self.body is not None:
            kwargs["json"] = self.body
        return kwargs


def _query_value(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value


def _compact(values: Mapping[str, Any]) -> Dict[str, Any]:
    """A JSON body without the fields left out (the API applies its defaults)."""
    return {k: v for k, v in values.items() if v is not None}


def headers(api_key: Optional[str], token: Optional[str]) -> Dict[str, str]:
    out = {"accept": "application/json", "user-agent": "memory-mesh-python/0.1"}
    if api_key:
        out["x-api-key"] = api_key
    elif token:
        out["authorization"] = f"Bearer {token}"
    return out


def read(call: Call, response: httpx.Response) -> Any:
    """The answer of ``call`` as its model, or the API's error as an exception."""
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        raise errors.from_response(response.status_code, body, retry_after(response))
    if call.answer is None or response.status_code == 204 or not response.content:
        return None
    return TypeAdapter(call.answer).validate_python(response.json())


def retry_after(response: httpx.Response) -> Optional[float]:
    """``Retry-After`` in seconds (given as seconds or as an HTTP date), if present."""
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        when = email.utils.parsedate_to_datetime(raw)
        return max(0.0, when.timestamp() - time.time()) if when else None


def backoff(response: Optional[httpx.Response], attempt: int, base: float) -> float:
    """How long to wait before attempt ``attempt + 1``: the server's ``Retry-After`` when it
    gave one, else exponential back-off from ``base``."""
    told = retry_after(response) if response is not None else None
    wait = told if told is not None else base * (2**attempt)
    return min(wait, MAX_BACKOFF_SECONDS)


def should_retry(call: Call, response: Optional[httpx.Response]) -> bool:
    """Retries 429 and 503 answers, and connection failures of requests that are safe to
    repeat (reads; a write that never reached the server may not be safe to resend)."""
    if response is not None:
        return response.status_code in RETRY_STATUSES
    return call.method in ("GET", "HEAD", "OPTIONS")


# --- Accounts and keys ------------------------------------------------------------------------


def register(email: str, username: str, password: str, full_name: Optional[str], tenant_id: Optional[str]) -> Call:
    body = _compact(
        {"email": email, "username": username, "password": password, "full_name": full_name, "tenant_id": tenant_id}
    )
    return Call("POST", "/v1/auth/register", body=body, answer=m.UserResponse)


def login(username: str, password: str) -> Call:
    return Call("POST", "/v1/auth/login", body={"username": username, "password": password}, answer=m.TokenResponse)


def me() -> Call:
    return Call("GET", "/v1/auth/me", answer=m.UserResponse)


def create_api_key(name: str, scope: Optional[str], tenant_id: Optional[str], expires_days: Optional[int]) -> Call:
    body = _compact({"name": name, "scope": scope, "tenant_id": tenant_id, "expires_days": expires_days})
    return Call("POST", "/v1/auth/api-keys", body=body, answer=m.ApiKeyResponse)


def list_api_keys(include_revoked: bool) -> Call:
    return Call("GET", "/v1/auth/api-keys", params={"include_revoked": include_revoked}, answer=List[m.ApiKeyResponse])


def revoke_api_key(key_id: str) -> Call:
    return Call("DELETE", f"/v1/auth/api-keys/{_segment(key_id)}")


def list_tenants() -> Call:
    return Call("GET", "/v1/tenants", answer=m.TenantList)


def create_tenant(tenant_id: str, name: Optional[str]) -> Call:
    return Call("POST", "/v1/tenants", body=_compact({"id": tenant_id, "name": name}), answer=m.TenantResponse)


# --- Messages ---------------------------------------------------------------------------------


def new_message(
    conversation_id: str,
    role: str,
    content: str,
    *,
    metadata: Optional[Mapping[str, Any]] = None,
    importance_override: Optional[float] = None,
    created_at: Optional[str] = None,
    tenant_id: Optional[str] = None,
) -> Dict[str, Any]:
    """One message of :meth:`add_messages` (the body of ``POST /v1/messages``)."""
    return _compact(
        {
            "tenant_id": tenant_id,
            "conversation_id": conversation_id,
            "role": role,
            "content": content,
            "metadata": dict(metadata) if metadata is not None else None,
            "importance_override": importance_override,
            "created_at": created_at,
        }
    )


def add_message(message: Dict[str, Any], defer: Optional[bool]) -> Call:
    return Call("POST", "/v1/messages", params={"async": defer}, body=message, answer=m.MessageResponse)


def add_messages(messages: Sequence[Dict[str, Any]], defer: Optional[bool]) -> Call:
    return Call(
        "POST", "/v1/messages/batch", params={"async": defer}, body={"messages": list(messages)}, answer=m.BatchResponse
    )


def get_message(message_id: str, tenant_id: Optional[str]) -> Call:
    return Call("GET", f"/v1/messages/{_segment(message_id)}", params={"tenant_id": tenant_id}, answer=m.MessageResponse)


def update_message(message_id: str, changes: Mapping[str, Any], tenant_id: Optional[str]) -> Call:
    return Call(
        "PUT",
        f"/v1/messages/{_segment(message_id)}",
        params={"tenant_id": tenant_id},
        body=_compact(changes),
        answer=m.MessageResponse,
    )


def delete_message(message_id: str, tenant_id: Optional[str]) -> Call:
    return Call("DELETE", f"/v1/messages/{_segment(message_id)}", params={"tenant_id": tenant_id})


def delete_messages(message_ids: Sequence[str]) -> Call:
    return Call("DELETE", "/v1/messages/batch", body={"message_ids": list(message_ids)}, answer=m.BatchResponse)


# --- Conversations ----------------------------------------------------------------------------


def list_conversations(
    tenant_id: Optional[str],
    archived: Optional[bool],
    page_size: Optional[int],
    cursor: Optional[str],
    q: Optional[str],
    updated_since: Optional[str],
) -> Call:
    params = {
        "tenant_id": tenant_id,
        "archived": archived,
        "page_size": page_size,
        "cursor": cursor,
        "q": q,
        "updated_since": updated_since,
    }
    return Call("GET", "/v1/conversations", params=params, answer=m.ConversationPage)


def get_conversation(conversation_id: str, tenant_id: Optional[str]) -> Call:
    return Call(
        "GET",
        f"/v1/conversations/{_segment(conversation_id)}",
        params={"tenant_id": tenant_id},
        answer=m.ConversationResponse,
    )


def delete_conversation(conversation_id: str, tenant_id: Optional[str], delete_messages: bool) -> Call:
    return Call(
        "DELETE",
        f"/v1/conversations/{_segment(conversation_id)}",
        params={"tenant_id": tenant_id, "delete_messages": delete_messages},
    )


def conversation_messages(
    conversation_id: str,
    tenant_id: Optional[str],
    order: Optional[str],
    page_size: Optional[int],
    cursor: Optional[str],
    include_archived: Optional[bool],
) -> Call:
    params = {
        "tenant_id": tenant_id,
        "order": order,
        "page_size": page_size,
        "cursor": cursor,
        "include_archived": include_archived,
    }
    return Call("GET", f"/v1/conversations/{_segment(conversation_id)}/messages", params=params, answer=m.MessagePage)


# --- Search and context -----------------------------------------------------------------------


def search(query: str, options: Mapping[str, Any]) -> Call:
    return Call("POST", "/v1/memory/search", body=_compact({"query": query, **options}), answer=m.SearchResponse)


def context(options: Mapping[str, Any]) -> Call:
    return Call("POST", "/v1/memory/context", body=_compact(dict(options)), answer=m.ContextResponse)


def usage(tenant_id: Optional[str]) -> Call:
    return Call("GET", "/v1/analytics/usage", params={"tenant_id": tenant_id}, answer=m.UsageStats)


def _segment(value: str) -> str:
    """``value`` as one path segment (an id with ``/`` or ``?`` stays one segment)."""
    return quote(value, safe="")
