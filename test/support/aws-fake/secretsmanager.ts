/**
 * Secrets Manager as far as Berth reads it: secrets with versions and staging
 * labels, and GetSecretValue with AWS's rules.
 *
 * - SecretId: the full ARN (`…:secret:<name>-<6 characters>`), the partial ARN
 *   without the 6 characters, or the name.
 * - Neither VersionId nor VersionStage: the AWSCURRENT version. Both: they must
 *   name the same version. Unknown ones: ResourceNotFoundException.
 * - A new value (fake-only `putSecretValue`) becomes AWSCURRENT; the version that
 *   held it becomes AWSPREVIOUS.
 * - A secret scheduled for deletion: InvalidRequestException.
 */
import { InvalidRequestException, ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { ACCOUNT_ID, REGION, type World } from './common.ts';
import { awsError } from './errors.ts';

interface Version {
  id: string;
  secretString?: string;
  secretBinary?: Uint8Array;
  stages: Set<string>;
  created: number;
}

interface Secret {
  name: string;
  arn: string;
  versions: Version[];
  deletedAt?: number;
}

/** The Secrets Manager model of the fake account. */
export class SecretsManagerFake {
  readonly #world: World;
  readonly #secrets = new Map<string, Secret>();
  /** API operations, by name. */
  readonly handlers: Record<string, (input: never) => unknown>;

  constructor(world: World) {
    this.#world = world;
    this.handlers = { GetSecretValue: (input: GetSecretValueInput) => this.#getSecretValue(input) };
  }

  /** Creates a secret (fake-only; CreateSecret's effect) with its first, AWSCURRENT version. */
  createSecret(opts: { name: string; secretString?: string; secretBinary?: Uint8Array }): { arn: string; versionId: string } {
    if (this.#secrets.has(opts.name)) throw new Error(`secret ${opts.name} exists already in the fake`);
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${opts.name}-${this.#suffix()}`;
    const secret: Secret = { name: opts.name, arn, versions: [] };
    this.#secrets.set(opts.name, secret);
    const versionId = this.#addVersion(secret, opts);
    return { arn, versionId };
  }

  /** A new value (fake-only; PutSecretValue's effect): AWSCURRENT moves to it, the previous holder becomes AWSPREVIOUS. */
  putSecretValue(name: string, value: { secretString?: string; secretBinary?: Uint8Array }, stages: readonly string[] = ['AWSCURRENT']): string {
    const secret = this.#secrets.get(name);
    if (secret === undefined) throw new Error(`no secret ${name} in the fake`);
    return this.#addVersion(secret, value, stages);
  }

  /** Schedules the secret for deletion (DeleteSecret with a recovery window): reads then fail. */
  deleteSecret(name: string): void {
    const secret = this.#secrets.get(name);
    if (secret !== undefined) secret.deletedAt = this.#world.now();
  }

  #suffix(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    return this.#world.ids.hex(6).split('').map((c) => alphabet[parseInt(c, 16) * 3]!).join('');
  }

  #addVersion(secret: Secret, value: { secretString?: string; secretBinary?: Uint8Array }, stages: readonly string[] = ['AWSCURRENT']): string {
    const id = `${this.#world.ids.hex(8)}-${this.#world.ids.hex(4)}-${this.#world.ids.hex(4)}-${this.#world.ids.hex(4)}-${this.#world.ids.hex(12)}`;
    if (stages.includes('AWSCURRENT')) {
      for (const v of secret.versions) v.stages.delete('AWSPREVIOUS');
      const current = secret.versions.find((v) => v.stages.has('AWSCURRENT'));
      if (current !== undefined) {
        current.stages.delete('AWSCURRENT');
        current.stages.add('AWSPREVIOUS');
      }
    }
    for (const stage of stages) for (const v of secret.versions) if (stage !== 'AWSCURRENT') v.stages.delete(stage);
    secret.versions.push({ id, ...value, stages: new Set(stages), created: this.#world.now() });
    return id;
  }

  #find(secretId: string): Secret | undefined {
    const byName = this.#secrets.get(secretId);
    if (byName !== undefined) return byName;
    for (const s of this.#secrets.values()) {
      // The full ARN, or the partial ARN without the random suffix.
      if (s.arn === secretId || s.arn.slice(0, -7) === secretId) return s;
    }
    return undefined;
  }

  #getSecretValue(input: GetSecretValueInput): unknown {
    const secret = input.SecretId === undefined ? undefined : this.#find(input.SecretId);
    if (secret === undefined) throw awsError(ResourceNotFoundException, "Secrets Manager can't find the specified secret.");
    if (secret.deletedAt !== undefined) throw awsError(InvalidRequestException, "You can't perform this operation on the secret because it was marked for deletion.");
    const { VersionId: versionId, VersionStage: stage } = input;
    let version: Version | undefined;
    if (versionId !== undefined) {
      version = secret.versions.find((v) => v.id === versionId);
      if (version === undefined || (stage !== undefined && !version.stages.has(stage))) {
        throw awsError(ResourceNotFoundException, `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      }
    } else {
      const wanted = stage ?? 'AWSCURRENT';
      version = secret.versions.find((v) => v.stages.has(wanted));
      if (version === undefined) throw awsError(ResourceNotFoundException, `Secrets Manager can't find the specified secret value for staging label: ${wanted}`);
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.secretString !== undefined ? { SecretString: version.secretString } : {}),
      ...(version.secretBinary !== undefined ? { SecretBinary: version.secretBinary } : {}),
      VersionStages: [...version.stages],
      CreatedDate: new Date(version.created),
    };
  }
}

interface GetSecretValueInput {
  SecretId?: string;
  VersionId?: string;
  VersionStage?: string;
}
