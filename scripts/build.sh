#!/usr/bin/env bash
# Builds everything a release needs: the dashboard's WASM bundle and stylesheet into target/site,
# and the server binary target/release/memory-mesh. Same output layout as `cargo leptos build
# --release`, without needing cargo-leptos (whose install takes ~30 minutes here).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/setup-tools.sh "$@"

site=target/site/pkg
mkdir -p "$site"
log "building the dashboard (WASM)"
cargo build --quiet --profile wasm-release -p frontend --target wasm32-unknown-unknown
wasm=target/wasm32-unknown-unknown/wasm-release/frontend.wasm
if [ ! -f "$site/memory-mesh_bg.wasm" ] || [ "$wasm" -nt "$site/memory-mesh_bg.wasm" ]; then
  wasm-bindgen --target web --no-typescript --out-dir "$site" --out-name memory-mesh "$wasm"
  # The features rustc's wasm32 target emits by default must be allowed explicitly.
  end2end/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-sign-ext \
    --enable-nontrapping-float-to-int --enable-mutable-globals --enable-reference-types \
    --enable-multivalue "$site/memory-mesh_bg.wasm" -o "$site/memory-mesh_bg.wasm"
fi
cp style/main.css "$site/memory-mesh.css"
# Copies named by their content's hash, which browsers may cache for a year: the server names
# them in its pages when pkg/hash.txt lists them (Leptos's `hash_files`).
js_hash=$(sha256sum "$site/memory-mesh.js" | cut -c1-16)
wasm_hash=$(sha256sum "$site/memory-mesh_bg.wasm" | cut -c1-16)
if [ ! -f "$site/memory-mesh.$wasm_hash.wasm" ] || [ ! -f "$site/memory-mesh.$js_hash.js" ]; then
  find "$site" -regextype posix-extended -regex '.*/memory-mesh\.[0-9a-f]{16}\.(js|wasm)(\.gz|\.br)?' -delete
  cp "$site/memory-mesh.js" "$site/memory-mesh.$js_hash.js"
  cp "$site/memory-mesh_bg.wasm" "$site/memory-mesh.$wasm_hash.wasm"
fi
printf 'js: %s\nwasm: %s\n' "$js_hash" "$wasm_hash" >"$site/hash.txt"
# Precompressed copies, served to browsers that accept them (brotli first).
for asset in "$site/memory-mesh_bg.wasm" "$site/memory-mesh.js" "$site/memory-mesh.css" \
  "$site/memory-mesh.$js_hash.js" "$site/memory-mesh.$wasm_hash.wasm"; do
  if [ ! -f "$asset.br" ] || [ "$asset" -nt "$asset.br" ]; then
    gzip -9 -k -f "$asset"
    brotli -q 11 -k -f "$asset"
  fi
done
cp -r public/. target/site/

log "building the server"
cargo build --quiet --release -p server
log "built target/release/memory-mesh and target/site ($(du -h "$site/memory-mesh_bg.wasm" | cut -f1) WASM)"
