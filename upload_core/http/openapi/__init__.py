"""The OpenAPI 3.1 document of every route the app serves (a test holds the two equal).
The core routes are here; large.py adds multipart and Companion's; codes come from errors.CODES."""

from __future__ import annotations

from typing import Any

from ...errors import CODES
from ...inspect.base import FOUND
from . import auth, large
from .common import ID as _ID
from .common import errors as _errors
from .common import json_response as _json
from .common import ref as _ref

# unsafe_content names what it found; malware names the signature (both also in a rejected
# upload's reason).
_FOUND = {
    "found": {
        "enum": list(FOUND),
        "description": "unsafe_content: what was found. "
        + "; ".join(f"{code}: {what}" for code, what in FOUND.items()),
    },
    "signature": {"type": "string", "description": "malware: the signature the scanner reported"},
}


def document(base_path: str = "") -> dict[str, Any]:
    error_text = {
        status: "; ".join(f"{code}: {c.when}" for code, c in CODES.items() if c.status == status)
        for status in sorted({c.status for c in CODES.values()})
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Serverless upload service",
            "version": "1.0.0",
            "description": (
                "Small files are uploaded inline (multipart/form-data); larger ones go straight to S3 "
                "through presigned requests that pin the key, the content type and the size. Every "
                "object is validated after it lands (libmagic, extension, declared size, unsafe "
                "content) before it can be downloaded, and what is served is written from the very bytes "
                "that were inspected. Numbers in a query, a path or a JSON key are ASCII digits (anything "
                "else is 400 invalid_request). Every error has the shape "
                '{"error": {"code", "message", ...}} with a stable code.'
            ),
        },
        "servers": [{"url": base_path or "/"}],
        "paths": auth.protect(
            {
                "/": {
                    "get": {
                        "summary": "The upload page",
                        "operationId": "page",
                        "responses": {
                            "200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}
                        },
                    }
                },
                "/assets/{name}": {
                    "get": {
                        "summary": "The upload page's script and stylesheet",
                        "operationId": "asset",
                        "parameters": [
                            {
                                "name": "name",
                                "in": "path",
                                "required": True,
                                "schema": {"enum": ["upload.js", "upload.css"]},
                            }
                        ],
                        "responses": {"200": {"description": "The asset"}, **_errors(404)},
                    }
                },
                "/healthz": {
                    "get": {
                        "summary": "Liveness; touches no AWS service",
                        "operationId": "healthz",
                        "responses": {
                            "200": _json({"type": "object", "properties": {"status": {"const": "ok"}}}, "OK")
                        },
                    }
                },
                "/openapi.json": {
                    "get": {
                        "summary": "This document",
                        "operationId": "openapi",
                        "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
                    }
                },
                "/uploads": {
                    "get": auth.list_path(),
                    "post": {
                        "summary": "Upload inline (multipart) or ask for a presigned upload (JSON)",
                        "operationId": "createUpload",
                        "description": (
                            "multipart/form-data: one or more parts named `file`, validated at once and stored "
                            "(status accepted; with MALWARE_SCANNER=guardduty pending until GuardDuty's verdict on "
                            "its bytes is in too, which arrives on its own: follow GET /uploads/{id}). "
                            "With one part the body is the upload; with several it is "
                            "{results: [...]}, one entry per part in order, each an upload or {filename, error}; "
                            "201 when at least one was accepted, else the status of the first error.\n\n"
                            "application/json {filename, size, content_type?, method?}: every check that can be made "
                            "before the bytes exist, then an `upload` object: method PUT (default; send the raw "
                            "bytes with exactly `headers`, Content-Length is signed too) or POST (a form with "
                            "`fields` first and the file last; the policy pins key, type and exact size). "
                            "At or above MULTIPART_THRESHOLD_BYTES the method is multipart: part_size (whole MiB, "
                            "at least 5 MiB, at most 10,000 parts), part_count and the first parts' URLs (each pins "
                            "its part's Content-Length); more from POST /uploads/{id}/parts, then POST "
                            "/uploads/{id}/complete. checksum_sha256 pins a PUT's body; checksum_algorithm SHA256 "
                            "pins every part's (parts are then all signed through /parts). "
                            "Status stays pending until the validator has seen the bytes."
                        ),
                        "requestBody": {
                            "required": True,
                            "content": {
                                "multipart/form-data": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["file"],
                                        "properties": {
                                            "file": {
                                                "type": "array",
                                                "items": {
                                                    "type": "string",
                                                    "contentMediaType": "application/octet-stream",
                                                },
                                            }
                                        },
                                    }
                                },
                                "application/json": {"schema": _ref("PresignRequest")},
                            },
                        },
                        "responses": {
                            "201": _json(
                                {"oneOf": [_ref("Upload"), _ref("PresignedUpload"), _ref("InlineResults")]}, "Created"
                            ),
                            **_errors(400, 413, 415, 422, 503),
                        },
                    },
                },
                "/uploads/{id}": {
                    "parameters": [_ID],
                    "get": {
                        "summary": "The upload resource",
                        "operationId": "getUpload",
                        "responses": {"200": _json(_ref("Upload"), "The upload"), **_errors(404, 503)},
                    },
                    "delete": {
                        "summary": "Remove the upload's objects and record; abort an unfinished multipart upload",
                        "operationId": "deleteUpload",
                        "responses": {"204": {"description": "Deleted"}, **_errors(404, 503)},
                    },
                },
                **large.paths(),
                "/uploads/{id}/content": {
                    "parameters": [_ID],
                    "get": {
                        "summary": "Download an accepted upload",
                        "operationId": "getContent",
                        "description": "303 to a short-lived presigned GET that serves the file as an attachment "
                        "(Content-Disposition with an RFC 6266 filename*).",
                        "responses": {
                            "303": {
                                "description": "Redirect to the content",
                                "headers": {"Location": {"schema": {"type": "string"}}},
                            },
                            **_errors(404, 409, 503),
                        },
                    },
                },
            }
        ),
        "components": {
            "securitySchemes": auth.SECURITY_SCHEMES,
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {"code": {"enum": list(CODES)}, "message": {"type": "string"}, **_FOUND},
                            "additionalProperties": True,
                        }
                    },
                },
                "Reason": {
                    "type": "object",
                    "properties": {"code": {"enum": list(CODES)}, "message": {"type": "string"}, **_FOUND},
                },
                "Upload": {
                    "type": "object",
                    "required": ["id", "status", "filename", "size", "content_type", "created_at", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"enum": ["pending", "accepted", "rejected"]},
                        "filename": {"type": "string"},
                        "size": {"type": ["integer", "null"]},
                        "content_type": {"type": "string"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "reason": _ref("Reason"),
                        "checksum": _ref("Checksum"),
                        "links": {
                            "type": "object",
                            "properties": {"self": {"type": "string"}, "content": {"type": "string"}},
                        },
                    },
                },
                "PresignRequest": {
                    "type": "object",
                    "required": ["filename", "size"],
                    "properties": {
                        "filename": {"type": "string"},
                        "size": {"type": "integer", "minimum": 1},
                        "content_type": {"type": "string"},
                        "method": {"enum": ["PUT", "POST"], "default": "PUT"},
                        "checksum_sha256": {
                            "type": "string",
                            "description": "base64 SHA-256 of the file: pinned on a PUT",
                        },
                        "checksum_algorithm": {"enum": ["SHA256"], "description": "multipart: pin each part's SHA-256"},
                    },
                },
                "PresignedUpload": {
                    "allOf": [
                        _ref("Upload"),
                        {
                            "type": "object",
                            "properties": {
                                "upload": {
                                    "type": "object",
                                    "properties": {
                                        "method": {"enum": ["PUT", "POST", "multipart"]},
                                        "url": {"type": "string"},
                                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                                        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                                        "expires_at": {"type": "string", "format": "date-time"},
                                        "part_size": {"type": "integer"},
                                        "part_count": {"type": "integer"},
                                        "parts": {"type": "array", "items": _ref("SignedPart")},
                                        "checksum_algorithm": {"enum": ["SHA256"]},
                                    },
                                }
                            },
                        },
                    ],
                },
                **large.schemas(),
                "InlineResults": {
                    "type": "object",
                    "properties": {
                        "results": {
                            "type": "array",
                            "items": {
                                "oneOf": [
                                    _ref("Upload"),
                                    {
                                        "type": "object",
                                        "properties": {
                                            "filename": {"type": ["string", "null"]},
                                            "error": {"type": "object"},
                                        },
                                    },
                                ]
                            },
                        }
                    },
                },
            },
            "responses": {f"E{status}": _json(_ref("Error"), text) for status, text in error_text.items()},
        },
    }
