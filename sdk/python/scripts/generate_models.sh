#!/usr/bin/env bash
# Regenerates memory_mesh/models.py from a running server's OpenAPI document:
#   scripts/generate_models.sh http://127.0.0.1:8000
# (needs `pip install datamodel-code-generator==0.89.0`). The SDK's tests check the models
# against the server they run with, so a stale file fails them.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: generate_models.sh SERVER_URL}
datamodel-codegen --allow-private-network --url "$url/v1/openapi.json" --input-file-type openapi \
  --output-model-type pydantic_v2.BaseModel --target-python-version 3.10 \
  --use-standard-collections --use-union-operator --field-constraints \
  --disable-timestamp --use-schema-description --use-field-description \
  --custom-file-header '"""The API'"'"'s request and answer models, generated from the server'"'"'s OpenAPI document by scripts/generate_models.sh (datamodel-code-generator): do not edit."""' \
  --output memory_mesh/models.py
