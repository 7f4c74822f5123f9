/** A spec.remote as a server.json remote, keeping what the imported remote said beyond url and type. */
import type { RemoteSpec } from '../types.ts';
import type { ServerJsonRemote } from './types.ts';

/**
 * The remote for `remote`, starting from `base` (the remote it was imported from), if any.
 * Headers the spec added are declared as required secrets: server.json never carries their values.
 */
export function specToRemote(remote: RemoteSpec, base: ServerJsonRemote | undefined): ServerJsonRemote {
  const out: ServerJsonRemote = base ? structuredClone(base) : { type: remote.transport, url: remote.url };
  out.type = remote.transport;
  out.url = remote.url;
  const known = new Set((out.headers ?? []).map((h) => h.name));
  const added = (remote.headers ?? []).filter((h) => !known.has(h.name));
  if (added.length > 0) out.headers = [...(out.headers ?? []), ...added.map((h) => ({ name: h.name, isRequired: true, isSecret: true }))];
  return out;
}
