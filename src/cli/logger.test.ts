import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logLevel } from './logger.ts';

/** A stdout stand-in that keeps what was written; `isTTY` as asked. */
function sink(isTTY = false): Writable & { text: () => string; isTTY: boolean } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join(''), isTTY });
}

describe('the berth services logger', () => {
  it('redacts credentials wherever they are commonly logged', () => {
    const out = sink();
    const { logger } = createLogger({ component: 'registry', level: 'info', destination: { stream: out }, env: {} });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer berth_abc', cookie: 'session=1' } },
        headers: { authorization: 'Bearer x', 'x-api-key': 'k' },
        token: 'berth_tok',
        client: { token: 'berth_tok2', password: 'pw', uri: 'mongodb://u:pw@h' },
        secretValue: 's3cret',
        store: 'mongodb://u:***@h',
      },
      'hello',
    );
    const line = JSON.parse(out.text()) as Record<string, unknown>;
    expect(out.text()).not.toMatch(/berth_abc|session=1|Bearer x|"k"|berth_tok|"pw"|u:pw@|s3cret/);
    expect(line).toMatchObject({ component: 'registry', msg: 'hello', token: '[redacted]', store: 'mongodb://u:***@h' });
  });

  it('keeps an error\'s stack and cause chain', () => {
    const out = sink();
    const { logger } = createLogger({ component: 'reconciler', level: 'info', destination: { stream: out }, env: {} });
    logger.error({ err: new Error('listing servers', { cause: new Error('connect ECONNREFUSED') }) }, 'failed');
    const { err } = JSON.parse(out.text()) as { err: { type: string; message: string; stack: string; cause: { message: string } } };
    expect(err.type).toBe('Error');
    expect(err.message).toBe('listing servers');
    expect(err.stack).toMatch(/listing servers\n\s+at /);
    expect(err.cause.message).toBe('connect ECONNREFUSED');
  });

  it('writes readable lines on a terminal, JSON elsewhere, and BERTH_LOG_FORMAT overrides', () => {
    const tty = sink(true);
    createLogger({ component: 'gateway', level: 'info', destination: { stream: tty }, env: {} }).logger.info({ url: 'http://x' }, 'gateway listening');
    expect(tty.text()).toMatch(/INFO.*gateway listening/);
    expect(() => JSON.parse(tty.text())).toThrow();
    const forced = sink(true);
    createLogger({ component: 'gateway', level: 'info', destination: { stream: forced }, env: { BERTH_LOG_FORMAT: 'json' } }).logger.info('x');
    expect(JSON.parse(forced.text())).toMatchObject({ msg: 'x' });
    expect(() => createLogger({ component: 'gateway', level: 'info', destination: { stream: sink() }, env: { BERTH_LOG_FORMAT: 'xml' } })).toThrow(/json or pretty/);
  });

  it('takes the level from the flag, then BERTH_LOG_LEVEL, then info', () => {
    expect(logLevel(undefined, {})).toBe('info');
    expect(logLevel(undefined, { BERTH_LOG_LEVEL: 'debug' })).toBe('debug');
    expect(logLevel('warn', { BERTH_LOG_LEVEL: 'debug' })).toBe('warn');
    expect(() => logLevel('loud', {})).toThrow(/--log-level must be/);
  });
});
