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
import type { AuditEntry, CallRecord, CallStats, ReconcileStats, ReconcileStatsSeries } from '../../client/wire.ts';
import { enforce, mayReadAudit, mayReadCallAudit } from '../auth/authorize.ts';
import { callStatsSeries } from '../call-stats.ts';
import { encodeAuditCursor, encodeCallRecordCursor } from '../store-semantics.ts';
import { PREFIX, type ApiApp, type ApiDeps } from './context.ts';
import { bucketOf, bucketStarts, parseStatsWindow, type StatsWindow } from './stats-window.ts';

/** Most records one statistics answer reads. */
export const MAX_STATS_RECORDS = 100_000;
const PAGE = 1000;

/** What `stats/reconcile` counts, said in its answer. */
export const RECONCILE_STATS_SOURCE =
  'status writes of MCPServers in the change audit (action "status") whose status had condition Degraded=True (details.degraded, recorded since this registry version); each failed reconcile attempt that changed the status counts once';

/**
 * Reads every record `page` returns for the window, newest first, one page of
 * {@link PAGE} after another, stopping after {@link MAX_STATS_RECORDS}.
 */
async function readWindow<T>(page: (cursor: string | undefined) => Promise<T[]>, cursorOf: (last: T) => string): Promise<{ records: T[]; complete: boolean }> {
  const records: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const got = await page(cursor);
    records.push(...got);
    if (got.length < PAGE) return { records, complete: true };
    if (records.length >= MAX_STATS_RECORDS) return { records, complete: false };
    cursor = cursorOf(got.at(-1)!);
  }
}

/** The query fields of one page of the window (and of one server). */
function windowPage(w: StatsWindow, cursor: string | undefined): { since: string; until: string; limit: number; continue?: string } {
  return { since: new Date(w.sinceMs).toISOString(), until: new Date(w.untilMs).toISOString(), limit: PAGE, ...(cursor !== undefined ? { continue: cursor } : {}) };
}

/** What both answers share: the window, the series (the asked server's always present), and how much was read. */
function answer<S extends { server?: string }>(w: StatsWindow, server: string | undefined, series: { overall: S; servers: S[] }, read: { records: unknown[]; complete: boolean }) {
  return {
    since: new Date(w.sinceMs).toISOString(),
    until: new Date(w.untilMs).toISOString(),
    bucketSeconds: w.bucketMs / 1000,
    starts: bucketStarts(w),
    ...(server !== undefined ? { server } : {}),
    overall: series.overall,
    servers: server !== undefined && series.servers.length === 0 ? [{ ...series.overall, server }] : series.servers,
    records: read.records.length,
    complete: read.complete,
    maxRecords: MAX_STATS_RECORDS,
  };
}

function reconcileSeries(entries: AuditEntry[], w: StatsWindow): { overall: ReconcileStatsSeries; servers: ReconcileStatsSeries[] } {
  const zero = (): number[] => new Array<number>(w.buckets).fill(0);
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
  return { overall: { errors: overall }, servers: [...perServer.keys()].sort().map((server) => ({ server, errors: perServer.get(server)! })) };
}

/** Registers the statistics routes. */
export function statsRoutes(app: ApiApp, { store, clock }: ApiDeps): void {
  app.get(`${PREFIX}/stats/calls`, async (c) => {
    enforce(mayReadCallAudit(c.get('principal')));
    const w = parseStatsWindow(c, clock());
    const server = c.req.query('server') || undefined;
    const read = await readWindow<CallRecord>((cursor) => store.queryCallRecords({ ...windowPage(w, cursor), ...(server !== undefined ? { server } : {}) }), encodeCallRecordCursor);
    const body: CallStats = answer(w, server, callStatsSeries(read.records, w), read);
    return c.json(body);
  });

  app.get(`${PREFIX}/stats/reconcile`, async (c) => {
    enforce(mayReadAudit(c.get('principal')));
    const w = parseStatsWindow(c, clock());
    const server = c.req.query('server') || undefined;
    const read = await readWindow<AuditEntry>(
      (cursor) => store.queryAudit({ ...windowPage(w, cursor), action: 'status', kind: 'MCPServer', ...(server !== undefined ? { name: server } : {}) }),
      (last) => encodeAuditCursor(last.id!),
    );
    const body: ReconcileStats = { ...answer(w, server, reconcileSeries(read.records, w), read), source: RECONCILE_STATS_SOURCE };
    return c.json(body);
  });
}
