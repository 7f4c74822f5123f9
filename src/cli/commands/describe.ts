/**
 * `berth describe <kind> <name>`: one object for a person — spec summary, status,
 * what the runtime reported (status.runtime: ARNs, rollout, target health, last
 * AWS error), conditions, and its recent audit entries.
 */
import type { Resource } from '../../manifest/resource.ts';
import { effectiveStageOf } from '../../manifest/approval.ts';
import type { AccessPolicySpec, MCPServerSpec, MCPServerStatus } from '../../manifest/types.ts';
import { ForbiddenError } from '../../client/errors.ts';
import { ExitCode, type Command, type CommandIo } from '../command.ts';
import { age, CLIENT_FLAGS, CLIENT_FLAGS_USAGE, connectRegistry, formatTable, objectRef, parseFlags, reportClientError, requireKindAndName } from '../config.ts';
import { describeRuntime } from '../describe-runtime.ts';
import { AUDIT_HEADER, auditRows } from './audit.ts';

const usage = `Usage: berth describe <kind> <name>

Shows one object: metadata, a summary of its spec, its status and conditions, and
the latest audit entries about it.

Options:
${CLIENT_FLAGS_USAGE}`;

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

function kv(pairs: [string, string | number | undefined][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join('');
}

function map(m: Record<string, string> | undefined): string {
  return m && Object.keys(m).length > 0 ? Object.entries(m).map(([k, v]) => `${k}=${v}`).join(', ') : '<none>';
}

function serverSummary(spec: MCPServerSpec): string {
  const runtime = spec.runtime
    ? `${spec.runtime.image} (${spec.runtime.transport}, ${spec.runtime.cpu ?? '-'} cpu / ${spec.runtime.memory ?? '-'} MiB, ${spec.runtime.replicas ?? 1} replica(s))`
    : spec.remote
      ? `remote ${spec.remote.url} (${spec.remote.transport})`
      : '-';
  let out = kv([
    ['Description', spec.description],
    ['Team', `${spec.owner?.team ?? '-'}${spec.owner?.contact ? ` (${spec.owner.contact})` : ''}`],
    ['Environment', spec.environment],
    ['Lifecycle', spec.lifecycle],
    ['Risk', spec.risk],
    ['Data', `${spec.dataClassification}${spec.dataCategories?.length ? ` (${spec.dataCategories.join(', ')})` : ''}`],
    ['Version', spec.version],
    ['Runtime', runtime],
    ['Route', `${spec.routing?.path ?? '-'}${spec.routing?.host ? ` on ${spec.routing.host}` : ''}`],
    ['Deprecation', spec.deprecation ? `${spec.deprecation.date}${spec.deprecation.replacement ? ` → ${spec.deprecation.replacement}` : ''}` : undefined],
  ]);
  if (spec.tools?.length) {
    out += `Tools:\n${formatTable(['  NAME', 'SCOPES', 'APPROVAL'], spec.tools.map((t) => [`  ${t.name}`, t.scopes.join(',') || '-', t.approval ?? 'none']))}`;
  }
  return out;
}

function policySummary(spec: AccessPolicySpec): string {
  return kv([
    ['Description', spec.description],
    ['Subjects', spec.subjects.map((s) => ('agent' in s ? `agent:${s.agent}` : `group:${s.group}`)).join(', ')],
    ['Allow', spec.allow.join(', ') || '-'],
    ['Needs approval', spec.requireApproval?.join(', ')],
    ['Deny', spec.deny?.join(', ')],
  ]);
}

/** Requested vs effective stage, the spec hash an approval must name, and every recorded decision. */
function approvalSection(obj: Resource, now: Date): string {
  const spec = obj.spec as MCPServerSpec;
  const st = effectiveStageOf({ metadata: obj.metadata, spec }, now);
  let out = `\nLifecycle:\n${indent(kv([
    ['Requested', st.requested],
    ['Effective', st.effective],
    ['Approved for', st.approvedFor],
    ['Spec hash', st.spec8],
    ['Missing', st.missing ? `${st.missing.reason} (berth approve server ${obj.metadata.name} --stage ${st.missing.stage})` : undefined],
  ]))}`;
  const approvals = obj.metadata.approvals ?? [];
  out += 'Approvals:\n';
  out += approvals.length === 0
    ? '  <none>\n'
    : formatTable(
        ['  STAGE', 'DECISION', 'BY', 'ROLE', 'SPEC', 'AGE', 'NOTE'],
        approvals.map((a) => [`  ${a.stage}`, a.decision, a.by, a.role, a.specHash.startsWith(st.spec8) ? st.spec8 : `${a.specHash.slice(0, 8)} (earlier spec)`, age(a.at, now), a.note ?? '-']),
      );
  return out;
}

/** The describe text of `obj` (without the audit section). */
export function describeObject(obj: Resource, now: Date): string {
  let out = kv([
    ['Name', obj.metadata.name],
    ['Kind', obj.kind],
    ['Labels', map(obj.metadata.labels)],
    ['Annotations', map(obj.metadata.annotations)],
    ['Generation', obj.metadata.generation],
    ['Resource version', obj.metadata.resourceVersion],
    ['Created', `${obj.metadata.creationTimestamp ?? '-'} (${age(obj.metadata.creationTimestamp, now)} ago)`],
    ['Deleting since', obj.metadata.deletionTimestamp],
    ['Finalizers', obj.metadata.finalizers?.length ? obj.metadata.finalizers.join(', ') : undefined],
  ]);
  out += `\nSpec:\n${indent(obj.kind === 'MCPServer' ? serverSummary(obj.spec as MCPServerSpec) : policySummary(obj.spec as AccessPolicySpec))}`;
  if (obj.kind === 'MCPServer') out += approvalSection(obj, now);
  if (obj.kind === 'MCPServer') {
    const status = (obj.status ?? {}) as MCPServerStatus;
    out += `\nStatus:\n${indent(kv([
      ['Phase', status.phase ?? 'Pending'],
      ['Observed generation', status.observedGeneration],
      ['Endpoint', status.endpoint],
      ['Health', status.health ? `${status.health.status}${status.health.message ? ` — ${status.health.message}` : ''}` : undefined],
      ['Discovered tools', status.tools?.map((t) => t.name).join(', ')],
    ]))}`;
    const runtime = describeRuntime(status.runtime);
    if (runtime !== undefined) out += `\nRuntime:\n${indent(runtime)}`;
    const conditions = status.conditions ?? [];
    out += `\nConditions:\n`;
    out += conditions.length === 0
      ? '  <none>\n'
      : formatTable(['  TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], conditions.map((c) => [`  ${c.type}`, c.status, c.reason, age(c.lastTransitionTime, now), c.message]));
  }
  return out;
}

const command: Command = {
  name: 'describe',
  summary: 'show one object in detail, with conditions and recent audit',
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS });
    if (values.help) {
      io.stdout.write(`${usage}\n`);
      return ExitCode.Ok;
    }
    const { kind, name } = requireKindAndName(positionals, 'describe');
    const client = await connectRegistry(values, io);
    try {
      const obj = await client.get(kind, name);
      if (!obj) {
        io.stderr.write(`berth describe: ${objectRef(kind, name)} not found\n`);
        return ExitCode.Failed;
      }
      io.stdout.write(describeObject(obj, new Date()));
      io.stdout.write('\nRecent changes:\n');
      try {
        const entries = await client.queryAudit({ kind, name, limit: 10 });
        io.stdout.write(entries.length === 0 ? '  <none>\n' : formatTable([`  ${AUDIT_HEADER[0]}`, ...AUDIT_HEADER.slice(1)], auditRows(entries).map((r) => [`  ${r[0]}`, ...r.slice(1)])));
      } catch (err) {
        if (!(err instanceof ForbiddenError)) throw err;
        io.stdout.write('  (this token may not read the audit log)\n');
      }
      return ExitCode.Ok;
    } catch (err) {
      return reportClientError(err, io, 'describe');
    }
  },
};

export default command;
