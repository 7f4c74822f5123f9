/**
 * AWS secret references read as an ECS task definition's `secrets` reads them
 * (src/providers/ecs/secret-resolver.ts), against the stateful AWS fake behind
 * the real SDK clients; and, end to end, a server whose `spec.remote.headers`
 * name a Secrets Manager ARN gets the value from the gateway, rotation included.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSecretResolver } from '../src/cli/secret-resolver.ts';
import { startGateway } from '../src/gateway/gateway.ts';
import { RouteTable } from '../src/gateway/route-table.ts';
import { createAwsSecretResolver, parseAwsSecretReference } from '../src/providers/ecs/secret-resolver.ts';
import { server, silentLogger } from './gateway-helpers.ts';
import { AwsFake, createFakeAwsClients } from './support/aws-fake/index.ts';
import { waitFor } from './support/wait.ts';
import { withApprovals } from './support/approvals.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

function world() {
  const fake = new AwsFake();
  const clients = createFakeAwsClients(fake, { maxAttempts: 1 });
  const regions: string[] = [];
  const resolve = createAwsSecretResolver({ clientsFor: (region) => (regions.push(region), { secretsManager: clients.secretsManager, ssm: clients.ssm }) });
  return { fake, resolve, regions };
}

describe('parseAwsSecretReference', () => {
  it('reads the ECS forms and refuses the rest', () => {
    const base = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm-AbCdEf';
    expect(parseAwsSecretReference(base)).toEqual({ kind: 'secretsmanager', region: 'eu-west-1', secretId: base });
    expect(parseAwsSecretReference(`${base}:token:AWSPREVIOUS:`)).toEqual({ kind: 'secretsmanager', region: 'eu-west-1', secretId: base, jsonKey: 'token', versionStage: 'AWSPREVIOUS' });
    expect(parseAwsSecretReference(`${base}:::v-1`)).toEqual({ kind: 'secretsmanager', region: 'eu-west-1', secretId: base, versionId: 'v-1' });
    expect(parseAwsSecretReference('arn:aws:ssm:us-east-2:123456789012:parameter/crm/token')).toEqual({ kind: 'ssm', region: 'us-east-2', name: 'arn:aws:ssm:us-east-2:123456789012:parameter/crm/token' });
    for (const bad of [`${base}:token`, 'arn:aws:ssm:us-east-2:123456789012:parameter/', 'arn:aws:s3:::bucket', 'arn:aws:secretsmanager:eu-west-1:1234:secret:x']) {
      expect(() => parseAwsSecretReference(bad), bad).toThrow('not a Secrets Manager or SSM ARN');
    }
  });
});

describe('createAwsSecretResolver against the AWS fake', () => {
  it('reads a SecretString, a JSON key of it, another stage or version, and an SSM parameter decrypted', async () => {
    const { fake, resolve, regions } = world();
    const { arn, versionId: first } = fake.secretsManager.createSecret({ name: 'crm', secretString: JSON.stringify({ token: 'Bearer one', port: 8443 }) });
    fake.secretsManager.putSecretValue('crm', { secretString: JSON.stringify({ token: 'Bearer two' }) });
    fake.ssm.putParameter({ name: '/crm/api-key', value: 'k3y', type: 'SecureString' });
    expect(await resolve(arn)).toBe('{"token":"Bearer two"}');
    expect(await resolve(`${arn}:token::`)).toBe('Bearer two');
    expect(await resolve(`${arn}:token:AWSPREVIOUS:`)).toBe('Bearer one');
    expect(await resolve(`${arn}:port::${first}`)).toBe('8443');
    expect(await resolve(fake.ssm.arnOf('/crm/api-key'))).toBe('k3y');
    expect(regions).toEqual(['us-east-1']); // clients made once per region
    expect(fake.callCounts()).toEqual({ GetSecretValue: 4, GetParameter: 1 });
  });

  it('says what is wrong, in AWS words, without a value', async () => {
    const { fake, resolve } = world();
    const { arn } = fake.secretsManager.createSecret({ name: 'plain', secretString: 'not-json-s3cret' });
    const missing = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf';
    await expect(resolve(missing)).rejects.toThrow(`Secrets Manager GetSecretValue of ${missing} failed: ResourceNotFoundException: Secrets Manager can't find the specified secret.; check the reference`);
    await expect(resolve(`${arn}::AWSPENDING:`)).rejects.toThrow("(stage AWSPENDING) failed: ResourceNotFoundException: Secrets Manager can't find the specified secret value for staging label: AWSPENDING");
    const notJson = await resolve(`${arn}:token::`).then(() => undefined, (e: Error) => e);
    expect(notJson?.message).toBe(`${arn} is not JSON, so it has no key token; drop the json-key from the reference or store a JSON object`);
    const { arn: json } = fake.secretsManager.createSecret({ name: 'json', secretString: '{"a":"b"}' });
    await expect(resolve(`${json}:token::`)).rejects.toThrow(`${json} has no string key token`);
    await expect(resolve('arn:aws:ssm:us-east-1:123456789012:parameter/nope')).rejects.toThrow('SSM has no parameter arn:aws:ssm:us-east-1:123456789012:parameter/nope (ParameterNotFound)');
    fake.secretsManager.deleteSecret('plain');
    await expect(resolve(arn)).rejects.toThrow('InvalidRequestException: You can\'t perform this operation on the secret because it was marked for deletion.');
    const all = await Promise.all([resolve(arn), resolve(`${arn}:token::`)].map((p) => p.catch((e: Error) => e.message)));
    expect(all.join('\n')).not.toContain('not-json-s3cret');
  });
});

describe('the gateway reading a Secrets Manager ARN', () => {
  it('sends the secret upstream and, after a rotation, reads it again on the 401 and sends the new one', async () => {
    const { fake, resolve } = world();
    const { arn } = fake.secretsManager.createSecret({ name: 'crm/token', secretString: '{"authorization":"Bearer v1"}' });
    let accepted = 'Bearer v1';
    const seen: Array<string | undefined> = [];
    const up = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      const ok = req.headers.authorization === accepted;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: 1, ...(ok ? { result: {} } : { error: { code: -32001, message: 'Unauthorized' } }) }));
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    const crm = server('crm', { endpoint: `http://127.0.0.1:${(up.address() as AddressInfo).port}/mcp` });
    crm.spec.remote!.headers = [{ name: 'Authorization', valueFrom: `${arn}:authorization::` }];
    const table = new RouteTable();
    table.replaceAll([withApprovals(crm)]);
    const gw = await startGateway({
      routeTable: table,
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      closeGraceMs: 100,
      resolveSecret: createSecretResolver({ env: {}, resolveArn: resolve }),
      secretRefresh: { after401Ms: 0 },
      remoteAddresses: LOOPBACK_REMOTES,
    });
    const ping = () =>
      fetch(`${gw.url}/mcp/crm`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' }).then(async (r) => {
        await r.text();
        return r.status;
      });
    try {
      expect(await ping()).toBe(200);
      fake.secretsManager.putSecretValue('crm/token', { secretString: '{"authorization":"Bearer v2"}' });
      accepted = 'Bearer v2';
      // The value held is still sent and refused; the 401 has the gateway read the secret again.
      expect(await ping()).toBe(401);
      await waitFor('the rotated secret to be read', async () => fake.callCounts().GetSecretValue === 2);
      expect(await ping()).toBe(200);
      expect(seen).toEqual(['Bearer v1', 'Bearer v1', 'Bearer v2']);
    } finally {
      await gw.close();
      up.closeAllConnections();
      await new Promise((r) => up.close(r));
    }
  });
});
