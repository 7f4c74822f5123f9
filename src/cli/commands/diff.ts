/**
 * `berth diff -f <files | dirs | ->`: what `berth apply` would change, as a unified
 * YAML diff of the user's fields (labels, annotations, spec with defaults applied)
 * between the registry and the manifests. Exit 1 when there are differences, like
 * `kubectl diff`.
 */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import { applyDefaults, type AnyResource } from '../../manifest/index.ts';
import type { Resource } from '../../manifest/resource.ts';
import { appliedAnnotations } from '../../manifest/restart.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, objectRef, parseFlags, reportClientError } from '../config.ts';
import { requireManifestFlags } from '../manifest-input.ts';
import { loadValidManifests, pruneCandidates, SOURCE_LABEL } from './apply.ts';

const usage = `Usage: berth diff -f <file | dir | -> [-f …] [--source NAME [--prune]]

Shows, as a unified diff of YAML, what \`berth apply\` with the same arguments would
change in the registry: new objects, changed labels, annotations and spec (with
defaults applied, as the registry stores them), and with --prune the objects that
would be deleted. Status and registry-owned metadata are not compared.

Options:
  -f, --filename P   manifest file, folder or "-"; repeatable
  --source NAME      as for apply: objects are labelled ${SOURCE_LABEL}=NAME
  --prune            also show objects of --source that apply --prune would delete
${CLIENT_FLAGS_USAGE}

Exit status: 0 no differences, 1 differences (or invalid manifests), 2 usage, 3 registry unreachable.`;

/** The part of an object apply owns, as YAML: apiVersion, kind, name, labels, annotations, spec. */
export function comparableYaml(obj: Resource | undefined): string {
  if (!obj) return '';
  const meta: Record<string, unknown> = { name: obj.metadata.name };
  if (obj.metadata.labels && Object.keys(obj.metadata.labels).length > 0) meta.labels = sortKeys(obj.metadata.labels);
  if (obj.metadata.annotations && Object.keys(obj.metadata.annotations).length > 0) meta.annotations = sortKeys(obj.metadata.annotations);
  return stringify({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: meta, spec: obj.spec }, { sortMapEntries: false });
}

function sortKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const command: Command = {
  name: 'diff',
  summary: 'show what apply would change (exit 1 when something would)',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      filename: { type: 'string', short: 'f', multiple: true },
      source: { type: 'string' },
      prune: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    const paths = requireManifestFlags(values.filename, positionals);
    if (values.prune && !values.source) throw new UsageError('--prune needs --source NAME');

    const objects = await loadValidManifests(paths, io, 'diff', values.source);
    if (!objects) return ExitCode.Failed;
    const client = await connectRegistry(values, io);
    let differences = 0;
    try {
      for (const obj of objects) {
        const live = await client.get(obj.kind, obj.metadata.name);
        // The registry stores objects with defaults applied; compare like with like.
        const merged = applyDefaults(structuredClone(obj) as AnyResource) as Resource;
        // As apply does: a stored restart marker the manifest does not name stays.
        const annotations = appliedAnnotations(live?.metadata.annotations, merged.metadata.annotations);
        if (annotations !== undefined) merged.metadata.annotations = annotations;
        const before = comparableYaml(live);
        const after = comparableYaml(merged);
        if (before === after) continue;
        differences += 1;
        const ref = objectRef(obj.kind, obj.metadata.name);
        io.stdout.write(createTwoFilesPatch(live ? `live/${ref}` : '/dev/null', `merged/${ref}`, before, after, undefined, undefined, { context: 3 }));
      }
      if (values.prune && values.source) {
        const { candidates } = await pruneCandidates(client, values.source, objects);
        for (const gone of candidates) {
          differences += 1;
          const ref = objectRef(gone.kind, gone.metadata.name);
          io.stdout.write(createTwoFilesPatch(`live/${ref}`, '/dev/null', comparableYaml(gone), '', undefined, undefined, { context: 3 }));
        }
      }
    } catch (err) {
      return reportClientError(err, io, 'diff');
    }
    return differences > 0 ? ExitCode.Failed : ExitCode.Ok;
  },
};

export default command;
