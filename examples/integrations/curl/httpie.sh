#!/usr/bin/env bash
# The same with HTTPie: a token, a call to the API, an introspection.
set -euo pipefail

TOKEN=$(http --check-status --ignore-stdin -b -f -a "$KEYFORGE_CLIENT_ID:$KEYFORGE_CLIENT_SECRET" \
  POST "$KEYFORGE_ISSUER/token" grant_type=client_credentials scope="$KEYFORGE_SCOPE" | jq -r .access_token)

http --check-status --ignore-stdin -b -A bearer -a "$TOKEN" GET "$ORDERS_URL"

http --check-status --ignore-stdin -b -f -a "$KEYFORGE_RS_CLIENT_ID:$KEYFORGE_RS_CLIENT_SECRET" \
  POST "$KEYFORGE_ISSUER/token/introspection" token="$TOKEN" | jq -c '{active, aud, scope, client_id}'
