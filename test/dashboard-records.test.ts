/**
 * The pure parts behind the Approvals view and the audit explorer: CSV cells a
 * spreadsheet can open safely, the spec diff merged from the audit's recorded
 * changes, the servers waiting for a stage, and filters kept in the hash.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEntry, CallRecord } from '../src/client/wire.ts';
import { changeSummary } from '../src/manifest/change-summary.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { CALL_COLUMNS, isoToLocal, localToIso } from '../src/dashboard/audit-records.ts';
import { csvCell, toCsv } from '../src/dashboard/export.ts';
import { readHashQuery, withHashQuery } from '../src/dashboard/hash-query.ts';
import { mayDecide } from '../src/dashboard/roles.ts';
import { mayDecideApprovals, mayDecideStage } from '../src/registry/auth/authorize.ts';
import { mergeChanges, stageRequests } from '../src/dashboard/stage-requests.ts';
import { approvalsFor } from './support/approvals.ts';

const server = (name: string, env: Record<string, string>, image = 'ghcr.io/acme/x:1'): MCPServer =>
  ({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'MCPServer',
    metadata: { name, resourceVersion: 7 },
    spec: { owner: { team: 'platform' }, environment: 'dev', lifecycle: 'approved-dev', risk: 'low', dataClassification: 'internal', runtime: { image, transport: 'streamable-http', port: 8080, env } },
  }) as unknown as MCPServer;

describe('CSV export', () => {
  it('quotes every cell, doubles quotes, keeps line breaks inside the quotes', () => {
    expect(csvCell('a "b", c\nd')).toBe('"a ""b"", c\nd"');
    expect(csvCell(undefined)).toBe('""');
    expect(csvCell(12)).toBe('"12"');
    expect(csvCell({ a: [1] })).toBe('"{""a"":[1]}"');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    for (const evil of ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(evil).startsWith(`"'`), evil).toBe(true);
    expect(csvCell('deal-desk')).toBe('"deal-desk"');
  });

  it('writes a header and one CRLF line per call record, arguments as JSON', () => {
    const record: CallRecord = { id: 3, time: '2026-01-01T00:00:00.000Z', agent: 'deal-desk', server: 'quote', tool: 'applyDiscount', method: 'tools/call', scopes: ['discount.approve'], decision: 'allow', reason: 'ok', latencyMs: 4, status: 200, arguments: { percent: 12, note: '=cmd' } };
    const lines = toCsv(CALL_COLUMNS, [record]).split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]!.split(',')).toHaveLength(CALL_COLUMNS.length);
    expect(lines[1]).toContain('"deal-desk","","quote","applyDiscount","tools/call","allow"');
    expect(lines[1]).toContain('"{""percent"":12,""note"":""=cmd""}"');
  });
});

describe('spec diff since the last approval', () => {
  const entry = (id: number, before: MCPServer | undefined, after: MCPServer): AuditEntry => ({ id, actor: 'tok_p', action: before ? 'update' : 'create', details: { changes: changeSummary(before, after) } });

  it('merges the writes per field: the value before the first, after the last; secrets only as (changed)', () => {
    const v1 = server('s', { A: '1' });
    const v2 = server('s', { A: '2' }, 'ghcr.io/acme/x:2');
    const v3 = server('s', { A: '3' }, 'ghcr.io/acme/x:3');
    const diff = mergeChanges([entry(12, v2, v3), entry(11, v1, v2), { id: 13, actor: 'tok_a', action: 'stage.reject', details: { note: 'no' } }]);
    expect(diff.writes).toBe(2);
    expect(diff.truncated).toBe(false);
    expect(diff.fields).toEqual([
      { path: 'spec.runtime.env.A', before: '(changed)', after: '(changed)', writes: 2 },
      { path: 'spec.runtime.image', before: '"ghcr.io/acme/x:1"', after: '"ghcr.io/acme/x:3"', writes: 2 },
    ]);
  });

  it('leaves out a field changed and changed back, and says when a write listed only part of its changes', () => {
    const a = server('s', {}, 'img:1');
    const b = server('s', {}, 'img:2');
    expect(mergeChanges([entry(1, a, b), entry(2, b, a)]).fields).toEqual([]);
    expect(mergeChanges([{ id: 1, actor: 't', action: 'update', details: { changes: ['spec.x: 1 → 2', '… and 4 more'] } }]).truncated).toBe(true);
  });
});

describe('servers waiting for a lifecycle approval', () => {
  it('lists a server whose current spec lacks the approval, with its last approved spec; not an approved one', () => {
    const waiting = server('b-waiting', { A: '2' });
    waiting.metadata.approvals = approvalsFor(server('b-waiting', { A: '1' }).spec, ['approved-dev']);
    const approved = server('a-approved', {});
    approved.metadata.approvals = approvalsFor(approved.spec, ['approved-dev']);
    const fresh = server('c-fresh', {});
    const got = stageRequests([waiting, approved, fresh], new Date());
    expect(got.map((r) => [r.name, r.stage, r.lastApproved?.stage])).toEqual([
      ['b-waiting', 'approved-dev', 'approved-dev'],
      ['c-fresh', 'approved-dev', undefined],
    ]);
    expect(got[0]!.reason).toMatch(/no approval of spec [0-9a-f]{8} for approved-dev/);
  });
});

describe('who sees the decision buttons', () => {
  it('exactly the roles the registry lets decide stages and tool calls, whatever the team', () => {
    for (const role of ['admin', 'approver', 'reader', 'publisher'] as const) {
      for (const team of [undefined, 'platform']) {
        const who = { tokenId: 'tok_x', role, ...(team !== undefined ? { team } : {}) };
        expect(mayDecide(who), `${role} ${team}`).toBe(mayDecideStage(who).allowed);
        expect(mayDecide(who), `${role} ${team}`).toBe(mayDecideApprovals(who).allowed);
      }
    }
  });
});

describe('filters in the hash', () => {
  it('round-trips non-empty values and keeps the route', () => {
    const hash = withHashQuery('#/audit?old=1', { view: 'calls', agent: 'deal desk', tool: '', since: '2026-01-01T00:00:00.000Z' });
    expect(hash).toBe('#/audit?view=calls&agent=deal+desk&since=2026-01-01T00%3A00%3A00.000Z');
    expect(readHashQuery(hash)).toEqual({ view: 'calls', agent: 'deal desk', since: '2026-01-01T00:00:00.000Z' });
    expect(withHashQuery('#/audit', {})).toBe('#/audit');
    expect(readHashQuery('#/audit')).toEqual({});
  });

  it('turns the time fields (in the person\'s time zone) into RFC 3339 UTC and back', () => {
    const iso = '2026-03-04T05:06:07.000Z';
    expect(localToIso(isoToLocal(iso))).toBe(iso);
    expect(isoToLocal(iso)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(localToIso('')).toBeUndefined();
    expect(localToIso('not a time')).toBeUndefined();
    expect(isoToLocal('nonsense')).toBe('');
  });
});
