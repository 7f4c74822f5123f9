/**
 * Validation of Berth's own configuration files against their JSON Schemas in
 * `schemas/`, with the same ajv machinery as manifests: an unknown key is an
 * error that names the key, where it is, and the known key it most likely meant.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import cliConfigSchema from '../../schemas/cli-config.schema.json' with { type: 'json' };
import ecsEnvironmentSchema from '../../schemas/ecs-environment.schema.json' with { type: 'json' };
import { didYouMean } from './did-you-mean.ts';

/** The configuration files with a schema, by name. */
export const CONFIG_SCHEMAS = {
  /** `berth.config.yaml`: the ECS environments (schemas/ecs-environment.schema.json). */
  'ecs-environment': ecsEnvironmentSchema,
  /** The client commands' `.berth/config.json` and `~/.config/berth/config.json` (schemas/cli-config.schema.json). */
  'cli-config': cliConfigSchema,
} as const;

/** A configuration file with a schema. */
export type ConfigKind = keyof typeof CONFIG_SCHEMAS;

/** One problem of a configuration file: the dotted path (`environments.prod.region`) and what to do. */
export interface ConfigProblem {
  path: string;
  message: string;
}

let validators: Map<ConfigKind, ValidateFunction> | undefined;

function validator(kind: ConfigKind): ValidateFunction {
  if (validators === undefined) {
    // Compiled once, on first use: most commands never read a config file.
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
    validators = new Map((Object.keys(CONFIG_SCHEMAS) as ConfigKind[]).map((k) => [k, ajv.compile(CONFIG_SCHEMAS[k])]));
  }
  return validators.get(kind)!;
}

/**
 * Every schema problem of `value` as config file `kind`; `only: 'unknown-keys'`
 * keeps just the unknown keys (for callers whose own checks word the rest).
 * @example configProblems('ecs-environment', { environments: { prod: { regoin: 'x' } } }, 'unknown-keys')
 * // [{ path: 'environments.prod.regoin', message: 'is not a known setting; did you mean "region"?' }]
 */
export function configProblems(kind: ConfigKind, value: unknown, only?: 'unknown-keys'): ConfigProblem[] {
  const validate = validator(kind);
  if (validate(value)) return [];
  const errors = (validate.errors ?? []).filter((e) => only === undefined || e.keyword === 'additionalProperties');
  return errors.map(toProblem);
}

function toProblem(e: ErrorObject): ConfigProblem {
  const base = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : path === '' ? seg : `${path}.${seg}`), '');
  const join = (key: string): string => (base === '' ? key : `${base}.${key}`);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
      const guess = didYouMean(key, known);
      return { path: join(key), message: `is not a known setting; ${guess === undefined ? `known here: ${known.join(', ')}` : `did you mean "${guess}"?`}` };
    }
    case 'required':
      return { path: join((e.params as { missingProperty: string }).missingProperty), message: 'is required' };
    case 'enum':
      return { path: base, message: `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map(String).join(', ')}` };
    default:
      return { path: base, message: e.message ?? 'is not valid' };
  }
}
