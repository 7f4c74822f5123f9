/**
 * `--trusted-proxy`, taken by `berth gateway` and `berth up`: the proxies in
 * front of the gateway (e.g. the ALB's subnets) whose X-Forwarded-* and
 * Forwarded headers it believes (src/gateway/trusted-proxies.ts).
 */
import type { ParseArgsConfig } from 'node:util';
import { TrustedProxies } from '../gateway/index.ts';
import { UsageError } from './command.ts';

/** The flags, for `parseFlags`. */
export const GATEWAY_HEADER_FLAGS = {
  'trusted-proxy': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link GATEWAY_HEADER_FLAGS}. */
export const GATEWAY_HEADER_USAGE = `  --trusted-proxy CIDR    a proxy in front of the gateway (address or subnet, e.g. the ALB's subnets;
                          repeatable, or comma-separated) whose X-Forwarded-For/-Host/-Proto and
                          Forwarded headers are kept and appended to; from any other peer they are
                          replaced (default: none trusted)`;

/** The trusted proxies the flags name. @throws UsageError naming an entry that is not an address or CIDR subnet */
export function trustedProxiesFromFlags(values: { 'trusted-proxy'?: string[] | undefined }): TrustedProxies {
  const entries = (values['trusted-proxy'] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  try {
    return TrustedProxies.parse(entries);
  } catch (err) {
    throw new UsageError(`--trusted-proxy: ${(err as Error).message}`, { cause: err });
  }
}
