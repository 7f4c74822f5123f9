/**
 * What the dashboard needs to sign people in with the organisation's identity
 * provider (OpenID Connect authorization code + PKCE), and the one check of it.
 * A bad configuration fails when the registry starts, naming the setting, rather
 * than on the first person's sign-in. Deny by default: a person whose groups
 * match no mapping gets no session.
 */
import { fetchableUrlProblem } from '../../../kit/issuer-metadata.ts';
import type { Role } from '../../../client/wire.ts';
import { PEOPLE_ROLES } from '../sessions.ts';

/**
 * One `group=role[:team]` rule: a person whose role claim lists `group` signs in as `role` (of `team`).
 * @example { group: 'sales-eng', role: 'publisher', team: 'sales' }
 */
export interface RoleMapping {
  group: string;
  /** One of the sessions' `PEOPLE_ROLES`: never agent, gateway or controller. */
  role: Role;
  team?: string;
}

/**
 * The identity provider and how its people map to Berth roles.
 * @example
 * const config: OidcLoginConfig = {
 *   issuer: 'https://login.example.com/realms/acme',
 *   clientId: 'berth-dashboard',
 *   clientSecret: '…',                       // read from --oidc-client-secret-file; absent: a public client (PKCE only)
 *   redirectUrl: 'https://berth.example.com/ui/oidc/callback',
 *   scopes: ['profile', 'email', 'groups'],
 *   roleMap: [{ group: 'platform', role: 'admin' }, { group: 'sales-eng', role: 'publisher', team: 'sales' }],
 * };
 */
export interface OidcLoginConfig {
  /** The issuer identifier, exactly as the provider's discovery document and ID tokens state it. https, or http on a loopback address. */
  issuer: string;
  /** The client id registered at the provider for this registry's dashboard. */
  clientId: string;
  /** The client secret (sent with HTTP Basic, `client_secret_basic`); absent: a public client relying on PKCE alone. */
  clientSecret?: string;
  /**
   * The callback URL registered at the provider; its path must end with `/ui/oidc/callback`.
   * A function when it is known only once the registry listens (the default: the registry's URL).
   */
  redirectUrl: string | (() => string);
  /** Scopes asked for besides `openid`. Default `['profile', 'email']`. */
  scopes?: string[];
  /** The ID token claim listing the person's groups (an array of strings, or one string). Default `groups`. */
  roleClaim?: string;
  /** The ID token claim naming the person's team, for mappings that give none. Default: none. */
  teamClaim?: string;
  /** The rules, in order: the first whose group the person is in decides. At least one. */
  roleMap: RoleMapping[];
  /** Allowed clock skew for the ID token's `exp` and `iat`, 0–300 seconds. Default 60. */
  clockToleranceSeconds?: number;
}

/** The settings an operator gives (`berth registry --oidc-…`); without a redirect URL the registry's own URL + {@link CALLBACK_PATH} is used. */
export type OidcLoginSettings = Omit<OidcLoginConfig, 'redirectUrl'> & { redirectUrl?: OidcLoginConfig['redirectUrl'] };

/** {@link OidcLoginConfig} checked, with every default filled in. */
export interface ResolvedOidcLoginConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  redirectUrl: () => string;
  scopes: string[];
  roleClaim: string;
  teamClaim?: string;
  roleMap: RoleMapping[];
  clockToleranceSeconds: number;
}

/** The path the provider sends people back to, below the registry's public URL. */
export const CALLBACK_PATH = '/ui/oidc/callback';

/**
 * A configuration the registry refuses to start with; `setting` names the flag to fix.
 * @example new OidcLoginConfigError('--oidc-role-map', '"platform" has no role: write group=role[:team]')
 */
export class OidcLoginConfigError extends Error {
  override readonly name = 'OidcLoginConfigError';
  readonly setting: string;
  constructor(setting: string, problem: string) {
    super(`dashboard sign-in (OIDC): ${setting}: ${problem}`);
    this.setting = setting;
  }
}

/**
 * Parses one `group=role[:team]` rule (the value of `--oidc-role-map`).
 * @throws OidcLoginConfigError naming the rule and what is wrong with it
 * @example parseRoleMapping('sales-eng=publisher:sales') // { group: 'sales-eng', role: 'publisher', team: 'sales' }
 */
export function parseRoleMapping(text: string): RoleMapping {
  const at = text.lastIndexOf('=');
  const group = text.slice(0, Math.max(at, 0)).trim();
  const [role = '', team, ...rest] = text.slice(at + 1).split(':').map((p) => p.trim());
  const bad = (problem: string): OidcLoginConfigError => new OidcLoginConfigError('--oidc-role-map', `${JSON.stringify(text)} ${problem}: write group=role[:team], e.g. platform=admin or sales-eng=publisher:sales`);
  if (at <= 0 || group === '') throw bad('names no group');
  if (!(PEOPLE_ROLES as readonly string[]).includes(role)) throw bad(`maps to ${JSON.stringify(role)}, not one of ${PEOPLE_ROLES.join(', ')} (agent, gateway and controller are not for people)`);
  if (rest.length > 0 || team === '') throw bad('has a malformed team');
  return { group, role: role as Role, ...(team !== undefined ? { team } : {}) };
}

