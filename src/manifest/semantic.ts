/**
 * Checks a JSON Schema cannot express. They run on the object after defaults and
 * look only at fields of the right type, so a schema error is never reported twice.
 */
import { describeMemoryFor, FARGATE_MEMORY, isValidFargatePair, smallestCpuFor } from './fargate.ts';
import { formatPath, type Finding } from './finding.ts';
import type { RemoteAddressRule } from './remote-address.ts';
import { reservedRouteReason, routeLengthReason, serverRoute } from './route.ts';
import { argSecretReasons, literalSecretReason, urlSecretReason } from './secret-lint.ts';
import { managedHeaderReason } from './upstream-headers.ts';
import type { PathSegment } from './yaml-source.ts';

type Rec = Record<string, unknown>;

/**
 * Problems within one object. `defaulted` is the object after `applyDefaults`;
 * `written` is what the user wrote (to say "default" where a value was not written).
 */
export function objectFindings(defaulted: unknown, written: unknown): Finding[] {
  if (!isRec(defaulted) || defaulted['kind'] !== 'MCPServer' || !isRec(defaulted['spec'])) return [];
  const spec = defaulted['spec'];
  const writtenSpec = isRec(written) && isRec(written['spec']) ? written['spec'] : {};
  return [
    ...lifecycleFindings(spec),
    ...runtimeFindings(spec, isRec(writtenSpec['runtime']) ? writtenSpec['runtime'] : {}),
    ...remoteFindings(spec),
    ...legacySseFindings(spec),
    ...reservedRouteFindings(defaulted, spec),
    ...toolFindings(spec),
    ...accessFindings(spec),
  ];
}

function lifecycleFindings(spec: Rec): Finding[] {
  const out: Finding[] = [];
  if (spec['environment'] === 'production' && spec['lifecycle'] === 'draft') {
    out.push({
      path: ['spec', 'lifecycle'],
      target: 'value',
      code: 'production-draft',
      message: 'a production server cannot be a draft; move it through submitted → security-review → approved-production, or use environment dev',
    });
  }
  if (spec['lifecycle'] === 'deprecated' && spec['deprecation'] === undefined) {
    out.push({
      path: ['spec', 'lifecycle'],
      target: 'value',
      code: 'deprecation-date',
      message: 'a deprecated server needs spec.deprecation.date (YYYY-MM-DD) saying when it goes away, and ideally deprecation.replacement',
    });
  }
  return out;
}

function runtimeFindings(spec: Rec, written: Rec): Finding[] {
  const runtime = spec['runtime'];
  if (!isRec(runtime)) return [];
  const out: Finding[] = [];
  const base: PathSegment[] = ['spec', 'runtime'];

  const { cpu, memory } = runtime;
  if (typeof cpu === 'number' && typeof memory === 'number' && cpu in FARGATE_MEMORY && !isValidFargatePair(cpu, memory)) {
    const cpuWritten = written['cpu'] !== undefined;
    const fitting = smallestCpuFor(memory);
    out.push({
      path: [...base, written['memory'] !== undefined ? 'memory' : 'cpu'],
      target: 'value',
      code: 'fargate-size',
      message:
        `Fargate does not offer ${memory} MiB with ${cpu} CPU units${cpuWritten ? '' : ' (the default)'}; ` +
        `with cpu ${cpu} memory must be ${describeMemoryFor(cpu)}` +
        (fitting !== undefined ? `, or set cpu: ${fitting} for ${memory} MiB` : ''),
    });
  }

  const health = runtime['healthCheck'];
  if (isRec(health) && typeof health['timeoutSeconds'] === 'number' && typeof health['intervalSeconds'] === 'number') {
    if (health['timeoutSeconds'] >= health['intervalSeconds']) {
      out.push({
        path: [...base, 'healthCheck', 'timeoutSeconds'],
        target: 'value',
        code: 'health-timeout',
        message: `must be less than intervalSeconds (${health['intervalSeconds']}); a check cannot outlast the gap between checks`,
      });
    }
  }

  out.push(...envSecretFindings(runtime['env'], [...base, 'env']));
  const local = runtime['local'];
  if (isRec(local)) {
    out.push(...envSecretFindings(local['env'], [...base, 'local', 'env']));
    out.push(...argSecretFindings(local['command'], [...base, 'local', 'command']));
    out.push(...argSecretFindings(local['args'], [...base, 'local', 'args']));
  }
  out.push(...argSecretFindings(runtime['args'], [...base, 'args']));
  out.push(...argSecretFindings(runtime['command'], [...base, 'command']));

  const secrets = Array.isArray(runtime['secrets']) ? runtime['secrets'] : [];
  const env = isRec(runtime['env']) ? runtime['env'] : {};
  out.push(...duplicateNameFindings(secrets, [...base, 'secrets'], 'secret'));
  secrets.forEach((s, i) => {
    if (isRec(s) && typeof s['name'] === 'string' && s['name'] in env) {
      out.push({
        path: [...base, 'secrets', i, 'name'],
        target: 'value',
        code: 'secret-env-clash',
        message: `"${s['name']}" is also set in env; a variable comes from env or from secrets, not both`,
      });
    }
  });
  return out;
}

