/**
 * `berth get [kind] [name] [-o table|wide|yaml|json|jsonpath=…] [-l selector] [--no-headers] [-w]`:
 * lists or shows objects from the registry; `-w` then prints a row per change
 * (get-watch.ts).
 */
import { stringify } from 'yaml';
import type { Kind, Resource } from '../../manifest/resource.ts';
import { effectiveStageOf } from '../../manifest/approval.ts';
import type { AccessPolicySpec, MCPServerSpec, MCPServerStatus } from '../../manifest/types.ts';
import { ExitCode, UsageError, type Command, type CommandIo } from '../command.ts';
import { compileJsonPath } from '../jsonpath.ts';
import { watchRows } from '../get-watch.ts';
import { fitRow, fitWidths, type TableWidths } from '../table-fit.ts';
import { age, ALL_KINDS, CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, formatTable, objectRef, parseFlags, reportClientError, requireKind } from '../config.ts';

const usage = `Usage: berth get [kind] [name] [-o table|wide|yaml|json|jsonpath=EXPR] [-l selector] [--no-headers] [-w]

Lists objects (all kinds when no kind is given) or shows one.
Kinds: mcpserver (server, mcp), accesspolicy (policy); singular or plural.

Options:
  -o, --output F     table (default), wide, yaml, json, or jsonpath=EXPR: a subset of
                     kubectl's JSONPath (.field, [N], [*] in braces), over the object, or
                     over {"items": [...]} for a list: -o jsonpath='{.items[*].metadata.name}'
  --no-headers       tables without the header line (and without the kind lines)
  -w, --watch        after the table, print a row each time an object changes (one kind;
                     Ctrl-C ends it)
  -l, --selector S   label selector, e.g. "berth.dev/source=servers,tier!=dev"
  --team T           only objects whose spec.owner.team is T
${CLIENT_FLAGS_USAGE}`;

type Output = 'table' | 'wide' | 'yaml' | 'json' | 'jsonpath';

/** A table as text, with or without its header line. */
function table(t: { header: string[]; rows: string[][] }, headers: boolean, layout?: TableWidths): string {
  const text = layout ? [t.header, ...t.rows].map((r) => `${fitRow(r, layout)}\n`).join('') : formatTable(t.header, t.rows);
  return headers ? text : text.slice(text.indexOf('\n') + 1);
}

/** The terminal's width when stdout is one (`-w` fits its rows to it: a wrapped row breaks the columns of all that follow); else undefined. */
function terminalWidth(stdout: CommandIo['stdout']): number | undefined {
  const tty = stdout as Partial<NodeJS.WriteStream>;
  return tty.isTTY === true && typeof tty.columns === 'number' && tty.columns > 0 ? tty.columns : undefined;
}

function readyOf(status: MCPServerStatus | undefined): string {
  return status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '-';
}

/** Table rows for MCPServers: NAME TEAM ENV LIFECYCLE (requested) PHASE READY ENDPOINT AGE (+ wide columns: EFFECTIVE stage, APPROVALS of the current spec, …). */
export function serverRows(items: Resource[], wide: boolean, now: Date): { header: string[]; rows: string[][] } {
  const header = ['NAME', 'TEAM', 'ENV', 'LIFECYCLE', 'PHASE', 'READY', 'ENDPOINT', 'AGE'];
  if (wide) header.push('EFFECTIVE', 'APPROVALS', 'RISK', 'GEN', 'OBSERVED', 'RUNTIME');
  const rows = items.map((o) => {
    const spec = o.spec as MCPServerSpec;
    const status = o.status as MCPServerStatus | undefined;
    const phase = o.metadata.deletionTimestamp ? 'Deleting' : (status?.phase ?? 'Pending');
    const row = [o.metadata.name, spec.owner?.team ?? '-', spec.environment ?? '-', spec.lifecycle ?? '-', phase, readyOf(status), status?.endpoint ?? '-', age(o.metadata.creationTimestamp, now)];
    if (wide) {
      const st = effectiveStageOf({ metadata: o.metadata, spec }, now);
      const approved = (o.metadata.approvals ?? []).filter((a) => a.decision === 'approved' && a.specHash.startsWith(st.spec8));
      row.push(st.effective, approved.length > 0 ? approved.map((a) => `${a.stage.replace('approved-', '')}:${a.by}`).join(',') : '-');
      row.push(spec.risk ?? '-', String(o.metadata.generation ?? '-'), String(status?.observedGeneration ?? '-'), spec.runtime ? spec.runtime.image : spec.remote ? `remote ${spec.remote.url}` : '-');
    }
    return row;
  });
  return { header, rows };
}

