/**
 * `berth validate <files | dirs | ->`: checks manifests locally, with file:line:col
 * for every problem, without contacting a registry.
 */
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { formatProblem, validateDocuments, type Problem } from '../../manifest/index.ts';
import { loadManifestInput } from '../manifest-input.ts';
import { RemoteAddressRule } from '../../manifest/remote-address.ts';
import { allowRemoteFromFlags } from '../remote-address-flags.ts';

const usage = `Usage: berth validate [-o text|json] <file | dir | -> ...

Checks MCPServer and AccessPolicy manifests against Berth's schemas and rules
(unique names, routes, Fargate sizes, no literal secrets, …) without contacting
a registry. Folders are searched for .yaml/.yml files; "-" reads standard input.

Options:
  -o, --output text|json   text (default): one line per problem, then a summary
                           json: one JSON document for machines
  --allow-remote A         a CIDR, address or host name spec.remote.url may point at although it is
                           loopback, link-local or a metadata address (repeatable); as the registry's
                           --allow-remote, which is what berth apply is held to
  -h, --help               show this help

Exit status: 0 all valid, 1 problems found, 2 usage error.`;

interface Options {
  paths: string[];
  allowRemote: string[];
  output: 'text' | 'json';
  help: boolean;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = { paths: [], allowRemote: [], output: 'text', help: false };
  let flagsDone = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (flagsDone || arg === '-' || !arg.startsWith('-')) {
      options.paths.push(arg);
    } else if (arg === '--') {
      flagsDone = true;
    } else if (arg === '--allow-remote' || arg.startsWith('--allow-remote=')) {
      const value = arg.startsWith('--allow-remote=') ? arg.slice('--allow-remote='.length) : args[++i];
      if (value === undefined) throw new UsageError('--allow-remote needs a CIDR, an address or a host name');
      options.allowRemote.push(...allowRemoteFromFlags({ 'allow-remote': [value] }));
    } else if (arg === '-h' || arg === '--help') {
      options.help = true;
    } else if (arg === '-o' || arg === '--output' || arg.startsWith('--output=') || (arg.startsWith('-o') && arg.length > 2)) {
      const value = arg.startsWith('--output=') ? arg.slice('--output='.length) : arg.startsWith('-o') && arg.length > 2 ? arg.slice(2).replace(/^=/, '') : args[++i];
      if (value !== 'text' && value !== 'json') throw new UsageError(`${arg.split('=')[0]} must be "text" or "json"${value === undefined ? '' : ` (got "${value}")`}`);
      options.output = value;
    } else {
      throw new UsageError(`unknown flag "${arg}"`);
    }
  }
  return options;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `berth validate`: exit 0 when every manifest is valid, 1 when any is not, 2 on usage errors. */
const command: Command = {
  name: 'validate',
  summary: 'check manifests against the schemas and rules, offline',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const options = parseArgs(args);
    if (options.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    if (options.paths.length === 0) throw new UsageError('give at least one file, folder, or "-" for standard input');
    if (options.paths.filter((p) => p === '-').length > 1) throw new UsageError('"-" (standard input) may be given only once');

    const loaded = await loadManifestInput(options.paths, io);
    const fileOrder = new Map(loaded.files.map((f, i) => [f, i]));
    const problems = [...loaded.problems, ...validateDocuments(loaded.documents, { remoteAddresses: new RemoteAddressRule({ allow: options.allowRemote }) })].sort((a, b) => compareProblems(a, b, fileOrder));

    if (options.output === 'json') {
      const report = {
        valid: problems.length === 0,
        files: loaded.files.length,
        objects: loaded.documents.length,
        problems: problems.map((p) => ({
          file: p.position?.file ?? null,
          line: p.position?.line ?? null,
          column: p.position?.column ?? null,
          object: p.object ?? null,
          path: p.path,
          message: p.message,
          code: p.code,
        })),
      };
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const p of problems) io.stdout.write(`${formatProblem(p)}\n`);
      io.stdout.write(`${plural(loaded.files.length, 'file')}, ${plural(loaded.documents.length, 'object')}, ${plural(problems.length, 'problem')}\n`);
    }
    return problems.length === 0 ? ExitCode.Ok : ExitCode.Failed;
  },
};

function compareProblems(a: Problem, b: Problem, fileOrder: Map<string, number>): number {
  const fa = fileOrder.get(a.position?.file ?? '') ?? Infinity;
  const fb = fileOrder.get(b.position?.file ?? '') ?? Infinity;
  if (fa !== fb) return fa - fb;
  return (a.position?.line ?? 0) - (b.position?.line ?? 0) || (a.position?.column ?? 0) - (b.position?.column ?? 0);
}

export default command;
