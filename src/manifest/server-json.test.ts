import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { validateObject } from './index.ts';
import {
  exportServerJson,
  importServerJson,
  REGISTRY_NAME_ANNOTATION,
  SERVER_JSON_SCHEMA_URL,
  ServerJsonError,
  type ServerJson,
} from './server-json.ts';
import type { MCPServer } from './types.ts';

const fixturesDir = fileURLToPath(new URL('../../test/fixtures/server-json/', import.meta.url));
const fixtureNames = readdirSync(fixturesDir).filter((f) => f.endsWith('.json')).sort();
const fixture = (name: string): ServerJson => JSON.parse(readFileSync(`${fixturesDir}${name}`, 'utf8')) as ServerJson;

/** Fixtures whose export differs from the original, and the exact note that says how. */
const EXPECTED_DIFFERENCES: Record<string, { added: Partial<ServerJson>; note: string }> = {
  'remote-sse-minimal.json': { added: { $schema: SERVER_JSON_SCHEMA_URL }, note: `$schema: set to ${SERVER_JSON_SCHEMA_URL}.` },
};

describe('server.json fixtures', () => {
  it('has at least six realistic fixtures', () => {
    expect(fixtureNames.length).toBeGreaterThanOrEqual(6);
  });

  describe.each(fixtureNames)('%s', (name) => {
    it('import → export gives back the same document (or a difference the notes name)', () => {
      const original = fixture(name);
      const { manifest } = importServerJson(original);
      const { serverJson, notes } = exportServerJson(manifest);
      const expected = EXPECTED_DIFFERENCES[name];
      expect(serverJson).toEqual({ ...original, ...expected?.added });
      if (expected) expect(notes).toContain(expected.note);
    });

    it('round-trips through YAML text as well', () => {
      const original = fixture(name);
      const { manifest } = importServerJson(original);
      const reread = parse(stringify(manifest)) as MCPServer;
      expect(reread).toEqual(manifest);
      expect(exportServerJson(reread).serverJson).toEqual({ ...original, ...EXPECTED_DIFFERENCES[name]?.added });
    });

    it('imports to a well-formed MCPServer that validation accepts, unless it speaks legacy HTTP+SSE (refused, with a note)', () => {
      const { manifest, notes } = importServerJson(fixture(name));
      expect(manifest.apiVersion).toBe('berth.dev/v1alpha1');
      expect(manifest.kind).toBe('MCPServer');
      expect(manifest.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
      expect([manifest.spec.runtime, manifest.spec.remote].filter((x) => x !== undefined)).toHaveLength(1);
      const sse = manifest.spec.runtime?.transport === 'sse' || manifest.spec.remote?.transport === 'sse';
      expect(validateObject(manifest).map((p) => p.code)).toEqual(sse ? ['legacy-sse'] : []);
      expect(notes.some((n) => n.includes('is "sse" (legacy HTTP+SSE), which berth validate and the registry refuse'))).toBe(sse);
    });

    it('never copies a secret value into the manifest; every secret is a placeholder ARN with a note', () => {
      const original = fixture(name);
      const { manifest, notes } = importServerJson(original);
      const refs = [...(manifest.spec.runtime?.secrets ?? []), ...(manifest.spec.remote?.headers ?? [])];
      for (const ref of refs) {
        expect(ref.valueFrom).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:replace-me\//);
        expect(notes.some((n) => n.includes(`${ref.name} is a secret`) && n.includes(ref.valueFrom))).toBe(true);
      }
      const specText = JSON.stringify(manifest.spec);
      expect(specText).not.toContain('Bearer');
    });
  });
});

describe('importServerJson mapping', () => {
  it('npm stdio package: npx command, placeholder image, secret ref, env default', () => {
    const { manifest, notes } = importServerJson(fixture('npm-stdio-brave-search.json'));
    expect(manifest.metadata).toEqual(expect.objectContaining({ name: 'brave-search-mcp-server' }));
    expect(manifest.metadata.annotations?.[REGISTRY_NAME_ANNOTATION]).toBe('io.github.brave/brave-search-mcp-server');
    expect(manifest.metadata.annotations?.['berth.dev/server-json.title']).toBe('"Brave Search"');
    expect(manifest.spec.runtime).toEqual({
      image: 'replace-me.invalid/brave-search-mcp-server:2.0.58',
      transport: 'stdio',
      env: { BRAVE_MCP_LOG_LEVEL: 'info' },
      secrets: [{ name: 'BRAVE_API_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:replace-me/brave-search-mcp-server/BRAVE_API_KEY' }],
      local: { command: 'npx', args: ['-y', '@brave/brave-search-mcp-server@2.0.58'] },
    });
    expect(notes).toContain(
      'spec.runtime.image is the placeholder replace-me.invalid/brave-search-mcp-server:2.0.58: server.json publishes packages[0] as a npm package, not a container image. ' +
        'Build and push an image that runs it and put its reference there before deploying to ECS.',
    );
    expect(notes).toContain('spec.runtime.env: optional BRAVE_MCP_ENABLED_TOOLS has no default and is not set.');
  });

  it('pypi package: uvx with the pinned version and the package arguments that have values', () => {
    const { manifest, notes } = importServerJson(fixture('pypi-fetch.json'));
    expect(manifest.spec.runtime?.local).toEqual({
      command: 'uvx',
      args: ['mcp-server-fetch==2025.4.7', '--user-agent', 'BerthFetch/1.0 (+https://berth.dev)'],
    });
    expect(manifest.spec.runtime?.env).toEqual({ PYTHONUNBUFFERED: '1' });
    expect(notes).toContain('packages[0].packageArguments --proxy-url has no value in server.json and was left out; add it to the command if the server needs it.');
  });

  it('oci image: image with tag, port and path from the transport URL, docker options reported', () => {
    const { manifest, notes } = importServerJson(fixture('oci-filesystem.json'));
    expect(manifest.spec.runtime).toEqual({
      image: 'ghcr.io/acme-platform/mcp-filesystem:1.4.2',
      transport: 'streamable-http',
      port: 8080,
      mcpPath: '/mcp',
      env: { PORT: '8080', FS_MAX_FILE_BYTES: '1048576' },
      args: ['/data'],
    });
    expect(notes).toContain(
      'packages[0].runtimeArguments are docker options (--mount, -p); Berth sets the container up itself, so they are not applied (kept in annotation berth.dev/server-json.packages).',
    );
  });

  it('oci package with a separate version field (older files) and templated env values', () => {
    const { manifest } = importServerJson(fixture('every-field.json'));
    expect(manifest.spec.runtime?.image).toBe('docker.io/acmedata/warehouse-query:5.0.0-rc.2');
    expect(manifest.spec.runtime?.env).toEqual({ WAREHOUSE_ROLE: 'ANALYST_RO', QUERY_TIMEOUT_SECONDS: '60' });
    expect(manifest.spec.runtime).toMatchObject({ port: 9090, mcpPath: '/query/mcp', args: ['serve', '--max-rows', '5000', '--dialect', 'snowflake'] });
  });

  it('remote-only server: remote spec, secret header as placeholder ref, non-secret header reported', () => {
    const { manifest, notes } = importServerJson(fixture('remote-streamable-auth.json'), { team: 'sales-eng', environment: 'staging' });
    expect(manifest.spec.runtime).toBeUndefined();
    expect(manifest.spec.remote).toEqual({
      url: 'https://mcp.crm.example.com/v1/mcp',
      transport: 'streamable-http',
      headers: [{ name: 'Authorization', valueFrom: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:replace-me/opportunities/Authorization' }],
    });
    expect(manifest.spec.owner).toEqual({ team: 'sales-eng' });
    expect(manifest.spec.environment).toBe('staging');
    expect(notes).toContain(
      "remotes[0].headers: X-CRM-Org is not a secret, and Berth's remote headers are secret references only; it is not sent (kept in annotation berth.dev/server-json.remotes).",
    );
  });

  it('several packages and remotes: runs the image, reports every entry it does not deploy', () => {
    const { manifest, notes } = importServerJson(fixture('multi-package-weather.json'));
    expect(manifest.metadata.name).toBe('weather-mcp');
    expect(manifest.spec.runtime).toMatchObject({ image: 'docker.io/weathertools/weather-mcp:0.9.1', transport: 'sse', port: 3000, mcpPath: '/sse', env: { UNITS: 'metric' } });
    expect(notes).toContain('spec.runtime is made from packages[2] (oci docker.io/weathertools/weather-mcp:0.9.1).');
    expect(notes).toContain(
      'spec.runtime.transport is "sse" (legacy HTTP+SSE), which berth validate and the registry refuse because the gateway speaks streamable HTTP only; ' +
        "switch to the server's streamable-HTTP transport if it has one, or bridge it to stdio (berth validate says how).",
    );
    for (const entry of [
      'packages[0] (npm @weather-tools/weather-mcp 0.9.1)',
      'packages[1] (pypi weather-mcp 0.9.1)',
      'remotes[0] (streamable-http https://weather.example.net/mcp)',
      'remotes[1] (sse https://weather.example.net/sse)',
    ]) {
      const kind = entry.startsWith('packages') ? 'packages' : 'remotes';
      expect(notes).toContain(`${entry} is not deployed: a manifest runs one package or one remote. It is kept in annotation berth.dev/server-json.${kind} and exported again.`);
    }
  });

  it('fills governance fields conservatively and says so, or takes them from options', () => {
    const defaults = importServerJson(fixture('remote-sse-minimal.json'));
    expect(defaults.manifest.spec).toMatchObject({ owner: { team: 'unassigned' }, environment: 'dev', lifecycle: 'draft', risk: 'high', dataClassification: 'internal' });
    expect(defaults.notes).toEqual(
      expect.arrayContaining([
        'spec.owner.team is "unassigned": server.json has no owner; set the owning team (--team).',
        'spec.environment is "dev": server.json has no environment (--environment).',
        'spec.lifecycle is "draft": an imported server is not deployed until it is reviewed and promoted.',
        'spec.risk is "high" until someone rates it: server.json says nothing about risk.',
        'spec.dataClassification is "internal": server.json says nothing about the data the server reaches; set it.',
        expect.stringMatching(/^spec\.remote\.transport is "sse" \(legacy HTTP\+SSE\), which berth validate and the registry refuse.*streamable-HTTP endpoint/),
      ]),
    );
    const given = importServerJson(fixture('remote-sse-minimal.json'), { team: 'platform', risk: 'low', dataClassification: 'public', lifecycle: 'submitted' });
    expect(given.manifest.spec).toMatchObject({ owner: { team: 'platform' }, lifecycle: 'submitted', risk: 'low', dataClassification: 'public' });
  });

  it('keeps fields it does not know in an annotation and says so', () => {
    const doc = { ...fixture('remote-sse-minimal.json'), status: 'active', 'x-vendor': { tier: 'gold' } };
    const { manifest, notes } = importServerJson(doc);
    expect(notes).toContain('status, x-vendor are not part of server.json 2025-12-11; kept in annotation berth.dev/server-json.extra.');
    expect(exportServerJson(manifest).serverJson).toEqual({ ...doc, $schema: SERVER_JSON_SCHEMA_URL });
  });

  it('derives a DNS label from any registry name', () => {
    const name = (n: string): string => importServerJson({ ...fixture('remote-sse-minimal.json'), name: n }).manifest.metadata.name;
    expect(name('io.github.acme/Weather_API')).toBe('weather-api');
    expect(name('com.example/2fa..Helper--')).toBe('fa-helper');
    expect(name('com.example/___')).toBe('imported-server');
    expect(name(`com.example/${'a'.repeat(80)}`)).toHaveLength(63);
  });

  it('rejects what is not a server.json, listing every problem', () => {
    expect(() => importServerJson([])).toThrow(ServerJsonError);
    try {
      importServerJson({ name: 'no-slash', version: 1, packages: [{ registryType: 'npm', transport: { type: 'websocket' } }], remotes: [{ type: 'sse' }] });
      expect.unreachable();
    } catch (err) {
      expect((err as ServerJsonError).problems).toEqual([
        'name: must be a reverse-DNS name with one "/", e.g. "io.github.owner/weather" (got "no-slash")',
        'description: required string',
        'version: required string',
        'packages[0].identifier: required string',
        'packages[0].transport.type: must be one of stdio, streamable-http, sse (got "websocket")',
        'remotes[0].url: required for sse',
      ]);
    }
  });
});

describe('exportServerJson', () => {
  it('carries manifest edits into the package it was imported from', () => {
    const original = fixture('oci-filesystem.json');
    const { manifest } = importServerJson(original);
    const runtime = manifest.spec.runtime!;
    runtime.image = 'ghcr.io/acme-platform/mcp-filesystem:1.5.0';
    runtime.env = { ...runtime.env, FS_MAX_FILE_BYTES: '2097152', NEW_FLAG: 'on' };
    delete runtime.env['PORT'];
    runtime.secrets = [{ name: 'FS_TOKEN', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fs-token' }];
    manifest.spec.version = '1.5.0';
    const { serverJson, notes } = exportServerJson(manifest);
    const pkg = serverJson.packages![0]!;
    expect(serverJson.version).toBe('1.5.0');
    expect(pkg.identifier).toBe('ghcr.io/acme-platform/mcp-filesystem:1.5.0');
    expect(pkg.runtimeArguments).toEqual(original.packages![0]!.runtimeArguments);
    expect(pkg.environmentVariables).toEqual([
      { name: 'PORT' },
      { name: 'FS_MAX_FILE_BYTES', description: 'Largest file returned, in bytes', default: '2097152', format: 'number' },
      { name: 'NEW_FLAG', default: 'on' },
      { name: 'FS_TOKEN', isRequired: true, isSecret: true },
    ]);
    expect(notes).toContain('secret ARNs (FS_TOKEN) are not exported; server.json only says the value is a secret.');
  });

  it('carries a remote edit and publishes a real image next to an imported npm package', () => {
    const remote = importServerJson(fixture('remote-streamable-auth.json')).manifest;
    remote.spec.remote!.url = 'https://mcp.eu.crm.example.com/v1/mcp';
    expect(exportServerJson(remote).serverJson.remotes![0]!.url).toBe('https://mcp.eu.crm.example.com/v1/mcp');

    const npm = importServerJson(fixture('npm-stdio-brave-search.json')).manifest;
    npm.spec.runtime!.image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/brave-search:2.0.58';
    const { serverJson, notes } = exportServerJson(npm);
    expect(serverJson.packages).toHaveLength(2);
    expect(serverJson.packages![0]).toEqual(fixture('npm-stdio-brave-search.json').packages![0]);
    expect(serverJson.packages![1]).toMatchObject({ registryType: 'oci', identifier: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/brave-search:2.0.58', transport: { type: 'stdio' } });
    expect(notes).toContain('packages[1]: an oci package for 123456789012.dkr.ecr.eu-west-1.amazonaws.com/brave-search:2.0.58 is added next to the imported npm package.');
  });

  it('leaves out kept packages or remotes that are not lists of objects (an edited annotation), saying so', () => {
    const manifest: MCPServer = {
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'MCPServer',
      metadata: { name: 'crm', annotations: { 'berth.dev/server-json.remotes': '5', 'berth.dev/server-json.packages': '[7]', 'berth.dev/server-json.source': 'remotes[0]' } },
      spec: {
        description: 'CRM',
        owner: { team: 'sales' },
        environment: 'dev',
        lifecycle: 'approved-dev',
        risk: 'low',
        dataClassification: 'internal',
        remote: { url: 'https://crm.example.com/mcp', transport: 'streamable-http' },
      },
    };
    const { serverJson, notes } = exportServerJson(manifest);
    expect(serverJson.remotes).toEqual([{ type: 'streamable-http', url: 'https://crm.example.com/mcp' }]);
    expect(serverJson.packages).toBeUndefined();
    expect(notes).toContain('annotation berth.dev/server-json.remotes is not a list of objects; left out.');
    expect(notes).toContain('annotation berth.dev/server-json.packages is not a list of objects; left out.');
  });

  it('exports a manifest written by hand, naming what server.json cannot carry', () => {
    const manifest: MCPServer = {
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'MCPServer',
      metadata: { name: 'salesforce-opportunity' },
      spec: {
        description: 'Search and update Salesforce opportunities',
        owner: { team: 'Sales Engineering' },
        environment: 'production',
        lifecycle: 'approved-production',
        risk: 'high',
        dataClassification: 'confidential',
        version: '1.4.0',
        runtime: {
          image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/salesforce-opportunity:1.4.0',
          transport: 'streamable-http',
          port: 8080,
          cpu: 512,
          memory: 1024,
          env: { SF_API_VERSION: '61.0' },
          secrets: [{ name: 'SF_CLIENT_SECRET', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sf-client' }],
        },
        tools: [{ name: 'searchOpportunity', scopes: ['salesforce.read'] }],
      },
    };
    const { serverJson, notes } = exportServerJson(manifest);
    expect(serverJson).toEqual({
      $schema: SERVER_JSON_SCHEMA_URL,
      name: 'dev.berth.sales-engineering/salesforce-opportunity',
      description: 'Search and update Salesforce opportunities',
      version: '1.4.0',
      packages: [
        {
          registryType: 'oci',
          identifier: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/salesforce-opportunity:1.4.0',
          transport: { type: 'streamable-http', url: 'http://localhost:8080/mcp' },
          environmentVariables: [
            { name: 'SF_API_VERSION', default: '61.0' },
            { name: 'SF_CLIENT_SECRET', isRequired: true, isSecret: true },
          ],
        },
      ],
    });
    expect(notes).toEqual([
      'name: the manifest has no berth.dev/registry-name annotation, so the registry name is "dev.berth.sales-engineering/salesforce-opportunity"; set the annotation to the reverse-DNS name you publish under.',
      `$schema: set to ${SERVER_JSON_SCHEMA_URL}.`,
      'spec.owner, spec.environment, spec.lifecycle, spec.risk, spec.dataClassification, spec.tools have no place in server.json and are not exported.',
      'spec.runtime.cpu, spec.runtime.memory are deployment settings server.json can\'t carry; not exported.',
      'secret ARNs (SF_CLIENT_SECRET) are not exported; server.json only says the value is a secret.',
    ]);
  });
});
