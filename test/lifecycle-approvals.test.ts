/**
 * Issue 14 items 1–2 end to end, mostly as attempts that must fail: a real
 * registry over HTTP and SQLite, a real reconciler with the local runtime acting
 * with a controller token, publisher and approver tokens as people would use them,
 * and the CLI for approve / describe / get -o wide.
 *
 * - a publisher writing `approved-production` gets nothing deployed, and status
 *   names the approval missing; an approver's approval deploys it;
 * - a spec change after approval: production falls back;
 * - a high-risk server needs two distinct approvers for production;
 * - a deprecated server past its date is retired;
 * - the exploit replay: a publisher-only manifest with `command: /bin/sh` never
 *   starts a process (checked in /proc and in the runtime's own record).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../src/client/errors.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { systemClock, type Clock } from '../src/kit/clock.ts';
import { codeHash, reviewHash } from '../src/manifest/approval-hash.ts';
import { effectiveStageOf } from '../src/manifest/approval.ts';
import type { Condition } from '../src/manifest/resource.ts';
import type { MCPServer, MCPServerSpec } from '../src/manifest/types.ts';
import { createLocalProvider, type LocalProvider } from '../src/providers/local/index.ts';
import { startReconciler, type RunningReconciler } from '../src/reconciler/controller.ts';
import { alive, serverManifest, tempDir, testLogger, waitFor } from './fixtures/reconciler/helpers.ts';
import { startHarness, type Harness } from './registry-api-harness.ts';
import { berth } from './support/berth-process.ts';

const DAY = 86_400_000;
let h: Harness;
let local: LocalProvider;
let reconciler: RunningReconciler;
let publisher: HttpRegistryClient;
let approverA: HttpRegistryClient;
let approverB: HttpRegistryClient;
let approverAToken: string;
/** Days the reconciler's clock runs ahead of the real one (deprecation dates). */
let daysAhead = 0;
const state = tempDir('lifecycle-approvals');

beforeAll(async () => {
  h = await startHarness();
  const client = (token: string) => new HttpRegistryClient({ baseUrl: h.url, token });
  publisher = client(await h.token('publisher', { team: 'platform' }));
  approverAToken = await h.token('approver');
  approverA = client(approverAToken);
  approverB = client(await h.token('approver'));
  local = createLocalProvider({ logger: testLogger(), stateDir: join(state.dir, 'local'), nodePath: process.execPath, parentEnv: process.env, stopGraceMs: 2_000, onChange: (n) => reconciler?.enqueue(n) });
  const clock: Clock = { now: () => Date.now() + daysAhead * DAY, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };
  reconciler = startReconciler({
    registry: client(await h.token('controller')),
    providers: [local],
    logger: testLogger(),
    holderId: 'lifecycle-test',
    leaseTtlMs: 2_000,
    resyncMs: 60_000,
    clock,
  });
}, 30_000);

afterAll(async () => {
  await reconciler?.stop();
  await local?.close();
  await h?.close();
  state.remove();
});

const stored = async (name: string): Promise<MCPServer | undefined> => (await h.store.get('MCPServer', name)) as MCPServer | undefined;
const approvedCondition = (s: MCPServer | undefined): Condition | undefined => s?.status?.conditions?.find((c) => c.type === 'Approved');

/** Waits until the reconciler has reported on the current generation and `test` holds. */
async function settled(name: string, what: string, test: (s: MCPServer) => boolean): Promise<MCPServer> {
  return waitFor(`${name}: ${what}`, async () => {
    const s = await stored(name);
    return s && s.status?.observedGeneration === s.metadata.generation && test(s) ? s : undefined;
  }, 20_000);
}

/**
 * The server's process as the runtime recorded it (a host pid: inside the sandbox the
 * server sees its own PID namespace), after checking it answers MCP calls.
 */
async function runningPid(s: MCPServer): Promise<number> {
  const c = new Client({ name: 'lifecycle-test', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(s.status!.endpoint!)));
  try {
    await c.callTool({ name: 'whoami', arguments: {} });
  } finally {
    await c.close();
  }
  const pid = (s.status?.runtime as { pid?: unknown } | undefined)?.pid;
  expect(typeof pid).toBe('number');
  return pid as number;
}

/** A manifest as a team writes it (the API validates: health checks at least every 5 s). */
function manifest(name: string, spec: Partial<MCPServerSpec>): MCPServer {
  const m = serverManifest(name, spec);
  const runtime = m.spec.runtime!;
  return { apiVersion: m.apiVersion, kind: 'MCPServer', metadata: { name }, spec: { ...m.spec, runtime: { ...runtime, healthCheck: { ...runtime.healthCheck, intervalSeconds: 5, timeoutSeconds: 2 } } } };
}

