"""The models cannot drift from the server: every schema of its OpenAPI document has a model
here with the same fields, required alike (regenerate with scripts/generate_models.sh)."""

import enum

import httpx
from pydantic import BaseModel, RootModel

from memory_mesh import models


def test_every_schema_has_a_model_with_its_fields(base_url):
    response = httpx.get(f"{base_url}/v1/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    schemas = document["components"]["schemas"]
    stale = []
    for name, schema in schemas.items():
        model = getattr(models, name, None)
        if model is None:
            stale.append(f"{name}: no model")
            continue
        if isinstance(model, type) and issubclass(model, (enum.Enum, RootModel)):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or "properties" not in schema:
            continue
        fields = {(f.alias or field): f for field, f in model.model_fields.items()}
        if set(fields) != set(schema["properties"]):
            stale.append(f"{name}: fields {sorted(fields)} != {sorted(schema['properties'])}")
        required = {n for n, f in fields.items() if f.is_required()}
        if required != set(schema.get("required", [])):
            stale.append(f"{name}: required {sorted(required)} != {sorted(schema.get('required', []))}")
    assert not stale, "memory_mesh/models.py is stale (scripts/generate_models.sh):\n" + "\n".join(stale)
    assert len(schemas) > 40
