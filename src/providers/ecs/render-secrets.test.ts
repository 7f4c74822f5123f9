import { describe, expect, it } from 'vitest';
import { desiredServer } from '../../../test/fixtures/mcp-servers/harness.ts';
import { ProviderError } from '../provider.ts';
import { RENDER_TEST_CONFIG } from '../../../test/support/ecs-render-config.ts';
import { renderServer } from './render.ts';

const config = RENDER_TEST_CONFIG;

const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:crm-AbCdEf';

describe('renderServer: runtime.secrets on ECS', () => {
  it('ARNs go into the task definition as ECS secrets', () => {
    const r = renderServer(desiredServer('crm', { local: { command: 'node' }, secrets: [{ name: 'CRM_TOKEN', valueFrom: ARN }] }), config);
    expect(r.taskDefinition.containerDefinitions?.[0]?.secrets).toEqual([{ name: 'CRM_TOKEN', valueFrom: ARN }]);
  });

  it('an env: or file: reference (local runtime only) is refused for good, naming the secret and how to fix it', () => {
    for (const valueFrom of ['env:BERTH_SECRET_CRM', 'file:crm/api-key']) {
      const desired = desiredServer('crm', { local: { command: 'node' }, secrets: [{ name: 'OK', valueFrom: ARN }, { name: 'CRM_TOKEN', valueFrom }] });
      let caught: unknown;
      try {
        renderServer(desired, config);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ProviderError);
      expect((caught as ProviderError).message).toBe(
        `MCPServer "crm": secret CRM_TOKEN has valueFrom ${valueFrom}, which only the local runtime can read; on ECS use the ARN of a Secrets Manager secret or an SSM parameter`,
      );
      expect((caught as ProviderError).retryable).toBe(false);
    }
  });
});
