"""Gets a keyforge token with the client-credentials grant (authlib) and calls the Orders API.

Settings (environment): KEYFORGE_ISSUER, KEYFORGE_CLIENT_ID, KEYFORGE_CLIENT_SECRET,
KEYFORGE_SCOPE (space-separated), ORDERS_URL.
"""
import os
import sys

import requests
from authlib.integrations.requests_client import OAuth2Session

ISSUER = os.environ["KEYFORGE_ISSUER"]
token_endpoint = requests.get(f"{ISSUER}/.well-known/oauth-authorization-server", timeout=5).json()["token_endpoint"]

session = OAuth2Session(
    os.environ["KEYFORGE_CLIENT_ID"],
    os.environ["KEYFORGE_CLIENT_SECRET"],
    # keyforge finds the API from the scopes; an application of several APIs must name them.
    scope=os.environ.get("KEYFORGE_SCOPE") or None,
    token_endpoint=token_endpoint,
    grant_type="client_credentials",
)
session.fetch_token(token_endpoint)  # and again by itself when the token expires

resp = session.get(os.environ["ORDERS_URL"], timeout=5)
print(resp.status_code, resp.text)
sys.exit(0 if resp.ok else 1)
