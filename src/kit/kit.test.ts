import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';
import { ManualClock } from './clock.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { describeError, errorChain, isTerminal, TerminalError } from './errors.ts';
import { KeyedLock } from './keyed-lock.ts';
import { formatSize, parseSize } from './size.ts';

describe('describeError', () => {
  it('joins the cause chain once each, with HTTP status codes and errno codes fetch hides in its cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(describeError(new TypeError('fetch failed', { cause: refused }))).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    const bare = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    expect(describeError(new Error('reading servers', { cause: bare }))).toBe('reading servers: other side closed: UND_ERR_SOCKET');
    const http = Object.assign(new Error('Not Found'), { code: 404 });
    expect(describeError(http)).toBe('HTTP 404: Not Found');
    expect(describeError(new Error('outer: inner', { cause: new Error('inner') }))).toBe('outer: inner');
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError(undefined)).toBe('unknown error');
  });

  it('stops at cycles and deep chains', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorChain(b)).toHaveLength(2);
    let deep: Error = new Error('0');
    for (let i = 1; i < 50; i++) deep = new Error(String(i), { cause: deep });
    expect(errorChain(deep)).toHaveLength(8);
  });
});

describe('isTerminal', () => {
  it('walks the cause chain: the outermost error that says whether it is retryable decides', () => {
    expect(isTerminal(new TerminalError('bad spec'))).toBe(true);
    expect(isTerminal(new Error('context', { cause: new Error('more context', { cause: new TerminalError('bad spec') }) }))).toBe(true);
    const retryableOutside = Object.assign(new Error('throttled'), { retryable: true, cause: new TerminalError('inner') });
    expect(isTerminal(retryableOutside)).toBe(false);
    expect(isTerminal(new Error('socket hang up'))).toBe(false);
  });
});

describe('parseDuration', () => {
  it('reads a number with a unit, refuses bare numbers and nonsense', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('15s')).toBe(15_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('30d')).toBe(2_592_000_000);
    expect(parseDuration(' 2w ')).toBe(1_209_600_000);
    for (const bad of ['30', '0s', 'soon', '-1s', '1 s', '1e3s', '']) expect(parseDuration(bad)).toBeUndefined();
  });

  it('formats for messages: seconds from one second up, milliseconds below', () => {
    expect([formatDuration(60_000), formatDuration(1_500), formatDuration(65_000), formatDuration(200)]).toEqual(['60 s', '1.5 s', '65 s', '200 ms']);
  });
});

describe('parseSize and formatSize', () => {
  it('reads bytes, binary and decimal units (any case), refuses nonsense and what is not a whole positive byte count', () => {
    expect(parseSize('4MiB')).toBe(4 * 1024 * 1024);
    expect(parseSize('16 mib')).toBe(16 * 1024 * 1024);
    expect(parseSize('512KiB')).toBe(512 * 1024);
    expect(parseSize('5MB')).toBe(5_000_000);
    expect(parseSize('1.5kB')).toBe(1_500);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('1048576')).toBe(1_048_576);
    expect(parseSize('800B')).toBe(800);
    for (const bad of ['', '0', '0MiB', '-1MiB', '4 megs', '1.5', '0.1B', 'MiB', '1e6', '99999999999999999GiB']) expect(parseSize(bad)).toBeUndefined();
  });

  it('prints the largest binary unit that divides the size, else bytes', () => {
    expect([formatSize(4 * 1024 * 1024), formatSize(1024 ** 3), formatSize(1536), formatSize(5_000_000), formatSize(1)]).toEqual(['4 MiB', '1 GiB', '1536 bytes', '5000000 bytes', '1 byte']);
  });
});

describe('backoffDelay', () => {
  it('doubles from the base, adds at most the jitter fraction, and never passes the cap', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, { baseMs: 100, capMs: 10_000, random: () => 0 }))).toEqual([100, 200, 400, 800]);
    expect(backoffDelay(2, { baseMs: 100, capMs: 10_000, jitter: 0.5, random: () => 0.999 })).toBe(300);
    expect(backoffDelay(60, { baseMs: 100, capMs: 10_000, random: () => 0.9 })).toBe(10_000);
    expect(backoffDelay(0, { baseMs: 100, capMs: 10_000 })).toBe(0);
  });
});

describe('KeyedLock', () => {
  it('runs one key at a time in call order, other keys alongside, and a failure releases the key', async () => {
    const lock = new KeyedLock();
    const clock = new ManualClock(0);
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) => async () => {
      log.push(`${name}+`);
      await new Promise<void>((r) => clock.setTimeout(r, ms));
      log.push(`${name}-`);
      if (fail) throw new Error(name);
    };
    const a1 = lock.run('a', step('a1', 10, true));
    const a2 = lock.run('a', step('a2', 10));
    const b1 = lock.run('b', step('b1', 5));
    await clock.advance(30);
    await expect(a1).rejects.toThrow('a1');
    await Promise.all([a2, b1]);
    expect(log).toEqual(['a1+', 'b1+', 'b1-', 'a1-', 'a2+', 'a2-']);
  });
});
