/**
 * Reads the values secret references name, for the gateway (the servers' own
 * credentials, `spec.remote.headers` / `spec.runtime.headers`) and the remote
 * runtime's health checks, which send the same headers. The one place that turns
 * a reference into a value on this machine; the gateway and the providers get the
 * function, never the environment or the files.
 *
 * References (the schema's `secretReference`):
 * - `env:BERTH_SECRET_<NAME>`: a variable of this process's environment. Only the
 *   `BERTH_SECRET_` prefix, so no manifest can have Berth send its own credentials
 *   (`BERTH_TOKEN`, `BERTH_STORE`, AWS keys) to a server;
 * - `file:<relative path>`: a file under the secrets folder (`--secrets-dir`),
 *   never outside it (`..` and symbolic links that leave it are refused); one
 *   trailing newline is dropped, as editors and `echo` add one;
 * - `arn:…`: Secrets Manager or SSM, through `resolveArn` (src/providers/ecs/secret-resolver.ts).
 *
 * Errors say what is missing and how to fix it, and never hold a value.
 *
 * @example
 * const resolve = createSecretResolver({ env: io.env, secretsDir: '/run/berth-secrets' });
 * await resolve('env:BERTH_SECRET_CRM_TOKEN'); // the variable's value
 * await resolve('file:crm/api-key');            // the contents of /run/berth-secrets/crm/api-key
 */
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { SecretResolver } from '../gateway/index.ts';

/** The prefix every `env:` reference's variable must have. */
export const SECRET_ENV_PREFIX = 'BERTH_SECRET_';

/** Options of {@link createSecretResolver}. */
export interface SecretResolverOptions {
  /** The process's environment (`io.env`). */
  env: Readonly<Record<string, string | undefined>>;
  /** Absolute folder `file:` references are read under; absent: they fail, saying to set `--secrets-dir`. */
  secretsDir?: string | undefined;
  /** Reads `arn:` references; absent: they fail, saying this process cannot read AWS secrets. */
  resolveArn?: ((arn: string) => Promise<string>) | undefined;
}

/**
 * A resolver for `env:`, `file:` and `arn:` references (see the module comment).
 * Reads afresh on every call: caching is the caller's (the gateway keeps values
 * in memory and reads them again now and then, so a rotated file is picked up).
 */
export function createSecretResolver(opts: SecretResolverOptions): SecretResolver {
  return async (reference: string): Promise<string> => {
    if (reference.startsWith('env:')) return fromEnv(reference.slice(4), opts.env);
    if (reference.startsWith('file:')) return fromFile(reference.slice(5), opts.secretsDir);
    if (reference.startsWith('arn:')) {
      if (opts.resolveArn === undefined) throw new Error('this Berth process reads no AWS secrets; use an env: or file: reference on one machine');
      return opts.resolveArn(reference);
    }
    throw new Error('unknown kind of secret reference; use arn:…, env:BERTH_SECRET_<NAME> or file:<path under --secrets-dir>');
  };
}

function fromEnv(name: string, env: SecretResolverOptions['env']): string {
  if (!name.startsWith(SECRET_ENV_PREFIX) || name.length === SECRET_ENV_PREFIX.length) {
    throw new Error(`env: references must name a variable starting with ${SECRET_ENV_PREFIX} (got ${name}), so Berth's own settings never leave it`);
  }
  const value = env[name];
  if (value === undefined) {
    throw new Error(`environment variable ${name} is not set for this Berth process; set it where the gateway runs (and the reconciler, whose health checks send the header too)`);
  }
  return value;
}

async function fromFile(path: string, dir: string | undefined): Promise<string> {
  if (dir === undefined) throw new Error('file: references are read under a secrets folder and none is set; start Berth with --secrets-dir DIR');
  const full = resolve(dir, path);
  if (isAbsolute(path) || escapes(dir, full)) throw new Error(`file:${path} leaves the secrets folder ${dir}; write a path relative to it`);
  let real: string;
  try {
    real = await realpath(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`no file ${full}; write the secret there (readable only by the user Berth runs as)`);
    throw new Error(`cannot open ${full} (${code ?? (err as Error).message})`);
  }
  const realDir = await realpath(dir).catch(() => dir);
  if (escapes(realDir, real)) throw new Error(`${full} is a link to a file outside the secrets folder ${dir}; copy the secret into the folder instead`);
  let text: string;
  try {
    text = await readFile(real, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); make it readable by the user Berth runs as`);
  }
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** True when `path` is not inside `dir`. */
function escapes(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}
