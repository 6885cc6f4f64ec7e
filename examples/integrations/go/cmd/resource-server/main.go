// An Orders API that checks keyforge tokens: JWTs (RFC 9068) locally with lestrrat-go/jwx v3
// and a jwk.Cache, or opaque tokens by RFC 7662 introspection as the API's resource-server client.
//
// Settings (environment): KEYFORGE_ISSUER, KEYFORGE_AUDIENCE (the API identifier),
// KEYFORGE_TOKENS ("jwt" or "opaque"), for opaque KEYFORGE_RS_CLIENT_ID and
// KEYFORGE_RS_CLIENT_SECRET, PORT.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// caller is what a checked token says about who is calling.
type caller struct {
	ClientID string
	Scopes   []string
}

// errUnavailable: keyforge could not answer for the token; never a pass.
var errUnavailable = errors.New("authorization server unavailable")

type verifier func(ctx context.Context, token string) (*caller, error)

func main() {
	ctx := context.Background()
	issuer := os.Getenv("KEYFORGE_ISSUER")
	metadata, err := discover(ctx, issuer)
	if err != nil {
		log.Fatal(err)
	}
	var verify verifier
	switch os.Getenv("KEYFORGE_TOKENS") {
	case "jwt":
		verify, err = jwtVerifier(ctx, issuer, os.Getenv("KEYFORGE_AUDIENCE"), metadata.JWKSURI)
	case "opaque":
		verify = introspectionVerifier(metadata.IntrospectionEndpoint, os.Getenv("KEYFORGE_RS_CLIENT_ID"), os.Getenv("KEYFORGE_RS_CLIENT_SECRET"))
	default:
		err = errors.New(`KEYFORGE_TOKENS must be "jwt" or "opaque"`)
	}
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /orders", requireToken(verify, "orders:read", func(w http.ResponseWriter, c *caller) {
		writeJSON(w, http.StatusOK, map[string]any{"caller": c.ClientID, "orders": []any{}})
	}))
	mux.Handle("GET /me", requireToken(verify, "", func(w http.ResponseWriter, c *caller) {
		writeJSON(w, http.StatusOK, map[string]any{"caller": c.ClientID})
	}))
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), mux))
}

type serverMetadata struct {
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

func discover(ctx context.Context, issuer string) (*serverMetadata, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/.well-known/oauth-authorization-server", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var m serverMetadata
	return &m, json.NewDecoder(res.Body).Decode(&m)
}

func jwtVerifier(ctx context.Context, issuer, audience, jwksURI string) (verifier, error) {
	// The cache refreshes keyforge's JWKS in the background, so key rotations are picked up.
	cache, err := jwk.NewCache(ctx, httprc.NewClient())
	if err != nil {
		return nil, err
	}
	if err := cache.Register(ctx, jwksURI, jwk.WithMinInterval(5*time.Minute)); err != nil {
		return nil, err
	}
	keys, err := cache.CachedSet(jwksURI)
	if err != nil {
		return nil, err
	}
	omitAudience := os.Getenv("INTEGRATION_OMIT_STEP") == "audience" // the tests' switch: proves the step matters
	return func(ctx context.Context, raw string) (*caller, error) {
		// RFC 9068: keyforge's access tokens say typ at+jwt; jwx does not look at typ by itself.
		msg, err := jws.ParseString(raw)
		if err != nil || len(msg.Signatures()) != 1 {
			return nil, errors.New("not a JWS")
		}
		if typ, _ := msg.Signatures()[0].ProtectedHeaders().Type(); typ != "at+jwt" && typ != "application/at+jwt" {
			return nil, errors.New("not an access token (typ)")
		}
		// The key, and so the algorithm, comes from keyforge's JWKS, matched by kid.
		options := []jwt.ParseOption{jwt.WithKeySet(keys), jwt.WithIssuer(issuer), jwt.WithAcceptableSkew(5 * time.Second)}
		if !omitAudience {
			options = append(options, jwt.WithAudience(audience))
		}
		token, err := jwt.ParseString(raw, options...)
		if err != nil {
			return nil, err
		}
		var clientID, scope string
		_ = token.Get("client_id", &clientID)
		_ = token.Get("scope", &scope)
		return &caller{ClientID: clientID, Scopes: strings.Fields(scope)}, nil
	}, nil
}

func introspectionVerifier(endpoint, clientID, clientSecret string) verifier {
	client := &http.Client{Timeout: 5 * time.Second}
	return func(ctx context.Context, token string) (*caller, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// As the API's linked resource-server client: keyforge answers active: false for other APIs' tokens.
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
		res, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUnavailable, err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			// 401: wrong client credentials; 403: the client is not linked to the API.
			return nil, fmt.Errorf("%w: introspection answered %d", errUnavailable, res.StatusCode)
		}
		var answer struct {
			Active   bool   `json:"active"`
			ClientID string `json:"client_id"`
			Scope    string `json:"scope"`
		}
		if err := json.NewDecoder(res.Body).Decode(&answer); err != nil {
			return nil, fmt.Errorf("%w: %v", errUnavailable, err)
		}
		if !answer.Active {
			return nil, errors.New("token is not active")
		}
		return &caller{ClientID: answer.ClientID, Scopes: strings.Fields(answer.Scope)}, nil
	}
}

// requireToken answers as RFC 6750 says: 401 without a valid token, 403 without the scope.
func requireToken(verify verifier, scope string, next func(http.ResponseWriter, *caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "unauthorized"})
			return
		}
		c, err := verify(r.Context(), token)
		if errors.Is(err, errUnavailable) {
			log.Printf("token check failed: %v", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "temporarily_unavailable"})
			return
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="invalid_token", error_description=%q`, err.Error()))
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_token"})
			return
		}
		if scope != "" && !slices.Contains(c.Scopes, scope) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q`, scope))
			writeJSON(w, http.StatusForbidden, map[string]any{"error": "insufficient_scope"})
			return
		}
		next(w, c)
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
