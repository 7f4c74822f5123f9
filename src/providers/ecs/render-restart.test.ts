import { describe, expect, it } from 'vitest';
import { desiredServer } from '../../../test/fixtures/mcp-servers/harness.ts';
import { RENDER_TEST_CONFIG } from '../../../test/support/ecs-render-config.ts';
import { renderServer } from './render.ts';

const config = RENDER_TEST_CONFIG;

describe('renderServer: the restart marker (berth.dev/restartedAt)', () => {
  it('a new marker renders a new task definition and service hash (ECS rolls the tasks); no marker renders no label', () => {
    const plain = desiredServer('w', { local: { command: 'node' } });
    const before = renderServer(plain, config);
    const after = renderServer({ ...plain, restartedAt: '2026-12-06T06:40:00.000Z' }, config);
    expect(before.taskDefinition.containerDefinitions?.[0]?.dockerLabels).toBeUndefined();
    expect(after.taskDefinition.containerDefinitions?.[0]?.dockerLabels).toEqual({ 'berth.dev/restartedAt': '2026-12-06T06:40:00.000Z' });
    expect(after.taskDefinitionHash).not.toBe(before.taskDefinitionHash);
    expect(after.service.hash).not.toBe(before.service.hash);
  });
});
