"""The local S3 (and SQS): moto's server, embedded, with S3's CORS behaviour in front and
S3's refusals where moto is laxer (strict_s3.py: ranged copies, copy sizes, 409s, checksums).

The bucket is set up from the same settings serverless.yml deploys (bucket_config.py):
CORS, lifecycle, and an ObjectCreated notification on the incoming prefix. On AWS that
notification invokes the validate function; here it feeds an SQS queue that pump.py
drains into handler.validate, with the real message bodies S3 would send.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from .bucket_config import BucketSettings

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# The stack's only credentials: its own clients, handler.py's and the presigned URLs use them.
ACCESS_KEY = SECRET_KEY = "local"


@dataclass
class LocalS3:
    host: str
    port: int
    _server: object
    _thread: threading.Thread

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


def start_server(host: str, port: int) -> LocalS3:
    """moto's server on host:port (0: a free port), serving S3 and SQS, in a thread."""
    # Read by moto.settings at import: no catch-all CORS, the middleware does it as S3 does.
    os.environ["MOTO_DISABLE_GLOBAL_CORS"] = "1"
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from .cors import S3CorsMiddleware, rules_from_moto
    from .moto_fixes import apply as apply_moto_fixes
    from .s3_auth import PresignedRequestCheck
    from .s3_guard import FormEncodedPutGuard
    from .strict_s3 import LocalAdmin
    from .strict_s3 import enable as strict_s3

    apply_moto_fixes()
    strict_s3()  # S3's limits, 409s and default checksum (strict_s3.py), for the stack's whole life

    moto_app = PresignedRequestCheck(
        FormEncodedPutGuard(DomainDispatcherApplication(create_backend_app)), {ACCESS_KEY: SECRET_KEY}
    )
    app = LocalAdmin(S3CorsMiddleware(moto_app, rules_from_moto(ACCOUNT_ID)))
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="local-s3", daemon=True)
    thread.start()
    return LocalS3(host, server.server_address[1], server, thread)


def client(service: str, endpoint: str):
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def setup_bucket(endpoint: str, bucket: str, settings: BucketSettings, queue: str) -> str:
    """Create the bucket and its event queue (idempotent); return the queue URL."""
    s3 = client("s3", endpoint)
    sqs = client("sqs", endpoint)
    dead = sqs.create_queue(QueueName=f"{queue}-failed")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # A message that keeps failing is retried a few times, then parked, like the
    # validate function's retries and on-failure destination on AWS.
    queue_url = sqs.create_queue(
        QueueName=queue,
        Attributes={
            "VisibilityTimeout": "5",
            "RedrivePolicy": f'{{"deadLetterTargetArn": "{dead_arn}", "maxReceiveCount": "3"}}',
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=settings.cors())
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=settings.lifecycle())
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=settings.notification(queue_arn))
    return queue_url
