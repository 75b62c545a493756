"""The SDK's tests drive a real Memory Mesh server: ``MEMORY_MESH_URL`` (scripts/e2e.sh starts
one). Each test module registers its own user, so tests share nothing but the server."""

import os
import uuid

import pytest

from memory_mesh import MemoryMesh

PASSWORD = "Sdk-Pass-2026"


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("MEMORY_MESH_URL")
    if not url:
        pytest.fail("MEMORY_MESH_URL is not set (scripts/e2e.sh sets it)")
    return url


class Account:
    def __init__(self, base_url: str, tenant: str):
        self.tenant = tenant
        self.username = "py_" + uuid.uuid4().hex[:10]
        admin = MemoryMesh(base_url)
        admin.register(f"{self.username}@example.com", self.username, PASSWORD, tenant_id=tenant)
        admin.login(self.username, PASSWORD)
        self.token = admin.token
        self.write_key = admin.create_api_key("sdk write", scope="write").key
        self.read_key = admin.create_api_key("sdk read", scope="read").key
        admin.close()


@pytest.fixture
def account(base_url: str) -> Account:
    return Account(base_url, "py-" + uuid.uuid4().hex[:8])
