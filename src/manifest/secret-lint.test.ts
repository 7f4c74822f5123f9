/**
 * The secret lint (secret-lint.ts) through validation: each form of literal secret
 * is caught, with the field path and a reason, without echoing the value; normal
 * values (paths, plain URLs, image refs, digests, hashes, UUIDs) are not flagged.
 */
import { describe, expect, it } from 'vitest';
import { validateObject, type MCPServer } from './index.ts';
import { looksHighEntropy, shannonEntropy } from './secret-lint.ts';
import { mcpServer } from '../../test/support/manifests.ts';

function withEnv(env: Record<string, string>): MCPServer {
  return mcpServer('weather', { runtime: { image: 'ghcr.io/acme/weather-mcp:1.0.0', transport: 'streamable-http', env } });
}

function withLocal(command: string, args: string[], env: Record<string, string> = {}): MCPServer {
  return mcpServer('weather', { runtime: { transport: 'stdio', local: { command, args, env } } as MCPServer['spec']['runtime'] });
}

function secretProblems(server: MCPServer) {
  return validateObject(server).filter((p) => p.code === 'literal-secret');
}

/** Values built at run time, so no literal secret sits in this file for scanners to trip on. */
const STRIPE = ['sk', 'live', 'a1B2c3D4e5F6g7H8i9J0kLmN'].join('_');
const STRIPE_TEST = ['sk', 'test', 'a1B2c3D4e5F6g7H8i9J0kLmN'].join('_');
const GH = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const GHO = 'gho_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const GH_PAT = 'github_pat_' + '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz';
const SLACK = ['xoxb', '1234567890', 'abcdefghijkl'].join('-');
const AWS = 'AKIA' + 'IOSFODNN7EXAMPLE';
const AWS_TEMP = 'ASIA' + 'IOSFODNN7EXAMPLE';
const GOOGLE = 'AIza' + 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q';
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA', '-----END RSA PRIVATE KEY-----'].join('\n');
const JWT = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'].join('.');
const RANDOM = 'q8Zt3Kp0Wm7Xv2Lr9Bn4Hc6Jd1Fs5Gy8';

describe('secret lint: env values', () => {
  it.each([
    ['DB_PASS', 'hunter2', 'its name says it holds a secret'],
    ['DB_PASSWORD', 'hunter2', 'its name says it holds a secret'],
    ['SMTP_PASSWD', 'hunter2', 'its name says it holds a secret'],
    ['STRIPE_KEY', 'whatever-it-is', 'its name says it holds a secret'],
    ['CLIENT_SECRET', 'abc', 'its name says it holds a secret'],
    ['ghToken', 'abc', 'its name says it holds a secret'],
    ['SERVICE_CREDENTIALS', 'abc', 'its name says it holds a secret'],
    ['SIGNING_PASSPHRASE', 'correct horse', 'its name says it holds a secret'],
    ['UPSTREAM', STRIPE, 'a Stripe secret key'],
    ['UPSTREAM', STRIPE_TEST, 'a Stripe secret key'],
    ['UPSTREAM', GH, 'a GitHub token'],
    ['UPSTREAM', GHO, 'a GitHub token'],
    ['UPSTREAM', GH_PAT, 'a GitHub token'],
    ['UPSTREAM', SLACK, 'a Slack token'],
    ['UPSTREAM', AWS, 'an AWS access key'],
    ['UPSTREAM', AWS_TEMP, 'an AWS access key'],
    ['UPSTREAM', GOOGLE, 'a Google API key'],
    ['UPSTREAM', PEM, 'a private key'],
    ['UPSTREAM', JWT, 'a JSON Web Token'],
    ['DATABASE_URL', 'postgres://app:s3cr3t-pw@db.internal:5432/app', 'a URL with a password in it'],
    ['WEBHOOK', 'https://api.example.com/hook?api_key=abc123def', 'query parameter "api_key"'],
    ['SEED', RANDOM, 'random-looking token'],
  ])('%s with %s… is flagged (%s), path named, value not echoed', (name, value, why) => {
    const problems = secretProblems(withEnv({ [name]: value }));
    expect(problems.map((p) => p.path)).toEqual([`spec.runtime.env.${name}`]);
    expect(problems[0]!.message).toContain(why);
    expect(problems[0]!.message).toContain('valueFrom');
    expect(problems[0]!.message).not.toContain(value);
  });

  it('does not flag normal values', () => {
    const env = {
      LOG_LEVEL: 'info',
      PORT: '8080',
      HOME_DIR: '/home/app',
      CONFIG_PATH: '/etc/weather/ConfigurationForProduction2024Settings.yaml',
      UPSTREAM_URL: 'https://api.weather.example.com/v2/forecast?region=EU&units=metric',
      IMAGE: 'ghcr.io/acme/weather-mcp@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      DIGEST: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      GIT_SHA: '3f786850e387550fdab836ed7e6dc881de23001b',
      REQUEST_ID: '550e8400-e29b-41d4-a716-446655440000',
      GREETING: 'Hello from the weather server, version 2',
      DB_PASSWORD_FILE: '/run/secrets/db-password',
      API_KEY_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:weather/key',
      TOKEN_URL: 'https://login.example.com/oauth2/token',
      DB_PASSWORD: '${DB_PASSWORD}',
      SORT_ORDER: 'ascending',
      JAVA_OPTS: '-Xmx512m -XX:+UseG1GC -Dfile.encoding=UTF-8',
    };
    expect(secretProblems(withEnv(env))).toEqual([]);
  });
});

