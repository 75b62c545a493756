#!/usr/bin/env bash
# The README's test command (and CI's): sets up PostgreSQL + pgvector, Redis, the build tools and
# chromium when missing, then runs every check once against one set of build artifacts:
# formatting, clippy (as everything is built), unit tests, integration tests against PostgreSQL and
# SQLite (and Redis), schema fuzzing of the HTTP API, the browser tests, the deployment files'
# checks and the two-instance topology behind a proxy. Idempotent; fast on a second run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
start=$(date +%s)
# Each step's log line says how long the run has taken so far (where a fresh machine's time goes).
step() { log "$* (at $(( $(date +%s) - start )) s)"; }
results=$(mktemp)
trap 'rm -f "$results"' EXIT

bash scripts/setup-services.sh
bash scripts/setup-tools.sh --browser
bash scripts/fetch-model.sh

step "cargo fmt --check"
cargo fmt --all -- --check

# Clippy lints the workspace's own crates while they are built: clippy-driver is rustc with
# the lint passes and writes the same artifacts, so every crate is compiled once. (`cargo
# clippy` would compile every dependency a second time, in check mode, for the server and
# again for wasm32.) `-D warnings` for every crate of the workspace, in every target built.
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver)

step "building, linted (release server + WASM dashboard)"
bash scripts/build.sh

# The benchmarks are linted in the same build: as test harnesses their binaries reuse the
# release artifacts of the tests (the same features), and they link little, having no tests.
# Checking them apart would compile every dependency once more, in check mode.
step "unit and integration tests, linted (PostgreSQL + pgvector, SQLite, Redis; the benchmarks)"
cargo test --release -p server -p migration -p app -p bench --features app/ssr 2>&1 |
  tee -a "$results"

step "schema fuzzing (schemathesis, bounded)"
bash scripts/fuzz.sh

step "browser tests (chromium)"
bash scripts/e2e.sh 2>&1 | tee -a "$results"

step "deployment files (their tools' checkers; Kubernetes schema; cross-checks)"
bash scripts/check-deploy.sh 2>&1 | tee -a "$results"

step "the production topology with local processes (two instances behind Caddy)"
bash scripts/cluster.sh test 2>&1 | tee -a "$results"

# One closing line over every runner: cargo's "test result:" lines and node's "# pass/# fail".
passed=$(( $(grep -o '[0-9]* passed' "$results" | awk '{s+=$1} END {print s+0}') +
  $(grep -oE '^ℹ pass [0-9]+' "$results" | awk '{s+=$3} END {print s+0}') ))
failed=$(( $(grep -o '[0-9]* failed' "$results" | awk '{s+=$1} END {print s+0}') +
  $(grep -oE '^ℹ fail [0-9]+' "$results" | awk '{s+=$3} END {print s+0}') ))
log "all checks passed in $(( $(date +%s) - start )) s"
echo "total: $passed passed, $failed failed"
