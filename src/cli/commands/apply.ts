/**
 * `berth apply -f <files | dirs | ->`: makes the registry hold these manifests.
 * Validates everything locally first (file:line:col problems; nothing is sent when
 * anything is invalid), then applies each object server-side and prints
 * created / configured / unchanged; with `--prune --source NAME` deletes objects of
 * that source that are no longer in the input, within safety limits.
 */
import PQueue from 'p-queue';
import { formatProblem, validateDocuments } from '../../manifest/index.ts';
import type { Kind } from '../../manifest/resource.ts';
import type { AnyResource } from '../../manifest/types.ts';
import { RegistryUnreachableError, UnauthorizedError } from '../../client/errors.ts';
import type { RegistryClient } from '../../client/registry-client.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { ALL_KINDS, CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, objectRef, parseFlags, reportClientError } from '../config.ts';
import { loadManifestInput, requireManifestFlags } from '../manifest-input.ts';

/** Label that records which source (repository, folder) an object was applied from. */
export const SOURCE_LABEL = 'berth.dev/source';
const LABEL_VALUE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Default most objects one apply may prune without --force. */
export const DEFAULT_MAX_PRUNE = 10;

const usage = `Usage: berth apply -f <file | dir | -> [-f …] [--dry-run] [--source NAME] [--prune [--force] [--max-prune N]]

Creates or updates the objects in the manifests and prints, per object,
created, configured or unchanged. Manifests are validated locally first: if any
is invalid, the problems are printed and nothing is sent.

Options:
  -f, --filename P   manifest file, folder (searched for .yaml/.yml) or "-" for stdin; repeatable
  --dry-run          validate and show what would happen; change nothing
  --source NAME      label every object ${SOURCE_LABEL}=NAME (e.g. the Git repository)
  --prune            delete objects labelled with --source NAME that are not in the input
  --force            allow a prune that deletes every object of the source or more than --max-prune
  --max-prune N      most objects one prune may delete without --force (default ${DEFAULT_MAX_PRUNE})
  --concurrency N    requests in flight (default 8)
${CLIENT_FLAGS_USAGE}

Exit status: 0 applied, 1 invalid manifests or a failed object, 2 usage, 3 registry unreachable or token refused.`;

/**
 * Loads and validates manifests as `validate` does; prints every problem to stderr.
 * @returns the objects (labelled with `source` when given), or undefined when any problem was found
 */
export async function loadValidManifests(paths: string[], io: CommandIo, command: string, source?: string): Promise<AnyResource[] | undefined> {
  const loaded = await loadManifestInput(paths, io);
  // Addresses in spec.remote.url are the registry's to judge: it holds the operator's --allow-remote.
  const problems = [...loaded.problems, ...validateDocuments(loaded.documents, { remoteAddresses: false })];
  if (problems.length > 0) {
    for (const p of problems) io.stderr.write(`${formatProblem(p)}\n`);
    io.stderr.write(`berth ${command}: ${problems.length} problem${problems.length === 1 ? '' : 's'} found; nothing was sent to the registry\n`);
    return undefined;
  }
  return loaded.documents.map((d) => {
    const obj = structuredClone(d.object) as AnyResource; // valid by the schemas, so one of the kinds
    if (source !== undefined) obj.metadata.labels = { ...obj.metadata.labels, [SOURCE_LABEL]: source };
    return obj;
  });
}

function checkSource(source: string | undefined): void {
  if (source !== undefined && !LABEL_VALUE.test(source)) {
    throw new UsageError(`--source must be a label value: letters, digits, '-', '_' and '.', at most 63 characters (got "${source}")`);
  }
}

/**
 * Objects labelled with `source` that are not among `keep`, per kind — of those
 * the caller may prune: an admin all, anyone else only its team's (the registry
 * refuses the rest). Objects of other teams carrying the label are counted in
 * `foreign` and left alone, so another team cannot break this prune by labelling
 * its objects with this source.
 */
