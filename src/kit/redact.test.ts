/**
 * Userinfo redaction (redact.ts) and its use in every process's log options
 * (log-options.ts): a password in a URL never reaches a log line.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { logOptions } from './log-options.ts';
import { redactUserinfo } from './redact.ts';

describe('redactUserinfo', () => {
  it('cuts user:password@ and token@ from every URL in a text, and nothing else', () => {
    expect(redactUserinfo('probe of https://bob:hunter2@crm.example.com/mcp failed; retry http://tok3n@10.0.0.5:8080/x')).toBe('probe of https://crm.example.com/mcp failed; retry http://10.0.0.5:8080/x');
    expect(redactUserinfo('postgres://app:p@ss@db:5432/app')).toBe('postgres://db:5432/app');
    for (const plain of ['https://crm.example.com/mcp?x=a@b', 'mail me at ops@example.com', 'no url here']) expect(redactUserinfo(plain)).toBe(plain);
  });
});

describe('log lines', () => {
  it('never carry a URL password: not in the message, the fields, nor an error and its cause', () => {
    const lines: string[] = [];
    const logger = pino(logOptions('test', 'info'), { write: (l: string) => void lines.push(l) });
    const url = 'https://bob:hunter2@crm.example.com/mcp';
    logger.info({ target: url, nested: { url } }, `tracking ${url}`);
    logger.child({ part: 'x' }).warn({ err: new Error(`fetch ${url} failed`, { cause: new Error(`connect ${url}`) }) }, 'probe failed');
    logger.error(new Error(`bad ${url}`));
    const out = lines.join('\n');
    expect(lines).toHaveLength(3);
    expect(out).not.toContain('hunter2');
    expect(out).toContain('https://crm.example.com/mcp');
  });
});
