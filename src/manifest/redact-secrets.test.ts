/**
 * What a reader who may not see a server's secrets gets (redact-secrets.ts):
 * env values, flagged command words and URL userinfo hidden; names and the rest kept.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, redactServerSecrets } from './redact-secrets.ts';
import type { MCPServer } from './types.ts';
import { mcpServer } from '../../test/support/manifests.ts';

describe('redactServerSecrets', () => {
  it('hides every env value, flagged args and commands, and URL userinfo; keeps names and ordinary words; never changes its input', () => {
    const server: MCPServer = {
      ...mcpServer('billing', {
        runtime: {
          image: 'ghcr.io/acme/billing:1.0.0',
          transport: 'stdio',
          env: { LOG_LEVEL: 'info', DB_HOST: 'db.internal' },
          command: ['billing', '--api-key', 'k-123'],
          args: ['--region', 'eu-west-1', '--password=pw'],
          local: { command: 'DB_PASS=pw', args: ['server.js', '--token', 't-1'], env: { LOCAL: 'x' } },
        } as MCPServer['spec']['runtime'],
      }),
      status: { endpoint: 'http://u:p@10.0.0.5:8080/mcp' },
    };
    const before = JSON.stringify(server);
    const seen = redactServerSecrets(server);
    expect(JSON.stringify(server)).toBe(before);
    const runtime = seen.spec.runtime as unknown as { env: object; command: string[]; args: string[]; local: { command: string; args: string[]; env: object } };
    expect(runtime.env).toEqual({ LOG_LEVEL: REDACTED, DB_HOST: REDACTED });
    expect(runtime.command).toEqual(['billing', '--api-key', REDACTED]);
    expect(runtime.args).toEqual(['--region', 'eu-west-1', REDACTED]);
    expect(runtime.local).toEqual({ command: REDACTED, args: ['server.js', '--token', REDACTED], env: { LOCAL: REDACTED } });
    expect(seen.status?.endpoint).toBe('http://10.0.0.5:8080/mcp');

    const remote = redactServerSecrets(mcpServer('crm', { remote: { url: 'https://bot:pw@crm.example.com/mcp', transport: 'streamable-http' } }));
    expect(remote.spec.remote?.url).toBe('https://crm.example.com/mcp');
  });

  it('leaves other kinds alone', () => {
    const policy = { apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'p' }, spec: { subjects: [{ agent: 'a' }], allow: ['*'] } };
    expect(redactServerSecrets(policy as never)).toBe(policy);
  });
});
