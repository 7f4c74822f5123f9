/**
 * The hand-written OpenAPI 3.1 description served at `/openapi.json`. Object
 * bodies reference the JSON Schemas in `schemas/` (embedded as components, with
 * their own `$id`, so their internal `$ref`s resolve), the single source of truth.
 */
import { readFileSync } from 'node:fs';
import { KIND_PLURALS, KINDS } from '../../manifest/resource.ts';
import { ROLES } from '../../client/wire.ts';
import { approvalPaths, approvalSchemas } from './openapi-approvals.ts';
import { dashboardPaths, dashboardSchemas } from './openapi-dashboard.ts';

const schemaFiles = { MCPServer: 'mcpserver.schema.json', AccessPolicy: 'accesspolicy.schema.json' } as const;

function loadSchema(file: string): unknown {
  return JSON.parse(readFileSync(new URL(`../../../schemas/${file}`, import.meta.url), 'utf8')) as unknown;
}

const problem = { $ref: '#/components/responses/Problem' };
const problems = (...codes: number[]): Record<string, unknown> => Object.fromEntries(codes.map((c) => [String(c), problem]));
const yamlOrJson = (ref: string): unknown => ({
  required: true,
  content: { 'application/json': { schema: { $ref: ref } }, 'application/yaml': { schema: { $ref: ref } } },
});
const ok = (ref: string, description: string): unknown => ({ description, content: { 'application/json': { schema: { $ref: ref } } } });
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$' } };
const dryRunParam = { name: 'dryRun', in: 'query', schema: { type: 'string', enum: ['1', 'true'] }, description: 'Validate and authorize only; store nothing.' };

