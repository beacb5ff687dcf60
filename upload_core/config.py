"""Configuration: read once from the environment, checked, then frozen.

Every limit the service enforces comes from here, so that a bad deployment fails at
start-up with a message naming the variable rather than at the first upload.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from .inspect.base import Limits
from .inspect.filetypes import KNOWN_TYPES
from .s3 import limits as s3_limits

# Lambda's synchronous request payload is 6 MB and API Gateway base64-encodes binary
# bodies (4/3 growth); keep a margin for the event's headers and JSON framing.
AUTH_MODES = ("none", "jwt")

INLINE_CEILING_BYTES = 6 * 1024 * 1024 * 3 // 4 - 64 * 1024
# PNG's own ceiling on each side is 2^31 - 1; a pixel limit past 2^32 bounds nothing real.
MAX_IMAGE_PIXELS_CEILING = 2**32


class ConfigError(ValueError):
    """A configuration variable is missing or has a bad value."""

    def __init__(self, variable: str, message: str):
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True)
class Config:
    bucket: str
    inline_max_bytes: int = 4 * 1024 * 1024
    max_upload_bytes: int = 5 * 1024**3
    multipart_threshold_bytes: int = 100 * 1024 * 1024
    allowed_extensions: tuple[str, ...] = ("png", "jpg", "jpeg", "gif", "pdf", "doc", "docx")
    presign_ttl_seconds: int = 900
    cors_allowed_origins: tuple[str, ...] = ("*",)
    incoming_prefix: str = "incoming/"
    files_prefix: str = "files/"
    records_prefix: str = "records/"
    # Images with more pixels are refused before any decoding (see inspect/base.Limits).
    max_image_pixels: int = Limits.max_image_pixels
    # host:port of a clamd every object is also streamed to (INSTREAM); None: no malware scan.
    clamd_address: str | None = None
    # Who may do what (API.md): "none" (the upload id is the capability) or "jwt" (API
    # Gateway's JWT authorizer verified a token; its `sub` owns what it creates).
    auth_mode: str = "none"
    # Per-owner quotas (jwt mode only); None: no quota.
    quota_bytes: int | None = None
    quota_pending: int | None = None
    owners_prefix: str = "owners/"

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ConfigError("UPLOAD_BUCKET", "is required (the bucket that holds every upload)")
        if not 1 <= self.inline_max_bytes <= INLINE_CEILING_BYTES:
            raise ConfigError(
                "INLINE_MAX_BYTES",
                f"must be between 1 and {INLINE_CEILING_BYTES} (API Gateway/Lambda payload limit)",
            )
        if not 1 <= self.max_upload_bytes <= s3_limits.MAX_OBJECT_BYTES:
            raise ConfigError("MAX_UPLOAD_BYTES", f"must be between 1 and {s3_limits.MAX_OBJECT_BYTES}")
        if self.multipart_threshold_bytes < s3_limits.MIN_PART_BYTES:
            raise ConfigError(
                "MULTIPART_THRESHOLD_BYTES", f"must be at least {s3_limits.MIN_PART_BYTES} (S3's smallest part)"
            )
        if self.multipart_threshold_bytes > s3_limits.MAX_SINGLE_PUT_BYTES:
            raise ConfigError(
                "MULTIPART_THRESHOLD_BYTES",
                f"must be at most {s3_limits.MAX_SINGLE_PUT_BYTES} (S3's largest single upload)",
            )
        if not self.allowed_extensions:
            raise ConfigError("ALLOWED_EXTENSIONS", "must name at least one extension")
        unknown = [e for e in self.allowed_extensions if e not in KNOWN_TYPES]
        if unknown:
            raise ConfigError(
                "ALLOWED_EXTENSIONS",
                f"unknown extension(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_TYPES))}",
            )
        if not 1 <= self.presign_ttl_seconds <= s3_limits.MAX_PRESIGN_TTL_SECONDS:
            raise ConfigError(
                "PRESIGN_TTL_SECONDS", f"must be between 1 and {s3_limits.MAX_PRESIGN_TTL_SECONDS} (S3's limit)"
            )
        if not 1 <= self.max_image_pixels <= MAX_IMAGE_PIXELS_CEILING:
            raise ConfigError("MAX_IMAGE_PIXELS", f"must be between 1 and {MAX_IMAGE_PIXELS_CEILING}")
        if not self.cors_allowed_origins:
            raise ConfigError("CORS_ALLOWED_ORIGINS", "must name at least one origin, or *")
        for origin in self.cors_allowed_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ConfigError("CORS_ALLOWED_ORIGINS", f"{origin!r} is not * or an http(s) origin")

        if self.auth_mode not in AUTH_MODES:
            raise ConfigError("AUTH_MODE", f"{self.auth_mode!r} is not one of {', '.join(AUTH_MODES)}")
        for name, value in (("QUOTA_BYTES", self.quota_bytes), ("QUOTA_PENDING", self.quota_pending)):
            if value is not None and value < 1:
                raise ConfigError(name, "must be a positive whole number, or unset for no quota")
        if self.clamd_address is not None:
            host, _, port = self.clamd_address.rpartition(":")
            if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
                raise ConfigError("CLAMD_ADDRESS", f"{self.clamd_address!r} is not host:port")

    @property
    def clamd_host_port(self) -> tuple[str, int] | None:
        if self.clamd_address is None:
            return None
        host, _, port = self.clamd_address.rpartition(":")
        return host.strip("[]"), int(port)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Config":
        env = os.environ if environ is None else environ
        return cls(
            bucket=env.get("UPLOAD_BUCKET", "").strip(),
            inline_max_bytes=_int(env, "INLINE_MAX_BYTES", cls.inline_max_bytes),
            max_upload_bytes=_int(env, "MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            multipart_threshold_bytes=_int(env, "MULTIPART_THRESHOLD_BYTES", cls.multipart_threshold_bytes),
            allowed_extensions=_list(env, "ALLOWED_EXTENSIONS", cls.allowed_extensions, lower=True),
            presign_ttl_seconds=_int(env, "PRESIGN_TTL_SECONDS", cls.presign_ttl_seconds),
            cors_allowed_origins=_list(env, "CORS_ALLOWED_ORIGINS", cls.cors_allowed_origins),
            max_image_pixels=_int(env, "MAX_IMAGE_PIXELS", cls.max_image_pixels),
            clamd_address=env.get("CLAMD_ADDRESS", "").strip() or None,
            auth_mode=env.get("AUTH_MODE", "").strip().lower() or cls.auth_mode,
            quota_bytes=_optional_int(env, "QUOTA_BYTES"),
            quota_pending=_optional_int(env, "QUOTA_PENDING"),
        )

    def types_for(self, extension: str) -> tuple[str, ...]:
        """MIME types libmagic may report for an allowed extension."""
        return KNOWN_TYPES[extension].mime_types

    @property
    def limits(self) -> Limits:
        """The bounds every inspector enforces, from this configuration."""
        return Limits(max_image_pixels=self.max_image_pixels)

    @property
    def allowed_mime_types(self) -> frozenset[str]:
        return frozenset(t for e in self.allowed_extensions for t in KNOWN_TYPES[e].mime_types)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw.replace("_", ""))
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not a whole number") from None


def _optional_int(env: Mapping[str, str], name: str) -> int | None:
    return _int(env, name, 0) if env.get(name, "").strip() else None


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...], lower: bool = False) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    items = [i.strip().lstrip(".") if lower else i.strip().rstrip("/") for i in raw.split(",")]
    items = [i.lower() if lower else i for i in items if i]
    return tuple(dict.fromkeys(items))
