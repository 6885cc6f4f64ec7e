#!/usr/bin/env bash
# A token by hand with curl, then a call to the API with it and an introspection of it.
# Needs: KEYFORGE_ISSUER, KEYFORGE_CLIENT_ID, KEYFORGE_CLIENT_SECRET, KEYFORGE_SCOPE, ORDERS_URL,
# and for the introspection the API's resource-server client: KEYFORGE_RS_CLIENT_ID, KEYFORGE_RS_CLIENT_SECRET.
set -euo pipefail

# client_secret_basic; the scope names the API (keyforge finds the API from it).
TOKEN=$(curl -sf -u "$KEYFORGE_CLIENT_ID:$KEYFORGE_CLIENT_SECRET" \
  -d grant_type=client_credentials --data-urlencode "scope=$KEYFORGE_SCOPE" \
  "$KEYFORGE_ISSUER/token" | jq -r .access_token)

curl -sf -H "Authorization: Bearer $TOKEN" "$ORDERS_URL"
echo

# What the API's resource server learns about the token (RFC 7662).
curl -sf -u "$KEYFORGE_RS_CLIENT_ID:$KEYFORGE_RS_CLIENT_SECRET" \
  --data-urlencode "token=$TOKEN" "$KEYFORGE_ISSUER/token/introspection" | jq -c '{active, aud, scope, client_id}'
