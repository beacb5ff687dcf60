"""What S3 would refuse that moto mishandles: a PUT with a form-encoded body.

`curl -d @file URL` sends `Content-Type: application/x-www-form-urlencoded`. On AWS the
presigned URL signs the upload's real type, so S3 answers 403 SignatureDoesNotMatch;
moto instead parses the body as a form and stores nothing (or never answers). The
service never signs that type, so the local S3 answers as AWS would, with a hint.
"""

from __future__ import annotations

from .s3_auth import drain

FORM = "application/x-www-form-urlencoded"
_BODY = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>'
    b"<Message>The request signature we calculated does not match the signature you provided. "
    b"(local stack: the Content-Type application/x-www-form-urlencoded is never signed by this "
    b"service; curl -d sends it. Use curl -T FILE -H 'Content-Type: TYPE' with the headers "
    b"the API returned.)</Message></Error>"
)


class FormEncodedPutGuard:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        is_object = environ.get("PATH_INFO", "").strip("/").count("/") >= 1
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if environ.get("REQUEST_METHOD") == "PUT" and is_object and content_type == FORM:
            drain(environ)
            start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(_BODY)))])
            return [_BODY]
        return self.app(environ, start_response)
