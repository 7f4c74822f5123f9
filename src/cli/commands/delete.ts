/**
 * `berth delete <kind> <name>`: deletes an object; one with finalizers is marked
 * deleting and removed once the reconciler has retired what it runs.
 */
import { ExitCode, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, objectRef, parseFlags, reportClientError, requireKindAndName } from '../config.ts';

const usage = `Usage: berth delete <kind> <name>

Deletes the object. While finalizers remain (the reconciler is still retiring the
server's runtime) it is marked for deletion and disappears once they are done.

Options:
${CLIENT_FLAGS_USAGE}`;

const command: Command = {
  name: 'delete',
  summary: 'delete an object',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    const { kind, name } = requireKindAndName(positionals, 'delete');
    const client = await connectRegistry(values, io);
    try {
      const { removed, object } = await client.delete(kind, name);
      if (removed) io.stdout.write(`${objectRef(kind, name)} deleted\n`);
      else io.stdout.write(`${objectRef(kind, name)} marked for deletion (waiting for finalizers: ${(object.metadata.finalizers ?? []).join(', ')})\n`);
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'delete');
    }
  },
};

export default command;