function envSecretFindings(env: unknown, path: PathSegment[]): Finding[] {
  if (!isRec(env)) return [];
  const out: Finding[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string') continue;
    const reason = literalSecretReason(name, value);
    if (reason) {
      out.push({
        path: [...path, name],
        target: 'value',
        code: 'literal-secret',
        message: `looks like a literal secret (${reason}); never commit secrets — use secrets: [{ name: ${name}, valueFrom: <Secrets Manager or SSM ARN> }]`,
      });
    }
  }
  return out;
}

function argSecretFindings(args: unknown, path: PathSegment[]): Finding[] {
  const single = typeof args === 'string'; // runtime.local.command is one word
  const words = single ? [args] : args;
  if (!Array.isArray(words)) return [];
  return [...argSecretReasons(words)].map(([i, reason]) => ({
    path: single ? path : [...path, i],
    target: 'value' as const,
    code: 'literal-secret',
    message: `looks like a literal secret on the command line (${reason}); never commit secrets — put it in secrets: [{ name, valueFrom: <ARN> }] and have the server read it from the environment (or a --*-file flag)`,
  }));
}

/** `spec.remote.url` with a password or a secret query parameter: credentials go in headers filled from references. */
function remoteUrlSecretFindings(spec: Rec): Finding[] {
  const remote = spec['remote'];
  if (!isRec(remote) || typeof remote['url'] !== 'string') return [];
  const reason = urlSecretReason(remote['url']);
  if (!reason) return [];
  return [
    {
      path: ['spec', 'remote', 'url'],
      target: 'value',
      code: 'literal-secret',
      message: `looks like a literal secret (${reason}); never commit secrets — send credentials with headers: [{ name: Authorization, valueFrom: <ARN, env:BERTH_SECRET_* or file:> }]`,
    },
  ];
}

/**
 * `spec.remote.url` naming, in any spelling, an address the remote-address rule
 * refuses (loopback, link-local, metadata, this host's own listeners). Host names
 * are checked again after resolution, where the connection is made.
 */
export function remoteAddressFindings(server: unknown, rule: RemoteAddressRule): Finding[] {
  if (!isRec(server) || server['kind'] !== 'MCPServer' || !isRec(server['spec'])) return [];
  const remote = server['spec']['remote'];
  if (!isRec(remote) || typeof remote['url'] !== 'string') return [];
  const refusal = rule.refuseUrl(remote['url']);
  return refusal ? [{ path: ['spec', 'remote', 'url'], target: 'value', code: `remote-${refusal.rule}`, message: refusal.message }] : [];
}

function remoteFindings(spec: Rec): Finding[] {
  return [...remoteUrlSecretFindings(spec), ...upstreamHeaderFindings(spec, 'remote'), ...upstreamHeaderFindings(spec, 'runtime')];
}

/** `spec.<part>.headers`: each name once (any case), and none the gateway manages itself. */
function upstreamHeaderFindings(spec: Rec, part: 'remote' | 'runtime'): Finding[] {
  const section = spec[part];
  if (!isRec(section) || !Array.isArray(section['headers'])) return [];
  const headers: unknown[] = section['headers'];
  const path: PathSegment[] = ['spec', part, 'headers'];
  const out = duplicateNameFindings(headers, path, 'header', true);
  headers.forEach((h, i) => {
    const reason = isRec(h) && typeof h['name'] === 'string' ? managedHeaderReason(h['name']) : undefined;
    if (reason !== undefined) out.push({ path: [...path, i, 'name'], target: 'value', code: 'gateway-managed-header', message: reason });
  });
  return out;
}

