/**
 * `berth import <server.json | ->`: prints the MCPServer manifest for an MCP Registry
 * server.json. The notes (placeholders to fill, fields Berth can't hold) go to stderr
 * and, for YAML output, into comments at the top of the manifest.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Document } from 'yaml';
import { ExitCode, UsageError, type Command } from '../command.ts';
import { environmentFlag } from '../config.ts';
import { importServerJson, ServerJsonError, type ImportOptions } from '../../manifest/server-json.ts';


const usage = `Usage: berth import <server.json | -> [--team <team>] [--environment dev|staging|production] [-o yaml|json]

Prints the MCPServer manifest for an MCP Registry server.json (schema 2025-12-11).
Read from stdin with "-". Notes about what to fill in go to stderr and, in YAML,
into comments at the top. The manifest starts as lifecycle "draft" and risk "high".

Options:
  --team <team>          owning team (default "unassigned")
  --environment <env>    dev, staging or production (default dev)
  -o, --output <format>  yaml (default) or json`;

interface ImportArgs {
  file: string;
  options: ImportOptions;
  output: 'yaml' | 'json';
}

function parseArgs(args: string[]): ImportArgs {
  let file: string | undefined;
  const options: ImportOptions = {};
  let output: 'yaml' | 'json' = 'yaml';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--team') options.team = value();
    else if (flag === '--environment') {
      options.environment = environmentFlag(value());
    } else if (flag === '-o' || flag === '--output') {
      const out = value();
      if (out !== 'yaml' && out !== 'json') throw new UsageError(`${flag} must be yaml or json (got "${out}")`);
      output = out;
    } else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
    else if (file !== undefined) throw new UsageError(`one server.json at a time (got "${file}" and "${arg}")`);
    else file = arg;
  }
  if (file === undefined) throw new UsageError('missing the server.json file (or - for stdin)');
  return { file, options, output };
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const command: Command = {
  name: 'import',
  summary: 'print an MCPServer manifest for an MCP Registry server.json',
  usage,
  async run(args, io) {
    const { file, options, output } = parseArgs(args);
    const label = file === '-' ? '<stdin>' : file;
    let text: string;
    try {
      text = file === '-' ? await readAll(io.stdin) : await readFile(resolve(io.cwd, file), 'utf8');
    } catch (err) {
      io.stderr.write(`berth import: cannot read ${label}: ${(err as Error).message}\n`);
      return ExitCode.Failed;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      io.stderr.write(`berth import: ${label} is not valid JSON: ${(err as Error).message}\n`);
      return ExitCode.Failed;
    }
    let result;
    try {
      result = importServerJson(doc, options);
    } catch (err) {
      if (!(err instanceof ServerJsonError)) throw err;
      io.stderr.write(`berth import: ${label} is ${err.message}\n`);
      return ExitCode.Failed;
    }
    const { manifest, notes } = result;
    for (const note of notes) io.stderr.write(`berth import: note: ${note}\n`);
    if (output === 'json') {
      io.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
      return ExitCode.Ok;
    }
    const yaml = new Document(manifest);
    yaml.commentBefore = [` Imported from ${label} by \`berth import\`. Check these notes before applying:`, ...notes.map((n) => ` - ${n}`)].join('\n');
    io.stdout.write(yaml.toString({ lineWidth: 0 }));
    return ExitCode.Ok;
  },
};

export default command;
