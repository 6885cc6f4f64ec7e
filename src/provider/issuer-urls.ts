import type Provider from 'oidc-provider';

/**
 * oidc-provider builds the URLs it hands out (discovery endpoints, registration_client_uri,
 * the audiences it accepts in client assertions) from the request's Host, X-Forwarded-Host
 * and protocol, so a forged header would be reflected into what clients trust and caches
 * keep. Every URL comes from ISSUER instead, as `provider.urlFor` already does.
 */
export function urlsFromIssuer(provider: Provider): void {
  provider.OIDCContext.prototype.urlFor = function urlForIssuer(name, options) {
    return provider.urlFor(name, options);
  };
}
