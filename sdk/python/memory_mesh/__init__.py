"""Memory Mesh: semantic memory for AI applications — the Python client.

>>> from memory_mesh import MemoryMesh
>>> mesh = MemoryMesh("http://127.0.0.1:8000", api_key="mm_…")
>>> mesh.add_message("chat-1", "user", "I am learning Rust")
>>> mesh.search("what is the user learning?").items[0].content

:class:`MemoryMesh` is synchronous, :class:`AsyncMemoryMesh` the same with ``await`` plus the
live feed (``async for event in mesh.live("my-app")``). Answers are the pydantic models of
:mod:`memory_mesh.models` (generated from the server's OpenAPI document); errors raise
:class:`memory_mesh.errors.MemoryMeshError` subclasses.
"""

from . import errors, models
from ._ops import new_message
from .aio import AsyncMemoryMesh
from .client import MemoryMesh
from .errors import (
    Conflict,
    Forbidden,
    MemoryMeshError,
    NotFound,
    RateLimited,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)

__all__ = [
    "AsyncMemoryMesh",
    "Conflict",
    "Forbidden",
    "MemoryMesh",
    "MemoryMeshError",
    "NotFound",
    "RateLimited",
    "Unauthorized",
    "Unavailable",
    "ValidationFailed",
    "errors",
    "models",
    "new_message",
]
__version__ = "0.1.0"
