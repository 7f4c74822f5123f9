/**
 * server.json inputs (a package's environment variables) as a runtime's env and secrets.
 * Secret values never come across: each secret gets a placeholder ARN and a note.
 */
import type { SecretRef } from '../types.ts';
import { isRecord } from './is-record.ts';
import { placeholderSecretArn } from './placeholders.ts';
import type { ServerJsonKeyValueInput } from './types.ts';

/** The env and secrets a list of inputs maps to. */
export interface EnvMapping {
  env: Record<string, string>;
  secrets: SecretRef[];
}

/**
 * Maps inputs to env (value or default, variables resolved) and secrets (placeholder ARNs).
 * `envPath` and `secretPath` name the manifest fields in the notes; export passes a
 * scratch `notes` when it only wants to know what import made of the inputs.
 */
export function mapInputs(inputs: ServerJsonKeyValueInput[] | undefined, server: string, envPath: string, secretPath: string, notes: string[]): EnvMapping {
  const env: Record<string, string> = {};
  const secrets: SecretRef[] = [];
  const unset: string[] = [];
  for (const v of inputs ?? []) {
    if (v.isSecret === true) {
      secrets.push({ name: v.name, valueFrom: placeholderSecretArn(server, v.name) });
      notes.push(
        `${secretPath}: ${v.name} is a secret; it points at the placeholder ARN ${placeholderSecretArn(server, v.name)}. ` +
          'Store the value in Secrets Manager or SSM Parameter Store and put that ARN there (never the value itself).',
      );
      continue;
    }
    const value = resolveVariables(v, envPath, notes);
    if (value !== undefined) env[v.name] = value;
    else if (v.isRequired === true) notes.push(`${envPath}: ${v.name} is required and server.json gives no value; set it in env before deploying.`);
    else unset.push(v.name);
  }
  if (unset.length > 0) notes.push(`${envPath}: optional ${unset.join(', ')} ${unset.length === 1 ? 'has' : 'have'} no default and ${unset.length === 1 ? 'is' : 'are'} not set.`);
  return { env, secrets };
}

/**
 * The value of an input with its `{variable}`s replaced by their value or default.
 * Variables without either stay as written, with a note.
 */
function resolveVariables(input: ServerJsonKeyValueInput, where: string, notes: string[]): string | undefined {
  const raw = input.value ?? input.default;
  if (raw === undefined) return undefined;
  const variables = isRecord(input.variables) ? input.variables : {};
  const unresolved: string[] = [];
  const resolved = raw.replace(/\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g, (whole, key: string) => {
    const v = variables[key];
    const val = isRecord(v) ? (v['value'] ?? v['default']) : undefined;
    if (typeof val === 'string') return val;
    unresolved.push(key);
    return whole;
  });
  if (unresolved.length > 0) notes.push(`${where}: ${input.name} is "${raw}" and {${unresolved.join('}, {')}} has no value or default; replace it.`);
  return resolved;
}
