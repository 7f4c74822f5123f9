/**
 * `--allow-remote <CIDR|host>`, taken by `berth up`, `berth registry`,
 * `berth reconciler`, `berth gateway` and `berth validate`: endpoints of servers
 * hosted elsewhere that the remote-address rule would refuse (loopback,
 * link-local, metadata; src/manifest/remote-address.ts) but the operator vouches for.
 */
import { networkInterfaces } from 'node:os';
import type { ParseArgsConfig } from 'node:util';
import { allowEntryProblem } from '../manifest/remote-address.ts';
import { UsageError } from './command.ts';

/** The flag, for `parseFlags`. */
export const REMOTE_ADDRESS_FLAGS = {
  'allow-remote': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

/** Usage lines for {@link REMOTE_ADDRESS_FLAGS}. */
export const REMOTE_ADDRESS_USAGE = `  --allow-remote A     a CIDR, address or host name that spec.remote.url may point at although it is
                       loopback, link-local or a metadata address (repeatable, or comma-separated);
                       Berth's own listeners stay refused (default: none)`;

/** The allow-list the flags name. @throws UsageError naming an entry that is not a CIDR, an address or a host name */
export function allowRemoteFromFlags(values: { 'allow-remote'?: string[] | undefined }): string[] {
  const entries = (values['allow-remote'] ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  for (const entry of entries) {
    const problem = allowEntryProblem(entry);
    if (problem !== undefined) throw new UsageError(problem);
  }
  return entries;
}

/** This host's interface addresses (every family), read at each check: interfaces come and go. */
export function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}