describe('secret lint: command lines', () => {
  it('flags --password=…, --token …, NAME=secret and known formats in local.args and runtime.command/args', () => {
    const problems = secretProblems(withLocal('node', ['server.js', '--port', '8080', '--password=hunter2', '--token', 'abc123', 'DB_PASS=hunter2', `--key-from=${GH}`, '--api-key', 'zzz']));
    expect(problems.map((p) => p.path)).toEqual(['spec.runtime.local.args[3]', 'spec.runtime.local.args[5]', 'spec.runtime.local.args[6]', 'spec.runtime.local.args[7]', 'spec.runtime.local.args[9]']);
    for (const p of problems) {
      expect(p.message).not.toMatch(/hunter2|abc123|zzz/);
      expect(p.message).toContain('secrets:');
    }
    expect(problems[0]!.message).toContain('it passes --password a literal value');
    expect(problems[1]!.message).toContain('it is the value of --token');

    const image = mcpServer('weather', { runtime: { image: 'ghcr.io/acme/weather-mcp:1.0.0', transport: 'streamable-http', command: ['sh', '-c', `curl -H "x: ${STRIPE}" x`], args: ['--secret=abc'] } });
    expect(secretProblems(image).map((p) => p.path)).toEqual(['spec.runtime.args[0]', 'spec.runtime.command[2]']);
    expect(secretProblems(withLocal(`DB_PASSWORD=hunter2`, [])).map((p) => p.path)).toEqual(['spec.runtime.local.command']);
  });

  it('does not flag flags about where a secret is, placeholders, or ordinary arguments', () => {
    const args = ['server.js', '--token-file', '/run/secrets/token', '--password-stdin', '--password', '${PASSWORD}', '--port=8080', '--config', './config.yaml', '--verbose', 'mcp.example.com'];
    expect(secretProblems(withLocal('node', args))).toEqual([]);
  });
});

describe('secret lint: remote URLs', () => {
  it('flags a password in spec.remote.url, pointing at headers valueFrom, without echoing it', () => {
    const problems = secretProblems(mcpServer('crm', { remote: { url: 'https://bot:pa55w0rd-x@crm.example.com/mcp', transport: 'streamable-http' } }));
    expect(problems.map((p) => p.path)).toEqual(['spec.remote.url']);
    expect(problems[0]!.message).toContain('headers: [{ name: Authorization, valueFrom');
    expect(problems[0]!.message).not.toContain('pa55w0rd-x');
  });

  it('does not flag a plain remote URL', () => {
    expect(validateObject(mcpServer('crm', { remote: { url: 'https://crm.example.com/mcp?tenant=acme', transport: 'streamable-http' } }))).toEqual([]);
  });
});

describe('entropy', () => {
  it('reads random tokens as random and words, hex and paths as not', () => {
    expect(shannonEntropy(RANDOM)).toBeGreaterThan(4.0);
    // Made once with crypto.randomBytes(30).toString('base64url').slice(0, 32).
    for (const v of [RANDOM, 'd7BFVWOMntV1sjfZKFRlhbqM3kc4BsPR', 'WoriIU2yRmKXqQMvr5zZPgWAYFEQYcSr', 'IZdwYQ_8J-yCNBeY72LPCaGMRQwDRpQi', '5sAZiwBtoZ5EGaeCWDv0JC3LFLd_wi8P', 'Pp3N8Gh6kubGqzccRBw9TZKdjy_vlISR']) {
      expect(looksHighEntropy(v), v).toBe(true);
    }
    // As much entropy per character as keys, but words: not flagged.
    for (const v of ['ThisIsAVeryLongCamelCaseIdentifier2', 'XMLHttpRequestFactoryProvider2Impl', 'getUserAccountSettingsV2ForTenant', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '/opt/app/Q8Zt3Kp0Wm7Xv2Lr9Bn4Hc6Jd1Fs5Gy8', 'https://x.example.com/Q8Zt3Kp0Wm7Xv2Lr9Bn4Hc6Jd1Fs5Gy8']) {
      expect(looksHighEntropy(v), v).toBe(false);
    }
  });
});
