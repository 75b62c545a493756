#!/usr/bin/env bash
# The production topology with local processes: two Memory Mesh instances on one PostgreSQL
# database and one Redis, behind Caddy configured by deploy/caddy/Caddyfile — what
# deploy/docker-compose.yml runs in containers.
#
#   scripts/cluster.sh        starts it on port 8000 (MEMORY_CLUSTER_PORT) until Ctrl-C
#   scripts/cluster.sh test   starts it on free ports with a fresh database, runs
#                             end2end/cluster/ against it, stops it and drops the database
#
# Uses the PostgreSQL and Redis of scripts/setup-services.sh and the binary of scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

mode=${1:-up}
caddy=$(deb_tool caddy caddy)
pg_host=${PGHOST:-127.0.0.1}
pg_port=${PGPORT:-5432}
work=$(mktemp -d)
pids=()
db="memory_mesh_cluster_$$"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
psql_admin() { psql -q -h "$pg_host" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }

stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "$mode" = test ] && psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$work"
}
trap stop EXIT

if [ "$mode" = test ]; then
  proxy_port=$(free_port)
  redis_db=$((RANDOM % 15 + 1))
else
  proxy_port=${MEMORY_CLUSTER_PORT:-8000}
  db=memory_mesh_cluster
  redis_db=0
fi
psql_admin "SELECT 1" || { echo "PostgreSQL is not reachable: run scripts/setup-services.sh" >&2; exit 1; }
if [ "$mode" = test ] || ! psql -h "$pg_host" -p "$pg_port" -U postgres -lqt | cut -d'|' -f1 | grep -qw "$db"; then
  psql_admin "CREATE DATABASE $db"
fi

# start_instance N — one instance on a free port; sets $url to its address.
start_instance() {
  local n=$1 log_file="$work/instance-$1.log"
  url=""
  env MEMORY_DATABASE_URL="postgres://postgres@$pg_host:$pg_port/$db" \
    MEMORY_REDIS_URL="redis://127.0.0.1:${REDIS_PORT:-6379}/$redis_db" \
    MEMORY_REDIS_PREFIX="mm-cluster-$$:" \
    MEMORY_JWT_SECRET_KEY="${MEMORY_JWT_SECRET_KEY:-cluster-secret-for-local-use-only-0123456789}" \
    MEMORY_TRUSTED_PROXIES=127.0.0.1 MEMORY_HOST=127.0.0.1 MEMORY_PORT=0 \
    MEMORY_DATA_DIR="$work/data-$n" MEMORY_SITE_ROOT="$PWD/target/site" \
    MEMORY_GLOBAL_RATE_LIMIT="${MEMORY_GLOBAL_RATE_LIMIT:-100000/minute}" \
    target/release/memory-mesh serve >"$log_file" 2>&1 &
  pids+=($!)
  url=$(served_url "$log_file" "${pids[-1]}")
}

# The first applies the migrations; the second starts on the migrated database.
start_instance 1
first=$url
start_instance 2
second=$url
# Caddy's own state (autosaved configuration, certificate storage) stays in the work directory.
XDG_CONFIG_HOME="$work/caddy" XDG_DATA_HOME="$work/caddy" \
  MEMORY_PROXY_ADDRESS=":$proxy_port" MEMORY_PROXY_BIND=127.0.0.1 \
  MEMORY_MESH_1="${first#http://}" MEMORY_MESH_2="${second#http://}" \
  "$caddy" run --config deploy/caddy/Caddyfile --adapter caddyfile >"$work/proxy.log" 2>&1 &
pids+=($!)
proxy="http://127.0.0.1:$proxy_port"
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "$proxy/v1/admin/readiness" 2>/dev/null && break
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/proxy.log" >&2; exit 1; }
  sleep 0.1
done
log "cluster: $proxy (instances $first and $second, database $db)"

if [ "$mode" = test ]; then
  (cd end2end && BASE_URL="$proxy" INSTANCE_1="$first" INSTANCE_2="$second" \
    INSTANCE_2_PID="${pids[1]}" node --experimental-websocket --test --test-reporter=spec cluster/) ||
    { tail -n 40 "$work"/*.log >&2; exit 1; }
else
  wait "${pids[@]}"
fi
