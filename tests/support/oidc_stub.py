"""A local OpenID Connect provider for the dashboard's sign-in tests: discovery, JWKS, and a token
endpoint that answers an authorization code with an RS256-signed ID token (OpenID Connect Core
1.0, section 3.1). A test "signs a person in" by naming the code the provider would have given.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.stub_server import StubServer

CLIENT_ID = "dashboard-client"
CLIENT_SECRET = "dashboard-" + "s3cret" * 5
KEY_ID = "stub-key-1"


def _b64(number: int) -> str:
    data = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Grant:
    """Who signs in with a code, and what the ID token says of them."""

    email: str
    verified: bool = True
    nonce: str = ""
    audience: str = CLIENT_ID


@dataclass
class OidcStub(StubServer):
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        super().__init__()

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": "user-" + grant.email,
            "aud": grant.audience,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            "email": grant.email,
            "email_verified": grant.verified,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KEY_ID})

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(
                        200,
                        {
                            "issuer": stub.url,
                            "authorization_endpoint": f"{stub.url}/authorize",
                            "token_endpoint": f"{stub.url}/token",
                            "jwks_uri": f"{stub.url}/jwks",
                            "response_types_supported": ["code"],
                            "subject_types_supported": ["public"],
                            "id_token_signing_alg_values_supported": ["RS256"],
                        },
                    )
                elif self.path == "/jwks":
                    public = stub.key.public_key().public_numbers()
                    key = {"kty": "RSA", "kid": KEY_ID, "use": "sig", "alg": "RS256", "n": _b64(public.n)}
                    self._json(200, {"keys": [{**key, "e": _b64(public.e)}]})
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                stub.token_requests.append(form)
                basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                authorized = self.headers.get("Authorization") == f"Basic {basic}" or (
                    form.get("client_secret") == [CLIENT_SECRET]
                )
                grant = stub.grants.pop(form.get("code", [""])[0], None)
                if not authorized:
                    self._json(401, {"error": "invalid_client"})
                elif grant is None:
                    self._json(400, {"error": "invalid_grant"})
                else:
                    token = {"access_token": "at-1", "token_type": "Bearer", "expires_in": 300}
                    self._json(200, {**token, "id_token": stub.id_token(grant)})

        return Handler


@pytest.fixture
def oidc_stub() -> Iterator[OidcStub]:
    stub = OidcStub()
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()
