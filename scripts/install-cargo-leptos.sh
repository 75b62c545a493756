#!/usr/bin/env bash
# Installs cargo-leptos 0.3.11 for the dev loop (`cargo leptos watch`); not needed by run/test.
# Its published lock file pins cargo-util-schemas 0.14.2, which needs a newer rustc than ours, so
# we step that crate back, and build with `no_downloads` so it uses the tools on PATH
# (wasm-bindgen from setup-tools.sh, wasm-opt from end2end/node_modules) instead of fetching them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
. scripts/lib.sh
if cargo leptos --version 2>/dev/null | grep -q '0.3.11'; then exit 0; fi
bash scripts/setup-tools.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && cargo new -q --vcs none fetcher && cd fetcher &&
  cargo add -q "cargo-leptos@=0.3.11" >/dev/null 2>&1 && cargo fetch -q >/dev/null 2>&1) || true
src=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name "cargo-leptos-0.3.11" | head -1)
[ -n "$src" ] || { echo "could not fetch cargo-leptos 0.3.11" >&2; exit 1; }
cp -r "$src" "$work/src"
cd "$work/src"
cargo update -q -p cargo-util-schemas --precise 0.14.1
log "installing cargo-leptos 0.3.11 (about 30 minutes)"
CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  cargo install --path . --locked --features no_downloads
echo "add $root/end2end/node_modules/.bin to PATH for wasm-opt"