export async function pruneCandidates(client: RegistryClient, source: string, keep: AnyResource[]): Promise<{ existing: number; candidates: AnyResource[]; foreign: number }> {
  const wanted = new Set(keep.map((o) => `${o.kind}/${o.metadata.name}`));
  const me = await client.whoami();
  const mine = (o: AnyResource): boolean => me.role === 'admin' || (me.team !== undefined && o.kind === 'MCPServer' && o.spec.owner.team === me.team);
  let existing = 0;
  let foreign = 0;
  const candidates: AnyResource[] = [];
  for (const kind of ALL_KINDS) {
    const { items } = await client.listAll(kind as Kind, { labelSelector: `${SOURCE_LABEL}=${source}` });
    for (const o of items) {
      if (!mine(o)) {
        foreign += 1;
        continue;
      }
      existing += 1;
      if (!wanted.has(`${o.kind}/${o.metadata.name}`) && o.metadata.deletionTimestamp === undefined) candidates.push(o);
    }
  }
  return { existing, candidates, foreign };
}

const command: Command = {
  name: 'apply',
  summary: 'create or update objects from manifests (GitOps), optionally pruning',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      filename: { type: 'string', short: 'f', multiple: true },
      'dry-run': { type: 'boolean' },
      source: { type: 'string' },
      prune: { type: 'boolean' },
      force: { type: 'boolean' },
      'max-prune': { type: 'string' },
      concurrency: { type: 'string' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    const paths = requireManifestFlags(values.filename, positionals);
    if (values.prune && !values.source) throw new UsageError('--prune needs --source NAME: only objects applied with that source are pruned');
    checkSource(values.source);
    const maxPrune = Number(values['max-prune'] ?? DEFAULT_MAX_PRUNE);
    if (!Number.isInteger(maxPrune) || maxPrune < 0) throw new UsageError(`--max-prune must be a whole number (got "${values['max-prune']}")`);
    const concurrency = Number(values.concurrency ?? 8);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be 1–64');
    const dryRun = values['dry-run'] ?? false;
    const suffix = dryRun ? ' (dry run)' : '';

    const objects = await loadValidManifests(paths, io, 'apply', values.source);
    if (!objects) return ExitCode.Failed;

    const client = await connectRegistry(values, io);
    try {
      // Decide the prune before changing anything, so a refused prune leaves the registry as it was.
      let prune: AnyResource[] = [];
      if (values.prune && values.source) {
        const { existing, candidates, foreign } = await pruneCandidates(client, values.source, objects);
        if (foreign > 0) io.stderr.write(`berth apply: leaving ${foreign} objects labelled with source "${values.source}" alone: they belong to other teams, and prune acts only on your team's objects\n`);
        if (!values.force && candidates.length > 0 && candidates.length === existing) {
          io.stderr.write(`berth apply: refusing to prune all ${existing} objects of source "${values.source}" (the input has none of them); check -f, or add --force\n`);
          return ExitCode.Failed;
        }
        if (!values.force && candidates.length > maxPrune) {
          io.stderr.write(`berth apply: refusing to prune ${candidates.length} objects of source "${values.source}" (more than --max-prune ${maxPrune}); add --force if that is intended\n`);
          return ExitCode.Failed;
        }
        prune = candidates;
      }

      const queue = new PQueue({ concurrency });
      let failed = 0;
      const outcomes = objects.map((obj) =>
        queue.add(async () => {
          try {
            return { obj, result: (await client.apply(obj, { dryRun })).result as string };
          } catch (err) {
            if (err instanceof RegistryUnreachableError || err instanceof UnauthorizedError) throw err;
            return { obj, error: err };
          }
        }),
      );
      // A fatal error (unreachable, token refused) surfaces from the first await; keep the rest from going unhandled.
      for (const p of outcomes) p.catch(() => queue.clear());
      // Print in input order as results arrive.
      for (const pending of outcomes) {
        const outcome = await pending;
        if ('error' in outcome) {
          failed += 1;
          io.stderr.write(`${objectRef(outcome.obj.kind, outcome.obj.metadata.name)} failed\n`);
          reportClientError(outcome.error, io, 'apply');
        } else {
          io.stdout.write(`${objectRef(outcome.obj.kind, outcome.obj.metadata.name)} ${outcome.result}${suffix}\n`);
        }
      }
      if (failed > 0) {
        io.stderr.write(`berth apply: ${failed} of ${objects.length} objects failed${prune.length > 0 ? '; nothing was pruned' : ''}\n`);
        return ExitCode.Failed;
      }
      for (const obj of prune) {
        if (!dryRun) await client.delete(obj.kind, obj.metadata.name, { reason: 'prune' });
        io.stdout.write(`${objectRef(obj.kind, obj.metadata.name)} pruned${suffix}\n`);
      }
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'apply');
    }
  },
};

export default command;
