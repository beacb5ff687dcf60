"""The OpenAPI paths and schemas of large files: multipart routes and Uppy Companion's
S3 routes. document() in __init__.py merges them into the one document."""

from __future__ import annotations

from typing import Any

from .common import ID as _ID
from .common import errors as _errors
from .common import json_response as _json
from .common import param
from .common import ref as _ref

_INT, _STR = {"type": "integer"}, {"type": "string"}
_S3_ID = param("s3_upload_id", "path", _STR, "S3's UploadId, as POST /s3/multipart answered it")
_KEY = param("key", "query", _STR, "incoming/ID, as this service issued it")


def _obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


_COMPANION = "Uppy Companion protocol (@uppy/aws-s3). "


def paths() -> dict[str, Any]:
    return {
        "/uploads/{id}/parts": {
            "parameters": [_ID],
            "post": {
                "summary": "Sign more part URLs of a multipart upload",
                "operationId": "signParts",
                "description": "At most 500 part numbers per request, within the upload's part_count. An upload "
                "started with checksum_algorithm SHA256 needs checksums_sha256 for every part: each URL then pins "
                "x-amz-checksum-sha256 (send exactly the returned headers), so S3 refuses a corrupted part.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["part_numbers"],
                                "properties": {
                                    "part_numbers": {
                                        "type": "array",
                                        "items": {"type": "integer", "minimum": 1, "maximum": 10000},
                                    },
                                    "checksums_sha256": {"type": "object", "additionalProperties": _STR},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_obj(parts={"type": "array", "items": _ref("SignedPart")}), "Signed"),
                    **_errors(400, 404, 409, 503),
                },
            },
            "get": {
                "summary": "The parts S3 already holds (to resume)",
                "operationId": "listParts",
                "responses": {
                    "200": _json(
                        _obj(
                            part_size=_INT,
                            part_count={"type": ["integer", "null"]},
                            parts={
                                "type": "array",
                                "items": _obj(part_number=_INT, etag=_STR, size=_INT, checksum_sha256=_STR),
                            },
                        ),
                        "Parts held",
                    ),
                    **_errors(404, 409, 503),
                },
            },
        },
        "/uploads/{id}/complete": {
            "parameters": [_ID],
            "post": {
                "summary": "Complete a multipart upload",
                "operationId": "completeUpload",
                "description": "The listed parts must be exactly the parts S3 holds (numbers and ETags), every part "
                "but the last at least 5 MiB, and their sizes must add up to the declared size (and to at most "
                "MAX_UPLOAD_BYTES). Otherwise the answer is 400 parts_mismatch or size_mismatch, or 413 too_large, "
                "saying what is wrong, and nothing changes: the upload stays pending and can still be completed "
                "with the right parts until it expires. The status stays pending until the validator has seen "
                "the object; completing again after success answers 200 again.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["parts"],
                                "properties": {
                                    "parts": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["part_number", "etag"],
                                            "properties": {"part_number": _INT, "etag": _STR},
                                        },
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("Upload"), "Completed; validation follows"),
                    **_errors(400, 404, 409, 413, 503),
                },
            },
        },
        "/s3/params": {
            "get": {
                "summary": "Companion: a presigned form POST for one file",
                "operationId": "companionParams",
                "description": _COMPANION + "Creates a pending upload (no size is known); the policy pins the key "
                "incoming/ID, the content type and content-length-range 1..MAX_UPLOAD_BYTES. The validator checks the "
                "bytes and the size after landing. metadata[...] parameters are accepted and ignored.",
                "parameters": [
                    param("filename", "query", _STR),
                    param("type", "query", _STR, required=False),
                ],
                "responses": {
                    "200": _json(
                        _obj(
                            method={"const": "POST"},
                            url=_STR,
                            fields={"type": "object", "additionalProperties": _STR},
                            headers={"type": "object"},
                            expires=_INT,
                        ),
                        "Presigned POST",
                    ),
                    **_errors(400, 415, 503),
                },
            }
        },
        "/s3/multipart": {
            "post": {
                "summary": "Companion: start a multipart upload",
                "operationId": "companionCreateMultipart",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _obj(filename=_STR, type=_STR, metadata={"type": "object"})}
                    },
                },
                "responses": {"200": _json(_obj(key=_STR, uploadId=_STR), "Started"), **_errors(400, 415, 503)},
            }
        },
        "/s3/multipart/{s3_upload_id}": {
            "parameters": [_S3_ID, _KEY],
            "get": {
                "summary": "Companion: the parts S3 holds",
                "operationId": "companionListParts",
                "responses": {
                    "200": _json({"type": "array", "items": _obj(PartNumber=_INT, ETag=_STR, Size=_INT)}, "Parts"),
                    **_errors(400, 403, 404, 409, 503),
                },
            },
            "delete": {
                "summary": "Companion: abort the multipart upload (and forget the upload)",
                "operationId": "companionAbort",
                "responses": {"200": _json({"type": "object"}, "{}"), **_errors(400, 403, 404, 409, 503)},
            },
        },
        "/s3/multipart/{s3_upload_id}/{part_number}": {
            "get": {
                "summary": "Companion: sign one part",
                "operationId": "companionSignPart",
                "parameters": [
                    _S3_ID,
                    param("part_number", "path", {"type": "integer", "minimum": 1, "maximum": 10000}),
                    _KEY,
                ],
                "responses": {"200": _json(_obj(url=_STR, expires=_INT), "Signed"), **_errors(400, 403, 404, 409, 503)},
            }
        },
        "/s3/multipart/{s3_upload_id}/batch": {
            "get": {
                "summary": "Companion (older clients): sign several parts",
                "operationId": "companionSignBatch",
                "parameters": [
                    _S3_ID,
                    _KEY,
                    param("partNumbers", "query", _STR, "comma-separated"),
                ],
                "responses": {
                    "200": _json(_obj(presignedUrls={"type": "object", "additionalProperties": _STR}), "Signed"),
                    **_errors(400, 403, 404, 409, 503),
                },
            }
        },
        "/s3/multipart/{s3_upload_id}/complete": {
            "post": {
                "summary": "Companion: complete the multipart upload",
                "operationId": "companionComplete",
                "description": "Same checks as POST /uploads/{id}/complete (no size is declared: the total must "
                "not exceed MAX_UPLOAD_BYTES). The total is the upload's size, charged to the owner's quotas "
                "here: past QUOTA_BYTES 429 quota_exceeded, past QUOTA_PENDING_BYTES 429 validation_backlog, and "
                "nothing is completed. location is the upload resource, where validation can be followed: "
                "API_BASE_URL/uploads/ID, or the path when API_BASE_URL is unset (never built from Host).",
                "parameters": [_S3_ID, _KEY],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": _obj(parts={"type": "array", "items": _obj(PartNumber=_INT, ETag=_STR)})
                        }
                    },
                },
                "responses": {
                    "200": _json(_obj(location=_STR, bucket=_STR, key=_STR), "Completed"),
                    **_errors(400, 403, 404, 409, 413, 503),
                },
            }
        },
    }


def schemas() -> dict[str, Any]:
    return {
        "SignedPart": _obj(part_number=_INT, url=_STR, headers={"type": "object", "additionalProperties": _STR}),
        "Checksum": {
            **_obj(algorithm={"enum": ["SHA256"]}, value=_STR, type={"enum": ["FULL_OBJECT"]}),
            "description": "Accepted uploads only: the SHA-256 (base64) of exactly the bytes served, computed by "
            "the service from the bytes it inspected; S3 checked every byte against it when they were written. "
            "Never what S3 recorded for the client's object (on AWS that can be a CRC64NVME S3 adds itself).",
        },
    }
