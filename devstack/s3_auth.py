"""What S3 checks on a presigned request, enforced in front of moto's S3 server.

moto accepts any signature, any expiry, any headers, and ignores a POST policy, so a client
bug (a tampered or expired URL, a header sent with another value than the one signed, a
file outside the policy's size range) would show up only on AWS. This WSGI middleware
answers as S3 does, with S3's XML error body and, where it helps, a one-line hint:

- SigV4 query-string requests (presigned PUT, GET, UploadPart: X-Amz-Algorithm,
  -Credential, -Date, -Expires, -SignedHeaders, -Signature): the access key must be one of
  the stack's, the URL not expired (403 AccessDenied "Request has expired"), every signed
  header present, and the signature recomputed over the canonical request (method, path,
  query, signed headers and their values, UNSIGNED-PAYLOAD) must match (403
  SignatureDoesNotMatch). x-amz-* headers that the URL did not sign are refused (403
  AccessDenied, "There were headers present in the request which were not signed").
- Presigned form POSTs to a bucket: the policy's signature, its expiration, and every
  condition (bucket, eq and starts-with on any field, content-length-range against the
  real file size), and every form field covered by a condition, as S3 requires (403
  AccessDenied "Invalid according to Policy: ..."; 400 EntityTooLarge / EntityTooSmall).
- x-amz-checksum-sha256 on a PUT (object or part) against the body's SHA-256 (400 BadDigest).
- A request with no signature at all (the bucket is private): 403 AccessDenied. A POST to
  an object URL that is not a multipart-upload call: 405 MethodNotAllowed, at once.

Requests signed in the Authorization header (boto3 clients: the stack's own, the
validator's, tests') are checked for their access key and SigV4 signature (and checksum
header); SQS, which shares the server, is passed through. Not modelled: the body against
x-amz-content-sha256, bucket policies and IAM, the 15-minute clock skew, SigV2 headers,
session tokens, Content-MD5, aws-chunked streaming signatures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape

from .cors import _bucket_of

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_EXPIRES = 7 * 24 * 3600
SKIP_PATHS = ("/moto-api",)
SPOOL_BYTES = 16 * 1024 * 1024
# Form fields S3 never asks a policy condition for.
UNCOVERED_FIELDS = ("x-amz-signature", "policy", "file", "awsaccesskeyid", "signature", "x-amz-security-token")
# Query parameters that make a POST to an object URL a multipart-upload (or other) call.
OBJECT_POST_SUBRESOURCES = ("uploads", "uploadId", "restore", "select", "renameObject")


class S3Refusal(Exception):
    """An answer S3 would give instead of doing the request."""

    def __init__(self, status: str, code: str, message: str, hint: str = "", **extra: str):
        super().__init__(message)
        self.status, self.code, self.message, self.hint, self.extra = status, code, message, hint, extra

    def body(self) -> bytes:
        message = self.message + (f" (local stack: {self.hint})" if self.hint else "")
        extra = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in self.extra.items())
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
            f"<Message>{escape(message)}</Message>{extra}<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId>"
            "</Error>"
        ).encode()


def _forbidden(code: str, message: str, hint: str = "", **extra: str) -> S3Refusal:
    return S3Refusal("403 Forbidden", code, message, hint, **extra)


def _signature_mismatch(hint: str, **extra: str) -> S3Refusal:
    return _forbidden(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        hint,
        **extra,
    )


def signing_key(secret: str, date: str, region: str, service: str = "s3") -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _uri_encode(value: str) -> str:
    return quote(value, safe="-_.~")


def canonical_query(raw_query: str) -> str:
    """Every parameter but the signature, decoded and re-encoded as SigV4 wants, sorted."""
    pairs = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key, value = unquote(key), unquote(value)
        if key != "X-Amz-Signature":
            pairs.append((_uri_encode(key), _uri_encode(value)))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def header_value(environ: dict, name: str) -> str | None:
    """A request header as the WSGI environ holds it (None: not sent)."""
    if name == "content-type":
        value = environ.get("CONTENT_TYPE")
    elif name == "content-length":
        value = environ.get("CONTENT_LENGTH")
    else:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"))
    return None if value in (None, "") and name in ("content-type", "content-length") else value


def _parse_amz_date(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def _amz_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Credential:
    access_key: str
    date: str
    region: str
    service: str

    @classmethod
    def parse(cls, value: str) -> Credential:
        parts = value.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request":
            raise S3Refusal(
                "400 Bad Request",
                "AuthorizationQueryParametersError",
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
            )
        return cls(*parts[:4])

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


class PresignedRequestCheck:
    """WSGI middleware: see the module's docstring. `credentials`: access key -> secret."""

    def __init__(self, app, credentials: dict[str, str], now: Callable[[], datetime] | None = None):
        self.app = app
        self.credentials = dict(credentials)
        self.now = now or (lambda: datetime.now(timezone.utc))

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(SKIP_PATHS) or environ.get("REQUEST_METHOD") == "OPTIONS" or _is_sqs(environ):
            return self.app(environ, start_response)
        try:
            self._check(environ)
        except S3Refusal as refusal:
            drain(environ)
            body = refusal.body()
            start_response(refusal.status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)

    # -- dispatch -------------------------------------------------------------------
    def _check(self, environ) -> None:
        method = environ["REQUEST_METHOD"]
        query = environ.get("QUERY_STRING", "")
        params = _query_params(query)
        path = environ.get("PATH_INFO", "").lstrip("/")
        host_bucket = _bucket_of({"HTTP_HOST": environ.get("HTTP_HOST", "")})
        if host_bucket:  # virtual-host style: BUCKET.host/KEY
            path = f"{host_bucket}/{path}"
        segments = path.split("/", 1)
        is_object = len(segments) == 2 and segments[1] != ""
        if "X-Amz-Signature" in params or "X-Amz-Algorithm" in params:
            self._check_query_signature(environ, params)
        elif "Signature" in params and "AWSAccessKeyId" in params:
            self._check_query_signature_v2(environ, params)
        elif environ.get("HTTP_AUTHORIZATION"):
            self._check_header_signature(environ)
        elif method == "POST" and not is_object and _is_form(environ):
            self._check_post_policy(environ, segments[0])
            return
        elif segments[0] and not (method == "POST" and is_object):
            raise _forbidden(
                "AccessDenied",
                "Access Denied",
                "the bucket is private: use a presigned URL from the API, or a client with the stack's credentials",
            )
        if method == "POST" and is_object and not any(p in params for p in OBJECT_POST_SUBRESOURCES):
            raise S3Refusal(
                "405 Method Not Allowed",
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                "an object URL takes PUT (curl -T FILE), not POST",
                Method="POST",
                ResourceType="OBJECT",
            )
        if method == "PUT" and is_object:
            self._check_checksum(environ)

    # -- SigV4 query string -----------------------------------------------------------
    def _check_query_signature(self, environ, params: dict[str, str]) -> None:
        missing = [
            p
            for p in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")
            + ("X-Amz-Signature",)
            if p not in params
        ]
        if missing:
            raise S3Refusal(
                "400 Bad Request",
                "AuthorizationQueryParametersError",
                f"Query-string authentication version 4 requires the {', '.join(missing)} parameters.",
            )
        if params["X-Amz-Algorithm"] != ALGORITHM:
            raise S3Refusal(
                "400 Bad Request",
                "AuthorizationQueryParametersError",
                'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
            )
        credential = Credential.parse(params["X-Amz-Credential"])
        secret = self._secret(credential.access_key)
        try:
            signed_at = _parse_amz_date(params["X-Amz-Date"])
            expires = int(params["X-Amz-Expires"])
        except ValueError:
            raise S3Refusal(
                "400 Bad Request",
                "AuthorizationQueryParametersError",
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\" and X-Amz-Expires an integer",
            ) from None
        if not 0 <= expires <= MAX_EXPIRES:
            raise S3Refusal(
                "400 Bad Request",
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            )
        now = self.now()
        if now > signed_at + timedelta(seconds=expires):
            raise _forbidden(
                "AccessDenied",
                "Request has expired",
                f"signed at {_amz_date(signed_at)} for {expires} s; ask the API for a new URL",
                **{"X-Amz-Expires": str(expires), "Expires": _amz_date(signed_at + timedelta(seconds=expires))},
                ServerTime=_amz_date(now),
            )
        signed = [h.strip().lower() for h in params["X-Amz-SignedHeaders"].split(";") if h.strip()]
        absent = [h for h in signed if header_value(environ, h) is None]
        if absent:
            raise _signature_mismatch(
                f"the URL signs {', '.join(absent)}, which the request did not send; "
                "send every header the API returned, with the same value"
            )
        unsigned = sorted(
            name for name in _request_header_names(environ) if name.startswith("x-amz-") and name not in signed
        )
        if unsigned:
            raise _forbidden(
                "AccessDenied",
                "There were headers present in the request which were not signed",
                "send only the headers the API returned",
                HeadersNotSigned=", ".join(unsigned),
            )
        payload = params.get("X-Amz-Content-Sha256", UNSIGNED_PAYLOAD)
        expected, canonical, string_to_sign = _sigv4(environ, secret, credential, params["X-Amz-Date"], signed, payload)
        if not hmac.compare_digest(expected, params["X-Amz-Signature"]):
            sent = {h: header_value(environ, h) for h in signed if h != "host"}
            shown = ", ".join(f"{h}: {v}" for h, v in sent.items()) or "no signed headers but host"
            hint = (
                f"this {environ['REQUEST_METHOD']} sent {shown}; the URL signs its method and "
                f"{';'.join(signed)}: use the method, the URL and the headers the API returned, unchanged"
            )
            if (environ.get("CONTENT_TYPE") or "").startswith("application/x-www-form-urlencoded"):
                hint += ". curl -d sends that type; use curl -T FILE -H 'Content-Type: TYPE'"
            raise _signature_mismatch(
                hint,
                StringToSign=string_to_sign,
                CanonicalRequest=canonical,
                SignatureProvided=params["X-Amz-Signature"],
            )

    def _check_header_signature(self, environ) -> None:
        """Authorization: AWS4-HMAC-SHA256 (boto3's ordinary requests): the access key and
        the signature, so a client set up with other credentials fails here as on AWS."""
        authorization = environ["HTTP_AUTHORIZATION"]
        if not authorization.startswith(ALGORITHM + " "):
            return  # SigV2 headers and the like: not checked
        try:
            fields = dict(part.strip().split("=", 1) for part in authorization[len(ALGORITHM) :].split(","))
            credential = Credential.parse(fields["Credential"])
            signed = [h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip()]
            provided = fields["Signature"].strip()
        except (ValueError, KeyError, S3Refusal):
            raise S3Refusal(
                "400 Bad Request",
                "AuthorizationHeaderMalformed",
                "The authorization header is malformed; it must hold Credential, SignedHeaders and Signature.",
            ) from None
        if credential.service != "s3":
            return
        secret = self._secret(credential.access_key)
        amz_date = environ.get("HTTP_X_AMZ_DATE", "")
        if any(header_value(environ, h) is None for h in signed):
            raise _signature_mismatch("a signed header is missing from the request")
        payload = environ.get("HTTP_X_AMZ_CONTENT_SHA256", UNSIGNED_PAYLOAD)
        expected, _, _ = _sigv4(environ, secret, credential, amz_date, signed, payload)
        if not hmac.compare_digest(expected, provided):
            raise _signature_mismatch(
                "the request was signed with another secret key, or changed after signing; the local S3's "
                "credentials are AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"
            )

    def _check_query_signature_v2(self, environ, params: dict[str, str]) -> None:
        """SigV2 query strings (what a boto3 client without signature_version="s3v4"
        presigns): expiry, then the HMAC-SHA1 signature, computed by botocore's own signer."""
        from botocore.auth import HmacV1Auth
        from botocore.compat import HTTPHeaders
        from botocore.credentials import Credentials

        secret = self._secret(params["AWSAccessKeyId"])
        try:
            expires = int(params.get("Expires", ""))
        except ValueError:
            raise _forbidden("AccessDenied", "Query-string authentication requires the Expires parameter") from None
        now = self.now()
        if now.timestamp() > expires:
            raise _forbidden(
                "AccessDenied",
                "Request has expired",
                "ask the API for a new URL",
                Expires=_amz_date(datetime.fromtimestamp(expires, timezone.utc)),
                ServerTime=_amz_date(now),
            )
        headers = HTTPHeaders()
        for name in ("content-type", "content-md5", *_request_header_names(environ)):
            value = header_value(environ, name)
            if value is not None and (name.startswith("x-amz-") or name in ("content-type", "content-md5")):
                headers[name] = value
        split = urlsplit(_raw_path(environ) + "?" + environ.get("QUERY_STRING", ""))

        class QueryV2(HmacV1Auth):
            def _get_date(self) -> str:  # a query string signs Expires where a header signs Date
                return str(expires)

        signer = QueryV2(Credentials(params["AWSAccessKeyId"], secret))
        expected = signer.get_signature(environ["REQUEST_METHOD"], split, headers)
        if not hmac.compare_digest(expected, params["Signature"]):
            raise _signature_mismatch(
                "the URL signs its method, Content-Type and x-amz-* headers: use them as the API returned them"
            )

    def _secret(self, access_key: str) -> str:
        secret = self.credentials.get(access_key)
        if secret is None:
            raise _forbidden(
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
                f"the local S3 knows only the key(s) {', '.join(sorted(self.credentials))}",
                AWSAccessKeyId=access_key,
            )
        return secret

    # -- checksum header ------------------------------------------------------------
    def _check_checksum(self, environ) -> None:
        expected = environ.get("HTTP_X_AMZ_CHECKSUM_SHA256")
        streaming = environ.get("HTTP_X_AMZ_CONTENT_SHA256", "").startswith("STREAMING-") or "aws-chunked" in (
            environ.get("HTTP_CONTENT_ENCODING", "")
        )
        if not expected or streaming:
            return
        digest = hashlib.sha256()
        _spool_body(environ, digest.update)
        if base64.b64encode(digest.digest()).decode() != expected:
            raise S3Refusal(
                "400 Bad Request",
                "BadDigest",
                "The SHA256 you specified did not match the calculated checksum.",
                "the body is not the bytes whose checksum the URL pins",
            )

    # -- presigned POST -----------------------------------------------------------------
    def _check_post_policy(self, environ, bucket: str) -> None:
        from werkzeug.formparser import parse_form_data

        stream = _spool_body(environ)
        form_environ = {**environ, "wsgi.input": stream}
        _, form, files = parse_form_data(form_environ, silent=False)
        stream.seek(0)
        fields = {k.lower(): (k, v) for k, v in form.items(multi=False)}
        upload = files.get("file")
        if "policy" not in fields:
            raise _forbidden(
                "AccessDenied", "Access Denied", "the bucket is private: a form POST needs the API's signed fields"
            )
        if upload is None:
            raise S3Refusal(
                "400 Bad Request",
                "InvalidArgument",
                "POST requires exactly one file upload per request.",
                ArgumentName="file",
                ArgumentValue="0",
            )
        policy_b64 = fields["policy"][1]
        if fields.get("x-amz-algorithm", (None, None))[1] != ALGORITHM:
            raise S3Refusal(
                "400 Bad Request",
                "InvalidArgument",
                "x-amz-algorithm must be AWS4-HMAC-SHA256",
                ArgumentName="x-amz-algorithm",
            )
        credential = Credential.parse(fields.get("x-amz-credential", ("", ""))[1])
        secret = self._secret(credential.access_key)
        key = signing_key(secret, credential.date, credential.region, credential.service)
        expected = hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("x-amz-signature", ("", ""))[1]):
            raise _signature_mismatch("the policy or its signature was changed; send the API's fields unchanged")
        try:
            policy = json.loads(base64.b64decode(policy_b64))
            expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
            conditions = policy["conditions"]
        except (ValueError, KeyError, TypeError):
            raise S3Refusal("400 Bad Request", "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
        if self.now() > expiration:
            raise _forbidden(
                "AccessDenied", "Invalid according to Policy: Policy expired.", "ask the API for a new form"
            )
        filename = upload.filename or ""
        values = {
            name: value.replace("${filename}", filename) if name == "key" else value
            for name, (_, value) in fields.items()
        }
        values["bucket"] = bucket
        size = _stream_size(upload.stream)
        covered = {"bucket"}
        for condition in conditions:
            covered |= _check_condition(condition, values, size)
        extra = [
            fields[name][0]
            for name in fields
            if name not in covered and name not in UNCOVERED_FIELDS and not name.startswith("x-ignore-")
        ]
        if extra:
            raise _forbidden(
                "AccessDenied",
                f"Invalid according to Policy: Extra input fields: {', '.join(extra)}",
                "every form field must be covered by a policy condition; send only the API's fields and the file",
            )


def _check_condition(condition, values: dict[str, str], size: int) -> set[str]:
    """One policy condition against the form; the field names it covers."""
    if isinstance(condition, dict):
        covered = set()
        for name, wanted in condition.items():
            field = name.lower()
            if values.get(field) != str(wanted):
                _condition_failed(["eq", f"${name}", wanted], values.get(field))
            covered.add(field)
        return covered
    if isinstance(condition, list) and len(condition) == 3 and str(condition[0]).lower() == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if size > high:
            raise S3Refusal(
                "400 Bad Request",
                "EntityTooLarge",
                "Your proposed upload exceeds the maximum allowed size",
                f"the policy allows {low}..{high} bytes",
                ProposedSize=str(size),
                MaxSizeAllowed=str(high),
            )
        if size < low:
            raise S3Refusal(
                "400 Bad Request",
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                f"the policy allows {low}..{high} bytes",
                ProposedSize=str(size),
                MinSizeAllowed=str(low),
            )
        return set()
    if isinstance(condition, list) and len(condition) == 3 and str(condition[1]).startswith("$"):
        operator, field, wanted = str(condition[0]).lower(), condition[1][1:].lower(), str(condition[2])
        got = values.get(field)
        if operator == "eq" and got == wanted or operator == "starts-with" and (got or "").startswith(wanted):
            return {field}
        if operator not in ("eq", "starts-with"):
            raise S3Refusal(
                "400 Bad Request", "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {condition}"
            )
        _condition_failed(condition, got)
    raise S3Refusal("400 Bad Request", "InvalidPolicyDocument", f"Invalid Policy: Invalid Condition: {condition}")


def _condition_failed(condition, got: str | None) -> None:
    raise _forbidden(
        "AccessDenied",
        f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}",
        "the form sent " + (f"{got!r}" if got is not None else "no such field") + "; send the API's fields unchanged",
    )


