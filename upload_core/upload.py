"""The upload record: everything the service knows about one upload.

It is stored as a small JSON object beside the upload's bytes in S3 (S3 is the only
store), and rendered as the API's upload resource.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    # A tombstone: DELETE /uploads/ID writes it first (over the version it read), so that a
    # decision in flight, written over an older version, fails; then the bytes go, then the
    # record. Never shown: every route answers 404 for it, as for a record that is gone.
    DELETED = "deleted"


class Method(StrEnum):
    """How the bytes arrive: in the API request, or straight to S3 by a presigned request."""

    INLINE = "inline"
    PUT = "PUT"
    POST = "POST"
    MULTIPART = "multipart"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Owner:
    """Who owns an upload (AUTH_MODE=jwt): the `sub` claim of one issuer. A `sub` is unique
    only within its issuer, so the pair is the owner: the same `sub` from another issuer is
    someone else."""

    iss: str
    sub: str

    @property
    def key(self) -> str:
        """One unambiguous string for the pair (hashed into the owner's S3 prefix)."""
        return json.dumps([self.iss, self.sub], ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: Any) -> "Owner | None":
        """A stored owner. Records written before owners were pairs hold a bare `sub` string:
        its issuer is unknown, so it becomes (\"\", sub), which no caller is (API Gateway's
        authorizer always passes `iss`): such an upload is nobody's (README, Who may do what)."""
        if raw is None:
            return None
        if isinstance(raw, str):
            return cls(iss="", sub=raw)
        return cls(iss=str(raw["iss"]), sub=str(raw["sub"]))


@dataclass(frozen=True)
class Upload:
    id: str
    status: Status
    filename: str
    size: int | None
    content_type: str
    method: Method
    created_at: str = field(default_factory=utc_now)
    reason: dict[str, str] | None = None
    validated_at: str | None = None
    multipart_upload_id: str | None = None
    # An issued upload keeps what was declared, so the validator can compare.
    declared_size: int | None = None
    # Multipart: the part size the upload was planned with, and the checksum algorithm
    # its parts are pinned to (SHA256 or None).
    part_size: int | None = None
    checksum_algorithm: str | None = None
    # Accepted: the SHA-256 of exactly the served bytes, {"algorithm": "SHA256", "value":
    # base64, "type": "FULL_OBJECT"}, computed by the service (never what S3 recorded).
    checksum: dict[str, str] | None = None
    # Who created it (AUTH_MODE=jwt); None when anyone may call the API.
    owner: Owner | None = None
    # Its name in the owner's index (s3/owners.py), so a delete can remove it.
    index_name: str | None = None
    # Accepted: the key of the served object, files/ID/SHA256HEX (s3/served.py). Records
    # accepted before served keys existed have none and are served from files/ID.
    served_key: str | None = None
    # MALWARE_SCANNER=guardduty: the verdicts that came so far, each for one object version
    # ({"structure": {...}, "malware": {...}}, upload_core/scan/combine.py); never shown.
    scan: dict[str, Any] | None = None

    def accepted(
        self, content_type: str, size: int, checksum: dict[str, str] | None = None, served_key: str | None = None
    ) -> "Upload":
        return replace(
            self,
            status=Status.ACCEPTED,
            content_type=content_type,
            size=size,
            validated_at=utc_now(),
            checksum=checksum,
            served_key=served_key,
        )

    def rejected(self, reason: dict[str, str]) -> "Upload":
        return replace(self, status=Status.REJECTED, reason=reason, validated_at=utc_now())

    def tombstone(self) -> "Upload":
        return replace(self, status=Status.DELETED)

    @property
    def pending(self) -> bool:
        return self.status == Status.PENDING

    @property
    def final(self) -> bool:
        """Decided: accepted or rejected (a tombstone is neither: the upload is going)."""
        return self.status in (Status.ACCEPTED, Status.REJECTED)

    @property
    def deleted(self) -> bool:
        return self.status == Status.DELETED

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> "Upload":
        raw = json.loads(data)
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        known["status"], known["method"] = Status(known["status"]), Method(known["method"])
        known["owner"] = Owner.from_json(known.get("owner"))
        return cls(**known)

    def resource(self, base_path: str) -> dict[str, Any]:
        """The public view (API.md's upload resource)."""
        self_link = f"{base_path}/uploads/{self.id}"
        body: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "filename": self.filename,
            "size": self.size,
            "content_type": self.content_type,
            "created_at": self.created_at,
        }
        if self.status == Status.REJECTED and self.reason:
            body["reason"] = self.reason
        if self.status == Status.ACCEPTED and self.checksum and self.served_key:
            body["checksum"] = self.checksum
        body["links"] = {"self": self_link, "content": f"{self_link}/content"}
        return body
