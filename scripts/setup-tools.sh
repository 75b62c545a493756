#!/usr/bin/env bash
# Installs the build and browser-test tools the README's commands need, each only when missing:
# the wasm32 target, wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock, and the
# npm packages (binaryen's wasm-opt, playwright-core) under end2end/. `--browser` also installs
# Debian's chromium for the browser tests. Everything comes from crates.io, npm and Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || {
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >/dev/null
}

# wasm-bindgen-cli must match the wasm-bindgen crate exactly, or the generated JS glue and the
# WASM disagree at load time.
wb_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  log "installing wasm-bindgen-cli $wb_version (about 3 minutes, once)"
  work=$(mktemp -d)
  # `cargo install --locked` of the published crate fails: its lock file pins a webpki-roots
  # release missing from the registry. Unpack it, step that one crate back, install from the path.
  (cd "$work" && cargo new -q --vcs none fetcher && cd fetcher &&
    cargo add -q "wasm-bindgen-cli@=$wb_version" >/dev/null 2>&1 && cargo fetch -q >/dev/null 2>&1) || true
  src=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "wasm-bindgen-cli-$wb_version" | head -1)
  [ -n "$src" ] || { echo "could not fetch wasm-bindgen-cli $wb_version" >&2; exit 1; }
  cp -r "$src" "$work/cli"
  (cd "$work/cli" && { cargo update -q -p webpki-roots --precise 1.0.10 2>/dev/null || true; } &&
    CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS \
      cargo install -q --path . --locked --root "${CARGO_HOME:-$HOME/.cargo}" >/dev/null)
  rm -rf "$work"
fi

# npm packages pinned in end2end/package-lock.json: binaryen (wasm-opt; Debian's binaryen 108
# breaks Leptos hydration), playwright-core (drives Debian's chromium; downloads no browser) and
# axe-core (the accessibility checks of the browser tests).
if [ ! -x end2end/node_modules/.bin/wasm-opt ] || [ ! -d end2end/node_modules/playwright-core ] ||
  [ ! -d end2end/node_modules/axe-core ] ||
  [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  log "installing end2end npm packages"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# The TypeScript SDK's compiler, type generator and `ws` (pinned in its package-lock.json).
if [ ! -d sdk/typescript/node_modules/typescript ] ||
  [ sdk/typescript/package-lock.json -nt sdk/typescript/node_modules/.package-lock.json ]; then
  log "installing the TypeScript SDK's npm packages"
  (cd sdk/typescript && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# The Python SDK's dependencies, its test runner and its wheel builder, in a virtualenv.
python_sdk_deps="httpx==0.28.1 pydantic==2.14.3 websockets==17.4 pytest==9.2.0 pytest-asyncio==1.5.0 hatchling==1.33.0"
if [ ! -f target/python/.deps ] || [ "$(cat target/python/.deps)" != "$python_sdk_deps" ]; then
  log "installing the Python SDK's dependencies (PyPI)"
  rm -rf target/python
  python3 -m venv target/python
  # shellcheck disable=SC2086
  target/python/bin/pip install -q $python_sdk_deps
  echo "$python_sdk_deps" >target/python/.deps
fi

# scripts/build.sh precompresses the dashboard's assets with brotli.
command -v brotli >/dev/null || apt_install brotli

if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null; then
  apt_install chromium fonts-dejavu-core
fi
# The test of the README's quick start runs its commands, which use curl and jq.
if [ "$want_browser" = 1 ] && ! { command -v curl && command -v jq; } >/dev/null; then
  apt_install curl jq
fi
