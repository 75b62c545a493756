#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis (PyPI, pinned) against the built binary on the embedded
# default (SQLite, local model): every operation of /v1/openapi.json, checked for server errors,
# responses that break their documented schema and wrong content types. Bounded in time:
#
#   MEMORY_FUZZ_SECONDS (default 120)   the run over every operation, with one account's token
#   MEMORY_FUZZ_FRESH_SECONDS (40)      the operations that end their caller's credential, each
#                                       test case with a freshly registered account
#
# Fails on any check failure, and on a panic in the server's log. Needs scripts/build.sh's binary.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

version=4.32.5
venv=target/fuzz
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $3}')" != "$version" ]; then
  log "installing schemathesis $version (PyPI) into target/fuzz"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

work=$(mktemp -d)
server=""
stop() {
  [ -n "$server" ] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  rm -rf "$work"
}
trap stop EXIT

# Limits raised so the fuzzer's request rate is never the answer; everything else as shipped.
env MEMORY_HOST=127.0.0.1 MEMORY_PORT=0 MEMORY_DATA_DIR="$work/data" \
  MEMORY_JWT_SECRET_KEY=fuzzing-secret-for-local-use-only-0123456789 \
  MEMORY_GLOBAL_RATE_LIMIT=1000000/minute MEMORY_TENANT_RATE_LIMIT=1000000/minute \
  RUST_LOG=warn target/release/memory-mesh serve >"$work/server.log" 2>&1 &
server=$!
url=$(served_url "$work/server.log" "$server")

# The fuzzing account is an instance administrator too, so the instance-wide views are fuzzed.
fuzz_python() { (cd scripts/fuzz && MEMORY_FUZZ_URL="$url" "$OLDPWD/$venv/bin/python" -c "import hooks; $1"); }
tenant=$(fuzz_python 'print(hooks.register("fuzzer"))')
MEMORY_DATA_DIR="$work/data" target/release/memory-mesh admin grant fuzzer >/dev/null
token=$(fuzz_python 'print(hooks.login("fuzzer")["access_token"])')

checks=not_a_server_error,response_schema_conformance,content_type_conformance
# The operations that end the caller's own credential (or its tenant, or its membership).
ending='^(auth_logout|auth_change_password|auth_refresh|auth_open_session|auth_close_session|auth_end_session|tenants_delete|members_remove)$'
fuzz() {
  PYTHONPATH=scripts/fuzz SCHEMATHESIS_HOOKS=hooks MEMORY_FUZZ_URL="$url" MEMORY_FUZZ_TENANT="$tenant" \
    "$venv/bin/schemathesis" run "$url/v1/openapi.json" --checks "$checks" \
    --phases examples,fuzzing --workers 2 --generation-database none --no-color \
    --request-timeout 30 "$@"
}
status=0
log "fuzzing every operation for ${MEMORY_FUZZ_SECONDS:-120} s"
fuzz --max-time "${MEMORY_FUZZ_SECONDS:-120}" -H "Authorization: Bearer $token" \
  --exclude-operation-id-regex "$ending" || status=1
log "fuzzing the credential-ending operations with fresh accounts for ${MEMORY_FUZZ_FRESH_SECONDS:-40} s"
MEMORY_FUZZ_FRESH=1 fuzz --max-time "${MEMORY_FUZZ_FRESH_SECONDS:-40}" \
  --include-operation-id-regex "$ending" || status=1

if grep -n 'panicked' "$work/server.log" >&2; then
  echo "the server panicked while fuzzed (above)" >&2
  status=1
fi
[ "$status" = 0 ] && log "fuzzing found no failures" || echo "fuzzing failed" >&2
exit "$status"
