"""Schemathesis hooks for scripts/fuzz.sh.

Every run: a `{tenant_id}` in a path is the fuzzing account's own tenant, so tenant-scoped
operations reach their validation and storage code instead of stopping at a 404.

With MEMORY_FUZZ_FRESH=1 (the run of the operations that end the caller's own credential:
logout, change-password, the cookie session, refresh, tenant deletion, member removal), every
test case registers and logs in a fresh account, so no case is sent with a credential an
earlier case ended. A body's `refresh_token` is that account's real one half of the time, so
the success path is fuzzed as well as the refusals.
"""

import itertools
import os

import requests
import schemathesis

BASE = os.environ["MEMORY_FUZZ_URL"]
PASSWORD = "fuzzing-password-0123"
_serial = itertools.count()
_current = {"tenant_id": os.environ.get("MEMORY_FUZZ_TENANT")}


def register(name):
    """Registers `name`; returns its personal tenant's id."""
    r = requests.post(
        f"{BASE}/v1/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        timeout=30,
    )
    r.raise_for_status()
    return r.json()["tenants"][0]["tenant_id"]


def login(name):
    """Logs `name` in; returns the token answer."""
    r = requests.post(
        f"{BASE}/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=30
    )
    r.raise_for_status()
    return r.json()


def fresh_account():
    """Registers and logs in a new account; returns (tokens, tenant id)."""
    name = f"fz{os.getpid()}x{next(_serial)}"
    tenant = register(name)
    return login(name), tenant


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    if path_parameters and "tenant_id" in path_parameters and _current["tenant_id"]:
        path_parameters["tenant_id"] = _current["tenant_id"]
    return path_parameters


if os.environ.get("MEMORY_FUZZ_FRESH") == "1":

    @schemathesis.auth(refresh_interval=None)
    class FreshAccount:
        def get(self, case, ctx):
            tokens, tenant = fresh_account()
            _current["tenant_id"] = tenant
            return tokens

        def set(self, case, tokens, ctx):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {tokens['access_token']}"
            if case.path_parameters and "tenant_id" in case.path_parameters:
                case.path_parameters["tenant_id"] = _current["tenant_id"]
            body = case.body
            if isinstance(body, dict) and "refresh_token" in body and next(_serial) % 2:
                body["refresh_token"] = tokens["refresh_token"]
