import { describe, expect, it } from 'vitest';
import { conditionsFor } from './render.ts';
import { BAND_WIDTH, bandOf, choosePriorityInBand, conditionsCover, conditionsOverlap, MAX_PRIORITY, MAX_ROUTE_PATH, patternsIntersect, routeOfConditions, specificity } from './rule-order.ts';

describe('priority bands', () => {
  it('a deeper path, then a host, gets an earlier band; every band lies in 1–50 000 and is wider than a load balancer’s 100 rules', () => {
    expect(bandOf('/mcp/a', undefined)).toEqual({ first: 47719, last: 47916 });
    expect(bandOf('/mcp/nest/deep', undefined).last).toBeLessThan(bandOf('/mcp/nest', undefined).first);
    expect(bandOf('/mcp/nest', 'a.example.com').last).toBeLessThan(bandOf('/mcp/nest', undefined).first);
    expect(bandOf('/mcp/nest/deep', undefined).last).toBeLessThan(bandOf('/mcp/nest', 'a.example.com').first);
    expect(bandOf('/', undefined).last).toBeLessThanOrEqual(MAX_PRIORITY);
    expect(bandOf('/'.padEnd(MAX_ROUTE_PATH, 'x'), 'h').first).toBe(1);
    expect(BAND_WIDTH).toBeGreaterThan(100);
    expect(specificity('/x'.repeat(200), undefined)).toBe(2 * MAX_ROUTE_PATH);
  });

  it('chooses the same free slot for the same server and skips used ones', () => {
    const band = bandOf('/mcp/weather', undefined);
    const p = choosePriorityInBand('weather', band, new Set());
    expect(p).toBeGreaterThanOrEqual(band.first);
    expect(p).toBeLessThanOrEqual(band.last);
    expect(choosePriorityInBand('weather', band, new Set())).toBe(p);
    const next = choosePriorityInBand('weather', band, new Set([p!]));
    expect(next).not.toBe(p);
    const all = new Set(Array.from({ length: BAND_WIDTH }, (_, i) => band.first + i));
    expect(choosePriorityInBand('weather', band, all)).toBeUndefined();
  });

  it("reads Berth's route back from its conditions", () => {
    expect(routeOfConditions(conditionsFor('/mcp/a', 'H.example.com'))).toEqual({ path: '/mcp/a', host: 'h.example.com' });
    expect(routeOfConditions(conditionsFor('/', undefined))).toEqual({ path: '/' });
    expect(routeOfConditions([{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x', Values: ['y'] } }])).toBeUndefined();
  });
});

describe('overlaps as AWS matches', () => {
  it.each([
    ['/mcp/nest/*', '/mcp/nest/deep', false, true],
    ['/mcp/nest/*', '/mcp/nest', false, false],
    ['/mcp/Nest', '/mcp/nest', false, false],
    ['/mcp/Nest', '/mcp/nest', true, true],
    ['/a/*/c', '/a/b/*', false, true],
    ['/a?', '/ab*', false, true],
    ['/a?', '/abc', false, false],
    ['*', '', false, true],
    ['*.example.com', 'api.example.com', true, true],
    ['*.example.com', 'example.com', true, false],
  ])('%s ∩ %s (ignore case %s) → %s', (a, b, fold, want) => {
    expect(patternsIntersect(a, b, fold)).toBe(want);
    expect(patternsIntersect(b, a, fold)).toBe(want);
  });

  it('rules overlap unless a path or a host tells them apart', () => {
    const nest = conditionsFor('/mcp/nest', undefined);
    expect(conditionsOverlap(nest, conditionsFor('/mcp/nest/deep', undefined))).toBe(true);
    expect(conditionsOverlap(nest, conditionsFor('/mcp/nested', undefined))).toBe(false);
    expect(conditionsOverlap(conditionsFor('/mcp/x', 'a.example.com'), conditionsFor('/mcp/x', 'b.example.com'))).toBe(false);
    expect(conditionsOverlap(conditionsFor('/mcp/x', 'a.example.com'), conditionsFor('/mcp/x', undefined))).toBe(true);
    expect(conditionsOverlap(nest, [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } }])).toBe(true);
  });

  it('a catch-all covers a route; a narrower or header-conditioned rule does not', () => {
    expect(conditionsCover([{ Field: 'path-pattern', Values: ['/*'] }], '/mcp/a', undefined)).toBe(true);
    expect(conditionsCover([{ Field: 'path-pattern', Values: ['/mcp/*'] }], '/mcp/a', 'h.example.com')).toBe(true);
    expect(conditionsCover([{ Field: 'path-pattern', Values: ['/mcp/a/*'] }], '/mcp/a', undefined)).toBe(false);
    expect(conditionsCover([{ Field: 'path-pattern', Values: ['/*'] }, { Field: 'host-header', Values: ['h.example.com'] }], '/mcp/a', undefined)).toBe(false);
    expect(conditionsCover([{ Field: 'path-pattern', Values: ['/*'] }, { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET'] } }], '/mcp/a', undefined)).toBe(false);
  });
});
