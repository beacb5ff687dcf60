#!/usr/bin/env sh
# `sls invoke local` on both functions with the event files in tests/events/, run by
# `make invoke-local` inside the local stack (python -m devstack --api none
# --run ...), which exports UPLOAD_BUCKET=uploads-local and points boto3 at its S3.
set -eu
SLS=node_modules/.bin/sls
out=$(mktemp)
trap 'rm -f "$out"' EXIT

echo "sls invoke local -f api -p tests/events/api_v2_healthz.json"
"$SLS" invoke local -f api -p tests/events/api_v2_healthz.json | tee "$out"
grep -q '"statusCode": 200' "$out"
grep -q '{\\"status\\": \\"ok\\"}\|{\\"status\\":\\"ok\\"}' "$out"

echo "sls invoke local -f api -p tests/events/api_v1_healthz.json"
"$SLS" invoke local -f api -p tests/events/api_v1_healthz.json | tee "$out"
grep -q '"statusCode": 200' "$out"

echo "sls invoke local -f validate -p tests/events/s3_invoke_local_missing.json"
"$SLS" invoke local -f validate -p tests/events/s3_invoke_local_missing.json | tee "$out"
grep -q '"skipped": 1' "$out"

echo "sls invoke local -f validate -p tests/events/s3_test_event.json"
"$SLS" invoke local -f validate -p tests/events/s3_test_event.json | tee "$out"
grep -q '"processed": 0' "$out"
echo "invoke local: 4 passed, 0 failed"
