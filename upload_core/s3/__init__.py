"""The S3 layer: the only code that talks to S3.

limits.py   S3's own limits, defined once (part sizes and counts, single PUT and copy, TTL)
client.py   the boto3 client (made on first use) and S3 errors -> StorageUnavailable
events.py   typed S3 event records, keys decoded once
parts.py    multipart arithmetic and completion checks (pure: no boto3)
store.py    S3Store: every S3 call on uploads, multipart included
served.py   the served objects, written from the inspected bytes with a SHA-256 S3 checks
owners.py   per-owner index and usage objects (AUTH_MODE=jwt), with conditional writes
"""
