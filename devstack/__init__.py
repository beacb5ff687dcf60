"""The local stack: `python -m devstack` (what `make dev` runs).

One process tree, stopped cleanly by Ctrl-C:
- s3.py: moto's S3 (and SQS) server, embedded, behind a middleware that enforces the
  bucket's own CORS rules the way S3 does;
- bucket_config.py: the bucket's CORS, lifecycle and notification settings, read from
  infra/bucket.json, the file serverless.yml reads too;
- gateway_server.py: HTTP -> API Gateway HTTP API (payload 2.0) event -> handler.api;
- pump.py: S3 -> SQS notifications -> handler.validate, as S3 -> Lambda does on AWS;
- persist.py: the bucket's objects saved to and restored from --data-dir.

Development only: moto and friends are imported here, never by the Lambda functions,
and serverless.yml leaves this package out of the artifact.
"""

from pathlib import Path

# The repository this package lives in (infra/bucket.json, handler.py). The local stack
# runs from a checkout, never from the Lambda artifact.
REPO = Path(__file__).resolve().parent.parent
