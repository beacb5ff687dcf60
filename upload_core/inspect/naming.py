"""Names, ids and keys.

The client's filename is kept for people (made safe, still readable) and never used
to build an object key: keys come from a random id only.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from urllib.parse import quote

from ..errors import BadRequest

MAX_NAME_BYTES = 255
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|clock\$|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$", re.I)
# Characters that are separators or mean something to a shell, a URL or Windows.
_UNSAFE_CHARS = re.compile(r'[<>:"|?*\\/]')
# Control (Cc), format (Cf: bidi overrides, zero-width joiners), surrogates, private
# use, unassigned, line and paragraph separators.
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def new_id() -> str:
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def is_valid_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


def sanitize_filename(raw: str | None) -> str:
    """Make a client's filename safe to store and show, keeping it readable.

    Raises BadRequest(empty_filename) for an empty name and BadRequest(invalid_filename)
    when nothing usable is left.
    """
    if raw is None or not raw.strip():
        raise BadRequest("empty_filename", "The file has no name")
    name = unicodedata.normalize("NFC", raw)
    # Only the last path segment, whichever separator the client's OS uses.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in _DROP_CATEGORIES)
    name = _UNSAFE_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip()
    name = name.lstrip(". ").rstrip(". ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if _WINDOWS_RESERVED.match(stem.strip()) or _WINDOWS_RESERVED.match(name):
        stem = ""
    stem = stem.strip().rstrip(". ")
    if not stem or not re.search(r"\w", stem):
        raise BadRequest("invalid_filename", f"Nothing usable is left of the filename {raw[:100]!r}")
    name = _bounded(stem, "." + ext if dot else "")
    return name


def _bounded(stem: str, suffix: str) -> str:
    """Cut the stem (never the extension) so the name fits MAX_NAME_BYTES of UTF-8."""
    suffix = suffix[:32]
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    encoded = stem.encode("utf-8")
    if len(encoded) > budget:
        stem = encoded[:budget].decode("utf-8", "ignore").rstrip(". ")
    return stem + suffix


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def content_disposition(name: str) -> str:
    """RFC 6266 attachment header: an ASCII fallback plus the UTF-8 name in filename*."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = _ascii(stem) or "download"
    fallback = stem + ("." + _ascii(ext) if ext else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._ ()-]", "_", text).strip(" _")
