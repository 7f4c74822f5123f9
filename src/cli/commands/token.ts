/**
 * `berth token create|list|revoke`: API tokens (admin). The token itself is
 * printed once, on stdout alone, so `TOKEN=$(berth token create …)` works.
 */
import { ROLES, type Role } from '../../registry/auth/tokens.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, durationFlag, formatTable, parseFlags, reportClientError } from '../config.ts';

const usage = `Usage:
  berth token create --role ${ROLES.join('|')} [--team T] [--expires 30d] [--description TEXT]
  berth token create --role agent --agent NAME [--group G]… [--expires 30d] [--description TEXT]
  berth token list [--all]
  berth token revoke <id> [--force]

Roles: admin (everything), publisher (writes MCPServers of its --team), approver
(changes spec.lifecycle only), reader (read and watch), gateway (what \`berth gateway\`
does: read, review agent keys), agent (an agent's key: it sends it to the gateway as
Authorization: Bearer; --agent is the name AccessPolicies give as subjects[].agent,
--group the groups they may name).
The token is printed once; only its hash is stored. Revoking the last admin token is
refused (409) unless --force: afterwards only \`berth up --reset-admin-token\`, run where the
state folder is, makes a new one.
Each dashboard sign-in is a short-lived session token; \`list\` leaves out the ones that
have ended (expired or signed out) unless --all.

Options:
${CLIENT_FLAGS_USAGE}`;

const command: Command = {
  name: 'token',
  summary: 'create, list and revoke API tokens',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      role: { type: 'string' },
      team: { type: 'string' },
      agent: { type: 'string' },
      group: { type: 'string', multiple: true },
      expires: { type: 'string' },
      description: { type: 'string' },
      force: { type: 'boolean' },
      all: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    const [sub, ...rest] = positionals;
    if (values.all && sub !== 'list') throw new UsageError('--all is only for `berth token list`');
    if (sub === 'create') {
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
      const role = values.role as Role | undefined;
      if (!role || !ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      if (role === 'publisher' && !values.team) throw new UsageError('a publisher token needs --team T');
      if (role === 'agent' && !values.agent) throw new UsageError('an agent key needs --agent NAME (the agent AccessPolicies name)');
      if (role !== 'agent' && (values.agent !== undefined || values.group !== undefined)) throw new UsageError('--agent and --group are only for --role agent');
      durationFlag(values.expires, '--expires', 0); // checked here for a usage error; the registry reads the text itself
    } else if (sub === 'revoke') {
      if (rest.length !== 1) throw new UsageError('expected `berth token revoke <id>`');
    } else if (values.force) {
      throw new UsageError('--force is only for `berth token revoke`');
    } else if (sub === 'list') {
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    } else {
      throw new UsageError(sub ? `unknown subcommand "${sub}"` : 'expected create, list or revoke');
    }
    const client = await connectRegistry(values, io);
    try {
      if (sub === 'create') {
        const { token, record } = await client.createToken({
          role: values.role as Role,
          ...(values.team ? { team: values.team } : {}),
          ...(values.agent ? { agent: values.agent } : {}),
          ...(values.group ? { groups: values.group } : {}),
          ...(values.expires ? { expires: values.expires } : {}),
          ...(values.description ? { description: values.description } : {}),
        });
        const about = [record.role, record.team && `team ${record.team}`, record.agent && `agent ${record.agent}`, record.groups && `groups ${record.groups.join(',')}`, record.expiresAt && `expires ${record.expiresAt}`];
        io.stderr.write(`created token ${record.id} (${about.filter(Boolean).join(', ')}); it is shown only now:\n`);
        io.stdout.write(`${token}\n`);
      } else if (sub === 'list') {
        const listed = await client.listTokens();
        const now = Date.now();
        const tokens = values.all ? listed : listed.filter((t) => !(t.session && sessionEnded(t, now)));
        io.stdout.write(
          formatTable(
            ['ID', 'ROLE', 'TEAM', 'AGENT', 'GROUPS', 'CREATED', 'EXPIRES', 'REVOKED', 'DESCRIPTION'],
            tokens.map((t) => [t.id, t.role, t.team ?? '-', t.agent ?? '-', t.groups?.join(',') || '-', t.createdAt, t.expiresAt ?? 'never', t.revokedAt ?? '-', t.session ? `dashboard session of ${t.parentTokenId ?? 'an SSO sign-in'}: ${t.description ?? ''}` : (t.description ?? '')]),
          ),
        );
        const hidden = listed.length - tokens.length;
        if (hidden > 0) io.stderr.write(`${hidden} ended dashboard session${hidden === 1 ? '' : 's'} not shown (--all shows them)\n`);
      } else {
        await client.revokeToken(rest[0]!, values.force ? { force: true } : {});
        io.stdout.write(`token ${rest[0]} revoked\n`);
      }
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'token');
    }
  },
};

/** Whether a session token has expired or was revoked (signed out) by `now`. */
function sessionEnded(t: { expiresAt?: string; revokedAt?: string }, now: number): boolean {
  return t.revokedAt !== undefined || (t.expiresAt !== undefined && Date.parse(t.expiresAt) <= now);
}

export default command;
