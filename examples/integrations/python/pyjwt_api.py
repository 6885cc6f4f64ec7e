"""An Orders API that checks keyforge JWTs (RFC 9068) locally with PyJWT.

Settings (environment): KEYFORGE_ISSUER, KEYFORGE_AUDIENCE (the API identifier),
KEYFORGE_ALGORITHMS (the API's signing_alg in keyforge, comma-separated), PORT.
"""
import os

import jwt
import requests
from flask import Flask, g, jsonify, request

ISSUER = os.environ["KEYFORGE_ISSUER"]
AUDIENCE = os.environ["KEYFORGE_AUDIENCE"]
ALGORITHMS = os.environ.get("KEYFORGE_ALGORITHMS", "RS256").split(",")
OMIT = os.environ.get("INTEGRATION_OMIT_STEP", "")  # the tests' switch: proves each step matters

# keyforge's metadata names its JWKS; PyJWKClient caches the keys and refetches on an unknown kid.
metadata = requests.get(f"{ISSUER}/.well-known/oauth-authorization-server", timeout=5).json()
jwks = jwt.PyJWKClient(metadata["jwks_uri"], cache_keys=True, lifespan=600)

app = Flask(__name__)


class Refused(Exception):
    def __init__(self, status, error, description):
        self.status, self.error, self.description = status, error, description


@app.errorhandler(Refused)
def refused(e):
    challenge = f'Bearer error="{e.error}", error_description="{e.description}"' if e.error else "Bearer"
    return jsonify(error=e.error or "unauthorized"), e.status, {"WWW-Authenticate": challenge}


def verified_claims():
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        raise Refused(401, None, None)
    token = auth[len("Bearer "):]
    try:
        # RFC 9068: an access token says so in its header; this keeps other JWTs signed by the same keys out.
        if jwt.get_unverified_header(token).get("typ") not in ("at+jwt", "application/at+jwt"):
            raise jwt.InvalidTokenError("not an access token (typ)")
        key = jwks.get_signing_key_from_jwt(token)
        options = {"require": ["exp", "iat", "iss", "aud", "jti"]}
        if OMIT == "audience":
            return jwt.decode(token, key, algorithms=ALGORITHMS, issuer=ISSUER, options=options)
        return jwt.decode(token, key, algorithms=ALGORITHMS, audience=AUDIENCE, issuer=ISSUER, options=options)
    except jwt.PyJWTError as e:
        raise Refused(401, "invalid_token", str(e).replace('"', "'"))


def require_scope(scope):
    claims = verified_claims()
    # keyforge's scope claim is one space-separated string (RFC 9068 section 2.2.3).
    if scope and scope not in claims.get("scope", "").split():
        raise Refused(403, "insufficient_scope", f"needs {scope}")
    g.claims = claims


@app.get("/orders")
def orders():
    require_scope("orders:read")
    return jsonify(caller=g.claims["client_id"], orders=[])


@app.get("/me")
def me():
    require_scope(None)
    return jsonify(caller=g.claims["client_id"])


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
