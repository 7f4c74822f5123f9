/**
 * The remote runtime: MCP servers hosted elsewhere. Berth runs nothing for them;
 * it health-checks them with an MCP probe (initialize, ping, tools/list), reports
 * the tools it found, and routes to their URL while they answer.
 *
 * Its only "resources" are entries in its own tracking table (which URL to probe
 * with which headers), so its plan is `track` or `untrack`, nothing else.
 *
 * @example
 * const remote = createRemoteProvider({ logger, resolveSecret });
 * await remote.apply(remote.plan(desired, await remote.observe('crm')));
 * remote.assess(desired, await remote.observe('crm')); // { phase: 'Ready', endpoint: 'https://crm.example.com/mcp', tools: [...] }
 *
 * May import: providers, manifest, kit.
 * (The rooms table in README.md; test/layering.test.ts holds the code to it.)
 */
import type { Logger } from 'pino';
import { guardedFetch } from '../../kit/guarded-connect.ts';
import { redactUserinfo } from '../../kit/redact.ts';
import { Reason } from '../../manifest/conditions.ts';
import { RemoteAddressRule, urlForDisplay, type RemoteAddressPolicy } from '../../manifest/remote-address.ts';
import type { MCPServerSpec, SecretRef } from '../../manifest/types.ts';
import { McpSessionProbe, type McpProbeResult } from '../mcp-probe.ts';
import { ProviderError, type ApplyOutcome, type DesiredServer, type Plan, type PlannedAction, type RuntimeProvider, type RuntimeState } from '../provider.ts';

/** Options of {@link createRemoteProvider}. */
export interface RemoteProviderOptions {
  logger: Logger;
  /** Resolves `remote.headers` secret references into header values (kept in memory only). */
  resolveSecret?: (ref: SecretRef) => Promise<string>;
  /** Deadline of one probe. Default 5000 ms. */
  probeTimeoutMs?: number;
  /** How soon to look again at an unhealthy server. Default 10 s. */
  unhealthyRequeueMs?: number;
  /** Epoch ms; default Date.now. */
  clock?: () => number;
  /**
   * Which addresses the probes may connect to (manifest/remote-address.ts), checked
   * on every address after DNS resolution, at connect time. Default: the default
   * rule (no loopback, link-local, metadata; no allow-list).
   */
  remoteAddresses?: RemoteAddressPolicy;
}

/** What observe() found for a remote server. */
export interface RemoteObservation {
  name: string;
  /** False until `track` was applied (or after `untrack`). */
  tracked: boolean;
  url?: string;
  transport?: 'streamable-http' | 'sse';
  /** Spec hash the tracking entry was made from. */
  specHash?: string;
  /** Names of the headers sent (never their values). */
  headerNames?: string[];
  /** Result of the probe made by this observe(). */
  probe?: McpProbeResult;
  /** RFC 3339 time of the probe. */
  checkedAt?: string;
  /** Why some headers are not sent, when they could not be resolved. */
  notes?: string[];
}

/** A step of a remote plan: start or stop tracking a server. */
export interface RemoteAction extends PlannedAction {
  op: 'track' | 'untrack';
  desired?: DesiredServer;
}

interface Tracked {
  url: string;
  transport: 'streamable-http' | 'sse';
  specHash: string;
  headers: Record<string, string>;
  notes: string[];
  /** Health checks ping on one kept session instead of opening one each time. */
  session: McpSessionProbe;
}

/** A URL as messages, logs and status show it: without userinfo. */
function shown(url: string | undefined): string {
  return url === undefined ? '(none)' : urlForDisplay(url);
}

