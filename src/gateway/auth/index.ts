/**
 * Authentication at the gateway's edge: who a bearer token says is calling.
 * Today one kind, OIDC / OAuth 2.1 access tokens (JWTs) checked against an
 * identity provider's published keys. Part of the gateway room (same imports).
 */
export { createOidcVerifier, type OidcVerifier, type OidcVerifierDeps } from './oidc.ts';
export { DEFAULT_ALGORITHMS, OidcConfigError, resolveOidcConfig, type OidcConfig, type ResolvedOidcConfig } from './oidc-config.ts';
export { type JwtIdentity } from './jwt-identity.ts';
export { TokenRejectedError, type TokenRejectionCode } from './token-rejected.ts';
