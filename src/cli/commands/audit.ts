/**
 * `berth audit [--since 1h|TIME] [--actor ID] [--object kind/name] [--action A]`:
 * who changed what, newest first. With `--calls` or any of `--agent --mcpserver
 * --tool --decision`: the gateway's call records instead (which agent called
 * what, and what the gateway decided).
 */
import type { AuditEntry, AuditQuery, CallDecision, CallRecord, CallRecordQuery } from '../../client/wire.ts';
import { CALL_DECISIONS } from '../../client/wire.ts';
import { parseDuration } from '../../kit/duration.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, formatTable, parseFlags, reportClientError, requireKind } from '../config.ts';

const usage = `Usage: berth audit [--since 1h|2026-01-31T00:00:00Z] [--actor TOKEN_ID] [--object kind/name] [--action A] [--limit N] [-o table|json]
       berth audit --calls [--agent A] [--mcpserver S] [--tool T] [--decision D] [--since …] [--limit N] [-o table|json]

Shows the registry's audit log, newest first: every effective write with its actor
(token id), action, object, generation before/after, and the fields it changed
(old → new; secret-looking values only as "(changed)"). -o json adds the spec hash.

With --calls, or any of --agent, --mcpserver, --tool and --decision, it shows the
gateway's call records instead: every MCP request the gateway decided, with the
agent, server, tool, decision, HTTP status, latency and reason. Reading them needs
an admin, approver or reader token.

Options:
  --since T        entries at or after T: a duration back from now (30m, 12h, 7d) or an RFC 3339 time
  --actor ID       entries by this token id (tok_…) or system actor
  --object K/N     entries about one object, e.g. mcpserver/weather
  --action A       create, update, delete, prune, status, token.create, approval.approve, …
  --calls          show call records (all of them, newest first, when no filter is given)
  --agent A        call records of this agent
  --mcpserver S    call records for this MCPServer
  --tool T         call records of this tool
  --decision D     call records decided ${CALL_DECISIONS.join(', ')}
  --limit N        at most N entries (default 100, max 1000)
  -o, --output     table (default) or json
${CLIENT_FLAGS_USAGE}`;

/** Columns of the audit table ({@link auditRows}). */
export const AUDIT_HEADER = ['TIME', 'ACTOR', 'ACTION', 'OBJECT', 'GEN', 'CHANGES'];

/** The entry's changed fields (`details.changes`, written by the registry) as one cell; `-` when it has none. */
function changesCell(e: AuditEntry): string {
  const changes = (e.details as { changes?: unknown } | undefined)?.changes;
  if (!Array.isArray(changes) || changes.length === 0) return '-';
  // A hostile registry must not be able to write terminal control characters through this cell.
  return changes.map((c) => String(c).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')).join('; ');
}

/** One table row per entry: TIME ACTOR ACTION OBJECT GEN CHANGES. */
export function auditRows(entries: AuditEntry[]): string[][] {
  return entries.map((e) => [
    e.time ?? '-',
    e.actor,
    e.action,
    e.kind && e.name ? `${String(e.kind).toLowerCase()}/${e.name}` : String((e.details as { tokenId?: string } | undefined)?.tokenId ?? '-'),
    e.generationBefore !== undefined || e.generationAfter !== undefined ? `${e.generationBefore ?? '∅'}→${e.generationAfter ?? '∅'}` : '-',
    changesCell(e),
  ]);
}

/** Columns of the call record table. */
export const CALL_RECORD_HEADER = ['TIME', 'AGENT', 'SERVER', 'TOOL', 'DECISION', 'STATUS', 'LATENCY', 'REASON'];

/** One table row per call record: TIME AGENT SERVER TOOL DECISION STATUS LATENCY REASON. */
export function callRecordRows(records: CallRecord[]): string[][] {
  return records.map((r) => [r.time ?? '-', r.agent, r.server, r.tool ?? r.method, r.decision, String(r.status), `${Math.round(r.latencyMs)}ms`, r.reason]);
}

/** `--since` as an RFC 3339 time: a duration back from now, or a time. */
function sinceFlag(text: string): string {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(Date.now() - ms).toISOString();
  if (!Number.isNaN(Date.parse(text))) return new Date(text).toISOString();
  throw new UsageError(`--since must be a duration (30m, 12h, 7d) or an RFC 3339 time (got "${text}")`);
}

/** The call record filters from the flags. */
function callQuery(values: { agent?: string | undefined; mcpserver?: string | undefined; tool?: string | undefined; decision?: string | undefined }): CallRecordQuery {
  const q: CallRecordQuery = {};
  if (values.agent) q.agent = values.agent;
  if (values.mcpserver) q.server = values.mcpserver;
  if (values.tool) q.tool = values.tool;
  if (values.decision !== undefined) {
    if (!(CALL_DECISIONS as readonly string[]).includes(values.decision)) throw new UsageError(`--decision must be one of ${CALL_DECISIONS.join(', ')} (got "${values.decision}")`);
    q.decision = values.decision as CallDecision;
  }
  return q;
}

const command: Command = {
  name: 'audit',
  summary: 'show who changed what in the registry, or (--calls) what agents called through the gateway',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      since: { type: 'string' },
      actor: { type: 'string' },
      object: { type: 'string' },
      action: { type: 'string' },
      calls: { type: 'boolean' },
      agent: { type: 'string' },
      mcpserver: { type: 'string' },
      tool: { type: 'string' },
      decision: { type: 'string' },
      limit: { type: 'string' },
      output: { type: 'string', short: 'o' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const calls = values.calls === true || [values.agent, values.mcpserver, values.tool, values.decision].some((v) => v !== undefined);
    if (calls && [values.actor, values.object, values.action].some((v) => v !== undefined)) {
      throw new UsageError('--actor, --object and --action filter the change audit; --calls, --agent, --mcpserver, --tool and --decision the call records: use one set');
    }
    const q: AuditQuery & CallRecordQuery = calls ? callQuery(values) : {};
    if (values.since) q.since = sinceFlag(values.since);
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
      if (calls) {
        const records = await client.queryCallRecords(q);
        if (output === 'json') io.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        else if (records.length === 0) io.stderr.write('No call records match.\n');
        else io.stdout.write(formatTable(CALL_RECORD_HEADER, callRecordRows(records)));
        return ExitCode.Ok;
      }
      const entries = await client.queryAudit(q);
      if (output === 'json') io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      else if (entries.length === 0) io.stderr.write('No audit entries match.\n');
      else io.stdout.write(formatTable(AUDIT_HEADER, auditRows(entries)));
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'audit');
    }
  },
};

export default command;