/** Creates the remote provider. */
export function createRemoteProvider(opts: RemoteProviderOptions): RuntimeProvider<RemoteObservation, RemoteAction> {
  const logger = opts.logger.child({ provider: 'remote' });
  const now = opts.clock ?? Date.now;
  const timeoutMs = opts.probeTimeoutMs ?? 5000;
  const tracked = new Map<string, Tracked>();
  const rule = new RemoteAddressRule(opts.remoteAddresses);
  // One guarded agent for every probe: the address each connection goes to is the address checked.
  const guarded = guardedFetch((target, address) => rule.refuseConnection(target.hostname, target.port, address, target.protocol)?.message);

  async function resolveHeaders(name: string, refs: SecretRef[]): Promise<{ headers: Record<string, string>; notes: string[] }> {
    const headers: Record<string, string> = {};
    if (!refs.length) return { headers, notes: [] };
    if (!opts.resolveSecret) {
      return { headers, notes: [`headers ${refs.map((r) => r.name).join(', ')} not sent: no secret resolver is configured`] };
    }
    for (const ref of refs) {
      try {
        headers[ref.name] = await opts.resolveSecret(ref);
      } catch (err) {
        throw new ProviderError(`could not resolve header ${ref.name} (${ref.valueFrom}) for ${name}; check the reference and Berth's access to it`, {
          code: 'secret_unresolved',
          cause: err,
        });
      }
    }
    return { headers, notes: [] };
  }

  return {
    name: 'remote',

    handles(spec: MCPServerSpec): boolean {
      return spec.remote !== undefined;
    },

    async observe(name: string, signal?: AbortSignal): Promise<RemoteObservation> {
      const t = tracked.get(name);
      if (!t) return { name, tracked: false };
      const probe = await t.session.check({ timeoutMs, ...(signal ? { signal } : {}) });
      return {
        name,
        tracked: true,
        url: shown(t.url),
        transport: t.transport,
        specHash: t.specHash,
        headerNames: Object.keys(t.headers),
        probe,
        checkedAt: new Date(now()).toISOString(),
        ...(t.notes.length ? { notes: t.notes } : {}),
      };
    },

    plan(desired: DesiredServer | undefined, observed: RemoteObservation): Plan<RemoteAction> {
      const server = desired?.name ?? observed.name;
      const resource = `remote ${server}`;
      if (!desired || !desired.spec.remote) {
        return { server, actions: observed.tracked ? [{ op: 'untrack', resource, reason: `stop health-checking ${shown(observed.url)}: ${server} is no longer desired here` }] : [] };
      }
      const r = desired.spec.remote;
      if (!observed.tracked) return { server, actions: [{ op: 'track', resource, reason: `start health-checking ${shown(r.url)}`, desired, bookkeeping: true }] };
      if (observed.url !== shown(r.url)) return { server, actions: [{ op: 'track', resource, reason: `url changed from ${shown(observed.url)} to ${shown(r.url)}`, desired }] };
      if (observed.specHash !== desired.specHash) return { server, actions: [{ op: 'track', resource, reason: `spec changed (generation ${desired.generation})`, desired }] };
      return { server, actions: [] };
    },

    async apply(plan: Plan<RemoteAction>): Promise<ApplyOutcome<RemoteAction>> {
      const done: ApplyOutcome<RemoteAction>['done'] = [];
      for (const action of plan.actions) {
        if (action.op === 'untrack') {
          const t = tracked.get(plan.server);
          await t?.session.close();
          done.push({ action, result: tracked.delete(plan.server) ? 'deleted' : 'unchanged' });
          continue;
        }
        const remote = action.desired?.spec.remote;
        if (!action.desired || !remote) throw new ProviderError(`track ${action.resource} needs a desired server with spec.remote`, { code: 'invalid_plan', retryable: false });
        const { headers, notes } = await resolveHeaders(plan.server, remote.headers ?? []);
        const previous = tracked.get(plan.server);
        // A new URL or new headers need a new session.
        await previous?.session.close();
        const session = new McpSessionProbe(remote.url, { headers, transport: remote.transport, fetch: guarded.fetch });
        tracked.set(plan.server, { url: remote.url, transport: remote.transport, specHash: action.desired.specHash, headers, notes, session });
        logger.info({ server: plan.server, url: shown(remote.url) }, `${action.op} ${action.resource}: ${action.reason}`);
        done.push({ action, result: previous ? 'updated' : 'created' });
      }
      return { done };
    },

    assess(desired: DesiredServer | undefined, o: RemoteObservation): RuntimeState {
      if (!desired) return o.tracked ? { phase: 'Progressing', reason: Reason.Retiring, message: `no longer tracking ${o.name}`, requeueAfterMs: 100 } : { phase: 'Absent', reason: Reason.Retired, message: `${o.name} is not tracked` };
      // Userinfo (a password in the URL) never reaches status, which every reader sees.
      const url = desired.spec.remote?.url === undefined ? undefined : shown(desired.spec.remote.url);
      if (!url) return { phase: 'Degraded', reason: Reason.InvalidSpec, message: `${desired.name} has no spec.remote.url; the remote provider only tracks servers hosted elsewhere` };
      if (!o.tracked || o.specHash !== desired.specHash || !o.probe) {
        return { phase: 'Progressing', reason: Reason.Starting, message: `starting to health-check ${url}`, requeueAfterMs: 100 };
      }
      const details = { url, transport: o.transport, latencyMs: o.probe.latencyMs, ...(o.headerNames?.length ? { headers: o.headerNames } : {}), ...(o.notes ? { notes: o.notes } : {}) };
      if (!o.probe.ok) {
        const message = `${url} does not answer MCP: ${redactUserinfo(o.probe.error ?? 'no answer')}`;
        return {
          phase: 'Degraded',
          reason: Reason.Unhealthy,
          message,
          health: { status: 'Unhealthy', ...(o.checkedAt ? { lastChecked: o.checkedAt } : {}), message },
          requeueAfterMs: opts.unhealthyRequeueMs ?? 10_000,
          details,
        };
      }
      return {
        phase: 'Ready',
        reason: Reason.Ready,
        message: `${url} answers MCP (ping ${o.probe.latencyMs} ms)`,
        endpoint: url,
        ...(o.probe.tools ? { tools: o.probe.tools } : {}),
        health: { status: 'Healthy', ...(o.checkedAt ? { lastChecked: o.checkedAt } : {}), message: `ping ${o.probe.latencyMs} ms` },
        details,
      };
    },

    async listManaged(): Promise<string[]> {
      return [...tracked.keys()].sort();
    },

    async close(): Promise<void> {
      await Promise.all([...tracked.values()].map((t) => t.session.close()));
      tracked.clear();
      await guarded.agent.close().catch(() => undefined);
    },
  };
}