async function refused(p: Promise<unknown>): Promise<ForbiddenError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ForbiddenError);
  return err as ForbiddenError;
}

describe('approved-production only when an approver approved the current spec', { timeout: 60_000 }, () => {
  it('a publisher writing approved-production deploys nothing and status names the approval missing; an approval deploys it; a spec change falls back; re-approval restores it', async () => {
    const quote = manifest('quote', { environment: 'production', lifecycle: 'approved-production', risk: 'medium' });
    await publisher.apply(quote);
    const hash8 = reviewHash((await stored('quote'))!.spec).slice(0, 8);
    const waiting = await settled('quote', 'NotDeployed', (s) => s.status?.phase === 'NotDeployed');
    expect(approvedCondition(waiting)).toMatchObject({
      status: 'False',
      reason: 'ApprovalMissing',
      message: `requested approved-production, effective security-review: no approval of spec ${hash8} for approved-production; ask an approver: berth approve server quote --stage approved-production`,
    });
    expect(await local.listManaged()).not.toContain('quote');

    // The publisher cannot approve its own request.
    const self = await refused(publisher.decideStage('quote', { stage: 'approved-production', decision: 'approved' }));
    expect(self.message).toContain('a publisher requests a stage in spec.lifecycle; an approver approves it');

    // The approver approves, through the CLI as a person would.
    const env = { BERTH_SERVER: h.url, BERTH_TOKEN: approverAToken };
    const approved = await berth(['approve', 'server', 'quote', '--stage', 'approved-production', '--note', 'reviewed in SEC-42', '--spec', hash8], env, state.dir);
    expect(approved.stderr).toBe('');
    expect(approved.stdout).toBe(`mcpserver/quote approved for approved-production at spec ${hash8}; requested approved-production, effective approved-production\n`);
    const running = await settled('quote', 'Ready', (s) => s.status?.phase === 'Ready');
    expect(approvedCondition(running)).toMatchObject({ status: 'True', reason: 'LifecycleAllows' });
    const pid = await runningPid(running);
    expect(alive(pid)).toBe(true);

    const described = await berth(['describe', 'server', 'quote'], env, state.dir);
    expect(described.stdout).toMatch(/Lifecycle:\n {2}Requested: +approved-production\n {2}Effective: +approved-production\n {2}Approved for: +production\n {2}Spec hash: +[0-9a-f]{8}\n/);
    expect(described.stdout).toMatch(new RegExp(`approved-production +approved +tok_\\w+ +approver +${hash8} +\\S+ +reviewed in SEC-42`));
    const wide = await berth(['get', 'servers', '-o', 'wide'], env, state.dir);
    expect(wide.stdout).toMatch(/NAME +TEAM +ENV +LIFECYCLE +PHASE +READY +ENDPOINT +AGE +EFFECTIVE +APPROVALS/);
    expect(wide.stdout).toMatch(/quote +platform +production +approved-production +Ready +True +\S+ +\S+ +approved-production +production:tok_\w+/);

    // A spec change after approval (a new scope): production falls back and what ran is retired.
    const changed = manifest('quote', { environment: 'production', lifecycle: 'approved-production', risk: 'medium', tools: [{ name: 'echo', scopes: ['quotes.admin'] }] });
    await publisher.apply(changed);
    const fellBack = await settled('quote', 'NotDeployed after the spec change', (s) => s.status?.phase === 'NotDeployed');
    const newHash8 = reviewHash(fellBack.spec).slice(0, 8);
    expect(approvedCondition(fellBack)?.message).toBe(
      `requested approved-production, effective approved-dev: no approval of spec ${newHash8} for approved-production; approvals of an earlier spec no longer count (the spec changed since); ask an approver: berth approve server quote --stage approved-production`,
    );
    await waitFor('the approved process stopped', () => !alive(pid));

    // An approval of the old spec, sent with the hash the approver saw, is refused rather than misapplied.
    const stale = await berth(['approve', 'server', 'quote', '--stage', 'approved-production', '--spec', hash8], env, state.dir);
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain(`is now at spec ${newHash8}, not ${hash8} as reviewed`);

    await approverA.decideStage('quote', { stage: 'approved-production', decision: 'approved', note: 'scope reviewed' });
    await settled('quote', 'Ready again', (s) => s.status?.phase === 'Ready');
  });

  it('a high-risk server with one approval stays unapproved for production (the same approver twice counts once); two distinct approvers approve it', async () => {
    await publisher.apply(manifest('ledger', { environment: 'production', lifecycle: 'approved-production', risk: 'high' }));
    await approverA.decideStage('ledger', { stage: 'approved-production', decision: 'approved' });
    await approverA.decideStage('ledger', { stage: 'approved-production', decision: 'approved', note: 'again' });
    const hash8 = reviewHash((await stored('ledger'))!.spec).slice(0, 8);
    const one = await settled('ledger', 'not deployed with one approver', (s) => (approvedCondition(s)?.message ?? '').includes('1 of 2'));
    expect(one.status?.phase).toBe('NotDeployed');
    expect(approvedCondition(one)?.message).toBe(
      `requested approved-production, effective approved-dev: 1 of 2 distinct approvals (high risk) of spec ${hash8} for approved-production; ask an approver: berth approve server ledger --stage approved-production`,
    );
    expect(await local.listManaged()).not.toContain('ledger');
    await approverB.decideStage('ledger', { stage: 'approved-production', decision: 'approved' });
    await settled('ledger', 'Ready with two approvers', (s) => s.status?.phase === 'Ready');
  });

  it('a deprecated server runs on its approval until its date, and past it is retired', async () => {
    const date = new Date(Date.now() + 2 * DAY).toISOString().slice(0, 10);
    await publisher.apply(manifest('legacy', { lifecycle: 'deprecated', deprecation: { date, replacement: 'quote' } }));
    await approverA.decideStage('legacy', { stage: 'approved-dev', decision: 'approved' });
    const running = await settled('legacy', 'Ready', (s) => s.status?.phase === 'Ready');
    expect(approvedCondition(running)?.message).toBe(`lifecycle stage 'deprecated' still runs (until ${date}; use quote instead)`);
    const pid = await runningPid(running);

    daysAhead = 4;
    reconciler.enqueue('legacy');
    const retired = await settled('legacy', 'Retired past its date', (s) => s.status?.phase === 'Retired');
    expect(approvedCondition(retired)).toMatchObject({
      reason: 'LifecycleRetired',
      message: `deprecated until ${date} (use quote instead): past its date it is retired; what it ran is torn down`,
    });
    await waitFor('the deprecated process stopped', () => !alive(pid));
    expect(await local.listManaged()).not.toContain('legacy');
    daysAhead = 0;
  });
});