/**
 * Checks `config` and fills in its defaults.
 * @throws OidcLoginConfigError naming the first bad setting
 * @example resolveOidcLoginConfig({ issuer, clientId: 'berth', redirectUrl, roleMap: [parseRoleMapping('platform=admin')] }).scopes // ['profile', 'email']
 */
export function resolveOidcLoginConfig(config: OidcLoginConfig): ResolvedOidcLoginConfig {
  const issuerProblem = fetchableUrlProblem(config.issuer);
  if (issuerProblem !== undefined) throw new OidcLoginConfigError('--oidc-issuer', issuerProblem);
  const issuerUrl = new URL(config.issuer);
  // OpenID Connect Discovery §3: an issuer identifier has no query or fragment.
  if (issuerUrl.search !== '' || issuerUrl.hash !== '') throw new OidcLoginConfigError('--oidc-issuer', `${config.issuer} must have no query or fragment`);
  if (typeof config.clientId !== 'string' || config.clientId.trim() === '') throw new OidcLoginConfigError('--oidc-client-id', 'is required: the client id registered for Berth at the identity provider');
  if (config.clientSecret !== undefined && config.clientSecret === '') throw new OidcLoginConfigError('--oidc-client-secret-file', 'the file is empty; write the client secret into it, or leave the flag out for a public client');
  if (typeof config.redirectUrl === 'string') checkRedirectUrl(config.redirectUrl);
  const scopes = [...new Set((config.scopes ?? ['profile', 'email']).filter((s) => s !== 'openid'))];
  for (const scope of scopes) {
    // RFC 6749 §3.3: scope tokens are printable ASCII without space, " or \.
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) throw new OidcLoginConfigError('--oidc-scopes', `${JSON.stringify(scope)} is not a scope name (printable characters, no spaces or quotes)`);
  }
  const roleClaim = config.roleClaim ?? 'groups';
  if (roleClaim === '') throw new OidcLoginConfigError('--oidc-role-claim', 'must name a claim');
  if (config.teamClaim === '') throw new OidcLoginConfigError('--oidc-team-claim', 'must name a claim');
  if (config.roleMap.length === 0) {
    throw new OidcLoginConfigError('--oidc-role-map', 'no mapping: nobody could sign in. Map at least one group, e.g. --oidc-role-map platform=admin');
  }
  for (const m of config.roleMap) {
    if (m.role === 'publisher' && m.team === undefined && config.teamClaim === undefined) {
      throw new OidcLoginConfigError('--oidc-role-map', `${m.group}=publisher names no team and there is no --oidc-team-claim: a publisher publishes for one team; write ${m.group}=publisher:TEAM`);
    }
  }
  const clockToleranceSeconds = config.clockToleranceSeconds ?? 60;
  if (!Number.isFinite(clockToleranceSeconds) || clockToleranceSeconds < 0 || clockToleranceSeconds > 300) {
    throw new OidcLoginConfigError('clockToleranceSeconds', 'must be between 0 and 300 seconds');
  }
  const redirect = config.redirectUrl;
  return {
    issuer: config.issuer,
    clientId: config.clientId,
    ...(config.clientSecret !== undefined ? { clientSecret: config.clientSecret } : {}),
    redirectUrl: typeof redirect === 'string' ? () => redirect : () => checkRedirectUrl(redirect()),
    scopes,
    roleClaim,
    ...(config.teamClaim !== undefined ? { teamClaim: config.teamClaim } : {}),
    roleMap: config.roleMap.map((m) => ({ ...m })),
    clockToleranceSeconds,
  };
}

/** Throws unless `url` is an absolute http(s) URL without fragment whose path ends with {@link CALLBACK_PATH}; returns it. */
function checkRedirectUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OidcLoginConfigError('--oidc-redirect-url', `${JSON.stringify(url)} is not an absolute URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new OidcLoginConfigError('--oidc-redirect-url', `${url} must be an http(s) URL`);
  if (parsed.hash !== '' || parsed.search !== '') throw new OidcLoginConfigError('--oidc-redirect-url', `${url} must have no query or fragment`);
  if (!parsed.pathname.endsWith(CALLBACK_PATH)) {
    throw new OidcLoginConfigError('--oidc-redirect-url', `${url} must end with ${CALLBACK_PATH} (the registry serves the callback there; a proxy may add a prefix before it)`);
  }
  return url;
}
