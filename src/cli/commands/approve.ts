/**
 * `berth approve server <name> --stage approved-dev|approved-production [--note TEXT] [--spec HASH]`:
 * an approver's (or admin's) approval of a lifecycle stage, recorded by the
 * registry with who, when, the note and the spec it approves. `berth reject`
 * (reject.ts) is the same command with the other verdict.
 */
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, parseFlags, reportClientError, requireKind } from '../config.ts';

const STAGES = ['approved-dev', 'approved-production'] as const;

function usageOf(verb: 'approve' | 'reject'): string {
  const note = verb === 'reject' ? '--note TEXT' : '[--note TEXT]';
  return `Usage: berth ${verb} server <name> --stage approved-dev|approved-production ${note} [--spec HASH]

${
  verb === 'approve'
    ? `Approves a lifecycle stage of an MCP server, for the spec stored now. spec.lifecycle
is what the owning team requests; what runs is what approvals support for the
current spec: a spec change afterwards needs a new approval (see berth describe).`
    : `Rejects a lifecycle stage of an MCP server, for the spec stored now: the stage is
not granted while this rejection is your latest decision on it. A note is required.`
}
Needs an approver or admin token.

Options:
  --stage STAGE   approved-dev or approved-production
  --note TEXT     why (recorded with the decision and in the audit log)
  --spec HASH     the spec hash you reviewed (berth describe shows it); refused if the spec moved on
${CLIENT_FLAGS_USAGE}`;
}

/** The approve or reject command. */
export function stageDecisionCommand(verb: 'approve' | 'reject'): Command {
  const usage = usageOf(verb);
  return {
    name: verb,
    summary: verb === 'approve' ? "approve a server's lifecycle stage (approvers)" : "reject a server's lifecycle stage (approvers)",
    usage,
    async run(args: string[], io: CommandIo): Promise<number> {
      const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS, stage: { type: 'string' }, note: { type: 'string' }, spec: { type: 'string' } });
      if (values.help) {
        io.stdout.write(`${usage}\n`);
        return ExitCode.Ok;
      }
      if (positionals.length !== 2 || requireKind(positionals[0]!) !== 'MCPServer') throw new UsageError(`expected server <name>, e.g. \`berth ${verb} server quote --stage approved-dev\``);
      const name = positionals[1]!;
      const stage = values.stage;
      if (!stage || !(STAGES as readonly string[]).includes(stage)) throw new UsageError(`--stage must be one of ${STAGES.join(', ')}`);
      if (verb === 'reject' && !values.note) throw new UsageError('berth reject needs --note saying why');
      const client = await connectRegistry(values, io);
      try {
        const { effective } = await client.decideStage(name, {
          stage: stage as (typeof STAGES)[number],
          decision: verb === 'approve' ? 'approved' : 'rejected',
          ...(values.note ? { note: values.note } : {}),
          ...(values.spec ? { specHash: values.spec } : {}),
        });
        const missing = effective.missing ? ` (still missing: ${effective.missing.reason})` : '';
        io.stdout.write(`mcpserver/${name} ${verb === 'approve' ? 'approved' : 'rejected'} for ${stage} at spec ${effective.spec8}; requested ${effective.requested}, effective ${effective.effective}${missing}\n`);
        return ExitCode.Ok;
      } catch (err) {
        return reportClientError(err, io, verb);
      }
    },
  };
}

export default stageDecisionCommand('approve');
