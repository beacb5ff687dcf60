"""Building blocks shared by the OpenAPI document's parts."""

from __future__ import annotations

from typing import Any


def param(
    name: str, where: str, schema: dict[str, Any], description: str = "", required: bool = True
) -> dict[str, Any]:
    """An operation parameter (a path parameter is always required)."""
    found: dict[str, Any] = {"name": name, "in": where, "required": required or where == "path", "schema": schema}
    if description:
        found["description"] = description
    return found


ID = param("id", "path", {"type": "string", "pattern": "^[A-Za-z0-9_-]{22,64}$"})


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses}