/**
 * `transport: sse` (legacy HTTP+SSE) is refused: the gateway serves streamable HTTP
 * only, and an HTTP+SSE server's `endpoint` event sends clients to a message path the
 * gateway does not route, so such a server would show Ready and answer nothing.
 */
function legacySseFindings(spec: Rec): Finding[] {
  const why =
    '`sse` (the legacy HTTP+SSE transport) is not supported: the gateway speaks streamable HTTP, which replaced HTTP+SSE in MCP 2025-03-26, ' +
    'and an HTTP+SSE server would show Ready while no call through the gateway reaches it';
  const bridge = 'a bridge to stdio such as `supergateway --sse <url>` or `mcp-proxy <url>`';
  const served = 'which Berth serves as streamable HTTP';
  const instead = {
    runtime: `use transport: streamable-http if the server offers it (current MCP SDKs do), or transport: stdio with a command that speaks stdio (the server itself, or ${bridge}), ${served}`,
    remote: `point url at the server's streamable-HTTP endpoint (often /mcp beside /sse) with transport: streamable-http, or replace spec.remote with a spec.runtime whose command is ${bridge} and transport: stdio, ${served}`,
  };
  return (['runtime', 'remote'] as const)
    .filter((part) => isRec(spec[part]) && spec[part]['transport'] === 'sse')
    .map((part) => ({ path: ['spec', part, 'transport'], target: 'value', code: 'legacy-sse', message: `${why}; ${instead[part]}` }));
}

/**
 * A routing.path at or under one of the gateway's own paths (the route rule's
 * {@link reservedRouteReason}), and a path or host longer than a load-balancer
 * rule can hold ({@link routeLengthReason}).
 */
function reservedRouteFindings(server: Rec, spec: Rec): Finding[] {
  const routing = spec['routing'];
  const metadata = server['metadata'];
  // The default path (/mcp/<name>) is never reserved nor too long; a path of the wrong type is the schema's to report.
  if (!isRec(routing) || (typeof routing['path'] !== 'string' && typeof routing['host'] !== 'string') || !isRec(metadata) || typeof metadata['name'] !== 'string') return [];
  const route = serverRoute({ metadata: { name: metadata['name'] }, spec });
  const reason = reservedRouteReason(route);
  const tooLong = routeLengthReason(route);
  return [
    ...(reason === undefined ? [] : [{ path: ['spec', 'routing', 'path'], target: 'value' as const, code: 'reserved-route', message: reason }]),
    ...(tooLong === undefined ? [] : [{ path: ['spec', 'routing', tooLong.field], target: 'value' as const, code: 'route-too-long', message: tooLong.message }]),
  ];
}

function toolFindings(spec: Rec): Finding[] {
  const tools = spec['tools'];
  if (!Array.isArray(tools)) return [];
  return duplicateNameFindings(tools, ['spec', 'tools'], 'tool');
}

function accessFindings(spec: Rec): Finding[] {
  const access = spec['access'];
  if (!isRec(access) || access['undeclaredTools'] !== 'defaultScopes') return [];
  const defaults = spec['defaultScopes'];
  // An empty list would let every caller of the server call every unlisted tool.
  if (Array.isArray(defaults) && defaults.length > 0) return [];
  return [
    {
      path: ['spec', 'access', 'undeclaredTools'],
      target: 'value',
      code: 'undeclared-tools-scopes',
      message: 'undeclaredTools: defaultScopes needs spec.defaultScopes with at least one scope (what an unlisted tool requires); list them there, or use undeclaredTools: deny',
    },
  ];
}

/** Flags every item whose `name` repeats an earlier one's. */
function duplicateNameFindings(items: readonly unknown[], path: PathSegment[], what: string, ignoreCase = false): Finding[] {
  const first = new Map<string, number>();
  const out: Finding[] = [];
  items.forEach((item, i) => {
    if (!isRec(item) || typeof item['name'] !== 'string') return;
    const key = ignoreCase ? item['name'].toLowerCase() : item['name'];
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, i);
      return;
    }
    out.push({
      path: [...path, i, 'name'],
      target: 'value',
      code: `duplicate-${what}`,
      message: `${what} "${item['name']}" is already listed at ${formatPath([...path, earlier])}; each ${what} name may appear once`,
    });
  });
  return out;
}

function isRec(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
