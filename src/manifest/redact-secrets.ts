/**
 * An MCPServer as a reader who may not see its secrets sees it: every env value
 * (`spec.runtime.env`, `spec.runtime.local.env`) replaced by `<redacted>`, command
 * words the secret lint flags replaced too, and userinfo cut from
 * `spec.remote.url` and `status.endpoint`. Names stay, so a reader still sees
 * which variables a server gets. Who may see them is the registry's decision
 * (src/registry/auth/read-redaction.ts); this file only says what is hidden.
 */
import { REDACTED, redactUserinfo } from '../kit/redact.ts';
import type { Resource } from './resource.ts';
import { argSecretReasons } from './secret-lint.ts';

export { REDACTED };

type Rec = Record<string, unknown>;

function isRec(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function redactEnv(env: unknown): unknown {
  if (!isRec(env)) return env;
  return Object.fromEntries(Object.keys(env).map((k) => [k, REDACTED]));
}

function redactArgs(args: unknown): unknown {
  if (typeof args === 'string') return argSecretReasons([args]).size > 0 ? REDACTED : args; // runtime.local.command
  if (!Array.isArray(args)) return args;
  const flagged = argSecretReasons(args);
  if (flagged.size === 0) return args;
  return args.map((a, i) => (flagged.has(i) ? REDACTED : a));
}

/**
 * `obj` with its secrets hidden (see the module comment); objects of other kinds,
 * and servers with nothing to hide, come back as they are. Never changes `obj`.
 * @example redactServerSecrets(server).spec.runtime.env // { LOG_LEVEL: '<redacted>', DB_PASSWORD: '<redacted>' }
 */
export function redactServerSecrets<T extends Resource>(obj: T): T {
  if (obj.kind !== 'MCPServer' || !isRec(obj.spec)) return obj;
  const spec: Rec = { ...obj.spec };
  const runtime = spec['runtime'];
  if (isRec(runtime)) {
    const r: Rec = { ...runtime };
    if ('env' in r) r['env'] = redactEnv(r['env']);
    if ('args' in r) r['args'] = redactArgs(r['args']);
    if ('command' in r) r['command'] = redactArgs(r['command']);
    const local = r['local'];
    if (isRec(local)) {
      r['local'] = {
        ...local,
        ...('env' in local ? { env: redactEnv(local['env']) } : {}),
        ...('args' in local ? { args: redactArgs(local['args']) } : {}),
        ...('command' in local ? { command: redactArgs(local['command']) } : {}),
      };
    }
    spec['runtime'] = r;
  }
  const remote = spec['remote'];
  if (isRec(remote) && typeof remote['url'] === 'string') spec['remote'] = { ...remote, url: redactUserinfo(remote['url']) };
  const out = { ...obj, spec } as T;
  const status = (obj as { status?: unknown }).status;
  if (isRec(status) && typeof status['endpoint'] === 'string') (out as { status?: unknown }).status = { ...status, endpoint: redactUserinfo(status['endpoint']) };
  return out;
}