function kindPaths(kind: (typeof KINDS)[number]): Record<string, unknown> {
  const plural = KIND_PLURALS[kind];
  const ref = `#/components/schemas/${kind}`;
  const base = `/apis/berth.dev/v1alpha1/${plural}`;
  return {
    [base]: {
      get: {
        summary: `List ${kind} objects, or watch them with watch=1`,
        parameters: [
          { name: 'labelSelector', in: 'query', schema: { type: 'string' }, example: 'berth.dev/source=servers,tier!=dev' },
          { name: 'team', in: 'query', schema: { type: 'string' }, description: 'spec.owner.team equals' },
          { name: 'lifecycle', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
          { name: 'continue', in: 'query', schema: { type: 'string' } },
          { name: 'watch', in: 'query', schema: { type: 'string', enum: ['1', 'true'] } },
          { name: 'resourceVersion', in: 'query', schema: { type: 'string', pattern: '^[0-9]+$' }, description: 'Watch: send changes newer than this.' },
        ],
        responses: {
          '200': {
            description: 'A page of objects; with watch=1 a stream of newline-delimited WatchEvent lines (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR, RECONNECT).',
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/List' } },
              'application/x-ndjson': { schema: { $ref: '#/components/schemas/WatchEvent' } },
            },
          },
          ...problems(400, 401, 403, 410),
        },
      },
      post: {
        summary: `Create a ${kind}`,
        parameters: [dryRunParam],
        requestBody: yamlOrJson(ref),
        responses: { '201': ok(ref, 'Created'), ...problems(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    [`${base}/{name}`]: {
      parameters: [nameParam],
      get: { summary: `Get a ${kind}`, responses: { '200': ok(ref, 'The object'), ...problems(400, 401, 404) } },
      put: {
        summary: `Replace a ${kind}'s labels, annotations and spec; metadata.resourceVersion, when sent, must be current (else 409)`,
        parameters: [dryRunParam],
        requestBody: yamlOrJson(ref),
        responses: { '200': ok(ref, 'Replaced (or unchanged)'), ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
      },
      delete: {
        summary: `Delete a ${kind}; while finalizers remain it is only marked (deletionTimestamp) and the header berth-deleted is false`,
        parameters: [
          { name: 'resourceVersion', in: 'query', schema: { type: 'string' } },
          { name: 'reason', in: 'query', schema: { type: 'string', enum: ['prune'] }, description: 'Recorded in the audit log.' },
        ],
        responses: { '200': ok(ref, 'Removed or marked deleting'), ...problems(400, 401, 403, 404, 409) },
      },
    },
    [`${base}/{name}/apply`]: {
      parameters: [nameParam],
      post: {
        summary: `Apply a ${kind}: create, replace the user's fields, or do nothing when equal`,
        parameters: [dryRunParam],
        requestBody: yamlOrJson(ref),
        responses: {
          '200': ok('#/components/schemas/ApplyResult', 'Configured or unchanged'),
          '201': ok('#/components/schemas/ApplyResult', 'Created'),
          ...problems(400, 401, 403, 409, 413, 415, 422),
        },
      },
    },
    [`${base}/{name}/status`]: {
      parameters: [nameParam],
      put: {
        summary: 'Replace status (controller, admin); never bumps generation',
        requestBody: yamlOrJson(ref),
        responses: { '200': ok(ref, 'Updated'), ...problems(400, 401, 403, 404, 409, 422) },
      },
      patch: {
        summary: 'Merge-patch status (RFC 7386) (controller, admin)',
        requestBody: { required: true, content: { 'application/merge-patch+json': { schema: { type: 'object' } }, 'application/json': { schema: { type: 'object' } } } },
        responses: { '200': ok(ref, 'Updated'), ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
  };
}

/** Builds the OpenAPI 3.1 document (reads the schema files each call; cache the result). */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const kindSchemas = Object.fromEntries(KINDS.map((k) => [k, loadSchema(schemaFiles[k])]));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Berth registry API',
      version,
      description: 'Desired and observed state of MCP servers and access policies. Errors are RFC 9457 problem details.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths: {
      '/healthz': { get: { security: [], summary: 'Process is alive', responses: { '200': { description: 'ok' } } } },
      '/readyz': { get: { security: [], summary: 'Store is reachable', responses: { '200': { description: 'ready' }, '503': problem } } },
      '/metrics': { get: { security: [], summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
      '/openapi.json': { get: { security: [], summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
      ...Object.assign({}, ...KINDS.map(kindPaths)),
      '/apis/berth.dev/v1alpha1/audit': {
        get: {
          summary: 'Query the audit log, newest first (every role but agent and gateway); since inclusive, until exclusive; continue when the page was full',
          parameters: ['since', 'until', 'actor', 'kind', 'name', 'action', 'limit', 'continue'].map((n) => ({ name: n, in: 'query', schema: { type: 'string' } })),
          responses: { '200': { description: 'Entries', content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { $ref: '#/components/schemas/AuditEntry' } }, continue: { type: 'string' } } } } } }, ...problems(400, 401, 403) },
        },
        post: { summary: 'Append an audit entry (controller, admin)', requestBody: yamlOrJson('#/components/schemas/AuditEntry'), responses: { '201': ok('#/components/schemas/AuditEntry', 'Appended'), ...problems(400, 401, 403) } },
      },
      '/apis/berth.dev/v1alpha1/tokens': {
        get: { summary: 'List tokens (admin); hashes are never returned', responses: { '200': { description: 'Tokens' }, ...problems(401, 403) } },
        post: {
          summary: 'Create a token (admin); the token is in the response once',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['role'], properties: { role: { enum: [...ROLES] }, team: { type: 'string' }, agent: { type: 'string', description: 'The agent of an agent key (a DNS label); required for role agent, refused for the others' }, groups: { type: 'array', items: { type: 'string' }, description: 'Groups of an agent key (role agent only)' }, expires: { type: 'string', pattern: '^[0-9]+[smhdw]$' }, description: { type: 'string' } } } } } },
          responses: { '201': { description: 'Created: { token, record }' }, ...problems(400, 401, 403, 422) },
        },
      },
      '/apis/berth.dev/v1alpha1/tokens/{id}': {
        delete: { summary: 'Revoke a token (admin)', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'Revoked' }, ...problems(401, 403, 404) } },
      },
      '/apis/berth.dev/v1alpha1/tokenreviews': {
        post: {
          summary: 'Review an agent key a gateway was presented (gateway, admin); the secret never travels, only its SHA-256',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/TokenReviewRequest' } } } },
          responses: { '200': ok('#/components/schemas/TokenReview', 'The review: authenticated with the agent, or not with the reason'), ...problems(400, 401, 403, 422) },
        },
      },
      '/apis/berth.dev/v1alpha1/leases/{name}': {
        parameters: [nameParam],
        post: { summary: 'Acquire or renew a lease (controller, admin)', responses: { '200': { description: '{ acquired }' }, ...problems(400, 401, 403) } },
        delete: { summary: 'Release a lease (controller, admin)', parameters: [{ name: 'holder', in: 'query', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'Released' }, ...problems(400, 401, 403) } },
      },
      ...approvalPaths(),
      ...dashboardPaths(),
      '/apis/berth.dev/v1alpha1/mcpservers/{name}/approvals': {
        parameters: [nameParam],
        post: {
          summary: "Approve or reject a lifecycle stage of the server's stored spec (approver, admin); publishers get 403",
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['stage'],
                  properties: {
                    stage: { enum: ['approved-dev', 'approved-production'] },
                    decision: { enum: ['approved', 'rejected'], default: 'approved' },
                    note: { type: 'string', maxLength: 1000, description: 'Why; required for a rejection' },
                    specHash: { type: 'string', pattern: '^[0-9a-f]{8,64}$', description: 'The review hash the approver looked at; 409 when the spec moved on' },
                  },
                },
              },
            },
          },
          responses: { '201': { description: '{ object, effective }: the server with its approvals, and its effective stage' }, ...problems(400, 401, 403, 404, 409, 422) },
        },
      },
      '/apis/berth.dev/v1alpha1/whoami': {
        get: { summary: "The calling token's id, role and team", responses: { '200': { description: '{ tokenId, role, team? }' }, ...problems(401) } },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'berth_<id>_<secret>' } },
      responses: {
        Problem: { description: 'RFC 9457 problem details', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
      schemas: {
        ...kindSchemas,
        ...approvalSchemas(),
        ...dashboardSchemas(),
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } } } },
          },
        },
        List: {
          type: 'object',
          properties: {
            apiVersion: { const: 'berth.dev/v1alpha1' },
            kind: { enum: KINDS.map((k) => `${k}List`) },
            metadata: { type: 'object', properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' } } },
            items: { type: 'array', items: { oneOf: KINDS.map((k) => ({ $ref: `#/components/schemas/${k}` })) } },
          },
        },
        WatchEvent: {
          type: 'object',
          required: ['type', 'object'],
          properties: { type: { enum: ['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR', 'RECONNECT'] }, object: { type: 'object' } },
        },
        ApplyResult: {
          type: 'object',
          required: ['result', 'object'],
          properties: { result: { enum: ['created', 'configured', 'unchanged'] }, object: { type: 'object' } },
        },
        TokenReviewRequest: {
          type: 'object',
          required: ['tokenId', 'hash'],
          properties: {
            tokenId: { type: 'string', description: "The presented token's public id (tok_…)" },
            hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: "SHA-256 hex of the presented token's secret, computed by the gateway" },
          },
        },
        TokenReview: {
          oneOf: [
            {
              type: 'object',
              required: ['authenticated', 'tokenId', 'agent', 'groups'],
              properties: {
                authenticated: { const: true },
                tokenId: { type: 'string' },
                agent: { type: 'string' },
                groups: { type: 'array', items: { type: 'string' } },
                expiresAt: { type: 'string', format: 'date-time' },
              },
            },
            { type: 'object', required: ['authenticated', 'reason'], properties: { authenticated: { const: false }, reason: { type: 'string' } } },
          ],
        },
        AuditEntry: {
          type: 'object',
          required: ['actor', 'action'],
          properties: {
            id: { type: 'integer' }, time: { type: 'string', format: 'date-time' }, actor: { type: 'string' }, action: { type: 'string' },
            kind: { type: 'string' }, name: { type: 'string' }, generationBefore: { type: 'integer' }, generationAfter: { type: 'integer' },
            specHash: { type: 'string' }, details: { type: 'object' },
          },
        },
      },
    },
  };
}
