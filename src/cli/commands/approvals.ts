/**
 * `berth approvals list|approve|deny`: the human side of approvals-in-the-loop.
 * The gateway files a request for exactly one tool call; an approver approves or
 * denies it here; a grant lets that call through once, within the registry's TTL.
 */
import { APPROVAL_STATUSES, type Approval, type ApprovalQuery, type ApprovalStatus } from '../../client/wire.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { age, CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, formatTable, parseFlags, reportClientError } from '../config.ts';

const usage = `Usage:
  berth approvals list [--status ${APPROVAL_STATUSES.join('|')}] [--agent A] [--mcpserver S] [--limit N] [-o table|json]
  berth approvals approve <id> [--reason R]
  berth approvals deny <id> [--reason R]

When an agent calls a tool marked \`approval: required\`, the gateway files a request
for exactly that call: agent, server, tool and a hash of its arguments. Approve it
and the gateway lets that one call through, once, within the registry's approval
TTL (10 minutes unless \`berth registry --approval-ttl\` says otherwise); deny it
and the call is refused. Only pending requests can be decided. Listing needs an
admin, approver or reader token; deciding an approver or admin token.

Options:
  --status S       list only approvals in this state (expired: approved, but not used in time)
  --agent A        list only requests of this agent
  --mcpserver S    list only requests for this MCPServer
  --limit N        at most N approvals, newest first (default 100, max 1000)
  --reason R       why, recorded with the decision and in the audit log
  -o, --output     table (default) or json
${CLIENT_FLAGS_USAGE}

Exit codes: 0 done, 1 refused (not pending, not allowed), 2 usage, 3 registry unreachable or token refused.`;

/** Table rows: ID STATUS AGENT SERVER TOOL AGE DECIDED-BY EXPIRES-IN REASON. */
export function approvalRows(items: Approval[], now: Date): { header: string[]; rows: string[][] } {
  const header = ['ID', 'STATUS', 'AGENT', 'SERVER', 'TOOL', 'AGE', 'DECIDED-BY', 'EXPIRES-IN', 'REASON'];
  const rows = items.map((a) => [
    a.id,
    a.status,
    a.user !== undefined ? `${a.agent} (${a.user})` : a.agent,
    a.server,
    a.tool,
    age(a.requestedAt, now),
    a.decidedBy ?? '-',
    // Time left is an age measured from now to the expiry.
    a.status === 'approved' && a.expiresAt !== undefined ? age(now.toISOString(), new Date(a.expiresAt)) : '-',
    a.reason ?? '',
  ]);
  return { header, rows };
}

/** What `approve` prints: who may now make which call, until when. */
function granted(a: Approval): string {
  return `approval ${a.id} approved: ${a.agent} may call ${a.server}/${a.tool} once with the arguments it asked for, until ${a.expiresAt ?? 'used'}\n`;
}

/** The list filters from the flags. */
function listQuery(values: { status?: string | undefined; agent?: string | undefined; mcpserver?: string | undefined; limit?: string | undefined }): ApprovalQuery {
  const q: ApprovalQuery = {};
  if (values.status !== undefined) {
    if (!(APPROVAL_STATUSES as readonly string[]).includes(values.status)) throw new UsageError(`--status must be one of ${APPROVAL_STATUSES.join(', ')} (got "${values.status}")`);
    q.status = values.status as ApprovalStatus;
  }
  if (values.agent) q.agent = values.agent;
  if (values.mcpserver) q.server = values.mcpserver;
  if (values.limit !== undefined) {
    const n = Number(values.limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`--limit must be 1–1000 (got "${values.limit}")`);
    q.limit = n;
  }
  return q;
}

const command: Command = {
  name: 'approvals',
  summary: 'list, approve and deny tool calls waiting for a human',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      status: { type: 'string' },
      agent: { type: 'string' },
      mcpserver: { type: 'string' },
      limit: { type: 'string' },
      reason: { type: 'string' },
      output: { type: 'string', short: 'o' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    const [sub, ...rest] = positionals;
    const output = values.output ?? 'table';
    if (output !== 'table' && output !== 'json') throw new UsageError(`-o must be table or json (got "${output}")`);
    let q: ApprovalQuery = {};
    if (sub === 'list') {
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      if (values.reason !== undefined) throw new UsageError('--reason goes with approve or deny');
      q = listQuery(values);
    } else if (sub === 'approve' || sub === 'deny') {
      if (rest.length !== 1) throw new UsageError(`expected \`berth approvals ${sub} <id>\` (ids are listed by \`berth approvals list --status pending\`)`);
      if (values.status !== undefined || values.agent !== undefined || values.mcpserver !== undefined || values.limit !== undefined) throw new UsageError('--status, --agent, --mcpserver and --limit go with list');
    } else {
      throw new UsageError(sub ? `unknown subcommand "${sub}"; expected list, approve or deny` : 'expected list, approve or deny');
    }
    const client = await connectRegistry(values, io);
    try {
      if (sub === 'list') {
        const items = await client.listApprovals(q);
        if (output === 'json') io.stdout.write(`${JSON.stringify(items, null, 2)}\n`);
        else if (items.length === 0) io.stderr.write('No approvals match.\n');
        else {
          const t = approvalRows(items, new Date());
          io.stdout.write(formatTable(t.header, t.rows));
        }
        return ExitCode.Ok;
      }
      const decided = await client.decideApproval(rest[0]!, sub, values.reason);
      if (output === 'json') io.stdout.write(`${JSON.stringify(decided, null, 2)}\n`);
      else io.stdout.write(sub === 'approve' ? granted(decided) : `approval ${decided.id} denied: ${decided.agent} may not call ${decided.server}/${decided.tool} with those arguments\n`);
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'approvals');
    }
  },
};

export default command;
