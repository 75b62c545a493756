#!/usr/bin/env bash
# Browser tests: starts the built server as the README's run command does (embedded default:
# fresh SQLite database, local embedding model) on a random port, runs the
# Playwright tests in end2end/ against it with Debian's chromium, and stops it. Screenshots land
# in end2end/artifacts/. Expects scripts/build.sh to have run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

work=$(mktemp -d)
log_file="$work/server.log"
env -u MEMORY_DATABASE_URL -u MEMORY_REDIS_URL MEMORY_PORT=0 MEMORY_DATA_DIR="$work/data" \
  MEMORY_ADMIN_EMAILS=root@example.com \
  MEMORY_SITE_ROOT="$PWD/target/site" \
  target/release/memory-mesh serve >"$log_file" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT

url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'running at http://[0-9.:]*' "$log_file" | head -1 | cut -d' ' -f3) || true
  [ -n "$url" ] && break
  kill -0 $server 2>/dev/null || { cat "$log_file" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "server did not start" >&2; cat "$log_file" >&2; exit 1; }
log "browser tests against $url"
mkdir -p end2end/artifacts
(cd end2end && BASE_URL="$url" node --test --test-reporter=spec tests/)
