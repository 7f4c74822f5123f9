/**
 * The flags the governed gateway takes in `berth gateway` and `berth up`: its
 * public URL(s) and the identity provider whose access tokens it accepts. (The
 * edge's Host, Origin and CORS flags: gateway-edge-flags.ts.)
 */
import type { ParseArgsConfig } from 'node:util';
import type { GatewayPart } from './runtime.ts';
import { UsageError } from './command.ts';

/** The flags, for `parseFlags`. */
export const GATEWAY_AUTH_FLAGS = {
  'public-url': { type: 'string', multiple: true },
  'oidc-issuer': { type: 'string' },
  'oidc-audience': { type: 'string' },
  'oidc-agent-claims': { type: 'string' },
  'oidc-user-claim': { type: 'string' },
  'oidc-groups-claim': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link GATEWAY_AUTH_FLAGS}. */
export const GATEWAY_AUTH_USAGE = `  --public-url URL        the gateway's public URL: OAuth resource, token audience, discovery URLs
                          (default: its listen address); its host is an allowed Host, its origin an
                          allowed Origin. Repeat it (or comma-separate) for every URL clients use; the
                          first is the canonical one
  --oidc-issuer URL       accept access tokens (JWT) from this OpenID Connect / OAuth issuer
                          (discovery and JWKS are fetched from it); without it, Berth agent keys only
  --oidc-audience A       audience the tokens must carry (default: --public-url)
  --oidc-agent-claims C   claims naming the agent, first present wins (default azp,client_id)
  --oidc-user-claim C     claim naming the user (default sub)
  --oidc-groups-claim C   claim listing the caller's groups (default groups)`;

/** The flag values {@link gatewayAuthSettings} reads. */
export type GatewayAuthValues = Partial<Record<Exclude<keyof typeof GATEWAY_AUTH_FLAGS, 'public-url'>, string | undefined>> & { 'public-url'?: string[] | undefined };

/**
 * Every `--public-url` given (repeated, or comma-separated), in order, each
 * checked to be an absolute http(s) URL.
 * @throws UsageError naming the URL that is not one
 * @example publicUrlsFlag({ 'public-url': ['https://mcp.example.com,https://mcp.internal:8443'] }) // ['https://mcp.example.com', 'https://mcp.internal:8443']
 */
export function publicUrlsFlag(values: { 'public-url'?: string[] | undefined }): string[] {
  const urls = listFlag(values['public-url']);
  for (const url of urls) checkUrl(url, '--public-url');
  return urls;
}

/**
 * The values of a repeatable flag that may also be comma-separated, trimmed, empty ones dropped.
 * @example listFlag(['a, b', 'c']) // ['a', 'b', 'c']
 */
export function listFlag(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** The gateway part's authentication settings from the flags (the first --public-url is the canonical one). @throws UsageError for a bad URL or a missing audience */
export function gatewayAuthSettings(values: GatewayAuthValues): Pick<GatewayPart, 'publicUrl' | 'oidc'> {
  const publicUrl = publicUrlsFlag(values)[0];
  const issuer = values['oidc-issuer'];
  if (issuer === undefined) {
    for (const flag of ['oidc-audience', 'oidc-agent-claims', 'oidc-user-claim', 'oidc-groups-claim'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --oidc-issuer`);
    }
    return publicUrl !== undefined ? { publicUrl } : {};
  }
  checkUrl(issuer, '--oidc-issuer');
  const audience = values['oidc-audience'] ?? publicUrl;
  if (audience === undefined) throw new UsageError('--oidc-issuer needs --public-url or --oidc-audience: tokens must be issued for this gateway');
  const agentClaims = values['oidc-agent-claims']?.split(',').map((c) => c.trim()).filter((c) => c !== '');
  return {
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    oidc: {
      issuer,
      audience,
      ...(agentClaims !== undefined && agentClaims.length > 0 ? { agentClaims } : {}),
      ...(values['oidc-user-claim'] !== undefined ? { userClaim: values['oidc-user-claim'] } : {}),
      ...(values['oidc-groups-claim'] !== undefined ? { groupsClaim: values['oidc-groups-claim'] } : {}),
    },
  };
}

function checkUrl(text: string, flag: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${flag} must be an absolute http(s) URL (got "${text}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${flag} must be an http(s) URL (got "${text}")`);
}