describe('redacted reads tell the same effective stage', { timeout: 60_000 }, () => {
  it("a reader (and the gateway) get env values redacted but the registry's hashes of the real spec, so the effective stage agrees with the reconciler's", async () => {
    const secretive = manifest('secretive', { lifecycle: 'approved-dev' });
    secretive.spec.runtime!.local!.env = { GREETING: 'hello' };
    await publisher.apply(secretive);
    await approverA.decideStage('secretive', { stage: 'approved-dev', decision: 'approved' });
    const reader = new HttpRegistryClient({ baseUrl: h.url, token: await h.token('reader') });
    const seen = (await reader.get('MCPServer', 'secretive'))!;
    expect(seen.spec.runtime?.local?.env).toEqual({ GREETING: '<redacted>' });
    const real = (await stored('secretive'))!;
    expect(seen.metadata.specHashes).toEqual({ review: reviewHash(real.spec), code: codeHash(real.spec) });
    expect(effectiveStageOf(seen, new Date())).toEqual(effectiveStageOf(real, new Date()));
    expect(effectiveStageOf(seen, new Date()).effective).toBe('approved-dev');
  });
});

describe('the exploit replay: a publisher token alone never runs a command', { timeout: 60_000 }, () => {
  it('a publisher-only manifest with local.command /bin/sh and lifecycle approved-dev starts no process', async () => {
    const marker = join(state.dir, 'pwned');
    const exploit = manifest('shell', {
      lifecycle: 'approved-dev',
      runtime: { image: 'example/none:1', transport: 'streamable-http', local: { command: '/bin/sh', args: ['-c', `echo pwned > ${marker}; exec sleep 300`] } },
    });
    await publisher.apply(exploit);
    const refusedToRun = await settled('shell', 'NotDeployed', (s) => s.status?.phase === 'NotDeployed');
    expect(approvedCondition(refusedToRun)).toMatchObject({ status: 'False', reason: 'ApprovalMissing' });
    await reconciler.idle();
    // Nothing ran: no marker, no process whose command line names it, nothing in the runtime's record.
    expect(existsSync(marker)).toBe(false);
    const running = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false; // gone meanwhile
        }
      });
    expect(running).toEqual([]);
    expect(await local.listManaged()).not.toContain('shell');
    // Nor can the publisher make it run by any write it may make: finalizers and status are refused too.
    const s = (await publisher.get('MCPServer', 'shell'))!;
    await refused(publisher.updateStatus('MCPServer', 'shell', { phase: 'Ready' }));
    await refused(publisher.update({ ...s, metadata: { ...s.metadata, finalizers: ['berth.dev/runtime'] } }));
  });
});
