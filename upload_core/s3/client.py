"""The boto3 client and S3 error translation. Nothing here knows about uploads."""

from __future__ import annotations

import logging
import os
from typing import Any, Literal

from ..errors import StorageUnavailable

log = logging.getLogger(__name__)


class ObjectChanged(Exception):
    """The object is not the version that was read first (it was overwritten or removed)."""


def error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class storage_errors:
    """Turn boto3/botocore failures into StorageUnavailable (503); let ours through."""

    def __enter__(self) -> storage_errors:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or isinstance(exc, (StorageUnavailable, ObjectChanged)):
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, (BotoCoreError, ClientError)):
            log.error("S3 call failed: %s", exc)
            raise StorageUnavailable() from exc
        return False


def default_client() -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = None
    if not (os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")):
        # Presigned URLs on the regional endpoint: botocore signs for the global
        # s3.amazonaws.com otherwise, which answers a bucket outside us-east-1 with a
        # redirect that browsers refuse under CORS.
        endpoint = f"https://s3.{region}.amazonaws.com"
    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint,
        config=BotoConfig(
            signature_version="s3v4",
            s3={"addressing_style": "virtual"} if endpoint else {},
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            read_timeout=30,
        ),
    )
