/**
 * First start: when the store holds no tokens at all, create an admin token and
 * write it to `<stateDir>/admin-token`, readable only by the owner (0600) — and,
 * when asked (`berth up` with its examples), an agent key for the examples' agent
 * in `<stateDir>/agent-key`, so the walkthrough's agent can call the gateway. The
 * log says where the files are, never what is in them.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../store.ts';
import { hashSecret } from '../../client/tokens.ts';
import { mintToken, type MintedToken } from './tokens.ts';

/** Name of the bootstrap token file inside the state directory. */
export const ADMIN_TOKEN_FILE = 'admin-token';
/** Name of the bootstrap agent key file inside the state directory. */
export const AGENT_KEY_FILE = 'agent-key';

/** What both bootstrap tokens need. */
interface BootstrapOptions {
  store: Store;
  stateDir: string;
  logger: Logger;
  now: Date;
}

/**
 * Writes `minted` to `<stateDir>/<name>` (0600), then stores it and audits its
 * creation. The file comes first: a token in the store that nobody can read would
 * lock its owner out, while a file whose token was never stored is merely refused.
 */
async function storeWithFile(opts: BootstrapOptions, name: string, minted: MintedToken, details: Record<string, unknown>): Promise<string> {
  const file = join(opts.stateDir, name);
  await mkdir(opts.stateDir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${minted.token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile's mode applies only when it creates the file
  await opts.store.putToken(minted.record, { audit: { actor: 'system:registry', action: 'token.create', details: { tokenId: minted.record.id, ...details, bootstrap: true } } });
  return file;
}

/**
 * Tokens a deployment generated for the first start (`berth registry` reads them from
 * `BERTH_BOOTSTRAP_ADMIN_TOKEN` / `BERTH_BOOTSTRAP_GATEWAY_TOKEN`; the CDK app in infra/ keeps
 * them in Secrets Manager): already-parsed `berth_<id>_<secret>` tokens. Only their hashes are stored.
 */
export interface GivenBootstrapTokens {
  admin: { id: string; secret: string };
  gateway?: { id: string; secret: string };
}

/**
 * Creates the bootstrap admin token if no token exists yet: the one `given` (and its gateway
 * token), stored without a file since whoever generated it holds it; else a fresh one written to
 * `<stateDir>/admin-token`. A store that holds any token is left alone, so a given token is
 * honoured once, on the first start, and revoking it later sticks.
 * @returns the file written, or undefined when tokens already existed or were given
 */
export async function ensureBootstrapAdmin(opts: BootstrapOptions & { given?: GivenBootstrapTokens }): Promise<string | undefined> {
  const { store, logger, now } = opts;
  if ((await store.listTokens()).length > 0) return undefined;
  if (opts.given !== undefined) {
    const roles = [['admin', opts.given.admin], ...(opts.given.gateway ? [['gateway', opts.given.gateway] as const] : [])] as const;
    for (const [role, t] of roles) {
      await store.putToken({ id: t.id, hash: hashSecret(t.secret), role, createdAt: now.toISOString(), description: `bootstrap ${role} token (given by the deployment)` });
      await store.appendAudit({ actor: 'system:registry', action: 'token.create', details: { tokenId: t.id, role, bootstrap: true, given: true } });
      logger.info({ tokenId: t.id, role }, `stored the bootstrap ${role} token the deployment gave`);
    }
    return undefined;
  }
  const minted = mintToken({ role: 'admin', description: 'bootstrap admin (created on first start)', now });
  const file = await storeWithFile(opts, ADMIN_TOKEN_FILE, minted, { role: 'admin' });
  logger.info({ file, tokenId: minted.record.id }, 'created the bootstrap admin token; it is in this file (mode 0600)');
  return file;
}

/**
 * Creates an agent key for `agent` (no expiry, no groups) and writes it to
 * `<stateDir>/agent-key` (0600). Call it on a first start only, right after
 * {@link ensureBootstrapAdmin} created the admin token: a later start must not
 * mint keys nobody asked for.
 * @returns the file written
 */
export async function createBootstrapAgentKey(opts: BootstrapOptions & { agent: string }): Promise<string> {
  const minted = mintToken({ role: 'agent', agent: opts.agent, description: `example agent key for ${opts.agent} (created on first start)`, now: opts.now });
  const file = await storeWithFile(opts, AGENT_KEY_FILE, minted, { role: 'agent', agent: opts.agent });
  opts.logger.info({ file, tokenId: minted.record.id, agent: opts.agent }, 'created an agent key for the examples; it is in this file (mode 0600)');
  return file;
}

/** What {@link resetBootstrapAdmin} did, for the operator (never the token itself). */
export interface AdminTokenReset {
  file: string;
  tokenId: string;
  /** The earlier bootstrap admin tokens it revoked. */
  revoked: string[];
}

/**
 * Recovery when nobody holds a working admin token (`berth up --reset-admin-token`, which
 * needs write access to the state folder, the same trust as reading `admin-token`): mints a
 * new admin token into `<stateDir>/admin-token` and the store, then revokes every earlier
 * bootstrap admin token (so a leaked old file stops working). Both steps are audited as
 * `system:registry` with `reset: true`.
 */
export async function resetBootstrapAdmin(opts: BootstrapOptions): Promise<AdminTokenReset> {
  const { store, logger, now } = opts;
  const earlier = (await store.listTokens()).filter((t) => t.role === 'admin' && t.session !== true && t.revokedAt === undefined && t.description?.startsWith('bootstrap admin'));
  const minted = mintToken({ role: 'admin', description: 'bootstrap admin (reset by berth up --reset-admin-token)', now });
  const file = await storeWithFile(opts, ADMIN_TOKEN_FILE, minted, { role: 'admin', reset: true });
  const at = now.toISOString();
  for (const t of earlier) {
    await store.revokeToken(t.id, at, { audit: { actor: 'system:registry', action: 'token.revoke', details: { tokenId: t.id, role: 'admin', reset: true, replacedBy: minted.record.id } } });
  }
  logger.warn({ file, tokenId: minted.record.id, revoked: earlier.map((t) => t.id) }, 'reset the bootstrap admin token; the new one is in this file (mode 0600)');
  return { file, tokenId: minted.record.id, revoked: earlier.map((t) => t.id) };
}
