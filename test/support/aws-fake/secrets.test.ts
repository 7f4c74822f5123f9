/** The fake's Secrets Manager and SSM reads behave as AWS documents them, through the real SDK clients. */
import { GetSecretValueCommand, InvalidRequestException, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, ParameterVersionNotFound } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { AwsFake, createFakeAwsClients } from './index.ts';

describe('Secrets Manager GetSecretValue', () => {
  it('finds a secret by full ARN, partial ARN or name, AWSCURRENT by default; stages move on a new value', async () => {
    const fake = new AwsFake();
    const { secretsManager } = createFakeAwsClients(fake);
    const { arn, versionId: v1 } = fake.secretsManager.createSecret({ name: 'crm/token', secretString: 'one' });
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:crm\/token-[A-Za-z0-9]{6}$/);
    for (const id of [arn, arn.slice(0, -7), 'crm/token']) {
      const out = await secretsManager.send(new GetSecretValueCommand({ SecretId: id }));
      expect(out).toMatchObject({ ARN: arn, Name: 'crm/token', SecretString: 'one', VersionId: v1, VersionStages: ['AWSCURRENT'] });
    }
    const v2 = fake.secretsManager.putSecretValue('crm/token', { secretString: 'two' });
    expect((await secretsManager.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe('two');
    expect((await secretsManager.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('one');
    expect((await secretsManager.send(new GetSecretValueCommand({ SecretId: arn, VersionId: v1 }))).VersionStages).toEqual(['AWSPREVIOUS']);
    expect((await secretsManager.send(new GetSecretValueCommand({ SecretId: arn, VersionId: v2, VersionStage: 'AWSCURRENT' }))).SecretString).toBe('two');
  });

  it('throws the modelled exceptions with AWS words', async () => {
    const fake = new AwsFake();
    const { secretsManager } = createFakeAwsClients(fake, { maxAttempts: 1 });
    const { arn, versionId } = fake.secretsManager.createSecret({ name: 'crm', secretString: 'x' });
    const fail = (input: ConstructorParameters<typeof GetSecretValueCommand>[0]) => secretsManager.send(new GetSecretValueCommand(input)).then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
    const missing = await fail({ SecretId: 'nope' });
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");
    expect((await fail({ SecretId: arn, VersionStage: 'AWSPENDING' })).message).toBe("Secrets Manager can't find the specified secret value for staging label: AWSPENDING");
    expect(await fail({ SecretId: arn, VersionId: versionId, VersionStage: 'AWSPREVIOUS' })).toBeInstanceOf(ResourceNotFoundException);
    fake.secretsManager.deleteSecret('crm');
    const deleted = await fail({ SecretId: arn });
    expect(deleted).toBeInstanceOf(InvalidRequestException);
    expect(deleted.message).toBe("You can't perform this operation on the secret because it was marked for deletion.");
  });
});

describe('SSM GetParameter', () => {
  it('reads by name or ARN, decrypts a SecureString only WithDecryption, and reads a version', async () => {
    const fake = new AwsFake();
    const { ssm } = createFakeAwsClients(fake);
    fake.ssm.putParameter({ name: '/crm/token', value: 's3cret', type: 'SecureString' });
    fake.ssm.putParameter({ name: 'flat', value: 'plain' });
    fake.ssm.putParameter({ name: '/crm/token', value: 'rotated', type: 'SecureString' });
    const arn = fake.ssm.arnOf('/crm/token');
    expect(arn).toBe('arn:aws:ssm:us-east-1:123456789012:parameter/crm/token');
    expect((await ssm.send(new GetParameterCommand({ Name: arn, WithDecryption: true }))).Parameter).toMatchObject({ Name: '/crm/token', Value: 'rotated', Version: 2, Type: 'SecureString' });
    expect((await ssm.send(new GetParameterCommand({ Name: '/crm/token:1', WithDecryption: true }))).Parameter?.Value).toBe('s3cret');
    expect((await ssm.send(new GetParameterCommand({ Name: '/crm/token' }))).Parameter?.Value).not.toContain('rotated');
    expect((await ssm.send(new GetParameterCommand({ Name: fake.ssm.arnOf('flat') }))).Parameter?.Value).toBe('plain');
  });

  it('ParameterNotFound and ParameterVersionNotFound', async () => {
    const fake = new AwsFake();
    const { ssm } = createFakeAwsClients(fake, { maxAttempts: 1 });
    fake.ssm.putParameter({ name: 'flat', value: 'plain' });
    await expect(ssm.send(new GetParameterCommand({ Name: '/nope' }))).rejects.toBeInstanceOf(ParameterNotFound);
    await expect(ssm.send(new GetParameterCommand({ Name: 'arn:aws:ssm:eu-west-1:123456789012:parameter/flat' }))).rejects.toBeInstanceOf(ParameterNotFound);
    await expect(ssm.send(new GetParameterCommand({ Name: 'flat:7' }))).rejects.toBeInstanceOf(ParameterVersionNotFound);
  });
});
