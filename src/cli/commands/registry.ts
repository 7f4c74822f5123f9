/**
 * `berth registry`: serves the registry API over the embedded SQLite store until
 * interrupted. Wiring only.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { openSqliteStore } from '../../registry/sqlite-store.ts';
import { REDACT_PATHS, startRegistryServer } from '../../registry/server.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { parseFlags } from '../config.ts';

const usage = `Usage: berth registry [--port 7070] [--host 127.0.0.1] [--state-dir ./.berth] [--db PATH] [--log-level info]

Serves the registry API (${'/apis/berth.dev/v1alpha1/…'}, /openapi.json, /metrics) over
one SQLite file. On first start it creates an admin token in <state-dir>/admin-token
(readable only by you); \`berth\` commands on this machine use it automatically.

Options:
  --port N          port to listen on (default 7070; 0 = any free port)
  --host ADDR       address to listen on (default 127.0.0.1)
  --state-dir DIR   where the bootstrap token (and by default the database) live (default ./.berth)
  --db PATH         SQLite database file (default <state-dir>/registry.db)
  --log-level L     trace, debug, info, warn, error (default info)
  -h, --help        show this help`;

const command: Command = {
  name: 'registry',
  summary: 'serve the registry API (SQLite store)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      'state-dir': { type: 'string' },
      db: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const port = Number(values.port ?? '7070');
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UsageError(`--port must be 0–65535 (got "${values.port}")`);
    const level = values['log-level'] ?? 'info';
    if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(level)) throw new UsageError(`--log-level must be trace, debug, info, warn or error (got "${level}")`);
    const stateDir = resolve(io.cwd, values['state-dir'] ?? '.berth');
    const dbPath = resolve(io.cwd, values.db ?? join(stateDir, 'registry.db'));
    await mkdir(stateDir, { recursive: true, mode: 0o700 });

    const logger = pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { component: 'registry' } }, io.stdout);
    const store = await openSqliteStore({ path: dbPath, logger });
    let server;
    try {
      server = await startRegistryServer({ store, host: values.host ?? '127.0.0.1', port, stateDir, logger });
    } catch (err) {
      await store.close();
      io.stderr.write(`berth registry: cannot listen on ${values.host ?? '127.0.0.1'}:${port}: ${(err as Error).message}\n`);
      return ExitCode.Failed;
    }
    io.stderr.write(`registry listening on ${server.url} (database ${dbPath})\n`);
    if (!io.signal.aborted) await new Promise<void>((done) => io.signal.addEventListener('abort', () => done(), { once: true }));
    await server.close();
    await store.close();
    return ExitCode.Ok;
  },
};

export default command;
