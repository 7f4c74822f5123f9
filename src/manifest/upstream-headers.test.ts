/**
 * The credentials a manifest asks the gateway to add upstream (`spec.remote.headers`,
 * `spec.runtime.headers`): which references are accepted, and which header names
 * the gateway keeps for itself.
 */
import { describe, expect, it } from 'vitest';
import { validateObject, type MCPServer } from './index.ts';
import { mcpServer } from '../../test/support/manifests.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/token';

function remote(headers: Array<{ name: string; valueFrom: string }>): MCPServer {
  return mcpServer('crm', { remote: { url: 'https://crm.example.com/mcp', transport: 'streamable-http', headers } });
}

function runtime(headers: Array<{ name: string; valueFrom: string }>): MCPServer {
  return mcpServer('crm', { runtime: { image: 'ghcr.io/acme/crm:1.0.0', transport: 'streamable-http', headers } });
}

describe('header secret references', () => {
  it('accepts ARNs, env:BERTH_SECRET_* and file:<relative path>, on remote and runtime servers', () => {
    for (const valueFrom of [
      ARN,
      `${ARN}:token:AWSCURRENT:`,
      'arn:aws:ssm:eu-west-1:123456789012:parameter/crm/token',
      'env:BERTH_SECRET_CRM_TOKEN',
      'file:crm-token',
      'file:crm/token.txt',
    ]) {
      expect(validateObject(remote([{ name: 'Authorization', valueFrom }])), valueFrom).toEqual([]);
      expect(validateObject(runtime([{ name: 'X-Api-Key', valueFrom }])), valueFrom).toEqual([]);
    }
  });

  it('refuses other variables, absolute paths, escapes and values, saying what a reference looks like', () => {
    for (const valueFrom of ['env:HOME', 'env:BERTH_TOKEN', 'file:/etc/passwd', 'file:../admin-token', 'file:a/../../b', 'file:.hidden', 'Bearer abc123', 'env:']) {
      const problems = validateObject(remote([{ name: 'Authorization', valueFrom }]));
      expect(problems.map((p) => [p.path, p.code]), valueFrom).toEqual([['spec.remote.headers[0].valueFrom', 'pattern']]);
      expect(problems[0]!.message).toContain('env:BERTH_SECRET_<NAME>');
      expect(problems[0]!.message).toContain('--secrets-dir');
    }
  });

  it("refuses header names the gateway manages itself, and the same name twice in any case", () => {
    const problems = validateObject(
      runtime([
        { name: 'X-Forwarded-For', valueFrom: 'env:BERTH_SECRET_A' },
        { name: 'connection', valueFrom: 'env:BERTH_SECRET_B' },
        { name: 'X-Api-Key', valueFrom: 'env:BERTH_SECRET_C' },
        { name: 'x-api-key', valueFrom: 'env:BERTH_SECRET_D' },
      ]),
    );
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['spec.runtime.headers[3].name', 'duplicate-header'],
      ['spec.runtime.headers[0].name', 'gateway-managed-header'],
      ['spec.runtime.headers[1].name', 'gateway-managed-header'],
    ]);
    expect(problems[1]!.message).toContain('`X-Forwarded-For`');
    expect(problems[1]!.message).toContain('Authorization');
  });

  it('runtime.secrets take the same references (the local runtime reads env: and file:; ECS refuses them at render), never a value or a path out', () => {
    const ok = mcpServer('w', { runtime: { image: 'ghcr.io/a/b:1', transport: 'streamable-http', secrets: [{ name: 'TOKEN', valueFrom: 'env:BERTH_SECRET_X' }, { name: 'KEY', valueFrom: 'file:crm/api-key' }] } });
    expect(validateObject(ok)).toEqual([]);
    for (const valueFrom of ['env:BERTH_TOKEN', 'file:../admin-token', 'file:/etc/shadow', 'sk-live-literal-value']) {
      const bad = mcpServer('w', { runtime: { image: 'ghcr.io/a/b:1', transport: 'streamable-http', secrets: [{ name: 'TOKEN', valueFrom }] } });
      expect(validateObject(bad).map((p) => [p.path, p.code])).toEqual([['spec.runtime.secrets[0].valueFrom', 'pattern']]);
    }
  });
});
