"""upload-files: a command-line client of the upload service.

It speaks only the service's HTTP API (no AWS credentials): small files inline, others
through the presigned PUT or multipart upload the service answers with, parts in
parallel straight from disk, resumable; then it waits for validation.
"""
