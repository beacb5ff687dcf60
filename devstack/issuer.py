"""A local token issuer and the check API Gateway's JWT authorizer makes, for `make dev`
in AUTH_MODE=jwt. Dev-only: joserfc is in requirements-dev.txt, never in the Lambda zip.

The key pair is made at start (EC P-256, ES256) and lives only in this process: tokens
come from the gateway's GET /_local/token?sub=NAME, and one is printed at start. The
gateway verifies every bearer token as API Gateway does (signature, issuer, audience,
expiry) and passes the claims in the event, as API Gateway does (values as strings).
"""

from __future__ import annotations

import time
from typing import Any

ISSUER = "https://local-issuer.devstack.invalid"
AUDIENCE = "upload-api-local"
TOKEN_TTL_SECONDS = 12 * 3600
ALGORITHMS = ["ES256"]


class InvalidToken(Exception):
    """Any reason API Gateway would answer 401 (the client is told no more than that)."""


class LocalIssuer:
    def __init__(self, issuer: str = ISSUER, audience: str = AUDIENCE, key: Any = None):
        from joserfc.jwk import ECKey

        self.issuer = issuer
        self.audience = audience
        self.key = key or ECKey.generate_key("P-256", private=True)

    def mint(self, sub: str, ttl_seconds: int = TOKEN_TTL_SECONDS, **claims: Any) -> str:
        """A token for `sub`, as an OIDC provider (e.g. Cognito) would give it."""
        from joserfc import jwt

        now = int(time.time())
        body = {"iss": self.issuer, "aud": self.audience, "sub": sub, "iat": now, "exp": now + ttl_seconds, **claims}
        return jwt.encode({"alg": "ES256", "typ": "JWT"}, body, self.key)

    def verify(self, authorization: str | None) -> dict[str, str]:
        """The claims of a valid `Authorization: Bearer TOKEN`, as API Gateway passes them
        in requestContext.authorizer.jwt.claims; InvalidToken otherwise."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("no bearer token")
        try:
            decoded = jwt.decode(token.strip(), self.key, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "values": [self.audience]},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise InvalidToken(str(exc) or type(exc).__name__) from None
        return {k: v if isinstance(v, str) else _as_gateway_string(v) for k, v in decoded.claims.items()}


def _as_gateway_string(value: Any) -> str:
    """API Gateway hands every claim over as a string; lists as "[a b]"."""
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return str(value)
