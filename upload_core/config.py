"""Configuration: read once from the environment, checked, then frozen.

Every limit the service enforces comes from here, so that a bad deployment fails at
start-up with a message naming the variable rather than at the first upload.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping

from . import budget
from .inspect.base import Limits
from .inspect.filetypes import KNOWN_TYPES
from .s3 import limits as s3_limits

# Lambda's synchronous request payload is 6 MB and API Gateway base64-encodes binary
# bodies (4/3 growth); keep a margin for the event's headers and JSON framing.
AUTH_MODES = ("none", "jwt")
# The malware scanner that gives an upload its second verdict (README "Malware scanning").
MALWARE_SCANNERS = ("none", "clamd", "guardduty")
# How long an upload may wait for GuardDuty's result: at most a day, well inside the 4 days
# (infra/bucket.json "replay") that unvalidated incoming/ objects are kept.
MAX_SCAN_RESULT_TIMEOUT_SECONDS = 86400

INLINE_CEILING_BYTES = 6 * 1024 * 1024 * 3 // 4 - 64 * 1024
# PNG's own ceiling on each side is 2^31 - 1; a pixel limit past 2^32 bounds nothing real.
MAX_IMAGE_PIXELS_CEILING = 2**32

# A presigned URL dies with the credentials that signed it. On Lambda those are the
# execution role's temporary credentials, which the service rotates on its own schedule
# (the role's MaxSessionDuration does not apply); an hour is the lifetime an assumed
# role's session always has, so a longer TTL would promise what the signature cannot hold.
MAX_ROLE_PRESIGN_TTL_SECONDS = 3600
# HTTP APIs (payload 2.0) stop waiting for the function at 30 s.
API_TIMEOUT_CEILING_SECONDS = 29
# The API must decide at least this much of every allowed type inline (the CLI's default
# inline size), or the settings fail at start.
INLINE_FLOOR_BYTES = 1024 * 1024
# The least memory a function must leave one inspection beside its own footprint.
MIN_INSPECTION_MEMORY_MB = 64


# A bus name (letters, digits, . - _ /) or its ARN; CloudWatch namespaces allow a few more.
_EVENT_BUS_NAME = re.compile(r"(arn:[\w-]+:events:[\w-]+:\d{12}:event-bus/)?[\w.\-/]{1,256}")
_METRICS_NAMESPACE = re.compile(r"[\w.\-/#: ]{1,255}")


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
    # none, clamd (every object streamed to CLAMD_ADDRESS in the run that inspects it) or
    # guardduty (GuardDuty scans incoming/ itself; its result reaches handler.scan_result).
    # Empty: clamd when CLAMD_ADDRESS is set, else none (resolved in __post_init__).
    malware_scanner: str = ""
    # host:port of the clamd every object is also streamed to (INSTREAM), for clamd only.
    clamd_address: str | None = None
    # guardduty: seconds from an upload's structure verdict to its scan result; past them the
    # upload is rejected (scan_timeout) by the next run of the sweep.
    scan_result_timeout_seconds: int = 3600
    # The validate function's timeout (serverless.yml sets it from the function's own):
    # each type's largest upload is what the validator decides within it (budget.py).
    validate_timeout_seconds: int = 900
    # The functions' memory sizes (serverless.yml sizes them from these), hence their CPU
    # share: the sandbox's ceilings and the time budget come from them (budget.py).
    validate_memory_mb: int = 256
    api_memory_mb: int = 512
    # The API function's timeout: HTTP APIs stop waiting at 30 s.
    api_timeout_seconds: int = 29
    # Who may do what (API.md): "none" (the upload id is the capability) or "jwt" (API
    # Gateway's JWT authorizer verified a token; its `sub` owns what it creates).
    auth_mode: str = "none"
    # Per-owner quotas (jwt mode only); None: no quota. QUOTA_PENDING_BYTES bounds an owner's
    # bytes waiting for the validator (its work in flight), so one owner cannot hold it.
    quota_bytes: int | None = None
    quota_pending: int | None = None
    quota_pending_bytes: int | None = None
    # The API's public URL (scheme, host, stage path): absolute links the API hands out are
    # built from it, never from the request's Host header. None: links are paths.
    api_base_url: str | None = None
    owners_prefix: str = "owners/"
    # Decision events (API.md "Events"): none are sent when no bus is named.
    event_bus_name: str | None = None
    # Operations: CloudWatch namespace of the EMF metrics, and the optional X-Ray tracer.
    metrics_namespace: str = "UploadService"
    tracing_enabled: bool = False
    # The scheduled sweep (sweep.py) validates objects still under incoming/ this long after
    # they landed: their S3 event was lost, or came before the notification existed.
    sweep_after_seconds: int = 900

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
        ttl_cap = min(s3_limits.MAX_PRESIGN_TTL_SECONDS, MAX_ROLE_PRESIGN_TTL_SECONDS)
        if not 1 <= self.presign_ttl_seconds <= ttl_cap:
            raise ConfigError(
                "PRESIGN_TTL_SECONDS",
                f"must be between 1 and {ttl_cap} (URLs signed with a Lambda role's temporary credentials "
                "die with those credentials)",
            )
        if not 1 <= self.max_image_pixels <= MAX_IMAGE_PIXELS_CEILING:
            raise ConfigError("MAX_IMAGE_PIXELS", f"must be between 1 and {MAX_IMAGE_PIXELS_CEILING}")
        if not self.cors_allowed_origins:
            raise ConfigError("CORS_ALLOWED_ORIGINS", "must name at least one origin, or *")
        for origin in self.cors_allowed_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ConfigError("CORS_ALLOWED_ORIGINS", f"{origin!r} is not * or an http(s) origin")
        if self.event_bus_name is not None and not _EVENT_BUS_NAME.fullmatch(self.event_bus_name):
            raise ConfigError("EVENT_BUS_NAME", f"{self.event_bus_name!r} is not an EventBridge bus name or ARN")
        if not _METRICS_NAMESPACE.fullmatch(self.metrics_namespace):
            raise ConfigError("METRICS_NAMESPACE", f"{self.metrics_namespace!r} is not a CloudWatch namespace")

        if self.auth_mode not in AUTH_MODES:
            raise ConfigError("AUTH_MODE", f"{self.auth_mode!r} is not one of {', '.join(AUTH_MODES)}")
        quotas = (
            ("QUOTA_BYTES", self.quota_bytes),
            ("QUOTA_PENDING", self.quota_pending),
            ("QUOTA_PENDING_BYTES", self.quota_pending_bytes),
        )
        for name, value in quotas:
            if value is not None and value < 1:
                raise ConfigError(name, "must be a positive whole number, or unset for no quota")
        if not 1 <= self.validate_timeout_seconds <= 900:
            raise ConfigError("VALIDATE_TIMEOUT_SECONDS", "must be between 1 and 900 (Lambda's longest timeout)")
        if not 1 <= self.api_timeout_seconds <= API_TIMEOUT_CEILING_SECONDS:
            raise ConfigError(
                "API_TIMEOUT_SECONDS", f"must be between 1 and {API_TIMEOUT_CEILING_SECONDS} (HTTP APIs wait 30 s)"
            )
        if not 60 <= self.sweep_after_seconds <= s3_limits.MAX_PRESIGN_TTL_SECONDS:
            raise ConfigError(
                "SWEEP_AFTER_SECONDS",
                f"must be between 60 and {s3_limits.MAX_PRESIGN_TTL_SECONDS} (an S3 event takes seconds to arrive)",
            )
        for variable, function in (
            ("VALIDATE_MEMORY_MB", self.validate_function),
            ("API_MEMORY_MB", self.api_function),
        ):
            low, high = budget.LAMBDA_MEMORY_MB
            floor = function.footprint_mb + MIN_INSPECTION_MEMORY_MB
            if not max(low, floor) <= function.memory_mb <= high:
                raise ConfigError(
                    variable,
                    f"must be between {max(low, floor)} and {high} (Lambda's sizes; the function's own "
                    f"{function.footprint_mb} MB plus at least {MIN_INSPECTION_MEMORY_MB} MB for an inspection)",
                )
        self._check_budget()
        if self.api_base_url is not None and not _is_base_url(self.api_base_url):
            raise ConfigError(
                "API_BASE_URL", f"{self.api_base_url!r} is not an http(s) URL without query or fragment (no trailing /)"
            )
        self._check_scanner()

    def _check_scanner(self) -> None:
        """MALWARE_SCANNER and what it needs; a setting that the choice would ignore is an
        error too, so that a deployment never believes it scans with something it does not."""
        if not self.malware_scanner:
            object.__setattr__(self, "malware_scanner", "clamd" if self.clamd_address else "none")
        if self.malware_scanner not in MALWARE_SCANNERS:
            raise ConfigError(
                "MALWARE_SCANNER", f"{self.malware_scanner!r} is not one of {', '.join(MALWARE_SCANNERS)}"
            )
        if self.malware_scanner == "clamd" and self.clamd_address is None:
            raise ConfigError("CLAMD_ADDRESS", "is required with MALWARE_SCANNER=clamd (host:port of a clamd)")
        if self.malware_scanner != "clamd" and self.clamd_address is not None:
            raise ConfigError(
                "CLAMD_ADDRESS", f"is set, but MALWARE_SCANNER={self.malware_scanner} would not use it; unset one"
            )
        if self.clamd_address is not None:
            host, _, port = self.clamd_address.rpartition(":")
            if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
                raise ConfigError("CLAMD_ADDRESS", f"{self.clamd_address!r} is not host:port")
        if not 1 <= self.scan_result_timeout_seconds <= MAX_SCAN_RESULT_TIMEOUT_SECONDS:
            raise ConfigError(
                "SCAN_RESULT_TIMEOUT_SECONDS", f"must be between 1 and {MAX_SCAN_RESULT_TIMEOUT_SECONDS} (a day)"
            )

    @property
    def guardduty(self) -> bool:
        """MALWARE_SCANNER=guardduty: the malware verdict arrives on its own (handler.scan_result)."""
        return self.malware_scanner == "guardduty"

    def _check_budget(self) -> None:
        """Every file the service takes must be decidable in time by the function that decides
        it (budget.py). Each type is capped at what each path decides (inline_max_for,
        max_bytes_for); settings under which the API cannot decide even a 1 MiB file of an
        allowed type inline, or the validator one of INLINE_MAX_BYTES, fail here."""
        clamd = self.clamd_address is not None
        floor = min(self.inline_max_bytes, INLINE_FLOOR_BYTES)
        for ext in self.allowed_extensions:
            inline = self.inline_max_for(ext)
            if inline < floor:
                needs = self.api_function.decide_seconds(ext, floor, clamd)
                raise ConfigError(
                    "INLINE_MAX_BYTES",
                    f"a .{ext} of {floor} bytes needs ~{needs:.0f} s of the API's {self.api_timeout_seconds} s "
                    f"at {self.api_memory_mb} MB (API_MEMORY_MB, API_TIMEOUT_SECONDS): at most {inline} inline",
                )
            landed = self.validate_function.largest_decidable(ext, clamd)
            if landed < self.inline_max_bytes:
                raise ConfigError(
                    "VALIDATE_TIMEOUT_SECONDS",
                    f"{self.validate_timeout_seconds} s at {self.validate_memory_mb} MB (VALIDATE_MEMORY_MB) decides "
                    f"a .{ext} of at most {landed} bytes, less than INLINE_MAX_BYTES",
                )

    @property
    def validate_function(self) -> budget.Function:
        return budget.validator(self.validate_memory_mb, self.validate_timeout_seconds)

    @property
    def api_function(self) -> budget.Function:
        return budget.api(self.api_memory_mb, self.api_timeout_seconds)

    def inline_max_for(self, extension: str) -> int:
        """The largest file of this type taken inline: INLINE_MAX_BYTES, or less when the API
        could not decide a larger one in its timeout (a dense PDF); larger ones are 413
        too_large_for_inline, and clients then use a presigned upload."""
        return min(
            self.inline_max_bytes, self.api_function.largest_decidable(extension, self.clamd_address is not None)
        )

    @property
    def inline_max_any(self) -> int:
        """The largest file of any allowed type taken inline (what the upload page routes by)."""
        return min(self.inline_max_for(ext) for ext in self.allowed_extensions)

    def max_bytes_for(self, extension: str) -> int:
        """The largest file of this type accepted: MAX_UPLOAD_BYTES, or less when the
        validator could not decide a larger one of this type in time (budget.py)."""
        return min(
            self.max_upload_bytes,
            self.validate_function.largest_decidable(extension, self.clamd_address is not None),
        )

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
            malware_scanner=env.get("MALWARE_SCANNER", "").strip().lower(),
            clamd_address=env.get("CLAMD_ADDRESS", "").strip() or None,
            scan_result_timeout_seconds=_int(env, "SCAN_RESULT_TIMEOUT_SECONDS", cls.scan_result_timeout_seconds),
            validate_timeout_seconds=_int(env, "VALIDATE_TIMEOUT_SECONDS", cls.validate_timeout_seconds),
            validate_memory_mb=_int(env, "VALIDATE_MEMORY_MB", cls.validate_memory_mb),
            api_memory_mb=_int(env, "API_MEMORY_MB", cls.api_memory_mb),
            api_timeout_seconds=_int(env, "API_TIMEOUT_SECONDS", cls.api_timeout_seconds),
            auth_mode=env.get("AUTH_MODE", "").strip().lower() or cls.auth_mode,
            quota_bytes=_optional_int(env, "QUOTA_BYTES"),
            quota_pending=_optional_int(env, "QUOTA_PENDING"),
            quota_pending_bytes=_optional_int(env, "QUOTA_PENDING_BYTES"),
            api_base_url=env.get("API_BASE_URL", "").strip() or None,
            event_bus_name=env.get("EVENT_BUS_NAME", "").strip() or None,
            metrics_namespace=env.get("METRICS_NAMESPACE", "").strip() or cls.metrics_namespace,
            tracing_enabled=_bool(env, "TRACING_ENABLED", cls.tracing_enabled),
            sweep_after_seconds=_int(env, "SWEEP_AFTER_SECONDS", cls.sweep_after_seconds),
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


def _is_base_url(value: str) -> bool:
    """https://host[:port][/stage...]: no query, fragment, whitespace or trailing slash."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    plain = not (parts.query or parts.fragment or "?" in value or "#" in value or any(c.isspace() for c in value))
    return parts.scheme in ("http", "https") and bool(parts.netloc) and plain and not value.endswith("/")


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


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"{raw!r} is not true or false")


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...], lower: bool = False) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    items = [i.strip().lstrip(".") if lower else i.strip().rstrip("/") for i in raw.split(",")]
    items = [i.lower() if lower else i for i in items if i]
    return tuple(dict.fromkeys(items))
