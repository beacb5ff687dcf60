"""Reading a request into typed values, and the app's injected parts. Anything malformed
is a 400 invalid_request that names the field, so routes only parse and shape."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from flask import current_app, request

from ..config import Config
from ..errors import BadRequest, TooLarge
from ..notify import DecisionEvents
from ..s3.parts import check_part_number, normalize_etag
from ..s3.store import S3Store
from ..upload import Upload
from .identity import owner

T = TypeVar("T")

# The largest JSON body a route reads: a completion listing 10,000 parts is about 600 KB.
MAX_JSON_BYTES = 1024 * 1024
# A whole number in a query string, a path or a JSON key: ASCII digits only. str.isdigit()
# and int() also take other scripts' digits, superscripts and circled numbers ('²' passes
# isdigit() and fails int(): a 500), so neither decides what a number is here.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def config() -> Config:
    return current_app.extensions["upload_config"]


def store() -> S3Store:
    return current_app.extensions["upload_store"]


def owned_record(upload_id: str) -> Upload:
    """The record of an upload the caller may see (every route that names an upload)."""
    return store().require_record(upload_id, owner())


def whole_number(raw: Any) -> int | None:
    """`raw` as a whole number written in ASCII digits (at most 18 of them), else None."""
    if not isinstance(raw, str) or not _WHOLE_NUMBER.fullmatch(raw):
        return None
    return int(raw)


def events() -> DecisionEvents | None:
    return current_app.extensions.get("upload_events")


def base_path() -> str:
    """Where the app is mounted (the API Gateway stage, when there is one)."""
    return request.script_root


def json_object(shape: str = "") -> dict[str, Any]:
    """The body as a JSON object, bounded in size and nesting: anything else is a 4xx.
    Only a JSON content type counts, so a browser cannot post one without a CORS preflight."""
    body = None
    if request.is_json:
        if (request.content_length or 0) > MAX_JSON_BYTES:
            raise too_large_json()
        data = request.get_data(cache=True)  # with no Content-Length, Flask's own cap still applies
        if len(data) > MAX_JSON_BYTES:
            raise too_large_json()
        try:
            # json.loads recurses per nesting level: thousands of '[' would be a RecursionError.
            body = json.loads(data)
        except RecursionError:
            raise BadRequest("invalid_request", "The JSON body is nested too deeply") from None
        except ValueError:  # malformed JSON, or bytes that are not UTF-8
            body = None
    if not isinstance(body, dict):
        raise BadRequest("invalid_request", f"The body must be a JSON object{' ' + shape if shape else ''}")
    return body


def too_large_json() -> TooLarge:
    return TooLarge("request_too_large", f"The JSON body is over {MAX_JSON_BYTES} bytes", limit=MAX_JSON_BYTES)


def field(body: dict[str, Any], name: str, kind: type[T], required: bool = True) -> T | None:
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest("invalid_request", f"Missing field '{name}'")
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadRequest("invalid_request", f"Field '{name}' must be a {kind.__name__}")
    return value


def listed_parts(raw: Any, number_key: str, etag_key: str) -> list[dict[str, Any]]:
    """[{number_key, etag_key}, ...] from a request body -> [{PartNumber, ETag}]."""
    if not isinstance(raw, list):
        raise BadRequest("invalid_request", f"'parts' must be a list of {{{number_key}, {etag_key}}}")
    listed = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get(etag_key), str):
            raise BadRequest("invalid_request", f"Each part needs {number_key} and a string {etag_key}")
        listed.append({"PartNumber": check_part_number(entry.get(number_key)), "ETag": normalize_etag(entry[etag_key])})
    return listed
