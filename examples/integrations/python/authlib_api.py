"""An Orders API that checks keyforge tokens (opaque or JWT) by RFC 7662 introspection, with authlib.

Settings (environment): KEYFORGE_ISSUER, KEYFORGE_RS_CLIENT_ID and KEYFORGE_RS_CLIENT_SECRET
(the API's resource-server client, linked to the API in keyforge), PORT.
"""
import os

import requests
from authlib.integrations.flask_oauth2 import ResourceProtector, current_token
from authlib.oauth2.rfc7662 import IntrospectTokenValidator
from flask import Flask, jsonify

ISSUER = os.environ["KEYFORGE_ISSUER"]
CLIENT = (os.environ["KEYFORGE_RS_CLIENT_ID"], os.environ["KEYFORGE_RS_CLIENT_SECRET"])
INTROSPECTION = requests.get(f"{ISSUER}/.well-known/oauth-authorization-server", timeout=5).json()[
    "introspection_endpoint"
]


class KeyforgeIntrospection(IntrospectTokenValidator):
    def introspect_token(self, token_string):
        # As the linked resource-server client: keyforge then answers active: false for other APIs' tokens.
        resp = requests.post(INTROSPECTION, data={"token": token_string}, auth=CLIENT, timeout=5)
        resp.raise_for_status()  # wrong credentials or an unlinked client: a 500, never a pass
        return resp.json()


require_oauth = ResourceProtector()
require_oauth.register_token_validator(KeyforgeIntrospection())

app = Flask(__name__)


@app.get("/orders")
@require_oauth("orders:read")
def orders():
    return jsonify(caller=current_token["client_id"], orders=[])


@app.get("/me")
@require_oauth()
def me():
    return jsonify(caller=current_token["client_id"])


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))
