/**
 * Statistics for charts, computed in the registry from what the store holds:
 *
 *   GET …/stats/calls?server&since&until&bucket       (admin, approver, reader: who reads call records)
 *   GET …/stats/reconcile?server&since&until&bucket   (every role but agent and gateway: who reads the audit)
 *
 * Both read a bounded window (`stats-window.ts`: `since` required, at most 1440
 * buckets, else 400) and at most {@link MAX_STATS_RECORDS} records of it, newest
 * first; past that the answer says `complete: false` (the oldest buckets are
 * undercounted) rather than reading without end.
 */
import type { AuditEntry, CallRecord, CallStats, ReconcileStats, ReconcileStatsBucket, ReconcileStatsSeries } from '../../client/wire.ts';
import { enforce, mayReadAudit, mayReadCallAudit } from '../auth/authorize.ts';
import { callStatsSeries } from '../call-stats.ts';
import { encodeAuditCursor, encodeCallRecordCursor } from '../store-semantics.ts';
import type { Store } from '../store.ts';
import { PREFIX, type ApiApp, type ApiDeps } from './context.ts';
import { bucketOf, bucketStarts, parseStatsWindow, type StatsWindow } from './stats-window.ts';

/** Most records one statistics answer reads. */
export const MAX_STATS_RECORDS = 100_000;
const PAGE = 1000;

/** What `stats/reconcile` counts, said in its answer. */
export const RECONCILE_STATS_SOURCE =
  'status writes of MCPServers in the change audit (action "status") whose status had condition Degraded=True (details.degraded, recorded since this registry version); each failed reconcile attempt that changed the status counts once';

async function readCallRecords(store: Store, w: StatsWindow, server: string | undefined): Promise<{ records: CallRecord[]; complete: boolean }> {
  const records: CallRecord[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.queryCallRecords({
      since: new Date(w.sinceMs).toISOString(),
      until: new Date(w.untilMs).toISOString(),
      limit: PAGE,
      ...(server !== undefined ? { server } : {}),
      ...(cursor !== undefined ? { continue: cursor } : {}),
    });
    records.push(...page);
    if (page.length < PAGE) return { records, complete: true };
    if (records.length >= MAX_STATS_RECORDS) return { records, complete: false };
    cursor = encodeCallRecordCursor(page.at(-1)!);
  }
}

async function readStatusAudit(store: Store, w: StatsWindow, server: string | undefined): Promise<{ entries: AuditEntry[]; complete: boolean }> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await store.queryAudit({
      action: 'status',
      kind: 'MCPServer',
      since: new Date(w.sinceMs).toISOString(),
      until: new Date(w.untilMs).toISOString(),
      limit: PAGE,
      ...(server !== undefined ? { name: server } : {}),
      ...(cursor !== undefined ? { continue: cursor } : {}),
    });
    entries.push(...page);
    if (page.length < PAGE) return { entries, complete: true };
    if (entries.length >= MAX_STATS_RECORDS) return { entries, complete: false };
    cursor = encodeAuditCursor(page.at(-1)!.id!);
  }
}

function reconcileSeries(entries: AuditEntry[], w: StatsWindow): { overall: ReconcileStatsSeries; servers: ReconcileStatsSeries[] } {
  const starts = bucketStarts(w);
  const zero = (): number[] => starts.map(() => 0);
  const overall = zero();
  const perServer = new Map<string, number[]>();
  for (const e of entries) {
    if (typeof e.details?.['degraded'] !== 'string' || e.name === undefined) continue;
    const i = bucketOf(w, Date.parse(e.time ?? ''));
    if (i === undefined) continue;
    overall[i]!++;
    let counts = perServer.get(e.name);
    if (!counts) perServer.set(e.name, (counts = zero()));
    counts[i]!++;
  }
  const buckets = (counts: number[]): ReconcileStatsBucket[] => starts.map((start, i) => ({ start, errors: counts[i]! }));
  return { overall: { buckets: buckets(overall) }, servers: [...perServer.keys()].sort().map((server) => ({ server, buckets: buckets(perServer.get(server)!) })) };
}

/** Registers the statistics routes. */
export function statsRoutes(app: ApiApp, { store, clock }: ApiDeps): void {
  app.get(`${PREFIX}/stats/calls`, async (c) => {
    enforce(mayReadCallAudit(c.get('principal')));
    const w = parseStatsWindow(c, clock());
    const server = c.req.query('server') || undefined;
    const { records, complete } = await readCallRecords(store, w, server);
    const series = callStatsSeries(records, w);
    const body: CallStats = {
      since: new Date(w.sinceMs).toISOString(),
      until: new Date(w.untilMs).toISOString(),
      bucketSeconds: w.bucketMs / 1000,
      ...(server !== undefined ? { server } : {}),
      overall: series.overall,
      servers: server !== undefined && series.servers.length === 0 ? [{ server, buckets: series.overall.buckets }] : series.servers,
      records: records.length,
      complete,
      maxRecords: MAX_STATS_RECORDS,
    };
    return c.json(body);
  });

  app.get(`${PREFIX}/stats/reconcile`, async (c) => {
    enforce(mayReadAudit(c.get('principal')));
    const w = parseStatsWindow(c, clock());
    const server = c.req.query('server') || undefined;
    const { entries, complete } = await readStatusAudit(store, w, server);
    const series = reconcileSeries(entries, w);
    const body: ReconcileStats = {
      since: new Date(w.sinceMs).toISOString(),
      until: new Date(w.untilMs).toISOString(),
      bucketSeconds: w.bucketMs / 1000,
      ...(server !== undefined ? { server } : {}),
      overall: series.overall,
      servers: server !== undefined && series.servers.length === 0 ? [{ server, buckets: series.overall.buckets }] : series.servers,
      source: RECONCILE_STATS_SOURCE,
      records: entries.length,
      complete,
      maxRecords: MAX_STATS_RECORDS,
    };
    return c.json(body);
  });
}
