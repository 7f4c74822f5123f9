/**
 * The flags of the dashboard's sign-in with the organisation's identity provider
 * (OIDC authorization code + PKCE), taken by `berth registry` and `berth up`:
 *
 *   --oidc-issuer URL  --oidc-client-id ID  [--oidc-client-secret-file FILE]
 *   [--oidc-redirect-url URL]  [--oidc-scopes S]  [--oidc-role-claim C]
 *   [--oidc-team-claim C]  --oidc-role-map group=role[:team] …
 *
 * In `berth up` `--oidc-issuer` is the one identity provider of the process: the
 * gateway also accepts its access tokens when an audience is given
 * (gateway-flags.ts). The client secret is read from a file, never taken on the
 * command line (where `ps` shows it).
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { CALLBACK_PATH, OidcLoginConfigError, parseRoleMapping, resolveOidcLoginConfig, type OidcLoginSettings } from '../registry/dashboard/oidc/login-config.ts';
import { UsageError, type CommandIo } from './command.ts';
import { listFlag } from './gateway-flags.ts';

/** The flags, for `parseFlags` (`--oidc-issuer` is shared with the gateway's in `berth up`). */
export const OIDC_LOGIN_FLAGS = {
  'oidc-issuer': { type: 'string' },
  'oidc-client-id': { type: 'string' },
  'oidc-client-secret-file': { type: 'string' },
  'oidc-redirect-url': { type: 'string' },
  'oidc-scopes': { type: 'string' },
  'oidc-role-claim': { type: 'string' },
  'oidc-team-claim': { type: 'string' },
  'oidc-role-map': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link OIDC_LOGIN_FLAGS} (`--oidc-issuer` is described by the command). */
export const OIDC_LOGIN_USAGE = `  --oidc-client-id ID     sign people in to the dashboard with --oidc-issuer (OIDC code flow + PKCE) as
                          this client registered there; the dashboard then offers "Sign in with SSO"
  --oidc-client-secret-file FILE
                          the client's secret, read from FILE (default: a public client, PKCE only)
  --oidc-redirect-url URL the callback registered at the provider (default: the registry's URL +
                          ${CALLBACK_PATH}; required when listening on all interfaces or behind a proxy)
  --oidc-scopes S         scopes asked for besides openid, comma-separated (default profile,email; many
                          providers need groups too)
  --oidc-role-claim C     ID token claim listing the person's groups (default groups)
  --oidc-team-claim C     ID token claim naming the person's team, for mappings without one
  --oidc-role-map G=R[:T] people in group G sign in as role R (reader, publisher, approver, admin) of
                          team T; repeatable, the first matching wins; nobody else signs in`;

/** The flag values {@link oidcLoginFromFlags} reads. */
export type OidcLoginValues = Partial<Record<Exclude<keyof typeof OIDC_LOGIN_FLAGS, 'oidc-role-map'>, string | undefined>> & { 'oidc-role-map'?: string[] | undefined };

/**
 * The dashboard sign-in the flags configure, or undefined without `--oidc-client-id`
 * (the other flags then must be absent). Reads the secret file and checks
 * every setting, so a bad mapping stops the command before anything starts.
 * @param listenHost the registry's listen address: on all interfaces there is no default redirect URL
 * @throws UsageError naming the flag and the fix
 * @example const oidc = await oidcLoginFromFlags(values, io, '127.0.0.1');
 */
export async function oidcLoginFromFlags(values: OidcLoginValues, io: Pick<CommandIo, 'cwd' | 'stderr'>, listenHost: string): Promise<OidcLoginSettings | undefined> {
  const clientId = values['oidc-client-id'];
  if (clientId === undefined) {
    for (const flag of ['oidc-client-secret-file', 'oidc-redirect-url', 'oidc-scopes', 'oidc-role-claim', 'oidc-team-claim', 'oidc-role-map'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --oidc-client-id (and --oidc-issuer): it configures the dashboard's sign-in with an identity provider`);
    }
    return undefined;
  }
  const issuer = values['oidc-issuer'];
  if (issuer === undefined) throw new UsageError('--oidc-client-id needs --oidc-issuer: the identity provider people sign in with');
  const redirectUrl = values['oidc-redirect-url'];
  if (redirectUrl === undefined && ['0.0.0.0', '::', '[::]'].includes(listenHost)) {
    throw new UsageError(`--oidc-redirect-url is needed when listening on ${listenHost}: name the address people's browsers reach the registry at, e.g. https://berth.example.com${CALLBACK_PATH}`);
  }
  const settings: OidcLoginSettings = {
    issuer,
    clientId,
    roleMap: [],
    ...(redirectUrl !== undefined ? { redirectUrl } : {}),
    ...(values['oidc-scopes'] !== undefined ? { scopes: listFlag([values['oidc-scopes']]) } : {}),
    ...(values['oidc-role-claim'] !== undefined ? { roleClaim: values['oidc-role-claim'] } : {}),
    ...(values['oidc-team-claim'] !== undefined ? { teamClaim: values['oidc-team-claim'] } : {}),
  };
  const secretFile = values['oidc-client-secret-file'];
  if (secretFile !== undefined) settings.clientSecret = await readClientSecret(resolve(io.cwd, secretFile), io);
  try {
    settings.roleMap = (values['oidc-role-map'] ?? []).map(parseRoleMapping);
    // Every setting but the default redirect URL (known once the registry listens) is checked now.
    resolveOidcLoginConfig({ ...settings, redirectUrl: redirectUrl ?? (() => '') });
  } catch (err) {
    if (err instanceof OidcLoginConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  return settings;
}

/** The secret in `file`, without its trailing newline; a warning when others may read it. */
async function readClientSecret(file: string, io: Pick<CommandIo, 'stderr'>): Promise<string> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mode)]);
  } catch (err) {
    throw new UsageError(`--oidc-client-secret-file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); write the client secret the identity provider gave into it`, { cause: err });
  }
  if ((mode & 0o077) !== 0) io.stderr.write(`warning: --oidc-client-secret-file ${file} is readable by others than its owner (chmod 600 it)\n`);
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '' || secret.includes('\n')) throw new UsageError(`--oidc-client-secret-file ${file}: must hold the client secret alone, on one line`);
  return secret;
}
