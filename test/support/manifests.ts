/**
 * Manifest builders for tests, so the required-but-irrelevant fields of a spec are
 * written once and each test states only what it is about.
 */
import { API_VERSION } from '../../src/manifest/resource.ts';
import type { MCPServer, MCPServerSpec } from '../../src/manifest/types.ts';

/**
 * An MCPServer (no defaults applied) owned by team `platform`, `dev`, `approved-dev`,
 * `low` risk, `internal` data; `spec` adds to or replaces those top-level fields
 * (key order stays: the base fields first, so spec hashes are stable).
 * @example mcpServer('weather', { runtime: { image: 'ghcr.io/acme/weather:1', transport: 'streamable-http' } })
 */
export function mcpServer(name: string, spec: Partial<MCPServerSpec> = {}): MCPServer {
  return {
    apiVersion: API_VERSION,
    kind: 'MCPServer',
    metadata: { name },
    spec: {
      owner: { team: 'platform' },
      environment: 'dev',
      lifecycle: 'approved-dev',
      risk: 'low',
      dataClassification: 'internal',
      ...spec,
    },
  };
}