# -- helpers --------------------------------------------------------------------------
def _sigv4(
    environ, secret: str, credential: Credential, amz_date: str, signed: list[str], payload: str
) -> tuple[str, str, str]:
    """SigV4 over the request as received: (signature, canonical request, string to sign)."""
    canonical = "\n".join(
        [
            environ["REQUEST_METHOD"],
            _raw_path(environ),
            canonical_query(environ.get("QUERY_STRING", "")),
            "".join(f"{h}:{' '.join((header_value(environ, h) or '').split())}\n" for h in signed),
            ";".join(signed),
            payload,
        ]
    )
    string_to_sign = "\n".join([ALGORITHM, amz_date, credential.scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = signing_key(secret, credential.date, credential.region, credential.service)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest(), canonical, string_to_sign


def _query_params(query: str) -> dict[str, str]:
    params = {}
    for pair in query.split("&"):
        if pair:
            key, _, value = pair.partition("=")
            params[unquote(key)] = unquote(value)
    return params


def _raw_path(environ) -> str:
    """The path as the client sent it (still percent-encoded), which SigV4 signs for S3."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        raw = re.sub(r"^[a-z]+://[^/]+", "", raw)  # an absolute request-target
        return raw.split("?", 1)[0] or "/"
    return quote(environ.get("PATH_INFO", "/"), safe="/~")


def _request_header_names(environ) -> Iterable[str]:
    for name in environ:
        if name.startswith("HTTP_"):
            yield name[5:].lower().replace("_", "-")


def _is_form(environ) -> bool:
    return environ.get("CONTENT_TYPE", "").lower().startswith("multipart/form-data")


def _is_sqs(environ) -> bool:
    """SQS shares the server: its calls are signed for the sqs service, or name a queue
    under the 12-digit account id."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if "/sqs/aws4_request" in authorization:
        return True
    first = environ.get("PATH_INFO", "").lstrip("/").split("/", 1)[0]
    return first.isdigit() and len(first) == 12


def _spool_body(environ, update: Callable[[bytes], object] | None = None):
    """Read the body once into a spooled file (memory, then disk), hand it to the app in
    place of wsgi.input; `update` sees every block."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed to the app
    remaining = length
    while remaining > 0:
        block = stream.read(min(remaining, 1 << 20))
        if not block:
            break
        remaining -= len(block)
        if update is not None:
            update(block)
        spool.write(block)
    spool.seek(0)
    environ["wsgi.input"] = spool
    environ["devstack.body_read"] = True
    return spool


def _stream_size(stream) -> int:
    position = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(position)
    return size


def drain(environ) -> None:
    """Read the refused body (if not read yet) so the connection stays usable."""
    if environ.get("devstack.body_read"):
        return
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    while remaining > 0:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            break
        remaining -= len(chunk)
