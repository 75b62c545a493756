"""The API's JSON error envelope as exceptions.

Every error response of Memory Mesh has one shape::

    {"error": {"code": "not_found", "message": "Message not found.", "request_id": "…", "field": …}}

:class:`MemoryMeshError` carries those fields and the HTTP status; a subclass per ``code`` lets
callers catch what they can handle (``except NotFound``).
"""

from __future__ import annotations

from typing import Any, Optional


class MemoryMeshError(Exception):
    """An error answer of the API (or a transport failure, with ``status`` 0)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: Optional[str] = None,
        request_id: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" (field: {field})" if field else ""))
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.request_id = request_id
        self.retry_after = retry_after


class BadRequest(MemoryMeshError):
    """400: the request could not be understood."""


class Unauthorized(MemoryMeshError):
    """401: missing, wrong, expired or revoked credential."""


class Forbidden(MemoryMeshError):
    """403: a valid credential that may not do this (a read key writing, another tenant)."""


class NotFound(MemoryMeshError):
    """404: no such thing in the credential's tenant (another tenant's ids are not found)."""


class Conflict(MemoryMeshError):
    """409: the id is taken, or the thing changed meanwhile."""


class ValidationFailed(MemoryMeshError):
    """422: a value is out of bounds or malformed; ``field`` names it."""


class RateLimited(MemoryMeshError):
    """429: over a request budget; ``retry_after`` says when to try again (seconds)."""


class Unavailable(MemoryMeshError):
    """503 (or 504): the database or the embedding model is unavailable, or the request
    timed out; retry shortly."""


class ServerError(MemoryMeshError):
    """500: the server failed; ``request_id`` finds it in the server's log."""


_BY_STATUS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
    429: RateLimited,
    503: Unavailable,
    504: Unavailable,
}


def from_response(status: int, body: Any, retry_after: Optional[float]) -> MemoryMeshError:
    """The exception for an error answer: its envelope's fields when it has one."""
    detail = body.get("error") if isinstance(body, dict) else None
    if not isinstance(detail, dict):
        detail = {"code": f"http_{status}", "message": str(body)[:500] or f"HTTP {status}"}
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else MemoryMeshError)
    return kind(
        status,
        str(detail.get("code", f"http_{status}")),
        str(detail.get("message", "")),
        field=detail.get("field"),
        request_id=detail.get("request_id"),
        retry_after=retry_after,
    )
