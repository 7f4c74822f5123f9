/**
 * `berth can-i --agent A [--group G]… call <server>/<tool>`: would the gateway let
 * this agent call this tool now, and why? It reads the AccessPolicies and the
 * server from the registry and asks the very functions the gateway decides with:
 * `grantsFor` + `decideToolCall` (src/manifest/policy.ts: policy grant, denies,
 * the tool's scopes, `approval: required`) and `unroutableReason`
 * (src/gateway/route.ts: lifecycle traffic gate, Ready, endpoint). Writes nothing.
 */
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, parseFlags, reportClientError } from '../config.ts';
import { decideToolCall, grantsFor } from '../../manifest/policy.ts';
import { unroutableReason } from '../../manifest/routability.ts';

const usage = `Usage: berth can-i --agent NAME [--group G]… call <server>/<tool>

Says whether the gateway would let agent NAME (in groups G, as its agent key or
OIDC token says) call <tool> on MCP server <server> now, and why: the
AccessPolicies that apply, the tool's required scopes, denies, approval rules,
and whether the server may receive traffic (lifecycle stage, Ready, endpoint).
Decided by the same code the gateway runs; writes nothing.
Exit 0 allowed (also when a human approval is required first: it says so),
1 denied (with the reason), 2 usage.

Options:
  --agent NAME     the agent (subjects[].agent of AccessPolicies)
  --group G        a group the agent belongs to (repeatable)
${CLIENT_FLAGS_USAGE}`;

const command: Command = {
  name: 'can-i',
  summary: 'would the gateway let an agent call a tool? (explains the decision)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS, agent: { type: 'string' }, group: { type: 'string', multiple: true } });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (!values.agent) throw new UsageError('--agent NAME is required: whose call is being asked about');
    if (positionals[0] !== 'call' || positionals.length !== 2) throw new UsageError('expected `call <server>/<tool>`, e.g. `berth can-i --agent sales-copilot call quote/getQuote`');
    const target = positionals[1]!;
    const slash = target.indexOf('/');
    if (slash <= 0 || slash === target.length - 1) throw new UsageError(`expected <server>/<tool> (got "${target}"), e.g. quote/getQuote`);
    const serverName = target.slice(0, slash);
    const tool = target.slice(slash + 1);
    const agent = values.agent;
    const groups = values.group ?? [];
    const client = await connectRegistry(values, io);
    try {
      const server = await client.get('MCPServer', serverName);
      if (server === undefined) {
        io.stdout.write(`no: mcpserver/${serverName} does not exist; \`berth get servers\` lists them\n`);
        return ExitCode.Failed;
      }
      const policies = (await client.listAll('AccessPolicy')).items;
      const grants = grantsFor(policies, { agent, groups });
      const decision = decideToolCall(grants, server, tool);
      const unroutable = unroutableReason(server);
      const allowed = decision.verdict !== 'deny' && unroutable === undefined;
      const answer = !allowed ? 'no' : decision.verdict === 'approval' ? 'yes, after a human approval' : 'yes';
      const declared = server.spec.tools?.find((t) => t.name === tool);
      const lines = [
        `${answer}: agent \`${agent}\`${groups.length ? ` (groups ${groups.join(', ')})` : ''} calling tool \`${tool}\` on MCPServer \`${serverName}\``,
        `  policies:  ${grants.policies.length ? grants.policies.join(', ') : 'none apply to this agent'}`,
        `  scopes:    ${decision.scopes.length ? decision.scopes.join(', ') : 'none'}${declared ? '' : ' (tool not declared in the manifest)'}${declared?.approval === 'required' ? '; the manifest requires approval' : ''}`,
        `  policy:    ${decision.verdict} (${decision.code}): ${decision.reason}`,
        `  traffic:   ${unroutable ?? `routable (Ready at ${server.status?.endpoint ?? '?'})`}`,
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
      return allowed ? ExitCode.Ok : ExitCode.Failed;
    } catch (err) {
      return reportClientError(err, io, 'can-i');
    }
  },
};

export default command;
