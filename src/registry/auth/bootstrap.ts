/**
 * First start: when the store holds no tokens at all, create an admin token and
 * write it to `<stateDir>/admin-token`, readable only by the owner (0600). The log
 * says where the file is, never what is in it.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Store } from '../store.ts';
import { mintToken } from './tokens.ts';

/** Name of the bootstrap token file inside the state directory. */
export const ADMIN_TOKEN_FILE = 'admin-token';

/**
 * Creates the bootstrap admin token if no token exists yet.
 * @returns the file written, or undefined when tokens already existed
 */
export async function ensureBootstrapAdmin(opts: { store: Store; stateDir: string; logger: Logger; now: Date }): Promise<string | undefined> {
  const { store, stateDir, logger, now } = opts;
  if ((await store.listTokens()).length > 0) return undefined;
  const minted = mintToken({ role: 'admin', description: 'bootstrap admin (created on first start)', now });
  const file = join(stateDir, ADMIN_TOKEN_FILE);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  // Write the file first: a token in the store that nobody can read would lock the admin out.
  await writeFile(file, `${minted.token}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  await store.putToken(minted.record);
  await store.appendAudit({ actor: 'system:registry', action: 'token.create', details: { tokenId: minted.record.id, role: 'admin', bootstrap: true } });
  logger.info({ file, tokenId: minted.record.id }, 'created the bootstrap admin token; it is in this file (mode 0600)');
  return file;
}
