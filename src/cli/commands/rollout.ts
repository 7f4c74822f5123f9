/**
 * `berth rollout restart server <name>`: asks the runtime to replace what runs
 * for a server (a new local process, a new ECS deployment) without a manifest
 * change, and retries a start that failed permanently. It sets the restart
 * marker annotation (src/manifest/restart.ts) to the current time; the reconciler
 * and the providers do the rest, by the one rule written there.
 */
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, objectRef, parseFlags, reportClientError, requireKind } from '../config.ts';
import { RESTARTED_AT_ANNOTATION } from '../../manifest/restart.ts';

const usage = `Usage: berth rollout restart server <name>

Restarts a server: the local runtime starts a new process, ECS rolls out new
tasks; a start that failed permanently is tried again. Sets the annotation
${RESTARTED_AT_ANNOTATION} to the current time (re-applying manifests keeps it).
Needs a token that may update the server (its team's publisher, or admin).

Options:
${CLIENT_FLAGS_USAGE}`;

const command: Command = {
  name: 'rollout',
  summary: 'restart a server (new process / deployment; retries a failed start)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (positionals[0] !== 'restart') throw new UsageError(`expected \`berth rollout restart server <name>\`${positionals[0] ? ` (got "${positionals[0]}")` : ''}`);
    if (positionals.length !== 3 || requireKind(positionals[1]!) !== 'MCPServer') throw new UsageError('expected `berth rollout restart server <name>`: only MCP servers run');
    const name = positionals[2]!;
    const client = await connectRegistry(values, io);
    try {
      const server = await client.get('MCPServer', name);
      if (server === undefined) {
        io.stderr.write(`berth rollout: ${objectRef('MCPServer', name)} not found; \`berth get servers\` lists them\n`);
        return ExitCode.Failed;
      }
      const at = new Date().toISOString();
      const next = { ...server, metadata: { ...server.metadata, annotations: { ...server.metadata.annotations, [RESTARTED_AT_ANNOTATION]: at } } };
      // The version we read: a concurrent change is refused (409), not overwritten.
      await client.update(next, server.metadata.resourceVersion);
      io.stdout.write(`${objectRef('MCPServer', name)} restarted (${RESTARTED_AT_ANNOTATION}=${at})\n`);
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'rollout');
    }
  },
};

export default command;
