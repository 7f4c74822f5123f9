/**
 * Reads the value an AWS secret reference names, with the syntax and meaning an
 * ECS task definition's `secrets` give it, so one reference means the same thing
 * to an ECS task and to the gateway:
 *
 * - `arn:aws:secretsmanager:<region>:<account>:secret:<name>` → the secret's
 *   AWSCURRENT SecretString;
 * - `…:secret:<name>:<json-key>:<version-stage>:<version-id>` (each part may be
 *   empty) → that key of the JSON SecretString, of that stage or version;
 * - `arn:aws:ssm:<region>:<account>:parameter/<name>` → the parameter's value,
 *   decrypted when it is a SecureString.
 *
 * The SDK clients come from `clientsFor(region)` (the CLI builds them, so
 * AWS_ENDPOINT_URL and the default credential chain apply; tests route them into
 * the AWS fake). Errors name the reference, the API and AWS's own words, and
 * never a value.
 *
 * @example
 * const resolveArn = createAwsSecretResolver({ clientsFor: (region) => createSecretClients(region) });
 * await resolveArn('arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm/token-AbCdEf:token::');
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

/** The SDK clients one region's references are read through. */
export interface SecretClients {
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
}

/** Options of {@link createAwsSecretResolver}. */
export interface AwsSecretResolverOptions {
  /** The clients of a region; called once per region (the resolver keeps them). */
  clientsFor: (region: string) => SecretClients;
}

/** A parsed AWS secret reference. */
export type AwsSecretReference =
  | { kind: 'secretsmanager'; region: string; secretId: string; jsonKey?: string; versionStage?: string; versionId?: string }
  | { kind: 'ssm'; region: string; name: string };

/**
 * Parses a Secrets Manager or SSM ARN as ECS reads it.
 * @throws Error saying which forms are accepted, for anything else
 * @example parseAwsSecretReference('arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm-AbCdEf:token::')
 * // { kind: 'secretsmanager', region: 'eu-west-1', secretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm-AbCdEf', jsonKey: 'token' }
 */
export function parseAwsSecretReference(arn: string): AwsSecretReference {
  const parts = arn.split(':');
  const [prefix, partition, service, region, account] = parts;
  if (prefix === 'arn' && partition?.startsWith('aws') && region && account && /^[0-9]{12}$/.test(account)) {
    if (service === 'secretsmanager' && parts[5] === 'secret' && parts[6] && (parts.length === 7 || parts.length === 10)) {
      const [jsonKey, versionStage, versionId] = parts.slice(7);
      return {
        kind: 'secretsmanager',
        region,
        secretId: parts.slice(0, 7).join(':'),
        ...(jsonKey ? { jsonKey } : {}),
        ...(versionStage ? { versionStage } : {}),
        ...(versionId ? { versionId } : {}),
      };
    }
    if (service === 'ssm' && parts.length === 6 && parts[5]!.startsWith('parameter/') && parts[5]!.length > 'parameter/'.length) {
      return { kind: 'ssm', region, name: arn };
    }
  }
  throw new Error(
    'not a Secrets Manager or SSM ARN; write arn:aws:secretsmanager:<region>:<account>:secret:<name>[:<json-key>:<version-stage>:<version-id>] or arn:aws:ssm:<region>:<account>:parameter/<name>',
  );
}

/**
 * A resolver for AWS ARNs (see the module comment). Reads afresh on every call;
 * the gateway keeps values in memory and reads them again now and then.
 */
export function createAwsSecretResolver(opts: AwsSecretResolverOptions): (arn: string) => Promise<string> {
  const byRegion = new Map<string, SecretClients>();
  const clients = (region: string): SecretClients => {
    let c = byRegion.get(region);
    if (c === undefined) {
      c = opts.clientsFor(region);
      byRegion.set(region, c);
    }
    return c;
  };
  return async (arn: string): Promise<string> => {
    const ref = parseAwsSecretReference(arn);
    if (ref.kind === 'ssm') return readParameter(clients(ref.region).ssm, ref.name);
    return readSecret(clients(ref.region).secretsManager, ref);
  };
}

async function readParameter(ssm: SSMClient, name: string): Promise<string> {
  let out;
  try {
    out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  } catch (err) {
    const e = err as Error;
    if (e.name === 'ParameterNotFound') throw new Error(`SSM has no parameter ${name} (ParameterNotFound); create it, or fix the reference`, { cause: err });
    throw new Error(`SSM GetParameter of ${name} failed: ${awsWords(e)}; check the parameter and that Berth's role may read it (ssm:GetParameter, and kms:Decrypt for a SecureString)`, { cause: err });
  }
  const value = out.Parameter?.Value;
  if (value === undefined) throw new Error(`SSM returned no value for ${name}`);
  return value;
}

async function readSecret(sm: SecretsManagerClient, ref: Extract<AwsSecretReference, { kind: 'secretsmanager' }>): Promise<string> {
  const which = [ref.versionStage && `stage ${ref.versionStage}`, ref.versionId && `version ${ref.versionId}`].filter(Boolean).join(', ');
  const what = `${ref.secretId}${which ? ` (${which})` : ''}`;
  let out;
  try {
    out = await sm.send(
      new GetSecretValueCommand({ SecretId: ref.secretId, ...(ref.versionStage ? { VersionStage: ref.versionStage } : {}), ...(ref.versionId ? { VersionId: ref.versionId } : {}) }),
    );
  } catch (err) {
    throw new Error(`Secrets Manager GetSecretValue of ${what} failed: ${awsWords(err as Error)}; check the reference and that Berth's role may read it (secretsmanager:GetSecretValue)`, { cause: err });
  }
  const text = out.SecretString;
  if (text === undefined) throw new Error(`${what} holds a binary value; store the header value as a string (SecretString)`);
  if (ref.jsonKey === undefined) return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON, so it has no key ${ref.jsonKey}; drop the json-key from the reference or store a JSON object`);
  }
  const value = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>)[ref.jsonKey] : undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${what} has no string key ${ref.jsonKey}; name a key of its JSON object that holds the header value`);
}

/** AWS's error name and message, e.g. `ResourceNotFoundException: Secrets Manager can't find the specified secret.` */
function awsWords(e: Error): string {
  return e.message && e.message !== e.name ? `${e.name}: ${e.message}` : e.name;
}
