/**
 * `berth export <manifest.yaml | ->`: prints the MCP Registry server.json (schema
 * 2025-12-11) for an MCPServer manifest. Notes about what server.json can't carry go to stderr.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { ExitCode, UsageError, type Command } from '../command.ts';
import { exportServerJson } from '../../manifest/server-json.ts';
import { API_VERSION } from '../../manifest/resource.ts';
import type { MCPServer } from '../../manifest/types.ts';

const usage = `Usage: berth export <manifest.yaml | ->

Prints the MCP Registry server.json (schema 2025-12-11) for the MCPServer in the file
(read from stdin with "-"). Manifests made by \`berth import\` give back the original
server.json; what server.json can't carry (owner, risk, tools, …) is listed on stderr.
Run \`berth validate\` first: export only checks what it needs.`;

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What is missing for export to work on `obj`, or undefined when it looks like an MCPServer. */
function whyNotServer(obj: Record<string, unknown>): string | undefined {
  const metadata = obj['metadata'];
  const spec = obj['spec'];
  if (obj['apiVersion'] !== API_VERSION) return `apiVersion must be ${API_VERSION}`;
  if (!isRecord(metadata) || typeof metadata['name'] !== 'string') return 'metadata.name is missing';
  if (!isRecord(spec) || !isRecord(spec['owner'])) return 'spec.owner is missing';
  const runtime = spec['runtime'];
  const remote = spec['remote'];
  if ((runtime === undefined) === (remote === undefined)) return 'spec must have exactly one of runtime and remote';
  if (runtime !== undefined && (!isRecord(runtime) || typeof runtime['image'] !== 'string' || typeof runtime['transport'] !== 'string')) return 'spec.runtime needs image and transport';
  if (remote !== undefined && (!isRecord(remote) || typeof remote['url'] !== 'string' || typeof remote['transport'] !== 'string')) return 'spec.remote needs url and transport';
  return undefined;
}

const command: Command = {
  name: 'export',
  summary: 'print the MCP Registry server.json for an MCPServer manifest',
  usage,
  async run(args, io) {
    const unknown = args.find((a) => a.startsWith('-') && a !== '-');
    if (unknown) throw new UsageError(`unknown option ${unknown}`);
    if (args.length !== 1) throw new UsageError(args.length === 0 ? 'missing the manifest file (or - for stdin)' : 'one manifest file at a time');
    const file = args[0]!;
    const label = file === '-' ? '<stdin>' : file;
    let text: string;
    try {
      text = file === '-' ? await readAll(io.stdin) : await readFile(resolve(io.cwd, file), 'utf8');
    } catch (err) {
      io.stderr.write(`berth export: cannot read ${label}: ${(err as Error).message}\n`);
      return ExitCode.Failed;
    }
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) {
      io.stderr.write(`berth export: ${label} is empty; it must hold one MCPServer manifest\n`);
      return ExitCode.Failed;
    }
    const servers: Array<Record<string, unknown>> = [];
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        const e = doc.errors[0]!;
        const at = e.linePos?.[0] ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
        io.stderr.write(`berth export: ${label}${at}: ${e.message.split('\n')[0]}\n`);
        return ExitCode.Failed;
      }
      const obj: unknown = doc.toJS({ maxAliasCount: 100 });
      if (isRecord(obj) && obj['kind'] === 'MCPServer') servers.push(obj);
    }
    if (servers.length !== 1) {
      io.stderr.write(`berth export: ${label} holds ${servers.length} MCPServer manifests; export needs exactly one (split the file)\n`);
      return ExitCode.Failed;
    }
    const server = servers[0]!;
    const why = whyNotServer(server);
    if (why) {
      io.stderr.write(`berth export: ${label}: ${why}; run \`berth validate ${label}\` for every problem\n`);
      return ExitCode.Failed;
    }
    const { serverJson, notes } = exportServerJson(server as unknown as MCPServer);
    for (const note of notes) io.stderr.write(`berth export: note: ${note}\n`);
    io.stdout.write(`${JSON.stringify(serverJson, null, 2)}\n`);
    return ExitCode.Ok;
  },
};

export default command;
