/**
 * `berth audit [--since 1h|TIME] [--actor ID] [--object kind/name] [--action A]`:
 * who changed what, newest first.
 */
import type { AuditEntry, AuditQuery } from '../../client/wire.ts';
import { parseDuration } from '../../kit/duration.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, formatTable, parseFlags, reportClientError, requireKind } from '../config.ts';

const usage = `Usage: berth audit [--since 1h|2026-01-31T00:00:00Z] [--actor TOKEN_ID] [--object kind/name] [--action A] [--limit N] [-o table|json]

Shows the registry's audit log, newest first: every effective write with its actor
(token id), action, object, generation before/after and spec hash.

Options:
  --since T      entries at or after T: a duration back from now (30m, 12h, 7d) or an RFC 3339 time
  --actor ID     entries by this token id (tok_…) or system actor
  --object K/N   entries about one object, e.g. mcpserver/weather
  --action A     create, update, delete, prune, status, token.create, …
  --limit N      at most N entries (default 100, max 1000)
  -o, --output   table (default) or json
${CLIENT_FLAGS_USAGE}`;

/** One table row per entry: TIME ACTOR ACTION OBJECT GEN. */
export function auditRows(entries: AuditEntry[]): string[][] {
  return entries.map((e) => [
    e.time ?? '-',
    e.actor,
    e.action,
    e.kind && e.name ? `${String(e.kind).toLowerCase()}/${e.name}` : String((e.details as { tokenId?: string } | undefined)?.tokenId ?? '-'),
    e.generationBefore !== undefined || e.generationAfter !== undefined ? `${e.generationBefore ?? '∅'}→${e.generationAfter ?? '∅'}` : '-',
  ]);
}

const command: Command = {
  name: 'audit',
  summary: 'show who changed what in the registry',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      since: { type: 'string' },
      actor: { type: 'string' },
      object: { type: 'string' },
      action: { type: 'string' },
      limit: { type: 'string' },
      output: { type: 'string', short: 'o' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const q: AuditQuery = {};
    if (values.since) {
      const ms = parseDuration(values.since);
      if (ms !== undefined) q.since = new Date(Date.now() - ms).toISOString();
      else if (!Number.isNaN(Date.parse(values.since))) q.since = new Date(values.since).toISOString();
      else throw new UsageError(`--since must be a duration (30m, 12h, 7d) or an RFC 3339 time (got "${values.since}")`);
    }
    if (values.actor) q.actor = values.actor;
    if (values.action) q.action = values.action;
    if (values.object) {
      const [k, n, extra] = values.object.split('/');
      if (!k || !n || extra !== undefined) throw new UsageError('--object must be kind/name, e.g. mcpserver/weather');
      q.kind = requireKind(k);
      q.name = n;
    }
    if (values.limit) {
      const n = Number(values.limit);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError('--limit must be 1–1000');
      q.limit = n;
    }
    const output = values.output ?? 'table';
    if (output !== 'table' && output !== 'json') throw new UsageError('-o must be table or json');
    const client = await connectRegistry(values, io);
    try {
      const entries = await client.queryAudit(q);
      if (output === 'json') io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      else if (entries.length === 0) io.stderr.write('No audit entries match.\n');
      else io.stdout.write(formatTable(['TIME', 'ACTOR', 'ACTION', 'OBJECT', 'GEN'], auditRows(entries)));
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'audit');
    }
  },
};

export default command;
