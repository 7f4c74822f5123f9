/**
 * SSM Parameter Store as far as Berth reads it: String, StringList and
 * SecureString parameters with versions, and GetParameter with AWS's rules.
 *
 * - Name: the name (`/crm/token`, `crm-token`) or the parameter's ARN
 *   (`arn:aws:ssm:<region>:<account>:parameter/crm/token`: a hierarchical name's
 *   leading `/` is not repeated in the ARN), optionally with `:<version>`.
 * - Unknown name: ParameterNotFound (AWS sends it without a message); unknown
 *   version: ParameterVersionNotFound.
 * - A SecureString read without WithDecryption gives its ciphertext (base64), not the value.
 */
import { ParameterNotFound, ParameterVersionNotFound } from '@aws-sdk/client-ssm';
import { ACCOUNT_ID, REGION, type World } from './common.ts';
import { awsError } from './errors.ts';

type ParameterType = 'String' | 'StringList' | 'SecureString';

interface Parameter {
  name: string;
  type: ParameterType;
  versions: Array<{ value: string; at: number }>;
}

/** The Parameter Store model of the fake account. */
export class SsmFake {
  readonly #world: World;
  readonly #parameters = new Map<string, Parameter>();
  /** API operations, by name. */
  readonly handlers: Record<string, (input: never) => unknown>;

  constructor(world: World) {
    this.#world = world;
    this.handlers = { GetParameter: (input: GetParameterInput) => this.#getParameter(input) };
  }

  /** Creates a parameter or adds a version (fake-only; PutParameter with Overwrite). Returns the version. */
  putParameter(opts: { name: string; value: string; type?: ParameterType }): number {
    if (opts.name.includes('/') && !opts.name.startsWith('/')) throw new Error(`a hierarchical parameter name starts with '/': ${opts.name}`);
    let p = this.#parameters.get(opts.name);
    if (p === undefined) {
      p = { name: opts.name, type: opts.type ?? 'String', versions: [] };
      this.#parameters.set(opts.name, p);
    }
    p.versions.push({ value: opts.value, at: this.#world.now() });
    return p.versions.length;
  }

  /** The ARN of a parameter name. */
  arnOf(name: string): string {
    return `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter${name.startsWith('/') ? name : `/${name}`}`;
  }

  #getParameter(input: GetParameterInput): unknown {
    let name = input.Name ?? '';
    const arnPrefix = `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter/`;
    if (name.startsWith('arn:')) {
      if (!name.startsWith(arnPrefix)) throw awsError(ParameterNotFound, '');
      const rest = name.slice(arnPrefix.length);
      name = rest.includes('/') ? `/${rest}` : rest;
    }
    let selector: string | undefined;
    const colon = name.lastIndexOf(':');
    if (colon > 0) {
      selector = name.slice(colon + 1);
      name = name.slice(0, colon);
    }
    const p = this.#parameters.get(name);
    if (p === undefined) throw awsError(ParameterNotFound, '');
    let version = p.versions.length;
    if (selector !== undefined) {
      version = Number(selector);
      if (!Number.isInteger(version) || version < 1 || version > p.versions.length) throw awsError(ParameterVersionNotFound, `Systems Manager could not find version ${selector} of ${name}. Verify the version and try again.`);
    }
    const v = p.versions[version - 1]!;
    const value = p.type === 'SecureString' && input.WithDecryption !== true ? Buffer.from(`kms-ciphertext:${v.value.length}`).toString('base64') : v.value;
    return {
      Parameter: { Name: p.name, Type: p.type, Value: value, Version: version, ARN: this.arnOf(p.name), LastModifiedDate: new Date(v.at), DataType: 'text' },
    };
  }
}

interface GetParameterInput {
  Name?: string;
  WithDecryption?: boolean;
}
