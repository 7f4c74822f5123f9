/** A server.json remote as a spec.remote: the URL is taken as is, header values never are. */
import type { RemoteSpec, SecretRef } from '../types.ts';
import { ann, REMOTES_KEY } from './annotations.ts';
import { placeholderSecretArn } from './placeholders.ts';
import type { ServerJsonRemote } from './types.ts';

/**
 * The remote spec a server.json remote maps to. Secret headers get placeholder ARNs;
 * plain headers are dropped with a note, because Berth's remote headers are secret references only.
 */
export function remoteToSpec(remote: ServerJsonRemote, server: string, index: number, notes: string[]): RemoteSpec {
  const spec: RemoteSpec = { url: remote.url, transport: remote.type };
  const headers: SecretRef[] = [];
  for (const h of remote.headers ?? []) {
    if (h.isSecret === true) {
      headers.push({ name: h.name, valueFrom: placeholderSecretArn(server, h.name) });
      notes.push(
        `spec.remote.headers: ${h.name} is a secret; it points at the placeholder ARN ${placeholderSecretArn(server, h.name)}. ` +
          'Store the header value in Secrets Manager or SSM Parameter Store and put that ARN there.',
      );
    } else {
      notes.push(`remotes[${index}].headers: ${h.name} is not a secret, and Berth's remote headers are secret references only; it is not sent (kept in annotation ${ann(REMOTES_KEY)}).`);
    }
  }
  if (headers.length > 0) spec.headers = headers;
  if (/\{[^}]*\}/.test(remote.url)) notes.push(`spec.remote.url ${remote.url} contains template variables; replace them with real values.`);
  return spec;
}
