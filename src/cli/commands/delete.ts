/**
 * `berth delete <kind> <name>` or `berth delete -f <files|dirs|->`: deletes
 * objects; one with finalizers is marked deleting and removed once the reconciler
 * has retired what it runs. `--dry-run` reads and says what would be deleted,
 * deleting nothing.
 */
import type { Kind } from '../../manifest/resource.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, objectRef, parseFlags, reportClientError, requireKindAndName } from '../config.ts';
import { loadValidManifests } from './apply.ts';

const usage = `Usage: berth delete <kind> <name> [--dry-run]
       berth delete -f <file | dir | ->… [--dry-run]

Deletes the object, or every object the manifests name (kind and name; the
manifests must be valid, nothing is deleted otherwise). While finalizers remain
(the reconciler is still retiring the server's runtime) an object is marked for
deletion and disappears once they are done.

Options:
  -f, --filename P   manifest file, folder (recursive) or - for stdin; repeatable
  --dry-run          say what would be deleted; delete nothing
${CLIENT_FLAGS_USAGE}

Exit status: 0 deleted (or would be), 1 an object was not found or not deleted, 2 usage.`;

const command: Command = {
  name: 'delete',
  summary: 'delete objects (by name or by manifest)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS, filename: { type: 'string', short: 'f', multiple: true }, 'dry-run': { type: 'boolean' } });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    let targets: Array<{ kind: Kind; name: string }>;
    if (values.filename !== undefined) {
      if (positionals.length > 0) throw new UsageError(`give either <kind> <name> or -f, not both (got "${positionals[0]}" too)`);
      const objects = await loadValidManifests(values.filename, io, 'delete');
      if (objects === undefined) return ExitCode.Failed;
      const seen = new Set<string>();
      targets = objects.map((o) => ({ kind: o.kind, name: o.metadata.name })).filter((t) => !seen.has(`${t.kind}/${t.name}`) && seen.add(`${t.kind}/${t.name}`));
    } else {
      targets = [requireKindAndName(positionals, 'delete')];
    }
    const dryRun = values['dry-run'] === true;
    const client = await connectRegistry(values, io);
    let failed = false;
    for (const { kind, name } of targets) {
      const ref = objectRef(kind, name);
      try {
        if (dryRun) {
          const found = await client.get(kind, name);
          if (found === undefined) {
            io.stderr.write(`berth delete: ${ref} not found\n`);
            failed = true;
          } else io.stdout.write(`${ref} would be deleted (dry run)\n`);
          continue;
        }
        const { removed, object } = await client.delete(kind, name);
        if (removed) io.stdout.write(`${ref} deleted\n`);
        else io.stdout.write(`${ref} marked for deletion (waiting for finalizers: ${(object.metadata.finalizers ?? []).join(', ')})\n`);
      } catch (err) {
        const code = reportClientError(err, io, 'delete');
        if (code !== ExitCode.Failed) return code; // unreachable / refused: the rest would fail the same way
        failed = true;
      }
    }
    return failed ? ExitCode.Failed : ExitCode.Ok;
  },
};

export default command;
