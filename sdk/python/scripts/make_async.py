"""Writes memory_mesh/aio.py (AsyncMemoryMesh) from memory_mesh/client.py (MemoryMesh), so the
two clients cannot drift: edit client.py, then run this. ``--check`` fails when aio.py is stale
(the SDK's tests run it)."""

import re
import sys
from pathlib import Path

package = Path(__file__).resolve().parent.parent / "memory_mesh"

RULES = [
    (r'^"""The synchronous client, :class:`MemoryMesh`."""',
     '"""The asynchronous client, :class:`AsyncMemoryMesh`, with the live feed.\n\n'
     "Generated from client.py by scripts/make_async.py: edit that file and run the script.\n"
     '"""'),
    (r"^import time$", "import asyncio"),
    (r"\bIterator\b", "AsyncIterator"),
    (r"^from \. import models as m$", "from . import models as m\nfrom .live import LiveFeed"),
    (r"^class MemoryMesh:", "class AsyncMemoryMesh(LiveFeed):"),
    (r"A Memory Mesh server, called synchronously\.", "A Memory Mesh server, called with ``await``."),
    (r'"MemoryMesh"', '"AsyncMemoryMesh"'),
    (r"httpx\.Client\b", "httpx.AsyncClient"),
    (r"def __enter__", "async def __aenter__"),
    (r"def __exit__", "async def __aexit__"),
    (r"^(\s+)def close\(self\) -> None:\n(\s+)self\._http\.close\(\)",
     r"\1async def close(self) -> None:\n\2await self._http.aclose()"),
    (r"self\.close\(\)", "await self.close()"),
    (r"^(\s+)def (?!_tenant|__init__)(\w+)\(", r"\1async def \2("),
    (r"self\._http\.request\(", "await self._http.request("),
    (r"(?<!await )self\._send\(", "await self._send("),
    (r"page = self\.list_", "page = await self.list_"),
    (r"time\.sleep\(", "await asyncio.sleep("),
    (r"^(\s+)yield from (page\.\w+)$", r"\1for item in \2:\n\1    yield item"),
]


def generate() -> str:
    text = (package / "client.py").read_text()
    for pattern, replacement in RULES:
        text, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        if count == 0:
            raise SystemExit(f"make_async: rule {pattern!r} matched nothing; update the rules")
    return text


def main() -> None:
    target = package / "aio.py"
    text = generate()
    if "--check" in sys.argv:
        if not target.exists() or target.read_text() != text:
            raise SystemExit("memory_mesh/aio.py is stale: run python scripts/make_async.py")
        return
    target.write_text(text)


if __name__ == "__main__":
    main()
