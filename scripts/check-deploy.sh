#!/usr/bin/env bash
# Checks the deployment files without a container engine, each with its tool's own checker:
# the compose file and the CI workflow against their JSON schemas (check-jsonschema, PyPI), the
# Prometheus configuration and alert rules (promtool) and the Caddyfile (caddy validate, caddy
# fmt) from Debian's packages, then end2end/deploy/: the Kubernetes manifests against the
# Kubernetes API schema (kubernetes-models, npm), the Dockerfile's lint (dockerfile-utils, npm),
# and the files against each other and the server's settings. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

venv=target/deploy-tools
pinned="check-jsonschema==0.39.0"
if [ "$(cat "$venv/.deps" 2>/dev/null)" != "$pinned" ]; then
  log "installing $pinned (PyPI)"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "$pinned"
  echo "$pinned" >"$venv/.deps"
fi
promtool=$(deb_tool prometheus promtool)
caddy=$(deb_tool caddy caddy)

log "deploy/docker-compose.yml (compose specification)"
"$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec deploy/docker-compose.yml
log ".github/workflows/ci.yml (GitHub workflow schema)"
"$venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/ci.yml
log "deploy/prometheus (promtool)"
"$promtool" check config deploy/prometheus/prometheus.yml
log "deploy/caddy/Caddyfile (caddy validate, caddy fmt)"
# Caddy's own state stays under target/.
export XDG_CONFIG_HOME="$PWD/target/tools/caddy-state" XDG_DATA_HOME="$PWD/target/tools/caddy-state"
"$caddy" validate --config deploy/caddy/Caddyfile --adapter caddyfile 2>&1 | grep -v '"level":"info"'
"$caddy" fmt deploy/caddy/Caddyfile | diff -u deploy/caddy/Caddyfile - ||
  { echo "deploy/caddy/Caddyfile is not formatted as caddy fmt writes it" >&2; exit 1; }
log "Kubernetes manifests, Dockerfile, cross-checks (end2end/deploy)"
(cd end2end && node --test --test-reporter=spec deploy/)