/** Table rows for AccessPolicies: NAME SUBJECTS ALLOW DENY AGE. */
export function policyRows(items: Resource[], wide: boolean, now: Date): { header: string[]; rows: string[][] } {
  const header = ['NAME', 'SUBJECTS', 'ALLOW', 'DENY', 'AGE'];
  if (wide) header.push('APPROVAL');
  const rows = items.map((o) => {
    const spec = o.spec as AccessPolicySpec;
    const subjects = (spec.subjects ?? []).map((s) => ('agent' in s ? `agent:${s.agent}` : `group:${s.group}`)).join(',');
    const row = [o.metadata.name, subjects || '-', (spec.allow ?? []).join(',') || '-', (spec.deny ?? []).join(',') || '-', age(o.metadata.creationTimestamp, now)];
    if (wide) row.push((spec.requireApproval ?? []).join(',') || '-');
    return row;
  });
  return { header, rows };
}

const command: Command = {
  name: 'get',
  summary: 'list objects or show one',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, {
      ...CLIENT_FLAGS,
      output: { type: 'string', short: 'o' },
      selector: { type: 'string', short: 'l' },
      team: { type: 'string' },
      'no-headers': { type: 'boolean' },
      watch: { type: 'boolean', short: 'w' },
    });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    const outputFlag = values.output ?? 'table';
    const jsonpath = outputFlag.startsWith('jsonpath=') ? compileJsonPath(outputFlag.slice('jsonpath='.length)) : undefined;
    const output = (jsonpath ? 'jsonpath' : outputFlag) as Output;
    if (!['table', 'wide', 'yaml', 'json', 'jsonpath'].includes(output)) throw new UsageError(`-o must be table, wide, yaml, json or jsonpath=EXPR (got "${values.output}")`);
    const headers = !values['no-headers'];
    if (values.watch && (output !== 'table' && output !== 'wide')) throw new UsageError('-w prints table rows; use it with -o table or -o wide');
    if (positionals.length > 2) throw new UsageError(`too many arguments; expected [kind] [name]`);
    const [kindArg, name] = positionals;
    const kinds: readonly Kind[] = kindArg ? [requireKind(kindArg)] : ALL_KINDS;
    if (values.watch && !kindArg) throw new UsageError('-w watches one kind: name it, e.g. `berth get servers -w`');
    if (name !== undefined && (values.selector || values.team)) throw new UsageError('-l and --team select many objects; leave out the name');
    const client = await connectRegistry(values, io);
    const now = new Date();
    // -w on a terminal: the table and the rows after it share one layout that fits the window.
    const width = values.watch ? terminalWidth(io.stdout) : undefined;
    let layout: TableWidths | undefined;
    const fitting = (): { layout?: TableWidths; maxWidth?: number } => ({ ...(layout ? { layout } : {}), ...(width !== undefined ? { maxWidth: width } : {}) });
    try {
      if (name !== undefined) {
        const obj = await client.get(kinds[0]!, name);
        if (!obj) {
          io.stderr.write(`berth get: ${objectRef(kinds[0]!, name)} not found\n`);
          return ExitCode.Failed;
        }
        if (output === 'json') io.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
        else if (output === 'yaml') io.stdout.write(stringify(obj));
        else if (jsonpath) io.stdout.write(`${jsonpath(obj)}\n`);
        else {
          const t = kinds[0] === 'MCPServer' ? serverRows([obj], output === 'wide', now) : policyRows([obj], output === 'wide', now);
          if (width !== undefined) layout = fitWidths(t.header, t.rows, width);
          io.stdout.write(table(t, headers, layout));
        }
        if (values.watch) return await watchRows(client, kinds[0]!, { name, wide: output === 'wide', from: Number(obj.metadata.resourceVersion ?? 0), ...fitting() }, io);
        return ExitCode.Ok;
      }
      const all: Resource[] = [];
      let printed = 0;
      let listedAt = 0;
      for (const kind of kinds) {
        const { items, resourceVersion } = await client.listAll(kind, {
          ...(values.selector ? { labelSelector: values.selector } : {}),
          ...(values.team ? { ownerTeam: values.team } : {}),
        });
        all.push(...items);
        listedAt = resourceVersion;
        if (output === 'table' || output === 'wide') {
          if (items.length === 0) continue;
          const t = kind === 'MCPServer' ? serverRows(items, output === 'wide', now) : policyRows(items, output === 'wide', now);
          if (printed > 0 && headers) io.stdout.write('\n');
          if (kinds.length > 1 && headers) io.stdout.write(`${kind}:\n`);
          if (width !== undefined) layout = fitWidths(t.header, t.rows, width);
          io.stdout.write(table(t, headers, layout));
          printed += 1;
        }
      }
      const list = { apiVersion: 'berth.dev/v1alpha1', kind: 'List', items: all };
      if (output === 'json') io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else if (output === 'yaml') io.stdout.write(all.map((o) => stringify(o)).join('---\n'));
      else if (jsonpath) io.stdout.write(`${jsonpath(list)}\n`);
      else if (printed === 0 && !values.watch) io.stderr.write('No objects found.\n');
      if (values.watch) {
        return await watchRows(
          client,
          kinds[0]!,
          {
            wide: output === 'wide',
            from: listedAt,
            ...fitting(),
            ...(values.selector ? { labelSelector: values.selector } : {}),
            ...(values.team ? { ownerTeam: values.team } : {}),
          },
          io,
        );
      }
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'get');
    }
  },
};

export default command;
